"""The flat national-export layout, and the rejects workbook that can be imported again."""

from __future__ import annotations

from datetime import date

import fastexcel
import polars as pl

from fupin.io import read_registry, write_rejects
from fupin.io.codes import REJECT_COLUMNS
from tests.io.io_helpers import pid, raw_tables, write_tables


def flat_rows(**over):
    head = pid(date(1970, 3, 1), 11)
    wife = pid(date(1972, 5, 2), 22)
    base = {
        "户编号": ["H1", "H1"], "县": ["万州区", "万州区"], "乡(镇)": ["高笋塘街道", "高笋塘街道"],
        "行政村": ["新田村", "新田村"], "户类型": ["脱贫户", "脱贫户"], "脱贫年度": ["2019", "2019"],
        "人数": ["2", "2"], "姓名": ["张三", "李四"], "证件号码": [head, wife], "与户主关系": ["户主", "配偶"],
        "性别": ["男", "女"], "工资性收入": ["12000", "12000"],
    }
    base.update(over)
    return pl.DataFrame(base)


def test_flat_export_is_split_into_households_and_members(tmp_path):
    flat_rows().write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert reg.source_format == "flat"
    assert reg.households.height == 1 and reg.members.height == 2
    hh = reg.households.row(0, named=True)
    assert hh["registered"] is True and hh["poverty_status"] == "已脱贫"
    assert hh["region_code"] == "500101001201" and hh["village_name"] == "新田村"
    assert reg.regions.filter(pl.col("region_code") == "500101001201")["name"].to_list() == ["新田村"]
    assert reg.rejected().height == 0, reg.issues


def test_flat_household_fields_differing_between_rows_reject_the_household(tmp_path):
    flat_rows(工资性收入=["12000", "9000"]).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    e12 = reg.issues.filter(pl.col("code") == "E12")
    assert e12["row"].to_list() == [2, 3] and "9000" in e12["message_zh"][0]
    assert reg.rejected().rows() == [("H1", 2023)]


def test_flat_blank_repeat_of_household_fields_is_no_conflict(tmp_path):
    # Exports with vertically merged cells carry the household values on the first row only.
    flat_rows(工资性收入=["12000", None], 户类型=["脱贫户", None]).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert reg.households["wage_income"].to_list() == [12000.0]
    assert reg.rejected().height == 0


def test_ambiguous_town_name_names_the_candidates(tmp_path):
    flat_rows(县=[None, None], **{"乡(镇)": ["龙沙镇", "龙沙镇"]}).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    e11 = reg.issues.filter(pl.col("code") == "E11")
    assert e11.height >= 1 and "多个" in e11["message_zh"][0] and e11["message_zh"][0].count("龙沙镇") >= 2


def test_unknown_town_name_is_an_error(tmp_path):
    flat_rows(**{"乡(镇)": ["不存在镇", "不存在镇"]}).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert "找不到" in reg.issues.filter(pl.col("code") == "E11")["message_zh"][0]
    assert reg.rejected().height == 1


def test_household_size_disagreeing_is_a_warning(tmp_path):
    flat_rows(人数=["3", "3"]).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert "Q26" in reg.issues["code"].to_list() and reg.rejected().height == 0


def test_rejects_workbook_keeps_original_rows_and_reasons(tmp_path):
    h, m = raw_tables()
    m = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit("123")).otherwise(pl.col("证件号码")).alias("证件号码"))
    folder = write_tables(tmp_path / "in", h.with_columns(备注=pl.lit("x")), m)
    reg = read_registry(folder)
    n = write_rejects(reg, tmp_path / "rejects.xlsx")
    assert n == 3
    book = fastexcel.read_excel(str(tmp_path / "rejects.xlsx"))
    assert book.sheet_names == ["户", "人", "未识别列"]
    people = book.load_sheet("人", dtypes="string").to_polars()
    assert list(people.columns[-6:]) == list(REJECT_COLUMNS)
    assert people["证件号码"].to_list()[1] == "123"
    assert people["原行号"].to_list() == ["2", "3"]
    assert "R00" in people["问题说明"][0] and "Q01" in people["问题说明"][1]
    unknown = book.load_sheet("未识别列", dtypes="string").to_polars()
    assert unknown["未识别的列"].to_list() == ["备注"]


def test_fixed_rejects_workbook_imports_again(tmp_path):
    h, m = raw_tables()
    bad = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit("123")).otherwise(pl.col("证件号码")).alias("证件号码"))
    reg = read_registry(write_tables(tmp_path / "in", h, bad))
    write_rejects(reg, tmp_path / "rejects.xlsx")
    again = read_registry(tmp_path / "rejects.xlsx")
    assert again.unknown_columns == {}
    assert again.rejected().rows() == [("H1", 2023)]  # still wrong: nothing silently fixed
    # The cadre fixes the ID in the rejects workbook and imports it.
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "rejects.xlsx")
    ws = wb["人"]
    col = [c.value for c in ws[1]].index("证件号码") + 1
    ws.cell(row=3, column=col).value = m["证件号码"][1]
    wb.save(tmp_path / "fixed.xlsx")
    fixed = read_registry(tmp_path / "fixed.xlsx")
    assert not fixed.has_errors, fixed.issues
    assert fixed.loadable()[1].height == 2


def test_flat_rejects_come_back_in_the_flat_layout(tmp_path):
    flat_rows(工资性收入=["12000", "9000"]).write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert write_rejects(reg, tmp_path / "r.xlsx") == 2
    again = read_registry(tmp_path / "r.xlsx", year=2023)
    assert again.source_format == "flat" and "E12" in again.issues["code"].to_list()


def test_flat_export_with_region_codes_instead_of_names_is_read(tmp_path):
    """Issue 9: a flat sheet carrying 区划代码 (no names) crashed with ColumnNotFoundError."""
    rows = flat_rows().drop("县", "乡(镇)", "行政村").with_columns(pl.lit("500101001201").alias("区划代码"))
    rows.write_csv(tmp_path / "export.csv")
    rows.write_excel(tmp_path / "export.xlsx")
    for name in ("export.csv", "export.xlsx"):
        reg = read_registry(tmp_path / name, year=2023)
        assert reg.source_format == "flat"
        assert reg.households["region_code"].to_list() == ["500101001201"]
        assert reg.members.height == 2 and reg.rejected().height == 0, reg.issues


def test_flat_export_with_an_unknown_town_in_its_code_is_e08_for_that_household(tmp_path):
    rows = flat_rows().drop("县", "乡(镇)", "行政村").with_columns(pl.lit("500101999201").alias("区划代码"))
    rows.write_csv(tmp_path / "export.csv")
    reg = read_registry(tmp_path / "export.csv", year=2023)
    assert reg.issues.filter(pl.col("code") == "E08")["household_id"].unique().to_list() == ["H1"]
