"""Reads for the work lists and dashboards, always through ``fupin.accounts.scoping``.

Work lists read the current verdicts (one row per household of the year, from the latest run
that assessed it) and data-quality findings of a region; dashboards read precomputed RegionStat
rows only, never the registry itself, so a page's cost does not grow with the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from fupin import divisions
from fupin.accounts import scoping
from fupin.assessments import selectors as assessment_selectors
from fupin.assessments.models import RegionStat, Verdict
from fupin.engine import rules as R
from fupin.registry.models import Household, Member, Region

WORK_LISTS = ("unmet", "unknown", "leads", "elimination", "quality")
LEAD_CATEGORIES = ("unstable", "marginal", "sudden", "unknown")


def region_prefix(user, code: str) -> str:
    """The division-code prefix of ``code``, refused (404) when outside the user's scope."""
    prefix = divisions.scope_prefix(code) if code else ""
    scoping.require_region(user, prefix or code)
    return prefix


def region_of(user, code: str) -> Region | None:
    scoping.require_region(user, divisions.scope_prefix(code))
    return scoping.restrict(Region.objects.all(), user).filter(code=divisions.pad12(code)).first()


def breadcrumbs(user, code: str) -> list[Region]:
    """The region and its ancestors the user may see, top first (one query)."""
    code12 = divisions.pad12(code)
    ancestors = {code12[:n] + "0" * (12 - n) for n in (2, 4, 6, 9, 12)}
    rows = scoping.restrict(Region.objects.filter(code__in=ancestors), user)
    return sorted(rows, key=lambda r: len(divisions.scope_prefix(r.code)))


def _has_current() -> bool:
    return any(f.name == "current" for f in Verdict._meta.concrete_fields)


def current_verdicts(user, prefix: str, year: int) -> QuerySet:
    qs = scoping.restrict(Verdict.objects.filter(year=year), user)
    if prefix:
        qs = qs.filter(**scoping.prefix_range("region_code", prefix))
    if _has_current():
        return qs.filter(current=True)
    run = assessment_selectors.latest_run(year)
    return qs.filter(run=run)


def _finding_model():
    try:
        from fupin.assessments.models import Finding
    except ImportError:  # older schema: findings only as Verdict.errors
        return None
    return Finding


def current_findings(user, prefix: str, year: int) -> QuerySet | None:
    Finding = _finding_model()
    if Finding is None:
        return None
    qs = scoping.restrict(Finding.objects.filter(year=year, current=True), user)
    return qs.filter(**scoping.prefix_range("region_code", prefix)) if prefix else qs


@dataclass
class WorkList:
    kind: str
    key: str                 # indicator, category, elimination value or finding code ('' = all)
    counts: list[tuple[str, str, int]]   # (key, label, households)
    rows: QuerySet
    total: int


def _counts(qs: QuerySet, conditions: dict[str, Q], label) -> list[tuple[str, str, int]]:
    figures = qs.aggregate(**{k: Count("pk", filter=c) for k, c in conditions.items()})
    return [(k, label(k), figures[k] or 0) for k in conditions]


def work_list(user, prefix: str, year: int, kind: str, key: str = "") -> WorkList:
    verdicts = current_verdicts(user, prefix, year)
    if kind == "unmet":
        conditions = {k: Q(**{k: "unmet"}) for k in R.INDICATORS}
        counts = _counts(verdicts, conditions, lambda k: R.label("indicator", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.filter(meets_standard="no")
    elif kind == "unknown":
        conditions = {k: Q(**{k: "unknown"}) for k in R.INDICATORS}
        counts = _counts(verdicts, conditions, lambda k: R.label("indicator", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.exclude(unknown="")
    elif kind == "leads":
        conditions = {k: Q(monitoring_category=k) for k in LEAD_CATEGORIES}
        counts = _counts(verdicts, conditions, lambda k: R.label("category", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.filter(
            monitoring_category__in=LEAD_CATEGORIES)
    elif kind == "elimination":
        labels = R.VALUE_LABELS["elimination"]
        conditions = {k: Q(elimination=k) for k in labels}
        counts = _counts(verdicts, conditions, lambda k: labels[k])
        rows = verdicts.filter(conditions.get(key or "ready", conditions["ready"]))
        key = key or "ready"
    elif kind == "quality":
        findings = current_findings(user, prefix, year)
        if findings is not None:
            by_code = findings.values("code").annotate(n=Count("household_id", distinct=True)).order_by("code")
            counts = [(r["code"], r["code"], r["n"]) for r in by_code]
            rows = findings.filter(code=key) if key else findings
            rows = rows.order_by("region_code", "household_id", "code")
            return WorkList(kind, key, counts, rows, rows.count())
        errors = verdicts.filter(meets_standard="error")
        counts = [("error", R.VALUE_LABELS["meets_standard"]["error"], errors.count())]
        rows = errors
    else:
        from django.http import Http404

        raise Http404("unknown work list")
    rows = rows.order_by("region_code", "household_id")
    return WorkList(kind, key, counts, rows, rows.count())


def heads_of(user, year: int, household_ids: list[str]) -> dict[str, Member]:
    """Household heads of a page of households, in one query."""
    members = scoping.restrict(
        Member.objects.filter(year=year, household_key__in=household_ids, relationship="户主"), user)
    return {m.household_key: m for m in members.only("household_key", "name", "id_number")}


def village_names(user, codes: list[str]) -> dict[str, str]:
    regions = scoping.restrict(Region.objects.filter(code__in=set(codes)), user)
    return dict(regions.values_list("code", "name"))


# --- dashboards ------------------------------------------------------------------------------

def dashboard_years(user, code: str) -> list[int]:
    return [s.year for s in assessment_selectors.region_trend(user, code)]


def dashboard(user, code: str, year: int | None):
    """(stat of the region, stats of its subregions, trend across years) — RegionStat rows only."""
    trend = list(assessment_selectors.region_trend(user, code))
    if year is None and trend:
        year = trend[-1].year
    stat = next((s for s in trend if s.year == year), None)
    children = list(assessment_selectors.subregion_stats(user, code, year)) if year else []
    return year, stat, children, trend


def household_exists(user, household_id: str) -> bool:
    return scoping.restrict(Household.objects.filter(household_id=household_id), user).exists()


def stat_of(stat: RegionStat | None, attr: str):
    return getattr(stat, attr, None) if stat is not None else None


def national_overview(user) -> tuple[int | None, list[RegionStat]]:
    """Province figures of the latest year, for users whose scope is the whole country."""
    stats = scoping.restrict(RegionStat.objects.filter(level="province"), user)
    year = stats.order_by("-year").values_list("year", flat=True).first()
    return year, list(stats.filter(year=year).order_by("code")) if year else []
