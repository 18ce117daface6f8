"""Facts about households and members that several rules, checks and reports read, defined once.

``spec/rules.md`` "Terms" defines living members, population, net income and months since; the
registry defines who is registered, in poverty or currently monitored. The assessment
(:mod:`fupin.engine.rules`), the quality checks, department matching, the region figures, the
dashboards and the workflow all use these expressions — none of them writes its own copy.

Every fact is a Polars expression over the canonical columns of ``fupin.engine.schema``. A
single object (one household being edited, one lead being approved) is decided by evaluating the
same expression on a one-row frame (:func:`evaluate`), never by a Python re-statement.
"""

from __future__ import annotations

from datetime import date

import polars as pl

# --- members -------------------------------------------------------------------------------

LIVING_STATUS = "正常"
NO_LABOUR = ("丧失劳动力", "无劳动力")


def living() -> pl.Expr:
    """人员状态 正常; an empty 人员状态 is 正常 (exchange format)."""
    status = pl.col("member_status")
    return (status.is_null() | (status == LIVING_STATUS)).alias("living")


def without_labour() -> pl.Expr:
    """劳动技能 丧失劳动力 or 无劳动力 (an empty 劳动技能 is not evidence either way)."""
    return pl.col("labour").is_in(NO_LABOUR).fill_null(False).alias("without_labour")


# assistance.md Terms "Labour" (有劳动能力): R1, R3 and the post checks read it.
LABOUR_CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")


def with_labour() -> pl.Expr:
    """有劳动能力: 劳动技能 普通 / 技能 / 弱劳动力或半劳动力 (empty is not labour)."""
    return pl.col("labour").is_in(LABOUR_CAPABLE).fill_null(False).alias("with_labour")


def population_of(members: pl.LazyFrame | pl.DataFrame, keys=("household_id",)) -> pl.LazyFrame:
    """Per household: ``population`` (living members) and ``members_without_labour``."""
    lazy = members.lazy() if isinstance(members, pl.DataFrame) else members
    return lazy.group_by(*keys).agg(
        population=living().sum().cast(pl.Int32),
        members_without_labour=(living() & without_labour()).sum().cast(pl.Int32),
    )


def no_labour_capacity() -> pl.Expr:
    """rules.md ``no_labour``: every living member lacks labour capacity (needs the two counts
    of :func:`population_of`)."""
    return ((pl.col("population") > 0) & (pl.col("members_without_labour") == pl.col("population"))).fill_null(
        False
    ).alias("no_labour")


# --- income (rules.md Terms) -----------------------------------------------------------------

INCOME_SOURCES = ("wage_income", "business_income", "property_income", "transfer_income")
INCOME_ITEMS = (*INCOME_SOURCES, "business_expense")


def net_income_from_items() -> pl.Expr:
    """Wage + business + property + transfer − business expense; null when any item is empty."""
    c = pl.col
    return (
        c("wage_income") + c("business_income") + c("property_income") + c("transfer_income")
        - c("business_expense")
    ).alias("net_income_from_items")


def income_items_all_empty() -> pl.Expr:
    return pl.all_horizontal([pl.col(c).is_null() for c in INCOME_ITEMS]).alias("income_items_all_empty")


def reported_income_used() -> pl.Expr:
    """All five items empty and the file gives 人均纯收入 (national exports): that figure is used."""
    return (income_items_all_empty() & pl.col("reported_per_capita_income").is_not_null()).alias(
        "reported_income_used"
    )


def net_income() -> pl.Expr:
    """Net income: the items, or 人均纯收入 × population when only that is given (needs ``population``)."""
    return (
        pl.when(reported_income_used()).then(pl.col("reported_per_capita_income") * pl.col("population"))
        .otherwise(net_income_from_items())
        .alias("net_income")
    )


def per_capita_net_income() -> pl.Expr:
    """Net income / population, not rounded; null without a living member (needs ``net_income``)."""
    return (
        pl.when(pl.col("population") <= 0).then(None)
        .when(reported_income_used()).then(pl.col("reported_per_capita_income"))
        .otherwise(pl.col("net_income") / pl.col("population"))
        .cast(pl.Float64)
        .alias("per_capita_net_income")
    )


# --- registration and monitoring status ------------------------------------------------------

POOR_STATUSES = ("未脱贫", "返贫")
GENERAL_HOUSEHOLD = "一般农户"
STATUS_NOT_GIVEN = "未填"
# Registry status of a household as counted on dashboards, reports and the demo, in this order.
REGISTRY_STATUSES = ("未脱贫", "已脱贫", "返贫", GENERAL_HOUSEHOLD)


def registered() -> pl.Expr:
    """是否建档立卡 = 是; an empty value counts as not registered."""
    return pl.col("registered").fill_null(False).alias("is_registered")


def in_poverty() -> pl.Expr:
    """On the poverty list now: 脱贫状态 未脱贫 or 返贫."""
    return pl.col("poverty_status").is_in(POOR_STATUSES).fill_null(False).alias("in_poverty")


def remaining_poor() -> pl.Expr:
    """A registered household still in poverty (rules.md section 4 "remaining poor")."""
    return (registered() & in_poverty()).alias("remaining_poor")


def currently_monitored() -> pl.Expr:
    """A monitoring category is set and the risk is not eliminated (empty 风险是否已消除 = not)."""
    return (
        pl.col("monitoring_category").is_not_null() & ~pl.col("risk_eliminated").fill_null(False)
    ).alias("currently_monitored")


def registry_status() -> pl.Expr:
    """未脱贫 / 已脱贫 / 返贫 for registered households, 一般农户 otherwise, 未填 when a registered
    household has no 脱贫状态 (a Q07 error, still counted)."""
    return (
        pl.when(~registered()).then(pl.lit(GENERAL_HOUSEHOLD))
        .otherwise(pl.col("poverty_status").fill_null(STATUS_NOT_GIVEN))
        .alias("registry_status")
    )


def status_counts(households, members, *, digits: int) -> pl.DataFrame:
    """Households and living people by :func:`registry_status`, per region code cut to ``digits``
    (12 village, 9 town, 6 county …) and padded to 12.

    Columns: ``code``, ``status``, ``households``, ``people``; plus per code the totals and the
    registered / remaining-poor figures are derived by :func:`registry_figures`.
    """
    hh = households.lazy() if isinstance(households, pl.DataFrame) else households
    people = population_of(members).select("household_id", "population")
    return (
        hh.join(people, on="household_id", how="left")
        .with_columns(
            code=pl.col("region_code").str.slice(0, digits).str.pad_end(12, "0"),
            status=registry_status(),
            population=pl.col("population").fill_null(0),
        )
        .group_by("code", "status")
        .agg(households=pl.len().cast(pl.Int64), people=pl.col("population").sum().cast(pl.Int64))
        .sort("code", "status")
        .collect()
    )


def registry_figures(households, members, *, digits: int) -> pl.DataFrame:
    """Per region: households and people in total, registered, and remaining poor — from the
    registry alone, so they exist for a year that has not been assessed yet."""
    hh = households.lazy() if isinstance(households, pl.DataFrame) else households
    people = population_of(members).select("household_id", "population")
    x = hh.join(people, on="household_id", how="left").with_columns(
        code=pl.col("region_code").str.slice(0, digits).str.pad_end(12, "0"),
        population=pl.col("population").fill_null(0),
        _registered=registered(), _poor=remaining_poor(),
    )
    return x.group_by("code").agg(
        households=pl.len().cast(pl.Int64),
        people=pl.col("population").sum().cast(pl.Int64),
        registered_households=pl.col("_registered").sum().cast(pl.Int64),
        registered_people=pl.col("population").filter(pl.col("_registered")).sum().cast(pl.Int64),
        remaining_poor_households=pl.col("_poor").sum().cast(pl.Int64),
        remaining_poor_people=pl.col("population").filter(pl.col("_poor")).sum().cast(pl.Int64),
    ).sort("code").collect()


# --- time -------------------------------------------------------------------------------------

def months_since(month_col: str, as_of) -> pl.Expr:
    """Whole months from the first day of a ``YYYY-MM`` month to ``as_of`` (a date, or an
    expression of dates); null when the month cannot be read (rules.md Terms "months since")."""
    start = pl.col(month_col).str.to_date("%Y-%m", strict=False)
    if isinstance(as_of, date):
        year, month = pl.lit(as_of.year), pl.lit(as_of.month)
    else:
        year, month = as_of.dt.year(), as_of.dt.month()
    return ((year - start.dt.year()) * 12 + (month - start.dt.month())).cast(pl.Int32)


def months_between(since_col: str, until_col: str) -> pl.Expr:
    """Whole months from the first day of month ``since_col`` to month ``until_col`` (both YYYY-MM)."""
    return months_since(since_col, pl.col(until_col).str.to_date("%Y-%m", strict=False))


# --- one object ------------------------------------------------------------------------------

def evaluate(expr: pl.Expr, row: dict, schema: dict[str, pl.DataType] | None = None):
    """The value of ``expr`` for one object given as a dict of canonical values."""
    frame = pl.DataFrame([row], schema=schema, orient="row") if schema else pl.DataFrame([row])
    return frame.select(expr).item()
