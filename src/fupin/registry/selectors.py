"""Reads of the registry for pages and the API, always through the scoping layer.

Lists are keyset-friendly and bounded: a page of households costs a fixed number of queries
whatever the size of the registry (members are prefetched in one query, verdicts in one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from fupin.accounts import scoping
from fupin.registry.models import Household, Member, Region

PAGE_SIZE = 25
SEARCH_LIMIT = 500  # households a search can return; a name search wider than that needs filters

ID_LIKE = re.compile(r"^\d{6,17}[\dXx]$")
PHONE_LIKE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")


@dataclass(frozen=True)
class HouseholdFilter:
    year: int | None = None
    region: str | None = None          # a prefix inside the user's scope
    status: str | None = None          # 未脱贫 / 已脱贫 / 返贫 / general
    category: str | None = None        # monitoring category (Chinese, exchange values)
    unmet: str | None = None           # indicator key from the latest verdict
    q: str | None = None               # name, ID number, 户编号 or phone


def latest_year(user) -> int | None:
    return scoping.restrict(Household.objects.all(), user).order_by("-year").values_list("year", flat=True).first()


def years(user) -> list[int]:
    """The years of the registry within the user's scope.

    Read from the precomputed region figures (one row per region and year) — a DISTINCT over
    the households themselves costs a scan of the scope, 0.2 s at a million households.
    """
    from fupin.assessments.models import RegionStat

    prefix = scoping.scope_of(user)
    if prefix is None:
        return []
    stats = RegionStat.objects.filter(code=(prefix + "0" * 12)[:12]) if prefix else RegionStat.objects.all()
    found = sorted(set(stats.values_list("year", flat=True).distinct()))
    if found:
        return found
    return sorted(set(scoping.restrict(Household.objects.all(), user).values_list("year", flat=True).distinct()))


def household_list(user, filters: HouseholdFilter) -> QuerySet:
    """Households visible to ``user`` matching ``filters``, household heads prefetched."""
    qs = scoping.restrict(Household.objects.all(), user)
    year = filters.year or latest_year(user)
    qs = qs.filter(year=year)
    if filters.region:
        qs = qs.filter(**scoping.prefix_range("region_code", scoping.clamp_region(user, filters.region)))
    if filters.status == "general":
        qs = qs.filter(registered=False)
    elif filters.status:
        qs = qs.filter(poverty_status=filters.status)
    if filters.category:
        qs = qs.filter(monitoring_category=filters.category)
    if filters.unmet:
        from fupin.assessments.selectors import households_with_unmet

        qs = qs.filter(household_id__in=households_with_unmet(user, year, filters.unmet))
    if filters.q:
        qs = qs.filter(_search_condition(filters.q.strip(), year))
    heads = Member.objects.filter(relationship="户主").only("id", "household_id", "name", "id_number", "household_key")
    return qs.order_by("region_code", "household_id").prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))


def household_total(user, filters: HouseholdFilter, queryset: QuerySet) -> int:
    """The number of households a list shows, without counting a million rows when possible.

    With only a year and a region, the precomputed figure of that region (RegionStat,
    refreshed by every import and assessment) is the answer; other filters count the query.
    """
    if not (filters.status or filters.category or filters.unmet or filters.q):
        from fupin.assessments.models import RegionStat

        prefix = scoping.clamp_region(user, filters.region)
        year = filters.year or latest_year(user)
        if prefix and len(prefix) in (2, 4, 6, 9, 12):
            stat = RegionStat.objects.filter(year=year, code=(prefix + "0" * 12)[:12]).only("households").first()
            if stat is not None:
                return stat.households
    return queryset.count()


def _search_condition(q: str, year: int | None) -> Q:
    """Search by 户编号, ID number, phone or name, each through an index.

    The matching members are looked up first (a bounded list of household keys), so that the
    household query is a plain IN on the primary key instead of an OR with a subquery, which
    PostgreSQL answers by scanning the year's households.
    """
    members = Member.objects.filter(year=year) if year else Member.objects.all()
    condition = Q(household_id=q)
    if ID_LIKE.match(q):
        by_id = members.filter(id_number=q.upper()) if len(q) == 18 else members.filter(id_number__startswith=q.upper())
        condition |= Q(pk__in=list(by_id.values_list("household_id", flat=True)[:SEARCH_LIMIT]))
    if PHONE_LIKE.match(q):
        condition |= Q(phone=q)
    if not ID_LIKE.match(q) and not PHONE_LIKE.match(q):
        by_name = members.filter(name__startswith=q)
        condition |= Q(pk__in=list(by_name.values_list("household_id", flat=True)[:SEARCH_LIMIT]))
    return condition


def household_file(user, household_id: str, year: int | None = None) -> Household:
    """One household of a year (latest when not given) with its members, or 404."""
    qs = scoping.restrict(Household.objects.all(), user).filter(household_id=household_id)
    if year:
        qs = qs.filter(year=year)
    household = qs.order_by("-year").prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("id"))
    ).first()
    if household is None:
        from django.http import Http404

        raise Http404("household not found in your region")
    return household


def household_years(user, household_id: str) -> list[int]:
    return list(
        scoping.restrict(Household.objects.all(), user)
        .filter(household_id=household_id).order_by("year").values_list("year", flat=True)
    )


def field_history(household: Household, limit: int = 200) -> list[dict]:
    """Changes of every field of the household and its members, newest first.

    Each entry: when, who, what (household or member name), field label, old and new value.
    """
    entries: list[dict] = []

    def diff_records(records, label_of):
        records = list(records)
        for newer, older in zip(records, records[1:] + [None]):
            who = newer.history_user.username if newer.history_user_id else (newer.history_change_reason or "")
            if older is None:
                entries.append({"at": newer.history_date, "who": who, "what": label_of(newer),
                                "field": "新建" if newer.history_type == "+" else newer.get_history_type_display(),
                                "old": "", "new": ""})
                continue
            if newer.history_type == "-":
                entries.append({"at": newer.history_date, "who": who, "what": label_of(newer),
                                "field": "移除", "old": "", "new": ""})
                continue
            delta = newer.diff_against(older)
            for change in delta.changes:
                if change.field in ("version", "import_batch"):
                    continue
                field = newer.instance_type._meta.get_field(change.field)
                entries.append({"at": newer.history_date, "who": who, "what": label_of(newer),
                                "field": str(field.verbose_name), "old": _shown(change.old),
                                "new": _shown(change.new)})

    diff_records(
        household.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit],
        lambda r: f"户 {r.household_id}",
    )
    # By the household's primary key (indexed in the history table), not by 户编号 (not indexed).
    member_history = Member.history.filter(household_id=household.pk)
    by_member: dict[int, list] = {}
    for record in member_history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]:
        by_member.setdefault(record.id, []).append(record)
    for records in by_member.values():
        diff_records(records, lambda r: r.name)
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def _shown(value) -> str:
    """A stored value as the exchange format writes it: 是/否, empty for unknown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def region_children(user, code: str) -> QuerySet:
    """Subregions of ``code`` one level down, within scope."""
    scoping.require_region(user, code)
    code12 = (code + "0" * 12)[:12]
    return scoping.restrict(Region.objects.filter(parent_id=code12), user).order_by("code")
