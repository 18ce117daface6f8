"""R5 (pairing), R6 (visits) and the findings B08, B09, B15, B16 of ``spec/assistance.md``
section 3 — set-based, one definition for the file and the database runs
(:func:`fupin.engine.assistance.rules.evaluate` calls :func:`evaluate_pairing`).

Inputs are the canonical frames of ``schema.CADRE_FIELDS`` / ``PAIRING_FIELDS`` / ``VISIT_FIELDS``
(``cadre_id`` always set: the reader derives it from (姓名, 联系电话) when the sheet has none) and
the year-Y households of the run with their policy values.

Readings (each named in a test and in docs/decisions/0007-assistance.md):

* A cadre's limit (``pairing_max_households``, a table by 职级 with ``default``) is resolved with
  the policy of the region of his first active household (the run's region when he has none).
* Cadre rows are the cadres with a pairing (any date) to a household of the run; without a
  region every cadre of the ledger, so a cadre with no household shows 0.
* B15 looks at pairing intervals on any day up to as_of; B16 at visits of the window W only, so
  that one visit is reported in its own year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.engine import idnumber
from fupin.engine.assistance import schema as S
from fupin.engine.rules.base import WARNING

PAIRING_PARAMETERS = ("visit_max_days_poor", "visit_max_days_monitored", "visit_max_days_exited",
                      "visit_modes_counted", "pairing_max_households")
PAIRING_STATUSES = ("paired", "unpaired")
VISIT_STATUSES = ("ok", "overdue")
# R6's groups in the spec's order (a household in several takes the first as its group).
VISIT_GROUPS = (("monitored", "visit_max_days_monitored"), ("poor", "visit_max_days_poor"),
                ("exited", "visit_max_days_exited"))
GROUP_LABELS = {"monitored": "监测对象", "poor": "未脱贫户", "exited": "脱贫户"}
STATUS_LABELS = {"paired": "已结对", "unpaired": "未结对", "ok": "按时走访", "overdue": "走访超期"}
POOR_STATUSES = ("未脱贫", "返贫")
# The fallback entry of ``pairing_max_households`` (spec: ``.default``; written in Chinese in the
# shipped file, since the policy page shows the table as it is).
DEFAULT_RANKS = ("其他职级", "default")

CADRE_SCHEMA = {"cadre_id": pl.String, "name": pl.String, "unit": pl.String, "rank": pl.String,
                "households": pl.Int32, "limit": pl.Int32, "over": pl.Boolean, "overdue": pl.Int32}


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def effective_pairings(pairings: pl.DataFrame | None, cadres: pl.DataFrame | None) -> pl.LazyFrame:
    """1.6: ``cadre_id, household_id, start, end, order, left_on, eff_end`` — effective end = the
    earlier of 结束日期 and the cadre's 离岗日期; empty 序位 = 第一."""
    c = S.conformed(cadres, "cadres").select("cadre_id", "left_on").unique("cadre_id", keep="first")
    return (S.conformed(pairings, "pairings").join(c, on="cadre_id", how="left")
            .with_columns(eff_end=pl.min_horizontal(_c("end"), _c("left_on")),
                          order=_c("order").fill_null(S.FIRST_PAIRING)))


def active_on(as_of: date) -> pl.Expr:
    """A pairing is active on as_of: start ≤ as_of ≤ effective end (open end = open)."""
    return ((_c("start") <= pl.lit(as_of)) & (_c("eff_end").is_null() | (_c("eff_end") >= pl.lit(as_of)))).fill_null(False)


def counted_modes(text: str | None) -> list[str]:
    """``visit_modes_counted``: modes separated by 、 , ; (a list value is taken as it is)."""
    if text is None:
        return [S.HOME_VISIT]
    if isinstance(text, list):
        return [str(t) for t in text]
    import re

    return [t for t in re.split(S.LIST_SEPARATORS, str(text)) if t.strip()]


def limit_for(table_text: str | float | None, rank: str | None) -> int | None:
    """``pairing_max_households``: the value of the rank, else of 其他职级 (or ``default``); a plain number
    applies to every rank."""
    if table_text is None:
        return None
    if isinstance(table_text, int | float):
        return int(table_text)
    table = json.loads(table_text)
    value = table.get(rank or "", next((table[k] for k in DEFAULT_RANKS if k in table), None))
    return None if value is None else int(value)


@dataclass
class PairingOutcome:
    pairing: pl.DataFrame   # R5 household rows
    cadres: pl.DataFrame    # R5 cadre rows (CADRE_SCHEMA)
    visit: pl.DataFrame     # R6 rows
    findings: pl.DataFrame  # B08, B09, B15, B16 (rules.FINDING_SCHEMA)


def evaluate_pairing(hh: pl.LazyFrame, mem: pl.LazyFrame, params: pl.DataFrame, *, cadres: pl.DataFrame | None,
                     pairings: pl.DataFrame | None, visits: pl.DataFrame | None, year: int, as_of: date,
                     region: str | None, finding_schema: dict[str, pl.DataType]) -> PairingOutcome:
    """R5 and R6 for the year-Y households ``hh`` of the run (``household_id, region_code,
    policy_key, in_scope, monitored, registered, poverty_status``); ``params``: one row per
    policy key with :data:`PAIRING_PARAMETERS`; ``mem``: year-Y members (B09)."""
    first = date(year, 1, 1)
    # Read six times below (scope, cadre regions, findings): computed once.
    hh = hh.select("household_id", "region_code", "policy_key", "in_scope", "monitored", "registered",
                   "poverty_status").collect().lazy()
    head = (pl.lit(year).cast(pl.Int32).alias("year"), pl.lit(as_of).alias("as_of"))
    p = effective_pairings(pairings, cadres).collect().lazy()
    active = p.filter(active_on(as_of))
    scope = hh.filter(_c("in_scope")).select("household_id", "region_code", "policy_key", "monitored",
                                             "registered", "poverty_status")

    # R5, households -------------------------------------------------------------------------------
    # Sorted once, then grouped in order: a per-group unique().sort() over a million households
    # costs six times as much.
    per_hh = (active.select("household_id", "cadre_id", "start").sort("household_id", "cadre_id")
              .group_by("household_id", maintain_order=True)
              .agg(cadres=_c("cadre_id").unique(maintain_order=True).str.join(";"), _since=_c("start").min()))
    r5 = (scope.join(per_hh, on="household_id", how="left")
          .with_columns(status=pl.when(_c("cadres").is_not_null()).then(pl.lit("paired")).otherwise(pl.lit("unpaired")))
          .collect().lazy())
    pairing = r5.select(*head, "household_id", "region_code", "status", "cadres")

    # R6 -------------------------------------------------------------------------------------------
    modes_by_key = {k: counted_modes(v) for k, v in params.select("policy_key", "visit_modes_counted").iter_rows()}
    v = S.conformed(visits, "visits").filter(_c("visited_on") <= pl.lit(as_of))
    mode_sets = {tuple(sorted(m)) for m in modes_by_key.values()}
    paired = r5.filter(_c("status") == "paired")
    if len(mode_sets) <= 1:
        # One policy: the latest visit per household first, then the paired households (grouping
        # ten million visits once is cheaper than a semi-join of all of them before it).
        modes = list(next(iter(mode_sets))) if mode_sets else [S.HOME_VISIT]
        last = v.filter(_c("mode").is_in(modes)).group_by("household_id").agg(last_visit=_c("visited_on").max())
    else:
        allowed = pl.DataFrame([(k, m) for k, ms in modes_by_key.items() for m in ms],
                               schema={"policy_key": pl.String, "mode": pl.String}, orient="row").lazy()
        counted = (v.join(paired.select("household_id", "policy_key"), on="household_id", how="inner")
                   .join(allowed, on=["policy_key", "mode"], how="semi"))
        last = counted.group_by("household_id").agg(last_visit=_c("visited_on").max())
    days = params.select("policy_key", *[pl.col(k).cast(pl.Int32) for _g, k in VISIT_GROUPS]).lazy()
    in_group = {
        "monitored": _c("monitored").fill_null(False),
        "poor": _c("registered").fill_null(False) & _c("poverty_status").is_in(POOR_STATUSES).fill_null(False),
        "exited": _c("registered").fill_null(False) & ~_c("poverty_status").is_in(POOR_STATUSES).fill_null(False),
    }
    group = pl.lit(None, dtype=pl.String)
    for g, _k in reversed(VISIT_GROUPS):
        group = pl.when(in_group[g]).then(pl.lit(g)).otherwise(group)
    max_days = pl.min_horizontal([pl.when(in_group[g]).then(_c(k)) for g, k in VISIT_GROUPS])
    r6 = (paired.join(days, on="policy_key", how="left").join(last, on="household_id", how="left")
          .with_columns(group=group, max_days=max_days.cast(pl.Int32))
          .with_columns(days_since=(pl.lit(as_of) - pl.coalesce(_c("last_visit"), _c("_since"))).dt.total_days()
                        .cast(pl.Int32))
          .with_columns(status=pl.when(_c("days_since") > _c("max_days")).then(pl.lit("overdue"))
                        .otherwise(pl.lit("ok")))
          .collect().lazy())
    visit = r6.select(*head, "household_id", "region_code", "group", "max_days", "last_visit", "days_since",
                      "status", "cadres")

    # R5, cadres -----------------------------------------------------------------------------------
    run_ids = hh.select("household_id")
    c = S.conformed(cadres, "cadres").unique("cadre_id", keep="first")
    if region:
        c = c.join(p.join(run_ids, on="household_id", how="semi").select("cadre_id").unique(), on="cadre_id",
                   how="semi")
    load = active.select("cadre_id", "household_id").unique().group_by("cadre_id").agg(
        households=pl.len().cast(pl.Int32))
    # The region of his first household in code order (min within each group: no global sort).
    region_of = (active.join(hh.select("household_id", "region_code", "policy_key"), on="household_id", how="inner")
                 .group_by("cadre_id").agg(_c("policy_key").sort_by("region_code").first(), _c("region_code").min()))
    default_key = params["policy_key"].sort().first() if params.height else None
    limits = pl.DataFrame([(k, rank, limit_for(t, rank)) for k, t in params.select(
        "policy_key", "pairing_max_households").iter_rows() for rank in (*S.RANKS, None)],
        schema={"policy_key": pl.String, "rank": pl.String, "limit": pl.Int32}, orient="row")
    overdue = (r6.filter(_c("status") == "overdue").select("household_id")
               .join(active.select("cadre_id", "household_id").unique(), on="household_id", how="inner")
               .group_by("cadre_id").agg(overdue=pl.len().cast(pl.Int32)))
    crow = (c.join(load, on="cadre_id", how="left").join(region_of, on="cadre_id", how="left")
            .join(overdue, on="cadre_id", how="left")
            .with_columns(households=_c("households").fill_null(0), overdue=_c("overdue").fill_null(0),
                          policy_key=_c("policy_key").fill_null(pl.lit(default_key, dtype=pl.String))).collect())
    # One limit per (policy key, rank) — a rank outside the list takes the default.
    crow = crow.with_columns(_rank=pl.when(_c("rank").is_in(list(S.RANKS))).then(_c("rank"))).join(
        limits.rename({"rank": "_rank"}), on=["policy_key", "_rank"], how="left", nulls_equal=True).drop("_rank")
    crow = crow.with_columns(over=(_c("households") > _c("limit")).fill_null(False)).sort("cadre_id")
    cadre_rows = crow.select(list(CADRE_SCHEMA)).cast(CADRE_SCHEMA)

    # Findings -------------------------------------------------------------------------------------
    def finding(frame: pl.LazyFrame, code: str, zh: pl.Expr, en: pl.Expr, *, ref: pl.Expr,
                id_number: pl.Expr | None = None) -> pl.LazyFrame:
        return frame.select(pl.lit(year).cast(pl.Int32).alias("year"), "region_code", "household_id",
                            id_number=id_number if id_number is not None else pl.lit(None, dtype=pl.String),
                            code=pl.lit(code), severity=pl.lit(WARNING), ref=ref, message_zh=zh, message_en=en)

    b08 = finding(crow.lazy().filter(_c("over")).with_columns(household_id=pl.lit(None, dtype=pl.String)), "B08",
                  pl.format("帮扶责任人{}（{}，{}）结对 {} 户，超过上限 {} 户", _c("name"), _c("unit"), _c("rank"),
                            _c("households"), _c("limit")),
                  pl.format("cadre {} pairs with {} households, above the limit of {}", _c("cadre_id"),
                            _c("households"), _c("limit")), ref=_c("cadre_id"))
    registered_members = (mem.join(hh.filter(_c("registered").fill_null(False)).select("household_id", "region_code"),
                                   on="household_id", how="inner").select("id_number", "household_id", "region_code"))
    b09 = finding(c.filter(_c("id_number").is_not_null()).select("cadre_id", "name", "id_number")
                  .join(registered_members, on="id_number", how="inner"), "B09",
                  pl.format("帮扶责任人{}本人是建档立卡户 {} 的成员；请核实是否适合担任帮扶责任人", _c("name"), _c("household_id")),
                  pl.format("cadre {} is a member of registered household {}", _c("cadre_id"), _c("household_id")),
                  ref=_c("cadre_id"), id_number=idnumber.mask_expr(_c("id_number")))
    firsts = p.filter((_c("order") == S.FIRST_PAIRING) & (_c("start") <= pl.lit(as_of))).join(
        run_ids, on="household_id", how="semi").select("household_id", "cadre_id", "start", "eff_end")
    pairs = (firsts.join(firsts, on="household_id", suffix="_2")
             .filter((_c("cadre_id") < _c("cadre_id_2"))
                     & (_c("start") <= pl.coalesce(_c("eff_end_2"), pl.lit(as_of)))
                     & (_c("start_2") <= pl.coalesce(_c("eff_end"), pl.lit(as_of))))
             .join(hh.select("household_id", "region_code"), on="household_id", how="inner"))
    b15 = finding(pairs, "B15",
                  pl.format("户 {} 同时有两名第一帮扶责任人（{}、{}）；请确定一名为第一、另一名为第二", _c("household_id"),
                            _c("cadre_id"), _c("cadre_id_2")),
                  pl.format("household {} has two 第一 cadres ({}, {}) active on the same days", _c("household_id"),
                            _c("cadre_id"), _c("cadre_id_2")), ref=_c("cadre_id"))
    late = (S.conformed(visits, "visits").filter(_c("visited_on").is_between(pl.lit(first), pl.lit(as_of))
                                             & _c("cadre_id").is_not_null())
            .join(c.select("cadre_id", "name", "left_on").filter(_c("left_on").is_not_null()), on="cadre_id",
                  how="inner")
            .filter(_c("visited_on") > _c("left_on"))
            .join(hh.select("household_id", "region_code"), on="household_id", how="inner"))
    b16 = finding(late, "B16",
                  pl.format("帮扶责任人{}已于 {} 离岗，但 {} 仍有其走访记录；请核实走访人", _c("name"), _c("left_on"),
                            _c("visited_on")),
                  pl.format("a visit on {} by cadre {} who left on {}", _c("visited_on"), _c("cadre_id"),
                            _c("left_on")), ref=_c("cadre_id"))
    found = pl.concat([b08, b09, b15, b16], how="vertical_relaxed").select(
        [_c(k).cast(t) for k, t in finding_schema.items()])
    out_pairing, out_visit, out_found = pl.collect_all([pairing, visit, found])
    return PairingOutcome(out_pairing, cadre_rows, out_visit, out_found)
