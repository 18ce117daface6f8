"""Validating one edited household runs the importer's validation in memory: no file is written,
and the findings and canonical values are those of importing the same rows as a CSV folder."""

from __future__ import annotations

import builtins
import csv
import io
import os
import tempfile
from datetime import date

import polars as pl
import pytest

from fupin.engine import idnumber, schema
from fupin.registry.services.validation import FIRST_ROW, validate_household

VILLAGE = "500101102201"
HEAD_ID = idnumber.make_id("500101", date(1970, 1, 2), 3)


def household(**values) -> dict[str, str]:
    row = {f.name: "" for f in schema.fields("households", exchange_only=True)}
    row.update(household_id="H1", year="2020", region_code=VILLAGE, registered="是", poverty_status="已脱贫",
               exit_year="2018", wage_income="20000", business_income="0", property_income="0",
               transfer_income="1000", business_expense="0", phone="13800138000")
    row.update(values)
    return row


def member(seq: int, relationship: str = "户主", **values) -> dict[str, str]:
    row = dict(household_id="H1", year="2020", name=f"成员{seq}", sex="男", relationship=relationship,
               id_number=idnumber.make_id("500101", date(1970, 1, 1 + seq), 2 * seq + 1))
    row.update(values)
    return row


def faulty_household() -> tuple[dict[str, str], list[dict[str, str]]]:
    """One household with many deliberate errors, on the household row and on several members."""
    bad_check_digit = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    return (
        household(wage_income="12,x", housing_grade="E", food_secure="maybe", property_income="-5",
                  monitoring_since="2023-13", phone="123"),
        [
            member(1, id_number=bad_check_digit),
            member(2, id_number=idnumber.make_id("500101", date(2031, 1, 1), 9)),  # second 户主, born in the future
            member(3, "之女", sex="X", work_months="13"),
            member(4, "配偶", ethnicity="火星族"),
            member(5, "之子", year="2019"),
        ],
    )


def write_csv_folder(folder, household_row: dict[str, str], members: list[dict[str, str]]):
    """The household and its members as the CSV folder a cadre would import."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in (("households", [household_row]), ("members", members)):
        fields = schema.fields(table, exchange_only=True)
        with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([f.zh for f in fields])
            writer.writerows([row.get(f.name) or "" for f in fields] for row in rows)
    return folder


def field_of(table: str, header: str | None) -> str | None:
    return schema.header_index(table).get(schema.normalize_header(header)) if header else None


# --- nothing written ------------------------------------------------------------------------

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@pytest.fixture
def no_file_writes(monkeypatch):
    """Make every way of writing a file raise; returns the list of attempts."""
    attempts: list[str] = []

    def refuse(what):
        def refused(*args, **kwargs):
            attempts.append(f"{what}{args!r}")
            raise AssertionError(f"validation wrote a file: {what}{args!r}")
        return refused

    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open

    def guarded(real, what):
        def opener(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                return refuse(what)(file, mode)
            return real(file, mode, *args, **kwargs)
        return opener

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & WRITE_FLAGS:
            return refuse("os.open")(path, flags)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded(real_open, "open"))
    monkeypatch.setattr(io, "open", guarded(real_io_open, "io.open"))  # what Path.open calls
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("TemporaryDirectory", "mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile",
                 "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse(f"tempfile.{name}"))
    for name in ("write_csv", "write_parquet", "write_excel", "write_ipc"):
        monkeypatch.setattr(pl.DataFrame, name, refuse(f"DataFrame.{name}"))
    return attempts


def test_the_guard_catches_a_file_write(tmp_path, no_file_writes):
    with pytest.raises(AssertionError):
        (tmp_path / "x.csv").write_text("a")
    with pytest.raises(AssertionError):
        tempfile.TemporaryDirectory()
    assert len(no_file_writes) == 2


def test_validate_household_writes_no_file(no_file_writes):
    household_row, members = faulty_household()
    result = validate_household(household_row, members)
    assert no_file_writes == []
    assert not result.ok and {"E02", "E04", "Q01", "Q05"} <= {i.code for i in result.errors}
    clean = validate_household(household(), [member(1)])
    assert no_file_writes == []
    assert clean.ok and clean.household["wage_income"] == 20000.0


# --- the same as importing the rows --------------------------------------------------------

def test_validate_household_finds_the_issues_read_registry_finds_in_the_same_rows_as_csv(tmp_path):
    from fupin.io import read_registry

    household_row, members = faulty_household()
    result = validate_household(household_row, members)
    imported = read_registry(write_csv_folder(tmp_path / "edit", household_row, members), year=2020, province="50")

    expected = [
        (i["table"], i["code"], field_of(i["table"], i["column"]), i["row"], i["severity"], i["message_zh"],
         i["message_en"])
        for i in imported.issues.to_dicts() if i["code"] != "R00"
    ]
    got = [
        (i.table, i.code, i.field, FIRST_ROW if i.member_index is None else FIRST_ROW + i.member_index, i.severity,
         i.message_zh, i.message_en)
        for i in result.issues
    ]
    assert got == expected
    codes = {i.code for i in result.issues}
    # The deliberate errors are all there: bad money, unknown codes, negative, bad month, bad check
    # digit, future birth, two 户主, year of a member differing from the household's.
    assert {"E02", "E03", "E04", "E05", "E09", "E10", "Q01", "Q05"} <= codes
    assert {i.member_index for i in result.issues if i.table == "members"} >= {0, 1, 2, 3, 4}


def test_validate_household_gives_the_canonical_values_of_importing_the_same_rows(tmp_path):
    from fupin.io import read_registry

    household_row = household(wage_income="21,000元", food_secure="Y", other_causes="因病、因残")
    wife = idnumber.make_id("500101", date(1972, 3, 4), 4)  # an even sequence number: a woman
    members = [member(1), member(2, "配偶", sex="女", id_number=wife, work_months="3", work_location="省外务工"),
               member(3, "之子")]
    result = validate_household(household_row, members)
    imported = read_registry(write_csv_folder(tmp_path / "edit", household_row, members), year=2020)

    def exchange(row: dict, table: str) -> dict:
        return {f.name: row[f.name] for f in schema.fields(table, exchange_only=True)}

    assert result.ok
    assert result.household == exchange(imported.households.row(0, named=True), "households")
    assert result.members == [exchange(r, "members") for r in imported.members.sort("_row").to_dicts()]
    assert result.household["wage_income"] == 21000.0 and result.household["food_secure"] is True
