"""Department matching and engine runs into leads: idempotent, scoped, with rejects."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from tests.monitoring.monitoring_helpers import NOW, VILLAGE_A, YEAR, pid
from tests.regions import OTHER_TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
D_2023 = 20133.0


def medical_file(tmp_path, rows):
    path = tmp_path / "medical.csv"
    pl.DataFrame(rows, schema=["姓名", "证件号码", "年度", "合规自付医疗费用"], orient="row").write_csv(path)
    return path


def test_matching_the_same_file_twice_creates_no_duplicate_leads(registry, users, tmp_path):
    from fupin.application.monitoring import match_department_list
    from fupin.monitoring.models import Lead, LeadStep

    path = medical_file(tmp_path, [("张大山", pid(1), YEAR, 0.5 * D_2023 + 1), ("王二", pid(3), YEAR, D_2023 + 1),
                                   ("查无此人", "500101199001011234", YEAR, 1), ("钱五", pid(5), YEAR, 100)])
    first = match_department_list(Scope.of(users["steward"]), current_policy(), path, kind="medical", year=YEAR, now=NOW)
    assert (first.created, first.existing) == (2, 0)
    second = match_department_list(Scope.of(users["steward"]), current_policy(), path, kind="medical", year=YEAR, now=NOW)
    assert (second.created, second.existing) == (0, 2)
    leads = Lead.objects.within(EVERYWHERE).filter(channel="department").order_by("household_id")
    assert [(lead.household_id, lead.region_code, lead.kind, lead.state) for lead in leads] == [
        ("H1", VILLAGE_A, "medical", "new"), ("H2", VILLAGE_A, "medical", "new")]
    assert LeadStep.objects.within(EVERYWHERE).filter(lead__in=leads, action="created").count() == 2
    assert leads[0].evidence["persons"][0]["name"] == "张大山" and leads[0].verify_due.isoformat() == "2024-03-06"
    assert first.rejected == 1  # the invalid ID; the person not in the registry is the same row


def test_matching_reads_only_the_stewards_region(registry, users, make_user, tmp_path):
    from fupin.application.monitoring import match_department_list

    steward = make_user("steward_b", "steward", OTHER_TOWN)
    path = medical_file(tmp_path, [("张大山", pid(1), YEAR, 99999), ("钱五", pid(5), YEAR, 99999)])
    outcome = match_department_list(Scope.of(steward), current_policy(), path, kind="medical", year=YEAR, now=NOW)
    assert outcome.created == 1 and outcome.stats["unmatched"] == 1


def test_roles_without_jobs_cannot_match(registry, users, tmp_path):
    from fupin.application.monitoring import IntakeError, match_department_list

    path = medical_file(tmp_path, [("张大山", pid(1), YEAR, 99999)])
    with pytest.raises(IntakeError):
        match_department_list(Scope.of(users["village"]), current_policy(), path, kind="medical", year=YEAR, now=NOW)


def test_fupin_match_command_prints_counts_and_writes_rejects(registry, tmp_path, capsys):
    from fupin.cli import main

    path = medical_file(tmp_path, [("张大山", pid(1), YEAR, 99999), ("坏号", "12345", YEAR, 1)])
    rejects = tmp_path / "out.rejects.xlsx"
    assert main(["match", str(path), "--kind", "medical", "--year", str(YEAR), "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert "新建线索 1 条" in out and rejects.exists()
    assert main(["match", str(path), "--kind", "medical", "--year", str(YEAR), "--rejects", str(rejects)]) == 0
    assert "新建线索 0 条，已有 1 条" in capsys.readouterr().out


def test_fupin_match_wrong_columns_is_a_clear_error_without_traceback(registry, tmp_path, capsys):
    from fupin.cli import main

    path = tmp_path / "bad.csv"
    path.write_text("名字,号码\n张三,1\n", encoding="utf-8")
    assert main(["match", str(path), "--kind", "medical", "--year", str(YEAR), "--rejects", str(tmp_path / "r.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "缺少列" in err and "missing column" in err and "Traceback" not in err


def test_fupin_match_year_without_D_names_the_missing_policy_value(registry, tmp_path, capsys):
    from fupin.cli import main

    path = medical_file(tmp_path, [("张大山", pid(1), 2030, 99999)])
    rejects = tmp_path / "r.xlsx"
    assert main(["match", str(path), "--kind", "medical", "--year", "2030", "--rejects", str(rejects)]) == 2
    assert "rural_income_prev_year" in capsys.readouterr().err


def _run_with_verdicts(rows):
    from datetime import date

    from fupin.assessments.models import AssessmentRun, Verdict

    run = AssessmentRun.objects.within(EVERYWHERE).create(year=YEAR, policy="national@1.0", as_of=date(YEAR, 12, 31))
    for hid, category, risks, elimination in rows:
        Verdict.objects.within(EVERYWHERE).create(run=run, household_id=hid, year=YEAR, region_code=VILLAGE_A, meets_standard="yes",
                               monitoring_category=category, risk_factors=risks, elimination=elimination)
    return run


def test_engine_run_verdicts_become_leads_idempotently(registry, users):
    from fupin.monitoring.intake import create_engine_leads
    from fupin.monitoring.models import Lead

    run = _run_with_verdicts([("H1", "unstable", "serious_illness;medical_cost", ""), ("H2", "none", "", ""),
                              ("H3", "marginal", "disaster", ""), ("H6", "monitored", "", "ready"),
                              ("H4", "sudden", "", "")])
    assert create_engine_leads(EVERYWHERE, current_policy(), run, now=NOW) == (4, 0)
    assert create_engine_leads(EVERYWHERE, current_policy(), run, now=NOW) == (0, 4)
    h1 = Lead.objects.within(EVERYWHERE).get(natural_key=f"engine:identification:H1:{YEAR}")
    assert (h1.category, h1.risk_types, h1.name, h1.channel) == ("unstable", ["serious_illness", "medical_cost"],
                                                                  "张大山", "engine")
    elim = Lead.objects.within(EVERYWHERE).get(household_id="H6")
    assert (elim.purpose, elim.natural_key) == ("elimination", f"engine:elimination:H6:{YEAR}")
    assert elim.steps.get().action == "created"
