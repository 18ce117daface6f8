"""Export then read_registry round-trips exactly, in every container."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine import schema
from fupin.io import read_registry, write_registry
from tests.io.io_helpers import households_frame, members_frame, pid


def tricky():
    h = households_frame([
        dict(household_id="H1", food_secure=None, clothing_secure=False, wage_income=0.1,
             transfer_income=1 / 3, business_expense=1e-7, phone="13800001111", other_causes="因学、缺技术"),
        dict(household_id="00042", registered=False, poverty_status=None, exit_year=None, main_cause=None,
             wage_income=1e20, monitoring_category="边缘易致贫户", monitoring_since="2022-03",
             risk_eliminated=True, risk_eliminated_at="2023-01", water_litres_per_day=35.0, relocated=None),
    ])
    x_id = "11010519491231002X"
    m = members_frame([
        dict(household_id="H1", name="张三", id_number=pid(date(1970, 3, 1), 11), sex="男", relationship="户主",
             work_location="乡（镇）外县内务工", work_months=6, medical_insurance="城乡居民"),
        dict(household_id="00042", name="王五", id_number=x_id, sex="女", relationship="户主",
             dibao=False, tekun=None, medical_insurance="未参保"),
    ])
    return h, m


@pytest.mark.parametrize("suffix", ["out.xlsx", "out.parquet", "csvdir"])
def test_export_then_read_round_trips_exactly(tmp_path, suffix):
    h, m = tricky()
    regions = pl.DataFrame({"region_code": ["500101001201"], "name": ["新村"], "registered_rural_population": [1200],
                            "zone": ["西部"], "poverty_county": [True], "county_exit_year": [None],
                            "poor_village": [True], "deep_poverty": [None]},
                           schema=schema.polars_schema("regions"))
    write_registry(tmp_path / suffix, h, m, regions)
    reg = read_registry(tmp_path / suffix)
    assert reg.issues.filter(pl.col("severity") == "error").height == 0, reg.issues
    assert reg.households.select(h.columns).equals(h)
    assert reg.members.select(m.columns).equals(m)
    assert reg.regions.select(regions.columns).equals(regions)
    assert reg.members.filter(pl.col("household_id") == "00042")["id_number"][0].endswith("X")


def test_unknown_yes_no_stays_unknown_and_no_stays_no(tmp_path):
    h, m = tricky()
    write_registry(tmp_path / "r.xlsx", h, m)
    reg = read_registry(tmp_path / "r.xlsx")
    row = reg.households.filter(pl.col("household_id") == "H1")
    assert row["food_secure"][0] is None
    assert row["clothing_secure"][0] is False


def test_write_registry_accepts_batches(tmp_path):
    h, m = tricky()
    write_registry(tmp_path / "b.xlsx", iter([h.head(1), h.tail(1)]), iter([m.head(1), m.tail(1)]))
    reg = read_registry(tmp_path / "b.xlsx")
    assert reg.households.select(h.columns).equals(h)
    assert reg.members.select(m.columns).equals(m)


def test_import_only_fields_and_row_columns_are_not_written(tmp_path):
    h, m = tricky()
    h = h.with_columns(village_name=pl.lit("新村"), _sheet=pl.lit("户"), _row=pl.lit(2, dtype=pl.Int64))
    write_registry(tmp_path / "c", h, m)
    header = (tmp_path / "c" / "households.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "行政村" not in header and "_row" not in header
    assert header.split(",")[0] == "户编号"


def test_csv_export_has_bom_and_chinese_headers(tmp_path):
    h, m = tricky()
    write_registry(tmp_path / "c", h, m)
    raw = (tmp_path / "c" / "members.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "证件号码" in raw.decode("utf-8-sig").splitlines()[0]
