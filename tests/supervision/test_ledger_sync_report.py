"""B.3 clocks, B.4 sync (raise, close, reopen, idempotent), B.5 report and overdue, import rejects."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application import supervision
from fupin.assessments.models import Finding
from fupin.engine import supervision as engine
from fupin.monitoring.models import Lead
from fupin.supervision.models import Problem, State
from tests.fupin_testdata import assess, load, synth_frames
from tests.regions import COUNTY, TOWN, VILLAGE_A

EVERYWHERE = Scope.system()


def test_escalation_worked_example_village_20_days_step_15_reaches_its_county():
    frame = pl.DataFrame({"state": ["rectifying"], "region_code": [VILLAGE_A], "deadline": [date(2020, 3, 31)],
                          "claim_due": [date(2020, 3, 4)], "verified_on": [None], "problem_escalation_step_days": [15]},
                         schema_overrides={"verified_on": pl.Date})
    row = engine.problem_clocks(frame, date(2020, 4, 20)).row(0, named=True)
    assert (row["days_overdue"], row["escalation"], row["escalated_to"]) == (20, 2, COUNTY + "000000")
    assert row["overdue"] and not row["unclaimed_overdue"]
    on_time = engine.problem_clocks(frame, date(2020, 3, 31)).row(0, named=True)
    assert (on_time["overdue"], on_time["escalation"], on_time["escalated_to"]) == (False, 0, None)


def test_escalation_stops_at_the_province():
    frame = pl.DataFrame({"state": ["new"], "region_code": [VILLAGE_A], "deadline": [date(2020, 1, 1)],
                          "claim_due": [date(2019, 12, 1)], "verified_on": [None], "problem_escalation_step_days": [1]},
                         schema_overrides={"verified_on": pl.Date})
    row = engine.problem_clocks(frame, date(2021, 1, 1)).row(0, named=True)
    assert row["escalated_to"] == "500000000000" and row["unclaimed_overdue"]


@pytest.fixture
def registry(db):
    """A stored, assessed year with findings of each kind sync reads (and one it ignores)."""
    from fupin.assessments.models import Verdict

    load(*synth_frames(300, TOWN, seed=7))
    outcome = assess(2020)
    verdicts = list(Verdict.objects.within(EVERYWHERE).filter(current=True).order_by("household_id")[:4])
    for v, (code, severity) in zip(verdicts, [("Q24", "warning"), ("Q25", "warning"), ("Q03", "error"),
                                               ("Q20", "warning")], strict=True):
        Finding.objects.create(run=outcome.run, household_id=v.household_id, year=2020, region_code=v.region_code,
                               code=code, severity=severity, message_zh=f"{code} 测试", current=True)


def quality_problems():
    return Problem.objects.within(EVERYWHERE).filter(source="data_quality")


def test_sync_raises_closes_and_reopens_and_is_idempotent(registry, policy):
    first = supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=date(2021, 1, 10))
    findings = Finding.objects.within(EVERYWHERE).filter(year=2020, current=True)
    wanted = {f"quality:2020:{h}:{c}" for h, c, s in findings.values_list("household_id", "code", "severity")
              if s == "error" or c in ("Q24", "Q25")}
    assert first.created >= len(wanted) > 0
    assert set(quality_problems().values_list("natural_key", flat=True)) == wanted
    again = supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=date(2021, 1, 11))
    assert (again.created, again.closed, again.reopened) == (0, 0, 0) and again.unchanged == first.created

    key = min(wanted)
    _, _, household, code = key.split(":")
    findings.filter(household_id=household, code=code).update(current=False)
    fixed = supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=date(2021, 1, 12))
    problem = Problem.objects.within(EVERYWHERE).get(natural_key=key)
    assert fixed.closed == 1 and problem.state == State.CLOSED and problem.verified_by == "system"
    assert problem.verification_note == "复查未再发现"

    Finding.objects.within(EVERYWHERE).filter(year=2020, household_id=household, code=code).update(current=True)
    back = supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=date(2021, 1, 13))
    problem.refresh_from_db()
    assert back.reopened == 1 and problem.state == State.RECTIFYING and problem.verified_on is None
    assert list(problem.actions.order_by("id").values_list("action", flat=True)) == [
        "create", "system_close", "system_reopen"]


def test_sync_over_another_region_leaves_the_problems_outside_it_alone(registry, policy):
    supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=date(2021, 1, 10))
    with pytest.raises(supervision.NothingToAssess):
        supervision.sync_ledger(Scope.system("500102"), policy, year=2020, as_of=date(2021, 1, 10))
    assert not quality_problems().filter(state=State.CLOSED).exists()


def test_overdue_leads_become_problems_and_close_when_the_lead_moves_on(registry, policy):
    lead = Lead.objects.within(EVERYWHERE).filter(state="new").order_by("pk").first()
    assert lead is not None, "the assessment hands leads to the villages"
    when = max(lead.verify_due, lead.decide_due) + (date(2021, 1, 2) - date(2021, 1, 1))
    supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=when)
    keys = set(Problem.objects.within(EVERYWHERE).filter(lead_id=lead.pk).values_list("natural_key", flat=True))
    assert keys == {f"lead:{lead.pk}:verify", f"lead:{lead.pk}:decide"}
    verify = Problem.objects.within(EVERYWHERE).get(natural_key=f"lead:{lead.pk}:verify")
    assert verify.source == "monitoring_overdue" and verify.immediate and verify.category == "monitoring"
    Lead.objects.within(EVERYWHERE).filter(pk=lead.pk).update(state="verified")
    counts = supervision.sync_ledger(EVERYWHERE, policy, year=2020, as_of=when)
    states = dict(Problem.objects.within(EVERYWHERE).filter(lead_id=lead.pk).values_list("natural_key", "state"))
    assert states == {f"lead:{lead.pk}:verify": "closed", f"lead:{lead.pk}:decide": "new"} and counts.closed == 1


def test_report_counts_each_problem_in_its_region_at_the_level_with_a_worked_total(make_problems, policy,
                                                                                  county_user):
    a, b, _c = make_problems(3)                                          # village A, deadline 2020-03-31
    make_problems(1, region=TOWN + "000", source="audit")              # a town problem
    Problem.objects.within(EVERYWHERE).filter(pk=a.pk).update(state="closed", verified_on=date(2020, 4, 2))
    Problem.objects.within(EVERYWHERE).filter(pk=b.pk).update(state="void")
    report = supervision.ledger_report(Scope.of(county_user), policy, year=2020, level="town",
                                       as_of=date(2020, 4, 20))
    town = TOWN + "000"
    rows = {r["source"]: r for r in report.filter(pl.col("code") == town).iter_rows(named=True)}
    assert set(rows) == {"all", "audit", "inspection"}
    everything = rows["all"]
    assert (everything["total"], everything["void"], everything["effective"], everything["closed"],
            everything["closed_late"], everything["open"], everything["overdue"], everything["escalated"]) == (
        4, 1, 3, 1, 1, 2, 2, 2)
    assert everything["clear_rate"] == pytest.approx(1 / 3) and everything["cleared"] is False
    assert everything["oldest_open_days"] == 50 and everything["name"] == "龙沙镇"
    assert report["source"].to_list() == sorted(report["source"].to_list())
    assert list(report.columns) == list(engine.REPORT_COLUMNS)
    village = supervision.ledger_report(Scope.of(county_user), policy, year=2020, level="village",
                                        as_of=date(2020, 4, 20))
    assert set(village["code"].to_list()) == {VILLAGE_A, town}  # the town problem keeps its own code


def test_overdue_list_longest_first(make_problems, policy):
    make_problems(1, received_on=date(2020, 3, 1))
    make_problems(1, received_on=date(2020, 2, 1))
    frame = supervision.overdue(EVERYWHERE, policy, as_of=date(2020, 4, 20))
    assert frame["days_overdue"].to_list() == [49, 20]  # deadlines 2020-03-02 and 2020-03-31
    assert list(frame.columns) == list(supervision.OVERDUE_COLUMNS)


def test_import_upserts_and_rejects_rows_in_the_specs_words(db, policy, tmp_path):
    rows = [
        {"问题编号": "", "问题来源": "巡视巡察", "责任区划": VILLAGE_A, "问题类别": "housing", "问题描述": "危房未改造",
         "交办日期": "2020-03-01", "整改时限": ""},
        {"问题编号": "", "问题来源": "路边", "责任区划": VILLAGE_A, "问题类别": "housing", "问题描述": "x",
         "交办日期": "2020-03-01", "整改时限": ""},
        {"问题编号": "", "问题来源": "audit", "责任区划": "5001", "问题类别": "funds", "问题描述": "资金滞留",
         "交办日期": "2020-03-01", "整改时限": "2020-02-01"},
        {"问题编号": "", "问题来源": "audit", "责任区划": "50010X", "问题类别": "funds", "问题描述": "",
         "交办日期": "2020-03-01", "整改时限": ""},
        {"问题编号": "", "问题来源": "audit", "责任区划": VILLAGE_A, "问题类别": "funds",
         "问题描述": "户主电话13812345678", "交办日期": "2020-03-01", "整改时限": ""},
    ]
    path = tmp_path / "xunshi.csv"
    pl.DataFrame(rows).write_csv(path)
    rejects = tmp_path / "rejects.xlsx"
    outcome = supervision.import_ledger(EVERYWHERE, policy, path, rejects_path=rejects)
    assert (outcome.created, outcome.updated, outcome.rejected) == (1, 0, 4)
    sheet = openpyxl.load_workbook(rejects)["问题"]
    header = [c.value for c in sheet[1]]
    reasons = [r[header.index("问题说明")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert reasons == ["问题来源无效：路边", "整改时限早于交办日期", "责任区划代码无效：50010X；问题描述不能为空",
                       "问题描述中不得包含身份证号、电话或银行账号"]
    created = Problem.objects.within(EVERYWHERE).get()
    assert created.problem_id == "P2020-000001" and created.source == "inspection"
    pl.DataFrame([{"问题编号": "P2020-000001", "问题来源": "inspection", "责任区划": VILLAGE_A, "问题类别": "housing",
                   "问题描述": "危房未改造（复核）", "交办日期": "2020-03-01", "责任单位": "龙沙镇"}]).write_csv(path)
    again = supervision.import_ledger(EVERYWHERE, policy, path, rejects_path=rejects)
    created.refresh_from_db()
    assert (again.created, again.updated) == (0, 1) and created.responsible_unit == "龙沙镇"


def test_import_outside_the_scope_is_rejected(db, policy, tmp_path):
    path = tmp_path / "x.csv"
    pl.DataFrame([{"问题来源": "audit", "责任区划": "500102001201", "问题类别": "funds", "问题描述": "x",
                   "交办日期": "2020-03-01"}]).write_csv(path)
    outcome = supervision.import_ledger(Scope.system(COUNTY), policy, path, rejects_path=tmp_path / "r.xlsx")
    assert outcome.rejected == 1 and outcome.created == 0
