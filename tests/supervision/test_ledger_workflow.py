"""B.2: every action allowed and refused by state, role and scope; B.1 due dates; B.3 clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import supervision
from fupin.supervision import ledger_workflow as workflow
from fupin.supervision.models import Problem, State

NOW = datetime(2020, 3, 5, 8, tzinfo=UTC)


def act(user, problem, action, **params):
    return supervision.take_action(Scope.of(user), problem.pk, action, now=NOW, **params)


def evidence(user, problem, tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path))
    return supervision.add_evidence(Scope.of(user), problem.pk, "整改照片.jpg", [b"jpeg bytes"], now=NOW)


def rectified(village_user, problem, tmp_path, monkeypatch):
    act(village_user, problem, "claim")
    act(village_user, problem, "add_measure", text="危房改造", due="2020-03-20")
    act(village_user, problem, "progress", measure=1, done_on="2020-03-18")
    evidence(village_user, problem, tmp_path, monkeypatch)
    return act(village_user, problem, "request_closure")


def test_due_dates_from_policy_claim_3_days_deadline_30_or_immediate_7(make_problems):
    normal = make_problems(1)[0]
    assert normal.claim_due == date(2020, 3, 4) and normal.deadline == date(2020, 3, 31)
    assert normal.original_deadline == normal.deadline and normal.problem_id == "P2020-000001"
    quick = make_problems(1, immediate=True)[0]
    assert quick.deadline == date(2020, 3, 8) and quick.problem_id == "P2020-000002"
    given = make_problems(1, deadline=date(2020, 6, 30))[0]
    assert given.deadline == date(2020, 6, 30)


def test_the_whole_way_to_closure_verified_by_the_town(make_problems, village_user, town_user, tmp_path,
                                                       monkeypatch):
    problem = make_problems(1)[0]
    pending = rectified(village_user, problem, tmp_path, monkeypatch)
    assert pending.state == State.PENDING and pending.requested_by == village_user.username
    closed = act(town_user, problem, "verify", note="已核实")
    assert closed.state == State.CLOSED and closed.verified_by == town_user.username
    actions = list(closed.actions.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "claim", "add_measure", "progress", "add_evidence", "request_closure", "verify"]
    assert closed.history.count() >= 6


def test_the_requester_cannot_verify_and_neither_can_the_same_level(make_problems, village_user,
                                                                    other_village_user, tmp_path, monkeypatch):
    problem = make_problems(1)[0]
    rectified(village_user, problem, tmp_path, monkeypatch)
    with pytest.raises(workflow.ActionRefused, match="销号须由上级核验且不得本人核验"):
        act(village_user, problem, "verify")
    with pytest.raises(Http404):  # another village does not even see it
        act(other_village_user, problem, "verify")


def test_a_higher_level_requester_cannot_verify_their_own_request(make_problems, town_user, county_user, tmp_path,
                                                                  monkeypatch):
    problem = make_problems(1)[0]
    rectified(town_user, problem, tmp_path, monkeypatch)
    with pytest.raises(workflow.ActionRefused, match="不得本人核验"):
        act(town_user, problem, "verify")
    assert act(county_user, problem, "verify").state == State.CLOSED


def test_wrong_state_is_refused_in_the_specs_words(make_problems, village_user):
    problem = make_problems(1)[0]
    with pytest.raises(workflow.ActionRefused) as refused:
        act(village_user, problem, "request_closure")
    assert str(refused.value) == f"问题 {problem.problem_id} 当前状态为 待签收，不能申请销号 (problem is new)"
    act(village_user, problem, "claim")
    with pytest.raises(workflow.ActionRefused, match="当前状态为 已签收，不能签收认领"):
        act(village_user, problem, "claim")


def test_closure_request_names_what_is_missing(make_problems, village_user):
    problem = make_problems(1)[0]
    act(village_user, problem, "claim")
    act(village_user, problem, "add_measure", text="危房改造")
    with pytest.raises(workflow.ActionRefused, match="尚缺：措施完成日期、佐证材料"):
        act(village_user, problem, "request_closure")


def test_a_measure_due_after_the_deadline_is_refused(make_problems, village_user):
    problem = make_problems(1)[0]
    act(village_user, problem, "claim")
    with pytest.raises(workflow.ActionRefused, match="措施时限晚于整改时限"):
        act(village_user, problem, "add_measure", text="x", due="2020-04-30")


def test_reject_sends_back_with_a_reason_and_clears_the_request(make_problems, village_user, town_user, tmp_path,
                                                               monkeypatch):
    problem = make_problems(1)[0]
    rectified(village_user, problem, tmp_path, monkeypatch)
    with pytest.raises(workflow.ActionRefused, match="请填写退回理由"):
        act(town_user, problem, "reject")
    back = act(town_user, problem, "reject", reason="照片不清楚")
    assert back.state == State.RECTIFYING and back.requested_by == ""


def test_extend_and_void_need_a_county_and_a_reason(make_problems, village_user, town_user, county_user):
    problem = make_problems(1)[0]
    with pytest.raises(workflow.ActionRefused, match="县级或以上"):
        act(town_user, problem, "extend", deadline="2020-05-31", reason="汛期")
    with pytest.raises(workflow.ActionRefused, match="应晚于原时限"):
        act(county_user, problem, "extend", deadline="2020-03-01", reason="汛期")
    extended = act(county_user, problem, "extend", deadline="2020-05-31", reason="汛期")
    assert extended.deadline == date(2020, 5, 31) and extended.original_deadline == date(2020, 3, 31)
    assert extended.state == State.NEW
    with pytest.raises(workflow.ActionRefused, match="请填写撤销理由"):
        act(county_user, problem, "void")
    assert act(county_user, problem, "void", reason="重复交办").state == State.VOID
    with pytest.raises(workflow.ActionRefused, match="当前状态为 已撤销"):
        act(county_user, problem, "claim")


def test_an_analyst_cannot_claim_and_sync_actions_are_not_for_users(make_problems, analyst_user, county_user):
    problem = make_problems(1)[0]
    with pytest.raises(workflow.ActionRefused, match="无权签收该问题"):
        act(analyst_user, problem, "claim")
    with pytest.raises(workflow.ActionRefused, match="未知的操作"):
        act(county_user, problem, "system_close")


def test_allowed_actions_follow_the_table(make_problems, village_user, town_user):
    problem = make_problems(1)[0]
    assert workflow.allowed_actions(Scope.of(village_user), problem) == ["claim"]
    assert "extend" not in workflow.allowed_actions(Scope.of(town_user), problem)
    assert Problem.objects.within(Scope.of(village_user)).count() == 1
