"""Quality findings Q03–Q26 (rules.md section 5): each fires, and stays quiet at its boundary."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine import idnumber, quality

YEAR = 2023


def pid(birth: date, seq: int) -> str:
    return idnumber.make_id("500101", birth, seq)


HEAD = dict(household_id="H1", year=YEAR, name="户主甲", id_number=pid(date(1970, 1, 1), 11), sex="男",
            relationship="户主", health="健康", labour="普通劳动力", member_status="正常")
WIFE = dict(household_id="H1", year=YEAR, name="配偶乙", id_number=pid(date(1972, 1, 1), 22), sex="女",
            relationship="配偶", health="健康", labour="普通劳动力", member_status="正常")
HOUSEHOLD = dict(household_id="H1", year=YEAR, registered=True, poverty_status="已脱贫", exit_year=2019,
                 wage_income=0.0, business_income=0.0, property_income=0.0, transfer_income=3000.0,
                 business_expense=0.0)


def run(h=None, members=None, **kw) -> pl.DataFrame:
    households = pl.DataFrame([{**HOUSEHOLD, **(h or {})}], infer_schema_length=None)
    ms = pl.DataFrame(members if members is not None else [HEAD, WIFE], infer_schema_length=None)
    return quality.findings(households, ms, **kw)


def fired(result: pl.DataFrame) -> set[str]:
    return set(result["code"].to_list())


def test_clean_household_has_no_findings():
    assert run().height == 0


def test_q03_sex_disagrees_with_id():
    assert "Q03" in fired(run(members=[{**HEAD, "sex": "女"}, WIFE]))
    assert "Q03" not in fired(run(members=[HEAD, WIFE]))


def test_q04_one_id_in_two_households_same_year_but_not_across_years():
    households = pl.DataFrame([HOUSEHOLD, {**HOUSEHOLD, "household_id": "H2"}])
    ms = pl.DataFrame([HEAD, WIFE, {**HEAD, "household_id": "H2"}])
    out = quality.findings(households, ms)
    assert out.filter(pl.col("code") == "Q04")["household_id"].to_list() == ["H1", "H2"]
    ms2 = pl.DataFrame([HEAD, WIFE, {**HEAD, "household_id": "H2", "year": YEAR + 1}])
    assert "Q04" not in fired(quality.findings(households, ms2))


def test_q05_household_without_head_or_with_two():
    assert "Q05" in fired(run(members=[{**HEAD, "relationship": "之子"}, WIFE]))
    assert "Q05" in fired(run(members=[HEAD, {**WIFE, "relationship": "户主"}]))
    assert "Q05" not in fired(run())


def test_q05_counts_living_members_only():
    dead_second_head = {**WIFE, "relationship": "户主", "member_status": "死亡"}
    assert "Q05" not in fired(run(members=[HEAD, dead_second_head]))


def test_q06_household_with_no_living_member():
    out = run(members=[{**HEAD, "member_status": "死亡"}])
    assert "Q06" in fired(out) and "Q05" not in fired(out)
    assert "Q06" not in fired(run(members=[HEAD]))


def test_q07_registered_without_status_or_exited_without_year():
    assert "Q07" in fired(run({"poverty_status": None}))
    assert "Q07" in fired(run({"exit_year": None}))
    assert "Q07" not in fired(run({"registered": False, "poverty_status": None, "exit_year": None}))


def test_q08_illness_cause_with_no_ill_member():
    assert "Q08" in fired(run({"main_cause": "因病"}))
    assert "Q08" not in fired(run({"main_cause": "因病"}, [{**HEAD, "health": "长期慢性病"}, WIFE]))


def test_q09_schooling_cause_with_no_member_in_school():
    assert "Q09" in fired(run({"other_causes": "因学"}, [HEAD, {**WIFE, "school_status": "非在校生"}]))
    child = dict(HEAD, name="子", id_number=pid(date(2010, 1, 1), 33), relationship="之子", school_status="初中")
    assert "Q09" not in fired(run({"other_causes": "因学"}, [HEAD, WIFE, child]))


def test_q10_disability_cause_with_no_disabled_member():
    assert "Q10" in fired(run({"main_cause": "因残"}))
    assert "Q10" not in fired(run({"main_cause": "因残"}, [{**HEAD, "health": "残疾", "disability_grade": "三级"}, WIFE]))


def test_q11_secondary_cause_repeats_main():
    assert "Q11" in fired(run({"main_cause": "缺资金", "other_causes": "缺技术、缺资金"}))
    assert "Q11" not in fired(run({"main_cause": "缺资金", "other_causes": "缺技术"}))


def test_q12_dibao_household_with_no_member_on_dibao():
    assert "Q12" in fired(run({"poverty_attribute": "低保贫困户"}))
    assert "Q12" not in fired(run({"poverty_attribute": "低保贫困户"}, [{**HEAD, "dibao": True}, WIFE]))


def test_q13_both_dibao_and_tekun():
    assert "Q13" in fired(run(members=[{**HEAD, "dibao": True, "tekun": True}, WIFE]))
    assert "Q13" not in fired(run(members=[{**HEAD, "dibao": True, "tekun": False}, WIFE]))


def test_q14_healthy_working_age_without_labour_at_boundaries():
    def with_age(birth):
        return fired(run(members=[{**HEAD, "id_number": pid(birth, 11), "labour": "无劳动力"}, WIFE]))

    assert "Q14" in with_age(date(1964, 1, 1))      # 59 at 31 Dec 2023
    assert "Q14" not in with_age(date(1963, 12, 31))  # 60
    assert "Q14" in with_age(date(2007, 12, 31))    # 16
    assert "Q14" not in with_age(date(2008, 1, 1))    # 15


def test_q15_work_months_out_of_range_or_inconsistent():
    assert "Q15" in fired(run(members=[{**HEAD, "work_location": "省外务工", "work_months": 13}, WIFE]))
    assert "Q15" in fired(run(members=[{**HEAD, "work_location": "省外务工", "work_months": 0}, WIFE]))
    assert "Q15" in fired(run(members=[{**HEAD, "work_months": 3}, WIFE]))
    assert "Q15" not in fired(run({"wage_income": 1000.0}, [{**HEAD, "work_location": "省外务工", "work_months": 12}, WIFE]))


def test_q16_no_labour_member_with_work_record():
    assert "Q16" in fired(run(members=[{**HEAD, "labour": "丧失劳动力", "health": "患有大病", "work_months": 2,
                                        "work_location": "其他"}, WIFE]))
    assert "Q16" not in fired(run(members=[{**HEAD, "labour": "丧失劳动力", "health": "患有大病"}, WIFE]))


def test_q17_wage_income_and_work_disagree():
    assert "Q17" in fired(run({"wage_income": 500.0}))
    worker = {**HEAD, "work_location": "省外务工", "work_months": 6}
    assert "Q17" in fired(run({"wage_income": 0.0}, [worker, WIFE]))
    assert "Q17" not in fired(run({"wage_income": 500.0}, [worker, WIFE]))


def test_q18_business_income_without_expense():
    assert "Q18" in fired(run({"business_income": 100.0, "business_expense": 0.0}))
    assert "Q18" not in fired(run({"business_income": 100.0, "business_expense": 0.01}))


def test_q19_per_capita_income_bounds():
    assert "Q19" in fired(run({"transfer_income": 0.0}))                   # 0 per person
    assert "Q19" not in fired(run({"transfer_income": 0.02}))
    assert "Q19" in fired(run({"transfer_income": 200000.02}))            # 100000.01 per person
    assert "Q19" not in fired(run({"transfer_income": 200000.0}))         # exactly 100000


def test_q20_relationship_contradicts_sex_or_couple_of_one_sex():
    son = dict(HEAD, name="子", id_number=pid(date(2000, 1, 1), 42), sex="女", relationship="之子")
    assert "Q20" in fired(run(members=[HEAD, WIFE, son]))
    assert "Q20" in fired(run(members=[HEAD, {**WIFE, "id_number": pid(date(1972, 1, 1), 21), "sex": "男"}]))
    assert "Q20" not in fired(run(members=[HEAD, WIFE, {**son, "id_number": pid(date(2000, 1, 1), 41), "sex": "男"}]))


def test_q21_school_status_against_age_at_boundaries():
    def kid(birth, status):
        child = dict(HEAD, name="子", id_number=pid(birth, 31), relationship="之子", school_status=status)
        return fired(run(members=[HEAD, WIFE, child]))

    assert "Q21" in kid(date(2009, 1, 1), "高中")       # 14
    assert "Q21" not in kid(date(2008, 12, 31), "高中")  # 15
    assert "Q21" in kid(date(2003, 12, 31), "小学")     # 20
    assert "Q21" not in kid(date(2004, 1, 1), "小学")    # 19


def test_q22_disabled_without_grade():
    assert "Q22" in fired(run(members=[{**HEAD, "health": "残疾"}, WIFE]))
    assert "Q22" not in fired(run(members=[{**HEAD, "health": "残疾", "disability_grade": "一级"}, WIFE]))


@pytest.mark.parametrize("field, over, at", [("farmland_mu", 100.02, 100.0), ("forest_mu", 140.02, 140.0),
                                             ("road_distance_km", 50.01, 50.0)])
def test_q23_implausible_land_or_distance(field, over, at):
    assert "Q23" in fired(run({field: over}))
    assert "Q23" not in fired(run({field: at}))


def _assessment(meets="no", pc=5000.0, line=6000.0, year=2019):
    return pl.DataFrame({"household_id": ["H1"], "year": [year], "meets_standard": [meets],
                         "per_capita_net_income": [pc], "monitoring_line": [line]})


def test_q24_exited_household_not_meeting_the_standard_in_its_exit_year():
    assert "Q24" in fired(run(assessment=_assessment("no")))
    assert "Q24" not in fired(run(assessment=_assessment("yes")))
    assert "Q24" not in fired(run(assessment=_assessment("no", year=2020)))
    assert "Q24" not in fired(run())


def test_q25_risk_eliminated_below_the_monitoring_line():
    h = {"monitoring_category": "边缘易致贫户", "risk_eliminated": True}
    assert "Q25" in fired(run(h, assessment=_assessment(year=YEAR, pc=5999.99)))
    assert "Q25" not in fired(run(h, assessment=_assessment(year=YEAR, pc=6000.0)))


def test_q26_household_size_and_reported_income_checked():
    assert "Q26" in fired(run({"household_size": 3}))
    assert "Q26" not in fired(run({"household_size": 2}))
    assert "Q26" in fired(run({"reported_per_capita_income": 1501.01}))  # computed 1500
    assert "Q26" not in fired(run({"reported_per_capita_income": 1501.0}))


def test_ages_use_each_rows_year_unless_as_of_given():
    kid = dict(HEAD, name="子", id_number=pid(date(2009, 6, 1), 31), relationship="之子", school_status="高中")
    assert "Q21" in fired(run(members=[HEAD, WIFE, kid]))                           # 14 at end of 2023
    assert "Q21" not in fired(run(members=[HEAD, WIFE, kid], as_of=date(2024, 7, 1)))  # 15


def test_findings_columns():
    assert tuple(run({"poverty_status": None}).columns) == quality.OUTPUT_COLUMNS
