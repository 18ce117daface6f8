"""Validation split from container reading: ``validate_sheets`` over rows held in memory
(``sheet_from_rows``) gives exactly what ``read_registry`` gives over the same rows as CSV files."""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fupin.engine import idnumber, schema
from fupin.io import (
    ExchangeFormatError,
    RawSheet,
    read_registry,
    sheet_from_rows,
    validate_sheets,
)
from fupin.io.containers import read_csv

VILLAGE = "500101102201"
TABLES = ("households", "members")


def headers(table: str) -> list[str]:
    return [f.zh for f in schema.fields(table, exchange_only=True)]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([row.get(h) or "" for h in header] for row in rows)
    return path


def write_folder(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        write_csv(folder / f"{table}.csv", headers(table), rows)
    return folder


def in_memory(tables: dict[str, list[dict[str, str]]], **kwargs):
    """validate_sheets over sheets named like the CSV files, so that even _sheet agrees."""
    sheets = [sheet_from_rows(t, rows, sheet_name=f"{t}.csv") for t, rows in tables.items()]
    return validate_sheets(sheets, source_format="csv", **kwargs)


def outcome(run):
    try:
        return run()
    except ExchangeFormatError as exc:
        return exc


def assert_same_registry(a, b) -> None:
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b)
        return
    key = ["sheet", "row", "code", "column", "message_zh"]
    assert a.issues.sort(key, nulls_last=True).to_dicts() == b.issues.sort(key, nulls_last=True).to_dicts()
    for name in ("households", "members", "regions"):
        fa, fb = getattr(a, name), getattr(b, name)
        assert fa.schema == fb.schema, name
        assert fa.sort("_sheet", "_row").to_dicts() == fb.sort("_sheet", "_row").to_dicts(), name
    assert a.raw.keys() == b.raw.keys()
    for name in a.raw:
        assert a.raw[name].to_dicts() == b.raw[name].to_dicts(), name
    assert a.unknown_columns == b.unknown_columns
    assert a.source_format == b.source_format
    assert a.rejected().to_dicts() == b.rejected().to_dicts()


# --- sheet_from_rows ----------------------------------------------------------------------

def test_sheet_from_rows_is_the_sheet_read_csv_gives_for_the_same_rows(tmp_path):
    rows = [
        {"户编号": "H1", "年度": "2020", "区划代码": VILLAGE, "是否建档立卡": "是", "联系电话": " 138 0013 8000 "},
        {},                                          # an empty row: skipped, its number not reused
        {"户编号": "H2", "工资性收入": "1,000元", "备注": "extra, \"quoted\"\nline"},
        {"户编号": "   ", "年度": ""},               # blanks only: skipped as well
        {"户编号": "H3", "住房安全等级": None},
    ]
    header = headers("households") + ["备注"]
    from_file = read_csv(write_csv(tmp_path / "households.csv", header, rows), "households")
    in_mem = sheet_from_rows("households", rows, sheet_name="households.csv")
    assert isinstance(in_mem, RawSheet)
    assert (in_mem.kind, in_mem.sheet, in_mem.headers, in_mem.unknown_extra) == (
        from_file.kind, from_file.sheet, from_file.headers, from_file.unknown_extra)
    assert in_mem.frame.schema == from_file.frame.schema
    assert in_mem.frame.to_dicts() == from_file.frame.to_dicts()


def test_sheet_from_rows_numbers_rows_like_csv_lines_and_keeps_empty_cells_as_empty_strings():
    sheet = sheet_from_rows("members", [{"户编号": "H1", "姓名": "甲"}, {}, {"户编号": "H1"}], sheet_name="人")
    assert sheet.frame["_row"].to_list() == [2, 4]
    assert sheet.frame["_sheet"].to_list() == ["人", "人"]
    assert sheet.headers == headers("members")          # the schema's order, every exchange column
    assert sheet.frame.columns == [*headers("members"), "_sheet", "_row"]
    assert sheet.frame["证件号码"].to_list() == ["", ""]
    assert all(dtype == pl.String for name, dtype in sheet.frame.schema.items() if name != "_row")


def test_sheet_from_rows_with_explicit_headers_has_those_columns_only():
    sheet = sheet_from_rows("members", [{"户编号": "H1"}], sheet_name="m", headers=["姓名", "户编号"])
    assert sheet.headers == ["姓名", "户编号"]
    with pytest.raises(ValueError, match="not among the headers"):
        sheet_from_rows("members", [{"备注": "x"}], sheet_name="m", headers=["姓名"])
    with pytest.raises(ValueError, match="duplicate"):
        sheet_from_rows("members", [], sheet_name="m", headers=["姓名", "姓名"])


@pytest.mark.parametrize("odd", ["*", "^.*$", "^户编号$"])
def test_a_header_like_a_column_wildcard_or_pattern_is_just_an_unknown_column(tmp_path, odd):
    """Polars reads "*" and "^…$" in pl.col as wildcard / regex; headers are taken literally."""
    tables = {"households": [household(**{odd: "x"})], "members": [member("H1", 1), member("H1", 2, "之子")]}
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "households.csv", headers("households") + [odd], tables["households"])
    write_csv(folder / "members.csv", headers("members"), tables["members"])
    from_file = read_registry(folder)
    assert from_file.unknown_columns == {"households.csv": [odd]}
    assert from_file.raw["households"][odd].to_list() == ["x"]
    assert_same_registry(in_memory(tables), from_file)
    (folder / "households.csv").write_text(odd, encoding="utf-8")
    with pytest.raises(ExchangeFormatError, match="缺少必需的列"):
        read_registry(folder)


def test_sheet_from_rows_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        sheet_from_rows("people", [], sheet_name="x")


# --- validate_sheets -----------------------------------------------------------------------

def household(hid: str = "H1", **values) -> dict[str, str]:
    row = {"户编号": hid, "年度": "2020", "区划代码": VILLAGE, "是否建档立卡": "是", "脱贫状态": "已脱贫",
           "脱贫年度": "2018", "工资性收入": "20000", "生产经营性收入": "0", "财产性收入": "0",
           "转移性收入": "1000", "生产经营性支出": "0"}
    row.update(values)
    return row


def member(hid: str, seq: int, relationship: str = "户主", **values) -> dict[str, str]:
    row = {"户编号": hid, "年度": "2020", "姓名": f"成员{seq}", "与户主关系": relationship, "性别": "男",
           "证件号码": idnumber.make_id("500101", date(1970, 1, 1 + seq), 2 * seq + 1)}
    row.update(values)
    return row


def test_validate_sheets_finds_the_same_issues_as_read_registry_over_the_csv_folder(tmp_path):
    good = idnumber.make_id("500101", date(1980, 5, 6), 7)
    tables = {
        "households": [household("H1", 工资性收入="12,x", 住房安全等级="E", 识别监测时间="2023-13"),
                       household("H2", 财产性收入="-5", 年度="2019"), household("H1")],
        "members": [member("H1", 1, 证件号码=good[:-1] + ("0" if good[-1] != "0" else "1")),
                    member("H1", 2, 证件号码=idnumber.make_id("500101", date(2031, 1, 1), 9)),
                    member("H2", 3, 性别="X"), member("H9", 4), {}, member("H2", 5, "户主")],
    }
    from_file = read_registry(write_folder(tmp_path / "in", tables), year=2020)
    from_memory = in_memory(tables, year=2020)
    assert {"E02", "E03", "E04", "E05", "E06", "E07", "E09", "E10", "Q01", "Q05"} <= set(from_memory.issues["code"])
    assert_same_registry(from_memory, from_file)


def test_validate_sheets_reports_unknown_columns_as_read_registry_does(tmp_path):
    tables = {"households": [household(备注="x")], "members": [member("H1", 1, 备注2="y")]}
    folder = tmp_path / "in"
    folder.mkdir()
    for table, rows in tables.items():
        extra = [k for row in rows for k in row if k not in headers(table)]
        write_csv(folder / f"{table}.csv", headers(table) + extra, rows)
    from_memory = in_memory(tables)
    assert from_memory.unknown_columns == {"households.csv": ["备注"], "members.csv": ["备注2"]}
    assert_same_registry(from_memory, read_registry(folder))


def test_validate_sheets_in_memory_names_the_sheet_not_a_file_in_messages():
    sheets = [sheet_from_rows("households", [household()], sheet_name="户"),
              sheet_from_rows("members", [{"户编号": "H1"}], sheet_name="人", headers=["户编号"])]
    with pytest.raises(ExchangeFormatError) as missing:
        validate_sheets(sheets, source_format="csv")
    assert missing.value.message_zh.startswith("工作表“人”缺少必需的列")
    assert missing.value.message_en.startswith("sheet '人': required columns missing")
    assert "文件" not in missing.value.message_zh and "file" not in missing.value.message_en
    with pytest.raises(ExchangeFormatError) as named:
        validate_sheets(sheets, source="编辑表单", source_format="csv")
    assert named.value.message_zh.startswith("文件“编辑表单”工作表“人”缺少必需的列")
    with pytest.raises(ExchangeFormatError) as from_path:
        validate_sheets(sheets, source=Path("/some/folder/upload.xlsx"), source_format="xlsx")
    assert from_path.value.message_en.startswith("file 'upload.xlsx', sheet '人'")


def test_validate_sheets_refuses_sheets_that_do_not_fit_the_format():
    households = sheet_from_rows("households", [household()], sheet_name="户")
    with pytest.raises(ValueError, match="members"):
        validate_sheets([households], source_format="csv")
    with pytest.raises(ValueError, match="flat"):
        validate_sheets([households], source_format="flat")


def test_read_registry_message_for_a_missing_column_still_names_the_file(tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    write_csv(folder / "households.csv", headers("households"), [household()])
    write_csv(folder / "members.csv", ["户编号"], [{"户编号": "H1"}])
    with pytest.raises(ExchangeFormatError) as refused:
        read_registry(folder)
    assert refused.value.message_zh.startswith("文件“upload”工作表“members.csv”缺少必需的列")


# --- property: the in-memory path and the CSV path agree on any rows -------------------------

IDS = [idnumber.make_id("500101", date(1970 + i, 1 + i, 1 + i), 2 * i + 1) for i in range(4)]
IDS += [IDS[0][:-1] + ("0" if IDS[0][-1] != "0" else "1"),             # bad check digit
        idnumber.make_id("500101", date(2035, 1, 1), 3), IDS[1][:17]]  # born in the future, too short
JUNK = st.text(alphabet=st.sampled_from(list("0123456789-,. 是否ABx元\"\n\t　（）、")), max_size=8)


def values_of(f: schema.Field) -> list[str]:
    if f.name == "household_id":
        return ["H1", "H2"]
    if f.name == "year":
        return ["2020", "2021", "二〇二〇"]
    if f.kind in ("code", "causes"):
        codes = list(f.codes)
        return codes + (["、".join(codes[:2]), "、".join(codes[:3])] if f.kind == "causes" else [])
    if f.kind == "yesno":
        return ["是", "否", "Y", "0", "true", "maybe"]
    if f.kind == "int":
        return ["2018", "13", "0", "-1"]
    if f.kind == "money":
        return ["0", "1200", "1,000.5", "-3", "1e3", "12元"]
    if f.kind == "number":
        return ["0", "2.5", "-1", "3亩"]
    if f.kind == "month":
        return ["2023-05", "2023-13", "202305", "2023年5月"]
    if f.kind == "region":
        return [VILLAGE, "500101001000", "999999999201", "50010110220"]
    if f.kind == "id_number":
        return IDS
    if f.name == "phone":
        return ["13800138000", "023-12345678", "123"]
    return ["张三", "李四", "王五"]


def rows_of(table: str, size: tuple[int, int]):
    cells = {f.zh: st.one_of(st.just(""), st.sampled_from(values_of(f)), JUNK)
             for f in schema.fields(table, exchange_only=True)}
    return st.lists(st.fixed_dictionaries(cells), min_size=size[0], max_size=size[1])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households=rows_of("households", (0, 3)), members=rows_of("members", (0, 5)),
       year=st.sampled_from([None, 2020]))
def test_validate_sheets_over_rows_in_memory_equals_read_registry_over_the_same_rows_as_csv(
        households, members, year):
    tables = {"households": households, "members": members}
    with tempfile.TemporaryDirectory(prefix="fupin-test-") as tmp:
        from_file = outcome(lambda: read_registry(write_folder(Path(tmp), tables), year=year))
    from_memory = outcome(lambda: in_memory(tables, year=year))
    event("refused" if isinstance(from_file, Exception) else
          "no issue" if from_file.issues.is_empty() else "with issues")
    assert_same_registry(from_memory, from_file)
