"""Writes of the assistance ledger outside an import: one measure recorded on a page or the API,
a plan step, the plans opened and closed from stored verdicts (bulk, with history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from fupin.accounts.scoping import Scope, get_scoped
from fupin.assistance import bulk
from fupin.assistance.models import (
    ACTION_STEPS,
    ActionState,
    AssistanceBatch,
    HouseholdPlan,
    Measure,
    PlanAction,
    PlanState,
    Visit,
)
from fupin.engine.assistance import schema as S
from fupin.io.assistance import RegistryRef, Sheet, validate
from fupin.io.containers import RawSheet


class StepRefused(ValueError):
    """A plan step that cannot be taken (Chinese, then English)."""


@dataclass
class MeasureOutcome:
    measure: Measure | None = None
    errors: dict[str, str] = field(default_factory=dict)   # field name -> Chinese message


def checked_form_row(table: str, data: dict[str, str], ref: RegistryRef, *, today: date | None = None,
                     catalogue=None, unplaced: str | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """One row typed on a page or sent to the API, through the import's own checks: the values
    (field name -> text) become a one-row sheet of ``table`` validated as a file's would be
    (E- and A-codes, ``ref``'s registry, the catalogue), so every entry point gives the same codes
    and Chinese messages. Returns the loadable canonical row, or the errors by field name (the
    first per field; one without a column goes under ``unplaced``, default the table's first
    field)."""
    fields = S.fields(table)
    headers = [f.zh for f in fields]
    values = {f.zh: (str(data.get(f.name)).strip() if data.get(f.name) not in (None, "") else None) for f in fields}
    frame = pl.DataFrame({h: [values[h]] for h in headers}, schema={h: pl.String for h in headers}).with_columns(
        _sheet=pl.lit("form"), _row=pl.lit(1, dtype=pl.Int64))
    extra = {"catalogue": catalogue} if catalogue is not None else {}
    result = validate([Sheet(table, RawSheet(table, "form", frame, headers))], registry=ref,
                      as_of=today or date.today(), **extra)
    errors = result.issues.filter(pl.col("severity") == "error")
    if errors.height:
        by_zh = {f.zh: f.name for f in fields}
        out: dict[str, str] = {}
        for column, message in errors.select("column", "message_zh").iter_rows():
            out.setdefault(by_zh.get(column, column or unplaced or fields[0].name), message)
        return pl.DataFrame(), out
    return result.loadable(table), {}


def store_form_rows(scope: Scope, table: str, rows: pl.DataFrame, region: str) -> str:
    """Upsert checked rows (``region_code`` set) by natural key with history, in one batch of
    source ``form``: recording the same row twice changes nothing. Returns the first row's key."""
    rows = rows.with_columns(key=bulk.natural_key(table))
    with transaction.atomic():
        batch = AssistanceBatch.objects.create(source="form", region=region, user=scope.actor)
        bulk.upsert(table, rows, batch_id=batch.pk, user_id=getattr(scope.actor, "pk", None))
        batch.finished_at = timezone.now()
        batch.save(update_fields=["finished_at"])
    return rows["key"][0]


def record_measure(scope: Scope, household_id: str, region_code: str, data: dict[str, str], *,
                   today: date | None = None) -> MeasureOutcome:
    """One measure of a household (already found inside the scope), through the import's own
    checks (:func:`checked_form_row`, the scope's catalogue), upserted by natural key with history."""
    _households, members = bulk.registry_keys_of(household_id)
    ref = RegistryRef.of(pl.DataFrame({"household_id": [household_id]}), members)
    rows, errors = checked_form_row("measures", {**data, "household_id": household_id}, ref, today=today,
                                    catalogue=bulk.catalogue_for(scope), unplaced="subtype")
    if errors:
        return MeasureOutcome(errors=errors)
    key = store_form_rows(scope, "measures", rows.with_columns(region_code=pl.lit(region_code)), region_code)
    return MeasureOutcome(Measure.objects.within(scope).get(key=key))


def mark_action(scope: Scope, action_id: int, state: str, done_on: date | None = None) -> PlanAction:
    """Move one plan action forward (planned → in_progress → done); 404 outside the scope."""
    action = get_scoped(PlanAction.objects.select_related("plan"), scope, pk=action_id)
    if state not in ActionState.values:
        raise StepRefused(f"状态“{state}”无效，应为 {'、'.join(ActionState.values)} (unknown state {state!r})")
    if state != action.state and state not in ACTION_STEPS[ActionState(action.state)]:
        raise StepRefused(f"事项已是“{ActionState(action.state).label}”，不能改为“{ActionState(state).label}” "
                          f"(an action cannot go back from {action.state} to {state})")
    action.state = state
    action.done_on = (done_on or date.today()) if state == ActionState.DONE else None
    action.version += 1
    action._history_user = scope.actor
    action.save()
    return action


def open_plans(scope: Scope, candidates: pl.DataFrame, actions: pl.DataFrame, *, year: int, as_of: date) -> tuple[int, int]:
    """Create the plans of ``candidates`` (household_id, region_code, meets_standard,
    monitoring_category, run_id) that have none for ``year``, reopen closed ones a newer run
    finds short again, and add the ``actions`` (household_id, kind, reason, family, subtype,
    responsible_unit, target_on) a plan lacks. Returns (plans created or reopened, actions added)."""
    existing = {p.household_id: p for p in HouseholdPlan.objects.within(scope).filter(
        year=year, household_id__in=candidates["household_id"].to_list())}
    new_plans = [HouseholdPlan(household_id=r["household_id"], year=year, region_code=r["region_code"],
                               opened_on=as_of, meets_standard=r["meets_standard"] or "",
                               monitoring_category=r["monitoring_category"] or "", run_id=r["run_id"])
                 for r in candidates.iter_rows(named=True) if r["household_id"] not in existing]
    reopened = []
    for r in candidates.iter_rows(named=True):
        plan = existing.get(r["household_id"])
        if plan is not None and plan.state == PlanState.CLOSED and (r["run_id"] or 0) > (plan.closed_by_run_id or 0):
            plan.state, plan.closed_on, plan.run_id = PlanState.OPEN, None, r["run_id"]
            plan.version += 1
            reopened.append(plan)
    with transaction.atomic():
        if new_plans:
            bulk_create_with_history(new_plans, HouseholdPlan, batch_size=2000, default_user=scope.actor)
        if reopened:
            bulk_update_with_history(reopened, HouseholdPlan, ["state", "closed_on", "run_id", "version"],
                                     batch_size=2000, default_user=scope.actor,
                                     manager=HouseholdPlan.objects.within(scope))
        plans = {p.household_id: p for p in HouseholdPlan.objects.within(scope).filter(
            year=year, household_id__in=candidates["household_id"].to_list())}
        have = set(PlanAction.objects.within(scope).filter(plan__in=list(plans.values()))
                   .values_list("plan_id", "kind", "reason"))
        added = [PlanAction(plan=plans[a["household_id"]], kind=a["kind"], reason=a["reason"], family=a["family"],
                            subtype=a["subtype"], responsible_unit=a["responsible_unit"] or "", target_on=a["target_on"])
                 for a in actions.iter_rows(named=True)
                 if a["household_id"] in plans and (plans[a["household_id"]].pk, a["kind"], a["reason"]) not in have]
        if added:
            bulk_create_with_history(added, PlanAction, batch_size=2000, default_user=scope.actor)
    return len(new_plans) + len(reopened), len(added)


def close_plans(scope: Scope, household_ids: list[str], *, year: int, run_id: int, on: date) -> int:
    """Close the open plans of ``year`` of these households (their newest verdict meets the
    standard); returns how many."""
    plans = list(HouseholdPlan.objects.within(scope).filter(year=year, state=PlanState.OPEN,
                                                            household_id__in=household_ids))
    for p in plans:
        p.state, p.closed_on, p.closed_by_run_id = PlanState.CLOSED, on, run_id
        p.version += 1
    if plans:
        bulk_update_with_history(plans, HouseholdPlan, ["state", "closed_on", "closed_by_run_id", "version"],
                                 batch_size=2000, default_user=scope.actor, manager=HouseholdPlan.objects.within(scope))
    return len(plans)


# --- 1.7: one visit ------------------------------------------------------------------------------

@dataclass
class VisitOutcome:
    visit: Visit | None = None
    errors: dict[str, str] = field(default_factory=dict)   # field name -> Chinese message


def record_visit(scope: Scope, household_id: str, region_code: str, data: dict[str, str], *,
                 known_cadres: frozenset[str] = frozenset(), today: date | None = None,
                 lead_id: int | None = None) -> VisitOutcome:
    """One 走访记录 of a household (already found inside the scope) through the import's own
    checks (a one-row 走访记录 sheet: E01, E04, E05, A06, A12 …), upserted by natural key with
    history — recording the same visit twice changes nothing."""
    ref = RegistryRef.of(pl.DataFrame({"household_id": [household_id]}),
                         pl.DataFrame(schema={"household_id": pl.String, "id_number": pl.String}), cadres=known_cadres)
    rows, errors = checked_form_row("visits", {**data, "household_id": household_id}, ref, today=today,
                                    unplaced="visited_on")
    if errors:
        return VisitOutcome(errors=errors)
    with transaction.atomic():
        key = store_form_rows(scope, "visits", rows.with_columns(region_code=pl.lit(region_code)), region_code)
        visit = Visit.objects.within(scope).get(key=key)
        if lead_id is not None and visit.lead_id != lead_id:
            visit.lead_id = lead_id
            visit.save(update_fields=["lead_id", "updated_at"])
    return VisitOutcome(visit)


class LinkRefused(ValueError):
    """A cadre's account link that cannot be made (Chinese, then English)."""


@transaction.atomic
def link_cadre_account(scope: Scope, cadre, username: str):
    """Link the cadre record ``cadre`` (already found inside the scope) to the account
    ``username`` — the account whose 我的帮扶户 lists the cadre's households — or unlink it when
    ``username`` is empty. Only an active account whose own region lies inside the scope may be
    linked: a county links the accounts of its towns and villages, never another county's. One
    account is one cadre: a link moves it from the cadre that had it before. Recorded in the
    cadre's history."""
    from django.contrib.auth import get_user_model

    username = (username or "").strip()
    if not username:
        cadre.user = None
        cadre.save(update_fields=["user", "updated_at"])
        return None
    account = get_user_model().objects.filter(username=username, is_active=True).first()
    if account is None or not scope.contains(account.region or ""):
        # The same answer for an unknown name and a name outside the region: names of other
        # regions' accounts are not disclosed.
        raise LinkRefused(f"本辖区内没有登录名为“{username}”的有效账号，请核对登录名 "
                          f"(no active account '{username}' in your region)")
    from fupin.assistance.models import Cadre

    for other in Cadre.objects.unscoped("one account is one cadre, wherever it was imported").filter(
            user=account).exclude(pk=cadre.pk):
        other.user = None
        other.save(update_fields=["user", "updated_at"])
    cadre.user = account
    cadre.save(update_fields=["user", "updated_at"])
    return account
