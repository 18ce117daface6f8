"""Reads of the assistance ledger for pages and the API; every one takes a Scope."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet

from fupin.accounts.scoping import Scope
from fupin.assistance.models import (
    ActionState,
    Dividend,
    HouseholdPlan,
    IncomeProject,
    Measure,
    PlanAction,
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
