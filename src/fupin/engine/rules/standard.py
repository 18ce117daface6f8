"""Section 1 of ``spec/rules.md``: the household against the standard, as named expressions.

Household rules read the canonical household columns, the member aggregates of
:func:`member_facts` (``m_*`` columns, ``population``) and the policy columns joined by
:func:`fupin.engine.assess.assess` (one column per parameter, e.g. ``poverty_line``) —
thresholds are columns, never constants here.

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
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts
from fupin.engine.idnumber import age_expr, birth_date_expr

INDICATORS = ("income", "food", "clothing", "education", "medical", "housing", "water")
GUARANTEE_INDICATORS = ("education", "medical", "housing", "water")

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
    return facts.living()


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
    return (_c("living") & facts.without_labour()).alias("no_labour_member")


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
    """Per household: population, members without labour capacity, and the member aggregates
    the household rules read (with the names of the members each rule points at)."""
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
    aggregates = m.group_by("household_id").agg(
        population=_c("living").sum().cast(pl.Int32),
        **{f"m_{flag.removesuffix('_member')}": _c(flag).any() for flag in MEMBER_FLAGS},
        members_without_labour=_c("no_labour_member").sum().cast(pl.Int32),
    )
    # Names are built only for the few members some rule points at, then joined back.
    flagged = m.filter(pl.any_horizontal([_c(flag) for flag in MEMBER_FLAGS]))
    named = flagged.group_by("household_id").agg(**names)
    return aggregates.join(named, on="household_id", how="left").with_columns(
        [_c(name).fill_null("") for name in names]
    )


# --- income (Terms: the definitions are facts shared with the quality checks) ---------------

INCOME_ITEMS = facts.INCOME_ITEMS


def net_income() -> pl.Expr:
    return facts.net_income()


def per_capita_net_income() -> pl.Expr:
    return facts.per_capita_net_income()


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


UNSAFE_HOUSING_GRADES = ("C", "D")


def housing() -> pl.Expr:
    relocated = _true(_c("relocated"))
    grade = _c("housing_grade")
    unsafe = grade.is_in(UNSAFE_HOUSING_GRADES).fill_null(False) & (_c("housing_renovation") != "已完成").fill_null(True)
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


