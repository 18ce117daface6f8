"""``fupin employment offers|return-rate`` over files for real (a generated registry of two years
with its posts, placements and 务工动态), ``fupin assist check`` with the R7 codes, and the
refusals."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest

from fupin.cli import main
from fupin.engine.assistance import employment as E
from fupin.io import write_registry
from fupin.io.assistance import workbook_sheets
from fupin.synth import generate
from fupin.synth.assistance import generate_assistance

YEAR = 2020


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """Year Y generated, year Y−1 the same people (the 复工 denominator reads Y−1's 务工状况)."""
    households, members, regions = generate(300, YEAR, seed=7)
    assistance = generate_assistance(households, members, YEAR, seed=7)
    both_h = pl.concat([households, households.with_columns(year=pl.lit(YEAR - 1, dtype=households["year"].dtype))])
    both_m = pl.concat([members, members.with_columns(year=pl.lit(YEAR - 1, dtype=members["year"].dtype))])
    out = tmp_path_factory.mktemp("employment") / "e.xlsx"
    write_registry(out, both_h, both_m, regions, extra_sheets=workbook_sheets(assistance))
    return out, households, members, assistance


def test_generate_writes_posts_placements_and_migration(tmp_path):
    out = tmp_path / "g.xlsx"
    assert main(["generate", "--households", "200", "--year", str(YEAR), "--seed", "3", "--out", str(out)]) == 0
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"岗位", "就业", "务工动态"} <= set(names)


def test_generated_placements_fit_their_posts(workbook):
    _out, _h, _m, a = workbook
    taken = a["placements"].group_by("post_id").len()
    joined = taken.join(a["posts"], on="post_id", how="left")
    assert joined["planned"].null_count() == 0
    assert (joined["len"] < joined["planned"]).all()


def test_offers_xlsx_lists_uncovered_members_with_masked_ids_and_open_posts(workbook, tmp_path):
    src, *_ = workbook
    out = tmp_path / "offers.xlsx"
    assert main(["employment", "offers", "--year", str(YEAR), "--input", str(src), "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out, read_only=True)["送工送岗清单"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "村（区划代码）")
    assert rows[header_at][:4] == ("村（区划代码）", "户编号", "姓名", "证件号码")
    body = [r for r in rows[header_at + 1:] if r[1]]
    assert body and all("**********" in r[3] for r in body)
    assert {r[7] for r in body if r[7]} <= {p for p in workbook[3]["posts"]["post_id"]}


def test_offers_parquet_equals_the_engine_on_the_same_frames(workbook, tmp_path):
    src, *_ = workbook
    out = tmp_path / "offers.parquet"
    assert main(["employment", "offers", "--year", str(YEAR), "--input", str(src), "--out", str(out)]) == 0
    got = pl.read_parquet(out)
    assert got.columns == list(E.OFFER_SCHEMA)
    assert got.group_by("id_number").len()["len"].max() <= 5
    # Weak members only get 公益性岗位; the able-bodied never do.
    assert got.filter((pl.col("kind") == "公益性岗位") & (pl.col("labour") != "弱劳动力或半劳动力")).height == 0


def test_return_rate_by_town_and_county(workbook, tmp_path):
    src, *_ = workbook
    out = tmp_path / "rate.csv"
    on = date(YEAR, 3, 1)
    assert main(["employment", "return-rate", "--year", str(YEAR), "--date", on.isoformat(), "--level", "county",
                 "--input", str(src), "--out", str(out)]) == 0
    county = pl.read_csv(out)
    assert county.columns == list(E.RATE_SCHEMA)
    assert county.height == 1 and county["out_last_year"][0] > 0
    assert 0 < county["rate"][0] < 1
    town_x = tmp_path / "rate.xlsx"
    assert main(["employment", "return-rate", "--year", str(YEAR), "--date", on.isoformat(), "--level", "town",
                 "--input", str(src), "--out", str(town_x)]) == 0
    rows = list(openpyxl.load_workbook(town_x, read_only=True)["复工率"].iter_rows(values_only=True))
    total = next(r for r in rows if r[0] and str(r[0]).startswith("合计"))
    assert total[3] == county["out_last_year"][0] and total[4] == county["out_now"][0]


def test_assist_check_reports_r7_codes_from_the_placements(tmp_path):
    households, members, regions = generate(120, YEAR, seed=9)
    a = generate_assistance(households, members, YEAR, seed=9)
    town = households["region_code"][0][:9]
    dead = members.filter(pl.col("household_id") == households["household_id"][0]).head(1)
    members = members.with_columns(member_status=pl.when(pl.col("id_number") == dead["id_number"][0])
                                   .then(pl.lit("死亡")).otherwise(pl.col("member_status")))
    a["placements"] = pl.concat([a["placements"], pl.DataFrame({
        "id_number": dead["id_number"], "household_id": dead["household_id"], "post_id": [f"GY{town}"],
        "start": [date(YEAR, 2, 1)]})], how="diagonal_relaxed")
    src, out = tmp_path / "c.xlsx", tmp_path / "check.xlsx"
    write_registry(src, households, members, regions, extra_sheets=workbook_sheets(a))
    assert main(["assist", "check", "--year", str(YEAR), "--input", str(src), "--out", str(out)]) == 1
    rows = list(openpyxl.load_workbook(out, read_only=True)["问题清单"].iter_rows(values_only=True))
    b10 = [r for r in rows if r[4] == "B10"]
    assert len(b10) == 1 and "死亡" in b10[0][-2]


@pytest.mark.parametrize("argv, says", [
    (["employment", "return-rate", "--year", "2020", "--level", "town", "--out", "x.xlsx", "--input", "."],
     "--date"),
    (["employment", "return-rate", "--year", "2020", "--date", "2020-3-1", "--level", "town", "--out", "x.xlsx",
      "--input", "."], "YYYY-MM-DD"),
    (["employment", "offers", "--year", "2020", "--out", "x.txt", "--input", "."], "--out"),
])
def test_bad_options_are_refused_with_a_message(argv, says, capsys):
    assert main(argv) == 2
    assert says in capsys.readouterr().err
