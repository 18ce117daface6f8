"""Bad input: every case gives a clear message and loses nothing."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest

from fupin.io import ExchangeFormatError, read_registry
from tests.io.io_helpers import (
    households_frame,
    members_frame,
    pid,
    raw_tables,
    write_tables,
)


def codes(reg, table=None):
    issues = reg.issues if table is None else reg.issues.filter(pl.col("table") == table)
    return set(issues["code"].to_list())


def read_csv_case(tmp_path, h=None, m=None, **kw):
    return read_registry(write_tables(tmp_path / "in", h, m), **kw)


# --- containers ---------------------------------------------------------------------------

def test_wrong_sheet_names_say_what_was_found_and_expected(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.create_sheet("成员")
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(ExchangeFormatError) as err:
        read_registry(tmp_path / "w.xlsx")
    assert "Sheet1" in err.value.message_zh and "成员" in err.value.message_zh
    assert "“户”" in err.value.message_zh and "members" in err.value.message_en


def test_missing_required_columns_are_named(tmp_path):
    h, m = raw_tables()
    with pytest.raises(ExchangeFormatError) as err:
        read_csv_case(tmp_path, h.drop("是否建档立卡"), m.drop("与户主关系"))
    assert "是否建档立卡" in err.value.message_zh


def test_missing_member_column_is_named(tmp_path):
    h, m = raw_tables()
    with pytest.raises(ExchangeFormatError) as err:
        read_csv_case(tmp_path, h, m.drop("与户主关系"))
    assert "与户主关系" in str(err.value) and "relationship" in err.value.message_en


def test_unknown_columns_are_kept_aside_and_listed(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(备注=pl.lit("x")), m)
    assert reg.unknown_columns == {"households.csv": ["备注"]}
    assert "备注" in reg.raw["households"].columns
    assert not reg.has_errors


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    h, m = raw_tables()
    reg = read_registry(write_tables(tmp_path / "in", h, m, encoding=encoding))
    assert reg.members["name"].to_list() == ["张三", "李四"]
    assert not reg.has_errors


def test_undecodable_csv_is_a_clear_error(tmp_path):
    h, m = raw_tables()
    folder = write_tables(tmp_path / "in", h, m)
    (folder / "members.csv").write_bytes((folder / "members.csv").read_bytes()[3:] + b"\xff\xfe\xfa\x80\x81")
    with pytest.raises(ExchangeFormatError) as err:
        read_registry(folder)
    assert "编码" in err.value.message_zh and "members.csv" in err.value.message_zh


def test_old_xls_is_named(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(ExchangeFormatError) as err:
        read_registry(tmp_path / "a.xls")
    assert ".xls" in err.value.message_zh and "另存为" in err.value.message_zh


def test_password_protected_workbook_is_named(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100
    (tmp_path / "p.xlsx").write_bytes(data)
    with pytest.raises(ExchangeFormatError) as err:
        read_registry(tmp_path / "p.xlsx")
    assert "密码" in err.value.message_zh and "password" in err.value.message_en


@pytest.mark.parametrize("content", [b"PK\x03\x04garbage", b"hello, not excel"])
def test_corrupt_workbook_is_named(tmp_path, content):
    (tmp_path / "c.xlsx").write_bytes(content)
    with pytest.raises(ExchangeFormatError) as err:
        read_registry(tmp_path / "c.xlsx")
    assert "c.xlsx" in err.value.message_zh


def _workbook(tmp_path, h_rows, m_rows, *, title_row=False, name="t.xlsx"):
    """Write raw cell values with openpyxl (to control cell types and layout)."""
    wb = openpyxl.Workbook()
    for title, rows in (("户", h_rows), ("人", m_rows)):
        ws = wb.create_sheet(title)
        if title_row:
            ws.append(["2023年扶贫对象信息表"])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
        for r in rows:
            ws.append(r)
    del wb["Sheet"]
    wb.save(tmp_path / name)
    return tmp_path / name


def _tables_as_rows():
    h, m = raw_tables()
    return [h.columns, *h.rows()], [m.columns, *m.rows()]


def test_title_row_above_merged_header_is_skipped_and_rows_numbered_from_the_sheet(tmp_path):
    h_rows, m_rows = _tables_as_rows()
    m_rows[2] = list(m_rows[2])
    m_rows[2][m_rows[0].index("证件号码")] = "123"
    path = _workbook(tmp_path, h_rows, m_rows, title_row=True)
    reg = read_registry(path)
    q01 = reg.issues.filter(pl.col("code") == "Q01")
    assert q01["row"].to_list() == [4]  # title row 1, header row 2, first member row 3
    assert reg.households.height == 1


def test_empty_header_with_data_is_listed_as_unknown(tmp_path):
    h_rows, m_rows = _tables_as_rows()
    h_rows = [list(r) + [None if i == 0 else "x"] for i, r in enumerate(h_rows)]
    reg = read_registry(_workbook(tmp_path, h_rows, m_rows))
    assert any("无表头" in c for c in reg.unknown_columns["户"])


def test_empty_rows_are_skipped_silently(tmp_path):
    h_rows, m_rows = _tables_as_rows()
    m_rows.insert(2, [None] * len(m_rows[0]))
    reg = read_registry(_workbook(tmp_path, h_rows, m_rows))
    assert reg.members["_row"].to_list() == [2, 4]
    assert not reg.has_errors


def test_numbers_stored_as_text_are_accepted(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(工资性收入=pl.lit(" 12000 "), 年度=pl.lit("2023")), m)
    assert reg.households["wage_income"][0] == 12000.0
    assert not reg.has_errors


def test_id_stored_as_number_gets_its_own_message(tmp_path):
    h_rows, m_rows = _tables_as_rows()
    col = m_rows[0].index("证件号码")
    m_rows[1] = list(m_rows[1])
    m_rows[1][col] = int(m_rows[1][col])
    reg = read_registry(_workbook(tmp_path, h_rows, m_rows))
    q01 = reg.issues.filter(pl.col("code") == "Q01")
    assert q01.height == 1 and "数字" in q01["message_zh"][0] and "文本" in q01["message_zh"][0]
    assert reg.rejected().rows() == [("H1", 2023)]


def test_numeric_household_id_and_year_cells_are_read_as_text(tmp_path):
    h_rows, m_rows = _tables_as_rows()
    h_rows[1] = list(h_rows[1])
    h_rows[1][0], h_rows[1][1] = 42, 2023
    for r in m_rows[1:]:
        r_idx = m_rows.index(r)
        m_rows[r_idx] = [42 if i == 0 else v for i, v in enumerate(r)]
    reg = read_registry(_workbook(tmp_path, h_rows, m_rows))
    assert reg.households["household_id"].to_list() == ["42"]
    assert not reg.has_errors, reg.issues


_GOOD = pid(date(1972, 5, 2), 22)
_WRONG_CHECK = _GOOD[:17] + ("0" if _GOOD[17] != "0" else "1")


@pytest.mark.parametrize("bad_id, expected", [("5001011970030100", "Q01"), (_WRONG_CHECK, "Q01"),
                                               ("500101197002300011", "Q01")])
def test_malformed_and_wrong_checksum_ids_reject_the_household(tmp_path, bad_id, expected):
    h, m = raw_tables()
    m = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit(bad_id)).otherwise(pl.col("证件号码")).alias("证件号码"))
    reg = read_csv_case(tmp_path, h, m)
    assert expected in codes(reg)
    assert reg.rejected().rows() == [("H1", 2023)]
    assert codes(reg, "households") == {"R00"}
    assert reg.loadable()[0].height == 0 and reg.loadable()[1].height == 0


def test_fifteen_digit_id_is_upgraded_with_a_warning(tmp_path):
    h, m = raw_tables()
    old = pid(date(1972, 5, 2), 22)
    legacy = old[:6] + old[8:17]
    m = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit(legacy)).otherwise(pl.col("证件号码")).alias("证件号码"))
    reg = read_csv_case(tmp_path, h, m)
    assert codes(reg) == {"Q02"}
    assert reg.members["id_number"].to_list()[1][:17] == old[:17]
    assert reg.rejected().height == 0


def test_birth_date_after_the_assessment_date_is_an_error(tmp_path):
    h, m = raw_tables()
    baby = pid(date(2024, 2, 1), 11)
    extra = m.head(1).with_columns(姓名=pl.lit("婴儿"), 证件号码=pl.lit(baby), 与户主关系=pl.lit("之子"), 性别=pl.lit("男"))
    reg = read_csv_case(tmp_path, h, pl.concat([m, extra]))
    e10 = reg.issues.filter(pl.col("code") == "E10")
    assert e10.height == 1 and e10["value"][0] == baby
    on_time = read_registry(tmp_path / "in", as_of=date(2024, 3, 1))
    assert "E10" not in codes(on_time)


def test_unknown_town_code_is_an_error(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(区划代码=pl.lit("500199999201")), m)
    e08 = reg.issues.filter(pl.col("code") == "E08")
    assert e08.height == 1 and "500199999" in e08["message_zh"][0]
    assert reg.rejected().height == 1


def test_duplicate_household_key_rejects_both_rows(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, pl.concat([h, h]), m)
    assert reg.issues.filter(pl.col("code") == "E06")["row"].to_list() == [2, 3]
    assert reg.rejected().rows() == [("H1", 2023)]


def test_member_whose_household_is_missing_is_an_error(tmp_path):
    h, m = raw_tables()
    m = pl.concat([m, m.head(1).with_columns(户编号=pl.lit("H9"), 证件号码=pl.lit(pid(date(1990, 1, 1), 31)))])
    reg = read_csv_case(tmp_path, h, m)
    e07 = reg.issues.filter(pl.col("code") == "E07")
    assert e07["row"].to_list() == [4] and "H9" in e07["message_zh"][0]
    assert reg.loadable()[0].height == 1  # H1 is unaffected


def test_one_person_in_two_households_rejects_both(tmp_path):
    h, m = raw_tables()
    h2 = pl.concat([h, h.with_columns(户编号=pl.lit("H2"))])
    m2 = pl.concat([m, m.with_columns(户编号=pl.lit("H2"))])
    reg = read_csv_case(tmp_path, h2, m2)
    assert reg.rejected()["household_id"].to_list() == ["H1", "H2"]
    assert "Q04" in codes(reg)


@pytest.mark.parametrize("relationships", [("配偶", "配偶"), ("户主", "户主")])
def test_household_without_head_or_with_two_is_rejected(tmp_path, relationships):
    h, m = raw_tables()
    m = m.with_columns(与户主关系=pl.Series(list(relationships)))
    reg = read_csv_case(tmp_path, h, m)
    assert "Q05" in codes(reg) and reg.rejected().height == 1


@pytest.mark.parametrize("value, code", [("-5", "E03"), ("一千", "E02"), ("12,000元", None), ("1，200 元", None)])
def test_money_values(tmp_path, value, code):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(工资性收入=pl.lit(value)), m)
    if code is None:
        assert not reg.has_errors, reg.issues
    else:
        issue = reg.issues.filter(pl.col("code") == code)
        assert issue["column"].to_list() == ["工资性收入"] and issue["value"].to_list() == [value]


def test_work_months_13_is_an_error(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h, m.with_columns(务工时间=pl.Series(["13", None])))
    assert "Q15" in codes(reg, "members") and reg.rejected().height == 1


def test_bad_code_value_names_the_allowed_values(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(住房安全等级=pl.lit("E")), m)
    issue = reg.issues.filter(pl.col("code") == "E04")
    assert "A、B、C、D" in issue["message_zh"][0]


def test_bad_month_is_an_error(tmp_path):
    h, m = raw_tables()
    h = h.with_columns(监测对象类别=pl.lit("边缘易致贫户"), 识别监测时间=pl.lit("2023-13"), 风险是否已消除=pl.lit("否"))
    reg = read_csv_case(tmp_path, h, m)
    assert "E05" in codes(reg)


def test_month_in_national_form_is_accepted(tmp_path):
    h, m = raw_tables()
    h = h.with_columns(监测对象类别=pl.lit("边缘易致贫户"), 识别监测时间=pl.lit("202303"), 风险是否已消除=pl.lit("否"))
    reg = read_csv_case(tmp_path, h, m)
    assert reg.households["monitoring_since"][0] == "2023-03" and not reg.has_errors


def test_monitoring_category_without_its_month_is_an_error(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(监测对象类别=pl.lit("边缘易致贫户"), 风险是否已消除=pl.lit("否")), m)
    assert reg.issues.filter(pl.col("code") == "E01")["column"].to_list() == ["识别监测时间"]


def test_year_argument_fills_missing_year_and_rejects_other_years(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.drop("年度"), m.drop("年度"), year=2023)
    assert reg.households["year"].to_list() == [2023] and not reg.has_errors
    other = read_registry(tmp_path / "in", year=2024)
    assert other.households["year"].to_list() == [2024]
    h2, m2 = raw_tables()
    mismatch = read_registry(write_tables(tmp_path / "b", h2, m2), year=2024)
    assert "E09" in codes(mismatch)


def test_missing_year_column_without_year_argument_is_a_file_error(tmp_path):
    h, m = raw_tables()
    with pytest.raises(ExchangeFormatError) as err:
        read_csv_case(tmp_path, h.drop("年度"), m)
    assert "年度" in err.value.message_zh


def test_members_year_may_be_absent_when_households_have_one_year(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h, m.drop("年度"))
    assert reg.members["year"].to_list() == [2023, 2023] and not reg.has_errors


def test_phone_in_an_odd_form_is_only_a_warning(tmp_path):
    h, m = raw_tables()
    reg = read_csv_case(tmp_path, h.with_columns(联系电话=pl.lit("12345")), m)
    assert codes(reg) == {"W01"} and reg.rejected().height == 0


def test_every_row_is_loadable_or_in_issues(tmp_path):
    h, m = raw_tables(households_frame([dict(household_id="H1"), dict(household_id="H2")]),
                      members_frame([
                          dict(household_id="H1", name="甲", id_number=pid(date(1970, 1, 1), 11), relationship="户主"),
                          dict(household_id="H2", name="乙", id_number="bad", relationship="户主"),
                          dict(household_id="H2", name="丙", id_number=pid(date(1971, 1, 1), 21), relationship="配偶"),
                      ]))
    reg = read_csv_case(tmp_path, h, m)
    hh, mm, _ = reg.loadable()
    assert hh["household_id"].to_list() == ["H1"]
    flagged = set(reg.issues.filter(pl.col("severity") == "error")["row"].to_list())
    assert set(mm["_row"].to_list()) | flagged == {2, 3, 4}
    assert reg.issues.filter((pl.col("code") == "R00") & (pl.col("table") == "members"))["row"].to_list() == [4]


def test_large_tables_parse_distinct_values_with_the_same_outcome(tmp_path):
    # Above 5000 rows, low-cardinality columns are parsed per distinct text; results must match.
    from fupin.io.sample import make_registry

    h, m = make_registry(6000)
    hs, ms = raw_tables(h, m)
    hs = hs.with_columns(
        住房安全等级=pl.when(pl.int_range(pl.len()) == 10).then(pl.lit("E")).otherwise(pl.col("住房安全等级")),
        不愁吃=pl.when(pl.int_range(pl.len()) == 11).then(pl.lit(" 否 ")).otherwise(pl.col("不愁吃")),
    )
    reg = read_csv_case(tmp_path, hs, ms)
    e04 = reg.issues.filter(pl.col("code") == "E04")
    assert e04["row"].to_list() == [12] and e04["value"].to_list() == ["E"]
    assert reg.households["food_secure"][11] is False
    assert reg.rejected().height == 1


def test_a_year_of_zero_is_a_year_out_of_range_not_a_crash(tmp_path):
    import polars as pl

    from fupin.io import read_registry
    from tests.io.io_helpers import households_frame, members_frame

    folder = tmp_path / "csv"
    folder.mkdir()
    households, members = households_frame(), members_frame()
    households.with_columns(pl.col(c).cast(pl.String) for c in households.columns).with_columns(
        year=pl.lit("0")).write_csv(folder / "households.csv")
    members.with_columns(pl.col(c).cast(pl.String) for c in members.columns).write_csv(folder / "members.csv")
    issues = read_registry(folder).issues
    e13 = issues.filter(pl.col("code") == "E13")
    assert e13.height == households.height
    assert "1900–2100" in e13["message_zh"][0]
