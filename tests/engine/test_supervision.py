"""A.1 selection (reasons in order, deep poverty, ranking with ties), A.3 conditions, B.5 levels."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.engine import supervision as engine
from fupin.engine.policy import load_policies

TOWN_A, TOWN_B, TOWN_C = "500101102000", "500101103000", "500101104000"


def towns(**overrides) -> pl.DataFrame:
    base = {
        "code": [TOWN_A, TOWN_B, TOWN_C], "name": ["龙沙镇", "响水镇", "龙驹镇"], "level": ["town"] * 3,
        "households": [10, 10, 0], "remaining_poor_people": [5, 30, 0], "registered_rural_population": [100, None, 50],
        "incidence": [0.05, None, 0.0], "projected_poor_people": [5, 30, 0], "projected_incidence": [0.05, None, 0.0],
        "policy": ["national@1.0"] * 3,
    }
    return pl.DataFrame({**base, **overrides})


def regions(deep: list[bool | None]) -> pl.DataFrame:
    return pl.DataFrame({"region_code": [TOWN_A, TOWN_B, TOWN_C], "deep_poverty": deep})


@pytest.fixture
def deep_policy(tmp_path):
    path = tmp_path / "wanzhou.toml"
    path.write_text('name = "wanzhou"\nversion = "1"\nregion = "500101"\n[listed_deep_poverty]\n'
                    'default = { value = 1, source = "万州：深度贫困乡镇挂牌", confidence = "M" }\n', encoding="utf-8")
    return load_policies([str(path)])


def test_deep_poverty_town_is_listed_only_under_the_policy_and_only_with_poor_people_left(deep_policy):
    frame = towns()
    off = engine.select(frame, regions([True, True, True]), level="town", year=2020, policy=load_policies())
    assert off.height == 0  # listed_deep_poverty = 0: towns have no reason
    on = engine.select(frame, regions([True, None, True]), level="town", year=2020, policy=deep_policy)
    assert on["code"].to_list() == [TOWN_A] and on["reasons"].to_list() == ["deep_poverty"]
    assert on["deep_poverty"].to_list() == [True]  # town C: no households and no poor people left


def test_ranking_orders_by_value_then_poor_people_then_code_and_skips_nulls():
    frame = towns(households=[10, 10, 10], projected_incidence=[0.05, None, 0.05], remaining_poor_people=[5, 30, 5])
    out = engine.select(frame, regions([None] * 3), level="town", year=2020, policy=load_policies(), top=1)
    assert out.select("code", "rank", "reasons").rows() == [(TOWN_A, 1, "ranking")]  # tie at the cut → code
    by_people = engine.select(frame, regions([None] * 3), level="town", year=2020, policy=load_policies(), top=2,
                              rank_by="remaining_poor_people")
    assert by_people.select("code", "rank").rows() == [(TOWN_A, 2), (TOWN_B, 1)]


def test_village_reasons_in_the_specs_order_and_unknown_population_only_other_reasons():
    villages = pl.DataFrame({
        "code": ["500101102201", "500101102202", "500101102203"], "name": ["a", "b", "c"], "level": ["village"] * 3,
        "households": [400, 5, 300], "remaining_poor_people": [1200, 3, 1001], "registered_rural_population": [5000, 20, None],
        "incidence": [0.24, 0.15, None], "projected_poor_people": [1200, 3, 1001],
        "projected_incidence": [0.24, 0.15, None], "policy": ["national@1.0"] * 3})
    out = engine.select(villages, None, level="village", year=2020, policy=load_policies())
    assert out["reasons"].to_list() == ["poor_people;incidence", "incidence", "poor_people"]
    assert out["rank"].to_list() == [None, None, None]


def test_clearance_conditions_in_order_exit_for_counties_only():
    frame = pl.DataFrame({"level": ["county", "village", "village"], "projected_poor_people": [0, 2, 0],
                          "guarantee_gap_households": [0, 1, 0], "unverified_households": [1, 0, 0],
                          "open_problems": [0, 3, 0], "county_exit_year": [2021, None, None]})
    out = engine.clearance(frame, year=2020)
    assert out["conditions_failed"].to_list() == ["verified;exit", "poor;guarantee;problems", ""]


def test_region_helpers_level_and_parent():
    codes = pl.DataFrame({"c": ["500101102201", "500101102000", "500101000000", "500100000000", "500000000000"]})
    out = codes.select(engine.level_expr(pl.col("c")).alias("level"), engine.parent_expr(pl.col("c")).alias("parent"))
    assert out["level"].to_list() == ["village", "town", "county", "city", "province"]
    assert out["parent"].to_list() == ["500101102000", "500101000000", "500100000000", "500000000000", "500000000000"]


def test_a_region_without_households_is_never_selected_even_with_a_high_incidence_on_record():
    villages = pl.DataFrame({
        "code": ["500101102201", "500101102202"], "name": ["a", "empty"], "level": ["village"] * 2,
        "households": [400, 0], "remaining_poor_people": [1200, 0], "registered_rural_population": [5000, 10],
        "incidence": [0.24, 0.5], "projected_poor_people": [1200, 0], "projected_incidence": [0.24, 0.5],
        "policy": ["national@1.0"] * 2})
    out = engine.select(villages, None, level="village", year=2020, policy=load_policies())
    assert out["code"].to_list() == ["500101102201"]
