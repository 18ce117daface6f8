"""``fupin generate`` then ``fupin assist coverage|check --input`` for real: the workbook's sheets
and Chinese headers, the figures' consistency, the folders, and the refusals."""

from __future__ import annotations

import os
import subprocess
import sys

import openpyxl
import polars as pl
import pytest

from fupin.cli import main
from fupin.cli.assistance import COVERAGE_HEADERS, SHEET_TITLES, UNCOVERED_HEADERS
from tests.engine.engine_helpers import CHONGQING

YEAR = 2022


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assist")
    out = folder / "g.xlsx"
    assert main(["generate", "--households", "400", "--year", str(YEAR), "--seed", "4", "--out", str(out)]) == 0
    return out


def test_generate_writes_assistance_sheets_into_the_workbook(generated):
    names = openpyxl.load_workbook(generated, read_only=True).sheetnames
    assert {"户", "人", "帮扶措施", "收益项目", "收益分配"} <= set(names)


def test_assist_coverage_writes_one_sheet_per_rule_with_chinese_headers(generated, tmp_path):
    out = tmp_path / "coverage.xlsx"
    code = subprocess.run([sys.executable, "-m", "fupin.cli", "assist", "coverage", "--year", str(YEAR), "--input",
                           str(generated), "--out", str(out)], check=False, capture_output=True, text=True)
    assert code.returncode == 0, code.stderr
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["覆盖率", *SHEET_TITLES.values(), "帮扶责任人结对"]
    assert [c.value for c in next(wb["覆盖率"].iter_rows(max_row=1))] == list(COVERAGE_HEADERS.values())
    for title in SHEET_TITLES.values():
        assert [c.value for c in next(wb[title].iter_rows(max_row=1))] == list(UNCOVERED_HEADERS.values())
    rows = list(wb["覆盖率"].iter_rows(min_row=2, values_only=True))
    rules = {r[5] for r in rows}
    assert rules == {"人人有出路", "户户有收益", "资产收益类带动", "识别后及时落实开发式帮扶", "无劳动能力户综合保障",
                     "结对帮扶全覆盖", "按时走访"}
    # R5/R6 (issue 13): generated pairings cover most households, most visits are in time.
    province = {r[5]: r for r in rows if r[2] == "省"}
    assert province["结对帮扶全覆盖"][8] > 0.9 and 0.5 < province["按时走访"][8] < 1
    cadres = list(wb["帮扶责任人结对"].iter_rows(values_only=True))
    assert cadres[0][:2] == ("责任人编号", "姓名") and len(cadres) > 10
    # The uncovered list of a rule has as many rows as the province figure's uncovered.
    province = {r[5]: r for r in rows if r[2] == "省"}
    listed = sum(1 for _ in wb["户户有收益未覆盖"].iter_rows(min_row=2))
    assert province["户户有收益"][10] == listed
    # Generated data is calibrated: most households of S(Y) have an income measure.
    assert province["户户有收益"][8] > 0.85
    # Lists for people mask the ID.
    ids = [r[6] for r in wb["人人有出路未覆盖"].iter_rows(min_row=2, values_only=True) if r[6]]
    assert all("**********" in i for i in ids)


def test_assist_coverage_over_a_parquet_folder_and_region(tmp_path):
    src = tmp_path / "g.parquet"
    assert main(["generate", "--households", "300", "--year", str(YEAR), "--seed", "5", "--out", str(src)]) == 0
    out = tmp_path / "cov.parquet"
    assert main(["assist", "coverage", "--year", str(YEAR), "--input", str(src), "--region", "500101",
                 "--out", str(out)]) == 0
    table = pl.read_parquet(out)
    assert set(table["level"]) == {"county", "town", "village"}
    assert (tmp_path / "cov.uncovered.parquet").exists()


def test_assist_check_writes_findings_and_rejects(generated, tmp_path):
    out, rejects = tmp_path / "check.xlsx", tmp_path / "rejects.xlsx"
    assert main(["assist", "check", "--year", str(YEAR), "--input", str(generated), "--out", str(out),
                 "--rejects", str(rejects)]) == 0
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["按代码汇总", "问题清单"]
    assert rejects.exists()


def fupin(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FUPIN_DB"}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env=env, capture_output=True, check=False,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def imported(generated, tmp_path_factory):
    """The generated workbook imported twice (registry, then its assistance sheets) into SQLite."""
    folder = tmp_path_factory.mktemp("assist_db")
    db = f"sqlite:///{folder / 'a.sqlite3'}"
    assert fupin("import", str(generated), "--db", db, cwd=folder).returncode == 0
    first = fupin("assist", "import", str(generated), "--db", db, cwd=folder)
    assert first.returncode == 0, first.stderr
    again = fupin("assist", "import", str(generated), "--db", db, cwd=folder)
    return db, folder, first.stdout, again.stdout


def test_assist_import_prints_a_chinese_summary_and_a_second_import_changes_nothing(imported):
    _db, _folder, first, again = imported
    assert "帮扶措施：新增" in first and "收益分配：新增" in first and "退回 0" in first
    assert "帮扶措施：新增 0，更新 0" in again and "收益项目：新增 0，更新 0，未变 1" in again


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_coverage_over_the_database_equals_coverage_over_the_file_it_was_imported_from(imported, generated, suffix):
    db, folder, _f, _a = imported
    from_db, from_file = folder / f"db{suffix}", folder / f"file{suffix}"
    assert fupin("assist", "coverage", "--year", str(YEAR), "--db", db, "--out", str(from_db), cwd=folder).returncode == 0
    assert fupin("assist", "coverage", "--year", str(YEAR), "--input", str(generated), "--out", str(from_file),
                 cwd=folder).returncode == 0
    if suffix == ".csv":
        assert pl.read_csv(from_db).equals(pl.read_csv(from_file))
        listed = [pl.read_csv(p.with_name(p.stem + ".uncovered.csv")) for p in (from_db, from_file)]
        assert listed[0].height > 0
        assert listed[0].sort(listed[0].columns, nulls_last=True).equals(listed[1].sort(listed[1].columns, nulls_last=True))
    else:
        sheets = [openpyxl.load_workbook(p, read_only=True) for p in (from_db, from_file)]
        assert sheets[0].sheetnames == sheets[1].sheetnames
        for name in sheets[0].sheetnames:
            assert sorted(map(str, sheets[0][name].iter_rows(values_only=True))) == \
                sorted(map(str, sheets[1][name].iter_rows(values_only=True)))


def test_coverage_over_the_database_of_a_region_equals_the_files(imported, generated):
    db, folder, _f, _a = imported
    outs = [folder / "rdb.csv", folder / "rfile.csv"]
    assert fupin("assist", "coverage", "--year", str(YEAR), "--db", db, "--region", "500101", "--out", str(outs[0]),
                 cwd=folder).returncode == 0
    assert fupin("assist", "coverage", "--year", str(YEAR), "--input", str(generated), "--region", "500101",
                 "--out", str(outs[1]), cwd=folder).returncode == 0
    assert pl.read_csv(outs[0]).equals(pl.read_csv(outs[1]))


def test_assist_check_and_plans_over_the_database(imported):
    db, folder, _f, _a = imported
    checked = fupin("assist", "check", "--year", str(YEAR), "--db", db, "--out", str(folder / "c.xlsx"), cwd=folder)
    assert checked.returncode == 0, checked.stderr
    assert fupin("assess", "--year", str(YEAR), "--db", db, "--out", str(folder / "v.csv"), "--policy", CHONGQING,
                 cwd=folder).returncode == 0
    plans = fupin("assist", "plans", "--year", str(YEAR), "--db", db, "--as-of", f"{YEAR + 1}-02-25", "--policy", CHONGQING,
                  "--out", str(folder / "p.xlsx"), cwd=folder)
    assert plans.returncode == 0, plans.stderr
    assert "一户一策" in plans.stdout
    wb = openpyxl.load_workbook(folder / "p.xlsx", read_only=True)
    assert wb.sheetnames == ["已逾期", "7天内到期"]
    header = list(next(wb["已逾期"].iter_rows(min_row=3, max_row=3, values_only=True)))
    assert header[:4] == ["村（区划代码）", "自然村", "户编号", "户主姓名"]


def test_assist_over_the_database_refuses_bad_input_without_a_traceback(imported, tmp_path):
    db, _folder, _f, _a = imported
    no_file = fupin("assist", "import", "--db", db, cwd=tmp_path)
    assert no_file.returncode == 2 and "FILE" in no_file.stderr and "Traceback" not in no_file.stderr
    no_year = fupin("assist", "coverage", "--db", db, "--out", "x.xlsx", cwd=tmp_path)
    assert no_year.returncode == 2 and "--year" in no_year.stderr
    empty = fupin("assist", "coverage", "--year", "2015", "--db", db, "--out", "x.xlsx", cwd=tmp_path)
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    rejects = fupin("assist", "check", "--year", str(YEAR), "--db", db, "--rejects", "r.xlsx", cwd=tmp_path)
    assert rejects.returncode == 2 and "assist import" in rejects.stderr


def test_assist_without_out_or_with_a_bad_suffix_is_a_user_error(generated, capsys):
    assert main(["assist", "coverage", "--year", str(YEAR), "--input", str(generated)]) == 2
    assert main(["assist", "coverage", "--year", str(YEAR), "--input", str(generated), "--out", "x.txt"]) == 2


def test_assist_file_commands_never_import_django(generated, tmp_path):
    code = ("import sys; from fupin.cli import main; "
            f"main(['assist', 'check', '--year', '{YEAR}', '--input', r'{generated}']); "
            "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
