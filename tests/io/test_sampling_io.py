"""The field results file (spec C.3): every row is either used or comes back with its row, column,
value and reason; the sample file reads back as written."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.io import sampling as sample_io
from fupin.io.report import Heading

SAMPLE = pl.DataFrame({
    "village_code": ["500101001201"] * 6,
    "household_stratum": ["exited", "exited", "exited", "poor", "general", "general"],
    "household_id": ["E1", "E2", "E3", "P1", "G1", "G2"],
    "household_rank": [1, 2, 3, 1, 1, 2],
    "role": ["primary", "primary", "reserve", "primary", "primary", "reserve"],
})


def read(tmp_path, rows: list[dict]) -> sample_io.FieldResults:
    path = tmp_path / "r.csv"
    columns = ["户编号", "入户状态", "实有人口", "是否错退", "错退原因", "是否漏评", "户内未纳入人口", "其中应纳未纳", "是否认可",
               "调查员", "调查日期"]
    pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=dict.fromkeys(columns, pl.String)).write_csv(path)
    return sample_io.read_results(path, SAMPLE)


def reasons(result) -> dict[str, str]:
    return {r["column"]: r["reason"] for r in result.rejects.iter_rows(named=True)}


def test_a_complete_valid_file_is_read_typed(tmp_path):
    result = read(tmp_path, [
        {"户编号": "E1", "入户状态": "完成", "实有人口": "3", "是否错退": "是", "错退原因": "income;住房安全", "是否认可": "是"},
        {"户编号": "P1", "入户状态": "完成", "实有人口": "2", "户内未纳入人口": "2", "其中应纳未纳": "1"},
        {"户编号": "G1", "入户状态": "完成", "实有人口": "4", "是否漏评": "否", "是否认可": "否", "调查日期": "2021-05-03"},
        {"户编号": "E2", "入户状态": "拒访"},
    ])
    assert result.rejects.height == 0
    rows = result.rows.sort("household_id")
    assert rows["visit_status"].to_list() == ["completed", "refused", "completed", "completed"]
    assert rows.filter(pl.col("household_id") == "E1")["wrong_exit"].item() is True
    assert rows.filter(pl.col("household_id") == "P1")["missed_members"].item() == 1


@pytest.mark.parametrize("row, column, reason", [
    ({"户编号": "X9", "入户状态": "完成", "实有人口": "1"}, "household_id", "不在样本中"),
    ({"户编号": "E1", "入户状态": "在家", "实有人口": "1"}, "visit_status", "入户状态应为"),
    ({"户编号": "E1", "入户状态": "完成", "是否错退": "否"}, "people", "入户完成的必须填写实有人口"),
    ({"户编号": "E1", "入户状态": "完成", "实有人口": "0", "是否错退": "否"}, "people", "不小于1的整数"),
    ({"户编号": "E1", "入户状态": "完成", "实有人口": "2"}, "wrong_exit", "已脱贫户入户完成的必须填写是否错退"),
    ({"户编号": "E1", "入户状态": "完成", "实有人口": "2", "是否错退": "是"}, "wrong_exit_reasons", "错退的必须填写错退原因"),
    ({"户编号": "E1", "入户状态": "完成", "实有人口": "2", "是否错退": "是", "错退原因": "wealth"}, "wrong_exit_reasons",
     "错退原因应为"),
    ({"户编号": "G1", "入户状态": "完成", "实有人口": "2", "是否漏评": "否", "是否错退": "否"}, "wrong_exit", "只有已脱贫户"),
    ({"户编号": "G1", "入户状态": "完成", "实有人口": "2"}, "missed", "一般农户入户完成的必须填写是否漏评"),
    ({"户编号": "G1", "入户状态": "完成", "实有人口": "2", "是否漏评": "否", "户内未纳入人口": "1"}, "unregistered_members",
     "只有建档立卡户"),
    ({"户编号": "P1", "入户状态": "完成", "实有人口": "2", "户内未纳入人口": "1", "其中应纳未纳": "2"}, "missed_members",
     "不能多于"),
    ({"户编号": "P1", "入户状态": "完成", "实有人口": "2", "是否认可": "maybe"}, "approval", "是否认可应为"),
    ({"户编号": "P1", "入户状态": "完成", "实有人口": "2", "调查日期": "5月3日"}, "visited_on", "调查日期格式"),
])
def test_each_rule_of_c3_rejects_the_row_with_its_reason(tmp_path, row, column, reason):
    result = read(tmp_path, [row])
    assert result.rows.height == 0
    assert reason in reasons(result)[column]
    assert result.rejects["row"].to_list()[0] == 2  # the CSV line after the header


def test_a_household_listed_twice_is_rejected_both_times(tmp_path):
    row = {"户编号": "P1", "入户状态": "完成", "实有人口": "2"}
    result = read(tmp_path, [row, row])
    assert result.rows.height == 0 and result.rejects.height == 2


def test_a_reserve_completed_before_a_higher_ranked_household_was_visited_is_warned(tmp_path):
    result = read(tmp_path, [{"户编号": "E3", "入户状态": "完成", "实有人口": "1", "是否错退": "否"},
                             {"户编号": "E1", "入户状态": "未找到"}])
    assert len(result.warnings) == 1 and "E3" in result.warnings[0]
    result = read(tmp_path, [{"户编号": "E3", "入户状态": "完成", "实有人口": "1", "是否错退": "否"},
                             {"户编号": "E1", "入户状态": "未找到"}, {"户编号": "E2", "入户状态": "拒访"}])
    assert result.warnings == []


CELL = st.one_of(st.none(), st.sampled_from(["完成", "未找到", "拒访", "是", "否", "0", "1", "3", "-1", "x", "income",
                                              "2021-01-02", "E1", "G1", "P1"]),
                 st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({h: CELL for h in ("户编号", "入户状态", "实有人口", "是否错退", "错退原因", "是否漏评",
                                                              "户内未纳入人口", "其中应纳未纳", "是否认可", "调查日期")}),
                max_size=8))
def test_every_row_is_either_accepted_or_rejected_with_a_reason(tmp_path, rows):
    result = read(tmp_path, rows)
    rejected = result.rejects.select("row").unique().height
    # A form row nobody filled in (no 入户状态) is not a result; a row of values without 户编号 is one.
    given_rows = sum(1 for r in rows if r["入户状态"] or (not r["户编号"] and any(v for v in r.values())))
    assert result.rows.height + rejected == given_rows
    assert result.rejects["reason"].str.len_chars().min() or result.rejects.height == 0
    assert set(result.rows["visit_status"].to_list()) <= {"completed", "not_reached", "refused"}


def test_sample_workbook_reads_back_as_written(tmp_path):
    strata = pl.DataFrame({"sample_id": ["500101-2021-1"] * 2, "seed": ["1"] * 2, "year": [2021] * 2,
                           "region": ["500101"] * 2, "purpose": ["exit"] * 2, "frame_digest": ["ab"] * 2,
                           "village_stratum": ["P", "N"], "villages_in_stratum": [2, 3], "villages_selected": [1, 2],
                           "exited_since": [None, None]})
    cells = pl.DataFrame({"village_code": ["500101001201"], "village_name": ["一村"], "village_rank": [1],
                          "household_stratum": ["exited"], "frame_households": [10], "allocated": [3], "reserves": [1],
                          "village_stratum": ["P"]})
    households = SAMPLE.with_columns(head_name=pl.lit("张三"), hamlet=pl.lit("1组"), population=pl.lit(2),
                                     exit_year=pl.lit(2019)).select(
        "village_code", "household_stratum", "household_id", "head_name", "hamlet", "household_rank", "role",
        "population", "exit_year")
    sample_io.write_sample(strata, cells, households, tmp_path / "s.xlsx", Heading("t"))
    back = sample_io.read_sample(tmp_path / "s.xlsx")
    assert back["strata"]["villages_in_stratum"].to_list() == [2, 3] and back["strata"].height == 2
    assert back["households"]["household_id"].to_list() == SAMPLE["household_id"].to_list()
    assert back["cells"]["frame_households"].to_list() == [10]
