"""Reads of the registry for pages and the API, always within a scope.

The household list, which filters by verdicts and counts from the region figures, is
:func:`fupin.assessments.selectors.household_list`.
"""

from __future__ import annotations

import re

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.engine import facts, idnumber
from fupin.registry.models import Household, Member, Region

SEARCH_LIMIT = 500  # households a search can return; a name search wider than that needs filters

ID_LIKE = re.compile(r"^\d{6,17}[\dXx]$")
PHONE_LIKE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
GENERAL = "general"  # the list filter value for households not registered (一般农户)


def search_condition(scope: Scope, q: str, year: int | None) -> Q:
    """Search by 户编号, ID number, phone or name, each through an index, within the scope.

    The matching members are looked up first — inside the scope, before the limit, so that a
    common name elsewhere in the country cannot crowd out the scope's own — as a bounded list of
    household keys, so that the household query is a plain IN on the primary key instead of an
    OR with a subquery, which PostgreSQL answers by scanning the year's households.
    """
    members = Member.objects.within(scope)
    if year:
        members = members.filter(year=year)
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


def household_file(scope: Scope, household_id: str, year: int | None = None) -> Household:
    """One household of a year (latest when not given) with its members, or 404."""
    qs = Household.objects.within(scope).filter(household_id=household_id)
    if year:
        qs = qs.filter(year=year)
    household = qs.order_by("-year").prefetch_related(
        Prefetch("members", queryset=Member.objects.within(scope).order_by("id"))
    ).first()
    if household is None:
        raise Http404("household not found in your region")
    return household


def household_years(scope: Scope, household_id: str) -> list[int]:
    return list(
        Household.objects.within(scope).filter(household_id=household_id).order_by("year").values_list("year", flat=True)
    )


def household_members(household: Household) -> list[Member]:
    """The members of a household already read within a scope, in their order."""
    return list(household.members.order_by("id"))


# Values a change history never shows in full: ID numbers and phones are masked for everyone (a
# reveal is a logged act of its own); health is shown only to roles that may reveal.
ALWAYS_MASKED = ("id_number", "phone")
REVEAL_ONLY = ("health", "disability_grade")


def field_history(household: Household, limit: int = 200, *, scope: Scope | None = None) -> list[dict]:
    """Changes of every field of the household and its members, newest first.

    ``household`` has been read within a scope; its history and its members' history are reached
    through it. Each entry: when, who, what (household or member name), field label, old and new
    value — ID numbers and phones masked, health hidden unless ``scope`` may reveal.
    """
    reveal = scope is not None and scope.can_see_sensitive

    def shown(field_name: str, value) -> str:
        text = _shown(value)
        if not text:
            return text
        if field_name in ALWAYS_MASKED:
            return idnumber.mask(text)
        if field_name in REVEAL_ONLY and not reveal:
            return "（已隐藏）"
        return text

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
                                "field": str(field.verbose_name), "old": shown(change.field, change.old),
                                "new": shown(change.field, change.new)})

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


def region_children(scope: Scope, code: str) -> QuerySet:
    """Subregions of ``code`` one level down, within scope."""
    area = scope.narrow(code)
    return Region.objects.within(scope).filter(parent_id=divisions.pad12(area.prefix)).order_by("code")


def villages(scope: Scope) -> list[tuple[str, str]]:
    """The villages of the scope, each once, as (code, "town · village") sorted by code."""
    rows = (Region.objects.within(scope).filter(level="village").select_related("parent")
            .order_by("code").only("code", "name", "parent__name"))
    seen: dict[str, str] = {}
    for region in rows:
        town = region.parent.name if region.parent_id else ""
        seen.setdefault(region.code, f"{town} · {region.name}" if town else region.name)
    return list(seen.items())


def subregion_choices(scope: Scope, limit: int = 500) -> list[tuple[str, str]]:
    """Towns of a county scope, villages of a town scope, for a list filter (one query)."""
    level = divisions.level_of(divisions.pad12(scope.prefix)) if scope.prefix else "province"
    child_level = {"county": "town", "town": "village"}.get(level)
    if child_level is None:
        return []
    regions = Region.objects.within(scope).filter(level=child_level).order_by("code").only("code", "name")[:limit]
    return [(divisions.scope_prefix(r.code), r.name) for r in regions]


def registry_status_choices() -> list[tuple[str, str]]:
    return [(s, s) for s in facts.REGISTRY_STATUSES if s != facts.GENERAL_HOUSEHOLD] + [(GENERAL, facts.GENERAL_HOUSEHOLD)]
