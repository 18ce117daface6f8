"""``fupin scenario`` run for real on a generated registry: over the file (in-process) and over a
database (a process of its own), whose rows, history and stored runs it must leave unchanged."""

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

pytestmark = pytest.mark.slow

SETS = ["--set", "poverty_line=4500", "--set", "monitoring_line=7000"]


def fupin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DB", "FUPIN_POLICY")}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scenario")
    assert main(["generate", "--households", "2000", "--year", "2021", "--seed", "5",
                 "--out", str(folder / "g.xlsx")]) == 0
    return folder


def test_scenario_over_a_file_writes_regions_with_a_total_row_and_the_changed_households(registry, capsys):
    out, changed = registry / "s.csv", registry / "h.csv"
    assert main(["scenario", "--year", "2021", "--input", str(registry / "g.xlsx"), *SETS, "--level", "town",
                 "--out", str(out), "--households", str(changed)]) == 0
    assert "未写入数据库" in capsys.readouterr().out
    frame = pl.read_csv(out, schema_overrides={"code": pl.String})
    rows, total = frame.filter(pl.col("level") == "town"), frame.filter(pl.col("level") == "total").row(0, named=True)
    assert rows.height >= 2 and total["name"] == "合计" and total["households"] == 2000
    for col in ("households", "people", "yes_scen", "no_scen", "verdict_changed_households", "became_no",
                "shortfall_poverty_scen", "shortfall_monitoring_scen"):
        assert total[col] == pytest.approx(rows[col].sum()), col
    # A higher line can only take households below it: more unmet, more shortfall, nobody became yes.
    assert total["became_no"] > 0 and total["became_yes"] == 0
    assert total["shortfall_poverty_scen"] > total["shortfall_poverty_base"]
    assert total["scenario"] == "poverty_line=4500;monitoring_line=7000"
    households = pl.read_csv(changed)
    differs = (households["meets_standard_base"] != households["meets_standard_scen"]).sum()
    assert differs == total["verdict_changed_households"]
    assert households.height >= total["category_changed_households"]


def test_scenario_xlsx_has_title_chinese_headers_frozen_header_and_合计_equal_to_the_sums(registry):
    out = registry / "s.xlsx"
    assert main(["scenario", "--year", "2021", "--input", str(registry / "g.xlsx"), *SETS, "--level", "village",
                 "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out)["情景对比"]
    assert sheet["A1"].value.startswith("2021年度政策情景对比") and "poverty_line=4500" in sheet["A1"].value
    headers = [c.value for c in sheet[3]]
    assert headers[:4] == ["区划代码", "名称", "层级", "户数"] and "距扶贫标准收入缺口（元）（情景）" in headers
    assert sheet.freeze_panes == "A4"
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    total_at = next(i for i, r in enumerate(rows) if r[0] == "合计")
    data = rows[:total_at]
    assert all(r[2] == "村" for r in data)
    for j, header in enumerate(headers):
        if header in ("户数", "结论变化户数", "达标户数（情景）"):
            assert rows[total_at][j] == sum(r[j] for r in data), header


def test_scenario_refuses_bad_sets_with_the_message_and_no_traceback(registry, capsys):
    rc = main(["scenario", "--year", "2021", "--input", str(registry / "g.xlsx"), "--set", "povrty_line=1",
               "--level", "town", "--out", str(registry / "x.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "未知的政策参数 povrty_line；可用：poverty_line" in err and "Traceback" not in err
    assert not (registry / "x.csv").exists()


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'registry_%' OR name LIKE "
            "'assessments_%' OR name LIKE 'monitoring_%')")]
        return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_scenario_over_the_database_writes_nothing_registry_history_and_runs_unchanged(registry):
    db_file = registry / "r.sqlite3"
    db = f"sqlite:///{db_file}"
    imported = fupin("import", "g.xlsx", "--db", db, cwd=registry)
    assert imported.returncode == 0, imported.stderr
    assert fupin("assess", "--year", "2021", "--db", db, "--out", "v.csv", cwd=registry).returncode == 0
    before = _counts(db_file)
    assert before["registry_household"] == 2000 and before["registry_historicalhousehold"] > 0
    done = fupin("scenario", "--year", "2021", "--db", db, *SETS, "--level", "village", "--region", "500101",
                 "--out", "sdb.parquet", "--households", "hdb.xlsx", cwd=registry)
    assert done.returncode == 0, done.stderr
    assert _counts(db_file) == before
    frame = pl.read_parquet(registry / "sdb.parquet")
    total = frame.filter(pl.col("level") == "total").row(0, named=True)
    assert total["code"] == "500101000000" and total["became_no"] > 0
    sheet = openpyxl.load_workbook(registry / "hdb.xlsx")["变化户"]
    assert sheet[3][0].value == "户编号" and sheet[4][0].value is not None
    refused = fupin("scenario", "--year", "2021", "--db", db, *SETS, "--level", "town", "--region", "500101",
                    "--where", "500102", "--out", "x.csv", cwd=registry)
    assert refused.returncode == 2 and "--where 与 --region 不相交" in refused.stderr
