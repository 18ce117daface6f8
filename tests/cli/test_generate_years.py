"""``fupin generate --years N`` and the generated epidemic through the real commands: the two-year
file imports and assesses, the 复工 rate has its denominator, and in every container the epidemic
imports and gives some leads once."""

from __future__ import annotations

import re

import polars as pl
import pytest

from tests.cli.test_registry_cli import fupin, table

pytestmark = pytest.mark.slow

EVENT = "YQ2020500101"


def _leads(stdout: str) -> int:
    match = re.search(r"新建线索 (\d+)", stdout)
    assert match, stdout
    return int(match.group(1))


@pytest.fixture(scope="module")
def two_year_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("years")
    out = fupin("generate", "--households", "300", "--year", "2020", "--years", "2", "--seed", "3", "--out", "g.xlsx",
                cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "2019–2020 年度" in out.stdout and EVENT in out.stdout
    db = f"sqlite:///{folder / 'g.sqlite3'}"
    imported = fupin("import", "g.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert "年度 2019,2020" in imported.stdout and "新增 600 户" in imported.stdout
    assert fupin("assist", "import", "g.xlsx", "--db", db, cwd=folder).returncode == 0
    return folder, db


def test_the_two_year_file_imports_and_the_newest_year_assesses(two_year_db):
    folder, db = two_year_db
    assessed = fupin("assess", "--year", "2020", "--db", db, "--out", "v.csv", cwd=folder)
    assert assessed.returncode == 0, assessed.stderr
    assert pl.read_csv(folder / "v.csv").height == 300
    years = table(folder / "g.sqlite3", "SELECT year, COUNT(*) AS n FROM registry_household GROUP BY year ORDER BY year")
    assert years.rows() == [(2019, 300), (2020, 300)]


def test_the_return_to_work_rate_of_the_generated_demo_is_not_empty(two_year_db):
    folder, db = two_year_db
    for source in (("--db", db), ("--input", "g.xlsx")):
        out = fupin("employment", "return-rate", "--year", "2020", "--date", "2020-04-30", "--level", "county",
                    *source, "--out", "rate.csv", cwd=folder)
        assert out.returncode == 0, out.stderr
        rate = pl.read_csv(folder / "rate.csv")
        assert rate["out_last_year"].sum() > 0 and rate["rate"].drop_nulls().len() == 1 and rate["rate"][0] > 0.5


def test_the_epidemic_gives_some_leads_once(two_year_db):
    folder, db = two_year_db
    imported = fupin("shock", "import", "g.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert "冲击事件：新建 1" in imported.stdout and "退回 0 行" in imported.stdout
    first = fupin("shock", "leads", "--event", EVENT, "--db", db, "--out", "r.csv", cwd=folder)
    assert first.returncode == 0, first.stderr
    assert _leads(first.stdout) > 0
    reasons = pl.read_csv(folder / "r.csv", infer_schema=False)["reasons"].drop_nulls()
    assert reasons.str.contains("shock_work_loss").any() and reasons.str.contains("shock_loss").any()
    again = fupin("shock", "leads", "--event", EVENT, "--db", db, cwd=folder)
    assert _leads(again.stdout) == 0 and f"已有 {_leads(first.stdout)}" in again.stdout


@pytest.mark.parametrize("container", ["g_csv", "g.parquet"])
def test_every_container_carries_the_epidemic(tmp_path, container):
    assert fupin("generate", "--households", "200", "--year", "2020", "--seed", "4", "--out", container,
                 cwd=tmp_path).returncode == 0
    db = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    assert fupin("import", container, "--db", db, cwd=tmp_path).returncode == 0
    imported = fupin("shock", "import", container, "--db", db, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "冲击事件：新建 1" in imported.stdout and "退回 0 行" in imported.stdout
    first = fupin("shock", "leads", "--event", EVENT, "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert _leads(first.stdout) > 0
    assert _leads(fupin("shock", "leads", "--event", EVENT, "--db", db, cwd=tmp_path).stdout) == 0


def test_the_same_seed_writes_the_same_files(tmp_path):
    for name in ("a", "b"):
        assert fupin("generate", "--households", "80", "--year", "2021", "--years", "2", "--seed", "9", "--out", name,
                     cwd=tmp_path).returncode == 0
    for file in ("households.csv", "members.csv", "shocks.csv", "shock_households.csv", "migration.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


@pytest.mark.parametrize("years", ["0", "8"])
def test_years_before_the_registry_or_below_one_are_a_one_line_error(tmp_path, years):
    out = fupin("generate", "--households", "10", "--year", "2020", "--years", years, "--out", "x.xlsx", cwd=tmp_path)
    assert out.returncode == 2 and "--years" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x.xlsx").exists()
