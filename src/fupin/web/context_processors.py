"""The one navigation of every signed-in page: the links the user's role may use, and where.

Which link shows is asked of the user's :class:`~fupin.accounts.scoping.Scope` (``scope.can``,
``scope.can_run_jobs``), i.e. of the capabilities table — this module holds no rule of its own,
only which capability each page needs (the same one its view checks with ``scope_to``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fupin import divisions
from fupin.accounts.roles import Role
from fupin.accounts.scoping import Capability, scope_of
from fupin.web import selectors
from fupin.web.display import bilingual

C = Capability
ALL_CAPABILITIES = tuple(v for k, v in vars(Capability).items() if k.isupper())
JOBS = "jobs"  # any capability of a background job (scope.can_run_jobs)

# (key, label, URL name or callable of the scope, capability the page's view requires, namespaces/url names
# that make it the current item)
NAVIGATION = (
    ("home", _("Workbench"), "web:home", C.READ, ("web:home", "web:dashboard")),
    ("households", _("Household files"), "web:households", C.READ, ("web:households", "web:household",
                                                                  "web:household_edit", "web:member_edit")),
    ("worklists", _("Work lists"), "worklist", C.READ, ("web:worklist",)),
    ("plans", _("Plan actions due"), "web:assistance_due", C.READ, ("web:assistance_due",)),
    ("coverage", _("Assistance coverage"), "web:assistance_coverage", C.READ, ("web:assistance_coverage",)),
    # Anyone who may record a visit may be a 帮扶责任人; the page says so when the account is not one.
    ("my_households", _("My paired households"), "web:my_households", C.EDIT, ("web:my_households",
                                                                                 "web:record_visit")),
    ("visits_overdue", _("Overdue visits"), "web:visits_overdue", C.READ, ("web:visits_overdue",)),
    ("leads", _("Monitoring leads"), "monitoring:list", C.READ, ("monitoring:list", "monitoring:detail",
                                                                 "monitoring:overdue", "monitoring:cadre_new",
                                                                 "monitoring:bulk", "monitoring:notice")),
    ("problems", _("Problem list"), "web:problems", C.READ, ("web:problems", "web:problem", "web:ledger_report")),
    ("listings", _("Listed supervision"), "web:listings", C.READ, ("web:listings",)),
    ("shocks", _("Shock events"), "web:shocks", C.READ, ("web:shocks", "web:shock_event")),
    # One entry, three tabs (posts, public-welfare post checks, jobs to people): the phone menu is full.
    ("employment", _("Employment service"), "web:employment_posts", C.READ,
     ("web:employment_posts", "web:employment_post", "web:employment_post_new", "web:employment_placement_new",
      "web:employment_checks", "web:employment_offers")),
    ("jobs", _("Tasks"), "jobs:list", JOBS, ("jobs:",)),
    ("match", _("Department data"), "monitoring:match", C.MATCH, ("monitoring:match",)),
    ("stats", _("Statistics"), "monitoring:overdue", C.READ, ("monitoring:overdue",)),
    ("analysis", _("Analysis"), "web:analysis", C.ANALYSE, ("web:analysis", "web:analysis_report",
                                                           "web:analysis_report_download", "web:analysis_scenario",
                                                           "web:analysis_scenario_households", "web:analysis_mpi",
                                                           "web:analysis_mpi_households", "web:analysis_sample",
                                                           "web:analysis_sample_download",
                                                           "web:analysis_sample_results")),
    ("policy", _("Policy values"), "web:policy", C.POLICY, ("web:policy",)),
    ("audit", _("Access log"), "web:audit", C.AUDIT, ("web:audit",)),
)

# The entries that stay one tap away on a phone (≤ 600 px), where the rest folds behind 菜单; the
# current page's entry always shows too. Chosen by what each role does every day:
# - village cadre: finds a household (户档), visits the households paired with him (我的帮扶户),
#   verifies leads against their deadlines (监测预警线索); 工作台 is his village's to-do page;
# - town official: reviews the villages' leads (town review), follows overdue visits, households;
# - county officer: approves leads, imports and assesses (任务), follows the assistance coverage;
# - analyst: analysis, coverage and the figures; steward: department data and its tasks;
# - administrator: as the county officer's daily work, with the households.
# Four entries at most: with the 菜单 button they fit one row of a 375 px screen in Chinese.
PINNED = {
    Role.VILLAGE: ("home", "households", "my_households", "leads"),
    Role.TOWN: ("home", "households", "leads", "visits_overdue"),
    Role.COUNTY: ("home", "leads", "coverage", "jobs"),
    Role.ANALYST: ("home", "analysis", "coverage", "stats"),
    Role.STEWARD: ("match", "jobs"),
    Role.ADMIN: ("home", "households", "leads", "jobs"),
}
PINNED_DEFAULT = ("home", "households", "leads")


def _allowed(scope, need: str) -> bool:
    return scope.can_run_jobs if need == JOBS else scope.can(need)


def _url(scope, name: str) -> str | None:
    if name == "worklist":
        return reverse("web:worklist", args=[divisions.pad12(scope.prefix)]) if scope.prefix else None
    if name in ("web:assistance_due", "web:assistance_coverage", "web:visits_overdue"):  # the user's own region
        return reverse(name, args=[divisions.pad12(scope.prefix)]) if scope.prefix else None
    return reverse(name)


def _current(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return f"{match.namespace}:{match.url_name}"


def navigation(request) -> dict:
    """``nav`` (the links of the user's role, each with ``pin``: shown on a phone while the menu is
    folded), ``nav_folds`` (some entry folds away on a phone), ``nav_region`` (the user's region by
    name), ``nav_role``."""
    try:
        scope = scope_of(getattr(request, "user", None))
    except Exception:  # noqa: BLE001 — an error page must render even when the user cannot be read
        scope = None
    if scope is None:
        return {"nav": [], "nav_folds": False, "nav_region": "", "nav_region_code": "", "nav_role": "",
                "nav_can_edit": False, "nav_can": {}}
    current = _current(request)
    pinned = PINNED.get(scope.role, PINNED_DEFAULT)
    items = []
    for key, label, name, need, marks in NAVIGATION:
        if not _allowed(scope, need):
            continue
        url = _url(scope, name)
        if url is None:
            continue
        active = any(current == m or (m.endswith(":") and current.startswith(m)) for m in marks)
        items.append({"key": key, "label": label, "url": url, "active": active, "pin": key in pinned})
    region = None
    if scope.prefix:
        try:
            region = selectors.region_of(scope, scope.prefix)
        except Exception:  # noqa: BLE001 — the name is a courtesy; the page must not fail on it
            region = None
    name = region.name if region is not None else (str(_("Whole country")) if not scope.prefix else scope.prefix)
    return {"nav": items, "nav_folds": any(not item["pin"] for item in items), "nav_region": name, "nav_region_code": divisions.pad12(scope.prefix) if scope.prefix else "",
            "nav_role": bilingual(request.user.get_role_display()), "nav_can_edit": scope.can(C.EDIT),
            "nav_can": {cap: scope.can(cap) for cap in ALL_CAPABILITIES}}
