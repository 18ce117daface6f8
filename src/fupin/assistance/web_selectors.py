"""Reads the assistance pages need beyond :mod:`fupin.assistance.selectors`; every one takes a Scope.

Kept apart from the ledger's own selectors so that the pages can grow without touching the
database half; nothing here decides a rule (coverage comes from the application layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fupin.accounts.scoping import Scope
from fupin.assistance import bulk, selectors
from fupin.assistance.models import Dividend, HouseholdPlan, Measure, PlanAction


@dataclass
class DividendRow:
    dividend: Dividend
    project_name: str
    project_kind: str


@dataclass
class HouseholdLedger:
    """What the household file shows of the ledger for one year."""

    plan: HouseholdPlan | None
    actions: list[PlanAction]
    measures: list[Measure]
    dividends: list[DividendRow] = field(default_factory=list)


def household_ledger(scope: Scope, household_id: str, year: int) -> HouseholdLedger:
    """The plan of ``year`` with its actions, and every measure and dividend of the household
    inside the scope (newest first: a cadre reads what was done lately at the top)."""
    plan = selectors.plan_of(scope, household_id, year)
    actions = list(plan.actions.order_by("target_on", "id")) if plan is not None else []
    measures = list(selectors.measures_of(scope, household_id)[:200])
    dividends = list(selectors.dividends_of(scope, household_id)[:200])
    names = selectors.project_names(scope, {d.project_id for d in dividends})
    rows = [DividendRow(d, *names.get(d.project_id, (d.project_id, ""))) for d in dividends]
    return HouseholdLedger(plan, actions, measures, rows)


def catalogue_groups(scope: Scope) -> list[tuple[str, list[tuple[str, str]]]]:
    """The active 小类 of the catalogue in force for the scope, grouped by 大类 in catalogue
    order: [(大类, [(小类, 对象), …]), …] — the choices of the measure form."""
    frame = bulk.catalogue_for(scope).frame.filter(pl.col("active")).sort("family_order", "subtype_order")
    groups: dict[str, list[tuple[str, str]]] = {}
    for family, subtype, target in frame.select("family", "subtype", "target").iter_rows():
        groups.setdefault(family, []).append((subtype, target))
    return list(groups.items())


def last_responsible_unit(scope: Scope, user) -> str:
    """The 责任单位 of the last measure this user recorded inside the scope (the form's default:
    a cadre records for the same unit again and again)."""
    if user is None or not getattr(user, "pk", None):
        return ""
    found = (Measure.objects.within(scope).filter(import_batch__user=user, import_batch__source="form")
             .order_by("-updated_at").values_list("responsible_unit", flat=True).first())
    return found or ""


def plan_action(scope: Scope, household_id: str, action_id: int) -> PlanAction | None:
    """One action of the household's plans inside the scope (None: not there)."""
    return (PlanAction.objects.within(scope).select_related("plan")
            .filter(pk=action_id, plan__household_id=household_id).first())
