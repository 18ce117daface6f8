"""Report workbooks a cadre can hand on: title, frozen filtered header, formats, 合计, print setup."""

from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest

from fupin.io import report
from fupin.io.writer import write_assessment


@pytest.fixture
def workbook(tmp_path):
    frame = pl.DataFrame({
        "village": ["500101102201", "500101102202"], "name": ["=HYPERLINK(\"http://x\")", "二村"],
        "year": [2020, 2020], "households": [12, 30], "income": [8059.333333333333, 12000.0],
        "incidence": [0.0123, 0.5],
    })
    columns = [report.Column("village", "区划代码", "code"), report.Column("name", "村名"),
               report.Column("year", "年度", "year"), report.Column("households", "户数", "count", total=True),
               report.Column("income", "人均纯收入", "money"), report.Column("incidence", "贫困发生率", "rate")]
    out = report.write_report(tmp_path / "r.xlsx", [report.Sheet("村", frame, columns, title="村级汇总")],
                              report.Heading("2020年度汇总", "万州区 500101", dt.date(2020, 12, 31), "全国默认政策参数 1.0 版"))
    return openpyxl.load_workbook(out)["村"]


def test_report_sheet_starts_with_title_and_region_date_policy_line(workbook):
    assert workbook["A1"].value == "村级汇总"
    assert workbook["A2"].value == "区划：万州区 500101　日期：2020-12-31　政策：全国默认政策参数 1.0 版"


def test_report_header_is_frozen_and_filtered(workbook):
    assert [c.value for c in workbook[3]] == ["区划代码", "村名", "年度", "户数", "人均纯收入", "贫困发生率"]
    assert workbook.freeze_panes == "A4"
    assert workbook.auto_filter.ref == "A3:F5"


def test_report_years_have_no_thousands_separator_money_two_decimals_rates_percent(workbook):
    assert workbook["C4"].value == 2020 and workbook["C4"].number_format == "0"
    assert workbook["E4"].value == 8059.33 and workbook["E4"].number_format == "#,##0.00"
    assert workbook["F4"].number_format == "0.00%"
    assert workbook["A4"].value == "500101102201" and workbook["A4"].data_type == "s"


def test_report_total_row_sums_the_columns_that_add_up(workbook):
    assert [c.value for c in workbook[6]][:5] == ["合计", None, None, 42, None]


def test_report_prints_landscape_one_page_wide_with_the_header_repeated(workbook):
    assert workbook.page_setup.orientation == "landscape"
    # fitToWidth 1 is Excel's default, so the file states only fit-to-page and the height 0 (any).
    assert workbook.sheet_properties.pageSetUpPr.fitToPage and workbook.page_setup.fitToHeight == 0
    assert workbook.print_title_rows == "$3:$3"


def test_report_formula_like_text_stays_text(workbook):
    cell = workbook["B4"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_report_columns_are_wide_enough_for_chinese_headers(workbook):
    assert workbook.column_dimensions["E"].width >= report.text_width("人均纯收入")


def test_region_label_names_county_and_town_beside_the_code():
    assert report.region_label("500101201") == "万州区柱山乡 500101201"
    assert report.region_label("") == "全部地区"


def test_verdicts_csv_rounds_money_to_fen(tmp_path):
    from tests.engine.engine_helpers import household, one

    row = one(household(wage_income=24178.0, household_id="H1"))
    frame = pl.DataFrame([row])
    # three members' worth of income: not a whole number of fen per head
    frame = frame.with_columns(pl.lit(8059.333333333333).alias("per_capita_net_income"))
    write_assessment(frame, tmp_path / "v.csv")
    text = (tmp_path / "v.csv").read_text()
    assert "8059.33" in text and "8059.333" not in text


def test_verdicts_xlsx_has_title_town_names_and_policy_by_title(tmp_path):
    from tests.engine.engine_helpers import household, member, one

    frame = pl.DataFrame([one(household(), [member()])])
    sheet = openpyxl.load_workbook(write_assessment(frame, tmp_path / "v.xlsx"))["评估结果"]
    assert sheet["A1"].value == "2024年度评估结果"
    headers = [c.value for c in sheet[3]]
    assert headers[:4] == ["户编号", "年度", "区划代码", "乡镇"] and headers[-1] == "政策文件"
    assert sheet["D4"].value and sheet.cell(4, len(headers)).value.startswith("全国默认政策参数")
    assert sheet["B4"].number_format == "0"


def test_report_total_row_counts_the_rows_when_asked(tmp_path):
    frame = pl.DataFrame({"household_id": ["H1", "H2", "H3"], "people": [3, 4, 2]})
    columns = [report.Column("household_id", "户编号", "code"), report.Column("people", "人口数", "count", total=True)]
    out = report.write_report(tmp_path / "w.xlsx", [report.Sheet("清单", frame, columns, count_unit="户")],
                              report.Heading("清单"))
    sheet = openpyxl.load_workbook(out)["清单"]
    assert [c.value for c in sheet[7]] == ["合计 3 户", 9]


def test_region_figures_workbook_labels_every_column_in_chinese(tmp_path):
    figures = pl.DataFrame({"code": ["500101102201", "500101102202"], "name": ["甲村", "乙村"],
                            "households": [3, 1], "people": [8, 2], "incidence": [0.02, None],
                            "exit_eligible": [True, None], "leads_marginal": [1, 0], "unmet_food": [1, 0],
                            "policy": ["national@1.0", "national@1.0"]})
    out = report.write_region_figures(tmp_path / "r.xlsx", figures, year=2020, level="village")
    sheet = openpyxl.load_workbook(out).active
    headers = [c.value for c in sheet[3]]
    assert headers == ["区划代码", "名称", "户数", "人数", "贫困发生率", "可退出", "线索：边缘易致贫户", "未达标：不愁吃"]
    assert sheet["A1"].value == "2020年度村级汇总" and "万州区龙沙镇 500101102" in sheet["A2"].value
    assert sheet["E4"].number_format == "0.00%" and sheet["F4"].value == "是" and sheet["F5"].value is None
    assert [c.value for c in sheet[6]][:4] == ["合计", None, 4, 10]


def test_rejects_workbook_keeps_its_header_row_with_widths_and_a_frozen_header(tmp_path):
    from fupin.io import tables

    frame = pl.DataFrame({"户编号": ["H1"], "问题说明": ["[E01] 证件号码不能为空；很长的一段说明文字" * 3]})
    out = tables.write_frames_xlsx(tmp_path / "back.xlsx", {"户": frame})
    sheet = openpyxl.load_workbook(out)["户"]
    assert [c.value for c in sheet[1]] == ["户编号", "问题说明"]  # re-importable: the header stays row 1
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= report.text_width("户编号")
    assert sheet.column_dimensions["B"].width == 48  # capped, not as wide as the whole text
