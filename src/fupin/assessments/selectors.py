"""Reads of assessment results, through the scoping layer."""

from __future__ import annotations

from django.db.models import QuerySet

from fupin.accounts import scoping
from fupin.assessments.models import AssessmentRun, Finding, RegionStat, Verdict


def latest_run(year: int) -> AssessmentRun | None:
    return AssessmentRun.objects.filter(year=year).order_by("-created_at", "-pk").first()


def latest_verdict(user, household_id: str, year: int) -> Verdict | None:
    return (
        scoping.restrict(Verdict.objects.all(), user)
        .filter(household_id=household_id, year=year, current=True)
        .select_related("run").first()
    )


def verdict_history(user, household_id: str) -> QuerySet:
    """Every verdict of the household across years and runs, newest first."""
    return (
        scoping.restrict(Verdict.objects.all(), user)
        .filter(household_id=household_id)
        .select_related("run").order_by("-year", "-run__created_at", "-pk")
    )


def current_verdicts(user, year: int) -> QuerySet:
    """Each household's newest verdict of ``year`` within the user's scope."""
    return scoping.restrict(Verdict.objects.filter(year=year, current=True), user)


def current_findings(user, year: int) -> QuerySet:
    return scoping.restrict(Finding.objects.filter(year=year, current=True), user)


def households_with_unmet(user, year: int, indicator: str) -> QuerySet:
    """household_id values whose current verdict of ``year`` has ``indicator`` unmet."""
    qs = current_verdicts(user, year)
    return qs.filter(**{indicator: "unmet"}).values("household_id") if indicator in {
        "income", "food", "clothing", "education", "medical", "housing", "water"} else qs.none().values("household_id")


def region_stat(user, code: str, year: int) -> RegionStat | None:
    scoping.require_region(user, code)
    return RegionStat.objects.filter(year=year, code=(code + "0" * 12)[:12]).first()


def subregion_stats(user, code: str, year: int) -> QuerySet:
    scoping.require_region(user, code)
    return RegionStat.objects.filter(year=year, parent_code=(code + "0" * 12)[:12]).order_by("code")


def region_trend(user, code: str) -> QuerySet:
    scoping.require_region(user, code)
    return RegionStat.objects.filter(code=(code + "0" * 12)[:12]).order_by("year")
