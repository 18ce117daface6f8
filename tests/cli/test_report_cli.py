"""``fupin report``: the upward monthly tables, on a generated registry imported and assessed into a
database, and the readings of each table on small hand-made frames."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fupin.cli import main
from tests.engine.engine_helpers import frames, household, member

SHEETS = ("脱贫进度", "村级进度", "未达标指标", "监测对象")


def fupin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DB", "FUPIN_POLICY")}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("report")
    assert main(["generate", "--households", "2000", "--year", "2021", "--seed", "5",
                 "--out", str(folder / "g.xlsx")]) == 0
    db = f"sqlite:///{folder / 'r.sqlite3'}"
    imported = fupin("import", "g.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert fupin("assess", "--year", "2021", "--db", db, "--out", "v.csv", cwd=folder).returncode == 0
    return folder, db


def _table(sheet) -> tuple[list, list[tuple], tuple]:
    """(headers, data rows, 合计 row) of a report sheet: title, region line, group band, headers."""
    headers = [c.value for c in sheet[4]]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "合计")
    return headers, rows[:at], rows[at]


@pytest.mark.slow
def test_report_workbook_has_four_sheets_with_titles_frozen_grouped_headers_and_合计_equal_to_the_sums(database):
    folder, db = database
    done = fupin("report", "--year", "2021", "--month", "6", "--region", "500101", "--out", "r.xlsx", "--db", db,
                 cwd=folder)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(folder / "r.xlsx")
    assert tuple(book.sheetnames) == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet["A1"].value.startswith("2021年") and "500101" in sheet["A2"].value
        assert sheet.freeze_panes == "A5" and sheet.print_title_rows == "$3:$4"
        assert sheet.page_setup.orientation == "landscape"
        headers, data, total = _table(sheet)
        assert headers[:2] == ["区划代码", "名称"] and data
        for j, header in enumerate(headers):
            if isinstance(data[0][j], int) and header not in ("贫困发生率",):
                assert total[j] == sum(r[j] or 0 for r in data), (name, header)
    progress = book["脱贫进度"]
    assert [c.value for c in progress[3]][2:4] == ["建档立卡", None]  # merged band over 户数/人数
    _h, _towns, town_total = _table(progress)
    _h, _villages, village_total = _table(book["村级进度"])
    assert town_total[2:12] == village_total[3:13]  # villages add up to their towns


@pytest.mark.slow
def test_report_monitored_households_match_the_registry(database):
    folder, db = database
    assert fupin("report", "--year", "2021", "--month", "6", "--region", "500101", "--out", "m.xlsx", "--db", db,
                 cwd=folder).returncode == 0
    headers, _rows, total = _table(openpyxl.load_workbook(folder / "m.xlsx")["监测对象"])
    with sqlite3.connect(folder / "r.sqlite3") as connection:
        monitored, new = connection.execute(
            "SELECT SUM(monitoring_category IS NOT NULL AND COALESCE(risk_eliminated, 0) = 0), "
            "SUM(monitoring_since = '2021-06') FROM registry_household WHERE year = 2021").fetchone()
    assert total[headers.index("户数")] == monitored and total[7] == new


@pytest.mark.slow
def test_report_refuses_a_region_without_households_and_a_bad_month(database):
    folder, db = database
    empty = fupin("report", "--year", "2019", "--month", "6", "--region", "500101", "--out", "x.xlsx", "--db", db,
                  cwd=folder)
    assert empty.returncode == 2 and "下没有 2019 年度的户" in empty.stderr and "Traceback" not in empty.stderr
    month = fupin("report", "--year", "2021", "--month", "13", "--region", "500101", "--out", "x.xlsx", "--db", db,
                  cwd=folder)
    assert month.returncode == 2 and "月份应为 1–12" in month.stderr


# --- the readings, on hand-made frames ----------------------------------------------------------

def _frames():
    from fupin.application.report_tables import report_frames

    hh = [
        household(household_id="EXITED", registered=True, poverty_status="已脱贫", exit_year=2024),
        household(household_id="EARLIER", registered=True, poverty_status="已脱贫", exit_year=2019),
        household(household_id="POOR", registered=True, poverty_status="返贫"),
        household(household_id="NEW", monitoring_category="边缘易致贫户", monitoring_since="2024-06"),
        household(household_id="OLD", monitoring_category="脱贫不稳定户", monitoring_since="2023-02", registered=True,
                  poverty_status="已脱贫", exit_year=2018),
        household(household_id="GONE", monitoring_category="突发严重困难户", monitoring_since="2024-01",
                  risk_eliminated=True, risk_eliminated_at="2024-06"),
        household(household_id="LATER", monitoring_category="突发严重困难户", monitoring_since="2024-07"),
    ]
    members = [member(household_id=h["household_id"]) for h in hh] + [member(household_id="POOR", relationship="配偶")]
    h, m = frames(hh, members)
    return report_frames(h, m, None, None, year=2024, month=6, region="500101")


def test_report_exited_this_year_reads_exit_year_and_remaining_includes_returned():
    town = _frames().towns.row(0, named=True)
    assert (town["registered_households"], town["exited_households"], town["exited_this_year_households"]) == (4, 3, 1)
    assert (town["remaining_households"], town["remaining_people"], town["returned_households"]) == (1, 2, 1)


def test_report_this_month_reads_monitoring_since_and_risk_eliminated_at_equal_to_the_month():
    row = _frames().monitoring.row(0, named=True)
    # LATER (identified in July) is monitored now but not new in June; GONE was eliminated in June.
    assert (row["monitored_households"], row["monitored_marginal"], row["monitored_unstable"]) == (3, 1, 1)
    assert (row["identified_month"], row["identified_month_marginal"], row["identified_year"]) == (1, 1, 2)
    assert (row["eliminated_month"], row["eliminated_year"]) == (1, 1)


def test_report_without_verdicts_leaves_the_indicator_table_empty_and_says_so():
    tables = _frames()
    assert not tables.assessed and tables.unmet.row(0, named=True)["assessed"] == 0
    assert tables.as_of.isoformat() == "2024-06-30"


def test_report_incidence_total_is_one_division_of_the_sums(tmp_path):
    from fupin.application.report_tables import write_monthly_report

    tables = _frames()
    tables.towns = pl.concat([tables.towns, tables.towns.with_columns(code=pl.lit("500101002000"))]).with_columns(
        registered_rural_population=pl.Series([30, 70]), remaining_people=pl.Series([3, 1], dtype=pl.Int64),
    ).with_columns(incidence=pl.col("remaining_people") / pl.col("registered_rural_population"))
    write_monthly_report(tables, tmp_path / "r.xlsx")
    headers, _rows, total = _table(openpyxl.load_workbook(tmp_path / "r.xlsx")["脱贫进度"])
    assert total[headers.index("贫困发生率")] == 4 / 100  # not (0.1 + 1/70) / 2
