"""Sampling of spec part C: the pinned draw vector, allocation, the draw, the C.5 worked example
and edge cases of the estimators and decisions."""

from __future__ import annotations

import hashlib
from fractions import Fraction as F

import numpy as np
import polars as pl
import pytest

from fupin.engine import sampling as S

POLICY = S.SamplePolicy(villages=29, poor_village_share=F(13, 20), households_per_village=45,
                        registered_share=F(1, 2), reserve_share=F(1, 5), confidence_level=0.95)


def test_pinned_draw_vector_seedsequence_20200601_1_0():
    keys = S.stream_keys([20200601, 1, 0], 3)
    assert keys.dtype == np.uint64
    assert keys.tolist() == [9280804769309523503, 3072455757532386378, 3251800594331887025]


def test_ranks_order_by_key_then_frame_position():
    assert S.ranks(np.array([5, 3, 5, 1], dtype=np.uint64)).tolist() == [3, 2, 4, 1]


def test_rhu_rounds_half_up_on_exact_rationals():
    assert S.rhu(F(5, 2)) == 3 and S.rhu(F(7, 2)) == 4 and S.rhu(F(249, 100)) == 2


def test_village_allocation_default_29_at_065():
    assert S.village_allocation(40, 60, POLICY) == (19, 10)  # rhu(18.85) = 19


def test_village_allocation_without_poor_villages_takes_all_from_n():
    assert S.village_allocation(0, 50, POLICY) == (0, 29)


def test_village_allocation_fewer_villages_than_sample_takes_all():
    assert S.village_allocation(5, 7, POLICY) == (5, 7)
    assert S.village_allocation(3, 40, POLICY) == (3, 26)


def test_household_allocation_largest_remainder_ties_go_to_exited():
    # t_reg = rhu(22.5) = 23, split 10:10 → 11.5 each → tie: exited gets the extra seat.
    alloc = S.household_allocation({"exited": 10, "poor": 10, "general": 100}, POLICY)
    assert alloc["exited"] == (10, 0) and alloc["poor"] == (10, 0)
    alloc = S.household_allocation({"exited": 100, "poor": 100, "general": 100}, POLICY)
    assert alloc["exited"][0] == 12 and alloc["poor"][0] == 11 and alloc["general"] == (22, 5)


def test_household_allocation_reserves_are_capped_by_what_is_left():
    alloc = S.household_allocation({"exited": 13, "poor": 0, "general": 3}, POLICY)
    assert alloc["exited"] == (13, 0) and alloc["general"] == (3, 0)
    alloc = S.household_allocation({"exited": 30, "poor": 0, "general": 0}, POLICY)
    assert alloc["exited"] == (23, 5) and alloc["poor"] == (0, 0)


def _registry(villages=6, per_village=60, poor=(0, 1)):
    rows = []
    for v in range(villages):
        code = f"5001010012{v:02d}"
        for i in range(per_village):
            kind = i % 3
            rows.append({"household_id": f"{code}{i:04d}", "year": 2021, "region_code": code,
                         "registered": kind != 2, "poverty_status": ["已脱贫", "未脱贫", None][kind],
                         "exit_year": 2019 if kind == 0 else None})
    regions = pl.DataFrame({"region_code": [f"5001010012{v:02d}" for v in poor], "poor_village": [True] * len(poor),
                            "name": [f"村{v}" for v in poor]})
    return pl.DataFrame(rows), regions


def test_frame_order_and_digest_follow_the_spec_lines():
    hh, regions = _registry(villages=2, per_village=4)
    frame = S.build_frame(hh, regions, year=2021, region="500101")
    lines = "".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in frame.households.select(
        "village_code", "village_stratum", "household_stratum", "household_id").iter_rows())
    assert frame.digest == hashlib.sha256(lines.encode()).hexdigest()
    assert frame.households["household_stratum"].to_list()[:4] == ["exited", "exited", "poor", "general"]


def test_exited_before_exited_since_is_out_of_scope_not_general():
    hh, regions = _registry(villages=1, per_village=6)
    frame = S.build_frame(hh, regions, year=2021, region="500101", exited_since=2020)
    assert frame.out_of_scope == 2 and "exited" not in frame.households["household_stratum"].to_list()


def test_drawn_twice_with_the_same_seed_is_identical():
    hh, regions = _registry()
    frame = S.build_frame(hh, regions, year=2021, region="500101")
    policy = S.SamplePolicy(4, F(1, 2), 9, F(2, 3), F(1, 5), 0.95)
    a = S.draw(frame, seed=7, year=2021, region="500101", purpose="exit", policy=policy)
    b = S.draw(S.build_frame(hh.sample(fraction=1, shuffle=True, seed=3), regions, year=2021, region="500101"),
               seed=7, year=2021, region="500101", purpose="exit", policy=policy)
    assert a.households.equals(b.households) and a.cells.equals(b.cells) and a.strata.equals(b.strata)
    c = S.draw(frame, seed=8, year=2021, region="500101", purpose="exit", policy=policy)
    assert not c.households.equals(a.households)


def test_a_change_in_one_village_leaves_the_others_draws_unchanged():
    hh, regions = _registry(villages=2)
    policy = S.SamplePolicy(2, F(1, 2), 9, F(2, 3), F(1, 5), 0.95)
    before = S.draw(S.build_frame(hh, regions, year=2021, region="500101"), seed=1, year=2021, region="500101",
                    purpose="exit", policy=policy).households
    changed = hh.filter(~pl.col("household_id").is_in(["5001010012000003", "5001010012000006"]))
    after = S.draw(S.build_frame(changed, regions, year=2021, region="500101"), seed=1, year=2021, region="500101",
                   purpose="exit", policy=policy).households
    other = "500101001201"
    assert before.filter(pl.col("village_code") == other).equals(after.filter(pl.col("village_code") == other))


def test_draw_selects_primaries_then_reserves_by_rank():
    hh, regions = _registry()
    frame = S.build_frame(hh, regions, year=2021, region="500101")
    policy = S.SamplePolicy(4, F(1, 2), 9, F(2, 3), F(1, 5), 0.95)
    sample = S.draw(frame, seed=20200601, year=2021, region="500101", purpose="exit", policy=policy)
    assert sample.strata["villages_selected"].to_list() == [2, 2]
    cell = sample.households.filter((pl.col("village_code") == sample.cells["village_code"][0])
                                    & (pl.col("household_stratum") == "exited"))
    assert cell["household_rank"].to_list() == [1, 2, 3, 4]
    assert cell["role"].to_list() == ["primary"] * 3 + ["reserve"]


def test_nothing_in_scope_is_refused_with_the_spec_message():
    hh, regions = _registry(villages=1)
    frame = S.build_frame(hh, regions, year=2021, region="500102")
    with pytest.raises(S.NothingToSample, match="区划 500102 2021 年没有可抽样的户"):
        S.draw(frame, seed=1, year=2021, region="500102", purpose="exit", policy=POLICY)


# --- estimators -------------------------------------------------------------------------------

def _worked(extra_cells=(), results=None, villages_in_stratum=4, villages_selected=2):
    cells = pl.DataFrame({"village_code": ["A", "B", *[c[0] for c in extra_cells]],
                          "household_stratum": ["exited", "exited", *[c[1] for c in extra_cells]],
                          "frame_households": [10, 6, *[c[2] for c in extra_cells]],
                          "village_stratum": ["N"] * (2 + len(extra_cells))})
    strata = pl.DataFrame({"village_stratum": ["P", "N"], "villages_in_stratum": [0, villages_in_stratum],
                           "villages_selected": [0, villages_selected]})
    results = results if results is not None else [("A", 4, False), ("A", 2, True), ("B", 3, False), ("B", 5, False)]
    completed = pl.DataFrame({"village_code": [r[0] for r in results], "household_stratum": ["exited"] * len(results),
                              "household_id": [f"h{i}" for i in range(len(results))],
                              "people": [r[1] for r in results], "wrong_exit": [r[2] for r in results],
                              "missed": [None] * len(results), "missed_members": [0] * len(results),
                              "unregistered_members": [0] * len(results), "approval": [None] * len(results)},
                             schema_overrides={"missed": pl.Boolean, "approval": pl.Boolean})
    return S.weigh(cells, strata, completed)


def test_worked_example_c5():
    weighted = _worked()
    assert [float(weighted.cell_weights[k]) for k in [("A", "exited"), ("B", "exited")]] == [10, 6]
    e = S.estimate(weighted, "wrong_exit", S.z_value(0.95))
    assert e.sample_rate == 2 / 14 and e.estimate == 20 / 108 and e.exact_estimate == F(20, 108)
    assert e.se == pytest.approx(0.164609, abs=1e-6) and e.se ** 2 == pytest.approx(0.0270961, abs=1e-7)
    assert e.deff == pytest.approx(2.51403, abs=1e-5) and e.n_eff == pytest.approx(5.56875, abs=1e-5)
    assert e.ci_low == pytest.approx(0.034212, abs=1e-6) and e.ci_high == pytest.approx(0.593187, abs=1e-6)
    assert S.decide("wrong_exit", e.sample_rate, e.ci_low, e.ci_high, 0.02) == ("fail", "clear_fail", "<")


def test_z_of_095_is_the_spec_value():
    assert S.z_value(0.95) == 1.9599639845400536


def test_every_exited_answer_no_gives_zero_variance_and_the_spec_interval():
    assert S.wilson(0.0, 1000, S.z_value(0.95)) == (0.0, 0.0038267584855551217)
    weighted = _worked(results=[("A", 4, False), ("B", 3, False)])
    e = S.estimate(weighted, "wrong_exit", S.z_value(0.95))
    assert e.estimate == 0 and e.se == 0 and e.n_eff == 7 and e.ci_low == 0.0


def test_all_wrong_exit_gives_high_exactly_one():
    low, high = S.wilson(1.0, 12, S.z_value(0.95))
    assert high == 1.0 and low < 1


def test_selected_village_with_no_completed_household_is_dropped_and_others_weigh_more():
    weighted = _worked(extra_cells=[("C", "exited", 8)], villages_selected=3)
    assert weighted.villages_responding == 2 and weighted.uncovered_households == 8
    assert weighted.cell_weights[("A", "exited")] == F(4, 2) * F(10, 2)


def test_stratum_without_completed_households_is_uncovered_and_contributes_nothing():
    weighted = _worked(results=[])
    assert weighted.uncovered_households == 16 and weighted.cell_weights == {}
    e = S.estimate(weighted, "wrong_exit", S.z_value(0.95))
    assert e.sample_denominator == 0 and e.estimate is None
    assert S.decide("wrong_exit", e.sample_rate, None, None, 0.02)[0] == "no_data"


def test_stratum_taken_whole_uses_cells_as_strata_and_households_as_psus():
    weighted = _worked(villages_in_stratum=2)
    assert weighted.whole["N"]
    e = S.estimate(weighted, "wrong_exit", S.z_value(0.95))
    # w = 5 (A) and 3 (B); cells are strata, each with two household PSUs.
    r, wx = 10 / 54, 54
    assert e.estimate == r
    ua = [5 * (0 - 4 * r) / wx, 5 * (2 - 2 * r) / wx]
    ub = [3 * (0 - 3 * r) / wx, 3 * (0 - 5 * r) / wx]

    def var(u):
        m = sum(u) / 2
        return 2 * sum((x - m) ** 2 for x in u)
    assert e.se ** 2 == pytest.approx(var(ua) + var(ub), rel=1e-12)


def test_exactly_two_percent_fails_the_wrong_exit_threshold():
    assert S.decide("wrong_exit", 0.02, None, None, 0.02)[0] == "fail"
    assert S.decide("approval", 0.9, 0.85, 0.95, 0.9) == ("pass", "inconclusive", ">=")


def test_composite_incidence_is_exact_and_null_when_population_unknown_or_too_small():
    value = S.composite_incidence(F(1, 10), F(1, 50), remaining_poor_people=10, exited_people=100,
                                  registered_people=200, registered_rural_population=1000)
    assert value == F(10 + 10 + 16, 1000)
    assert S.composite_incidence(F(0), F(0), remaining_poor_people=1, exited_people=1, registered_people=5,
                                 registered_rural_population=4) is None
    assert S.composite_incidence(F(0), F(0), remaining_poor_people=1, exited_people=1, registered_people=5,
                                 registered_rural_population=None) is None
