"""Typed input stays typed: a Parquet column that already has its canonical type is validated on
its values, never written out as text and parsed back — with exactly the outcome of that text
parse (issues with their codes, messages and values, the tables, the rejects), and the same
findings as the CSV and xlsx containers give for the same registry.

"Today's path" below is the text parse of the same Parquet file: every column read as text by
``containers.read_parquet_folder`` and validated by ``validate_sheets``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.engine import schema
from fupin.io import containers, read_registry, validate_sheets, write_registry
from fupin.io.rejects import rejected_rows
from tests.io.io_helpers import households_frame, members_frame, pid

YEAR = 2023


def text_path(path: Path, **kw):
    return validate_sheets(containers.read_parquet_folder(path), source=path, source_format="parquet", **kw)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells as the rejects workbook writes them (the row number stays a number)."""
    return frame.select(pl.exclude("_row").cast(pl.String), pl.col("^_row$"))


def assert_same_registry(typed, text) -> None:
    assert typed.issues.equals(text.issues)
    for name in ("households", "members", "regions"):
        assert getattr(typed, name).equals(getattr(text, name)), name
    assert typed.unknown_columns == text.unknown_columns
    assert set(typed.raw) == set(text.raw)
    for key in typed.raw:
        assert as_text(typed.raw[key]).equals(text.raw[key]), key
    for a, b in zip(typed.loadable(), text.loadable(), strict=True):
        assert a.equals(b)
    typed_rejects, text_rejects = rejected_rows(typed), rejected_rows(text)
    assert set(typed_rejects) == set(text_rejects)
    for sheet in typed_rejects:
        assert as_text(typed_rejects[sheet]).equals(as_text(text_rejects[sheet])), sheet


def bad_registry() -> tuple[pl.DataFrame, pl.DataFrame]:
    """One sound household and one of each problem the importer reports."""
    h = households_frame([
        {},                                                                   # H1 sound
        {"household_id": "H2", "wage_income": -5.0},                          # E03
        {"household_id": "H3", "main_cause": "因懒"},                          # E04 (code list)
        {"household_id": "H4", "housing_grade": "E", "water_quality": " 达标"},  # E04; a blank to clean
        {"household_id": "H5"}, {"household_id": "H5"},                       # E06 duplicate key
        {"household_id": "H6", "exit_year": 1800},                            # E13
        {"household_id": "H7", "business_income": math.nan, "property_income": math.inf},  # E02
        {"household_id": "H8", "registered": None},                           # E01 required
        {"household_id": "H9", "monitoring_category": "边缘易致贫户"},           # E01 when monitored
        {"household_id": "H10", "region_code": "5001"},                       # E08
        {"household_id": "H11", "phone": "12345"},                            # W01
        {"household_id": "H12", "transfer_income": -0.0, "water_litres_per_day": 1e300},
        {"household_id": "H13", "identified_year": 2_000_000_000},            # 10 digits: E02
    ])
    base = members_frame()
    rows = [dict(r) for r in base.to_dicts()]
    ok_id = pid(date(1980, 1, 1), 31)
    members = rows + [
        {**rows[0], "household_id": hid, "id_number": pid(date(1960 + i, 1, 1), 10 + i)}
        for i, hid in enumerate(["H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11", "H12", "H13"])
    ] + [
        {**rows[1], "id_number": ok_id[:-1] + ("0" if ok_id[-1] != "0" else "1")},   # Q01 check character
        {**rows[1], "household_id": "H99", "id_number": pid(date(1990, 2, 2), 41)},  # E07 orphan
        {**rows[1], "household_id": "H2", "id_number": pid(date(1961, 1, 1), 11)},   # E06 twice in H2
        {**rows[1], "household_id": "H3", "id_number": "500101800101123"},          # Q02 15 digits
        {**rows[1], "household_id": "H4", "id_number": pid(date(2030, 1, 1), 51)},  # E10 born later
        {**rows[1], "household_id": "H6", "relationship": "邻居", "sex": " 女"},       # E04; blank
        {**rows[1], "household_id": "H11", "work_months": 13, "member_status": "死亡"},
    ]
    return h, pl.DataFrame(members, schema=base.schema)


@pytest.fixture
def bad_parquet(tmp_path):
    h, m = bad_registry()
    path = tmp_path / "bad.parquet"
    write_registry(path, h, m)
    return path


def test_typed_parquet_gives_the_text_parse_outcome(bad_parquet):
    typed = read_registry(bad_parquet, year=YEAR)
    text = text_path(bad_parquet, year=YEAR)
    assert_same_registry(typed, text)
    codes = set(typed.issues["code"])
    assert {"E01", "E02", "E03", "E04", "E06", "E07", "E08", "E10", "E13", "Q01", "Q02", "W01", "R00"} <= codes


def test_typed_parquet_without_import_year_gives_the_text_parse_outcome(bad_parquet):
    assert_same_registry(read_registry(bad_parquet), text_path(bad_parquet))


def _retype(path: Path, table: str, **casts: pl.Expr) -> None:
    target = path / f"{table}.parquet"
    pl.read_parquet(target).with_columns(**casts).write_parquet(target)


@pytest.mark.parametrize("table, casts", [
    ("households", {"year": pl.col("year").cast(pl.Float64)}),
    ("households", {"exit_year": pl.col("exit_year").cast(pl.String)}),
    ("households", {"wage_income": pl.format("{}元", pl.col("wage_income"))}),
    ("households", {"business_income": pl.col("business_income").cast(pl.Int64, strict=False)}),
    ("households", {"registered": pl.when(pl.col("registered")).then(pl.lit("是")).otherwise(pl.lit("否"))}),
    ("households", {"food_secure": pl.col("food_secure").cast(pl.Int64)}),
    ("households", {"farmland_mu": pl.col("wage_income").cast(pl.Float32)}),
    ("households", {"region_code": pl.col("region_code").cast(pl.Int64, strict=False)}),
    ("households", {"housing_grade": pl.col("housing_grade").cast(pl.Categorical)}),
    ("members", {"work_months": pl.col("work_months").cast(pl.Float64) + 0.5}),
    ("members", {"year": pl.col("year").cast(pl.Int64), "work_months": pl.col("work_months").cast(pl.UInt8)}),
    ("members", {"id_number": pl.col("id_number").str.slice(0, 17).cast(pl.Int64, strict=False)}),
    ("members", {"dibao": pl.col("dibao").cast(pl.String)}),
])
def test_wrong_typed_parquet_columns_are_read_as_their_text(bad_parquet, table, casts):
    _retype(bad_parquet, table, **casts)
    assert_same_registry(read_registry(bad_parquet, year=YEAR), text_path(bad_parquet, year=YEAR))


def _issue_keys(issues: pl.DataFrame) -> pl.DataFrame:
    """Issues as every container reports them: the container's sheet names, headers and cell
    texts differ (households.parquet / households.csv / 户; wage_income / 工资性收入; true / 是)."""
    fields = {}
    for table in ("households", "members", "regions"):
        for header, name in schema.header_index(table).items():
            fields.setdefault(header, name)
    return issues.select(
        "table", "row", "code", "severity", "household_id", "year",
        field=pl.col("column").map_elements(lambda c: fields.get(schema.normalize_header(c), c), return_dtype=pl.String),
    ).sort(pl.all(), nulls_last=True)


@pytest.mark.parametrize("container", ["csv", "xlsx"])
def test_parquet_csv_and_xlsx_report_the_same_problems(tmp_path, container):
    h, m = bad_registry()
    if container == "xlsx":
        # A workbook cell cannot hold NaN or infinity: that household has no xlsx twin.
        h = h.filter(pl.col("household_id") != "H7")
    parquet = tmp_path / "r.parquet"
    write_registry(parquet, h, m)
    other = tmp_path / ("r" if container == "csv" else "r.xlsx")
    write_registry(other, h, m)
    from_parquet = read_registry(parquet, year=YEAR)
    from_other = read_registry(other, year=YEAR)
    # xlsx rows count the header row: the first data row is row 2 there, as in the CSV file.
    assert _issue_keys(from_parquet.issues.with_columns(pl.col("row") + 1)).equals(_issue_keys(from_other.issues))
    for a, b in zip(from_parquet.loadable(), from_other.loadable(), strict=True):
        assert a.drop("_sheet", "_row").equals(b.drop("_sheet", "_row"))


# --- any values ------------------------------------------------------------------------------

codes = {f.name: list(f.codes) for f in schema.fields("households") + schema.fields("members") if f.codes}
floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10_000).map(float))
ints = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1), st.integers(1890, 2110))
bools = st.one_of(st.none(), st.booleans())


def code_values(name: str):
    return st.one_of(st.none(), st.sampled_from(codes[name]), st.sampled_from(["", " ", "x"]),
                     st.sampled_from(codes[name]).map(lambda c: f" {c}"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_typed_values_give_the_text_parse_outcome(tmp_path_factory, data):
    n = data.draw(st.integers(1, 6))
    hrows = [{
        "household_id": data.draw(st.sampled_from(["H1", "H2", "H3", " H4", ""])),
        "year": data.draw(st.one_of(st.just(YEAR), ints)),
        "registered": data.draw(bools),
        "poverty_status": data.draw(code_values("poverty_status")),
        "exit_year": data.draw(ints),
        "wage_income": data.draw(floats), "business_income": data.draw(floats),
        "water_litres_per_day": data.draw(floats),
        "housing_grade": data.draw(code_values("housing_grade")),
        "food_secure": data.draw(bools),
        "monitoring_since": data.draw(st.sampled_from([None, "2021-05", "202105", "2021-13", "x"])),
    } for _ in range(n)]
    mrows = [{
        "household_id": data.draw(st.sampled_from(["H1", "H2", "H9"])),
        "name": data.draw(st.sampled_from(["张三", " 李四", None])),
        "id_number": data.draw(st.sampled_from([pid(date(1970, 3, 1), 11), pid(date(2015, 6, 1), 12),
                                                "500101197003010000", "500101700301111", None, "12x"])),
        "relationship": data.draw(code_values("relationship")),
        "work_months": data.draw(ints),
        "dibao": data.draw(bools),
        "school_status": data.draw(code_values("school_status")),
    } for _ in range(data.draw(st.integers(1, 6)))]
    path = tmp_path_factory.mktemp("typed") / "r.parquet"
    write_registry(path, households_frame(hrows), members_frame(mrows))
    year = data.draw(st.sampled_from([None, YEAR]))
    assert_same_registry(read_registry(path, year=year), text_path(path, year=year))
