"""The one region-scoping layer. Every read or write of registry data goes through here.

A user's scope is a division-code prefix (``500101`` = 万州区 and everything under it). Each
scoped model names the path to its 12-digit region code in ``REGION_PATHS``; ``restrict`` is the
only place that turns a scope into a filter, so no view filters by hand. Objects outside the
scope are reported as not found (404), never as an empty success that would leak counts.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.models import Role

# model label -> lookup path to its 12-digit region code
REGION_PATHS: dict[str, str] = {
    "registry.Region": "code",
    "registry.Household": "region_code",
    "assessments.RegionStat": "code",
    "registry.Member": "household__region_code",
    "assessments.Verdict": "region_code",
    "assessments.Finding": "region_code",
    "jobs.Job": "region",
    "monitoring.Lead": "region_code",
    "monitoring.Assistance": "region_code",
    "monitoring.MatchBatch": "region_prefix",
}

READ_ONLY_ROLES = {Role.ANALYST}
# Roles that may see full ID numbers and phones in a household file (each view is logged).
SENSITIVE_ROLES = {Role.VILLAGE, Role.TOWN, Role.COUNTY, Role.ADMIN}
EDIT_ROLES = {Role.VILLAGE, Role.TOWN, Role.COUNTY, Role.ADMIN}
JOB_ROLES = {Role.COUNTY, Role.ADMIN, Role.STEWARD}


def scope_of(user) -> str | None:
    """The user's prefix; None when the user may see nothing (anonymous or inactive)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.region or ""


def in_scope(user, region_code: str | None) -> bool:
    prefix = scope_of(user)
    return prefix is not None and region_code is not None and str(region_code).startswith(prefix)


def prefix_range(path: str, prefix: str) -> dict:
    """Lookups selecting codes that start with ``prefix`` as a range, not ``LIKE 'p%'``.

    Codes are digit strings, so [prefix, prefix + 1) is exactly the subtree, and a range can
    use the (year, region_code, …) index under any collation (PostgreSQL cannot use a
    btree index for LIKE under a non-C collation).
    """
    if not prefix:
        return {}
    upper = str(int(prefix) + 1).zfill(len(prefix))
    if len(upper) > len(prefix):  # all nines: no upper bound within the same length
        return {f"{path}__gte": prefix}
    return {f"{path}__gte": prefix, f"{path}__lt": upper}


def restrict(queryset, user):
    """``queryset`` narrowed to the user's region; empty for users without a scope."""
    label = queryset.model._meta.label
    path = REGION_PATHS.get(label)
    if path is None:
        raise LookupError(f"{label} has no region path: add it to scoping.REGION_PATHS")
    prefix = scope_of(user)
    if prefix is None:
        return queryset.none()
    return queryset.filter(**prefix_range(path, prefix))


def require_region(user, code: str) -> str:
    """A region code (or prefix) the user asked for, or 404 when it is not inside the scope.

    A code *above* the user's scope (a village cadre asking for the county) is refused too,
    so counts of other villages never leak.
    """
    prefix = scope_of(user)
    if prefix is None or not code or not code.startswith(prefix):
        raise Http404("not in your region")
    return code


def clamp_region(user, requested: str | None) -> str:
    """The prefix to use for a list: the requested one if inside the scope, else the scope."""
    prefix = scope_of(user)
    if prefix is None:
        raise PermissionDenied
    if not requested:
        return prefix
    if not requested.startswith(prefix):
        raise Http404("not in your region")
    return requested


def get_scoped(queryset, user, **lookup):
    """One object within scope, or 404."""
    try:
        return restrict(queryset, user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def can_edit(user) -> bool:
    return scope_of(user) is not None and user.role in EDIT_ROLES


def can_see_sensitive(user) -> bool:
    return scope_of(user) is not None and user.role in SENSITIVE_ROLES


def can_run_jobs(user) -> bool:
    return scope_of(user) is not None and user.role in JOB_ROLES
