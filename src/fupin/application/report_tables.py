"""Use case: the tables a county sends upward each month (and, for month 12, the year).

One workbook, four sheets, every count by town of ``region`` (the villages under each town on a
sheet of their own):

* **脱贫进度** — 建档立卡 households and people, exited (已脱贫; of which in the report year),
  remaining (未脱贫 + 返贫; of which 返贫), registered rural population and incidence;
* **村级进度** — the same by village, with its town;
* **未达标指标** — from the current verdicts: households not meeting the standard, unverified,
  and unmet by indicator (rules.md section 1 order);
* **监测对象** — currently monitored households (and people) by category, identified and
  eliminated in the report month and in the year up to it.

Readings chosen (named in the tests): the registry of the report year is the source (the workflow
writes every approved identification and elimination into it, with its month); "this month" is
``识别监测时间`` / ``风险消除时间`` equal to ``YYYY-MM``; "in the year" is the year's months up to
the report month; exited in the year is ``脱贫年度`` = year; indicators come from the current
verdicts, and are empty when the year has not been assessed. Figures are counts over the
registry as it stands when the report is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from fupin import divisions
from fupin.accounts.scoping import Capability, Scope
from fupin.assessments.services import current_verdicts_frame
from fupin.engine import facts
from fupin.engine import rules as R
from fupin.engine.schema import MONITORING_CATEGORY_CODES
from fupin.io import report
from fupin.registry import bulk

__all__ = ["NothingToReport", "ReportTables", "monthly_report", "report_frames", "write_monthly_report"]

CATEGORIES = tuple(MONITORING_CATEGORY_CODES)  # unstable, marginal, sudden


class NothingToReport(ValueError):
    """No households of the year under the region; Chinese, then English."""


@dataclass
class ReportTables:
    year: int
    month: int
    region: str           # the division prefix reported on
    towns: pl.DataFrame      # progress by town
    villages: pl.DataFrame   # progress by village
    unmet: pl.DataFrame      # verdicts by town
    monitoring: pl.DataFrame  # monitored households by town
    assessed: bool           # any current verdict of the year

    @property
    def as_of(self) -> date:
        """The last day of the report month."""
        following = date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)


def _month_text(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise NothingToReport(f"月份应为 1–12：{month} (month must be 1–12)")


def report_frames(households: pl.DataFrame, members: pl.DataFrame, verdicts: pl.DataFrame | None,
                  regions: pl.DataFrame | None, *, year: int, month: int, region: str) -> ReportTables:
    """The four tables from frames (no database): the registry of ``year`` under ``region``, its
    members, the current verdicts (or None) and the regions table (names, registered rural
    population)."""
    check_month(month)
    prefix = divisions.scope_prefix(region) if region else ""
    hh = households.filter(pl.col("year") == year)
    if prefix:
        hh = hh.filter(pl.col("region_code").str.starts_with(prefix))
    if hh.height == 0:
        raise NothingToReport(f"区划 {region or '全部'} 下没有 {year} 年度的户 (no households of {year} there)")
    people = facts.population_of(members.filter(pl.col("year").is_null() | (pl.col("year") == year))).select(
        "household_id", "population").collect()
    this_month = _month_text(year, month)
    first_month = _month_text(year, 1)
    code_of = {code: MONITORING_CATEGORY_CODES[code] for code in CATEGORIES}
    x = hh.join(people, on="household_id", how="left").with_columns(
        population=pl.col("population").fill_null(0),
        _registered=facts.registered(),
        _remaining=facts.remaining_poor(),
        _exited=facts.registered() & (pl.col("poverty_status") == "已脱贫").fill_null(False),
        _returned=facts.registered() & (pl.col("poverty_status") == "返贫").fill_null(False),
        _monitored=facts.currently_monitored(),
        _since=pl.col("monitoring_since").fill_null(""),
        _eliminated_at=pl.when(pl.col("risk_eliminated").fill_null(False)).then(pl.col("risk_eliminated_at"))
        .fill_null(""),
    )
    pop = pl.col("population")

    def n(cond: pl.Expr) -> pl.Expr:
        return cond.fill_null(False).sum().cast(pl.Int64)

    def p(cond: pl.Expr) -> pl.Expr:
        return pop.filter(cond.fill_null(False)).sum().cast(pl.Int64)

    progress = {
        "households": pl.len().cast(pl.Int64), "people": pop.sum().cast(pl.Int64),
        "registered_households": n(pl.col("_registered")), "registered_people": p(pl.col("_registered")),
        "exited_households": n(pl.col("_exited")), "exited_people": p(pl.col("_exited")),
        "exited_this_year_households": n(pl.col("_exited") & (pl.col("exit_year") == year)),
        "exited_this_year_people": p(pl.col("_exited") & (pl.col("exit_year") == year)),
        "remaining_households": n(pl.col("_remaining")), "remaining_people": p(pl.col("_remaining")),
        "returned_households": n(pl.col("_returned")), "returned_people": p(pl.col("_returned")),
    }
    in_year = (pl.col("_since") >= first_month) & (pl.col("_since") <= this_month)
    eliminated_in_year = (pl.col("_eliminated_at") >= first_month) & (pl.col("_eliminated_at") <= this_month)
    monitoring = {
        "monitored_households": n(pl.col("_monitored")), "monitored_people": p(pl.col("_monitored")),
        **{f"monitored_{c}": n(pl.col("_monitored") & (pl.col("monitoring_category") == code_of[c]))
           for c in CATEGORIES},
        "identified_month": n(pl.col("_since") == this_month),
        **{f"identified_month_{c}": n((pl.col("_since") == this_month) & (pl.col("monitoring_category") == code_of[c]))
           for c in CATEGORIES},
        "identified_year": n(in_year),
        "eliminated_month": n(pl.col("_eliminated_at") == this_month),
        "eliminated_year": n(eliminated_in_year),
    }
    town = pl.col("region_code").str.slice(0, 9).str.pad_end(12, "0").alias("code")
    village = pl.col("region_code").str.pad_end(12, "0").alias("code")
    rrp = _registered_rural_population(x, regions)
    towns = _with_names(x.group_by(town).agg(**progress), regions).join(rrp["town"], on="code", how="left")
    villages = _with_names(x.group_by(village).agg(**progress), regions).join(rrp["village"], on="code", how="left")
    villages = villages.with_columns(town_code=pl.col("code").str.slice(0, 9).str.pad_end(12, "0"))
    villages = villages.join(towns.select(pl.col("code").alias("town_code"), pl.col("name").alias("town_name")),
                             on="town_code", how="left")
    towns, villages = (f.with_columns(incidence=pl.when(pl.col("registered_rural_population") > 0).then(
        pl.col("remaining_people") / pl.col("registered_rural_population"))).sort("code") for f in (towns, villages))
    monitored = _with_names(x.group_by(town).agg(**monitoring), regions).sort("code")

    assessed = verdicts is not None and verdicts.height > 0
    v = verdicts if assessed else pl.DataFrame(schema={"household_id": pl.String, "meets_standard": pl.String,
                                                       **{k: pl.String for k in R.INDICATORS}})
    judged = x.select("household_id", "region_code", "population").join(
        v.select("household_id", "meets_standard", *R.INDICATORS), on="household_id", how="left")
    unmet = _with_names(judged.group_by(town).agg(
        households=pl.len().cast(pl.Int64),
        assessed=n(pl.col("meets_standard").is_not_null()),
        yes=n(pl.col("meets_standard") == "yes"),
        no=n(pl.col("meets_standard") == "no"),
        no_people=p(pl.col("meets_standard") == "no"),
        unverified=n(pl.col("meets_standard") == "unverified"),
        error=n(pl.col("meets_standard") == "error"),
        **{f"unmet_{k}": n(pl.col(k) == "unmet") for k in R.INDICATORS},
    ), regions).sort("code")
    return ReportTables(year, month, prefix, towns, villages, unmet, monitored, assessed)


def _with_names(frame: pl.DataFrame, regions: pl.DataFrame | None) -> pl.DataFrame:
    given = {}
    if regions is not None and regions.height:
        given = dict(zip(regions["region_code"].str.pad_end(12, "0").to_list(), regions["name"].to_list(), strict=True))
    table = divisions.names()
    names = {c: given.get(c) or table.get(c) or "" for c in frame["code"].to_list()}
    return frame.with_columns(name=pl.col("code").replace_strict(names, default="", return_dtype=pl.String))


def _registered_rural_population(x: pl.DataFrame, regions: pl.DataFrame | None) -> dict[str, pl.DataFrame]:
    """户籍人口 by village (its row) and by town (its own row, else the sum of its villages when
    every village with households has one — the reading of ``fupin regions``)."""
    schema = {"code": pl.String, "registered_rural_population": pl.Int64}
    if regions is None or "registered_rural_population" not in regions.columns:
        empty = pl.DataFrame(schema=schema)
        return {"village": empty, "town": empty}
    given = regions.select(pl.col("region_code").str.pad_end(12, "0").alias("code"),
                           pl.col("registered_rural_population").cast(pl.Int64)).unique("code", keep="last")
    villages = x.select(pl.col("region_code").str.pad_end(12, "0").alias("code")).unique().join(given, on="code", how="left")
    sums = villages.group_by(pl.col("code").str.slice(0, 9).str.pad_end(12, "0").alias("town")).agg(
        _sum=pl.when(pl.col("registered_rural_population").is_null().any()).then(None)
        .otherwise(pl.col("registered_rural_population").sum()))
    towns = sums.join(given, left_on="town", right_on="code", how="left").select(
        pl.col("town").alias("code"),
        pl.coalesce("registered_rural_population", "_sum").cast(pl.Int64).alias("registered_rural_population"))
    return {"village": villages, "town": towns}


def monthly_report(scope: Scope, year: int, month: int, region: str | None = None) -> ReportTables:
    """The tables of ``year``/``month`` for ``region`` (inside ``scope``; 404 outside it), read
    through the bulk store; nothing is written. Reading takes the READ capability.
    Raises NothingToReport."""
    scope.require_to(Capability.READ)
    check_month(month)
    area = scope.narrow(region)
    households = bulk.read_households(area, year)
    if households.height == 0:
        raise NothingToReport(f"区划 {region or area.prefix or '全部'} 下没有 {year} 年度的户 "
                              f"(no households of {year} there)")
    verdicts = current_verdicts_frame(area, year)
    return report_frames(households, bulk.read_members(area, year), verdicts, bulk.read_regions(area), year=year,
                         month=month, region=area.prefix)


# --- the workbook ------------------------------------------------------------------------------

def _c(key: str, header: str, kind: report.Kind = "count", **options) -> report.Column:
    return report.Column(key, header, kind, total=kind in ("count", "money"), **options)


def _progress_columns(with_town: bool) -> tuple[list[report.Column], list[tuple[str, int]]]:
    lead = [_c("code", "区划代码", "code"), _c("name", "名称", "text")]
    groups = [("", 2)]
    if with_town:
        lead.append(_c("town_name", "所属乡镇", "text"))
        groups = [("", 3)]
    cols = [*lead,
            _c("registered_households", "户数"), _c("registered_people", "人数"),
            _c("exited_households", "户数"), _c("exited_people", "人数"),
            _c("exited_this_year_households", "户数"), _c("exited_this_year_people", "人数"),
            _c("remaining_households", "户数"), _c("remaining_people", "人数"),
            _c("returned_households", "户数"), _c("returned_people", "人数"),
            _c("registered_rural_population", "户籍人口"),
            report.Column("incidence", "贫困发生率", "rate", ratio=("remaining_people", "registered_rural_population"))]
    groups += [("建档立卡", 2), ("已脱贫", 2), ("其中当年脱贫", 2), ("未脱贫（含返贫）", 2), ("其中返贫", 2),
               ("", 1), ("", 1)]
    return cols, groups


def _unmet_columns() -> tuple[list[report.Column], list[tuple[str, int]]]:
    cols = [_c("code", "区划代码", "code"), _c("name", "名称", "text"), _c("households", "总户数"),
            _c("assessed", "已评估户数"), _c("yes", "达标户数"), _c("no", "未达标户数"), _c("no_people", "未达标人数"),
            _c("unverified", "待核实户数"), _c("error", "数据错误户数"),
            *[_c(f"unmet_{k}", R.label("indicator", k)) for k in R.INDICATORS]]
    return cols, [("", 9), ("未达标户数（按指标，一户可多项）", len(R.INDICATORS))]


def _monitoring_columns() -> tuple[list[report.Column], list[tuple[str, int]]]:
    cat = {c: R.label("category", c) for c in CATEGORIES}
    cols = [_c("code", "区划代码", "code"), _c("name", "名称", "text"),
            _c("monitored_households", "户数"), _c("monitored_people", "人数"),
            *[_c(f"monitored_{c}", cat[c]) for c in CATEGORIES],
            _c("identified_month", "户数"), *[_c(f"identified_month_{c}", cat[c]) for c in CATEGORIES],
            _c("identified_year", "本年累计新增"), _c("eliminated_month", "本月风险消除"),
            _c("eliminated_year", "本年累计消除")]
    return cols, [("", 2), ("现有监测对象", 2 + len(CATEGORIES)), ("本月新识别", 1 + len(CATEGORIES)), ("", 1),
                  ("", 1), ("", 1)]


def write_monthly_report(tables: ReportTables, out, *, policy: str = "") -> Path:
    """The four tables as one report workbook (io/report.py: title, region/date line, grouped
    headers frozen and repeated on every page, 合计 rows, A4 landscape)."""
    period = f"{tables.year}年{tables.month}月"
    heading = report.Heading(f"{period}脱贫攻坚与防止返贫监测报表", report.region_label(tables.region), tables.as_of,
                             policy)
    town_cols, town_groups = _progress_columns(with_town=False)
    village_cols, village_groups = _progress_columns(with_town=True)
    unmet_cols, unmet_groups = _unmet_columns()
    monitoring_cols, monitoring_groups = _monitoring_columns()
    unassessed = [] if tables.assessed else [f"{tables.year}年度尚未评估：本表无评估结果（请先运行 fupin assess）。"]
    sheets = [
        report.Sheet("脱贫进度", tables.towns, town_cols, title=f"{period}脱贫进度（按乡镇）", groups=town_groups,
                     notes=["贫困发生率 = 未脱贫人数（含返贫）÷ 户籍人口；合计行按合计数计算。"]),
        report.Sheet("村级进度", tables.villages, village_cols, title=f"{period}脱贫进度（按村）", groups=village_groups),
        report.Sheet("未达标指标", tables.unmet, unmet_cols, title=f"{tables.year}年度两不愁三保障及饮水安全未达标情况（按乡镇）",
                     groups=unmet_groups, notes=[*unassessed, "按各户最新评估结果统计。"]),
        report.Sheet("监测对象", tables.monitoring, monitoring_cols, title=f"{period}防止返贫监测对象（按乡镇）",
                     groups=monitoring_groups,
                     notes=[(f"本月 = 识别监测时间或风险消除时间为 {_month_text(tables.year, tables.month)}；"
                            f"本年累计 = {tables.year}年1月至本月。")]),
    ]
    return report.write_report(out, sheets, heading)
