"""The database commands of the assessment run for real: assess --db stores the run and hands the
leads over; explain --db explains the stored verdict (as the household page does)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def fupin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DB", "FUPIN_POLICY")}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("db")
    db = f"sqlite:///{folder / 'r.sqlite3'}"
    assert fupin("generate", "--households", "200", "--year", "2020", "--region", "500101", "--seed", "3",
                 "--out", "registry.xlsx", cwd=folder).returncode == 0
    imported = fupin("import", "registry.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    return folder, db


def test_assess_db_stores_the_run_writes_the_file_and_hands_the_leads_to_the_villages(database):
    folder, db = database
    done = fupin("assess", "--year", "2020", "--db", db, "--out", "v.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "评估批次" in done.stdout and "预警线索已交村里核实" in done.stdout and (folder / "v.csv").exists()
    with sqlite3.connect(folder / "r.sqlite3") as connection:
        runs = connection.execute("SELECT policy FROM assessments_assessmentrun").fetchall()
        leads = connection.execute("SELECT COUNT(*) FROM monitoring_lead WHERE channel = 'engine'").fetchone()[0]
    assert runs and runs[-1][0] == "national@1.0" and leads > 0


def test_explain_db_explains_the_stored_verdict_and_says_when_there_is_none(database):
    folder, db = database
    assert fupin("assess", "--year", "2020", "--db", db, "--out", "v.csv", cwd=folder).returncode == 0
    with sqlite3.connect(folder / "r.sqlite3") as connection:
        household_id = connection.execute("SELECT household_id FROM assessments_verdict LIMIT 1").fetchone()[0]
    shown = fupin("explain", household_id, "--year", "2020", "--db", db, cwd=folder)
    assert shown.returncode == 0 and household_id in shown.stdout and "政策：全国默认政策参数 1.0 版" in shown.stdout
    missing = fupin("explain", household_id, "--year", "2019", "--db", db, cwd=folder)
    assert missing.returncode == 2 and "还没有评估结果" in missing.stderr and "Traceback" not in missing.stderr


def test_a_broken_policy_file_is_refused_before_anything_runs(database):
    folder, db = database
    (folder / "broken.toml").write_text("name = \n", encoding="utf-8")
    done = fupin("assess", "--year", "2020", "--db", db, "--out", "x.csv", "--policy", "broken.toml", cwd=folder)
    assert done.returncode == 2 and "broken.toml" in done.stderr and "Traceback" not in done.stderr
    assert not (folder / "x.csv").exists()
