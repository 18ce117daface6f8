"""``fupin exit propose|step|list`` on a real database file: the village proposes the households
that meet the standard, steps are taken by case number, the lists come out as a workbook, and
bad input gets a one-line message."""

from __future__ import annotations

import openpyxl
import pytest

from tests.cli.test_registry_cli import fupin

pytestmark = pytest.mark.slow

YEAR = "2020"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A generated county in which five registered households are still 未脱贫 (the generator
    exits everyone by 2020), imported and assessed."""
    folder = tmp_path_factory.mktemp("exit")
    assert fupin("generate", "--households", "300", "--year", YEAR, "--seed", "5", "--out", "g.xlsx",
                 cwd=folder).returncode == 0
    book = openpyxl.load_workbook(folder / "g.xlsx")
    sheet = book["户"]
    headers = [c.value for c in sheet[1]]
    status, exit_year = headers.index("脱贫状态") + 1, headers.index("脱贫年度") + 1
    changed = 0
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, status).value == "已脱贫" and changed < 5:
            sheet.cell(row, status).value = "未脱贫"
            sheet.cell(row, exit_year).value = None
            changed += 1
    book.save(folder / "g.xlsx")
    db = f"sqlite:///{folder / 'e.sqlite3'}"
    assert fupin("import", "g.xlsx", "--db", db, cwd=folder).returncode == 0
    assessed = fupin("assess", "--year", YEAR, "--db", db, "--out", "r.csv", cwd=folder)
    assert assessed.returncode == 0, assessed.stderr
    return folder, db


def test_propose_then_steps_then_lists(database):
    folder, db = database
    first = fupin("exit", "propose", "--year", YEAR, "--db", db, cwd=folder)
    assert first.returncode == 0, first.stderr
    proposed = int(first.stdout.split("新提出 ")[1].split(" 户")[0])
    assert proposed >= 1, first.stdout
    again = fupin("exit", "propose", "--year", YEAR, "--db", db, cwd=folder)
    assert f"已提出 {proposed} 户" in again.stdout  # idempotent

    listed = fupin("exit", "list", "--year", YEAR, "--db", db, "--out", "exits.xlsx", cwd=folder)
    assert listed.returncode == 0, listed.stderr
    sheet = openpyxl.load_workbook(folder / "exits.xlsx")["退出名单"]
    headers = [c.value for c in sheet[3]]
    case = sheet.cell(4, headers.index("办理编号") + 1).value

    def step(*args):
        return fupin("exit", "step", "--year", YEAR, "--db", db, "--case", str(case), *args, cwd=folder)

    assert step("--action", "village_review").returncode == 0
    unsigned = step("--action", "household_confirm")
    assert unsigned.returncode == 2 and "须由农户签字确认" in unsigned.stderr
    assert step("--action", "household_confirm", "--signed").returncode == 0
    early = step("--action", "town_review")
    assert early.returncode == 2 and "公示期未满" in early.stderr and "Traceback" not in early.stderr


def test_a_monitoring_lead_number_is_not_an_exit_case(database):
    folder, db = database
    # The assessment handed leads to the villages; their numbers start at 1 too.
    result = fupin("exit", "step", "--year", YEAR, "--db", db, "--case", "1", "--action", "town_review", cwd=folder)
    assert result.returncode == 2 and "不存在" in result.stderr


def test_list_without_xlsx_and_a_bad_date_are_one_line_errors(database):
    folder, db = database
    no_out = fupin("exit", "list", "--year", YEAR, "--db", db, cwd=folder)
    assert no_out.returncode == 2 and "--out" in no_out.stderr
    bad_date = fupin("exit", "step", "--year", YEAR, "--db", db, "--case", "1", "--action", "village_review",
                     "--date", "2020-13-01", cwd=folder)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    assert "Traceback" not in no_out.stderr + bad_date.stderr
