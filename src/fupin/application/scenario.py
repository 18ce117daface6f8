"""Use case: a policy scenario over a registry file (``fupin scenario --input``), and the one
layout of a scenario's outputs. Nothing here imports Django; the database side is
:mod:`fupin.application.scenario_db`. A scenario is never stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from fupin.application import files
from fupin.engine import rules as R
from fupin.engine import scenario as engine
from fupin.engine.policy import PolicySet
from fupin.engine.scenario import ScenarioError, ScenarioResult
from fupin.io import report, tables

__all__ = ["ScenarioError", "ScenarioResult", "prepare", "scenario_in_file", "write_households", "write_regions"]

OUT_SUFFIXES = (".csv", ".parquet", ".xlsx")


def prepare(policy: PolicySet, sets, *, where: str | None, region: str | None) -> list[engine.Override]:
    """The overrides, validated before any data is read (a typo costs nothing)."""
    overrides = engine.parse_overrides(sets, policy)
    engine.check_where(where or "", region)
    return overrides


def scenario_in_file(policy: PolicySet, path, *, year: int, sets, level: str, where: str | None = None,
                     region: str | None = None, as_of: date | None = None) -> ScenarioResult:
    """Baseline and scenario of a registry file; the importer's findings block the same households
    in both runs. Raises ScenarioError, PolicyMissing, ExchangeFormatError, NothingToAssess."""
    overrides = prepare(policy, sets, where=where, region=region)
    registry = files.read_file(path, year=year, region=region, as_of=as_of)
    return engine.run_scenario(registry.households, registry.members, registry.regions, year=year, policy=policy,
                               overrides=overrides, level=level, where=where, region=region, as_of=as_of,
                               findings=registry.issues)


# --- outputs -----------------------------------------------------------------------------------

LEVEL_LABELS = {"village": "村", "town": "乡镇", "county": "区县", "total": "合计"}
_MEASURE_HEADERS = {
    "yes": ("达标户数", "count"), "no": ("未达标户数", "count"), "unverified": ("待核实户数", "count"),
    "income_unmet": ("收入未达标户数", "count"), "leads": ("预警线索户数", "count"),
    "projected_poor_people": ("预计剩余贫困人口", "count"), "exit_eligible": ("可退出区划数", "count"),
    "listed": ("挂牌督战区划数", "count"), "shortfall_poverty": ("距扶贫标准收入缺口（元）", "money"),
    "shortfall_monitoring": ("距监测线收入缺口（元）", "money"),
}
SIDE_LABELS = {"base": "现行", "scen": "情景"}


def region_columns() -> list[report.Column]:
    cols = [report.Column("code", "区划代码", "code"), report.Column("name", "名称"), report.Column("level_label", "层级"),
            report.Column("households", "户数", "count", total=True), report.Column("people", "人数", "count", total=True),
            report.Column("error", "数据错误户数", "count", total=True)]
    for m in engine.MEASURES:
        header, kind = _MEASURE_HEADERS[m]
        cols += [report.Column(f"{m}_{s}", f"{header}（{label}）", kind, total=True) for s, label in SIDE_LABELS.items()]
    cols += [report.Column("verdict_changed_households", "结论变化户数", "count", total=True),
             report.Column("verdict_changed_people", "结论变化人数", "count", total=True),
             report.Column("became_no", "转为未达标户数", "count", total=True),
             report.Column("became_yes", "转为达标户数", "count", total=True),
             report.Column("category_changed_households", "监测类别变化户数", "count", total=True)]
    return cols


HOUSEHOLD_HEADERS = {
    "household_id": ("户编号", "code"), "region_code": ("区划代码", "code"), "population": ("人口", "count"),
    "per_capita_net_income": ("人均纯收入", "money"),
    "meets_standard_base": ("是否达标（现行）", "text"), "meets_standard_scen": ("是否达标（情景）", "text"),
    "monitoring_category_base": ("监测类别（现行）", "text"), "monitoring_category_scen": ("监测类别（情景）", "text"),
    "unmet_base": ("未达标指标（现行）", "text"), "unmet_scen": ("未达标指标（情景）", "text"),
    "unknown_base": ("待核实指标（现行）", "text"), "unknown_scen": ("待核实指标（情景）", "text"),
    "shortfall_poverty_base": ("距扶贫标准缺口（现行，元）", "money"),
    "shortfall_poverty_scen": ("距扶贫标准缺口（情景，元）", "money"),
    "shortfall_monitoring_base": ("距监测线缺口（现行，元）", "money"),
    "shortfall_monitoring_scen": ("距监测线缺口（情景，元）", "money"),
}


def _heading(result: ScenarioResult, year: int, as_of: date | None, region: str | None) -> report.Heading:
    return report.Heading(f"{year}年度政策情景对比", report.region_label(region or ""), as_of or date(year, 12, 31),
                          result.base_policy)


def _notes(result: ScenarioResult) -> list[str]:
    where = report.region_label(result.where) if result.where else "全部地区"
    return [f"情景设定：{engine.scenario_text(result.overrides)}（适用于 {where}；其余参数同现行政策）",
            "收入缺口：逐户按（标准×人口−家庭纯收入）折算为分（四舍六入五成双）后求和；同一数据、同一评估日期，未写入数据库。"]


def write_regions(result: ScenarioResult, out, *, year: int, as_of: date | None = None,
                  region: str | None = None) -> Path:
    """The region comparison: CSV/Parquet with English keys (the ``total`` row included), or a
    report workbook (its 合计 row computed by the report writer from the region rows)."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        return tables.write_frame(result.regions, out, allowed=OUT_SUFFIXES)
    rows = result.regions.filter(pl.col("level") != "total").with_columns(
        level_label=pl.col("level").replace_strict(LEVEL_LABELS, default=pl.col("level")))
    sheet = report.Sheet("情景对比", rows, region_columns(), title=f"{year}年度政策情景对比（{engine.scenario_text(result.overrides)}）",
                         notes=_notes(result))
    return report.write_report(out, [sheet], _heading(result, year, as_of, region))


def _indicator_names(column: str) -> pl.Expr:
    names = R.labels("indicator")
    return (pl.col(column).str.split(";").list.eval(pl.element().filter(pl.element() != "").replace(names))
            .list.join("、").alias(column))


def write_households(result: ScenarioResult, out, *, year: int, as_of: date | None = None,
                     region: str | None = None) -> Path:
    """The households whose verdict or monitoring category changed."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        return tables.write_frame(result.households, out, allowed=OUT_SUFFIXES)
    columns = [report.Column(k, h, kind) for k, (h, kind) in HOUSEHOLD_HEADERS.items()]
    shown = result.households.with_columns(
        *[pl.col(f"meets_standard_{s}").replace(R.VALUE_LABELS["meets_standard"]) for s in SIDE_LABELS],
        *[pl.col(f"monitoring_category_{s}").replace(R.labels("category")) for s in SIDE_LABELS],
        *[_indicator_names(f"{k}_{s}") for k in ("unmet", "unknown") for s in SIDE_LABELS],
    )
    sheet = report.Sheet("变化户", shown, columns, title=f"{year}年度政策情景：结论或监测类别变化的户",
                         totals=False, notes=_notes(result))
    return report.write_report(out, [sheet], _heading(result, year, as_of, region))
