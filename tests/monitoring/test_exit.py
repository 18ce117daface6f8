"""The household exit procedure (贫困户退出): proposal, its own path through the one STEPS table,
the registry marked 已脱贫 with its exit year and history, refusals with their reason, clocks from
policy, the exit lists workbook."""

from __future__ import annotations

from datetime import timedelta

import openpyxl
import pytest
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import monitoring
from fupin.application.policy import current as current_policy
from tests.monitoring.monitoring_helpers import NOW, YEAR
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def _case(users, household="H7"):
    outcome = monitoring.propose_exits(Scope.of(users["village"]), current_policy(), year=YEAR,
                                       household_ids=[household], now=NOW)
    from fupin.monitoring.models import Lead

    return outcome, Lead.objects.within(EVERYWHERE).filter(purpose="exit", household_id=household).first()


def _through(users, lead, *steps):
    policy = current_policy()
    for role, action, params, when in steps:
        lead = monitoring.take_step(Scope.of(users[role]), policy, lead.pk, action, now=when, **params)
    return lead


def test_exit_is_proposed_only_for_a_registered_poor_household_that_meets_the_standard(assessed, users):
    outcome = monitoring.propose_exits(Scope.of(users["village"]), current_policy(), year=YEAR,
                                       household_ids=["H7", "H1", "H2", "H3"], now=NOW)
    assert outcome.created == 1
    assert "已脱贫" in outcome.refused["H1"]          # already out of poverty
    assert "一般农户" in outcome.refused["H2"]        # never registered
    assert "不在您的管辖范围" in outcome.refused["H3"]  # another village: not even named as existing


def test_proposing_twice_creates_no_second_case(assessed, users):
    first, _ = _case(users)
    again, _ = _case(users)
    assert (first.created, again.created, again.existing) == (1, 0, 1)


def test_proposing_for_the_whole_village_takes_only_the_eligible(assessed, users):
    outcome = monitoring.propose_exits(Scope.of(users["village"]), current_policy(), year=YEAR, now=NOW)
    assert outcome.created == 1 and outcome.refused == {}
    assert outcome.not_eligible >= 4  # H1, H2, H5, H6 of village A


def test_exit_path_is_review_notice_household_signs_town_then_county_and_marks_the_registry(assessed, users):
    from fupin.registry.models import Household

    _, lead = _case(users)
    assert lead.state == "new"
    lead = _through(users, lead,
                    ("village", "village_review", {"notice_start": NOW.date()}, NOW),
                    ("village", "household_confirm", {"signed": True}, NOW + timedelta(days=1)),
                    ("town", "town_review", {}, NOW + timedelta(days=6)),
                    ("county", "county_approve", {}, NOW + timedelta(days=7)))
    assert lead.state == "approved" and lead.confirmed_on == (NOW + timedelta(days=1)).date()
    household = Household.objects.within(EVERYWHERE).get(household_id="H7", year=YEAR)
    assert (household.poverty_status, household.exit_year) == ("已脱贫", YEAR)
    newest = household.history.first()
    assert "贫困户退出" in newest.history_change_reason and newest.history_user == users["county"]


def test_exit_case_has_no_home_verification_step(assessed, users):
    from fupin.monitoring.workflow import StepRefused

    _, lead = _case(users)
    with pytest.raises(StepRefused, match="不能进行“入户核实”"):
        monitoring.take_step(Scope.of(users["village"]), current_policy(), lead.pk, "verify", now=NOW,
                             authorisation_signed=True)


def test_town_cannot_review_an_exit_before_the_household_signed(assessed, users):
    from fupin.monitoring.workflow import StepRefused

    _, lead = _case(users)
    lead = _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW))
    with pytest.raises(StepRefused, match="不能进行“乡镇审核”"):
        monitoring.take_step(Scope.of(users["town"]), current_policy(), lead.pk, "town_review",
                             now=NOW + timedelta(days=6))


def test_household_confirm_refused_without_the_signature(assessed, users):
    from fupin.monitoring.workflow import StepRefused

    _, lead = _case(users)
    lead = _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW))
    with pytest.raises(StepRefused, match="须由农户签字确认"):
        monitoring.take_step(Scope.of(users["village"]), current_policy(), lead.pk, "household_confirm", now=NOW)


def test_town_review_of_an_exit_waits_for_the_notice_to_end(assessed, users):
    from fupin.monitoring.workflow import StepRefused

    _, lead = _case(users)
    lead = _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW),
                    ("village", "household_confirm", {"signed": True}, NOW))
    with pytest.raises(StepRefused, match="公示期未满"):
        monitoring.take_step(Scope.of(users["town"]), current_policy(), lead.pk, "town_review",
                             now=NOW + timedelta(days=2))


def test_county_refuses_the_exit_when_the_verdict_no_longer_meets_the_standard(assessed, users):
    from fupin.assessments.models import Verdict
    from fupin.monitoring.workflow import StepRefused
    from fupin.registry.models import Household

    _, lead = _case(users)
    lead = _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW),
                    ("village", "household_confirm", {"signed": True}, NOW),
                    ("town", "town_review", {}, NOW + timedelta(days=6)))
    Verdict.objects.within(EVERYWHERE).filter(household_id="H7", year=YEAR).update(meets_standard="no")
    with pytest.raises(StepRefused, match="未达标"):
        monitoring.take_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve",
                             now=NOW + timedelta(days=7))
    assert Household.objects.within(EVERYWHERE).get(household_id="H7", year=YEAR).poverty_status == "未脱贫"


def test_refusing_an_exit_needs_a_reason_and_keeps_it(assessed, users):
    from fupin.monitoring.workflow import StepRefused

    _, lead = _case(users)
    with pytest.raises(StepRefused, match="理由"):
        monitoring.take_step(Scope.of(users["village"]), current_policy(), lead.pk, "reject", now=NOW)
    lead = monitoring.take_step(Scope.of(users["village"]), current_policy(), lead.pk, "reject", now=NOW,
                                reason="民主评议未通过：收入不稳定")
    assert lead.state == "rejected" and lead.rejection_reason.startswith("民主评议未通过")


def test_an_exit_case_of_another_village_is_not_found(assessed, users):
    _, lead = _case(users)
    with pytest.raises(Http404):
        monitoring.take_step(Scope.of(users["village_b"]), current_policy(), lead.pk, "village_review", now=NOW)


def test_exit_clocks_come_from_policy_review_then_approval(assessed, users):
    from fupin.monitoring import deadlines

    policy = current_policy()
    _, lead = _case(users)
    review_days = int(policy.resolve("exit_review_max_days", NOW.year, lead.region_code)[0])
    total_days = int(policy.resolve("exit_max_days", NOW.year, lead.region_code)[0])
    assert lead.verify_due == NOW.date() + timedelta(days=review_days)
    assert lead.decide_due == NOW.date() + timedelta(days=total_days)
    assert deadlines.clock_of(lead, NOW).label.startswith(f"民主评议剩余 {review_days} 天")
    lead = _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW))
    late = NOW + timedelta(days=total_days + 2)
    assert deadlines.clock_of(lead, late).label == "退出审批已超期 2 天"


def test_exit_lists_workbook_has_every_case_and_a_count_per_village(assessed, users, tmp_path):
    _, lead = _case(users)
    _through(users, lead, ("village", "village_review", {"notice_start": NOW.date()}, NOW))
    path = monitoring.exit_lists(Scope.of(users["town"]), year=YEAR, out=tmp_path / "exits.xlsx", at=NOW)
    book = openpyxl.load_workbook(path)
    cases, summary = book["退出名单"], book["按村汇总"]
    assert cases["A1"].value == f"{YEAR}年贫困户退出名单（逐户）"
    headers = [c.value for c in cases[3]]
    assert {"户主姓名", "办理环节", "公示结束", "组"} <= set(headers)
    row = [c.value for c in cases[4]]
    assert "郑九" in row and "H7" in row and "村级评议公示中" in row
    assert not any(isinstance(v, str) and v.isdigit() and len(v) == 18 for v in row)  # no ID numbers
    summary_headers = [c.value for c in summary[3]]
    assert summary[4][summary_headers.index("公示中")].value == 1
    assert str(summary[5][0].value).startswith("合计")


def test_exit_lists_of_a_year_without_cases_say_what_to_do(assessed, users, tmp_path):
    with pytest.raises(monitoring.ExitListEmpty, match="请先提出预退出"):
        monitoring.exit_lists(Scope.of(users["county"]), year=YEAR, out=tmp_path / "x.xlsx")
