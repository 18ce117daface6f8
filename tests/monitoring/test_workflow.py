"""The lead state machine: every step per state, role and region; registry updates; bulk."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from tests.monitoring.monitoring_helpers import NOW, VILLAGE_A, YEAR
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db

STATES = ("new", "verified", "notice", "town_reviewed", "approved", "rejected")
ACTIONS = ("verify", "village_review", "town_review", "county_approve", "reject")
ROLES = ("village", "town", "county", "analyst", "steward", "admin")
# Written out by hand from the issue, not derived from the code under test.
ALLOWED = {
    ("verify", "new"): {"village", "admin"},
    ("village_review", "verified"): {"village", "admin"},
    ("town_review", "notice"): {"town", "admin"},
    ("county_approve", "town_reviewed"): {"county", "admin"},
    ("reject", "new"): {"village", "admin"},
    ("reject", "verified"): {"village", "admin"},
    ("reject", "notice"): {"town", "admin"},
    ("reject", "town_reviewed"): {"county", "admin"},
}
PARAMS = {"authorisation_signed": True, "category": "边缘易致贫户", "risk_types": ["medical_cost"],
          "reason": "收入高于监测线", "notice_start": NOW.date()}


def lead_in(state: str, household: str = "H2", village: str = VILLAGE_A, purpose: str = "identification", **extra):
    from fupin.monitoring.models import Lead

    values = dict(channel="cadre", purpose=purpose, state=state, region_code=village, household_id=household,
                  year=YEAR, name="王二", received_at=NOW - timedelta(days=9), verify_due=NOW.date(),
                  decide_due=NOW.date() + timedelta(days=6), category="marginal", risk_types=["medical_cost"],
                  notice_start=NOW.date() - timedelta(days=8), notice_end=NOW.date() - timedelta(days=4))
    values.update(extra)
    return Lead.objects.within(EVERYWHERE).create(**values)


@pytest.mark.parametrize(("action", "state"), list(itertools.product(ACTIONS, STATES)))
def test_every_transition_allowed_only_for_the_owning_role(registry, users, action, state):
    from fupin.monitoring.models import LeadStep
    from fupin.monitoring.workflow import StepRefused, apply_step
    from fupin.registry.models import Household

    allowed = ALLOWED.get((action, state), set())
    for role in ROLES:
        lead = lead_in(state)
        user = users[role]
        if role in allowed:
            done = apply_step(Scope.of(user), current_policy(), lead.pk, action, now=NOW, **PARAMS)
            assert done.state != state
            step = LeadStep.objects.within(EVERYWHERE).filter(lead=lead).last()
            assert (step.action, step.from_state, step.to_state, step.user) == (action, state, done.state, user)
            Household.objects.within(EVERYWHERE).filter(household_id="H2").update(monitoring_category=None, monitoring_since=None,
                                                               risk_eliminated=None)
        else:
            with pytest.raises(StepRefused):
                apply_step(Scope.of(user), current_policy(), lead.pk, action, now=NOW, **PARAMS)
            lead.refresh_from_db()
            assert lead.state == state and not LeadStep.objects.within(EVERYWHERE).filter(lead=lead).exists()
        lead.delete()


@pytest.mark.parametrize(("action", "state", "outsider"), [
    ("verify", "new", "village_b"), ("village_review", "verified", "village_c"),
    ("town_review", "notice", "town_other"), ("county_approve", "town_reviewed", "county_other"),
    ("reject", "notice", "town_other"),
])
def test_a_lead_outside_the_users_region_is_not_found(registry, users, action, state, outsider):
    from fupin.monitoring.workflow import allowed_actions, apply_step

    lead = lead_in(state)
    with pytest.raises(Http404):
        apply_step(Scope.of(users[outsider]), current_policy(), lead.pk, action, now=NOW, **PARAMS)
    assert allowed_actions(Scope.of(users[outsider]), lead) == []
    lead.refresh_from_db()
    assert lead.state == state


def test_allowed_actions_lists_the_steps_of_the_current_owner(registry, users):
    from fupin.monitoring.workflow import allowed_actions

    lead = lead_in("notice")
    assert allowed_actions(Scope.of(users["town"]), lead) == ["town_review", "reject"]
    assert allowed_actions(Scope.of(users["village"]), lead) == []
    assert allowed_actions(Scope.of(users["analyst"]), lead) == []


def test_verification_requires_the_households_signed_authorisation(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("new")
    with pytest.raises(StepRefused, match="授权"):
        apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "verify", now=NOW)
    done = apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "verify", now=NOW, authorisation_signed=True)
    assert done.authorisation_signed and done.authorisation_on == NOW.date()


def test_village_review_requires_category_and_risk_types_and_sets_notice_period(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("verified", category="", risk_types=[], notice_start=None, notice_end=None)
    with pytest.raises(StepRefused, match="类别"):
        apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW)
    with pytest.raises(StepRefused, match="风险类型"):
        apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW, category="边缘易致贫户")
    done = apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW, category="边缘易致贫户",
                      risk_types=["serious_illness"])
    # notice_min_days = 5 (national policy): the notice runs Monday 4 to Friday 8 March.
    assert (done.notice_start, done.notice_end) == (date(2024, 3, 4), date(2024, 3, 8))


def test_town_review_refused_on_the_last_notice_day_and_allowed_the_day_after(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("notice", notice_start=date(2024, 3, 4), notice_end=date(2024, 3, 8))
    with pytest.raises(StepRefused, match="公示期未满"):
        apply_step(Scope.of(users["town"]), current_policy(), lead.pk, "town_review", now=NOW + timedelta(days=4))
    done = apply_step(Scope.of(users["town"]), current_policy(), lead.pk, "town_review", now=NOW + timedelta(days=5))
    assert done.state == "town_reviewed"


def test_county_approval_makes_the_household_a_monitoring_object_with_history(registry, users):
    from fupin.monitoring.workflow import apply_step
    from fupin.registry.models import Household

    lead = lead_in("town_reviewed")
    before = Household.history.filter(household_id="H2").count()
    done = apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)
    assert done.state == "approved" and done.decided_at == NOW
    h = Household.objects.within(EVERYWHERE).get(household_id="H2", year=YEAR)
    assert (h.monitoring_category, h.monitoring_since, h.risk_eliminated) == ("边缘易致贫户", "2024-03", False)
    record = Household.history.filter(household_id="H2").order_by("-history_id").first()
    assert Household.history.filter(household_id="H2").count() == before + 1
    assert record.history_user == users["county"] and f"监测线索 {lead.pk}" in record.history_change_reason


def test_county_approval_refused_for_a_household_already_monitored(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("town_reviewed", household="H6")
    with pytest.raises(StepRefused, match="已是监测对象"):
        apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)


def test_rejection_needs_a_reason_that_the_farmer_sees_by_receipt(registry, users):
    from fupin.monitoring.selectors import public_status
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("notice", receipt="SBTEST-0000-0001")
    with pytest.raises(StepRefused, match="理由"):
        apply_step(Scope.of(users["town"]), current_policy(), lead.pk, "reject", now=NOW)
    apply_step(Scope.of(users["town"]), current_policy(), lead.pk, "reject", now=NOW, reason="家庭人均纯收入高于监测线")
    status = public_status("sbtest-0000-0001")
    assert status["rejected"] and status["reason"] == "家庭人均纯收入高于监测线"
    assert set(status) == {"state", "rejected", "reason", "received"}


def test_every_step_is_recorded_individually_with_who_when_and_states(registry, users):
    from fupin.monitoring.intake import record_cadre_lead
    from fupin.monitoring.workflow import apply_step

    lead = record_cadre_lead(Scope.of(users["village"]), current_policy(), village_code=VILLAGE_A, name="王二", id_number=_id(3),
                             hardship_type="illness", text="住院", now=NOW)
    assert lead.household_id == "H2"
    apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "verify", now=NOW, authorisation_signed=True)
    apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW, category="边缘易致贫户",
               risk_types=["serious_illness"])
    apply_step(Scope.of(users["town"]), current_policy(), lead.pk, "town_review", now=NOW + timedelta(days=5))
    apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW + timedelta(days=6), note="同意")
    steps = list(lead.steps.order_by("at", "pk").values_list("action", "actor", "from_state", "to_state"))
    assert steps == [
        ("created", "cadre_a", "", "new"), ("verify", "cadre_a", "new", "verified"),
        ("village_review", "cadre_a", "verified", "notice"), ("town_review", "town", "notice", "town_reviewed"),
        ("county_approve", "county", "town_reviewed", "approved"),
    ]


def _id(seq):
    from tests.monitoring.monitoring_helpers import pid

    return pid(seq)


# --- risk elimination -------------------------------------------------------------------------

def test_no_labour_household_cannot_be_eliminated(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("town_reviewed", household="H5", purpose="elimination", elimination_type="自然消除")
    with pytest.raises(StepRefused, match="无劳动能力"):
        apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)


def test_elimination_records_type_date_and_keeps_the_household_and_history(registry, users):
    from fupin.monitoring.workflow import apply_step
    from fupin.registry.models import Household

    lead = lead_in("town_reviewed", household="H6", purpose="elimination", elimination_type="自然消除")
    done = apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW, eliminated_on=date(2024, 3, 4))
    assert (done.elimination_type, done.eliminated_on, done.review_flag) == ("自然消除", date(2024, 3, 4), False)
    h = Household.objects.within(EVERYWHERE).get(household_id="H6", year=YEAR)
    assert (h.risk_eliminated, h.risk_eliminated_at, h.monitoring_category) == (True, "2024-03", "边缘易致贫户")
    assert Household.history.filter(household_id="H6", risk_eliminated=False).exists()


def test_assisted_elimination_within_two_months_of_identification_is_flagged(registry, users):
    from fupin.monitoring.workflow import apply_step

    # H6 identified 2024-02: March 31 is 1 whole month later, April 1 is 2.
    flagged = lead_in("town_reviewed", household="H6", purpose="elimination", elimination_type="帮扶消除")
    done = apply_step(Scope.of(users["county"]), current_policy(), flagged.pk, "county_approve", now=NOW, eliminated_on=date(2024, 3, 31))
    assert done.review_flag and "2 个月" in done.review_reason


def test_assisted_elimination_two_whole_months_after_identification_is_not_flagged(registry, users):
    from fupin.monitoring.workflow import apply_step

    lead = lead_in("town_reviewed", household="H6", purpose="elimination", elimination_type="帮扶消除")
    done = apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW, eliminated_on=date(2024, 4, 1))
    assert not done.review_flag


def test_elimination_review_proposes_the_elimination_type(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("verified", household="H6", purpose="elimination", notice_start=None, notice_end=None)
    with pytest.raises(StepRefused, match="消除方式"):
        apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW)
    done = apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW, elimination_type="帮扶消除")
    assert done.state == "notice" and done.elimination_type == "帮扶消除"


def test_start_elimination_refused_for_a_household_without_labour(registry, users):
    from fupin.monitoring.intake import IntakeError, start_elimination

    with pytest.raises(IntakeError, match="无劳动能力"):
        start_elimination(Scope.of(users["village"]), current_policy(), "H5", now=NOW)
    lead = start_elimination(Scope.of(users["village"]), current_policy(), "H6", now=NOW)
    assert (lead.purpose, lead.state, lead.household_id) == ("elimination", "new", "H6")
    assert start_elimination(Scope.of(users["village"]), current_policy(), "H6", now=NOW).pk == lead.pk


# --- bulk -------------------------------------------------------------------------------------

def test_bulk_town_review_applies_each_lead_and_records_each_step(registry, users):
    from fupin.monitoring.models import LeadStep
    from fupin.monitoring.workflow import apply_bulk

    leads = [lead_in("notice", household=h) for h in ("H1", "H2", "H6")]
    result = apply_bulk(Scope.of(users["town"]), current_policy(), [lead.pk for lead in leads], "town_review", now=NOW)
    assert result.ok and sorted(result.applied) == sorted(lead.pk for lead in leads)
    assert LeadStep.objects.within(EVERYWHERE).filter(action="town_review").count() == 3


def test_bulk_is_all_or_nothing_and_reports_each_refusal(registry, users):
    from fupin.monitoring.models import Lead, LeadStep
    from fupin.monitoring.workflow import apply_bulk

    good = [lead_in("notice", household=h) for h in ("H1", "H2")]
    wrong_state = lead_in("new", household="H6")
    other_region = lead_in("notice", household="H4", village="500101103201")
    ids = [lead.pk for lead in good] + [wrong_state.pk, other_region.pk]
    result = apply_bulk(Scope.of(users["town"]), current_policy(), ids, "town_review", now=NOW)
    assert not result.ok and result.applied == []
    assert set(result.refused) == {wrong_state.pk, other_region.pk}
    assert "管辖范围" in result.refused[other_region.pk]
    assert set(Lead.objects.within(EVERYWHERE).filter(pk__in=ids).values_list("state", flat=True)) == {"notice", "new"}
    assert not LeadStep.objects.within(EVERYWHERE).exists()


# --- the proposed category must fit the household's registration --------------------------------

@pytest.mark.parametrize(("household", "category", "allowed"), [
    ("H1", "unstable", True), ("H1", "sudden", True), ("H1", "marginal", False),        # registered
    ("H2", "marginal", True), ("H2", "sudden", True), ("H2", "unstable", False),        # not registered
])
def test_category_proposed_at_village_review_must_fit_the_households_registration(registry, users, household,
                                                                                  category, allowed):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("verified", household=household, category="")
    step = dict(now=NOW, category=category, risk_types=["medical_cost"])
    if allowed:
        assert apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", **step).category == category
    else:
        with pytest.raises(StepRefused) as refused:
            apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", **step)
        assert "只能认定为" in str(refused.value) and "cannot be identified as" in str(refused.value)


def test_registered_household_proposed_as_marginal_is_refused_again_at_county_approval(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step
    from fupin.registry.models import Household

    lead = lead_in("town_reviewed", household="H1", category="marginal")
    with pytest.raises(StepRefused):
        apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)
    assert Household.objects.within(EVERYWHERE).get(household_id="H1", year=YEAR).monitoring_category is None


def test_approval_writes_the_exchange_code_of_the_category_key_into_the_registry(registry, users):
    from fupin.monitoring.workflow import apply_step
    from fupin.registry.models import Household

    lead = lead_in("town_reviewed", household="H1", category="unstable")
    done = apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)
    assert done.category == "unstable"
    assert Household.objects.within(EVERYWHERE).get(household_id="H1", year=YEAR).monitoring_category == "脱贫不稳定户"


def test_a_person_not_in_the_registry_counts_as_unregistered(registry, users):
    from fupin.monitoring.workflow import StepRefused, apply_step

    lead = lead_in("verified", household="", category="", year=None)
    with pytest.raises(StepRefused):
        apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW, category="unstable",
                   risk_types=["medical_cost"])
    done = apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "village_review", now=NOW,
                      category="marginal", risk_types=["medical_cost"])
    assert done.category == "marginal"
