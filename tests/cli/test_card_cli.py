"""``fupin generate`` then ``fupin card`` for real: one page per household of S(Y) (or every
household with --all), A5 by default and A4 on request, and the refusals a user can act on."""

from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO

import polars as pl
import pytest
from pypdf import PdfReader

from fupin.cli import main
from fupin.engine import facts
from fupin.io import write_registry
from tests.engine.engine_helpers import frame, household, member

YEAR = 2021


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("card") / "g.xlsx"
    assert main(["generate", "--households", "45", "--year", str(YEAR), "--seed", "5", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def village(generated) -> tuple[str, pl.DataFrame]:
    """The smallest village of the generated file and its households of the year."""
    hh = pl.read_excel(generated, sheet_name="户", engine="calamine")
    hh = hh.select(household_id=pl.col("户编号").cast(pl.String), region_code=pl.col("区划代码").cast(pl.String),
                   registered=pl.col("是否建档立卡") == "是", monitoring_category=pl.col("监测对象类别"),
                   risk_eliminated=pl.col("风险是否已消除") == "是")
    code = hh.group_by("region_code").len().sort("len", "region_code")["region_code"][0]
    return code, hh.filter(pl.col("region_code") == code)


def _card(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fupin.cli", "card", *args], capture_output=True, text=True,
                          check=False)


def test_card_prints_one_a5_page_per_household_of_the_scope(generated, village, tmp_path):
    code, hh = village
    in_scope = hh.filter(facts.registered() | facts.currently_monitored())
    out = tmp_path / "cards.pdf"
    assert main(["card", "--village", code, "--year", str(YEAR), "--input", str(generated), "--out", str(out)]) == 0
    reader = PdfReader(out)
    assert len(reader.pages) == in_scope.height > 0
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 148
    first = reader.pages[0].extract_text()
    assert f"{YEAR}年度帮扶明白卡" in first and "帮扶资金合计" in first
    printed = [re.search(r"\d{16}", p.extract_text()).group(0) for p in reader.pages]
    assert set(printed) == set(in_scope["household_id"].to_list())


def test_card_all_and_a4(generated, village, tmp_path):
    code, hh = village
    out = tmp_path / "all.pdf"
    done = _card("--village", code, "--year", str(YEAR), "--input", str(generated), "--out", str(out), "--all",
                 "--paper", "A4")
    assert done.returncode == 0, done.stderr
    reader = PdfReader(BytesIO(out.read_bytes()))
    assert len(reader.pages) == hh.height
    assert round(float(reader.pages[0].mediabox.width) / 72 * 25.4) == 210
    assert f"{hh.height} 张" in done.stdout and "全部农户" in done.stdout


def test_unknown_village_is_refused_naming_the_code(generated, tmp_path):
    done = _card("--village", "500101999999", "--year", str(YEAR), "--input", str(generated),
                 "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "500101999999" in done.stderr and "找不到村" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "x.pdf").exists()


def test_a_town_code_is_not_a_village(generated, tmp_path):
    done = _card("--village", "500101005", "--year", str(YEAR), "--input", str(generated),
                 "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "不是村级区划代码" in done.stderr


def test_out_must_be_a_pdf(generated, village, tmp_path):
    done = _card("--village", village[0], "--year", str(YEAR), "--input", str(generated),
                 "--out", str(tmp_path / "x.xlsx"))
    assert done.returncode == 2 and ".pdf" in done.stderr and "Traceback" not in done.stderr


def test_village_without_registered_or_monitored_household_suggests_all(tmp_path):
    code = "500101001201"
    households = [household(household_id=f"500101001201000{i}", year=YEAR, region_code=code) for i in (1, 2)]
    members = [member(household_id=h["household_id"], year=YEAR) for h in households]
    path = tmp_path / "general.xlsx"
    write_registry(path, frame("households", households), frame("members", members))
    done = _card("--village", code, "--year", str(YEAR), "--input", str(path), "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "--all" in done.stderr and code in done.stderr
    out = tmp_path / "all.pdf"
    assert main(["card", "--village", code, "--year", str(YEAR), "--input", str(path), "--out", str(out), "--all"]) == 0
    assert len(PdfReader(out).pages) == 2


def test_every_option_has_help():
    from fupin.cli.commands import COMMANDS

    for names, options in COMMANDS["card"].arguments:
        assert options.get("help"), names
