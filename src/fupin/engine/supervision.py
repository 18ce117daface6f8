"""Listed supervision and the rectification ledger, set-based (supervision-analytics.md A and B).

* :func:`select` — A.1: the regions of ``regions.region_summary`` with their reasons (the rule
  reasons of :func:`fupin.engine.regions.listed_reasons`, plus ``ranking``) and rank.
* :func:`clearance` — A.3: the failed conditions of listed regions from their counts.
* :func:`problem_clocks` — B.3: overdue, unclaimed, closed late, escalation, for any number of
  problems (one problem is a one-row frame: the same expressions).
* :func:`ledger_report` — B.5: 清零 progress per (region at a level, source).

Region helpers (the spec's header): a code is padded to 12 digits; its level is the last non-zero
group of 2+2+2+3+3 digits; ``parent`` zeroes that group (a province is its own parent).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine.policy import PolicySet
from fupin.engine.regions import LISTED_REASONS, listed_reasons, regions_frame

REASONS = (*LISTED_REASONS, "ranking")
LISTED_PARAMETERS = ("listed_village_poor_min", "listed_village_incidence_min", "listed_deep_poverty")
RANK_BY = ("projected_incidence", "remaining_poor_people")
CONDITIONS = ("poor", "guarantee", "verified", "problems", "exit")
GUARANTEE_INDICATORS = ("education", "medical", "housing", "water")
OPEN_STATES = ("new", "claimed", "rectifying", "pending")
SEP = ";"

# (start, end) of each group of the 12-digit code, deepest first.
_GROUPS = ((9, 12, "village"), (6, 9, "town"), (4, 6, "county"), (2, 4, "city"))


def level_expr(code: pl.Expr) -> pl.Expr:
    """The level of a 12-digit code: the last non-zero group."""
    out = pl.lit("province")
    for start, end, name in reversed(_GROUPS):
        out = pl.when(code.str.slice(start, end - start) != "0" * (end - start)).then(pl.lit(name)).otherwise(out)
    return out


def parent_expr(code: pl.Expr) -> pl.Expr:
    """The code with its last non-zero group zeroed (a province is its own parent)."""
    out = code
    for start, end, _name in reversed(_GROUPS):
        zeroed = code.str.slice(0, start) + pl.lit("0" * (12 - start))
        out = pl.when(code.str.slice(start, end - start) != "0" * (end - start)).then(zeroed).otherwise(out)
    return out


def truncate_expr(code: pl.Expr, digits: int) -> pl.Expr:
    """The code cut to ``digits`` and padded back to 12 (its region at a level)."""
    return code.str.slice(0, digits).str.pad_end(12, "0")


# --- A.1 selection --------------------------------------------------------------------------


def select(summary: pl.DataFrame, regions, *, level: str, year: int, policy: PolicySet, top: int | None = None,
           rank_by: str = "projected_incidence") -> pl.DataFrame:
    """The rows of ``summary`` (``region_summary`` at ``level``) that have a reason, by code,
    with ``rank`` and ``reasons``; the thresholds from ``policy`` (PolicyMissing when unset)."""
    flags = regions_frame(regions).select(pl.col("region_code").alias("code"), "poverty_county",
                                          "county_exit_year", "deep_poverty")
    frame = summary.drop([c for c in ("poverty_county", "county_exit_year", "deep_poverty") if c in summary.columns])
    frame = frame.join(flags, on="code", how="left")
    needed = (*LISTED_PARAMETERS,)
    pframe = policy.frame(year, frame["code"], needed=needed, parameters=needed).select("policy_key", *needed)
    frame = frame.with_columns(policy.policy_key_expr(pl.col("code"))).join(pframe, on="policy_key", how="left")
    frame = frame.with_columns(**{f"_r_{k}": e.fill_null(False) for k, e in listed_reasons(level, year).items()})
    if top is not None:
        ranked = (frame.filter(pl.col(rank_by).is_not_null())
                  .sort([rank_by, "remaining_poor_people", "code"], descending=[True, True, False], nulls_last=True)
                  .head(top).with_row_index("rank", offset=1).select("code", pl.col("rank").cast(pl.Int64)))
        frame = frame.join(ranked, on="code", how="left")
    else:
        frame = frame.with_columns(rank=pl.lit(None, dtype=pl.Int64))
    frame = frame.with_columns(_r_ranking=pl.col("rank").is_not_null())
    reasons = pl.concat_list([pl.when(pl.col(f"_r_{k}")).then(pl.lit(k)) for k in REASONS]).list.drop_nulls()
    return (frame.with_columns(reasons=reasons.list.join(SEP), _any=reasons.list.len() > 0)
            .filter(pl.col("_any") & (pl.col("households") > 0))
            .with_columns(deep_poverty=pl.col("deep_poverty").fill_null(False))
            .select("code", "name", "level", "households", "remaining_poor_people", "registered_rural_population",
                    "incidence", "projected_poor_people", "projected_incidence", "poverty_county",
                    "county_exit_year", "deep_poverty", "rank", "reasons", "policy")
            .sort("code"))


# --- A.3 clearance --------------------------------------------------------------------------


def guarantee_gap() -> pl.Expr:
    """A.3 ``guarantee``: a household's current verdict has education, medical, housing or water unmet."""
    return pl.any_horizontal([(pl.col(k) == "unmet").fill_null(False) for k in GUARANTEE_INDICATORS])


def unverified() -> pl.Expr:
    """A.3 ``verified`` fails for a household whose verdict is ``unverified`` or ``error`` — or
    that has no current verdict at all (not assessed is not verified)."""
    return pl.col("meets_standard").is_null() | pl.col("meets_standard").is_in(["unverified", "error"])


def clearance(frame: pl.DataFrame, *, year: int) -> pl.DataFrame:
    """``conditions_failed`` (keys in the spec's order, ``;``-joined) for rows with
    ``projected_poor_people``, ``guarantee_gap_households``, ``unverified_households``,
    ``open_problems``, ``level`` and ``county_exit_year``."""
    failed = {
        "poor": pl.col("projected_poor_people").fill_null(0) > 0,
        "guarantee": pl.col("guarantee_gap_households").fill_null(0) > 0,
        "verified": pl.col("unverified_households").fill_null(0) > 0,
        "problems": pl.col("open_problems").fill_null(0) > 0,
        "exit": (pl.col("level") == "county")
        & (pl.col("county_exit_year").is_null() | (pl.col("county_exit_year") > year)),
    }
    listed = pl.concat_list([pl.when(e).then(pl.lit(k)) for k, e in failed.items()]).list.drop_nulls()
    return frame.with_columns(conditions_failed=listed.list.join(SEP))


# --- B.1 due dates and B.3 clocks ---

DUE_PARAMETERS = ("problem_claim_days", "problem_deadline_days", "problem_immediate_days",
                  "problem_escalation_step_days")


def with_policy(frame: pl.DataFrame, policy: PolicySet, parameters: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` (``region_code``, ``received_on``) with the values of ``parameters`` of each row's
    year (of received_on) and region; PolicyMissing when one is not set."""
    if frame.height == 0:
        return frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(p) for p in parameters])
    frame = frame.with_columns(_py=pl.col("received_on").dt.year(),
                               policy_key=policy.policy_key_expr(pl.col("region_code").str.pad_end(12, "0")))
    parts = []
    for year in frame["_py"].unique().to_list():
        rows = frame.filter(pl.col("_py") == year)
        pframe = policy.frame(year, rows["region_code"].str.pad_end(12, "0"), needed=parameters,
                              parameters=parameters).select("policy_key", *[pl.col(p).cast(pl.Float64) for p in parameters])
        parts.append(rows.drop([p for p in parameters if p in rows.columns]).join(pframe, on="policy_key", how="left"))
    return pl.concat(parts).drop("_py", "policy_key")


def due_dates(frame: pl.DataFrame, policy: PolicySet) -> pl.DataFrame:
    """B.1: ``claim_due`` = received_on + problem_claim_days; ``deadline`` = the given one (column
    ``deadline``, may be null), else received_on + problem_immediate_days (``immediate``) or
    problem_deadline_days; ``original_deadline`` = deadline."""
    out = with_policy(frame, policy, DUE_PARAMETERS[:3])
    days = pl.when(pl.col("immediate").fill_null(False)).then(pl.col("problem_immediate_days")).otherwise(
        pl.col("problem_deadline_days")).cast(pl.Int64)
    out = out.with_columns(
        claim_due=pl.col("received_on") + pl.duration(days=pl.col("problem_claim_days").cast(pl.Int64)),
        deadline=pl.coalesce(pl.col("deadline").cast(pl.Date) if "deadline" in out.columns else pl.lit(None, pl.Date),
                             pl.col("received_on") + pl.duration(days=days)),
    ).with_columns(original_deadline=pl.col("deadline"))
    return out.drop(*DUE_PARAMETERS[:3])


# --- B.3 clocks -----------------------------------------------------------------------------


def problem_clocks(problems: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Adds ``open, overdue, days_overdue, unclaimed_overdue, closed_late, escalation,
    escalated_to`` to problems with ``state, region_code, deadline, claim_due, verified_on`` and
    ``problem_escalation_step_days`` (the policy of each problem's year and region)."""
    today = pl.lit(as_of, dtype=pl.Date)
    is_open = pl.col("state").is_in(list(OPEN_STATES))
    days = (today - pl.col("deadline")).dt.total_days()
    overdue = is_open & (days > 0)
    step = pl.col("problem_escalation_step_days").cast(pl.Int64)
    escalation = pl.when(overdue).then(1 + (days - 1) // step).otherwise(0).cast(pl.Int64)
    out = problems.with_columns(
        open=is_open, overdue=overdue, days_overdue=pl.when(overdue).then(days).otherwise(0).cast(pl.Int64),
        unclaimed_overdue=(pl.col("state") == "new") & (today > pl.col("claim_due")),
        closed_late=(pl.col("state") == "closed") & (pl.col("verified_on") > pl.col("deadline")).fill_null(False),
        escalation=escalation,
        _code=pl.col("region_code").str.pad_end(12, "0"),
    )
    # Up is at most four steps from a village to its province; more escalation stops there.
    up = pl.col("_code")
    for i in range(1, 5):
        up = pl.when(pl.col("escalation") >= i).then(parent_expr(up)).otherwise(up)
    return out.with_columns(escalated_to=pl.when(pl.col("escalation") > 0).then(up)).drop("_code")


# --- B.5 report -----------------------------------------------------------------------------

REPORT_COLUMNS = ("code", "name", "level", "source", "total", "void", "effective", "closed", "closed_late", "open",
                  "overdue", "unclaimed_overdue", "escalated", "oldest_open_days", "clear_rate", "cleared")
LEVEL_DIGITS = {"village": 12, "town": 9, "county": 6}


def ledger_report(problems: pl.DataFrame, *, level: str, as_of: date, names: dict[str, str | None]) -> pl.DataFrame:
    """Rows per (code, source) and (code, ``all``) from problems with their clocks.

    A problem counts in the row of its region truncated to ``level``; a problem above the level
    (its code has fewer significant digits) keeps its own code."""
    digits = LEVEL_DIGITS[level]
    code = pl.col("region_code").str.pad_end(12, "0")
    own = level_expr(code).replace_strict({"village": 12, "town": 9, "county": 6, "city": 4, "province": 2},
                                          return_dtype=pl.Int64)
    frame = problems.with_columns(
        code=pl.when(own < digits).then(code).otherwise(truncate_expr(code, digits)),
        _age=(pl.lit(as_of, dtype=pl.Date) - pl.col("received_on")).dt.total_days(),
    )
    aggs = {
        "total": pl.len().cast(pl.Int64),
        "void": (pl.col("state") == "void").sum().cast(pl.Int64),
        "closed": (pl.col("state") == "closed").sum().cast(pl.Int64),
        "closed_late": pl.col("closed_late").sum().cast(pl.Int64),
        "open": pl.col("open").sum().cast(pl.Int64),
        "overdue": pl.col("overdue").sum().cast(pl.Int64),
        "unclaimed_overdue": pl.col("unclaimed_overdue").sum().cast(pl.Int64),
        "escalated": (pl.col("escalation") >= 1).sum().cast(pl.Int64),
        "oldest_open_days": pl.col("_age").filter(pl.col("open")).max().cast(pl.Int64),
    }
    by_source = frame.group_by("code", "source").agg(**aggs)
    everything = frame.group_by("code").agg(**aggs).with_columns(source=pl.lit("all"))
    out = pl.concat([by_source, everything.select(by_source.columns)])
    out = out.with_columns(effective=pl.col("total") - pl.col("void")).with_columns(
        clear_rate=pl.when(pl.col("effective") > 0).then(pl.col("closed") / pl.col("effective")),
        cleared=pl.col("open") == 0,
        level=level_expr(pl.col("code")),
        name=pl.col("code").replace_strict(names, default=None, return_dtype=pl.String),
    )
    return out.sort("code", "source").select(REPORT_COLUMNS)
