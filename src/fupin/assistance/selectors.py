"""Reads of the assistance ledger for pages and the API; every one takes a Scope."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet

from fupin.accounts.scoping import Scope
from fupin.assistance.models import (
    ActionState,
    Cadre,
    Dividend,
    HouseholdPlan,
    IncomeProject,
    Measure,
    Pairing,
    PlanAction,
    Visit,
)


def measures_of(scope: Scope, household_id: str) -> QuerySet[Measure]:
    """The household's measures inside the scope, newest first."""
    return Measure.objects.within(scope).filter(household_id=household_id).order_by("-start", "-year", "-id")


def dividends_of(scope: Scope, household_id: str) -> QuerySet[Dividend]:
    return Dividend.objects.within(scope).filter(household_id=household_id).order_by("-year", "-paid_on", "-id")


def project_names(scope: Scope, project_ids) -> dict[str, tuple[str, str]]:
    """项目编号 -> (项目名称, 类型) of the projects inside the scope."""
    rows = IncomeProject.objects.within(scope).filter(project_id__in=list(project_ids))
    return {p.project_id: (p.name, p.kind) for p in rows}


def plan_of(scope: Scope, household_id: str, year: int) -> HouseholdPlan | None:
    return (HouseholdPlan.objects.within(scope).filter(household_id=household_id, year=year)
            .prefetch_related("actions").first())


def due_actions(scope: Scope, *, as_of: date, within_days: int) -> QuerySet[PlanAction]:
    """Open actions of open plans due within ``within_days`` of ``as_of`` or overdue."""
    return (PlanAction.objects.within(scope).select_related("plan")
            .filter(plan__state="open", target_on__lte=as_of + timedelta(days=within_days))
            .exclude(state=ActionState.DONE).order_by("plan__region_code", "target_on", "plan__household_id", "id"))


# --- cadres, pairings, visits -------------------------------------------------------------------

def cadre_of_user(user) -> Cadre | None:
    """The cadre record of a signed-in user: linked by ``Cadre.user``, else the cadre whose
    责任人编号 is the username. A user's own record, wherever it was imported (a county imports
    the cadres working in its villages), hence read unscoped."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cadres = Cadre.objects.unscoped("a signed-in user's own cadre record")
    return cadres.filter(user=user).order_by("id").first() or cadres.filter(
        user__isnull=True, cadre_id=user.get_username()).order_by("id").first()


def pairings_of_cadre(scope: Scope, cadre_id: str) -> QuerySet:
    """The cadre's pairings with households inside the scope."""
    return Pairing.objects.within(scope).filter(cadre_id=cadre_id).order_by("household_id", "start")


def visits_of(scope: Scope, household_id: str, limit: int = 20) -> QuerySet:
    return Visit.objects.within(scope).filter(household_id=household_id).order_by("-visited_on", "-id")[:limit]


def cadre_pks(cadre_ids: list[str]) -> dict[str, int]:
    """责任人编号 → the record's id, for links to the cadre's page. Only for ids taken from
    pairings already read inside a scope (the page then checks the scope again)."""
    rows = (Cadre.objects.unscoped("ids of cadres paired inside the caller's scope")
            .filter(cadre_id__in=cadre_ids).order_by("cadre_id", "id").values_list("cadre_id", "id"))
    pks: dict[str, int] = {}
    for cadre_id, pk in rows:
        pks.setdefault(cadre_id, pk)
    return pks


def cadre_in_scope(scope: Scope, pk: int):
    """A cadre visible to the scope: imported inside it, or paired with one of its households
    (404 otherwise)."""
    from django.http import Http404

    cadre = Cadre.objects.unscoped("checked against the scope just below").filter(pk=pk).first()
    if cadre is None:
        raise Http404("no such cadre")
    own = Cadre.objects.within(scope).filter(pk=pk).exists()
    if not own and not Pairing.objects.within(scope).filter(cadre_id=cadre.cadre_id).exists():
        raise Http404("cadre not in your region")
    return cadre
