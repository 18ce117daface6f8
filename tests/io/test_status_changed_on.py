"""人员状态变动日期 (``status_changed_on``, assistance.md 1.8): an optional member field of the
exchange format, read from every container (xlsx, CSV, Parquet — a typed Parquet date stays a
date), written back by export, checked by Q27."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import xlsxwriter

from fupin.engine import quality, schema
from fupin.io.reader import read_registry
from fupin.io.writer import write_registry
from tests.io.io_helpers import (
    households_frame,
    members_frame,
    pid,
    raw_tables,
    write_tables,
)

DIED = date(2021, 6, 10)


def _registry(changed: date | None = DIED, status: str = "死亡", year: int = 2021):
    h = households_frame([{"year": year}])
    m = members_frame([
        {"household_id": "H1", "name": "张三", "id_number": pid(date(1970, 3, 1), 11), "relationship": "户主",
             "member_status": "正常", "year": year},
        {"household_id": "H1", "name": "李四", "id_number": pid(date(1962, 5, 2), 22), "relationship": "配偶",
             "member_status": status, "status_changed_on": changed, "year": year},
    ])
    return h, m


def _changed(registry) -> dict[str, date | None]:
    return dict(registry.members.select("name", "status_changed_on").iter_rows())


def test_member_field_is_declared_once_in_the_schema_with_its_chinese_header():
    f = schema.field_by_name("members", "status_changed_on")
    assert (f.zh, f.kind, f.required) == ("人员状态变动日期", "date", False)
    assert schema.polars_schema("members")["status_changed_on"] == pl.Date


@pytest.mark.parametrize("container", ["x.xlsx", "csv", "x.parquet"])
def test_status_change_date_round_trips_through_every_container(tmp_path, container):
    h, m = _registry()
    out = tmp_path / container
    write_registry(out, h, m)
    back = read_registry(out)
    assert not back.has_errors, back.issues
    assert back.members.schema["status_changed_on"] == pl.Date
    assert _changed(back) == {"张三": None, "李四": DIED}


def test_typed_parquet_date_column_is_read_as_a_date_without_a_text_round_trip(tmp_path):
    h, m = _registry()
    out = tmp_path / "x.parquet"
    write_registry(out, h, m)
    assert pl.read_parquet(out / "members.parquet").schema["status_changed_on"] == pl.Date
    # A timestamp column (another tool's export) is a date too, its time of day dropped.
    stamped = pl.read_parquet(out / "members.parquet").with_columns(
        pl.col("status_changed_on").cast(pl.Datetime("us")) + pl.duration(hours=9))
    stamped.write_parquet(out / "members.parquet")
    assert _changed(read_registry(out))["李四"] == DIED


@pytest.mark.parametrize("text", ["2021-06-10", "20210610", "2021/6/10", "2021年6月10日", "2021-06-10 00:00:00"])
def test_status_change_date_accepts_the_spellings_cadres_type(tmp_path, text):
    h, m = raw_tables(*_registry(changed=None))
    m = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit(text)).otherwise(None).alias("人员状态变动日期"))
    back = read_registry(write_tables(tmp_path / "f", h, m))
    assert not back.has_errors, back.issues
    assert _changed(back)["李四"] == DIED


def test_excel_date_cell_is_read_as_that_date(tmp_path):
    h, m = raw_tables(*_registry(changed=None))
    m = m.drop("人员状态变动日期")
    path = tmp_path / "dates.xlsx"
    wb = xlsxwriter.Workbook(path)
    dated = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet, frame in (("户", h), ("人", m)):
        ws = wb.add_worksheet(sheet)
        headers = frame.columns + (["人员状态变动日期"] if sheet == "人" else [])
        ws.write_row(0, 0, headers)
        for r, row in enumerate(frame.iter_rows(), start=1):
            ws.write_row(r, 0, [v if v is not None else "" for v in row])
            if sheet == "人" and row[frame.columns.index("姓名")] == "李四":
                ws.write_datetime(r, len(frame.columns), datetime(2021, 6, 10), dated)
    wb.close()
    back = read_registry(path)
    assert not back.has_errors, back.issues
    assert _changed(back)["李四"] == DIED


def test_a_status_change_date_that_is_not_a_date_is_e05_naming_the_column_and_the_format(tmp_path):
    h, m = raw_tables(*_registry(changed=None))
    m = m.with_columns(pl.when(pl.col("姓名") == "李四").then(pl.lit("六月十日")).otherwise(None).alias("人员状态变动日期"))
    back = read_registry(write_tables(tmp_path / "f", h, m))
    issue = back.issues.filter(pl.col("code") == "E05").row(0, named=True)
    assert issue["column"] == "人员状态变动日期" and issue["value"] == "六月十日"
    assert "YYYY-MM-DD" in issue["message_zh"] and "日期" in issue["message_zh"]


def test_a_file_without_the_column_still_reads_with_the_field_empty(tmp_path):
    h, m = raw_tables()
    back = read_registry(write_tables(tmp_path / "f", h, m.drop("人员状态变动日期")))
    assert not back.has_errors
    assert back.members["status_changed_on"].null_count() == back.members.height


# --- Q27: the reading chosen for the date's quality check (a warning; the row loads) -----------

def _q27(h, m, as_of=None) -> pl.DataFrame:
    return quality.findings(h, m, as_of=as_of).filter(pl.col("code") == "Q27")


def test_q27_warns_of_a_status_change_date_on_a_member_who_is_still_normal():
    h, m = _registry(status="正常")
    found = _q27(h, m)
    assert found["member_name"].to_list() == ["李四"]
    assert found["severity"].to_list() == ["warning"]
    assert "正常" in found["message_zh"][0]


def test_q27_warns_of_a_status_change_date_after_the_snapshot_year_or_the_import_date():
    h, m = _registry(changed=date(2022, 1, 1))
    assert _q27(h, m)["member_name"].to_list() == ["李四"]
    h, m = _registry(changed=date(2021, 12, 31))
    assert _q27(h, m).height == 0
    h, m = _registry(changed=date(2021, 6, 10))
    assert _q27(h, m, as_of=date(2021, 6, 9)).height == 1
    assert _q27(h, m, as_of=date(2021, 6, 10)).height == 0


def test_q27_is_quiet_for_a_dated_death_and_an_undated_one():
    assert _q27(*_registry()).height == 0
    assert _q27(*_registry(changed=None)).height == 0


def test_q27_does_not_stop_the_row_from_loading(tmp_path):
    h, m = _registry(status="正常")
    write_registry(tmp_path / "x.xlsx", h, m)
    back = read_registry(tmp_path / "x.xlsx")
    assert "Q27" in back.issues["code"].to_list()
    assert not back.has_errors
    assert back.loadable()[1].height == 2
