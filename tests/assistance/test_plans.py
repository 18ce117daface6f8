"""一户一策: plans opened from stored verdicts, one action per unmet indicator and risk factor,
idempotent; steps forward only; closed when the newest assessment meets the standard; the
village work list of actions due and overdue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application.assessment import assess_year
from fupin.application.assistance import (
    StepRefused,
    create_plans,
    mark_action,
    plans_due,
)
from fupin.assistance.models import HouseholdPlan, PlanAction
from tests.assistance.ledger_helpers import YEAR, store_registry
from tests.engine.engine_helpers import policy as chongqing
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
AS_OF = date(YEAR, 12, 31)


@pytest.fixture
def short_of_income():
    """H2 has no income: its verdict is ``no`` with ``income`` unmet; the others meet the standard."""
    store_registry(H2={"wage_income": 0.0})
    policy = chongqing()
    assess_year(EVERYWHERE, policy, YEAR, as_of=AS_OF, dispatch_leads=False)
    return policy


def test_a_household_short_of_income_gets_one_plan_with_the_catalogues_action(short_of_income):
    made = create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    assert made.plans == 1 and made.actions >= 1
    plan = HouseholdPlan.objects.within(EVERYWHERE).get()
    assert (plan.household_id, plan.state, plan.meets_standard) == ("H2", "open", "no")
    income = plan.actions.get(kind="indicator", reason="income")
    assert (income.subtype, income.family, income.responsible_unit) == ("到户产业项目", "产业帮扶", "县农业农村委")
    assert income.target_on == AS_OF + timedelta(days=30)  # developmental_measure_max_days
    assert income.state == "planned" and income.history.count() == 1


def test_creating_plans_twice_adds_nothing(short_of_income):
    create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    again = create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    assert (again.plans, again.actions) == (0, 0)
    assert HouseholdPlan.objects.within(EVERYWHERE).count() == 1


def test_a_currently_monitored_household_that_meets_the_standard_gets_a_plan_too():
    store_registry(H1={"monitoring_category": "边缘易致贫户", "monitoring_since": "2022-03"})
    policy = chongqing()
    assess_year(EVERYWHERE, policy, YEAR, as_of=AS_OF, dispatch_leads=False)
    create_plans(EVERYWHERE, policy, year=YEAR, as_of=AS_OF)
    assert list(HouseholdPlan.objects.within(EVERYWHERE).values_list("household_id", flat=True)) == ["H1"]


def test_an_action_steps_forward_and_never_back(short_of_income, village_user, analyst_user):
    create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    action = PlanAction.objects.within(EVERYWHERE).get(reason="income")
    scope = Scope.of(village_user)
    assert mark_action(scope, action.pk, "in_progress").state == "in_progress"
    done = mark_action(scope, action.pk, "done", date(YEAR + 1, 1, 5))
    assert (done.state, done.done_on, done.version) == ("done", date(YEAR + 1, 1, 5), 3)
    with pytest.raises(StepRefused, match="不能改为"):
        mark_action(scope, action.pk, "planned")
    with pytest.raises(PermissionDenied):
        mark_action(Scope.of(analyst_user), action.pk, "done")
    assert [h.state for h in done.history.order_by("history_id")] == ["planned", "in_progress", "done"]


def test_an_action_of_another_village_is_not_found(short_of_income, village_c_user):
    create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    action = PlanAction.objects.within(EVERYWHERE).get(reason="income")
    with pytest.raises(Http404):
        mark_action(Scope.of(village_c_user), action.pk, "done")


def test_the_work_list_holds_actions_due_within_seven_days_and_overdue_but_not_later_or_done(short_of_income):
    create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    target = AS_OF + timedelta(days=30)
    assert plans_due(EVERYWHERE, as_of=target - timedelta(days=8)).rows.height == 0
    soon = plans_due(EVERYWHERE, as_of=target - timedelta(days=7)).rows
    assert soon.height >= 1 and not soon["overdue"].any() and soon["days"].to_list()[0] == 7
    late = plans_due(EVERYWHERE, as_of=target + timedelta(days=1)).rows
    assert late["overdue"].all() and late["head_name"].to_list()[0] == "张三"
    for action in PlanAction.objects.within(EVERYWHERE):
        mark_action(EVERYWHERE, action.pk, "done")
    assert plans_due(EVERYWHERE, as_of=target + timedelta(days=1)).rows.height == 0


def test_the_plan_closes_when_the_newest_assessment_meets_the_standard(short_of_income):
    create_plans(EVERYWHERE, short_of_income, year=YEAR, as_of=AS_OF)
    store_registry(H2={"wage_income": 30000.0})
    run = assess_year(EVERYWHERE, short_of_income, YEAR, as_of=AS_OF, dispatch_leads=False).run
    plan = HouseholdPlan.objects.within(EVERYWHERE).get()
    assert (plan.state, plan.closed_on, plan.closed_by_run_id) == ("closed", AS_OF, run.pk)
    assert plans_due(EVERYWHERE, as_of=AS_OF + timedelta(days=60)).rows.height == 0
