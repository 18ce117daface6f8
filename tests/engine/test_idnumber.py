"""Identity numbers per GB 11643 and the exchange format's rules."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine import idnumber

AS_OF = date(2025, 12, 31)


def status(value) -> str:
    return idnumber.parse(pl.Series([value], dtype=pl.String), AS_OF)["id_status"][0]


def test_known_valid_id_with_x_check_character_is_ok():
    assert status("11010519491231002X") == "ok"


def test_wrong_check_character_is_checksum_error():
    assert status("110105194912310021") == "checksum"


def test_lower_case_x_and_surrounding_spaces_are_accepted():
    assert idnumber.parse(pl.Series([" 11010519491231002x "]), AS_OF)["id_number"][0] == "11010519491231002X"


def test_fifteen_digit_legacy_number_is_upgraded_with_19_and_a_check_character():
    parsed = idnumber.parse(pl.Series(["110105491231002"]), AS_OF).row(0, named=True)
    assert parsed["id_status"] == "upgraded"
    assert parsed["id_number"] == "11010519491231002X"


@pytest.mark.parametrize("suffix", ["12", "1234"])
def test_disability_certificate_number_validates_its_first_18_characters(suffix):
    parsed = idnumber.parse(pl.Series(["11010519491231002X" + suffix]), AS_OF).row(0, named=True)
    assert parsed["id_status"] == "certificate" and parsed["id_number"] == "11010519491231002X"


def test_excel_float_id_is_reported_as_stored_as_number():
    assert status("4.10102199001011e+17") == "as_number"
    assert status("410102199001011000.0") == "as_number"


def test_nonexistent_birth_date_is_an_error():
    assert status(idnumber.make_id("110105", date(1990, 2, 28), 21)[:10] + "0230" + "0021") in ("bad_date", "checksum")
    first17 = "11010519900230002"
    assert status(first17 + idnumber.check_characters(pl.Series([first17]))[0]) == "bad_date"


def test_birth_date_after_assessment_date_is_an_error():
    assert status(idnumber.make_id("110105", date(2026, 1, 1), 21)) == "birth_future"


def test_birth_date_before_1900_is_an_error():
    assert status(idnumber.make_id("110105", date(1899, 12, 31), 21)) == "birth_before_1900"


@pytest.mark.parametrize("value", ["", None, "abc", "1101051949123100", "11010519491231002Y"])
def test_empty_or_malformed_values_are_not_loadable(value):
    assert status(value) in ("empty", "malformed")


def test_retired_registration_county_code_is_still_valid():
    # stdnum rejects codes of counties that no longer exist; the check is format-only here.
    assert status(idnumber.make_id("512201", date(1960, 5, 1), 31)) == "ok"


def test_sex_comes_from_the_odd_or_even_sequence():
    parsed = idnumber.parse(pl.Series([idnumber.make_id("500101", date(1980, 1, 1), 11),
                                       idnumber.make_id("500101", date(1980, 1, 1), 12)]), AS_OF)
    assert parsed["sex"].to_list() == ["男", "女"]


@pytest.mark.parametrize(
    ("birth", "as_of", "age"),
    [
        (date(2010, 12, 31), date(2025, 12, 31), 15),
        (date(2010, 1, 1), date(2025, 12, 31), 15),
        (date(2009, 12, 31), date(2025, 12, 30), 15),
        (date(2008, 2, 29), date(2025, 2, 28), 16),
        (date(2008, 2, 29), date(2025, 3, 1), 17),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
    ],
)
def test_age_in_whole_years_with_29_february_completing_on_1_march(birth, as_of, age):
    frame = pl.DataFrame({"birth": [birth]})
    assert frame.select(idnumber.age_expr(pl.col("birth"), as_of))[0, 0] == age


def test_mask_keeps_only_four_leading_and_trailing_characters():
    assert idnumber.mask("11010519491231002X") == "1101**********002X"


@pytest.mark.parametrize("value", ["500101198001011234", "50010119800101123X", "500101800101123", "abc", "", None])
def test_mask_expr_masks_a_column_as_mask_masks_one_value(value):
    got = pl.select(idnumber.mask_expr(pl.lit(value, dtype=pl.String))).item()
    assert got == (value if value in (None, "") else idnumber.mask(value))
