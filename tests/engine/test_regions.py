"""rules.md section 4: villages, towns and counties."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.engine.assess import assess
from fupin.engine.regions import region_summary
from tests.engine.engine_helpers import frames, household, member, policy

V1, V2, V3 = "500101001001", "500101001002", "500101002001"


def summary(hs, ms, regions, level="village", year=2024, policy_set=None):
    h, m = frames(hs, ms)
    ps = policy_set or policy()
    a = assess(h, m, year=year, policy=ps)
    return region_summary(a, h, m, regions, year=year, level=level, policy=ps)


def regions(**pop):
    return pl.DataFrame({"region_code": list(pop), "name": [f"村{c[-1]}" for c in pop],
                         "registered_rural_population": list(pop.values())})


def poor(hid, village, n=1, status="未脱贫", **kw):
    hs = household(household_id=hid, region_code=village, registered=True, poverty_status=status, **kw)
    ms = [member(household_id=hid, name=f"{hid}-{i}") for i in range(n)]
    return hs, ms


def test_remaining_poor_counts_living_members_of_unexited_or_returned_households():
    h1, m1 = poor("A", V1, 2)
    h2, m2 = poor("B", V1, 1, status="返贫")
    h3, m3 = poor("C", V1, 3, status="已脱贫")
    m1.append(member(household_id="A", name="亡", member_status="死亡"))
    s = summary([h1, h2, h3], m1 + m2 + m3, regions(**{V1: 100}))
    r = s.row(0, named=True)
    assert (r["remaining_poor_households"], r["remaining_poor_people"]) == (2, 3)
    assert r["incidence"] == pytest.approx(0.03)
    assert r["name"] == "村1"


def test_incidence_unknown_without_registered_rural_population():
    h1, m1 = poor("A", V1)
    r = summary([h1], m1, None).row(0, named=True)
    assert r["incidence"] is None and r["exit_eligible"] is None


def test_projected_incidence_counts_only_poor_households_not_meeting_standard():
    h1, m1 = poor("A", V1, 2)                           # meets the standard
    h2, m2 = poor("B", V1, 1, housing_grade="D")        # does not
    h3, m3 = poor("C", V1, 1, food_secure=None)         # unverified: counted (reading)
    r = summary([h1, h2, h3], m1 + m2 + m3, regions(**{V1: 100})).row(0, named=True)
    assert r["projected_poor_people"] == 2 and r["projected_incidence"] == pytest.approx(0.02)


@pytest.mark.parametrize("people,eligible", [(2, True), (3, False)])
def test_village_exit_west_zone_below_3_percent(people, eligible):
    h, m = poor("A", V1, people, housing_grade="D")
    r = summary([h], m, regions(**{V1: 100})).row(0, named=True)
    assert r["zone"] == "西部" and r["exit_eligible"] is eligible


@pytest.mark.parametrize("people,eligible", [(1, True), (2, False)])
def test_village_exit_elsewhere_below_2_percent(people, eligible):
    h, m = poor("A", V1, people, housing_grade="D")
    reg = regions(**{V1: 100}).with_columns(zone=pl.lit("东部"))
    r = summary([h], m, reg).row(0, named=True)  # the regions table wins over the policy zone
    assert r["zone"] == "东部" and r["exit_threshold"] == 0.02 and r["exit_eligible"] is eligible


def test_listed_supervision_village_incidence_above_10_percent():
    h, m = poor("A", V1, 11)
    assert summary([h], m, regions(**{V1: 100}))["listed_supervision"][0] is True
    h, m = poor("A", V1, 10)
    assert summary([h], m, regions(**{V1: 100}))["listed_supervision"][0] is False


def test_listed_supervision_village_more_than_1000_poor():
    hs, ms = [], []
    for i in range(1001):
        h, m = poor(f"P{i}", V1)
        hs.append(h)
        ms += m
    assert summary(hs, ms, regions(**{V1: 100000}))["listed_supervision"][0] is True


def test_town_and_county_aggregate_subtree_and_sum_village_populations():
    h1, m1 = poor("A", V1, 2)
    h2, m2 = poor("B", V2, 1)
    h3, m3 = poor("C", V3, 1)
    reg = regions(**{V1: 100, V2: 50, V3: 40})
    towns = summary([h1, h2, h3], m1 + m2 + m3, reg, level="town")
    assert towns["code"].to_list() == ["500101001000", "500101002000"]
    t = towns.row(0, named=True)
    assert (t["remaining_poor_people"], t["registered_rural_population"], t["households"]) == (3, 150, 2)
    assert t["name"] and t["listed_supervision"] is None
    county = summary([h1, h2, h3], m1 + m2 + m3, reg, level="county").row(0, named=True)
    assert (county["code"], county["name"], county["remaining_poor_people"]) == ("500101000000", "万州区", 4)
    assert county["registered_rural_population"] == 190


def test_town_population_unknown_when_a_village_lacks_it():
    h1, m1 = poor("A", V1)
    h2, m2 = poor("B", V2)
    t = summary([h1, h2], m1 + m2, regions(**{V1: 100}), level="town").row(0, named=True)
    assert t["registered_rural_population"] is None


@pytest.mark.parametrize("exit_year,listed", [(None, True), (2025, True), (2024, False), (2020, False)])
def test_listed_supervision_county_poverty_county_not_yet_exited(exit_year, listed):
    h, m = poor("A", V1)
    reg = pl.DataFrame({"region_code": ["500101"], "poverty_county": [True], "county_exit_year": [exit_year]},
                       schema={"region_code": pl.String, "poverty_county": pl.Boolean, "county_exit_year": pl.Int32})
    assert summary([h], m, reg, level="county")["listed_supervision"][0] is listed


def test_counts_of_leads_and_unmet_indicators():
    hs = [household(household_id="A", wage_income=7000.0, disaster_loss=1.0),
          household(household_id="B", housing_grade="D", wage_income=30000.0)]
    ms = [member(household_id="A"), member(household_id="B")]
    r = summary(hs, ms, None).row(0, named=True)
    assert (r["leads_marginal"], r["unmet_housing"], r["households"], r["people"]) == (1, 1, 2, 2)
