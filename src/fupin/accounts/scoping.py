"""The one region-scoping layer: a :class:`Scope`, and managers that read only through one.

A scope is a division-code prefix (``500101`` = 万州区 and everything under it; ``""`` = the
whole country) with the role acting in it: a user's (:meth:`Scope.of`) or the operator's at the
command line (:meth:`Scope.system`, optionally narrowed to a region).

Every model with a region or a household behind it has a :class:`ScopedManager` as its default
manager, which knows the lookup path to the model's 12-digit region code. Its querysets refuse to
be evaluated (:class:`UnscopedQuery`) until they are either narrowed with ``.within(scope)`` or
explicitly opened with ``.unscoped(reason)`` — so a forgotten scope fails loudly in tests instead
of leaking another region's data. Related managers (``household.members``) are scoped by their
parent object and pass. Models that are not regional are listed in :data:`UNSCOPED_MODELS` with
the reason; a test enumerates every model and fails on one that is neither.

Objects outside the scope are reported as not found (404), never as an empty success that would
leak counts; a role that may not do something gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from fupin import divisions
from fupin.accounts.roles import Role

SYSTEM = "system"  # the operator at the command line: every capability within the scope


class Capability:
    """What a role may do inside its scope (one table, :data:`CAPABILITIES`)."""

    READ = "read"                  # registry pages, lists, dashboards, leads
    EDIT = "edit"                  # edit households and members, record leads, take workflow steps
    REVEAL = "reveal"              # see full ID numbers and phones on request (each view logged)
    IMPORT = "import"              # load registry files (a write to every household they touch)
    ASSESS = "assess"              # run and store assessments (with their leads)
    MATCH = "match"                # upload department lists for matching, and their rejects
    EXPORT = "export"              # export the registry with full ID numbers (each download logged)
    POLICY = "policy"              # see the policy values in force with their sources
    AUDIT = "audit"                # read the log of sensitive views and downloads
    ANALYSE = "analyse"            # sampling draws, MPI, policy scenarios and the upward report tables


C = Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.VILLAGE: frozenset({C.READ, C.EDIT, C.REVEAL}),
    Role.TOWN: frozenset({C.READ, C.EDIT, C.REVEAL}),
    Role.COUNTY: frozenset({C.READ, C.EDIT, C.REVEAL, C.IMPORT, C.ASSESS, C.MATCH, C.EXPORT, C.ANALYSE}),
    Role.ANALYST: frozenset({C.READ, C.POLICY, C.ANALYSE}),
    # A department's data steward sends lists and nothing else: no registry page, no export.
    Role.STEWARD: frozenset({C.MATCH}),
    Role.ADMIN: frozenset({C.READ, C.EDIT, C.REVEAL, C.IMPORT, C.ASSESS, C.MATCH, C.EXPORT, C.POLICY, C.AUDIT,
                           C.ANALYSE}),
    SYSTEM: frozenset({C.READ, C.EDIT, C.REVEAL, C.IMPORT, C.ASSESS, C.MATCH, C.EXPORT, C.POLICY, C.AUDIT, C.ANALYSE}),
}
JOB_CAPABILITIES = frozenset({C.IMPORT, C.ASSESS, C.MATCH, C.EXPORT})
REFUSALS = {
    C.READ: "您的角色不能查看登记数据",
    C.EDIT: "只读角色不能修改数据",
    C.REVEAL: "您的角色不能查看完整证件号码和电话",
    C.IMPORT: "您的角色不能导入登记数据",
    C.ASSESS: "您的角色不能运行评估",
    C.MATCH: "您的角色不能上传部门数据",
    C.EXPORT: "您的角色不能导出登记数据",
    C.POLICY: "您的角色不能查看政策参数",
    C.AUDIT: "只有管理员可以查看敏感信息访问记录",
    C.ANALYSE: "您的角色不能使用分析功能",
}

# Models that are not regional, with the reason (tests/accounts check every model is scoped or here).
UNSCOPED_MODELS: dict[str, str] = {
    "accounts.User": "users are managed by administrators; a user's own region is their scope",
    "accounts.ApiToken": "read only by digest to authenticate its own user",
    "accounts.FailedLogin": "login throttling by user name, before anyone is authenticated",
    "monitoring.Throttle": "public-form rate limits keyed by a salted hash, no region",
    "registry.HistoricalHousehold": "read only through a scoped household's .history",
    "registry.HistoricalMember": "read only through a scoped household's members' history",
    "assistance.HistoricalMeasure": "read only through a scoped measure's .history",
    "assistance.HistoricalIncomeProject": "read only through a scoped project's .history",
    "assistance.HistoricalDividend": "read only through a scoped dividend's .history",
    "assistance.HistoricalCatalogueEntry": "read only through a scoped catalogue row's .history",
    "assistance.HistoricalHouseholdPlan": "read only through a scoped plan's .history",
    "assistance.HistoricalPlanAction": "read only through a scoped plan action's .history",
    "assistance.HistoricalCadre": "read only through a scoped cadre's .history",
    "assistance.HistoricalPairing": "read only through a scoped pairing's .history",
    "assistance.HistoricalVisit": "read only through a scoped visit's .history",
    "assistance.HistoricalPost": "read only through a scoped post's .history",
    "assistance.HistoricalPlacement": "read only through a scoped placement's .history",
    "assistance.HistoricalLabourRecord": "read only through a scoped labour record's .history",
    "assistance.HistoricalMigrationRecord": "read only through a scoped migration record's .history",
    "supervision.HistoricalProblem": "read only through a scoped problem's .history",
    "supervision.HistoricalListing": "read only through a scoped listing's .history",
    "monitoring.HistoricalShockEvent": "read only through a scoped shock event's .history",
    "monitoring.HistoricalShockHousehold": "read only through a scoped affected household's .history",
    "admin.LogEntry": "Django admin's own log (administrators only)",
    "auth.Permission": "Django's permission table",
    "auth.Group": "Django's groups",
    "contenttypes.ContentType": "Django's model registry",
    "sessions.Session": "Django's sessions",
}


class UnscopedQuery(RuntimeError):
    """A query of a regional model was evaluated without ``.within(scope)`` or ``.unscoped()``."""


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


def _prefix(code: str | None) -> str:
    code = (code or "").strip()
    if code in ("", "0", "000000000000"):
        return ""
    if not code.isdigit() or len(code) > 12:
        raise Http404("not a region code")
    return divisions.scope_prefix(code)


@dataclass(frozen=True)
class Scope:
    """Who acts, and over which region: the input of every use case and every scoped read."""

    prefix: str
    role: str
    user: Any = field(default=None, compare=False)

    # --- making one
    @classmethod
    def of(cls, user) -> Scope:
        """The scope of a signed-in, active user; PermissionDenied for anyone else."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            raise PermissionDenied("not signed in")
        return cls(user.region or "", user.role, user)

    @classmethod
    def system(cls, region: str | None = None) -> Scope:
        """The operator at the command line: all rights, over ``region`` (default: everywhere)."""
        return cls(_prefix(region), SYSTEM, None)

    def narrow(self, code: str | None) -> Scope:
        """This scope limited to ``code`` (a region code or prefix inside it); 404 outside it.

        A code *above* the scope (a village cadre asking for the county) is refused too, so
        counts of other villages never leak.
        """
        if not code:
            return self
        prefix = _prefix(code)
        if not prefix.startswith(self.prefix):
            raise Http404("not in your region")
        return Scope(prefix, self.role, self.user)

    # --- questions
    def contains(self, code: str | None) -> bool:
        return code is not None and str(code).startswith(self.prefix)

    def require(self, code: str | None) -> str:
        """``code`` when it lies inside the scope, else 404."""
        if not code or not self.contains(code):
            raise Http404("not in your region")
        return code

    def lookup(self, path: str) -> dict:
        return prefix_range(path, self.prefix)

    @property
    def is_system(self) -> bool:
        return self.role == SYSTEM

    def can(self, capability: str) -> bool:
        return capability in CAPABILITIES.get(self.role, frozenset())

    def require_to(self, capability: str) -> None:
        """PermissionDenied (403) unless the role has ``capability``."""
        if not self.can(capability):
            raise PermissionDenied(f"{REFUSALS.get(capability, '权限不足')} (your role may not: {capability})")

    @property
    def can_read(self) -> bool:
        return self.can(C.READ)

    @property
    def can_edit(self) -> bool:
        return self.can(C.EDIT)

    @property
    def can_run_jobs(self) -> bool:
        return bool(CAPABILITIES.get(self.role, frozenset()) & JOB_CAPABILITIES)

    @property
    def can_see_sensitive(self) -> bool:
        return self.can(C.REVEAL)

    @property
    def can_see_policy(self) -> bool:
        return self.can(C.POLICY)

    @property
    def actor(self):
        """The user to record in history and logs (None for the command line)."""
        return self.user if getattr(self.user, "pk", None) else None

    @property
    def actor_name(self) -> str:
        return getattr(self.user, "username", "") or ("command line" if self.is_system else "")

    def require_edit(self) -> None:
        self.require_to(C.EDIT)


def scope_of(user) -> Scope | None:
    """The user's scope, or None for anonymous and inactive users (templates, menus)."""
    try:
        return Scope.of(user)
    except PermissionDenied:
        return None


# --- scoped managers -------------------------------------------------------------------------

_UNSET, _SCOPED, _OPEN = "unset", "scoped", "open"


class ScopedQuerySet(models.QuerySet):
    """A queryset of a regional model that must be scoped (or knowingly opened) before use."""

    @property
    def region_path(self) -> str:
        """The lookup to the model's 12-digit region code (declared by its ScopedManager)."""
        return getattr(self.model, "_region_path", "")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_state = _UNSET

    def _clone(self):
        clone = super()._clone()
        clone._scope_state = self._scope_state
        return clone

    def within(self, scope: Scope) -> ScopedQuerySet:
        """Only the rows whose region lies inside ``scope``."""
        if not isinstance(scope, Scope):
            raise TypeError("within() takes a Scope")
        qs = self.filter(**scope.lookup(self.region_path)) if scope.prefix else self._chain()
        qs._scope_state = _SCOPED
        return qs

    def unscoped(self, reason: str) -> ScopedQuerySet:
        """Every region, on purpose (system-wide integrity checks, public lists); ``reason`` says why."""
        if not reason:
            raise ValueError("unscoped() needs the reason")
        qs = self._chain()
        qs._scope_state = _OPEN
        return qs

    def _check_scoped(self) -> None:
        if self._scope_state == _UNSET:
            raise UnscopedQuery(
                f"{self.model._meta.label} was queried without a scope: use .within(scope) "
                f"(or .unscoped(reason) for a system-wide read)"
            )

    # Every way a queryset reaches the database goes through one of these.
    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._check_scoped()
        return super().count()

    def exists(self):
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self):
        self._check_scoped()
        return super().delete()

    def in_bulk(self, *args, **kwargs):
        self._check_scoped()
        return super().in_bulk(*args, **kwargs)


class BaseScopedManager(models.Manager):
    """Default manager of a regional model: ``Model.objects.within(scope)``.

    ``region_path`` is the lookup from the model to its 12-digit region code (``region_code``,
    ``household__region_code`` …). A related manager (``household.members``) is already limited
    to its parent object, which was itself read through a scope, so its querysets pass.
    """

    def __init__(self, region_path: str = ""):
        super().__init__()
        self.region_path = region_path

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        if self.region_path:
            cls._region_path = self.region_path

    def get_queryset(self) -> ScopedQuerySet:
        qs = super().get_queryset()
        if hasattr(self, "instance") and hasattr(self, "core_filters"):  # a related manager
            qs._scope_state = _SCOPED
        return qs


class ScopedManager(BaseScopedManager.from_queryset(ScopedQuerySet)):
    """``objects = ScopedManager("region_code")``; with a custom queryset (a subclass of
    :class:`ScopedQuerySet`): ``ScopedManager.from_queryset(HouseholdQuerySet)("region_code")``."""


def is_scoped(model) -> bool:
    return isinstance(model._default_manager, BaseScopedManager)


def get_scoped(queryset: ScopedQuerySet, scope: Scope, **lookup):
    """One object within scope, or 404."""
    try:
        return queryset.within(scope).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
