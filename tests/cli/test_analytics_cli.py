"""``fupin sample draw|estimate`` and ``fupin mpi`` run for real on a generated registry, over the
file and over the database; the field forms are filled in and uploaded as the results file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fupin.cli import main

pytestmark = pytest.mark.slow

RESULT_HEADERS = ("入户状态", "实有人口", "是否错退", "错退原因", "是否漏评", "户内未纳入人口", "其中应纳未纳", "是否认可")


def fupin(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DB", "FUPIN_POLICY")}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("analytics")
    done = fupin("generate", "--households", "2000", "--year", "2021", "--seed", "5", "--out", "g.xlsx", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def run(folder: Path, *args: str, capsys=None) -> int:
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return main(list(args))
    finally:
        os.chdir(cwd)


def fill_forms(forms: Path, out: Path, *, wrong_every: int = 7) -> None:
    """A surveyor's forms: primaries completed, every ``wrong_every``-th exited household 错退."""
    wb = openpyxl.load_workbook(forms)
    n = 0
    for ws in wb.worksheets:
        header = [c.value for c in ws[3]]
        col = {h: i + 1 for i, h in enumerate(header)}
        for r in range(4, ws.max_row + 1):
            if ws.cell(r, col["正选/备选"]).value != "正选":
                continue
            n += 1
            kind = ws.cell(r, col["户类别"]).value
            ws.cell(r, col["入户状态"], "完成")
            ws.cell(r, col["实有人口"], ws.cell(r, col["人口"]).value or 1)
            if kind == "已脱贫户":
                wrong = n % wrong_every == 0
                ws.cell(r, col["是否错退"], "是" if wrong else "否")
                if wrong:
                    ws.cell(r, col["错退原因"], "income")
            if kind == "一般农户":
                ws.cell(r, col["是否漏评"], "否")
            else:
                ws.cell(r, col["户内未纳入人口"], 0)
                ws.cell(r, col["其中应纳未纳"], 0)
            ws.cell(r, col["是否认可"], "是")
    wb.save(out)


def test_draw_twice_with_the_same_seed_writes_identical_samples(folder):
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "20200601",
               "--input", "g.xlsx", "--out", "a", "--forms", "forms.xlsx") == 0
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "20200601",
               "--input", "g.xlsx", "--out", "b", "--format", "parquet") == 0
    for name in ("strata", "cells", "households"):
        a = pl.read_csv(folder / "a" / f"{name}.csv", infer_schema=False)
        b = pl.read_parquet(folder / "b" / f"{name}.parquet").select(pl.all().cast(pl.String))
        assert a.equals(b.select(a.columns)), name
    households = pl.read_csv(folder / "a" / "households.csv", infer_schema=False)
    assert households.columns == ["village_code", "household_stratum", "household_id", "head_name", "hamlet",
                                  "household_rank", "role", "population", "exit_year"]
    strata = pl.read_csv(folder / "a" / "strata.csv", infer_schema=False)
    assert strata["sample_id"][0] == "500101-2021-20200601" and len(strata["frame_digest"][0]) == 64


def test_field_forms_have_one_sheet_per_village_and_no_id_numbers_or_phones(folder):
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "3",
               "--input", "g.xlsx", "--out", "s3.xlsx", "--forms", "forms3.xlsx") == 0
    wb = openpyxl.load_workbook(folder / "forms3.xlsx")
    assert len(wb.sheetnames) == len(set(wb.sheetnames)) and all(len(n) == 12 for n in wb.sheetnames)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[3]]
    assert header[:3] == ["户编号", "户主姓名", "自然村"] and all(h in header for h in RESULT_HEADERS)
    assert ws.freeze_panes == "A4" and ws.page_setup.orientation == "landscape"
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "证件号码" not in text and "电话" not in text
    assert not any(len(t) == 18 and t[:17].isdigit() for t in text.split())  # no ID number


def test_estimate_from_filled_forms_decides_against_the_thresholds(folder):
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "11",
               "--input", "g.xlsx", "--out", "s11.xlsx", "--forms", "forms11.xlsx") == 0
    fill_forms(folder / "forms11.xlsx", folder / "results11.xlsx")
    assert run(folder, "sample", "estimate", "--sample", "s11.xlsx", "--results", "results11.xlsx",
               "--input", "g.xlsx", "--out", "e.csv") == 0
    e = pl.read_csv(folder / "e.csv")
    assert e["indicator"].to_list() == ["wrong_exit", "missed", "approval", "composite_incidence", "overall"]
    row = e.row(0, named=True)
    assert 0.1 < row["sample_rate"] < 0.2 and row["decision"] == "fail" and row["ci_status"] == "clear_fail"
    assert e.row(2, named=True)["sample_rate"] == 1.0 and e.row(2, named=True)["decision"] == "pass"
    assert e.row(4, named=True)["decision"] == "fail" and e["coverage_complete"][0] is True
    assert run(folder, "sample", "estimate", "--sample", "s11.xlsx", "--results", "results11.xlsx",
               "--input", "g.xlsx", "--basis", "weighted", "--out", "e.xlsx") == 0
    wb = openpyxl.load_workbook(folder / "e.xlsx")
    ws = wb.worksheets[0]
    assert ws.cell(3, 2).value == "指标" and ws.cell(4, 2).value == "错退率"
    assert ws.cell(4, 5).number_format == "0.00%"


def test_estimate_returns_bad_rows_with_their_reasons(folder, capsys):
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "12",
               "--input", "g.xlsx", "--out", "s12.xlsx") == 0
    sample = pl.read_excel(folder / "s12.xlsx", sheet_name="households", read_options={"header_row": 2})
    exited = sample.filter(pl.col("户类别") == "exited")["户编号"].cast(pl.String).to_list()
    pl.DataFrame({"户编号": ["NOPE", exited[0], exited[1]], "入户状态": ["完成", "完成", "完成"],
                  "实有人口": ["2", "0", "3"], "是否错退": ["否", "否", "也许"]}).write_csv(folder / "r12.csv")
    assert run(folder, "sample", "estimate", "--sample", "s12.xlsx", "--results", "r12.csv", "--input", "g.xlsx",
               "--out", "e12.csv", "--rejects", "rej12.xlsx") == 0
    rejects = pl.read_excel(folder / "rej12.xlsx", read_options={"header_row": 2})
    reasons = " ".join(rejects["原因"].to_list())
    assert "不在样本中" in reasons and "实有人口应为不小于1的整数" in reasons and "是否错退应为 是 或 否" in reasons
    e = pl.read_csv(folder / "e12.csv")
    assert e.filter(pl.col("indicator") == "overall")["decision"].item() == "no_data"


def test_sample_errors_are_one_line_messages(folder, capsys):
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500102", "--seed", "1", "--input", "g.xlsx",
               "--out", "x.xlsx") == 2
    err = capsys.readouterr().err
    assert "区划 500102 2021 年没有可抽样的户 (nothing to sample)" in err
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "-1", "--input", "g.xlsx",
               "--out", "x.xlsx") == 2
    assert "--seed" in capsys.readouterr().err
    assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--input", "g.xlsx",
               "--out", "x.xlsx") == 2
    assert "--seed" in capsys.readouterr().err


def test_mpi_over_the_file_sums_to_100_and_writes_households(folder):
    assert run(folder, "mpi", "--year", "2021", "--input", "g.xlsx", "--level", "town", "--out", "m.csv",
               "--households", "mh.parquet") == 0
    m = pl.read_csv(folder / "m.csv", schema_overrides={"code": pl.String})
    total = m.filter(pl.col("level") == "total").row(0, named=True)
    towns = m.filter(pl.col("level") == "town")
    assert total["name"] == "合计" and total["code"] is None or total["code"] == ""
    if total["poor_people"]:
        contribs = [total[f"contrib_{j}"] or 0 for j in ("income", "food", "clothing", "education", "medical",
                                                           "housing", "water")]
        assert sum(contribs) == pytest.approx(100, abs=1e-9)
        assert towns["contrib_region"].fill_null(0).sum() == pytest.approx(100, abs=1e-9)
    assert total["weights"].startswith("income:1/3;food:1/6") and total["policy"] == "national@1.0"
    h = pl.read_parquet(folder / "mh.parquet")
    assert h.columns[:6] == ["household_id", "region_code", "population", "score", "poor", "deprived"]
    assert h.height == total["households"]
    assert run(folder, "mpi", "--year", "2021", "--input", "g.xlsx", "--level", "county", "--k", "0.4",
               "--unknown", "deprived", "--out", "m.xlsx") == 0
    ws = openpyxl.load_workbook(folder / "m.xlsx").worksheets[0]
    assert ws.cell(3, 1).value == "区划代码" and ws.cell(5, 2).value == "合计"


def test_mpi_bad_k_is_refused(folder, capsys):
    assert run(folder, "mpi", "--year", "2021", "--input", "g.xlsx", "--level", "town", "--k", "2",
               "--out", "m.csv") == 2
    assert "k 应满足 0 < k ≤ 1：2" in capsys.readouterr().err


def test_sample_and_mpi_over_the_database_match_the_file(folder):
    db = f"sqlite:///{folder / 'r.sqlite3'}"
    imported = fupin("import", "g.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    drawn = fupin("sample", "draw", "--year", "2021", "--region", "500101", "--seed", "20200601", "--db", db,
                  "--out", "dbs", cwd=folder)
    assert drawn.returncode == 0, drawn.stderr
    if not (folder / "a").exists():
        assert run(folder, "sample", "draw", "--year", "2021", "--region", "500101", "--seed", "20200601",
                   "--input", "g.xlsx", "--out", "a") == 0
    for name in ("strata", "households"):
        a = pl.read_csv(folder / "a" / f"{name}.csv", infer_schema=False)
        b = pl.read_csv(folder / "dbs" / f"{name}.csv", infer_schema=False)
        assert a.drop("head_name", strict=False).equals(b.drop("head_name", strict=False)), name
    done = fupin("mpi", "--year", "2021", "--db", db, "--level", "town", "--region", "500101", "--out", "mdb.csv",
                 cwd=folder)
    assert done.returncode == 0, done.stderr
    assert run(folder, "mpi", "--year", "2021", "--input", "g.xlsx", "--level", "town", "--region", "500101",
               "--out", "mfile.csv") == 0
    a, b = pl.read_csv(folder / "mfile.csv"), pl.read_csv(folder / "mdb.csv")
    assert a.select("code", "people", "poor_people", "H", "M0").equals(b.select("code", "people", "poor_people", "H", "M0"))
