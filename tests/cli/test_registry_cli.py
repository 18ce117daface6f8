"""The registry commands run for real, as a county office would run them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

pytestmark = pytest.mark.slow


def fupin(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FUPIN_DB"}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=600)


def table(db: Path, sql: str) -> pl.DataFrame:
    with sqlite3.connect(db) as connection:
        cursor = connection.execute(sql)
        names = [d[0] for d in cursor.description]
        return pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    result = fupin("generate", "--households", "400", "--year", "2020", "--region", "500101",
                   "--seed", "7", "--out", "registry.xlsx", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "registry.xlsx"


def test_import_then_reimport_says_nothing_changed(workbook, tmp_path):
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    first = fupin("import", str(workbook), "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "新增 400 户" in first.stdout
    again = fupin("import", str(workbook), "--db", db, cwd=tmp_path)
    assert again.returncode == 0
    assert "无变化" in again.stdout and "nothing changed" in again.stdout


@pytest.mark.parametrize("container", ["export.xlsx", "export.parquet", "export_csv"])
def test_export_then_import_round_trips_exactly(workbook, tmp_path, container):
    first_db = tmp_path / "first.sqlite3"
    second_db = tmp_path / "second.sqlite3"
    assert fupin("import", str(workbook), "--db", f"sqlite:///{first_db}", cwd=tmp_path).returncode == 0
    exported = fupin("export", "--year", "2020", "--db", f"sqlite:///{first_db}", "--out", container, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    second = fupin("import", container, "--db", f"sqlite:///{second_db}", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    skip = {"id", "household_pk", "import_batch_id", "updated_at"}
    for name in ("registry_household", "registry_member"):
        a, b = table(first_db, f"SELECT * FROM {name}"), table(second_db, f"SELECT * FROM {name}")
        columns = [c for c in a.columns if c not in skip]
        key = ["household_id", "year"] + (["id_number"] if name == "registry_member" else [])
        assert a.select(columns).sort(key).equals(b.select(columns).sort(key)), name
    villages = "SELECT code, name, parent_id FROM registry_region WHERE level = 'village' ORDER BY code"
    assert table(first_db, villages).equals(table(second_db, villages))


def test_bad_rows_come_back_in_a_rejects_workbook_that_imports_once_fixed(workbook, tmp_path):
    broken = tmp_path / "broken.xlsx"
    book = openpyxl.load_workbook(workbook)
    sheet = book["人"]
    headers = [c.value for c in sheet[1]]
    id_column = headers.index("证件号码") + 1
    original_id = sheet.cell(row=2, column=id_column).value
    sheet.cell(row=2, column=id_column).value = original_id[:-1] + ("0" if original_id[-1] != "0" else "1")
    book.save(broken)
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    result = fupin("import", str(broken), "--db", db, "--rejects", "back.xlsx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "新增 399 户" in result.stdout and "退回" in result.stdout
    back = openpyxl.load_workbook(tmp_path / "back.xlsx")
    rejected_members = back["人"]
    back_headers = [c.value for c in rejected_members[1]]
    assert "问题说明" in back_headers and "原行号" in back_headers
    rows = list(rejected_members.iter_rows(min_row=2, values_only=True))
    reasons = [r[back_headers.index("问题说明")] for r in rows]
    assert any("校验" in (reason or "") for reason in reasons)
    # The cadre corrects the ID in the rejects workbook and imports that same file.
    for row in rejected_members.iter_rows(min_row=2):
        cell = row[back_headers.index("证件号码")]
        if cell.value and cell.value[:-1] == original_id[:-1]:
            cell.value = original_id
    back.save(tmp_path / "back.xlsx")
    fixed = fupin("import", "back.xlsx", "--db", db, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert "新增 1 户" in fixed.stdout


def test_missing_file_and_unreadable_file_give_a_message_not_a_traceback(tmp_path):
    missing = fupin("import", "nope.xlsx", "--db", f"sqlite:///{tmp_path / 'r.sqlite3'}", cwd=tmp_path)
    assert missing.returncode == 2 and "找不到" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    old = fupin("import", "old.xls", "--db", f"sqlite:///{tmp_path / 'r.sqlite3'}", cwd=tmp_path)
    assert old.returncode == 2 and "Traceback" not in old.stderr and ".xls" in old.stderr


def test_export_of_an_empty_year_says_so(workbook, tmp_path):
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    assert fupin("import", str(workbook), "--db", db, cwd=tmp_path).returncode == 0
    result = fupin("export", "--year", "1999", "--db", db, "--out", "x.xlsx", cwd=tmp_path)
    assert result.returncode == 2 and "没有" in result.stderr


def test_demo_generates_imports_and_prints_a_summary_by_town(tmp_path):
    result = fupin("demo", "--households", "300", "--no-serve", "--db", f"sqlite:///{tmp_path / 'demo.sqlite3'}",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "按乡镇汇总" in result.stdout and "合计" in result.stdout
    assert "新增 300 户" in result.stdout
    assert "达标 " in result.stdout and "监测对象：" in result.stdout
    assert "{" not in result.stdout, "the summary is for people, not a printed Python dict"
    assert "demo-admin" in result.stdout and "demo-cadre" in result.stdout


def test_flat_workbook_with_region_codes_assesses_and_imports(tmp_path):
    """Issue 9: `fupin assess --input` and `fupin import` on a flat sheet with 区划代码."""
    from datetime import date

    from fupin.engine import idnumber

    pl.DataFrame({
        "户编号": ["H1", "H1"], "区划代码": ["500101102201", "500101102201"], "户类型": ["脱贫户", "脱贫户"],
        "脱贫年度": ["2019", "2019"], "姓名": ["张三", "李四"], "与户主关系": ["户主", "配偶"],
        "证件号码": [idnumber.make_id("500101", date(1970, 3, 1), 11), idnumber.make_id("500101", date(1972, 5, 2), 22)],
        "性别": ["男", "女"], "工资性收入": ["12000", "12000"],
    }).write_excel(tmp_path / "flat.xlsx")
    assessed = fupin("assess", "--input", "flat.xlsx", "--year", "2020", "--out", "out.csv", cwd=tmp_path)
    assert assessed.returncode == 0, assessed.stderr
    assert pl.read_csv(tmp_path / "out.csv")["region_code"].cast(pl.String).to_list() == ["500101102201"]
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    imported = fupin("import", "flat.xlsx", "--year", "2020", "--db", db, cwd=tmp_path)
    assert imported.returncode == 0 and "新增 1 户 / 2 人" in imported.stdout, imported.stderr
