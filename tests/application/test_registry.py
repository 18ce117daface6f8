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


def _rejected_codes(outcome) -> dict[str, set[str]]:
    """Household number → the codes its rows came back with."""
    workbook = openpyxl.load_workbook(outcome.rejects_path)
    codes: dict[str, set[str]] = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows or "户编号" not in rows[0] or "问题说明" not in rows[0]:
            continue
        key, note = rows[0].index("户编号"), rows[0].index("问题说明")
        for row in rows[1:]:
            codes.setdefault(str(row[key]), set()).add(str(row[note]).split("]")[0].lstrip("["))
    return codes


def _rejects_text(outcome) -> str:
    workbook = openpyxl.load_workbook(outcome.rejects_path)
    return " ".join(str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value)


def test_households_of_another_county_come_back_s01_and_the_rest_loads(tmp_path, county_user):
    mine, theirs = synth_frames(10, TOWN), synth_frames(4, OTHER_COUNTY, seed=2)
    both = tuple(pl.concat([a, b], how="vertical_relaxed") for a, b in zip(mine, theirs, strict=True))
    outcome = _import(Scope.of(county_user), tmp_path, both)
    assert outcome.report.households_new == 10 and outcome.report.households_rejected == 4
    codes = _rejected_codes(outcome)
    assert set(codes) == set(theirs[0]["household_id"].to_list())
    assert all("S01" in c for c in codes.values())
    assert Household.objects.within(EVERYWHERE).filter(region_code__startswith=OTHER_COUNTY).count() == 0


def test_a_household_registered_elsewhere_cannot_be_taken_over_by_naming_it_in_ones_own_region(
        tmp_path, county_user, other_county_user):
    """Critical: the upsert matches (户编号, 年度) country-wide, so a file naming another county's
    household with one's own region code would move it; it comes back S02 instead, with nothing
    about the other household, and the stored one is untouched."""
    theirs = synth_frames(5, OTHER_COUNTY, seed=2)
    _import(Scope.of(other_county_user), tmp_path, theirs, "theirs.xlsx")
    households, members, regions = theirs
    target = households["household_id"][0]
    village = synth_frames(5, TOWN)[0]["region_code"][0]
    hijack = (households.head(1).with_columns(region_code=pl.lit(village), phone=pl.lit("13900000000")),
              members.filter(pl.col("household_id") == target), regions.clear())
    outcome = _import(Scope.of(county_user), tmp_path, hijack, "hijack.xlsx")
    assert outcome.report.households_changed == 0 and outcome.report.members_removed == 0
    assert _rejected_codes(outcome)[target] >= {"S02"}
    text = _rejects_text(outcome)
    assert "此户编号在本年度已在其他地区登记，不能由您导入或修改" in text
    stored = Household.objects.within(EVERYWHERE).get(household_id=target)
    assert stored.region_code.startswith(OTHER_COUNTY) and stored.phone != "13900000000"
    assert stored.members.count() == members.filter(pl.col("household_id") == target).height


def test_a_person_registered_in_another_county_comes_back_q04_without_the_other_household(
        tmp_path, county_user, other_county_user):
    theirs = synth_frames(5, OTHER_COUNTY, seed=2)
    _import(Scope.of(other_county_user), tmp_path, theirs, "theirs.xlsx")
    households, members, regions = synth_frames(3, TOWN)
    stranger = theirs[1].filter(pl.col("household_id") == theirs[0]["household_id"][0]).head(1)
    joined = members.vstack(stranger.with_columns(household_id=pl.lit(households["household_id"][0]),
                                                  relationship=pl.lit("其他")))
    outcome = _import(Scope.of(county_user), tmp_path, (households, joined, regions))
    assert outcome.report.households_rejected == 1
    text = _rejects_text(outcome)
    assert "此证件号码已在其他地区登记，请联系县级管理员" in text
    assert theirs[0]["household_id"][0] not in text


def test_a_read_only_role_cannot_import(tmp_path, analyst_user):
    with pytest.raises(PermissionDenied):
        _import(Scope.of(analyst_user), tmp_path, synth_frames(5, TOWN))


def test_figures_are_refreshed_in_the_import_transaction(tmp_path, county_user, monkeypatch):
    """Issue 9: a process killed between the import's commit and the figures left stale figures.
    Now a failure while refreshing them rolls the import back: both or neither."""
    from fupin.application import registry as module

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "refresh_region_stats", killed)
    with pytest.raises(KeyboardInterrupt):
        _import(Scope.of(county_user), tmp_path, synth_frames(5, TOWN))
    assert Household.objects.within(EVERYWHERE).count() == 0
