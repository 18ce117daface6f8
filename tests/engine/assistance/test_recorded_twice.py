"""B17 (warning) of spec/assistance.md 3.12, recorded twice: two measures alike but for 措施编号
(户编号, 证件号码, 小类, 开始日期, 金额), or a 公益岗位帮扶 measure overlapping the same person's
placement on a 公益性岗位 post."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine.assistance import rules as R
from tests.engine.assistance.assist_helpers import YEAR, hh, measure, person, run
from tests.engine.assistance.test_employment_rules import holder, job, post
from tests.engine.assistance.test_employment_rules import run as run_posts


def b17(out) -> pl.DataFrame:
    return out.findings.filter(pl.col("code") == "B17")


def test_b17_is_a_registered_warning_with_chinese_and_english_titles():
    assert R.SEVERITY["B17"] == "warning"
    assert (R.label("B17"), R.label("B17", "en")) == ("帮扶记录重复登记", "assistance recorded twice")


def test_b17_two_measures_alike_but_for_the_measure_id():
    p = person()
    twin = {"id_number": p["id_number"], "subtype": "技能培训", "amount": None, "start": date(YEAR, 4, 1)}
    out = run([hh()], [p], measures=[measure(measure_id="M2", **twin), measure(measure_id="M1", **twin)])
    found = b17(out)
    assert found["ref"].to_list() == ["M2"]  # the copy after the first (by 措施编号) is the finding
    assert found["severity"].to_list() == ["warning"] and "M1" in found["message_zh"][0]
    assert found["household_id"].to_list() == ["H1"] and found["id_number"].to_list() == [p["id_number"]]


def test_b17_three_copies_give_two_findings_and_household_level_measures_count_too():
    out = run([hh()], [person()], measures=[measure(measure_id=m) for m in ("M1", "M2", "M3")])
    assert sorted(b17(out)["ref"].to_list()) == ["M2", "M3"]


def test_b17_year_level_measures_of_one_year_alike():
    alike = {"subtype": "危房改造", "start": None, "year": YEAR, "amount": 20000.0}
    out = run([hh()], [person()], measures=[measure(measure_id="M1", **alike), measure(measure_id="M2", **alike)])
    assert b17(out)["ref"].to_list() == ["M2"]


@pytest.mark.parametrize("field, other", [
    ("household_id", "H2"), ("id_number", "other person"), ("subtype", "到户产业项目"),
    ("start", date(YEAR, 3, 2)), ("amount", 1000.01),
])
def test_b17_not_when_the_measures_differ_in_any_one_of_the_five_fields(field, other):
    p, q = person(), person("H2")
    if other == "other person":
        other = person(birth=date(1985, 1, 1))["id_number"]
        p2 = {**p, "id_number": other, "relationship": "配偶", "name": "配偶"}
        members = [p, p2, q]
    else:
        members = [p, q]
    base = {"subtype": "产业奖补", "start": date(YEAR, 3, 1), "amount": 1000.0, "id_number": p["id_number"]}
    if field == "subtype":
        base["id_number"] = None  # 到户产业项目 is a household-level measure, like 产业奖补
    if field == "id_number":
        base["subtype"] = "创业扶持"  # a person-level measure
    if field == "household_id":
        base["id_number"] = None
    second = {**base, field: other}
    hid2 = second.pop("household_id", "H1")
    out = run([hh(), hh("H2")], members, measures=[measure(measure_id="M1", **base),
                                                   measure(hid2, measure_id="M2", **second)])
    assert b17(out).height == 0


def test_b17_not_for_a_measure_outside_the_year():
    old = {"start": date(YEAR - 1, 3, 1)}
    out = run([hh()], [person()], measures=[measure(measure_id="M1", **old), measure(measure_id="M2", **old)])
    assert b17(out).height == 0


def test_b17_a_public_post_measure_overlapping_the_persons_placement_on_a_public_post():
    p = holder()
    out = run_posts([hh()], [p], posts=[post()], placements=[job(p, start=date(YEAR, 3, 1))],
                    measures=[measure(measure_id="GM1", subtype="乡村公益性岗位", id_number=p["id_number"], amount=500.0,
                                      start=date(YEAR, 6, 1))])
    found = b17(out)
    assert found["ref"].to_list() == ["GM1"] and found["severity"].to_list() == ["warning"]
    assert "G1" in found["message_zh"][0]
    assert out.findings.filter(pl.col("code") == "B06").height == 0  # not a double post


def test_b17_not_when_the_public_post_measure_ends_before_the_placement_starts():
    p = holder()
    out = run_posts([hh()], [p], posts=[post()], placements=[job(p, start=date(YEAR, 6, 1))],
                    measures=[measure(measure_id="GM1", subtype="乡村公益性岗位", id_number=p["id_number"], amount=500.0,
                                      start=date(YEAR, 1, 1), end=date(YEAR, 5, 31))])
    assert b17(out).height == 0


def test_b17_not_for_a_placement_on_a_post_that_is_not_public():
    p = holder()
    out = run_posts([hh()], [p], posts=[post(kind="企业岗位")], placements=[job(p)],
                    measures=[measure(measure_id="GM1", subtype="乡村公益性岗位", id_number=p["id_number"], amount=500.0,
                                      start=date(YEAR, 3, 1))])
    assert b17(out).height == 0
