"""Reads of the ledger and the listings, always through a scope."""

from __future__ import annotations

import polars as pl
from django.db.models import QuerySet

from fupin.accounts.scoping import Scope, get_scoped
from fupin.engine import supervision as engine
from fupin.engine.policy import PolicySet
from fupin.supervision.models import Evidence, Listing, ListingStatus, Problem

PROBLEM_FRAME = {
    "problem_id": pl.String, "year": pl.Int32, "source": pl.String, "category": pl.String, "state": pl.String,
    "region_code": pl.String, "received_on": pl.Date, "claim_due": pl.Date, "deadline": pl.Date,
    "verified_on": pl.Date, "responsible_unit": pl.String, "natural_key": pl.String,
}


def problems(scope: Scope, *, year: int | None = None, state: str | None = None, source: str | None = None) -> QuerySet:
    qs = Problem.objects.within(scope)
    if year is not None:
        qs = qs.filter(year=year)
    if state == "open":
        qs = qs.exclude(state__in=("closed", "void"))
    elif state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("deadline", "problem_id")


def problem(scope: Scope, pk: int) -> Problem:
    return get_scoped(Problem.objects.all(), scope, pk=pk)


def problems_frame(scope: Scope, *, year: int | None = None) -> pl.DataFrame:
    """The scope's problems (of ``year``) as a frame of :data:`PROBLEM_FRAME`."""
    qs = Problem.objects.within(scope)
    if year is not None:
        qs = qs.filter(year=year)
    rows = list(qs.values_list(*PROBLEM_FRAME))
    return pl.DataFrame(rows, schema=PROBLEM_FRAME, orient="row")


def evidence(scope: Scope, pk: int) -> Evidence:
    return get_scoped(Evidence.objects.select_related("problem"), scope, pk=pk)


def listings(scope: Scope, *, year: int | None = None, active: bool = True) -> QuerySet:
    qs = Listing.objects.within(scope)
    if year is not None:
        qs = qs.filter(year=year)
    if active:
        qs = qs.exclude(status=ListingStatus.DELISTED)
    return qs.order_by("region_code")


def listing(scope: Scope, pk: int) -> Listing:
    return get_scoped(Listing.objects.all(), scope, pk=pk)


def active_listing(scope: Scope, year: int, code12: str) -> Listing | None:
    return Listing.objects.within(scope).filter(year=year, region_code=code12).exclude(
        status=ListingStatus.DELISTED).first()


# --- the 问题清单 page (web): problems with their B.3 clocks ----------------------------------------

LIST_FRAME = {"id": pl.Int64, **PROBLEM_FRAME, "description": pl.String, "immediate": pl.Boolean}


def problem_list(scope: Scope, policy: PolicySet, *, as_of, year: int | None = None, state: str | None = None,
                 source: str | None = None, overdue: bool = False) -> pl.DataFrame:
    """The scope's problems (``state`` a key or ``open``) with the engine's B.3 clocks at ``as_of``,
    overdue ones only when asked; longest overdue first, then by deadline and number. The clocks
    are :func:`fupin.engine.supervision.problem_clocks` — the report's own expressions."""
    rows = list(problems(scope, year=year, state=state, source=source).values_list(*LIST_FRAME))
    frame = pl.DataFrame(rows, schema=LIST_FRAME, orient="row")
    stepped = engine.with_policy(frame, policy, ("problem_escalation_step_days",))
    clocked = engine.problem_clocks(stepped, as_of)
    if overdue:
        clocked = clocked.filter(pl.col("overdue"))
    return clocked.sort(["days_overdue", "deadline", "problem_id"], descending=[True, False, False])


def problem_years(scope: Scope) -> list[int]:
    """The years of the scope's problems, latest first."""
    return list(Problem.objects.within(scope).order_by("-year").values_list("year", flat=True).distinct())


def listing_years(scope: Scope) -> list[int]:
    """The years of the scope's listings, latest first."""
    return list(Listing.objects.within(scope).order_by("-year").values_list("year", flat=True).distinct())
