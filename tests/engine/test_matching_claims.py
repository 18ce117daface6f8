"""Department lists at settlement level (one row per claim), and the fast paths of matching that
must give the same answers as the plain ones (duplicate candidates, IDs resolved by the registry)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import polars as pl
import pytest

from fupin.engine import idnumber, matching
from fupin.engine.policy import load_policies

YEAR = 2022
D = 18931.0  # national rural_income_prev_year for 2022


def pid(seq: int) -> str:
    return idnumber.make_id("500101", date(1970, 1, 1 + seq), 11 + 2 * seq)


@pytest.fixture(scope="module")
def registry():
    members = pl.DataFrame({
        "household_id": ["R1", "R1", "G1"], "year": [YEAR] * 3,
        "id_number": [pid(i) for i in range(3)], "name": ["张三", "李四", "王五"],
    })
    households = pl.DataFrame({
        "household_id": ["R1", "G1"], "year": [YEAR] * 2, "region_code": ["500101102201"] * 2,
        "registered": [True, False], "poverty_status": ["已脱贫", None],
        "monitoring_category": [None, None], "risk_eliminated": [None, None],
    })
    return members, households


def rows(data: dict) -> pl.DataFrame:
    n = len(next(iter(data.values())))
    return pl.DataFrame(data).with_columns(_sheet=pl.lit("f.csv"), _row=pl.int_range(2, n + 2, dtype=pl.Int64))


def run(raw, registry, kind="medical"):
    members, households = registry
    return matching.match_department(raw, kind=kind, year=YEAR, members=members, households=households,
                                     policy=load_policies(), source="f.csv")


def claims(ids, dates, docs, amounts, **extra):
    return rows({"姓名": ["张三"] * len(ids), "证件号码": ids, "结算日期": dates, "单据号": docs,
                 "合规自付医疗费用": amounts, **extra})


def test_several_claims_of_one_person_and_month_are_summed_not_returned(registry):
    raw = claims([pid(0)] * 3, ["2022-03-01", "2022-03-15", "2022/3/20"], ["A1", "A2", "A3"], ["4000", "3000", "2500"])
    result = run(raw, registry)
    assert result.claim_level and result.stats["rejected"] == 0 and result.issues.height == 0
    evidence = json.loads(result.leads["evidence"][0])
    assert evidence["out_of_pocket"] == 9500 and evidence["periods"] == ["2022-03"]
    assert evidence["persons"] == [{"name": "张三", "id": pid(0)[:4] + "*" * 10 + pid(0)[14:], "period": "2022-03",
                                    "out_of_pocket": 9500.0, "name_differs": False, "row": 2, "claims": 3}]


def test_claims_are_summed_per_person_and_month_of_settlement(registry):
    raw = claims([pid(0), pid(0), pid(1)], ["2022-01-05", "2022年2月3日", "20220203"], ["A1", "A2", "B1"],
                 ["5000", "4000", "600"])
    result = run(raw, registry)
    persons = json.loads(result.leads["evidence"][0])["persons"]
    assert [(p["period"], p["out_of_pocket"], p["claims"]) for p in persons] == [
        ("2022-01", 5000.0, 1), ("2022-02", 4000.0, 1), ("2022-02", 600.0, 1)]


def test_same_document_number_twice_identical_counts_once_with_its_own_code(registry):
    raw = claims([pid(0)] * 3, ["2022-03-01", "2022-03-01", "2022-03-02"], ["A1", "A1", "A2"], ["6000", "6000", "4000"])
    result = run(raw, registry)
    assert result.issues.select("row", "code").rows() == [(3, "D12")]
    assert "第 2 行" in result.issues["message_zh"][0] and result.issues["value"][0] == "A1"
    assert json.loads(result.leads["evidence"][0])["out_of_pocket"] == 10000  # not 16000


def test_same_document_number_with_different_contents_returns_both_rows(registry):
    raw = claims([pid(0)] * 3, ["2022-03-01", "2022-03-01", "2022-03-02"], ["A1", "A1", "A2"], ["6000", "6500", "4000"])
    result = run(raw, registry)
    assert dict(result.issues.select("row", "code").rows()) == {2: "D13", 3: "D13"}
    assert result.stats["duplicates"] == 2 and result.stats["rejected"] == 2


def test_claims_without_settlement_date_are_returned_when_the_date_is_the_only_period(registry):
    raw = claims([pid(0), pid(0), pid(0)], ["2022-03-01", None, "2022-02-30"], ["A1", "A2", "A3"], ["1", "2", "3"])
    result = run(raw, registry)
    assert dict(result.issues.select("row", "code").rows()) == {3: "D01", 4: "D05"}
    assert "结算日期" in result.issues.filter(pl.col("row") == 3)["message_zh"][0]


def test_claim_list_without_any_period_column_is_refused_naming_settlement_date(registry):
    raw = rows({"姓名": ["张三"], "证件号码": [pid(0)], "单据号": ["A1"], "合规自付医疗费用": ["1"]})
    with pytest.raises(matching.DepartmentFileError) as err:
        run(raw, registry)
    assert "结算日期" in err.value.message_zh and "年度 或 月份" in err.value.message_zh


def test_empty_claim_list_matches_nothing_and_returns_nothing(registry):
    raw = claims([], [], [], []).cast({"姓名": pl.String, "证件号码": pl.String, "结算日期": pl.String,
                                        "单据号": pl.String, "合规自付医疗费用": pl.String})
    result = run(raw, registry)
    assert result.claim_level and result.leads.height == 0 and result.issues.height == 0
    assert result.stats["rows"] == 0


def test_mixed_layout_summary_row_without_document_number_is_returned_not_added(registry):
    # A per-person total appended to the claims would count the same costs twice.
    raw = claims([pid(0)] * 3, ["2022-03-01", "2022-03-02", "2022-03-31"], ["A1", "A2", None], ["6000", "4000", "10000"])
    result = run(raw, registry)
    assert result.issues.select("row", "code").rows() == [(4, "D01")]
    assert json.loads(result.leads["evidence"][0])["out_of_pocket"] == 10000


def test_mixed_layout_month_column_decides_the_period_over_the_settlement_date(registry):
    raw = claims([pid(0)] * 2, ["2022-04-02", "2023-01-03"], ["A1", "A2"], ["6000", "4000"], 月份=["2022-03", "2022-12"])
    result = run(raw, registry)
    assert result.issues.height == 0
    assert json.loads(result.leads["evidence"][0])["periods"] == ["2022-03", "2022-12"]


def test_settlement_date_of_another_year_is_returned(registry):
    raw = claims([pid(0)], ["2021-12-31"], ["A1"], ["99999"])
    result = run(raw, registry)
    assert result.issues["code"].to_list() == ["D06"] and result.leads.height == 0


def test_claims_without_document_number_are_all_summed(registry):
    raw = rows({"姓名": ["张三"] * 2, "证件号码": [pid(0)] * 2, "结算日期": ["2022-03-01"] * 2,
                "合规自付医疗费用": ["5000", "5000"]})
    result = run(raw, registry)
    assert result.issues.height == 0 and json.loads(result.leads["evidence"][0])["out_of_pocket"] == 10000


def test_person_level_list_still_returns_conflicting_rows_as_d08(registry):
    raw = rows({"姓名": ["张三"] * 2, "证件号码": [pid(0)] * 2, "月份": ["2022-03"] * 2, "合规自付医疗费用": ["1", "2"]})
    result = run(raw, registry)
    assert set(result.issues["code"]) == {"D08"} and not result.claim_level


def test_id_written_differently_from_the_registry_still_matches(registry):
    lower = pid(0)[:-1] + pid(0)[-1].lower()
    raw = rows({"姓名": ["张三"] * 2, "证件号码": [f" {pid(0)} ", lower], "年度": [str(YEAR)] * 2,
                "合规自付医疗费用": ["5000", "5000"]})
    result = run(raw, registry)
    # Both spellings are one person: the second row is a duplicate of the first, not a stranger.
    assert result.issues.select("row", "code").rows() in ([(3, "D07")], []) and result.stats["unmatched"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duplicate_candidates_include_every_repeated_person_period(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    member = pl.Series(rng.integers(0, 800, n), dtype=pl.UInt32)
    member = member.scatter(rng.choice(n, 300, replace=False), None)
    frame = pl.DataFrame({
        "_member": member,
        "id_number": pl.select(pl.when(member.is_null()).then(pl.lit("X") + pl.Series(rng.integers(0, 100, n)).cast(pl.String))
                               .otherwise(member.cast(pl.String))).to_series(),
        "period": pl.Series(rng.choice([f"2022-{m:02d}" for m in range(1, 13)] + ["2022"], n)),
    })
    exact = frame.select(pl.struct("id_number", "period").is_duplicated()).to_series()
    candidates = matching._repeated_person_periods(frame)
    assert (candidates | ~exact).all()          # nothing repeated is missed
    # Only people with a repeat are candidates (all their rows: the exact grouping sorts them out).
    person_repeats = frame.with_columns(exact.alias("_d")).select(pl.col("_d").any().over("id_number")).to_series()
    assert (~candidates | person_repeats).all()
