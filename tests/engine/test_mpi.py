"""The MPI of spec part D: the worked example of D.4, the cutoffs, unknowns, decompositions."""

from __future__ import annotations

from fractions import Fraction as F

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.engine import mpi
from fupin.engine.policy import load_policies
from fupin.engine.rules import INDICATORS

WEIGHTS = mpi.parse_weights(load_policies().resolve("mpi_weights", 2021)[0])


def household(i, pop, unmet=(), unknown=(), village="500101001201", verdict="no"):
    row = {"household_id": f"h{i}", "region_code": village, "population": pop, "meets_standard": verdict}
    for j in INDICATORS:
        row[j] = "" if verdict == "error" else "unmet" if j in unmet else "unknown" if j in unknown else "met"
    return row


def worked_example(**extra) -> pl.DataFrame:
    return pl.DataFrame([household(1, 4, ["income"]), household(2, 2, ["education"]),
                         household(3, 3, ["food", "clothing", "housing"]), household(4, 1, [], ["water"]), *extra.values()])


def total(frame, k=F(1, 3), unknown="exclude", weights=WEIGHTS, level="county", region=None):
    out = mpi.measures(frame, None, weights=weights, k=k, level=level, region=region, unknown=unknown)
    return out.filter(pl.col("level") == "total").row(0, named=True), out


def test_default_weights_scale_to_d_12_and_k_4():
    scale = mpi.Scale.of(WEIGHTS, F(1, 3))
    assert scale.denominator == 12 and scale.cutoff == 4
    assert scale.weights == {"income": 4, "food": 2, "clothing": 2, "education": 1, "medical": 1, "housing": 1,
                             "water": 1}
    assert mpi.weights_text(WEIGHTS) == "income:1/3;food:1/6;clothing:1/6;education:1/12;medical:1/12;housing:1/12;water:1/12"


def test_worked_example_d4():
    row, _ = total(worked_example())
    assert (row["people"], row["poor_people"], row["excluded_unknown"]) == (9, 7, 1)
    assert row["H"] == 7 / 9 and row["M0"] == 31 / 108 and row["A"] == 31 / 84
    assert row["ch_income"] == 4 / 9 and row["ch_food"] == row["ch_clothing"] == row["ch_housing"] == 3 / 9
    assert row["ch_education"] == 0
    assert row["contrib_income"] == 1600 / 31 and row["contrib_food"] == row["contrib_clothing"] == 600 / 31
    assert row["contrib_housing"] == 300 / 31
    assert round(row["contrib_income"], 4) == 51.6129 and round(row["contrib_housing"], 4) == 9.6774
    assert row["h_education"] == 2 / 9


def test_worked_example_score_equal_to_k_counts_as_poor():
    scores = mpi.household_scores(worked_example(), weights=WEIGHTS, k=F(5, 12))
    assert scores.filter(pl.col("poor"))["household_id"].to_list() == ["h3"]
    assert scores.filter(pl.col("household_id") == "h3")["score"].item() == "5/12"


def test_worked_example_k_0_4_rescales_to_d_60():
    scale = mpi.Scale.of(WEIGHTS, mpi.parse_k(0.4))
    assert (scale.denominator, scale.cutoff) == (60, 24)
    scores = mpi.household_scores(worked_example(), weights=WEIGHTS, k=mpi.parse_k(0.4))
    assert scores.filter(pl.col("poor"))["household_id"].to_list() == ["h3"]


def test_worked_example_k_one_twelfth_makes_everyone_poor():
    row, _ = total(worked_example(), k=F(1, 12))
    assert row["H"] == 1.0


def test_nobody_deprived_gives_zero_h_and_m0_and_null_a_and_contributions():
    row, _ = total(pl.DataFrame([household(1, 3), household(2, 2)]))
    assert row["H"] == 0 and row["M0"] == 0 and row["ch_income"] == 0
    assert row["A"] is None and row["contrib_income"] is None and row["contrib_region"] is None


def test_no_household_included_gives_all_null():
    row, _ = total(pl.DataFrame([household(1, 3, [], ["water"])]))
    assert row["people"] == 0 and row["H"] is None and row["M0"] is None and row["h_income"] is None


def test_unknown_not_deprived_and_deprived_are_the_bounds():
    low, _ = total(worked_example(), unknown="not_deprived")
    high, _ = total(worked_example(), unknown="deprived", k=F(1, 12))
    assert low["people"] == 10 and low["excluded_unknown"] == 0 and low["poor_people"] == 7
    assert high["poor_people"] == 10


def test_error_households_are_excluded_and_counted():
    row, _ = total(worked_example(e=household(9, 5, verdict="error")))
    assert row["excluded_error"] == 1 and row["households"] == 5 and row["people"] == 9


def test_omitted_indicator_is_unused_and_its_columns_null():
    weights = mpi.parse_weights({"income": {"weight": "1/2", "indicators": {"income": "1"}},
                                 "needs": {"weight": "1/2", "indicators": {"food": "1"}}})
    row, _ = total(worked_example(), weights=weights, k=F(1, 2))
    assert row["h_water"] is None and row["contrib_water"] is None
    assert row["excluded_unknown"] == 0  # water unknown no longer matters


@pytest.mark.parametrize("bad, message", [
    ({"a": {"weight": "1/2", "indicators": {"income": "1"}}}, "维度 的权重之和应为1"),
    ({"a": {"weight": "1", "indicators": {"income": "1/2", "food": "1/3"}}}, "a 的权重之和应为1"),
    ({"a": {"weight": "1", "indicators": {"income": "0", "food": "1"}}}, "权重须为正数，不用的指标请删除"),
    ({"a": {"weight": "1/2", "indicators": {"income": "1"}}, "b": {"weight": "1/2", "indicators": {"income": "1"}}},
     "出现了两次"),
    ({"a": {"weight": "1", "indicators": {"wealth": "1"}}}, "未知的指标"),
])
def test_bad_weights_are_refused(bad, message):
    with pytest.raises(mpi.MpiError, match=message):
        mpi.parse_weights(bad)


@pytest.mark.parametrize("k", ["0", "1.5", "-1/3"])
def test_k_outside_zero_one_is_refused(k):
    with pytest.raises(mpi.MpiError, match="k 应满足 0 < k ≤ 1"):
        mpi.parse_k(k)


def test_union_cutoff_reproduces_meets_standard_no():
    rows = [household(1, 2, ["water"]), household(2, 3), household(3, 1, ["income", "medical"])]
    scores = mpi.household_scores(pl.DataFrame(rows), weights=WEIGHTS, k=F(1, 12))
    assert scores["poor"].to_list() == [True, False, True]


def test_fraction_text_of_policy_numbers_is_their_shortest_decimal():
    assert mpi.exact_fraction(0.1) == F(1, 10) and mpi.exact_fraction("1/12") == F(1, 12)
    assert mpi.exact_fraction(0.65) == F(13, 20)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 9), st.sampled_from(["500101001201", "500101001202", "500101002201"]),
                          st.lists(st.sampled_from(INDICATORS), max_size=4, unique=True)), min_size=1, max_size=25))
def test_decompositions_by_indicator_and_region_sum_to_100(rows):
    frame = pl.DataFrame([household(i, pop, unmet, village=v) for i, (pop, v, unmet) in enumerate(rows)])
    out = mpi.measures(frame, None, weights=WEIGHTS, k=F(1, 3), level="village")
    tot = out.filter(pl.col("level") == "total").row(0, named=True)
    regions = out.filter(pl.col("level") == "village")
    if tot["poor_people"] == 0:
        assert tot["contrib_income"] is None
        return
    assert sum(tot[f"contrib_{j}"] for j in INDICATORS) == pytest.approx(100, abs=1e-9)
    assert regions["contrib_region"].sum() == pytest.approx(100, abs=1e-9)
    assert regions["people_share"].sum() == pytest.approx(1, abs=1e-12)
    # Exact: Σ_j W_j Σ_poor p g_j = T, so the numerators of the contributions add up to 100·T.
    scale = mpi.Scale.of(WEIGHTS, F(1, 3))
    scores = mpi.household_scores(frame, weights=WEIGHTS, k=F(1, 3)).filter(pl.col("poor"))
    t = sum(p * F(s) * 12 for p, s in scores.select("population", "score").iter_rows())
    parts = sum(scale.weights[j] * p for p, d in scores.select("population", "deprived").iter_rows()
                for j in d.split(";") if j)
    assert parts == t
