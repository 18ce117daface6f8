"""Edge case 2 of spec/assistance.md section 6 end to end, through files and the database: a
member who died on 2021-06-10 (人员状态变动日期, 1.8) holding an open 公益性岗位 — B10 counts 6
months (Jul–Dec) of pay after the date, the same from ``fupin assist check --input`` and from
``--db`` after importing that file; B17 (recorded twice) is listed by both as well."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import openpyxl
import pytest

from fupin.engine.assistance import schema as S
from fupin.engine.schema import polars_schema
from fupin.io.assistance import workbook_sheets
from fupin.io.writer import write_registry
from tests.engine.assistance.assist_helpers import table
from tests.engine.engine_helpers import frame, household, member

YEAR = 2021
VILLAGE = "500101001001"


def fupin(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FUPIN_DB"}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env=env, capture_output=True,
                          check=False, text=True, timeout=600)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("status_change")
    head = member(household_id="H1", year=YEAR, name="王一", relationship="户主", birth=date(1960, 2, 1))
    died = member(household_id="H1", year=YEAR, name="王二", relationship="配偶", sex="女", birth=date(1962, 4, 1),
                  labour="弱劳动力或半劳动力", member_status="死亡", status_changed_on=date(2021, 6, 10))
    hh = frame("households", [household(household_id="H1", year=YEAR, region_code=VILLAGE, registered=True,
                                        poverty_status="已脱贫", exit_year=2019)])
    members = frame("members", [head, died]).select(list(polars_schema("members")))
    posts = table("posts", [{"post_id": "G1", "name": "保洁员岗", "kind": S.PUBLIC_POST, "public_post_type": "保洁员",
                             "employer": "某镇政府", "region_code": VILLAGE, "place": "乡镇内", "monthly_pay": 500.0,
                             "accident_insurance": True, "planned": 1, "published_on": date(2021, 1, 1)}])
    placements = table("placements", [{"id_number": died["id_number"], "household_id": "H1", "post_id": "G1",
                                        "start": date(2021, 1, 1)}])
    twin = {"household_id": "H1", "subtype": "产业奖补", "start": date(2021, 3, 1), "amount": 800.0, "status": "已落实",
            "responsible_unit": "县农业农村委"}
    measures = table("measures", [{**twin, "measure_id": "M1"}, {**twin, "measure_id": "M2"}])
    path = folder / "edge2.xlsx"
    write_registry(path, hh, members, extra_sheets=workbook_sheets(
        {"posts": posts, "placements": placements, "measures": measures}))
    return folder, path


def _findings(path) -> dict[str, list[str]]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["问题清单"].iter_rows(values_only=True))
    header = list(rows[0])
    code_at = next(i for i, h in enumerate(header) if h in ("代码", "问题代码"))
    message_at = next(i for i, h in enumerate(header) if h in ("问题说明", "说明"))
    out: dict[str, list[str]] = {}
    for r in rows[1:]:
        out.setdefault(r[code_at], []).append(r[message_at])
    return out


def test_b10_counts_the_months_after_the_status_change_date_the_same_from_the_file_and_the_database(workbook):
    folder, path = workbook
    db = f"sqlite:///{folder / 'e2.sqlite3'}"
    imported = fupin("import", str(path), "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr + imported.stdout
    assisted = fupin("assist", "import", str(path), "--db", db, cwd=folder)
    assert assisted.returncode == 0, assisted.stderr + assisted.stdout
    from_file, from_db = folder / "file.xlsx", folder / "db.xlsx"
    on_file = fupin("assist", "check", "--year", str(YEAR), "--input", str(path), "--out", str(from_file), cwd=folder)
    on_db = fupin("assist", "check", "--year", str(YEAR), "--db", db, "--out", str(from_db), cwd=folder)
    assert on_file.returncode == 1 and on_db.returncode == 1, on_file.stderr + on_db.stderr  # B10 is an error
    file_found, db_found = _findings(from_file), _findings(from_db)
    assert len(file_found["B10"]) == 1
    message = file_found["B10"][0]
    assert "2021-06-10" in message and "死亡" in message and "6 个月" in message
    assert db_found["B10"] == file_found["B10"]
    # B17: the two 产业奖补 alike but for 措施编号 are listed by both runs.
    assert len(file_found["B17"]) == 1 and db_found["B17"] == file_found["B17"]
    assert "B17" in on_db.stdout and "B10" in on_db.stdout


def test_export_writes_the_status_change_date_back(workbook):
    folder, path = workbook
    db = f"sqlite:///{folder / 'e2.sqlite3'}"
    if not (folder / "e2.sqlite3").exists():
        assert fupin("import", str(path), "--db", db, cwd=folder).returncode == 0
    out = folder / "export.csv"
    exported = fupin("export", "--year", str(YEAR), "--db", db, "--out", str(out), cwd=folder)
    assert exported.returncode == 0, exported.stderr
    text = (out / "members.csv").read_text(encoding="utf-8-sig")
    assert "人员状态变动日期" in text.splitlines()[0] and "2021-06-10" in text
