"""Policy scenarios (supervision-analytics.md part E): each worked example and edge case."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine.policy import PolicyMissing, load_policies
from fupin.engine.scenario import (
    OUTPUT_COLUMNS,
    ScenarioError,
    ScenarioPolicy,
    known_parameters,
    parse_overrides,
    run_scenario,
)
from tests.engine.engine_helpers import REGION, YEAR, frames, household, member, policy

OTHER_VILLAGE = REGION[:9] + "002"


def scenario(households, members=None, sets=("poverty_line=4500",), *, level="village", policy_set=None, **kw):
    h, m = frames(households, members)
    p = policy_set or policy()
    return run_scenario(h, m, None, year=kw.pop("year", YEAR), policy=p, overrides=parse_overrides(list(sets), p),
                        level=level, **kw)


def three_people(household_id="H1", **fields):
    """A household of three living members with the given income fields."""
    h = household(household_id=household_id, **fields)
    m = [member(household_id=household_id), member(household_id=household_id, relationship="配偶", sex="女"),
         member(household_id=household_id, relationship="子女", birth=date(1950, 3, 1))]
    return h, m


def total(result) -> dict:
    return result.regions.filter(pl.col("level") == "total").row(0, named=True)


# --- the worked example and the shortfall ------------------------------------------------------

def test_worked_example_line_4000_to_4500_turns_yes_into_no_and_adds_900_yuan_shortfall():
    h, m = three_people(wage_income=12600.0)  # pc 4200
    result = scenario([h], m, ["poverty_line=4500"])
    row = total(result)
    assert (row["yes_base"], row["no_base"], row["yes_scen"], row["no_scen"]) == (1, 0, 0, 1)
    assert row["shortfall_poverty_base"] == 0 and row["shortfall_poverty_scen"] == 900
    assert (row["verdict_changed_households"], row["verdict_changed_people"], row["became_no"], row["became_yes"]) == (1, 3, 1, 0)
    changed = result.households.row(0, named=True)
    assert (changed["meets_standard_base"], changed["meets_standard_scen"], changed["unmet_scen"]) == ("yes", "no", "income")


def test_household_exactly_at_the_line_is_unmet_but_adds_no_shortfall():
    h, m = three_people(wage_income=13500.0)  # pc 4500 = the scenario line
    row = total(scenario([h], m, ["poverty_line=4500"]))
    assert row["income_unmet_scen"] == 1 and row["shortfall_poverty_scen"] == 0


def test_shortfall_is_summed_in_whole_fen_so_three_one_fen_gaps_are_exactly_three_fen():
    # Each household is 0.01 yuan under 4000; a float sum of 0.01 three times is 0.030000000000000002.
    hh = [household(household_id=f"H{i}", wage_income=3999.99) for i in range(3)]
    row = total(scenario(hh, sets=["monitoring_line=0"]))
    assert row["shortfall_poverty_base"] == 0.03 and row["shortfall_poverty_scen"] == 0.03


def test_monitoring_shortfall_counts_only_households_strictly_below_the_monitoring_line():
    hh = [household(household_id="AT", wage_income=7500.0), household(household_id="BELOW", wage_income=7000.0)]
    row = total(scenario(hh, sets=["monitoring_line=7500"]))
    assert row["shortfall_monitoring_scen"] == 500  # AT adds nothing (< M, not ≤ M)
    assert row["shortfall_monitoring_base"] == 500  # chongqing 2024: 7500 already


def test_shortfall_uses_reported_per_capita_income_times_population_when_the_items_are_empty():
    h, m = three_people(wage_income=None, business_income=None, property_income=None, transfer_income=None,
                        business_expense=None, reported_per_capita_income=4200.0)
    assert total(scenario([h], m, ["poverty_line=4500"]))["shortfall_poverty_scen"] == 900


def test_error_households_and_unknown_income_add_no_shortfall_and_error_is_counted_once():
    no_member = household(household_id="EMPTY", wage_income=100.0)  # Q06: no living member → error
    unknown = household(household_id="UNKNOWN", wage_income=None)
    poor = household(household_id="POOR", wage_income=3000.0)
    members = [member(household_id="UNKNOWN"), member(household_id="POOR")]
    result = scenario([no_member, unknown, poor], members, ["poverty_line=4500"])
    row = total(result)
    assert row["error"] == 1 and row["shortfall_poverty_scen"] == 1500 and row["shortfall_poverty_base"] == 1000
    assert "EMPTY" not in result.households["household_id"].to_list()  # error in both runs: unchanged


# --- where the overrides apply -----------------------------------------------------------------

def test_override_beats_a_more_specific_provincial_file():
    # chongqing.toml (region 50) sets 7500 for 2024; the scenario's 8000 applies everywhere.
    row = total(scenario([household(wage_income=7000.0)], sets=["monitoring_line=8000"]))
    assert row["shortfall_monitoring_base"] == 500 and row["shortfall_monitoring_scen"] == 1000


def test_where_limits_the_overrides_to_households_under_it():
    hh = [household(household_id="A", wage_income=4200.0),
          household(household_id="B", wage_income=4200.0, region_code=OTHER_VILLAGE)]
    result = scenario(hh, sets=["poverty_line=4500"], where=REGION)
    assert result.households["household_id"].to_list() == ["A"]
    by_code = {r["code"]: r for r in result.regions.iter_rows(named=True)}
    assert by_code[REGION]["became_no"] == 1 and by_code[OTHER_VILLAGE]["became_no"] == 0


def test_where_defaults_to_region():
    hh = [household(household_id="A", wage_income=4200.0),
          household(household_id="B", wage_income=4200.0, region_code=OTHER_VILLAGE)]
    result = scenario(hh, sets=["poverty_line=4500"], region=OTHER_VILLAGE)
    assert result.households["household_id"].to_list() == ["B"] and result.where == OTHER_VILLAGE


def test_scenario_policy_gives_where_its_own_policy_key():
    p = ScenarioPolicy.of(policy(), parse_overrides(["poverty_line=4500"], policy()), "500101")
    keys = pl.DataFrame({"c": ["500101001001", "500102001001"]}).select(p.policy_key_expr(pl.col("c")))
    assert keys["policy_key"].to_list() == ["500101", "50"]
    assert p.lookup("poverty_line", YEAR, "500101")[0] == 4500 and p.lookup("poverty_line", YEAR, "50")[0] == 4000


def test_monitoring_line_for_a_year_without_one_turns_monitoring_on_and_may_raise_policy_missing():
    national = load_policies()
    h = household(year=2016, wage_income=5000.0)
    with pytest.raises(PolicyMissing, match="rural_income_prev_year"):
        scenario([h], [member(year=2016)], ["monitoring_line=5000"], policy_set=national, year=2016)


# --- the region rows ---------------------------------------------------------------------------

def test_total_row_has_the_region_code_合计_and_the_sums_of_the_region_rows():
    hh = [household(household_id="A", wage_income=4200.0),
          household(household_id="B", wage_income=3000.0, region_code=OTHER_VILLAGE)]
    result = scenario(hh, sets=["poverty_line=4500"], region=REGION[:9])
    frame = result.regions
    assert frame.columns == OUTPUT_COLUMNS
    rows, tot = frame.filter(pl.col("level") == "village"), total(result)
    assert (tot["code"], tot["name"]) == (REGION[:9] + "000", "合计")
    for col in OUTPUT_COLUMNS[3:-1]:
        assert tot[col] == rows[col].sum(), col
    assert frame["scenario"].unique().to_list() == ["poverty_line=4500"]


def test_total_code_is_empty_without_region():
    assert total(scenario([household()]))["code"] == ""


def test_exit_eligible_and_listed_are_one_or_zero_per_region_and_counted_on_the_total_row():
    result = scenario([household()], level="county")
    county = result.regions.row(0, named=True)
    assert county["listed_base"] == 0 and total(result)["listed_base"] == 0  # no regions table: not listed
    assert result.regions.schema["exit_eligible_base"] == pl.Int64


def test_category_change_is_counted_when_the_monitoring_line_moves():
    h = household(household_id="M", wage_income=7000.0)  # marginal under 7500 (a serious illness), not under 6000
    result = scenario([h], [member(household_id="M", health="患有大病")], ["monitoring_line=6000"])
    row = total(result)
    assert row["category_changed_households"] == 1 and row["leads_base"] == 1 and row["leads_scen"] == 0
    assert result.households.row(0, named=True)["monitoring_category_scen"] == "none"


# --- --set validation --------------------------------------------------------------------------

@pytest.mark.parametrize(("sets", "message"), [
    ([], "至少需要一个 --set 参数=值"),
    (["poverty_line"], "--set 格式应为 参数=值：poverty_line"),
    (["=4500"], "--set 格式应为 参数=值：=4500"),
    (["povrty_line=4500"], "未知的政策参数 povrty_line；可用：poverty_line"),
    # A name like no parameter gets every parameter, not one look-alike ("zone" for "nope").
    (["nope=3"], "未知的政策参数 nope；可用：" + "、".join(known_parameters(policy()))),
    (["poverty_line=4500", "poverty_line=4600"], "poverty_line 被设置了两次"),
    (["poverty_line=-1"], "poverty_line 的值无效：-1"),
    (["poverty_line=abc"], "poverty_line 的值无效：abc"),
    (["exit_incidence=1.5"], "exit_incidence 的值无效：1.5"),
    (["income_drop_share=2"], "income_drop_share 的值无效：2"),
    (["elimination_min_months=2.5"], "elimination_min_months 的值无效：2.5"),
    (["notice_min_days=1/2"], "notice_min_days 的值无效：1/2"),
])
def test_set_errors_use_the_spec_messages(sets, message):
    with pytest.raises(ScenarioError) as caught:
        parse_overrides(sets, policy())
    assert str(caught.value).startswith(message)


def test_fractions_are_read_exactly_and_text_parameters_stay_text():
    overrides = parse_overrides(["exit_incidence=1/50", "zone=东部", "poverty_line=4500.5"], policy())
    assert [o.value for o in overrides] == [0.02, "东部", 4500.5]


def test_where_and_region_must_overlap_and_where_needs_households():
    with pytest.raises(ScenarioError, match="--where 与 --region 不相交"):
        scenario([household()], where="500102", region="500101")
    with pytest.raises(ScenarioError, match=f"区划 500101999 下没有 {YEAR} 年度的户"):
        scenario([household()], where="500101999")


def test_a_scenario_runs_each_policy_once_and_leaves_the_inputs_unchanged():
    h, m = frames([household(wage_income=4200.0)])
    before = (h.clone(), m.clone())
    p = policy()
    run_scenario(h, m, None, year=YEAR, policy=p, overrides=parse_overrides(["poverty_line=4500"], p), level="town")
    assert h.equals(before[0]) and m.equals(before[1])
