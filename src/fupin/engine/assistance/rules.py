"""R1–R4 and R9 of ``spec/assistance.md`` section 3, and the coverage report (3.11).

Every rule is set-based: joins and group-bys over whole frames, no loop over households. The
conditions are named expressions (:data:`RULES` holds them with their zh/en labels); facts that
other rules read too come from :mod:`fupin.engine.facts` (living, labour, no labour capacity,
registered, currently monitored).

Inputs (canonical frames; the importer gives them, so does the database later):

* ``households`` / ``members`` — the registry (``fupin.engine.schema``), any number of years;
  the year-Y snapshot is taken here.
* :class:`Ledger` — ``measures`` (+ ``wide``), ``dividends``, ``placements``, ``posts``,
  ``labour`` (``fupin.engine.assistance.schema``) and the :class:`Catalogue` in force.
* ``leads`` (optional) — ``household_id``, ``identified_on`` (Date): the county approval date
  of the household's identification lead, when the system has one (R3's I).

Outputs of :func:`evaluate` (one frame per rule, the columns the spec names, led by ``year`` and
``as_of``):

* ``outlet`` (R1, per member of the labour registry): ``year, as_of, region_code, household_id,
  id_number, name, sex, age, labour, status, channels``; status covered / no_demand / uncovered.
* ``income`` (R2, per household of S(Y)): ``year, as_of, region_code, household_id, status,
  channels, mechanism, dividend_total``.
* ``developmental`` (R3): ``year, as_of, household_id, region_code, monitoring_since,
  identified_on, deadline, first_on, days, status`` (met / met_undated / late / missing / pending).
* ``safety_net`` (R4): ``year, as_of, household_id, region_code, status, channels``.
* ``findings`` (R9): ``year, region_code, household_id, id_number, code, severity, ref,
  message_zh, message_en`` — B13 (assistance income of a source above the registry's item) and
  B14 (a job or post holding in W with 工资性收入 = 0); B17 (3.12, recorded twice: counting
  measures of W alike in 户编号, 证件号码, 小类, 开始日期 — 年度 for a year-level one — and 金额,
  one finding per copy after the first by 措施编号; the measure/placement branch is R7's).

:func:`coverage` turns them into the 3.11 report, by region and level, and the uncovered lists.

Readings (each named in a test and in docs/decisions/0007-assistance.md):

* A 一次性 measure lies on its start date only; a 结束日期 on it is ignored.
* R3 considers only records that started on or before as_of (what was known at as_of).
* R9 counts a year-level 一次性 measure in W when its 年度 is Y; a 持续 measure that is not in 元
  adds no money.
* Attribution of a member-level record follows the person (section 0 "Belongs to"); a person
  listed in two households of Y (Q04) belongs to the smallest 户编号.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from fupin.engine import facts
from fupin.engine.assistance import employment as E
from fupin.engine.assistance import pairing as P
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.catalogue import Catalogue
from fupin.engine.idnumber import age_expr, birth_date_expr, sex_expr
from fupin.engine.policy import PolicySet
from fupin.engine.rules.base import WARNING, Rule
from fupin.engine.rules.standard import key_list

# Policy keys the rules read (spec section 4), resolved per household's region.
ASSIST_PARAMETERS = (
    "labour_age_min", "labour_age_max_male", "labour_age_max_female", "developmental_measure_max_days",
    "income_check_tolerance",
)
NOT_IN_SCHOOL = "非在校生"

# --- statuses and their labels ------------------------------------------------------------------

OUTLET_STATUSES = ("covered", "no_demand", "uncovered")
INCOME_STATUSES = ("covered", "uncovered")
DEVELOPMENTAL_STATUSES = ("met", "met_undated", "late", "missing", "pending")
SAFETY_NET_STATUSES = ("covered", "uncovered")
OUTLET_CHANNELS = ("measure", "household_measure", "placement", "registry_work")
INCOME_CHANNELS = ("measure", "dividend", "placement")
SAFETY_NET_CHANNELS = ("dibao", "tekun", "measure")

STATUS_LABELS: dict[str, str] = {
    **P.STATUS_LABELS,
    "covered": "已覆盖", "uncovered": "未覆盖", "no_demand": "无就业意愿", "met": "按时落实",
    "met_undated": "按年度记录落实", "late": "逾期落实", "missing": "逾期未落实", "pending": "未到期",
    "none": "无收益机制",
}
CHANNEL_LABELS: dict[str, str] = {
    "measure": "帮扶措施", "household_measure": "户级措施", "placement": "就业", "registry_work": "登记务工",
    "dividend": "收益分配", "dibao": "低保", "tekun": "特困供养",
}

# Coverage rules (3.11) in report order.
COVERAGE_RULES = ("outlet", "income", "mechanism", "developmental", "safety_net", "pairing", "visit")
LEVELS = (("province", 2), ("city", 4), ("county", 6), ("town", 9), ("village", 12))
LEVEL_LABELS = {"province": "省", "city": "市", "county": "区县", "town": "乡镇", "village": "村"}


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def _true(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(False)


# --- named expressions ---------------------------------------------------------------------------

def counts() -> pl.Expr:
    """Section 0 "Counts": 状态 实施中/已落实 and (unit ≠ 元, or 金额 > 0, or from a wide layout).
    Needs the catalogue's ``unit`` joined (an unknown 小类 never counts)."""
    return (
        _c("status").is_in(S.COUNTING_STATUSES).fill_null(False) & _c("unit").is_not_null()
        & (_true(_c("unit") != "元") | _true(_c("amount") > 0) | _true(_c("wide")))
    ).alias("counts")


def measure_interval() -> list[pl.Expr]:
    """``lo``/``hi`` of a measure: a dated 一次性 lies on its start date only, a dated 持续 from
    start to 结束日期 (null = open), a year-level one over its 年度."""
    dated = _c("start").is_not_null()
    lo = pl.when(dated).then(_c("start")).otherwise(pl.date(_c("year"), 1, 1))
    hi = (pl.when(~dated).then(pl.date(_c("year"), 12, 31))
          .when(_c("duration") == S.ONE_OFF).then(_c("start"))
          .otherwise(_c("end")))
    return [dated.alias("dated"), lo.alias("lo"), hi.alias("hi")]


def in_window(first: date, as_of: date) -> pl.Expr:
    """Overlaps W = [Y-01-01, as_of] (needs ``lo``, ``hi``; an open end is open)."""
    return _true((_c("lo") <= pl.lit(as_of)) & (_c("hi").is_null() | (_c("hi") >= pl.lit(first)))).alias("in_w")


def labour_registry() -> pl.Expr:
    """1.8: a living member of an S(Y) household, aged labour_age_min to the maximum of the sex
    given by the ID (inclusive), with labour, not in school (needs ``in_scope``, ``age``,
    ``id_sex`` and the policy columns)."""
    max_age = pl.when(_c("id_sex") == "男").then(_c("labour_age_max_male")).otherwise(_c("labour_age_max_female"))
    return _true(
        _c("in_scope") & facts.living() & facts.with_labour()
        & _c("age").is_between(_c("labour_age_min"), max_age)
        & (_c("school_status").is_null() | (_c("school_status") == NOT_IN_SCHOOL))
    ).alias("in_labour_registry")


def outlet_status() -> pl.Expr:
    """R1: covered if any channel; else no_demand when 就业意愿 = 无; else uncovered."""
    any_channel = pl.any_horizontal([_true(_c(f"ch_{k}")) for k in OUTLET_CHANNELS])
    return (pl.when(any_channel).then(pl.lit("covered"))
            .when(_true(_c("no_demand"))).then(pl.lit("no_demand"))
            .otherwise(pl.lit("uncovered"))).alias("status")


def income_status() -> pl.Expr:
    """R2: covered when a measure, dividend or placement channel is present."""
    any_channel = pl.any_horizontal([_true(_c(f"ch_{k}")) for k in INCOME_CHANNELS])
    return pl.when(any_channel).then(pl.lit("covered")).otherwise(pl.lit("uncovered")).alias("status")


def developmental_status(as_of: date) -> pl.Expr:
    """R3, the first that holds: met, met_undated, late, missing (as_of > deadline), pending."""
    return (pl.when(_c("met_first").is_not_null()).then(pl.lit("met"))
            .when(_true(_c("undated_met"))).then(pl.lit("met_undated"))
            .when(_c("late_first").is_not_null()).then(pl.lit("late"))
            .when(pl.lit(as_of) > _c("deadline")).then(pl.lit("missing"))
            .otherwise(pl.lit("pending"))).alias("status")


def safety_net_status() -> pl.Expr:
    """R4: covered by 低保, 特困供养 or a counting 综合保障 measure in W."""
    any_channel = pl.any_horizontal([_true(_c(f"ch_{k}")) for k in SAFETY_NET_CHANNELS])
    return pl.when(any_channel).then(pl.lit("covered")).otherwise(pl.lit("uncovered")).alias("status")


def months_touched(first: date, as_of: date) -> pl.Expr:
    """R9: calendar months of W that the interval [lo, hi] touches (open end = as_of)."""
    a = pl.max_horizontal(_c("lo"), pl.lit(first))
    b = pl.min_horizontal(_c("hi").fill_null(pl.lit(as_of)), pl.lit(as_of))
    n = (b.dt.year().cast(pl.Int32) * 12 + b.dt.month().cast(pl.Int32)) - (
        a.dt.year().cast(pl.Int32) * 12 + a.dt.month().cast(pl.Int32)) + 1
    return pl.when(a <= b).then(n).otherwise(0).alias("months")


RULES: tuple[Rule, ...] = (
    Rule("outlet", "assistance", "人人有出路", "every able person has a way to earn", "3 R1", outlet_status),
    Rule("income", "assistance", "户户有收益", "every household has an income measure", "3 R2", income_status),
    Rule("mechanism", "assistance", "资产收益类带动", "asset-income mechanism (dividend or 资产收益 measure)", "3 R2"),
    Rule("developmental", "assistance", "识别后及时落实开发式帮扶", "developmental measure in time after identification",
         "3 R3"),
    Rule("safety_net", "assistance", "无劳动能力户综合保障", "social safety net for households without labour", "3 R4",
         safety_net_status),
    Rule("pairing", "assistance", "结对帮扶全覆盖", "every household has an active pairing", "3 R5"),
    Rule("visit", "assistance", "按时走访", "paired households visited in time", "3 R6"),
    Rule("B08", "assistance_check", "帮扶责任人结对户数超过上限", "cadre over the pairing limit", "3.12"),
    Rule("B09", "assistance_check", "帮扶责任人本人是建档立卡户成员", "cadre is a member of a registered household", "3.12"),
    Rule("B15", "assistance_check", "一户同时有两名第一帮扶责任人", "two 第一 cadres active on one household", "3.12"),
    Rule("B16", "assistance_check", "帮扶责任人离岗后仍有走访记录", "a visit by a cadre after he left", "3.12"),
    Rule(E.RECORDED_TWICE, "assistance_check", "帮扶记录重复登记", "assistance recorded twice", "3.12"),
    Rule("B18", "assistance_check", "受灾户不在事件区划范围内", "affected household outside the event's area", "3.12"),
    *(Rule(code, "assistance_check", zh, en, "3 R7") for code, (zh, en) in E.LABELS.items()),
    Rule("B13", "assistance_check", "帮扶收入超过登记收入", "assistance income above the registry's income item", "3 R9"),
    Rule("B14", "assistance_check", "有就业或公益岗但工资性收入为0", "a job or public post but no wage income", "3 R9"),
)
_BY_KEY = {r.key: r for r in RULES}
SEVERITY = {**E.SEVERITY, "B13": WARNING, "B14": WARNING, "B08": WARNING, "B09": WARNING, "B15": WARNING, "B16": WARNING,
            "B18": WARNING}


def label(key: str, lang: str = "zh") -> str:
    r = _BY_KEY[key]
    return r.zh if lang == "zh" else r.en


# --- inputs ---------------------------------------------------------------------------------------

@dataclass
class Ledger:
    """The assistance frames of one registry (canonical, :mod:`fupin.engine.assistance.schema`);
    any of them may be absent."""

    measures: pl.DataFrame | None = None
    dividends: pl.DataFrame | None = None
    placements: pl.DataFrame | None = None
    posts: pl.DataFrame | None = None
    labour: pl.DataFrame | None = None
    projects: pl.DataFrame | None = None
    migration: pl.DataFrame | None = None   # 1.11 务工动态 (the 复工 rate)
    catalogue: Catalogue = field(default_factory=Catalogue.default)
    # 1.5–1.7; R5/R6 run (and 3.11 reports them) when ``pairings`` is given, even empty.
    cadres: pl.DataFrame | None = None
    pairings: pl.DataFrame | None = None
    visits: pl.DataFrame | None = None


@dataclass
class Outcome:
    year: int
    as_of: date
    outlet: pl.DataFrame
    income: pl.DataFrame
    developmental: pl.DataFrame
    safety_net: pl.DataFrame
    findings: pl.DataFrame
    households: pl.DataFrame  # year-Y households in scope of the run: household_id, region_code, hamlet, head_name
    # R9's records (:func:`assistance_items`), collected only when evaluate(with_items=True): the 明白卡.
    items: pl.DataFrame | None = None
    # R5 (households, cadres) and R6 (``pairing.evaluate_pairing``); None without pairings.
    pairing: pl.DataFrame | None = None
    cadre_load: pl.DataFrame | None = None
    visit: pl.DataFrame | None = None


FINDING_SCHEMA = {"year": pl.Int32, "region_code": pl.String, "household_id": pl.String, "id_number": pl.String,
                  "code": pl.String, "severity": pl.String, "ref": pl.String, "message_zh": pl.String,
                  "message_en": pl.String}


def parameters(policy: PolicySet, year: int, region_codes) -> pl.DataFrame:
    """The policy values of :data:`ASSIST_PARAMETERS` per policy key (PolicyMissing when unset)."""
    return policy.frame(year, region_codes, needed=ASSIST_PARAMETERS, parameters=ASSIST_PARAMETERS)


def evaluate(households: pl.DataFrame, members: pl.DataFrame, ledger: Ledger, *, year: int, policy: PolicySet,
             as_of: date | None = None, leads: pl.DataFrame | None = None, region: str | None = None,
             with_items: bool = False) -> Outcome:
    """R1–R4 and R9 for year ``year`` (households of the region prefix ``region`` only);
    ``with_items``: also R9's records of every household of the run (``Outcome.items``)."""
    as_of = as_of or date(year, 12, 31)
    first = date(year, 1, 1)
    hh = households.lazy().filter(_c("year") == year)
    if region:
        hh = hh.filter(_c("region_code").str.starts_with(region))
    hh = hh.select(
        "household_id", "region_code", "hamlet", "registered", "poverty_status", "monitoring_category",
        "monitoring_since", "risk_eliminated", *facts.INCOME_SOURCES,
    )
    codes = hh.select("region_code").unique().collect()["region_code"]
    pframe = parameters(policy, year, codes).select("policy_key", *ASSIST_PARAMETERS)
    hh = hh.with_columns(policy.policy_key_expr(_c("region_code"))).join(pframe.lazy(), on="policy_key", how="left")
    hh = hh.with_columns(in_scope=facts.registered() | facts.currently_monitored(),
                         monitored=facts.currently_monitored()).collect().lazy()
    # Members of the year-Y snapshot (any 人员状态): attribution; living ones: the rules.
    mem_all = members.lazy().filter(_c("year") == year).select(
        "household_id", "id_number", "name", "relationship", "member_status", "labour", "school_status",
        "work_location", "work_months", "dibao", "tekun",
        *(["status_changed_on"] if "status_changed_on" in members.columns else []))
    snapshot = (mem_all.filter(_c("id_number").is_not_null()).group_by("id_number")
                .agg(_owner=_c("household_id").min())).collect().lazy()
    all_hh_ids = households.lazy().filter(_c("year") == year).select("household_id").unique().with_columns(_snap=pl.lit(True))
    mem = mem_all.join(hh.select("household_id", "region_code", "in_scope", *ASSIST_PARAMETERS), on="household_id",
                       how="inner")
    mem = mem.with_columns(
        facts.living(), age=age_expr(birth_date_expr(_c("id_number")), as_of), id_sex=sex_expr(_c("id_number")),
    ).collect().lazy()
    cat = ledger.catalogue.frame.lazy().select(
        "subtype", _family="family", mode="mode", unit="unit", duration="duration", income_measure="income_measure",
        outlet="outlet", income_source="income_source")

    def belongs(records: pl.LazyFrame) -> pl.LazyFrame:
        """Section 0 "Belongs to": only the records with an ID number need the snapshot."""
        personal = records.filter(_c("id_number").is_not_null()).join(snapshot, on="id_number", how="left").join(
            all_hh_ids, on="household_id", how="left").with_columns(
            owner=pl.when(_c("_owner").is_not_null()).then(_c("_owner"))
            .when(_true(_c("_snap"))).then(_c("household_id"))).drop("_owner", "_snap")
        household = records.filter(_c("id_number").is_null()).with_columns(owner=_c("household_id"))
        return pl.concat([personal, household], how="vertical")

    # Only counting measures matter to any rule: they are prepared once, then shared.
    measures = belongs(
        S.conformed(ledger.measures, "measures").drop("family").join(cat, on="subtype", how="left")
        .rename({"_family": "family"}).filter(counts()).with_columns(pl.lit(True).alias("counts"), *measure_interval())
    ).with_columns(in_window(first, as_of)).collect().lazy()
    m_w = measures.filter(_c("counts") & _c("in_w"))
    posts = S.conformed(ledger.posts, "posts").select("post_id", post_kind="kind", post_pay="monthly_pay",
                                                post_employer="employer", post_type="public_post_type")
    placements = belongs(
        S.conformed(ledger.placements, "placements").join(posts, on="post_id", how="left")
        .with_columns(dated=pl.lit(True), lo=_c("start"), hi=_c("end"))
    ).with_columns(in_window(first, as_of)).collect().lazy()   # read by R1–R3, R7, R9: prepared once
    p_w = placements.filter(_c("in_w"))
    dividends = belongs(S.conformed(ledger.dividends, "dividends")).with_columns(
        paid=pl.coalesce(_c("paid_on"), pl.date(_c("year"), 12, 31)))
    d_w = dividends.filter(_true(_c("amount") > 0) & (_c("paid") >= pl.lit(first)) & (_c("paid") <= pl.lit(as_of)))

    def owners(frame: pl.LazyFrame, flag: str) -> pl.LazyFrame:
        return frame.filter(_c("owner").is_not_null()).select(household_id="owner").unique().with_columns(
            pl.lit(True).alias(flag))

    # Per household and per person, every flag the rules read from the counting measures in W,
    # in one group-by each (instead of one pass per flag over millions of measures).
    hh_flags = m_w.filter(_c("owner").is_not_null()).group_by("owner").agg(
        _hh_outlet=(_true(_c("outlet")) & _c("id_number").is_null()).any(),
        _income=_true(_c("income_measure")).any(),
        _asset=(_c("family") == S.ASSET_INCOME_FAMILY).any(),
        _safety=(_c("family") == S.SAFETY_NET_FAMILY).any(),
    ).rename({"owner": "household_id"}).collect().lazy()
    person_outlet = m_w.filter(_true(_c("outlet")) & _c("id_number").is_not_null()).select("id_number").unique().with_columns(
        ch_measure=pl.lit(True))

    def ids(frame: pl.LazyFrame, flag: str) -> pl.LazyFrame:
        return frame.filter(_c("id_number").is_not_null()).select("id_number").unique().with_columns(pl.lit(True).alias(flag))

    def head() -> tuple[pl.Expr, pl.Expr]:
        return pl.lit(year).cast(pl.Int32).alias("year"), pl.lit(as_of).alias("as_of")

    # R1 -----------------------------------------------------------------------------------------
    labour = S.conformed(ledger.labour, "labour").filter((_c("year") == year) & (_c("willing") == "无")).select(
        "id_number").unique().with_columns(no_demand=pl.lit(True))
    r1 = (mem.filter(labour_registry())
          .join(person_outlet, on="id_number", how="left")
          .join(hh_flags.select("household_id", ch_household_measure="_hh_outlet"), on="household_id", how="left")
          .join(ids(p_w, "ch_placement"), on="id_number", how="left")
          .join(labour, on="id_number", how="left")
          .with_columns(ch_registry_work=_true(_c("work_location").is_not_null() & (_c("work_months") >= 1)))
          .with_columns(outlet_status(),
                        channels=key_list({k: _c(f"ch_{k}") for k in OUTLET_CHANNELS}))
          .select(*head(), "region_code", "household_id", "id_number", "name", sex="id_sex", age="age",
                  labour="labour", status="status", channels="channels"))

    # R2 -----------------------------------------------------------------------------------------
    scope = hh.filter(_c("in_scope"))
    div_total = d_w.filter(_c("owner").is_not_null()).group_by("owner").agg(dividend_total=_c("amount").sum()).rename(
        {"owner": "household_id"})
    r2 = (scope.select("household_id", "region_code")
          .join(hh_flags.select("household_id", ch_measure="_income", _asset="_asset"), on="household_id", how="left")
          .join(owners(d_w, "ch_dividend"), on="household_id", how="left")
          .join(owners(p_w, "ch_placement"), on="household_id", how="left")
          .join(div_total, on="household_id", how="left")
          .with_columns(income_status(), channels=key_list({k: _c(f"ch_{k}") for k in INCOME_CHANNELS}),
                        mechanism=_true(_c("ch_dividend")) | _true(_c("_asset")),
                        dividend_total=_c("dividend_total").fill_null(0.0))
          .select(*head(), "region_code", "household_id", "status", "channels", "mechanism", "dividend_total"))

    # R3 -----------------------------------------------------------------------------------------
    able = (mem.filter(facts.living() & facts.with_labour() & _true(_c("age") >= _c("labour_age_min")))
            .select("household_id").unique())
    lead_dates = (leads.lazy().select("household_id", _lead=_c("identified_on").cast(pl.Date))
                  .group_by("household_id").agg(_c("_lead").max())
                  if leads is not None else pl.LazyFrame(schema={"household_id": pl.String, "_lead": pl.Date}))
    candidates = (scope.filter(_c("monitored")).join(able, on="household_id", how="semi")
                  .join(lead_dates, on="household_id", how="left")
                  .with_columns(identified_on=pl.coalesce(
                      _c("_lead"), (_c("monitoring_since") + "-01").str.to_date("%Y-%m-%d", strict=False)))
                  .with_columns(deadline=_c("identified_on") + pl.duration(
                      days=_c("developmental_measure_max_days").cast(pl.Int64))))
    qualifying = pl.concat([
        measures.filter(_c("counts") & (_c("mode") == "开发式") & _true(_c("outlet"))).select(
            "owner", "dated", "lo", "hi", yr="year"),
        placements.select("owner", "dated", "lo", "hi", yr=pl.lit(None, dtype=pl.Int32)),
    ], how="vertical_relaxed").filter(_c("owner").is_not_null() & (_c("lo") <= pl.lit(as_of)))
    per = (qualifying.join(candidates.select("household_id", "identified_on", "deadline"), left_on="owner",
                           right_on="household_id", how="inner")
           .with_columns(hi_eff=_c("hi").fill_null(pl.lit(as_of)))
           .with_columns(
               _met=_c("dated") & (_c("lo") <= _c("deadline")) & (_c("hi_eff") >= _c("identified_on")),
               _undated=~_c("dated") & _c("yr").is_between(_c("identified_on").dt.year(), _c("deadline").dt.year()),
               _late=_c("dated") & (_c("lo") > _c("deadline")))
           .group_by("owner").agg(met_first=_c("lo").filter(_c("_met")).min(), undated_met=_c("_undated").any(),
                                  late_first=_c("lo").filter(_c("_late")).min())
           .rename({"owner": "household_id"}))
    r3 = (candidates.join(per, on="household_id", how="left")
          .with_columns(developmental_status(as_of))
          .with_columns(first_on=pl.when(_c("status") == "met")
                        .then(pl.max_horizontal(_c("met_first"), _c("identified_on")))
                        .when(_c("status") == "late").then(_c("late_first")))
          .with_columns(days=(_c("first_on") - _c("identified_on")).dt.total_days().cast(pl.Int32))
          .select(*head(), "household_id", "region_code", "monitoring_since", "identified_on", "deadline",
                  "first_on", "days", "status"))

    # R4 -----------------------------------------------------------------------------------------
    people = mem.group_by("household_id").agg(
        population=_c("living").sum().cast(pl.Int32),
        members_without_labour=(_c("living") & facts.without_labour()).sum().cast(pl.Int32),
        ch_dibao=(_c("living") & _true(_c("dibao"))).any(),
        ch_tekun=(_c("living") & _true(_c("tekun"))).any())
    r4 = (scope.select("household_id", "region_code").join(people, on="household_id", how="inner")
          .filter(facts.no_labour_capacity())
          .join(hh_flags.select("household_id", ch_measure="_safety"), on="household_id", how="left")
          .with_columns(safety_net_status(), channels=key_list({k: _c(f"ch_{k}") for k in SAFETY_NET_CHANNELS}))
          .select(*head(), "household_id", "region_code", "status", "channels"))

    # R9 -----------------------------------------------------------------------------------------
    items = assistance_items(m_w, p_w, d_w, first=first, as_of=as_of)
    findings = pl.concat([_r9(hh, mem, measures, placements, items, year=year),
                          recorded_twice(hh, m_w, year=year)], how="vertical").sort(
        "household_id", "code", "id_number", nulls_last=True)

    # Households of the run, for the uncovered lists: their 户主's name.
    heads = (mem.filter(_c("relationship") == "户主").sort("living", descending=True)
             .group_by("household_id").agg(head_name=_c("name").first()))
    run_hh = hh.select("household_id", "region_code", "hamlet").join(heads, on="household_id", how="left")

    listed = [items.join(hh.select("household_id"), on="household_id", how="semi")] if with_items else []
    outlet, income, developmental, safety_net, found, run, *got = pl.collect_all(
        [r1, r2, r3, r4, findings, run_hh, *listed])
    out = Outcome(year, as_of, outlet, income, developmental, safety_net, found, run, got[0] if got else None)
    if any(f is not None and f.height for f in (ledger.placements, ledger.measures)):
        # R7 reads its own policy keys, only when there may be a post holding.
        ep = policy.frame(year, codes, needed=E.EMPLOYMENT_PARAMETERS, parameters=E.EMPLOYMENT_PARAMETERS)
        posts_found = E.public_post_findings(
            hh.select("household_id", "region_code", "policy_key", registered=facts.registered(), monitored="monitored",
                      risk_eliminated="risk_eliminated"), mem_all, measures, ledger.placements, ledger.posts, ep,
            year=year, as_of=as_of, region=region, finding_schema=FINDING_SCHEMA)
        out.findings = pl.concat([out.findings, posts_found], how="vertical_relaxed").sort(
            "household_id", "code", "id_number", nulls_last=True)
    if ledger.pairings is not None:
        # R5/R6 read their own policy keys, so that a ledger without pairings never needs them.
        pp = policy.frame(year, codes, needed=P.PAIRING_PARAMETERS, parameters=P.PAIRING_PARAMETERS)
        paired = P.evaluate_pairing(
            hh.select("household_id", "region_code", "policy_key", "in_scope", "monitored", "registered",
                      "poverty_status"), mem_all.select("household_id", "id_number"), pp,
            cadres=ledger.cadres, pairings=ledger.pairings, visits=ledger.visits, year=year, as_of=as_of,
            region=region, finding_schema=FINDING_SCHEMA)
        out.pairing, out.cadre_load, out.visit = paired.pairing, paired.cadres, paired.visit
        out.findings = pl.concat([out.findings, paired.findings], how="vertical_relaxed").sort(
            "household_id", "code", "id_number", nulls_last=True)
    return out


def to_fen(amount: pl.Expr) -> pl.Expr:
    """Yuan to integer fen, half to even (rounded to 6 places first, so that 1.005 yuan, stored
    as 1.00499…, is the half it was typed as)."""
    return (amount * 100).round(6).round(0).cast(pl.Int64)


ITEM_KINDS = ("measure", "dividend", "placement")


def assistance_items(m_w: pl.LazyFrame, p_w: pl.LazyFrame, d_w: pl.LazyFrame, *, first: date,
                     as_of: date) -> pl.LazyFrame:
    """R9's records: every counting measure, dividend and placement of W that belongs to a
    household, with the assistance income it brings. One row each, ``kind`` in :data:`ITEM_KINDS`:
    ``household_id`` (the owner), ``id_number``, ``family``, ``subtype``, ``unit``, ``duration``,
    ``dated``, ``lo``, ``hi``, ``year``, ``amount`` (as recorded; placements: 月收入 or the post's
    月薪酬), ``responsible_unit`` (placements: 用人单位), ``project_id``, ``post_id``, ``post_kind``,
    ``post_type`` (公益岗类型), ``placement_mode`` (就业方式), ``source`` (the 收入归类 it feeds,
    null when none) and ``fen`` (the money of R9: 一次性 its amount when its date is in W, 持续 + 元
    amount × months of W touched, a dividend its amount, a 公益性岗位 placement 月收入 × months;
    integer fen, each amount rounded half to even).
    The B13 sums and the 明白卡's 帮扶资金合计 / 其中帮扶 are sums of ``fen``."""
    money_source = _c("income_source").is_in(list(S.INCOME_COLUMN))
    measures = m_w.filter(_c("owner").is_not_null()).with_columns(months_touched(first, as_of)).select(
        kind=pl.lit("measure"), household_id="owner", id_number="id_number", family="family", subtype="subtype",
        unit="unit", duration="duration", dated="dated", lo="lo", hi="hi", year="year", amount="amount",
        responsible_unit="responsible_unit", project_id=pl.lit(None, dtype=pl.String),
        post_id=pl.lit(None, dtype=pl.String), post_kind=pl.lit(None, dtype=pl.String),
        post_type=pl.lit(None, dtype=pl.String), placement_mode=pl.lit(None, dtype=pl.String),
        source=pl.when(money_source).then(_c("income_source")),
        fen=pl.when(~money_source).then(0)
        .when(_c("duration") == S.ONE_OFF).then(
            pl.when((_c("lo") >= pl.lit(first)) & (_c("lo") <= pl.lit(as_of))).then(to_fen(_c("amount").fill_null(0.0)))
            .otherwise(0))
        .when(_c("unit") == "元").then(to_fen(_c("amount").fill_null(0.0)) * _c("months"))
        .otherwise(0))
    dividends = d_w.filter(_c("owner").is_not_null()).select(
        kind=pl.lit("dividend"), household_id="owner", id_number="id_number", family=pl.lit(S.ASSET_INCOME_FAMILY),
        subtype=pl.lit(None, dtype=pl.String), unit=pl.lit("元"), duration=pl.lit(S.ONE_OFF), dated=pl.lit(True),
        lo="paid", hi="paid", year="year", amount="amount", responsible_unit=pl.lit(None, dtype=pl.String),
        project_id="project_id", post_id=pl.lit(None, dtype=pl.String), post_kind=pl.lit(None, dtype=pl.String),
        post_type=pl.lit(None, dtype=pl.String), placement_mode=pl.lit(None, dtype=pl.String),
        source=pl.lit("财产性"), fen=to_fen(_c("amount")))
    public = (_c("post_kind") == S.PUBLIC_POST) | (_c("post_id").is_null() & (_c("mode") == S.PUBLIC_POST))
    pay = pl.coalesce(_c("monthly_income"), _c("post_pay"))
    placements = p_w.filter(_c("owner").is_not_null()).with_columns(months_touched(first, as_of)).select(
        kind=pl.lit("placement"), household_id="owner", id_number="id_number",
        family=pl.when(public).then(pl.lit(S.PUBLIC_POST_FAMILY)).otherwise(pl.lit(S.EMPLOYMENT_FAMILY)),
        subtype=pl.lit(None, dtype=pl.String), unit=pl.lit("元"), duration=pl.lit(S.CONTINUING), dated=pl.lit(True),
        lo="lo", hi="hi", year=pl.lit(None, dtype=pl.Int32), amount=pay,
        responsible_unit=pl.coalesce(_c("employer"), _c("post_employer")), project_id=pl.lit(None, dtype=pl.String),
        post_id="post_id", post_kind="post_kind", post_type="post_type", placement_mode="mode",
        source=pl.when(_true(public)).then(pl.lit("工资性")),
        fen=pl.when(_true(public)).then(to_fen(pay.fill_null(0.0)) * _c("months")).otherwise(0))
    return pl.concat([measures, dividends, placements], how="vertical_relaxed").with_columns(_c("fen").cast(pl.Int64))


def _r9(hh: pl.LazyFrame, mem: pl.LazyFrame, measures: pl.LazyFrame, placements: pl.LazyFrame, items: pl.LazyFrame,
        *, year: int) -> pl.LazyFrame:
    """B13 and B14 (section R9); the sums are those of :func:`assistance_items`."""
    sums = (items.filter(_c("source").is_not_null()).group_by("household_id", "source")
            .agg(assist=_c("fen").sum() / 100))
    registry = hh.select("household_id", "region_code", "income_check_tolerance", *facts.INCOME_SOURCES).unpivot(
        index=["household_id", "region_code", "income_check_tolerance"], on=list(facts.INCOME_SOURCES),
        variable_name="item", value_name="registered_value",
    ).with_columns(source=_c("item").replace_strict({v: k for k, v in S.INCOME_COLUMN.items()}, return_dtype=pl.String))
    labels = {"wage_income": "工资性收入", "business_income": "生产经营性收入", "property_income": "财产性收入",
              "transfer_income": "转移性收入"}
    b13 = (sums.join(registry, on=["household_id", "source"], how="inner")
           .filter(_c("registered_value").is_not_null()
                   & (_c("assist") > _c("registered_value") + _c("income_check_tolerance").fill_null(0.0)))
           .select(pl.lit(year).cast(pl.Int32).alias("year"), "region_code", "household_id",
                   id_number=pl.lit(None, dtype=pl.String), code=pl.lit("B13"), severity=pl.lit(WARNING),
                   ref=pl.lit(None, dtype=pl.String),
                   message_zh=pl.format("{}年帮扶带来的{}合计 {} 元，超过登记的{} {} 元；请核实登记收入或帮扶记录",
                                        pl.lit(year), _c("item").replace_strict(labels, return_dtype=pl.String),
                                        _c("assist").round(2), _c("item").replace_strict(labels, return_dtype=pl.String),
                                        _c("registered_value").round(2)),
                   message_en=pl.format("assistance {} of {} totals {} yuan, above the registry's {} yuan; check one of them",
                                        _c("item"), pl.lit(year), _c("assist").round(2), _c("registered_value").round(2))))
    holdings = pl.concat([
        placements.filter(_c("in_w") & _c("owner").is_not_null()).select(
            "owner", "id_number", ref=pl.coalesce(_c("post_id"), _c("employer"))),
        measures.filter(_c("counts") & _c("in_w") & (_c("family") == S.PUBLIC_POST_FAMILY)
                        & _c("id_number").is_not_null() & _c("owner").is_not_null()).select(
            "owner", "id_number", ref=pl.coalesce(_c("measure_id"), _c("subtype"))),
    ], how="vertical_relaxed").group_by("owner", "id_number").agg(_c("ref").drop_nulls().first()).rename(
        {"owner": "household_id"})
    b14 = (holdings.join(hh.select("household_id", "region_code", "wage_income"), on="household_id", how="inner")
           .filter(_true(_c("wage_income") == 0))
           .join(mem.select("id_number", "name"), on="id_number", how="left")
           .select(pl.lit(year).cast(pl.Int32).alias("year"), "region_code", "household_id", "id_number",
                   code=pl.lit("B14"), severity=pl.lit(WARNING), ref="ref",
                   message_zh=pl.format("{}在{}年有就业或公益性岗位（{}），但本户工资性收入为0；请核实",
                                        _c("name").fill_null("家庭成员"), pl.lit(year), _c("ref").fill_null("")),
                   message_en=pl.format("a member holds a job or public post ({}) in {} but the household's wage income is 0",
                                        _c("ref").fill_null(""), pl.lit(year))))
    return pl.concat([b13, b14], how="vertical_relaxed").select(
        [_c(k).cast(v) for k, v in FINDING_SCHEMA.items()]).sort("household_id", "code", "id_number", nulls_last=True)


# Two measures alike in these (and differing at most in 措施编号) are one measure recorded twice.
TWICE_KEY = ("household_id", "id_number", "subtype", "start", "_year_level", "amount")


def recorded_twice(hh: pl.LazyFrame, m_w: pl.LazyFrame, *, year: int) -> pl.LazyFrame:
    """B17's first branch (3.12): counting measures of W belonging to a household of the run that
    agree in :data:`TWICE_KEY` (a year-level measure's 年度 stands for its empty 开始日期; empty
    equals empty). The copies are ordered by 措施编号; each after the first is a finding naming
    the first."""
    ref = pl.coalesce(_c("measure_id"), _c("subtype"))
    key = list(TWICE_KEY)
    copies = (m_w.filter(_c("owner").is_not_null())
              .with_columns(_ref=ref, _year_level=pl.when(_c("start").is_null()).then(_c("year")))
              .filter(pl.struct(key).is_duplicated())
              .sort([*key, "_ref"], nulls_last=True)
              .with_columns(_copy=pl.int_range(pl.len()).over(key), _first=_c("_ref").first().over(key))
              .filter(_c("_copy") > 0)
              .join(hh.select("household_id", "region_code"), left_on="owner", right_on="household_id", how="inner"))
    return copies.select(
        pl.lit(year).cast(pl.Int32).alias("year"), "region_code", household_id="owner", id_number="id_number",
        code=pl.lit(E.RECORDED_TWICE), severity=pl.lit(WARNING), ref="_ref",
        message_zh=pl.format("帮扶措施 {} 与 {} 的户编号、证件号码、小类、开始日期和金额都相同，疑似重复登记；请核实后删除其一",
                             _c("_ref"), _c("_first")),
        message_en=pl.format("measure {} repeats {} (same household, ID number, subtype, start and amount): "
                             "recorded twice?", _c("_ref"), _c("_first")),
    ).select([_c(k).cast(v) for k, v in FINDING_SCHEMA.items()])


# --- coverage (3.11) ------------------------------------------------------------------------------

COVERAGE_SCHEMA = {
    "region_code": pl.String, "region_name": pl.String, "level": pl.String, "year": pl.Int32, "as_of": pl.Date,
    "rule": pl.String, "numerator": pl.Int64, "denominator": pl.Int64, "rate": pl.Float64, "excluded": pl.Int64,
    "uncovered": pl.Int64,
}
UNCOVERED_SCHEMA = {"rule": pl.String, "household_id": pl.String, "region_code": pl.String, "hamlet": pl.String,
                    "head_name": pl.String, "name": pl.String, "id_number": pl.String, "status": pl.String}


def coverage_rules(outcome: Outcome) -> tuple[str, ...]:
    """The 3.11 rules of a run: R5/R6 when the ledger had pairings."""
    return COVERAGE_RULES if outcome.pairing is not None else COVERAGE_RULES[:5]


def units(outcome: Outcome) -> pl.LazyFrame:
    """One row per unit a rule counts: ``rule, region_code, num, den, excl`` (0/1 each)."""
    def part(frame: pl.DataFrame, rule: str, num: pl.Expr, den: pl.Expr, excl: pl.Expr) -> pl.LazyFrame:
        return frame.lazy().select(rule=pl.lit(rule), region_code="region_code", num=num.cast(pl.Int64),
                                   den=den.cast(pl.Int64), excl=excl.cast(pl.Int64))
    status = _c("status")
    return pl.concat([
        part(outcome.outlet, "outlet", status == "covered", status != "no_demand", status == "no_demand"),
        part(outcome.income, "income", status == "covered", pl.lit(True), pl.lit(False)),
        part(outcome.income, "mechanism", _c("mechanism"), pl.lit(True), pl.lit(False)),
        part(outcome.developmental, "developmental", status.is_in(["met", "met_undated"]), status != "pending",
             status == "pending"),
        part(outcome.safety_net, "safety_net", status == "covered", pl.lit(True), pl.lit(False)),
        *([part(outcome.pairing, "pairing", status == "paired", pl.lit(True), pl.lit(False)),
           part(outcome.visit, "visit", status == "ok", pl.lit(True), pl.lit(False))]
          if outcome.pairing is not None else []),
    ], how="vertical")


def rate(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator ÷ denominator rounded half up to 4 decimals (exact integer arithmetic); null when
    the denominator is 0."""
    scaled = (numerator * 20000 + denominator) // (2 * denominator)
    return pl.when(denominator > 0).then((scaled.cast(pl.Float64) / 10000).round(4)).otherwise(None)


def coverage(outcome: Outcome, *, region: str | None = None, names: dict[str, str] | None = None) -> pl.DataFrame:
    """The 3.11 report: per rule and region (village to province, by code prefix), numerator,
    denominator, rate, excluded and uncovered. With ``region`` (a code prefix) the levels above
    it are left out (their figures would be partial). Levels add numerators and denominators,
    never rates. ``names``: 12-digit code -> name (the file's regions, then the official table)."""
    base = units(outcome).group_by("rule", "region_code").agg(
        num=_c("num").sum(), den=_c("den").sum(), excl=_c("excl").sum())
    parts = []
    for level, digits in LEVELS:
        if region and digits < len(region):
            continue
        parts.append(base.with_columns(code=_c("region_code").str.slice(0, digits).str.pad_end(12, "0"))
                     .group_by("rule", "code").agg(_c("num").sum(), _c("den").sum(), _c("excl").sum())
                     .with_columns(level=pl.lit(level)))
    out = pl.concat(parts, how="vertical").collect() if parts else pl.DataFrame()
    # Every rule appears for every region, even with no unit (denominator 0, empty rate).
    regions = out.select("code", "level").unique()
    grid = regions.join(pl.DataFrame({"rule": list(coverage_rules(outcome))}), how="cross")
    out = grid.join(out.drop("level"), on=["code", "rule"], how="left").with_columns(
        [_c(c).fill_null(0) for c in ("num", "den", "excl")])
    names = names or {}
    level_order = {lv: i for i, (lv, _d) in enumerate(LEVELS)}
    rule_order = {r: i for i, r in enumerate(COVERAGE_RULES)}
    return out.select(
        region_code="code",
        region_name=_c("code").replace_strict(names, default=None, return_dtype=pl.String),
        level="level", year=pl.lit(outcome.year).cast(pl.Int32), as_of=pl.lit(outcome.as_of),
        rule="rule", numerator="num", denominator="den", rate=rate(_c("num"), _c("den")), excluded="excl",
        uncovered=_c("den") - _c("num"),
        _l=_c("level").replace_strict(level_order, return_dtype=pl.Int32),
        _r=_c("rule").replace_strict(rule_order, return_dtype=pl.Int32),
    ).sort("_l", "region_code", "_r").drop("_l", "_r").cast(COVERAGE_SCHEMA)


def uncovered(outcome: Outcome) -> dict[str, pl.DataFrame]:
    """Per rule the units counted in its denominator but not its numerator: ``rule,
    household_id, region_code, hamlet, head_name, name`` (the member, R1 only), ``id_number``
    (R1 only; lists for people mask it), ``status``."""
    hh = outcome.households.select("household_id", "hamlet", "head_name")

    def listed(frame: pl.DataFrame, rule: str, keep: pl.Expr, status: pl.Expr, member: bool) -> pl.DataFrame:
        rows = frame.filter(keep).join(hh, on="household_id", how="left")
        return rows.select(
            rule=pl.lit(rule), household_id="household_id", region_code="region_code", hamlet="hamlet",
            head_name="head_name", name=_c("name") if member else pl.lit(None, dtype=pl.String),
            id_number=_c("id_number") if member else pl.lit(None, dtype=pl.String), status=status,
        ).sort("region_code", "household_id", "id_number", nulls_last=True).cast(UNCOVERED_SCHEMA)

    st = _c("status")
    # Empty lists without pairings: every rule of COVERAGE_RULES has its list.
    paired = {r: pl.DataFrame(schema=UNCOVERED_SCHEMA) for r in ("pairing", "visit")}
    if outcome.pairing is not None:
        paired = {"pairing": listed(outcome.pairing, "pairing", st == "unpaired", st, False),
                  "visit": listed(outcome.visit, "visit", st == "overdue", st, False)}
    return {
        "outlet": listed(outcome.outlet, "outlet", st == "uncovered", st, True),
        "income": listed(outcome.income, "income", st == "uncovered", st, False),
        "mechanism": listed(outcome.income, "mechanism", ~_c("mechanism"), pl.lit("none"), False),
        "developmental": listed(outcome.developmental, "developmental", st.is_in(["late", "missing"]), st, False),
        "safety_net": listed(outcome.safety_net, "safety_net", st == "uncovered", st, False),
        **paired,
    }
