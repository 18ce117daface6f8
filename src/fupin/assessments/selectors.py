"""Reads of assessment results, region figures and the household list, always within a scope.

Lists are bounded: a page of households costs a fixed number of queries whatever the size of the
registry (heads are prefetched in one query), and totals and years come from the precomputed
region figures instead of counting a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.assessments.models import Finding, RegionStat, Verdict
from fupin.engine import rules as R
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household, Member

PAGE_SIZE = 25
GENERAL = registry_selectors.GENERAL


def latest_verdict(scope: Scope, household_id: str, year: int) -> Verdict | None:
    return (
        Verdict.objects.within(scope).filter(household_id=household_id, year=year, current=True)
        .select_related("run").first()
    )


def verdict_history(scope: Scope, household_id: str) -> QuerySet:
    """Every verdict of the household across years and runs, newest first."""
    return (
        Verdict.objects.within(scope).filter(household_id=household_id)
        .select_related("run").order_by("-year", "-run__created_at", "-pk")
    )


def current_verdicts(scope: Scope, year: int) -> QuerySet:
    """Each household's newest verdict of ``year`` within the scope."""
    return Verdict.objects.within(scope).filter(year=year, current=True)


def current_findings(scope: Scope, year: int) -> QuerySet:
    return Finding.objects.within(scope).filter(year=year, current=True)


def households_with_unmet(scope: Scope, year: int, indicator: str) -> QuerySet:
    """household_id values whose current verdict of ``year`` has ``indicator`` unmet."""
    qs = current_verdicts(scope, year)
    if indicator not in R.INDICATORS:
        return qs.none().values("household_id")
    return qs.filter(**{indicator: "unmet"}).values("household_id")


def region_stat(scope: Scope, code: str, year: int) -> RegionStat | None:
    """The figures of one region (inside the scope, else 404) and year."""
    area = scope.narrow(code)
    return RegionStat.objects.within(area).filter(year=year, code=divisions.pad12(area.prefix)).first()


def subregion_stats(scope: Scope, code: str, year: int) -> QuerySet:
    area = scope.narrow(code)
    return RegionStat.objects.within(area).filter(year=year, parent_code=divisions.pad12(area.prefix)).order_by("code")


def region_trend(scope: Scope, code: str) -> QuerySet:
    area = scope.narrow(code)
    return RegionStat.objects.within(area).filter(code=divisions.pad12(area.prefix)).order_by("year")


def years(scope: Scope) -> list[int]:
    """The years of the registry within the scope.

    Read from the precomputed region figures (one row per region and year, written by every
    import) — a DISTINCT over the households themselves costs a scan of the scope, 0.2 s at a
    million households; the households only when there are no figures yet."""
    stats = RegionStat.objects.within(scope)
    if scope.prefix:
        stats = stats.filter(code=divisions.pad12(scope.prefix))
    found = sorted(set(stats.values_list("year", flat=True).distinct()))
    if found:
        return found
    return sorted(set(Household.objects.within(scope).values_list("year", flat=True).distinct()))


def latest_year(scope: Scope) -> int | None:
    found = years(scope)
    return found[-1] if found else None


def province_overview(scope: Scope) -> tuple[int | None, list[RegionStat]]:
    """Province figures of the latest year, for a scope that is the whole country."""
    stats = RegionStat.objects.within(scope).filter(level="province")
    year = stats.order_by("-year").values_list("year", flat=True).first()
    return year, list(stats.filter(year=year).order_by("code")) if year else []


@dataclass(frozen=True)
class HouseholdFilter:
    year: int | None = None
    region: str | None = None          # a prefix inside the scope
    status: str | None = None          # 未脱贫 / 已脱贫 / 返贫 / general
    category: str | None = None        # monitoring category (the exchange format's value)
    unmet: str | None = None           # indicator key from the latest verdict
    q: str | None = None               # name, ID number, 户编号 or phone


def household_list(scope: Scope, filters: HouseholdFilter) -> QuerySet:
    """Households inside the scope matching ``filters``, household heads prefetched."""
    area = scope.narrow(filters.region)
    year = filters.year or latest_year(scope)
    qs = Household.objects.within(area).filter(year=year)
    if filters.status == GENERAL:
        qs = qs.filter(Q(registered=False) | Q(registered__isnull=True))
    elif filters.status:
        qs = qs.filter(registered=True, poverty_status=filters.status)
    if filters.category:
        qs = qs.filter(monitoring_category=filters.category)
    if filters.unmet:
        qs = qs.filter(household_id__in=households_with_unmet(area, year, filters.unmet))
    if filters.q:
        qs = qs.filter(registry_selectors.search_condition(area, filters.q.strip(), year))
    heads = Member.objects.within(area).filter(relationship="户主").only(
        "id", "household_id", "name", "id_number", "household_key")
    return qs.order_by("region_code", "household_id").prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))


def household_total(scope: Scope, filters: HouseholdFilter, queryset: QuerySet) -> int:
    """The number of households a list shows, without counting a million rows when possible.

    With only a year and a region, the precomputed figure of that region (RegionStat,
    refreshed by every import and assessment) is the answer; other filters count the query.
    """
    if not (filters.status or filters.category or filters.unmet or filters.q):
        area = scope.narrow(filters.region)
        year = filters.year or latest_year(scope)
        if area.prefix and len(area.prefix) in (2, 4, 6, 9, 12):
            stat = (RegionStat.objects.within(area).filter(year=year, code=divisions.pad12(area.prefix))
                    .only("households").first())
            if stat is not None:
                return stat.households
    return queryset.count()
