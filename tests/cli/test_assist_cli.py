"""``fupin generate`` then ``fupin assist coverage|check --input`` for real: the workbook's sheets
and Chinese headers, the figures' consistency, the folders, and the refusals."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import polars as pl
import pytest

from fupin.cli import main
from fupin.cli.assistance import COVERAGE_HEADERS, SHEET_TITLES, UNCOVERED_HEADERS

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
    assert wb.sheetnames == ["覆盖率", *SHEET_TITLES.values()]
    assert [c.value for c in next(wb["覆盖率"].iter_rows(max_row=1))] == list(COVERAGE_HEADERS.values())
    for title in SHEET_TITLES.values():
        assert [c.value for c in next(wb[title].iter_rows(max_row=1))] == list(UNCOVERED_HEADERS.values())
    rows = list(wb["覆盖率"].iter_rows(min_row=2, values_only=True))
    rules = {r[5] for r in rows}
    assert rules == {"人人有出路", "户户有收益", "资产收益类带动", "识别后及时落实开发式帮扶", "无劳动能力户综合保障"}
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


def test_assist_db_mode_is_refused_with_what_is_missing(capsys):
    assert main(["assist", "coverage", "--year", str(YEAR), "--db", "sqlite:///nowhere.sqlite3", "--out", "x.xlsx"]) == 2
    err = capsys.readouterr().err
    assert "fupin assist import" in err and "--input" in err


def test_assist_without_out_or_with_a_bad_suffix_is_a_user_error(generated, capsys):
    assert main(["assist", "coverage", "--year", str(YEAR), "--input", str(generated)]) == 2
    assert main(["assist", "coverage", "--year", str(YEAR), "--input", str(generated), "--out", "x.txt"]) == 2


def test_assist_file_commands_never_import_django(generated, tmp_path):
    code = ("import sys; from fupin.cli import main; "
            f"main(['assist', 'check', '--year', '{YEAR}', '--input', r'{generated}']); "
            "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
