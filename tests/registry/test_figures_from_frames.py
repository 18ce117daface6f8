"""The stored rows an import hands to the region figures (imports.StoredAfter) are exactly what
reading them back from the database gives — rows, values, dtypes and order — and the figures
computed from them are the figures computed from the database."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.engine import idnumber
from tests.fupin_testdata import synth_frames
from tests.regions import OTHER_COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db

COUNTY = TOWN[:6]


def _import(households, members, regions=None, counties=None):
    from fupin.engine import schema
    from fupin.registry.services.imports import import_frames_keeping

    regions = schema.empty_frame("regions") if regions is None else regions
    return import_frames_keeping(households, members, regions, scope=EVERYWHERE, source="t",
                                 source_format="test", counties=counties)


def _figures(year):
    from fupin.assessments.models import RegionStat

    fields = [f.name for f in RegionStat._meta.concrete_fields if f.name not in ("id", "computed_at")]
    return list(RegionStat.objects.unscoped("test").filter(year=year).order_by("code").values(*fields))


def _assert_after_is_the_database(after, years, counties):
    from fupin.registry import bulk

    for year in years:
        for county in counties:
            households, members = after.of(year, county)
            stored_h = bulk.read_households(Scope.system(county), year)
            stored_m = bulk.read_members(Scope.system(county), year)
            assert households.schema == stored_h.schema and members.schema == stored_m.schema
            assert households.equals(stored_h), (year, county)
            assert members.equals(stored_m), (year, county)


def _assert_same_figures(after, years, counties):
    from fupin.application import policy as policy_provider
    from fupin.assessments.services import refresh_region_stats

    policy = policy_provider.current()
    for year in years:
        refresh_region_stats(year, policy=policy, counties=counties, registry=after)
        from_frames = _figures(year)
        refresh_region_stats(year, policy=policy, counties=counties)
        assert from_frames and from_frames == _figures(year)


def _changed(households: pl.DataFrame, members: pl.DataFrame):
    """A re-import that changes, drops, adds and moves: the first half of the households only,
    incomes of every third changed, one member dropped, one moved to another household of the
    file, one new member, and three new households."""
    ids = households["household_id"].to_list()
    half = ids[: len(ids) // 2]
    h = households.filter(pl.col("household_id").is_in(half))
    h = h.with_columns(pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.col("wage_income") + 1.5)
                       .otherwise(pl.col("wage_income")).alias("wage_income"))
    m = members.filter(pl.col("household_id").is_in(half))
    by_household = m.group_by("household_id", maintain_order=True).agg(pl.col("id_number"))
    several = by_household.filter(pl.col("id_number").list.len() > 1)
    dropped = several["id_number"][0][-1]
    moved = several["id_number"][1][-1]
    m = m.filter(pl.col("id_number") != dropped).with_columns(
        household_id=pl.when(pl.col("id_number") == moved).then(pl.lit(half[0])).otherwise(pl.col("household_id")))
    extra = m.filter(pl.col("household_id") == half[1]).head(1).with_columns(
        id_number=pl.lit(idnumber.make_id("500101", date(2001, 2, 3), 999)), name=pl.lit("新成员"),
        relationship=pl.lit("其他"))
    new_h, new_m, _r = synth_frames(3, TOWN, seed=7)
    new_h = new_h.with_columns(household_id=pl.concat_str(pl.lit("NEW"), pl.col("household_id")))
    new_m = new_m.with_columns(household_id=pl.concat_str(pl.lit("NEW"), pl.col("household_id")))
    return pl.concat([h, new_h], how="vertical_relaxed"), pl.concat([m, extra, new_m], how="vertical_relaxed")


def test_first_import_hands_over_the_stored_rows(db):
    other_h, other_m, _r = synth_frames(15, OTHER_COUNTY, seed=2)
    _import(other_h, other_m)
    households, members, _r = synth_frames(40, TOWN)
    report, after = _import(households, members, counties=[COUNTY])
    assert report.households_new == 40
    _assert_after_is_the_database(after, [2020], [COUNTY])
    _assert_same_figures(after, [2020], [COUNTY])


def test_reimport_with_changes_hands_over_the_stored_rows(db):
    from tests.fupin_testdata import assess

    households, members, _r = synth_frames(40, TOWN)
    _import(households, members)
    other_h, other_m, _r = synth_frames(15, OTHER_COUNTY, seed=2)
    _import(other_h, other_m)
    assess(2020)   # current verdicts: the figures then carry the assessment's values too
    h, m = _changed(households, members)
    report, after = _import(h, m, counties=[COUNTY])
    assert report.households_changed and report.members_removed and report.members_new
    _assert_after_is_the_database(after, [2020], [COUNTY])
    _assert_same_figures(after, [2020], [COUNTY])


def test_two_years_and_two_counties(db):
    households, members, _r = synth_frames(20, TOWN)
    _import(households, members)
    later_h, later_m, _r = synth_frames(20, TOWN, year=2021)
    other_h, other_m, _r = synth_frames(10, OTHER_COUNTY, seed=2, year=2021)
    h = pl.concat([later_h, other_h, households.head(5).with_columns(wage_income=pl.lit(7.25))],
                  how="vertical_relaxed")
    m = pl.concat([later_m, other_m, members.filter(pl.col("household_id").is_in(households.head(5)["household_id"]
                                                                                   .implode()))],
                  how="vertical_relaxed")
    report, after = _import(h, m, counties=[COUNTY, OTHER_COUNTY])
    assert report.years == [2020, 2021]
    _assert_after_is_the_database(after, [2020, 2021], [COUNTY, OTHER_COUNTY])
    _assert_same_figures(after, [2020, 2021], [COUNTY, OTHER_COUNTY])


def test_a_nan_amount_leaves_the_figures_to_the_database(db):
    households, members, _r = synth_frames(5, TOWN)
    _report, after = _import(households.with_columns(wage_income=pl.lit(float("nan"))), members, counties=[COUNTY])
    assert after is None
