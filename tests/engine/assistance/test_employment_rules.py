"""R7 (公益性岗位 checks B01–B07, B10–B12), R10 (送工送岗 offers) and the 复工 rate of
spec/assistance.md, with edge cases 2, 13 and 15 of section 6."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine.assistance import employment as E
from fupin.engine.assistance.rules import Ledger, evaluate
from fupin.engine.policy import load_policies
from tests.engine.assistance.assist_helpers import (
    REGION,
    YEAR,
    hh,
    measure,
    person,
    table,
)
from tests.engine.engine_helpers import frame

AS_OF = date(YEAR, 12, 31)
WEAK = "弱劳动力或半劳动力"


def post(pid: str = "G1", kind: str = "公益性岗位", **fields) -> dict:
    return {"post_id": pid, "name": fields.pop("name", f"岗位{pid}"), "kind": kind,
            "public_post_type": fields.pop("public_post_type", "保洁员" if kind == "公益性岗位" else None),
            "employer": fields.pop("employer", "某镇政府"), "region_code": fields.pop("region_code", REGION),
            "place": fields.pop("place", "乡镇内"), "monthly_pay": fields.pop("monthly_pay", 500.0),
            "accident_insurance": fields.pop("accident_insurance", True), "planned": fields.pop("planned", 1),
            "published_on": fields.pop("published_on", date(YEAR, 1, 1)), **fields}


def job(p: dict, pid: str | None = "G1", start: date = date(YEAR, 3, 1), **fields) -> dict:
    return {"id_number": p["id_number"], "household_id": fields.pop("household_id", p["household_id"]),
            "post_id": pid, "start": start, **fields}


def run(households, members, *, posts=(), placements=(), measures=(), labour=(), as_of=AS_OF, changed=None,
        policy=None):
    mem = frame("members", members)
    if changed is not None:  # 人员状态变动日期 (1.8), by ID number
        mem = mem.with_columns(status_changed_on=pl.col("id_number").replace_strict(
            changed, default=None, return_dtype=pl.Date))
    ledger = Ledger(measures=table("measures", list(measures)), placements=table("placements", list(placements)),
                    posts=table("posts", list(posts)), labour=table("labour", list(labour)))
    return evaluate(frame("households", households), mem, ledger, year=YEAR, policy=policy or load_policies(),
                    as_of=as_of)


def codes(out, code: str) -> pl.DataFrame:
    return out.findings.filter(pl.col("code") == code)


def holder(**fields) -> dict:
    return person(labour=fields.pop("labour", WEAK), **fields)


# --- R7 ----------------------------------------------------------------------------------------

def test_a_weak_insured_holder_of_a_registered_household_gives_no_r7_finding():
    p = holder()
    out = run([hh()], [p], posts=[post()], placements=[job(p)])
    assert out.findings.filter(pl.col("code").is_in(list(E.SEVERITY))).height == 0


def test_b01_holder_in_no_household_of_the_year():
    p = holder()
    stranger = {**p, "id_number": "500101198001010011"}
    out = run([hh()], [p], posts=[post()], placements=[job(stranger)])
    assert codes(out, "B01")["severity"].to_list() == ["error"]


def test_b02_holder_in_a_general_household_never_monitored_edge_case_13():
    p = holder()
    out = run([hh(registered=False, poverty_status=None)], [p], posts=[post()], placements=[job(p)])
    b02 = codes(out, "B02")
    assert b02.height == 1 and "风险已消除" not in b02["message_zh"][0]


def test_b02_says_risk_eliminated_when_the_monitoring_risk_was_eliminated_edge_case_13():
    p = holder()
    out = run([hh(registered=False, poverty_status=None, monitoring_category="边缘易致贫户", risk_eliminated=True)], [p],
              posts=[post()], placements=[job(p)])
    assert "风险已消除" in codes(out, "B02")["message_zh"][0]


def test_b02_not_for_a_currently_monitored_household():
    p = holder()
    out = run([hh(registered=False, poverty_status=None, monitoring_category="边缘易致贫户")], [p],
              posts=[post()], placements=[job(p)])
    assert codes(out, "B02").height == 0


def test_b03_holder_without_labour_capacity_is_an_error():
    p = holder(labour="丧失劳动力")
    out = run([hh()], [p], posts=[post()], placements=[job(p)])
    assert codes(out, "B03")["severity"].to_list() == ["error"]


def test_b04_able_bodied_holder_is_a_warning():
    p = holder(labour="技能劳动力")
    out = run([hh()], [p], posts=[post()], placements=[job(p)])
    assert codes(out, "B04")["severity"].to_list() == ["warning"]


def test_b05_age_at_the_holding_start_against_16_to_65():
    young, ok, old = (holder(birth=date(YEAR - 16, 3, 2)), holder(birth=date(YEAR - 65, 3, 1)),
                      holder(birth=date(YEAR - 66, 2, 28)))
    out = run([hh()], [young, ok, old], posts=[post(planned=3)], placements=[job(young), job(ok), job(old)])
    assert sorted(codes(out, "B05")["id_number"].to_list()) == sorted([young["id_number"], old["id_number"]])


def test_b06_two_public_posts_overlapping_one_day():
    p = holder()
    out = run([hh()], [p], posts=[post("G1"), post("G2")],
              placements=[job(p, "G1", end=date(YEAR, 6, 1)), job(p, "G2", start=date(YEAR, 6, 1))])
    assert codes(out, "B06")["severity"].to_list() == ["error"]


def test_b06_not_when_one_post_ends_the_day_before_the_other_starts():
    p = holder()
    out = run([hh()], [p], posts=[post("G1"), post("G2")],
              placements=[job(p, "G1", end=date(YEAR, 5, 31)), job(p, "G2", start=date(YEAR, 6, 1))])
    assert codes(out, "B06").height == 0


def test_b06_a_measure_and_a_placement_of_one_post_are_recorded_twice_not_a_double_post():
    p = holder()
    out = run([hh()], [p], posts=[post()], placements=[job(p)],
              measures=[measure(subtype="公益性岗位", id_number=p["id_number"], amount=None, start=date(YEAR, 3, 1))])
    assert codes(out, "B06").height == 0


def test_b07_away_placement_overlapping_more_than_90_days():
    p, q = holder(), holder()
    out = run([hh()], [p, q], posts=[post(planned=2)], placements=[
        job(p), job(p, None, employer="厂", place="省外", start=date(YEAR, 4, 1), end=date(YEAR, 6, 30)),  # 91 days
        job(q), job(q, None, employer="厂", place="省外", start=date(YEAR, 4, 1), end=date(YEAR, 6, 29))])  # 90 days
    assert codes(out, "B07")["id_number"].to_list() == [p["id_number"]]


def test_b07_registry_work_away_three_months():
    p, q = holder(work_location="省外务工", work_months=3), holder(work_location="省外务工", work_months=2)
    out = run([hh()], [p, q], posts=[post(planned=2)], placements=[job(p), job(q)])
    assert codes(out, "B07")["id_number"].to_list() == [p["id_number"]]


def test_b10_dead_holder_with_an_open_post_counts_six_months_of_pay_edge_case_2():
    p = holder(member_status="死亡")
    out = run([hh()], [p], posts=[post()], placements=[job(p, start=date(YEAR - 1, 1, 1))],
              changed={p["id_number"]: date(YEAR, 6, 10)})
    b10 = codes(out, "B10")
    assert b10["severity"].to_list() == ["error"]
    assert "死亡" in b10["message_zh"][0] and "6 个月" in b10["message_zh"][0]
    # Edge case 2: not in R1 (dead), R2 still covered by the placement.
    assert p["id_number"] not in out.outlet["id_number"].to_list()
    assert out.income["status"].to_list() == ["covered"]


def test_b10_without_a_date_when_the_holding_is_active_on_as_of():
    p = holder(member_status="迁出")
    out = run([hh()], [p], posts=[post()], placements=[job(p)])
    assert "迁出" in codes(out, "B10")["message_zh"][0]


def test_b10_not_when_the_post_ended_before_the_status_changed():
    p = holder(member_status="死亡")
    out = run([hh()], [p], posts=[post()], placements=[job(p, end=date(YEAR, 5, 31))],
              changed={p["id_number"]: date(YEAR, 6, 10)})
    assert codes(out, "B10").height == 0


def test_b11_post_without_accident_insurance_empty_included():
    p, q = holder(), holder()
    out = run([hh()], [p, q], posts=[post("G1", accident_insurance=False), post("G2", accident_insurance=None)],
              placements=[job(p, "G1"), job(q, "G2")])
    assert sorted(codes(out, "B11")["ref"].to_list()) == ["G1", "G2"]


def test_b12_is_off_by_default_and_counts_holders_active_on_one_day_when_set(tmp_path):
    p, q = holder(), holder()
    placements = [job(p, "G1"), job(q, "G2", start=date(YEAR, 8, 1))]
    posts = [post("G1"), post("G2")]
    assert codes(run([hh()], [p, q], posts=posts, placements=placements), "B12").height == 0
    county = tmp_path / "county.toml"
    county.write_text('name = "county"\nversion = "1"\nextends = "national"\nregion = "500101"\n'
                      '[public_post_max_per_household]\ndefault = { value = 1, source = "一户一岗", confidence = "M" }\n',
                      encoding="utf-8")
    b12 = codes(run([hh()], [p, q], posts=posts, placements=placements, policy=load_policies([str(county)])), "B12")
    assert b12["message_zh"].to_list() == [f"本户 {YEAR}-08-01 起同时有 2 人在公益性岗位，超过每户 1 人"]


# --- R10 ---------------------------------------------------------------------------------------

def test_r10_offers_open_local_posts_sorted_by_place_then_pay_at_most_five():
    p = person(labour="普通劳动力")
    outlet = run([hh()], [p]).outlet
    posts = [post(f"P{i}", kind="企业岗位", place=pl_, monthly_pay=pay) for i, (pl_, pay) in enumerate([
        ("乡镇外县内", 3000.0), ("乡镇内", 2000.0), ("乡镇内", 2500.0), ("乡镇外县内", 3500.0), ("乡镇内", 2500.0),
        ("乡镇内", 1000.0)])]
    posts += [post("G9"), post("X1", kind="企业岗位", published_on=date(YEAR + 1, 1, 1)),
              post("X2", kind="企业岗位", region_code="510101001001")]
    got = E.offers(outlet, table("posts", posts), None, None, year=YEAR, as_of=AS_OF)
    assert got["post_id"].to_list() == ["P2", "P4", "P1", "P5", "P3"]
    assert got["rank"].to_list() == [1, 2, 3, 4, 5]


def test_r10_public_posts_only_for_weak_labour_and_away_posts_only_for_the_willing():
    able, weak = person(labour="普通劳动力"), person(labour=WEAK)
    outlet = run([hh()], [able, weak]).outlet
    posts = table("posts", [post("G1"), post("F1", kind="企业岗位", place="省外", region_code="440101001001")])
    got = E.offers(outlet, posts, None, table("labour", [{"id_number": weak["id_number"], "year": YEAR, "away": "均可"}]),
                   year=YEAR, as_of=AS_OF)
    by = {i: sorted(g["post_id"].drop_nulls().to_list()) for (i,), g in got.group_by("id_number")}
    assert by[weak["id_number"]] == ["F1", "G1"]
    assert by[able["id_number"]] == []   # listed once, with an empty post


def test_r10_a_post_filled_on_as_of_has_no_opening():
    p, holder_ = person(labour="普通劳动力"), person(labour=WEAK)
    outlet = run([hh()], [p]).outlet
    posts = table("posts", [post("E1", kind="企业岗位")])
    got = E.offers(outlet, posts, table("placements", [job(holder_, "E1")]), None, year=YEAR, as_of=AS_OF)
    assert got["post_id"].to_list() == [None]


# --- 复工 rate ----------------------------------------------------------------------------------

def test_return_rate_edge_case_15_old_migrant_without_row_and_new_migrant():
    old, new, idle = (person(year=YEAR), person(year=YEAR), person(year=YEAR))
    members = [old, new, idle,
               {**old, "year": YEAR - 1, "work_location": "省外务工", "work_months": 10},
               {**idle, "year": YEAR - 1, "work_location": "县外省内务工", "work_months": 6},
               {**new, "year": YEAR - 1, "work_location": "乡（镇）内务工", "work_months": 12}]
    migration = table("migration", [
        {"id_number": new["id_number"], "reported_on": date(YEAR, 3, 1), "state": "在外务工", "place": "省外"},
        {"id_number": idle["id_number"], "reported_on": date(YEAR, 2, 1), "state": "返乡未外出"}])
    got = E.return_rate(frame("households", [hh(), hh(year=YEAR - 1)]), frame("members", members), migration,
                        year=YEAR, on=date(YEAR, 3, 15), level="town")
    assert got.to_dicts() == [{"region_code": REGION[:9] + "000", "date": date(YEAR, 3, 15), "out_last_year": 2,
                               "out_now": 1, "rate": 0.5, "returned_idle": 1}]


def test_return_rate_status_is_the_latest_row_on_or_before_the_date_and_local_work_does_not_count():
    p, q = person(), person()
    members = [p, q, {**p, "year": YEAR - 1, "work_location": "省外务工", "work_months": 10}]
    migration = table("migration", [
        {"id_number": p["id_number"], "reported_on": date(YEAR, 2, 1), "state": "返乡未外出"},
        {"id_number": p["id_number"], "reported_on": date(YEAR, 4, 1), "state": "已返岗", "place": "省外"},
        {"id_number": q["id_number"], "reported_on": date(YEAR, 2, 1), "state": "在外务工", "place": "乡镇内"}])
    hhs, mem = frame("households", [hh()]), frame("members", members)
    early = E.return_rate(hhs, mem, migration, year=YEAR, on=date(YEAR, 3, 31), level="county")
    late = E.return_rate(hhs, mem, migration, year=YEAR, on=date(YEAR, 4, 1), level="county")
    assert (early["out_now"][0], early["returned_idle"][0], early["rate"][0]) == (0, 1, 0.0)
    assert (late["out_now"][0], late["returned_idle"][0], late["rate"][0]) == (1, 0, 1.0)
    assert late["region_code"][0] == REGION[:6] + "000000"
