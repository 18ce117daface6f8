"""Sections 2 and 3 of ``spec/rules.md``: who should be a lead, and risk-elimination readiness.

Readings chosen where the spec leaves room (each has a test named after it):

* Risk factors are present or absent: a factor that cannot be computed (e.g. income_drop with
  net income unknown, no_labour when a living member's 劳动技能 is empty) is absent. Empty money
  fields count as 0 (exchange format: "optional, empty = 0").
* A household with a 监测对象类别 and an empty 风险是否已消除 is currently monitored.
* 未登记 (是否建档立卡 empty) counts as not registered for ``marginal`` and ``medical_cost``.
* The review flag for a quick 帮扶消除 ("within 2 months of identification") counts whole months
  from the first day of the identification month to the elimination (rules.md Terms, "months
  since") and flags fewer than the policy value ``quick_elimination_months`` (2): March 31 after
  an identification in February is 1 whole month (flagged), April 1 is 2 (not flagged). An
  elimination of unknown type (the registry keeps no type) is flagged like a 帮扶消除.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts, schema
from fupin.engine.rules.standard import GUARANTEE_INDICATORS, key_list

RISK_FACTORS = (
    "medical_cost", "education_cost", "disaster", "income_drop", "serious_illness", "severe_disability",
    "no_labour", "guarantee_gap",
)
CATEGORIES = ("unstable", "marginal", "sudden", "none", "unknown", "monitored")
# The categories a household can be identified in (监测对象类别): stored as these keys, written
# to the registry as the exchange format's code of each (schema.MONITORING_CATEGORY_CODES).
LEAD_CATEGORIES = tuple(schema.MONITORING_CATEGORY_CODES)
# Categories shown on work lists and dashboards: the lead categories and the visits to make.
WORK_LIST_CATEGORIES = (*LEAD_CATEGORIES, "unknown")
ELIMINATION_CONDITIONS = ("income", "standard", "risk", "months", "no_labour")
# Factors whose presence blocks risk elimination (rules.md section 3).
ELIMINATION_BLOCKING_RISKS = ("medical_cost", "education_cost", "disaster", "income_drop")
ASSISTED_ELIMINATION = "帮扶消除"
NATURAL_ELIMINATION = "自然消除"
ELIMINATION_TYPES = (ASSISTED_ELIMINATION, NATURAL_ELIMINATION)


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def _true(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(False)


# --- section 2 ---------------------------------------------------------------------------------

def monitoring_applies() -> pl.Expr:
    return _c("monitoring_line").is_not_null().alias("monitoring_applies")


def rigid_expenses() -> pl.Expr:
    return (
        _c("medical_out_of_pocket").fill_null(0) + _c("education_out_of_pocket").fill_null(0)
        + _c("disaster_loss").fill_null(0)
    ).alias("rigid_expenses")


def medical_cost_share() -> pl.Expr:
    """The share of D that applies: registered households' or the others'."""
    return pl.when(facts.registered()).then(_c("medical_share_registered")).otherwise(
        _c("medical_share_general")
    ).alias("medical_cost_share")


def medical_cost_limit() -> pl.Expr:
    """share × D; also the medical insurance department's trigger (rules.triggers)."""
    return (medical_cost_share() * _c("rural_income_prev_year")).alias("medical_cost_limit")


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
    return facts.no_labour_capacity()


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
    return facts.currently_monitored()


def in_poverty() -> pl.Expr:
    return facts.in_poverty()


def any_risk() -> pl.Expr:
    return pl.any_horizontal([_c(f"risk_{k}") for k in RISK_FACTORS]).alias("any_risk")


def category() -> pl.Expr:
    """monitoring_category output: monitored | unknown | unstable | marginal | sudden | none | ''."""
    below = _c("per_capita_net_income") < _c("monitoring_line")
    registered = facts.registered()
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


def allowed_categories(registered: bool | None) -> tuple[str, ...]:
    """The lead categories a household may be identified in, by registration (section 2's
    categories 1–3): a registered household as unstable, an unregistered one (是否建档立卡 否 or
    empty) as marginal, either as sudden."""
    return ("unstable", "sudden") if registered else ("marginal", "sudden")


# --- section 3 ---------------------------------------------------------------------------------

def months_since(month_col: str, as_of: date) -> pl.Expr:
    return facts.months_since(month_col, as_of)


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


def quick_elimination() -> pl.Expr:
    """Flag for review: a risk elimination (of type 帮扶消除, or of unknown type) before
    ``quick_elimination_months`` whole months have passed since identification (section 3).

    Reads ``risk_eliminated``, ``monitoring_since``, ``risk_eliminated_at`` (YYYY-MM),
    ``elimination_type`` (may be null) and the policy column ``quick_elimination_months``.
    """
    months = facts.months_between("monitoring_since", "risk_eliminated_at")
    assisted = _c("elimination_type").is_null() | (_c("elimination_type") == ASSISTED_ELIMINATION)
    return (
        _true(_c("risk_eliminated")) & assisted
        & (months < _c("quick_elimination_months")).fill_null(False)
    ).alias("quick_elimination")
