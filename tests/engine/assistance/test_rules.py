"""R1–R4 and R9 of spec/assistance.md on small hand-made cases, and the edge cases of section 6
that concern them (numbered as in the spec)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine.assistance.catalogue import Catalogue
from fupin.engine.assistance.rules import coverage, rate, uncovered
from tests.engine.assistance.assist_helpers import YEAR, hh, measure, person, run


def status(frame: pl.DataFrame, **key) -> str:
    rows = frame.filter(**key)
    assert rows.height == 1, rows
    return rows["status"][0]


# --- R1 ---------------------------------------------------------------------------------------

def test_r1_household_with_labour_and_no_development_measure_is_uncovered():
    out = run([hh()], [person()], measures=[measure(subtype="参保资助", amount=200.0)])
    assert out.outlet["status"].to_list() == ["uncovered"]
    assert out.outlet["channels"].to_list() == [""]


def test_r1_channels_in_order_measure_household_measure_placement_registry_work():
    p = person(work_location="省外务工", work_months=6)
    out = run([hh()], [p], measures=[measure(), measure(subtype="转移就业", amount=None, id_number=p["id_number"])],
              placements=[{"id_number": p["id_number"], "household_id": "H1", "employer": "厂", "place": "省外",
                           "start": date(YEAR, 2, 1)}])
    assert out.outlet["channels"].to_list() == ["measure;household_measure;placement;registry_work"]


def test_r1_no_demand_when_labour_sheet_says_no_willingness():
    p = person()
    out = run([hh()], [p], labour=[{"id_number": p["id_number"], "year": YEAR, "willing": "无"}])
    assert out.outlet["status"].to_list() == ["no_demand"]


def test_r1_registry_work_needs_at_least_one_month():
    out = run([hh()], [person(work_location="省外务工", work_months=0)])
    assert out.outlet["status"].to_list() == ["uncovered"]


def test_r1_general_household_not_monitored_is_out_of_scope():
    out = run([hh(registered=False, poverty_status=None)], [person()])
    assert out.outlet.height == 0 and out.income.height == 0


def test_r1_student_is_not_in_the_labour_registry():
    out = run([hh()], [person(school_status="高中", birth=date(2005, 3, 1))])
    assert out.outlet.height == 0


# Edge case 1: a man of 60 at as_of in, 61 out; a woman 55 in, 56 out; 16th birthday on as_of in.
@pytest.mark.parametrize(("birth", "sex", "inside"), [
    (date(YEAR - 60, 12, 31), "男", True), (date(YEAR - 61, 12, 31), "男", False),
    (date(YEAR - 55, 12, 31), "女", True), (date(YEAR - 56, 12, 31), "女", False),
    (date(YEAR - 16, 12, 31), "男", True), (date(YEAR - 15, 1, 1), "男", False),
])
def test_edge1_labour_registry_age_bounds_by_sex_from_the_id(birth, sex, inside):
    out = run([hh()], [person(birth=birth, sex=sex)])
    assert (out.outlet.height == 1) is inside


# Edge case 2: a member died in June holding an open 公益性岗位: not in R1; R2 covered.
def test_edge2_dead_post_holder_not_in_r1_but_household_income_covered():
    dead = person(member_status="死亡", relationship="之子", name="李四")
    head = person(labour="丧失劳动力")
    out = run([hh()], [head, dead], measures=[
        measure(subtype="乡村公益性岗位", amount=600.0, id_number=dead["id_number"], start=date(YEAR - 1, 3, 1),
                status="实施中")])
    assert out.outlet.height == 0
    assert status(out.income, household_id="H1") == "covered"


# Edge case 3: a member 迁出 mid-year with a member-level 产业奖补: not in R1; R2 of his
# year-Y household counts it (here the measure names another household number).
def test_edge3_moved_out_member_measure_counts_for_his_year_y_household():
    gone = person(member_status="迁出", relationship="之子")
    out = run([hh(), hh("H2")], [person(labour="无劳动力"), gone, person("H2", labour="无劳动力")],
              measures=[measure("H2", "创业扶持", id_number=gone["id_number"])])
    assert out.outlet.height == 0
    assert status(out.income, household_id="H1") == "covered"
    assert status(out.income, household_id="H2") == "uncovered"


# Edge case 4 (the rules' part): member-level records follow the person, household-level stay.
def test_edge4_split_household_member_records_follow_the_person():
    p = person("B", relationship="户主")
    households = [hh("A"), hh("B")]
    members = [person("A"), p]
    out = run(households, members, measures=[
        measure("A", "转移就业", amount=None, id_number=p["id_number"], status="实施中"),  # filed under A
        measure("A", "产业奖补")])
    assert out.outlet.filter(id_number=p["id_number"])["channels"].to_list() == ["measure"]
    a_member = members[0]["id_number"]
    assert out.outlet.filter(id_number=a_member)["channels"].to_list() == ["household_measure"]


# Edge case 10: 产业奖补 with 金额 0 does not count; 小额信贷 alone: R1 household_measure, not R2.
def test_edge10_zero_amount_does_not_count_anywhere():
    out = run([hh()], [person()], measures=[measure(amount=0.0)])
    assert out.outlet["status"].to_list() == ["uncovered"]
    assert status(out.income, household_id="H1") == "uncovered"


def test_edge10_micro_credit_alone_is_an_outlet_not_income():
    out = run([hh()], [person()], measures=[measure(subtype="小额信贷", amount=30000.0)])
    assert out.outlet["channels"].to_list() == ["household_measure"]
    assert status(out.income, household_id="H1") == "uncovered"


def test_planned_or_cancelled_measures_do_not_count():
    out = run([hh()], [person()], measures=[measure(status="计划"), measure(subtype="到户产业项目", status="已取消")])
    assert status(out.income, household_id="H1") == "uncovered"


def test_measures_outside_the_window_do_not_count():
    out = run([hh()], [person()], measures=[measure(start=date(YEAR - 1, 12, 31))], as_of=date(YEAR, 6, 30))
    assert status(out.income, household_id="H1") == "uncovered"
    out = run([hh()], [person()], measures=[measure(start=date(YEAR, 7, 1))], as_of=date(YEAR, 6, 30))
    assert status(out.income, household_id="H1") == "uncovered"


def test_reading_one_off_measure_lies_on_its_start_date_only_end_date_ignored():
    out = run([hh()], [person()], measures=[measure(start=date(YEAR - 1, 12, 1), end=date(YEAR, 12, 31))])
    assert status(out.income, household_id="H1") == "uncovered"


def test_continuing_measure_started_earlier_and_open_counts():
    out = run([hh()], [person()], measures=[measure(subtype="低保", amount=400.0, start=date(2019, 1, 1), status="实施中")])
    assert out.safety_net.height == 0  # the member has labour
    assert status(out.income, household_id="H1") == "uncovered"  # 低保 is not 收益类


# --- R2 ---------------------------------------------------------------------------------------

def test_r2_dividend_gives_income_and_mechanism_with_total():
    out = run([hh()], [person()], dividends=[{"project_id": "P1", "household_id": "H1", "year": YEAR, "amount": 800.0,
                                              "paid_on": date(YEAR, 6, 1)},
                                             {"project_id": "P1", "household_id": "H1", "year": YEAR, "amount": 200.0,
                                              "paid_on": date(YEAR, 12, 1)}])
    row = out.income.row(0, named=True)
    assert (row["status"], row["channels"], row["mechanism"], row["dividend_total"]) == ("covered", "dividend", True, 1000.0)


def test_r2_asset_income_measure_is_a_mechanism():
    out = run([hh()], [person()], measures=[measure(subtype="光伏收益分配", amount=500.0)])
    row = out.income.row(0, named=True)
    assert (row["status"], row["mechanism"]) == ("covered", True)


# Edge case 11: a 2021 dividend paid 2022-02-15 counts for R2 of 2022, not 2021; without 发放日期 on 2021-12-31.
def test_edge11_dividend_counts_on_its_payment_date():
    div = {"project_id": "P1", "household_id": "H1", "year": 2021, "amount": 500.0, "paid_on": date(2022, 2, 15)}
    for year, expected in ((2021, "uncovered"), (2022, "covered")):
        out = run([hh(year=year)], [person(year=year)], dividends=[div], year=year)
        assert status(out.income, household_id="H1") == expected
    undated = {**div, "paid_on": None}
    assert status(run([hh(year=2021)], [person(year=2021)], dividends=[undated], year=2021).income, household_id="H1") == "covered"
    assert status(run([hh()], [person()], dividends=[undated], year=2022).income, household_id="H1") == "uncovered"


def test_r2_placement_of_a_member_covers_the_household():
    p = person()
    out = run([hh()], [p], placements=[{"id_number": p["id_number"], "household_id": "H1", "employer": "厂",
                                         "place": "乡镇内", "start": date(YEAR, 5, 1)}])
    assert out.income["channels"].to_list() == ["placement"]


def test_r2_monitored_general_household_is_in_scope():
    out = run([hh(registered=False, poverty_status=None, monitoring_category="边缘易致贫户", monitoring_since="2022-01",
                  risk_eliminated=False)], [person()])
    assert out.income.height == 1


# --- R3 ---------------------------------------------------------------------------------------

def monitored(**fields) -> dict:
    return hh(monitoring_category="脱贫不稳定户", monitoring_since=fields.pop("since", "2021-03"), risk_eliminated=False,
              **fields)


# Edge case 8.
@pytest.mark.parametrize(("start", "expected", "days"), [(date(2021, 3, 31), "met", 30), (date(2021, 4, 1), "late", 31)])
def test_edge8_r3_measure_on_the_deadline_is_met_a_day_later_is_late(start, expected, days):
    out = run([monitored(year=2021)], [person(year=2021)], measures=[measure(start=start)], year=2021)
    row = out.developmental.row(0, named=True)
    assert (row["identified_on"], row["deadline"]) == (date(2021, 3, 1), date(2021, 3, 31))
    assert (row["status"], row["days"]) == (expected, days)


def test_edge8_r3_public_post_held_since_2020_is_met_on_identification():
    p = person(year=2021)
    out = run([monitored(year=2021)], [p], year=2021, measures=[
        measure(subtype="乡村公益性岗位", amount=600.0, id_number=p["id_number"], start=date(2020, 5, 1), status="实施中")])
    row = out.developmental.row(0, named=True)
    assert (row["status"], row["first_on"], row["days"]) == ("met", date(2021, 3, 1), 0)


@pytest.mark.parametrize("subtype", ["技能培训", "产业技术服务", "资产收益分红"])
def test_edge8_r3_training_service_or_dividend_alone_is_missing(subtype):
    p = person(year=2021)
    m = measure(subtype=subtype, amount=300.0, start=date(2021, 3, 10),
                **({"id_number": p["id_number"]} if subtype == "技能培训" else {}))
    out = run([monitored(year=2021)], [p], measures=[m], year=2021)
    assert out.developmental["status"].to_list() == ["missing"]


def test_r3_pending_before_the_deadline_and_lead_date_wins():
    out = run([monitored(year=2021, since="2021-12")], [person(year=2021)], year=2021, as_of=date(2021, 12, 20))
    assert out.developmental["status"].to_list() == ["pending"]
    leads = pl.DataFrame({"household_id": ["H1"], "identified_on": [date(2021, 11, 1)]})
    out = run([monitored(year=2021, since="2021-12")], [person(year=2021)], year=2021, as_of=date(2021, 12, 20), leads=leads)
    assert out.developmental.row(0, named=True)["identified_on"] == date(2021, 11, 1)
    assert out.developmental["status"].to_list() == ["missing"]


def test_reading_r3_ignores_records_that_start_after_as_of():
    out = run([monitored(year=2021, since="2021-12")], [person(year=2021)], year=2021, as_of=date(2021, 12, 10),
              measures=[measure(start=date(2021, 12, 20))])
    assert out.developmental["status"].to_list() == ["pending"]


def test_r3_only_households_with_a_living_labour_member():
    out = run([monitored(year=2021)], [person(year=2021, labour="丧失劳动力")], year=2021)
    assert out.developmental.height == 0


# --- R4 ---------------------------------------------------------------------------------------

# Edge case 9: every member 丧失劳动力, one on 低保: R4 covered, no R3 or R1 rows.
def test_edge9_no_labour_household_on_dibao_is_covered_without_r1_or_r3():
    out = run([monitored(year=2021)], [person(year=2021, labour="丧失劳动力", dibao=True),
                                       person(year=2021, labour="无劳动力", relationship="配偶", sex="女")], year=2021)
    assert out.safety_net.row(0, named=True)["status"] == "covered"
    assert out.safety_net["channels"].to_list() == ["dibao"]
    assert out.outlet.height == 0 and out.developmental.height == 0


def test_edge9_member_with_empty_labour_keeps_household_out_of_r4_and_himself_out_of_r1():
    out = run([hh()], [person(labour="丧失劳动力"), person(labour=None, relationship="之子")])
    assert out.safety_net.height == 0 and out.outlet.height == 0


def test_r4_safety_net_measure_counts_and_uncovered_otherwise():
    out = run([hh(), hh("H2")], [person(labour="无劳动力"), person("H2", labour="无劳动力")],
              measures=[measure("H1", "临时救助", amount=500.0)])
    assert status(out.safety_net, household_id="H1") == "covered"
    assert status(out.safety_net, household_id="H2") == "uncovered"


# Edge case 12: a wide-layout (year-level) measure counts as its flags say; R3 met_undated.
def test_edge12_wide_layout_measure_counts_and_gives_met_undated():
    wide = {"start": None, "amount": None, "year": 2021, "wide": True, "responsible_unit": "（系统导出）"}
    out = run([monitored(year=2021)], [person(year=2021)], year=2021,
              measures=[measure(subtype="产业奖补", **wide)])
    assert out.developmental["status"].to_list() == ["met_undated"]
    assert status(out.income, household_id="H1") == "covered"
    assert out.outlet["channels"].to_list() == ["household_measure"]
    out = run([hh(year=2021)], [person(year=2021, labour="无劳动力")], year=2021, measures=[measure(subtype="低保", **wide)])
    assert out.safety_net["status"].to_list() == ["covered"]


# --- R9 ---------------------------------------------------------------------------------------

def test_r9_b13_assistance_above_registry_item_beyond_tolerance():
    h = hh(transfer_income=1000.0)
    out = run([h], [person()], measures=[measure(subtype="临时救助", amount=1000.9)])
    assert out.findings.height == 0  # within the 1-yuan tolerance
    out = run([h], [person()], measures=[measure(subtype="临时救助", amount=1001.5)])
    assert out.findings["code"].to_list() == ["B13"]


def test_r9_continuing_money_measure_counts_months_of_the_window_touched():
    h = hh(transfer_income=2400.0)
    dibao = measure(subtype="低保", amount=300.0, start=date(YEAR, 5, 20), status="实施中")
    assert run([h], [person()], measures=[dibao]).findings.height == 0  # 8 months × 300 = 2400
    out = run([h], [person()], measures=[{**dibao, "start": date(YEAR, 4, 30)}])  # 9 months = 2700
    assert out.findings["code"].to_list() == ["B13"]


def test_r9_registry_item_empty_is_not_compared():
    out = run([hh(business_income=None)], [person()], measures=[measure(amount=99999.0)])
    assert out.findings.height == 0


def test_r9_b14_job_and_no_wage_income():
    p = person()
    out = run([hh(wage_income=0.0)], [p], placements=[
        {"id_number": p["id_number"], "household_id": "H1", "employer": "厂", "place": "省外", "start": date(YEAR, 3, 1)}])
    assert out.findings["code"].to_list() == ["B14"]
    assert out.findings["id_number"].to_list() == [p["id_number"]]


def test_r9_public_post_placement_counts_as_wage_income():
    p = person()
    out = run([hh(wage_income=100.0)], [p], posts=[{"post_id": "G1", "name": "保洁", "kind": "公益性岗位", "monthly_pay": 500.0}],
              placements=[{"id_number": p["id_number"], "household_id": "H1", "post_id": "G1", "start": date(YEAR, 12, 1)}])
    # The holding also meets R7 (B04 able-bodied holder, B11 no insurance): only R9 is asked here.
    assert out.findings.filter(pl.col("code").is_in(["B13", "B14"]))["code"].to_list() == ["B13"]  # 1 month × 500 > 100


# --- coverage (3.11) ----------------------------------------------------------------------------

def test_coverage_levels_add_numerators_and_denominators_never_rates():
    other = "500101002201"
    out = run([hh(), hh("H2"), hh("H3", region_code=other)],
              [person(), person("H2"), person("H3")], measures=[measure("H1"), measure("H3")])
    cov = coverage(out)
    income = cov.filter(rule="income")
    village = {r["region_code"]: (r["numerator"], r["denominator"]) for r in income.filter(level="village").to_dicts()}
    assert village == {"500101001201": (1, 2), other: (1, 1)}
    county = income.filter(level="county").row(0, named=True)
    assert (county["numerator"], county["denominator"], county["rate"], county["uncovered"]) == (2, 3, 0.6667, 1)
    assert set(cov["level"]) == {"province", "city", "county", "town", "village"}


def test_coverage_region_prefix_leaves_out_the_levels_above_it():
    out = run([hh()], [person()])
    assert set(coverage(out, region="500101")["level"]) == {"county", "town", "village"}


def test_coverage_rate_is_rounded_half_up_and_empty_without_denominator():
    frame = pl.DataFrame({"n": [1, 2, 0, 1], "d": [3, 3, 0, 80000]})
    assert frame.select(rate(pl.col("n"), pl.col("d")))["n"].to_list() == [0.3333, 0.6667, None, 0.0]
    assert pl.DataFrame({"n": [5], "d": [100000]}).select(rate(pl.col("n"), pl.col("d"))).item() == 0.0001


def test_coverage_outlet_excludes_no_demand_and_developmental_excludes_pending():
    p1, p2 = person(), person("H2")
    out = run([hh(), hh("H2")], [p1, p2], labour=[{"id_number": p2["id_number"], "year": YEAR, "willing": "无"}])
    row = coverage(out).filter(rule="outlet", level="county").row(0, named=True)
    assert (row["numerator"], row["denominator"], row["excluded"]) == (0, 1, 1)


def test_uncovered_lists_name_the_member_for_r1_only():
    out = run([hh()], [person(name="王五")])
    lists = uncovered(out)
    assert lists["outlet"]["name"].to_list() == ["王五"] and lists["outlet"]["head_name"].to_list() == ["王五"]
    assert lists["income"]["name"].to_list() == [None]


def test_catalogue_default_has_sources_and_implicit_other_subtypes():
    cat = Catalogue.default().frame
    assert cat["source"].null_count() == 0 and (cat["source"] != "").all()
    assert "其他产业帮扶" in cat["subtype"].to_list()
    assert cat.filter(pl.col("outlet") & (pl.col("mode") == "保障式")).height == 0
