"""Importing a file through the use case: scope checked on every row it touches, conflicts with
the database returned in the rejects workbook, figures refreshed."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from django.core.exceptions import PermissionDenied

from fupin.accounts.scoping import Scope
from fupin.application import registry as registry_use_cases
from fupin.assessments.models import RegionStat
from fupin.io import write_registry
from fupin.registry.models import Household
from tests.fupin_testdata import synth_frames
from tests.regions import COUNTY, OTHER_COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def _file(tmp_path, frames, name="registry.xlsx"):
    path = tmp_path / name
    write_registry(path, *frames)
    return path


def _import(scope, tmp_path, frames, name="registry.xlsx"):
    return registry_use_cases.import_file(scope, _file(tmp_path, frames, name), rejects=tmp_path / f"{name}.rejects.xlsx")


def test_an_import_loads_the_file_and_refreshes_the_region_figures(tmp_path, county_user):
    frames = synth_frames(30, TOWN)
    outcome = _import(Scope.of(county_user), tmp_path, frames)
    assert outcome.report.households_new == 30
    assert RegionStat.objects.within(EVERYWHERE).get(year=2020, code=COUNTY + "000000").households == 30


def test_a_file_with_a_household_of_another_county_is_refused_and_nothing_loads(tmp_path, county_user):
    with pytest.raises(registry_use_cases.ImportRefused) as refused:
        _import(Scope.of(county_user), tmp_path, synth_frames(10, OTHER_COUNTY, seed=2))
    assert "不在您的管辖范围" in str(refused.value)
    assert Household.objects.within(EVERYWHERE).count() == 0


def test_a_household_registered_elsewhere_cannot_be_taken_over_by_naming_it_in_ones_own_region(
        tmp_path, county_user, other_county_user):
    """Critical: the upsert matches (户编号, 年度) country-wide, so a file naming another county's
    household with one's own region code would move it; the whole file is refused instead."""
    theirs = synth_frames(5, OTHER_COUNTY, seed=2)
    _import(Scope.of(other_county_user), tmp_path, theirs, "theirs.xlsx")
    households, members, regions = theirs
    village = synth_frames(5, TOWN)[0]["region_code"][0]
    hijack = (households.head(1).with_columns(region_code=pl.lit(village), phone=pl.lit("13900000000")),
              members.filter(pl.col("household_id") == households["household_id"][0]), regions.clear())
    with pytest.raises(registry_use_cases.ImportRefused) as refused:
        _import(Scope.of(county_user), tmp_path, hijack, "hijack.xlsx")
    assert "管辖范围外登记" in str(refused.value)
    stored = Household.objects.within(EVERYWHERE).get(household_id=households["household_id"][0])
    assert stored.region_code.startswith(OTHER_COUNTY) and stored.phone != "13900000000"


def test_a_person_registered_in_another_household_comes_back_in_the_rejects(tmp_path, county_user):
    households, members, regions = synth_frames(10, TOWN)
    _import(Scope.of(county_user), tmp_path, (households, members, regions), "first.xlsx")
    # A new household with the first household's head in it.
    head = members.filter(pl.col("household_id") == households["household_id"][0]).head(1)
    new_household = households.head(1).with_columns(household_id=pl.lit("NEW1"))
    outcome = _import(Scope.of(county_user), tmp_path, (new_household, head.with_columns(household_id=pl.lit("NEW1")),
                                                        regions.clear()), "second.xlsx")
    assert outcome.report.households_rejected == 1 and outcome.rejects_path
    workbook = openpyxl.load_workbook(outcome.rejects_path)
    text = " ".join(str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value)
    assert "Q04" in text
    assert "一人不能同属两户" in text and households["household_id"][0] not in text


def test_a_read_only_role_cannot_import(tmp_path, analyst_user):
    with pytest.raises(PermissionDenied):
        _import(Scope.of(analyst_user), tmp_path, synth_frames(5, TOWN))
