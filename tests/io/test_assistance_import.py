"""The assistance sheets in (spec/assistance.md section 2): every A-code the importer gives, the
E-codes on the new sheets, the national wide layout, every container, and the rejects workbook
that re-imports once fixed."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.engine.idnumber import make_id
from fupin.io import parse, tables
from fupin.io.assistance import (
    ASSIST_CODES,
    RegistryRef,
    parse_date,
    read_assistance,
    write_folder,
    write_rejects,
)

TODAY = date(2023, 1, 10)
P1 = make_id("500101", date(1980, 1, 1), 11)
P2 = make_id("500101", date(1985, 5, 5), 12)
REGISTRY = RegistryRef.of(pl.DataFrame({"household_id": ["H1", "H2"]}),
                          pl.DataFrame({"household_id": ["H1", "H2"], "id_number": [P1, P2]}))


def measures(**over) -> dict:
    row = {"户编号": "H1", "证件号码": None, "大类": None, "小类": "产业奖补", "年度": None, "开始日期": "2022-03-01",
           "结束日期": None, "金额": "1000", "责任单位": "县农业农村委", "状态": "已落实"}
    return {**row, **over}


def read(tmp_path, sheets: dict[str, list[dict]], **kw):
    path = tmp_path / "a.xlsx"
    tables.write_sheets(path, {name: pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) for name, rows in sheets.items()})
    return read_assistance(path, registry=REGISTRY, as_of=TODAY, **kw)


def codes(result) -> list[str]:
    return sorted(result.issues["code"].to_list())


def test_sound_measures_load_with_canonical_values(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(金额="1,200元", 开始日期="2022/3/5"),
                                   measures(小类="转移就业", 证件号码=P1, 金额=None, 开始日期="20220405")]})
    assert codes(r) == []
    m = r.loadable("measures").sort("_row")
    assert m["start"].to_list() == [date(2022, 3, 5), date(2022, 4, 5)]
    assert m["amount"].to_list() == [1200.0, None]
    assert m["family"].to_list() == ["产业帮扶", "就业帮扶"]


def test_alias_maps_to_its_subtype(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(小类="扶贫小额信贷", 金额="30000")]})
    assert r.loadable("measures")["subtype"].to_list() == ["小额信贷"]


def test_a01_household_in_no_loaded_year(tmp_path):
    assert codes(read(tmp_path, {"帮扶措施": [measures(户编号="H9")]})) == ["A01"]


def test_a02_id_not_a_member_of_that_household(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(小类="转移就业", 证件号码=P2, 金额=None)]})
    assert codes(r) == ["A02"]


def test_a03_unknown_subtype_lists_the_family_subtypes(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(小类="飞机", 大类="金融帮扶")]})
    assert codes(r) == ["A03"]
    assert "小额信贷、贷款贴息、农业保险" in r.issues["message_zh"][0]


def test_a03_family_disagrees(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(大类="健康帮扶")]})
    assert codes(r) == ["A03"]
    assert r.issues["column"][0] == "大类"


def test_a03_inactive_subtype_in_county_catalogue(tmp_path):
    cat = {"大类": "产业帮扶", "小类": "产业奖补", "方式": "开发式", "单位": "元", "持续性": "一次性", "收益类": "是",
           "出路类": "是", "收入归类": "生产经营性", "对象": "户", "敏感": "否", "启用": "否"}
    r = read(tmp_path, {"帮扶措施目录": [cat], "帮扶措施": [measures()]})
    assert codes(r) == ["A03"]


def test_county_catalogue_adds_a_subtype(tmp_path):
    cat = {"大类": "产业帮扶", "小类": "中药材种植奖补", "别名": "药材奖补", "方式": "开发式", "单位": "元", "持续性": "一次性",
           "收益类": "是", "出路类": "是", "收入归类": "生产经营性", "对象": "户", "敏感": "否", "启用": "是"}
    r = read(tmp_path, {"帮扶措施目录": [cat], "帮扶措施": [measures(小类="药材奖补")]})
    assert codes(r) == []
    assert r.loadable("measures")["subtype"].to_list() == ["中药材种植奖补"]
    assert "中药材种植奖补" in r.catalogue.subtypes_of("产业帮扶")


def test_a04_end_before_start(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(小类="低保", 开始日期="2022-05-01", 结束日期="2022-04-30", 金额="300")]})
    assert codes(r) == ["A04"]


def test_a05_amount_missing_for_yuan(tmp_path):
    assert codes(read(tmp_path, {"帮扶措施": [measures(金额=None)]})) == ["A05"]


def test_a11_household_measure_with_id_and_person_measure_without(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(证件号码=P1), measures(小类="转移就业", 金额=None, 开始日期="2022-02-02")]})
    assert codes(r) == ["A11", "A11"]


def test_e01_start_or_year_required_and_year_alone_is_enough(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(开始日期=None), measures(开始日期=None, 年度="2022", 小类="到户产业项目")]})
    assert codes(r) == ["E01"]
    assert r.issues["row"].to_list() == [2]


def test_e04_e05_e02_bad_cells(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(状态="完成了"), measures(开始日期="2022-02-30", 小类="到户产业项目"),
                                   measures(金额="很多", 小类="创业扶持", 证件号码=P1)]})
    assert codes(r) == ["E02", "E04", "E05"]


def test_e06_duplicate_measure_key(tmp_path):
    r = read(tmp_path, {"帮扶措施": [measures(), measures()]})
    assert codes(r) == ["E06", "E06"]


def project(**over) -> dict:
    row = {"项目编号": "P1", "项目名称": "村光伏", "类型": "光伏", "区划代码": "500101001000", "总股数": None,
           "开始日期": "2018-06-01", "结束日期": None, "保底收益率": "0.06"}
    return {**row, **over}


def dividend(**over) -> dict:
    row = {"项目编号": "P1", "户编号": "H1", "证件号码": None, "年度": "2022", "持有股数": None, "分红金额": "800",
           "发放日期": "2022-12-01"}
    return {**row, **over}


def test_projects_and_dividends_load(tmp_path):
    r = read(tmp_path, {"收益项目": [project()], "收益分配": [dividend()]})
    assert codes(r) == []
    assert r.loadable("dividends")["amount"].to_list() == [800.0]


def test_a08_unknown_project(tmp_path):
    assert codes(read(tmp_path, {"收益项目": [project()], "收益分配": [dividend(项目编号="P9")]})) == ["A08"]


def test_a09_shares_exceed_total_and_total_missing_on_equity(tmp_path):
    r = read(tmp_path, {"收益项目": [project(类型="股权量化", 总股数="5"), project(项目编号="P2", 类型="股权量化")],
                        "收益分配": [dividend(持有股数="3"), dividend(户编号="H2", 持有股数="3")]})
    assert codes(r) == ["A09", "A09", "A09"]


def test_a12_payment_after_import_date(tmp_path):
    assert codes(read(tmp_path, {"收益项目": [project()], "收益分配": [dividend(发放日期="2023-02-01")]})) == ["A12"]


def test_e08_project_region_code(tmp_path):
    r = read(tmp_path, {"收益项目": [project(区划代码="5001"), project(项目编号="P2", 区划代码="999999999")]})
    assert codes(r) == ["E08", "E08"]


def test_a10_unknown_post_and_public_post_without_type(tmp_path):
    post = {"岗位编号": "G1", "岗位名称": "保洁", "类别": "公益性岗位", "公益岗类型": None, "用人单位": "镇政府",
            "工作地类别": "乡镇内", "月薪酬": "600", "计划人数": "2", "发布日期": "2022-01-01"}
    placement = {"证件号码": P1, "户编号": "H1", "岗位编号": "G9", "开始日期": "2022-02-01"}
    r = read(tmp_path, {"岗位": [post], "就业": [placement]})
    assert codes(r) == ["A10", "A10"]


def test_labour_sheet_loads(tmp_path):
    r = read(tmp_path, {"劳动力": [{"证件号码": P1, "年度": "2022", "户编号": "H1", "就业意愿": "无"}]})
    assert codes(r) == []
    assert r.ledger().labour["willing"].to_list() == ["无"]


# --- the wide layout (2.3) ------------------------------------------------------------------------

def test_wide_layout_gives_year_level_measures_per_value(tmp_path):
    wide = {"户编号": "H1", "年度": "2022", "产业帮扶": "产业奖补、其他", "搬迁": "易地扶贫搬迁后续扶持", "就业帮扶": "外出务工"}
    r = read(tmp_path, {"全国系统导出": [wide]})
    assert codes(r) == []
    m = r.loadable("measures")
    assert sorted(m["subtype"].to_list()) == sorted(["其他产业帮扶", "产业奖补", "易地搬迁后续扶持", "转移就业"])
    assert m["status"].unique().to_list() == ["已落实"] and m["responsible_unit"].unique().to_list() == ["（系统导出）"]
    assert m["wide"].all() and m["amount"].is_null().all() and (m["year"] == 2022).all()


def test_reading_wide_layout_person_measure_without_id_is_household_level_not_a11(tmp_path):
    r = read(tmp_path, {"宽表": [{"户编号": "H1", "年度": "2022", "就业帮扶": "转移就业"}]})
    assert codes(r) == []


def test_wide_layout_unknown_value_is_a03_on_its_column_and_the_row_comes_back(tmp_path):
    r = read(tmp_path, {"宽表": [{"户编号": "H1", "年度": "2022", "产业帮扶": "产业奖补;种飞机"}]})
    assert codes(r) == ["A03"]
    assert r.issues.row(0, named=True)["column"] == "产业帮扶"
    assert r.loadable("measures").height == 0


def test_wide_layout_in_a_flat_export_dedupes_member_rows(tmp_path):
    flat = [{"户编号": "H1", "年度": "2022", "姓名": n, "证件号码": i, "产业帮扶": "产业奖补"} for n, i in (("甲", P1), ("乙", P2))]
    r = read(tmp_path, {"明细": flat})
    assert r.loadable("measures").height == 1
    assert r.unknown_columns == {}


def test_wide_layout_year_from_the_import(tmp_path):
    r = read(tmp_path, {"宽表": [{"户编号": "H1", "产业帮扶": "产业奖补"}]}, year=2021)
    assert r.loadable("measures")["year"].to_list() == [2021]


# --- containers and rejects ---------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_folders_read_like_the_workbook(tmp_path, suffix):
    frame = pl.DataFrame({"household_id": ["H1", "H9"], "subtype": ["产业奖补", "产业奖补"],
                          "start": [date(2022, 3, 1), date(2022, 3, 2)], "amount": [1000.0, 5.0],
                          "responsible_unit": ["x", "y"], "status": ["已落实", "已落实"]})
    folder = tmp_path / ("out.parquet" if suffix == "parquet" else "out")
    write_folder(folder, {"measures": frame})
    r = read_assistance(folder, registry=REGISTRY, as_of=TODAY)
    assert codes(r) == ["A01"]
    assert r.loadable("measures")["start"].to_list() == [date(2022, 3, 1)]


def test_rejects_workbook_reimports_once_fixed(tmp_path):
    import openpyxl

    r = read(tmp_path, {"帮扶措施": [measures(), measures(户编号="H9", 开始日期="2022-04-01"), measures(金额=None, 开始日期="2022-05-01")],
                        "宽表": [{"户编号": "H2", "年度": "2022", "产业帮扶": "种飞机"}],
                        "收益项目": [project()], "收益分配": [dividend(项目编号="P9")]})
    assert codes(r) == ["A01", "A03", "A05", "A08"]
    rejects = tmp_path / "rejects.xlsx"
    assert write_rejects(r, rejects) == 4
    again = read_assistance(rejects, registry=REGISTRY, as_of=TODAY)
    assert codes(again) == ["A01", "A03", "A05", "A08"]
    # Fix the cells in the workbook, as a cadre would, and import it again.
    wb = openpyxl.load_workbook(rejects)
    fixes = {"帮扶措施": {"户编号": {"H9": "H2"}, "金额": {None: "500"}}, "帮扶措施（宽表）": {"产业帮扶": {"种飞机": "产业奖补"}},
             "收益分配": {"项目编号": {"P9": "P1"}}}
    for sheet, cols in fixes.items():
        ws = wb[sheet]
        head = [c.value for c in ws[1]]
        for col, change in cols.items():
            j = head.index(col)
            for row in ws.iter_rows(min_row=2):
                if row[j].value in change:
                    row[j].value = change[row[j].value]
    wb.save(rejects)
    fixed = read_assistance(rejects, registry=REGISTRY, as_of=TODAY, catalogue=None)
    assert codes(fixed) == ["A08"]  # the project itself lives in the original file
    registry = RegistryRef(REGISTRY.households, REGISTRY.members, projects=frozenset({"P1"}))
    fixed = read_assistance(rejects, registry=registry, as_of=TODAY)
    assert codes(fixed) == []
    assert fixed.loadable("measures").height == 3 and fixed.loadable("dividends").height == 1


def test_every_a_code_has_titles():
    for code, (severity, zh, en) in ASSIST_CODES.items():
        assert severity in ("error", "warning") and zh and en, code


# --- the date parser (hypothesis) ---------------------------------------------------------------

def _aliased(pair):
    return pair[0].alias("value"), pair[1].alias("error")


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{y:04d}{m:02d}{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}",
                        "{y}年{m}月{d}日", "{y:04d}-{m:02d}-{d:02d} 00:00:00"]))
def test_parse_date_reads_every_accepted_spelling(day, pattern):
    text = pattern.format(y=day.year, m=day.month, d=day.day)
    value, error = pl.select(*_aliased(parse_date(pl.lit(text)))).row(0)
    assert (value, error) == (day, None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_parse_date_never_raises_and_flags_what_it_cannot_read(text):
    value, error = pl.select(*_aliased(parse_date(parse.clean(pl.lit(text, dtype=pl.String))))).row(0)
    blank = pl.select(parse.clean(pl.lit(text, dtype=pl.String))).item() is None
    if blank:
        assert (value, error) == (None, None)
    else:
        assert (value is None) == (error == "E05")
