"""The rules of ``spec/rules.md`` sections 1–3 as named Polars expressions.

One registry of rule keys (``RULES``) gives every indicator, risk factor, category and
elimination condition its Chinese and English label and its spec section; the CLI, the Excel
writer and :mod:`fupin.engine.explain` read labels only from here.

Every rule is a function returning a ``pl.Expr`` aliased to its key. Household rules read the
canonical household columns, the member aggregates of :func:`member_facts` (``m_*`` columns,
``population``) and the policy columns joined by :func:`fupin.engine.assess.assess` (one column
per parameter, e.g. ``poverty_line``) — thresholds are columns, never constants here.

Readings chosen where the spec leaves room (each has a test named after it):

* Education: an exempt member (残疾 and 送教上门 = 是 or 失学辍学原因 = 身体原因) is neither
  unmet nor unknown, whatever the 在校生状况. A member whose age cannot be computed does not
  count (the data-quality check Q01 blocks such households anyway).
* Housing: grade C/D with an empty 危房改造状态 is unmet ("not 已完成"). 易地扶贫搬迁 = 是 is met
  whatever the grade.
* Water: a sub-indicator with at least one field present is decided by the fields present
  (spec: "a sub-indicator whose fields are all empty is unknown"). Quantity needs 人均日供水量;
  with only 是否缺水地区 it is unknown. An empty 是否缺水地区 applies the ordinary minimum
  (the scarce minimum applies "where 是否缺水地区 = 是").
* Risk factors are present or absent: a factor that cannot be computed (e.g. income_drop with
  net income unknown, no_labour when a living member's 劳动技能 is empty) is absent. Empty money
  fields count as 0 (exchange format: "optional, empty = 0").
* A household with a 监测对象类别 and an empty 风险是否已消除 is currently monitored.
* 未登记 (是否建档立卡 empty) counts as not registered for ``marginal`` and ``medical_cost``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.engine.idnumber import age_expr, birth_date_expr


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str  # indicator | risk | category | elimination | verdict
    zh: str
    en: str
    section: str


RULES: tuple[Rule, ...] = (
    Rule("income", "indicator", "收入", "income above the poverty line", "1"),
    Rule("food", "indicator", "不愁吃", "enough to eat", "1"),
    Rule("clothing", "indicator", "不愁穿", "enough to wear", "1"),
    Rule("education", "indicator", "义务教育", "compulsory education", "1"),
    Rule("medical", "indicator", "基本医疗", "basic medical insurance", "1"),
    Rule("housing", "indicator", "住房安全", "safe housing", "1"),
    Rule("water", "indicator", "饮水安全", "safe drinking water", "1"),
    Rule("medical_cost", "risk", "医疗支出大", "high medical costs", "2"),
    Rule("education_cost", "risk", "教育支出大", "high education costs", "2"),
    Rule("disaster", "risk", "灾害事故损失", "disaster or accident loss", "2"),
    Rule("income_drop", "risk", "收入大幅缩减", "large income drop", "2"),
    Rule("serious_illness", "risk", "家庭成员患大病", "serious illness in the family", "2"),
    Rule("severe_disability", "risk", "家庭成员重度残疾", "severe disability in the family", "2"),
    Rule("no_labour", "risk", "无劳动能力", "no labour capacity", "2"),
    Rule("guarantee_gap", "risk", "“三保障”或饮水安全未达标", "education/medical/housing/water gap", "2"),
    Rule("unstable", "category", "脱贫不稳定户", "unstable exited household", "2"),
    Rule("marginal", "category", "边缘易致贫户", "marginal household at risk", "2"),
    Rule("sudden", "category", "突发严重困难户", "household in sudden severe hardship", "2"),
    Rule("none", "category", "无风险", "no risk", "2"),
    Rule("unknown", "category", "收入不详，需入户核实", "income unknown, visit needed", "2"),
    Rule("monitored", "category", "已纳入监测", "currently monitored", "2"),
    Rule("income_elim", "elimination", "人均纯收入达到监测线", "income at or above the monitoring line", "3"),
    Rule("standard_elim", "elimination", "“两不愁三保障”及饮水安全全部达标", "every indicator met", "3"),
    Rule("risk_elim", "elimination", "医疗、教育、灾害、收入缩减风险已消除", "no cost, disaster or income-drop risk", "3"),
    Rule("months_elim", "elimination", "监测时间满规定月数", "monitored long enough", "3"),
    Rule("no_labour_elim", "elimination", "有劳动能力", "labour capacity present", "3"),
)
# Elimination conditions are keyed without the suffix in outputs (spec: income standard risk
# months no_labour); the suffix only keeps the registry's keys unique.
_ELIM_SUFFIX = "_elim"

INDICATORS = tuple(r.key for r in RULES if r.kind == "indicator")
RISK_FACTORS = tuple(r.key for r in RULES if r.kind == "risk")
CATEGORIES = ("unstable", "marginal", "sudden", "none", "unknown", "monitored")
ELIMINATION_CONDITIONS = ("income", "standard", "risk", "months", "no_labour")
# Factors whose presence blocks risk elimination (rules.md section 3).
ELIMINATION_BLOCKING_RISKS = ("medical_cost", "education_cost", "disaster", "income_drop")
GUARANTEE_INDICATORS = ("education", "medical", "housing", "water")

_BY_KIND_KEY = {(r.kind, r.key): r for r in RULES}

VALUE_LABELS: dict[str, dict[str, str]] = {
    "indicator": {"met": "达标", "unmet": "未达标", "unknown": "不详"},
    "meets_standard": {"yes": "达标", "no": "未达标", "unverified": "待核实", "error": "数据错误"},
    "elimination": {"ready": "可消除风险", "not_ready": "暂不具备消除条件"},
    "water_sub": {"met": "达标", "unmet": "未达标", "unknown": "不详"},
}

WATER_SUBINDICATORS: dict[str, tuple[str, str]] = {
    "quantity": ("水量", "quantity"),
    "quality": ("水质", "quality"),
    "convenience": ("用水方便程度", "convenience"),
    "guarantee": ("供水保证率", "guarantee"),
}

COLUMN_LABELS: dict[str, str] = {
    "household_id": "户编号", "year": "年度", "region_code": "区划代码", "population": "人口数",
    "net_income": "家庭纯收入", "per_capita_net_income": "人均纯收入",
    **{r.key: r.zh for r in RULES if r.kind == "indicator"},
    "meets_standard": "是否达标", "unmet": "未达标指标", "unknown": "不详指标",
    "monitoring_category": "监测类别", "risk_factors": "风险因素", "elimination": "风险消除",
    "elimination_failed": "未满足的消除条件", "errors": "数据错误", "policy": "政策文件",
}


def rule(kind: str, key: str) -> Rule:
    if kind == "elimination":
        key = key + _ELIM_SUFFIX
    return _BY_KIND_KEY[(kind, key)]


def label(kind: str, key: str, lang: str = "zh") -> str:
    r = rule(kind, key)
    return r.zh if lang == "zh" else r.en


def labels(kind: str, lang: str = "zh") -> dict[str, str]:
    keys = {"indicator": INDICATORS, "risk": RISK_FACTORS, "category": CATEGORIES,
            "elimination": ELIMINATION_CONDITIONS}[kind]
    return {k: label(kind, k, lang) for k in keys}


# --- helpers ---------------------------------------------------------------------------------

def _c(name: str) -> pl.Expr:
    return pl.col(name)


def _true(expr: pl.Expr) -> pl.Expr:
    """A yes/no column read as 'is 是' (empty is not 是)."""
    return expr.fill_null(False)


def state(unmet: pl.Expr, unknown: pl.Expr) -> pl.Expr:
    """'unmet' | 'unknown' | 'met' from two null-free booleans (unmet wins)."""
    return (
        pl.when(unmet.fill_null(False)).then(pl.lit("unmet"))
        .when(unknown.fill_null(False)).then(pl.lit("unknown"))
        .otherwise(pl.lit("met"))
    )


def tri(ok: pl.Expr) -> pl.Expr:
    """'met' | 'unmet' | 'unknown' from a boolean where null is unknown."""
    return pl.when(ok.is_null()).then(pl.lit("unknown")).when(ok).then(pl.lit("met")).otherwise(pl.lit("unmet"))


def key_list(flags: dict[str, pl.Expr]) -> pl.Expr:
    """The keys whose flag is true, in the given order, joined with ';' ('' when none)."""
    # concat_str skipping nulls builds the string directly: list columns cost ~20x more here.
    parts = [pl.when(expr.fill_null(False)).then(pl.lit(key)) for key, expr in flags.items()]
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


# --- member facts (rules.md Terms, section 1 education/medical, section 2 member risks) ----

def living() -> pl.Expr:
    """人员状态 正常; empty is 正常 (exchange format)."""
    return (_c("member_status").is_null() | (_c("member_status") == "正常")).alias("living")


def age(as_of: date) -> pl.Expr:
    return age_expr(birth_date_expr(_c("id_number")), as_of).alias("age")


def education_age() -> pl.Expr:
    return (_c("living") & _c("age").is_between(6, 15)).fill_null(False).alias("education_age")


def education_exempt() -> pl.Expr:
    return (
        (_c("health") == "残疾")
        & (_true(_c("home_schooling")) | (_c("dropout_reason") == "身体原因").fill_null(False))
    ).fill_null(False).alias("education_exempt")


def education_unmet_member() -> pl.Expr:
    return (
        _c("education_age") & ~_c("education_exempt") & (_c("school_status") == "非在校生").fill_null(False)
    ).alias("education_unmet_member")


def education_unknown_member() -> pl.Expr:
    return (_c("education_age") & ~_c("education_exempt") & _c("school_status").is_null()).alias(
        "education_unknown_member"
    )


def medical_unmet_member() -> pl.Expr:
    return (_c("living") & (_c("medical_insurance") == "未参保").fill_null(False)).alias("medical_unmet_member")


def medical_unknown_member() -> pl.Expr:
    return (_c("living") & _c("medical_insurance").is_null()).alias("medical_unknown_member")


def serious_illness_member() -> pl.Expr:
    return (_c("living") & (_c("health") == "患有大病").fill_null(False)).alias("serious_illness_member")


def severe_disability_member() -> pl.Expr:
    return (
        _c("living") & (_c("health") == "残疾").fill_null(False)
        & _c("disability_grade").is_in(["一级", "二级"]).fill_null(False)
    ).alias("severe_disability_member")


def no_labour_member() -> pl.Expr:
    return (_c("living") & _c("labour").is_in(["丧失劳动力", "无劳动力"]).fill_null(False)).alias(
        "no_labour_member"
    )


def member_label() -> pl.Expr:
    """'name（age岁）' — never the ID number."""
    return pl.concat_str(
        [_c("name").fill_null("（无姓名）"), pl.lit("（"), _c("age").cast(pl.String).fill_null("?"), pl.lit("岁）")]
    ).alias("member_label")


MEMBER_FLAGS = (
    "education_unmet_member", "education_unknown_member", "medical_unmet_member",
    "medical_unknown_member", "serious_illness_member", "severe_disability_member",
)


def member_facts(members: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Per household: population and the member aggregates the household rules read."""
    m = members.with_columns(living(), age(as_of)).with_columns(
        education_age(), education_exempt(), member_label()
    ).with_columns(
        education_unmet_member(), education_unknown_member(), medical_unmet_member(),
        medical_unknown_member(), serious_illness_member(), severe_disability_member(),
        no_labour_member(),
    )
    names = {
        f"m_{flag.removesuffix('_member')}_names": _c("member_label").filter(_c(flag)).str.join("、")
        for flag in MEMBER_FLAGS
    }
    facts = m.group_by("household_id").agg(
        population=_c("living").sum().cast(pl.Int32),
        **{f"m_{flag.removesuffix('_member')}": _c(flag).any() for flag in MEMBER_FLAGS},
        m_no_labour_count=_c("no_labour_member").sum().cast(pl.Int32),
    )
    # Names are built only for the few members some rule points at, then joined back.
    flagged = m.filter(pl.any_horizontal([_c(flag) for flag in MEMBER_FLAGS]))
    named = flagged.group_by("household_id").agg(**names)
    return facts.join(named, on="household_id", how="left").with_columns(
        [_c(name).fill_null("") for name in names]
    )


# --- income (Terms) ----------------------------------------------------------------------

INCOME_ITEMS = ("wage_income", "business_income", "property_income", "transfer_income", "business_expense")


def _all_income_items_empty() -> pl.Expr:
    return pl.all_horizontal([_c(c).is_null() for c in INCOME_ITEMS])


def _reported_used() -> pl.Expr:
    return _all_income_items_empty() & _c("reported_per_capita_income").is_not_null()


def net_income() -> pl.Expr:
    """Sum of the items; unknown if any is empty; else 人均纯收入 × population when all are empty."""
    items = _c("wage_income") + _c("business_income") + _c("property_income") + _c("transfer_income") - _c(
        "business_expense"
    )
    return (
        pl.when(_reported_used()).then(_c("reported_per_capita_income") * _c("population"))
        .otherwise(items)  # null when any item is null
        .alias("net_income")
    )


def per_capita_net_income() -> pl.Expr:
    return (
        pl.when(_c("population") <= 0).then(None)
        .when(_reported_used()).then(_c("reported_per_capita_income"))
        .otherwise(_c("net_income") / _c("population"))
        .cast(pl.Float64)
        .alias("per_capita_net_income")
    )


# --- section 1 indicators -------------------------------------------------------------------

def income() -> pl.Expr:
    """Strictly above the line is met ("超过")."""
    pc = _c("per_capita_net_income")
    return state(pc <= _c("poverty_line"), pc.is_null()).alias("income")


def food() -> pl.Expr:
    return tri(_c("food_secure")).alias("food")


def clothing() -> pl.Expr:
    return tri(_c("clothing_secure")).alias("clothing")


def education() -> pl.Expr:
    return state(_c("m_education_unmet"), _c("m_education_unknown")).alias("education")


def medical() -> pl.Expr:
    return state(_c("m_medical_unmet"), _c("m_medical_unknown")).alias("medical")


def housing() -> pl.Expr:
    relocated = _true(_c("relocated"))
    grade = _c("housing_grade")
    unsafe = grade.is_in(["C", "D"]).fill_null(False) & (_c("housing_renovation") != "已完成").fill_null(True)
    return state(~relocated & unsafe, ~relocated & grade.is_null()).alias("housing")


WATER_DETAIL_FIELDS = (
    "water_litres_per_day", "water_scarce_area", "water_quality", "tap_water", "fetch_minutes",
    "fetch_horizontal_m", "fetch_vertical_m", "outage_days",
)


def water_quantity() -> pl.Expr:
    litres = _c("water_litres_per_day")
    minimum = pl.when(_true(_c("water_scarce_area"))).then(_c("water_min_litres_scarce")).otherwise(
        _c("water_min_litres")
    )
    return tri(litres >= minimum).alias("water_quantity")


def water_quality() -> pl.Expr:
    """水质 达标 or 基本达标 (column ``water_quality_state``: ``water_quality`` is the input)."""
    q = _c("water_quality")
    return tri(pl.when(q.is_null()).then(None).otherwise(q.is_in(["达标", "基本达标"]))).alias(
        "water_quality_state"
    )


def water_convenience() -> pl.Expr:
    """Met when any present field meets; unmet when some field is present and none meets."""
    checks = [
        _true(_c("tap_water")),
        (_c("fetch_minutes") <= _c("fetch_max_minutes")).fill_null(False),
        (_c("fetch_horizontal_m") <= _c("fetch_max_horizontal_m")).fill_null(False),
        (_c("fetch_vertical_m") <= _c("fetch_max_vertical_m")).fill_null(False),
    ]
    present = pl.any_horizontal(
        [_c(f).is_not_null() for f in ("tap_water", "fetch_minutes", "fetch_horizontal_m", "fetch_vertical_m")]
    )
    ok = pl.when(pl.any_horizontal(checks)).then(True).when(present).then(False).otherwise(None)
    return tri(ok).alias("water_convenience")


def water_guarantee() -> pl.Expr:
    return tri(_c("outage_days") <= _c("outage_max_days")).alias("water_guarantee")


def water_sub_indicators() -> list[pl.Expr]:
    return [water_quantity(), water_quality(), water_convenience(), water_guarantee()]


WATER_SUB_COLUMNS = ("water_quantity", "water_quality_state", "water_convenience", "water_guarantee")


def water() -> pl.Expr:
    """The four sub-indicators when any detailed field is present, else 饮水是否安全."""
    detailed = pl.any_horizontal([_c(f).is_not_null() for f in WATER_DETAIL_FIELDS])
    subs = [_c(c) for c in WATER_SUB_COLUMNS]
    from_detail = state(
        pl.any_horizontal([s == "unmet" for s in subs]), pl.any_horizontal([s == "unknown" for s in subs])
    )
    return pl.when(detailed).then(from_detail).otherwise(tri(_c("water_safe"))).alias("water")


def meets_standard() -> pl.Expr:
    ind = [_c(k) for k in INDICATORS]
    return (
        pl.when(pl.any_horizontal([i == "unmet" for i in ind])).then(pl.lit("no"))
        .when(pl.any_horizontal([i == "unknown" for i in ind])).then(pl.lit("unverified"))
        .otherwise(pl.lit("yes"))
        .alias("meets_standard")
    )


def unmet() -> pl.Expr:
    return key_list({k: _c(k) == "unmet" for k in INDICATORS}).alias("unmet")


def unknown() -> pl.Expr:
    return key_list({k: _c(k) == "unknown" for k in INDICATORS}).alias("unknown")


# --- section 2 monitoring ----------------------------------------------------------------------

def monitoring_applies() -> pl.Expr:
    return _c("monitoring_line").is_not_null().alias("monitoring_applies")


def rigid_expenses() -> pl.Expr:
    return (
        _c("medical_out_of_pocket").fill_null(0) + _c("education_out_of_pocket").fill_null(0)
        + _c("disaster_loss").fill_null(0)
    ).alias("rigid_expenses")


def medical_cost_limit() -> pl.Expr:
    share = pl.when(_true(_c("registered"))).then(_c("medical_share_registered")).otherwise(
        _c("medical_share_general")
    )
    return (share * _c("rural_income_prev_year")).alias("medical_cost_limit")


def income_drop_limit() -> pl.Expr:
    return ((1 - _c("income_drop_share")) * _c("prior_net_income")).alias("income_drop_limit")


def medical_cost() -> pl.Expr:
    return (_c("medical_out_of_pocket").fill_null(0) > _c("medical_cost_limit")).fill_null(False).alias("medical_cost")


def education_cost() -> pl.Expr:
    return (_c("education_out_of_pocket").fill_null(0) > _c("education_cost_max")).fill_null(False).alias(
        "education_cost"
    )


def disaster() -> pl.Expr:
    return (_c("disaster_loss").fill_null(0) > 0).alias("disaster")


def income_drop() -> pl.Expr:
    return ((_c("prior_net_income") > 0) & (_c("net_income") < _c("income_drop_limit"))).fill_null(False).alias(
        "income_drop"
    )


def serious_illness() -> pl.Expr:
    return _c("m_serious_illness").fill_null(False).alias("serious_illness")


def severe_disability() -> pl.Expr:
    return _c("m_severe_disability").fill_null(False).alias("severe_disability")


def no_labour() -> pl.Expr:
    return ((_c("population") > 0) & (_c("m_no_labour_count") == _c("population"))).fill_null(False).alias(
        "no_labour"
    )


def guarantee_gap() -> pl.Expr:
    return pl.any_horizontal([_c(k) == "unmet" for k in GUARANTEE_INDICATORS]).alias("guarantee_gap")


RISK_RULES = {
    "medical_cost": medical_cost, "education_cost": education_cost, "disaster": disaster,
    "income_drop": income_drop, "serious_illness": serious_illness,
    "severe_disability": severe_disability, "no_labour": no_labour, "guarantee_gap": guarantee_gap,
}


def risk_factors() -> pl.Expr:
    listed = key_list({k: _c(f"risk_{k}") for k in RISK_FACTORS})
    return pl.when(_c("monitoring_applies")).then(listed).otherwise(pl.lit("")).alias("risk_factors")


def currently_monitored() -> pl.Expr:
    return (_c("monitoring_category").is_not_null() & ~_true(_c("risk_eliminated"))).alias("currently_monitored")


def in_poverty() -> pl.Expr:
    return _c("poverty_status").is_in(["未脱贫", "返贫"]).fill_null(False).alias("in_poverty")


def any_risk() -> pl.Expr:
    return pl.any_horizontal([_c(f"risk_{k}") for k in RISK_FACTORS]).alias("any_risk")


def category() -> pl.Expr:
    """monitoring_category output: monitored | unknown | unstable | marginal | sudden | none | ''."""
    below = _c("per_capita_net_income") < _c("monitoring_line")
    registered = _true(_c("registered"))
    sudden = (
        pl.when(_c("prior_net_income").is_not_null())
        .then(_c("rigid_expenses") > _c("prior_net_income"))
        .otherwise(_c("rigid_expenses") > _c("net_income"))
        .fill_null(False)
        | (
            _c("risk_income_drop")
            & (((_c("net_income") - _c("rigid_expenses")) / _c("population")) < _c("monitoring_line"))
        ).fill_null(False)
    )
    return (
        pl.when(~_c("monitoring_applies")).then(pl.lit(""))
        .when(_c("currently_monitored")).then(pl.lit("monitored"))
        .when(_c("in_poverty")).then(pl.lit(""))
        .when(_c("net_income").is_null()).then(pl.lit("unknown"))
        .when(registered & below & _c("any_risk")).then(pl.lit("unstable"))
        .when(~registered & below & _c("any_risk")).then(pl.lit("marginal"))
        .when(sudden).then(pl.lit("sudden"))
        .otherwise(pl.lit("none"))
        .alias("monitoring_category")
    )


# --- section 3 risk elimination --------------------------------------------------------------

def months_since(month_col: str, as_of: date) -> pl.Expr:
    """Whole months from the first day of a 'YYYY-MM' month to ``as_of`` (null if unreadable)."""
    d = _c(month_col).str.to_date("%Y-%m", strict=False)
    return ((as_of.year - d.dt.year()) * 12 + (as_of.month - d.dt.month())).cast(pl.Int32)


def elimination_failed_flags() -> dict[str, pl.Expr]:
    return {
        "income": ~(_c("per_capita_net_income") >= _c("monitoring_line")).fill_null(False),
        "standard": _c("meets_standard") != "yes",
        "risk": pl.any_horizontal([_c(f"risk_{k}") for k in ELIMINATION_BLOCKING_RISKS]),
        "months": ~(_c("months_monitored") >= _c("elimination_min_months")).fill_null(False),
        "no_labour": _c("risk_no_labour"),
    }


def elimination_failed() -> pl.Expr:
    return pl.when(_c("monitoring_category") == "monitored").then(
        key_list(elimination_failed_flags())
    ).otherwise(pl.lit("")).alias("elimination_failed")


def elimination() -> pl.Expr:
    return (
        pl.when(_c("monitoring_category") != "monitored").then(pl.lit(""))
        .when(_c("elimination_failed") == "").then(pl.lit("ready"))
        .otherwise(pl.lit("not_ready"))
        .alias("elimination")
    )
