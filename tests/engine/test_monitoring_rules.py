"""rules.md sections 2 (monitoring leads) and 3 (risk elimination).

The Chongqing example policy gives 2024: monitoring line 7500, D = 20820 (so the medical
limits are 10410 registered / 20820 others), education_cost_max 10000, income_drop_share 0.3.
"""

from __future__ import annotations

from datetime import date

import pytest

from fupin.engine.policy import PolicyMissing
from tests.engine.engine_helpers import household, member, one, policy

ML = 7500.0


def hh(per_capita: float = 20000.0, **kw):
    return household(**{"wage_income": per_capita, **kw})


def risks(r) -> list[str]:
    return [k for k in r["risk_factors"].split(";") if k]


# --- risk factors ------------------------------------------------------------------------------

@pytest.mark.parametrize("registered,amount,present", [
    (True, 10410.0, False), (True, 10410.01, True),
    (False, 20820.0, False), (False, 20820.01, True),
    (None, 20000.0, False),   # reading: empty 是否建档立卡 is "other" (1.0 × D)
])
def test_risk_medical_cost_above_share_of_d_registered_half_others_full(registered, amount, present):
    r = one(hh(registered=registered, medical_out_of_pocket=amount,
               poverty_status="已脱贫" if registered else None))
    assert ("medical_cost" in risks(r)) is present
    assert r["detail_medical_cost_limit"] == (10410.0 if registered else 20820.0)


@pytest.mark.parametrize("amount,present", [(10000.0, False), (10000.5, True), (None, False)])
def test_risk_education_cost_above_max(amount, present):
    assert ("education_cost" in risks(one(hh(education_out_of_pocket=amount)))) is present


@pytest.mark.parametrize("loss,present", [(0.0, False), (0.01, True), (None, False)])
def test_risk_disaster_any_loss(loss, present):
    assert ("disaster" in risks(one(hh(disaster_loss=loss)))) is present


@pytest.mark.parametrize("net,prior,present", [
    (6999.0, 10000.0, True),    # < 0.7 × 10000
    (7000.0, 10000.0, False),   # exactly 0.7 × prior is not a drop
    (1000.0, 0.0, False),       # prior must be > 0
    (1000.0, None, False),
])
def test_risk_income_drop_below_share_of_prior_income(net, prior, present):
    assert ("income_drop" in risks(one(hh(net, prior_net_income=prior)))) is present


def test_risk_income_drop_absent_when_net_income_unknown():
    r = one(hh(prior_net_income=10000.0, wage_income=None))
    assert "income_drop" not in risks(r)


def test_risk_serious_illness_living_member_only():
    assert "serious_illness" in risks(one(hh(), [member(health="患有大病")]))
    r = one(hh(), [member(), member(name="亡", health="患有大病", member_status="死亡")])
    assert "serious_illness" not in risks(r)


@pytest.mark.parametrize("grade,present", [("一级", True), ("二级", True), ("三级", False), ("四级", False),
                                           (None, False)])
def test_risk_severe_disability_grade_one_or_two(grade, present):
    r = one(hh(), [member(), member(name="残", relationship="之子", health="残疾", disability_grade=grade)])
    assert ("severe_disability" in risks(r)) is present


def test_risk_no_labour_when_every_living_member_lost_or_without_labour():
    ms = [member(labour="丧失劳动力"), member(name="乙", relationship="配偶", sex="女", labour="无劳动力")]
    assert "no_labour" in risks(one(hh(), ms))
    ms.append(member(name="丙", relationship="之子", labour="弱劳动力或半劳动力"))
    assert "no_labour" not in risks(one(hh(), ms))


def test_risk_no_labour_ignores_member_who_moved_out():
    ms = [member(labour="丧失劳动力"), member(name="外", relationship="之子", labour="普通劳动力", member_status="迁出")]
    assert "no_labour" in risks(one(hh(), ms))


def test_risk_no_labour_absent_when_a_members_labour_is_empty():
    ms = [member(labour="丧失劳动力"), member(name="乙", relationship="配偶", sex="女", labour=None)]
    assert "no_labour" not in risks(one(hh(), ms))


@pytest.mark.parametrize("change,present", [
    (dict(housing_grade="D"), True), (dict(water_safe=False), True),
    (dict(food_secure=False), False), (dict(water_safe=None), False),
])
def test_risk_guarantee_gap_education_medical_housing_water_unmet(change, present):
    assert ("guarantee_gap" in risks(one(hh(**change)))) is present


def test_risk_guarantee_gap_from_member_indicators():
    assert "guarantee_gap" in risks(one(hh(), [member(medical_insurance="未参保")]))


def test_risk_factors_listed_in_spec_order():
    h = hh(3000.0, medical_out_of_pocket=30000.0, education_out_of_pocket=20000.0, disaster_loss=5.0,
           prior_net_income=50000.0, housing_grade="D")
    ms = [member(health="患有大病", labour="丧失劳动力"),
          member(name="乙", relationship="配偶", sex="女", health="残疾", disability_grade="一级", labour="无劳动力")]
    r = one(h, ms)
    assert r["risk_factors"] == ("medical_cost;education_cost;disaster;income_drop;serious_illness;"
                                 "severe_disability;no_labour;guarantee_gap")


def test_risk_factors_computed_for_households_in_poverty_but_no_category():
    r = one(hh(3000.0, registered=True, poverty_status="未脱贫", disaster_loss=100.0))
    assert r["risk_factors"] == "disaster"
    assert r["monitoring_category"] == ""


# --- categories -------------------------------------------------------------------------------

def test_category_unstable_registered_below_line_with_risk():
    r = one(hh(7499.0, registered=True, poverty_status="已脱贫", disaster_loss=10.0))
    assert r["monitoring_category"] == "unstable"


def test_category_needs_income_strictly_below_monitoring_line():
    r = one(hh(ML, registered=True, poverty_status="已脱贫", disaster_loss=10.0))
    assert r["monitoring_category"] == "none"


def test_category_below_line_without_risk_is_none():
    assert one(hh(5000.0, registered=True, poverty_status="已脱贫"))["monitoring_category"] == "none"


def test_category_marginal_not_registered_below_line_with_risk():
    assert one(hh(7000.0, registered=False, disaster_loss=10.0))["monitoring_category"] == "marginal"


def test_category_unstable_takes_precedence_over_sudden():
    # rigid expenses exceed prior income (sudden) but unstable comes first
    h = hh(7000.0, registered=True, poverty_status="已脱贫", medical_out_of_pocket=20000.0, prior_net_income=10000.0)
    assert one(h)["monitoring_category"] == "unstable"


def test_category_marginal_takes_precedence_over_sudden():
    h = hh(7000.0, registered=False, medical_out_of_pocket=21000.0, prior_net_income=10000.0)
    assert one(h)["monitoring_category"] == "marginal"


def test_category_sudden_rigid_expenses_above_prior_income():
    h = hh(30000.0, medical_out_of_pocket=15000.0, education_out_of_pocket=5000.0, disaster_loss=0.0,
           prior_net_income=19999.0)
    assert one(h)["monitoring_category"] == "sudden"
    assert one({**h, "prior_net_income": 20000.0})["monitoring_category"] == "none"


def test_category_sudden_rigid_expenses_above_net_income_when_prior_empty():
    h = hh(30000.0, medical_out_of_pocket=15000.0, education_out_of_pocket=15001.0, prior_net_income=None)
    assert one(h)["monitoring_category"] == "sudden"
    assert one({**h, "education_out_of_pocket": 15000.0})["monitoring_category"] == "none"


def test_category_sudden_income_drop_with_remaining_income_below_line():
    # net 20000 < 0.7 × 40000; (20000 − 13000) / 1 = 7000 < 7500 → sudden
    h = hh(20000.0, prior_net_income=40000.0, education_out_of_pocket=13000.0)
    assert one(h)["monitoring_category"] == "sudden"
    h2 = {**h, "education_out_of_pocket": 12500.0}   # 7500, not below
    assert one(h2)["monitoring_category"] == "none"


def test_category_unknown_when_net_income_unknown():
    assert one(hh(wage_income=None))["monitoring_category"] == "unknown"


def test_category_monitored_for_currently_monitored_household():
    h = hh(registered=True, poverty_status="已脱贫", monitoring_category="脱贫不稳定户",
           monitoring_since="2024-01", risk_eliminated=False)
    assert one(h)["monitoring_category"] == "monitored"


def test_category_monitored_when_risk_eliminated_is_empty():
    h = hh(monitoring_category="边缘易致贫户", monitoring_since="2024-01", risk_eliminated=None)
    assert one(h)["monitoring_category"] == "monitored"


def test_category_evaluated_again_after_risk_eliminated():
    h = hh(5000.0, monitoring_category="边缘易致贫户", monitoring_since="2023-01", risk_eliminated=True,
           risk_eliminated_at="2023-12", disaster_loss=1.0)
    assert one(h)["monitoring_category"] == "marginal"


@pytest.mark.parametrize("status", ["未脱贫", "返贫"])
def test_category_empty_for_households_in_poverty(status):
    assert one(hh(1000.0, registered=True, poverty_status=status, disaster_loss=1.0))["monitoring_category"] == ""


# --- monitoring applicability ------------------------------------------------------------------

def test_monitoring_not_evaluated_before_2020():
    h = household(year=2016, wage_income=5000.0, disaster_loss=100.0)
    r = one(h, [member(year=2016)], year=2016, policy_set=policy())
    assert (r["monitoring_category"], r["risk_factors"], r["elimination"]) == ("", "", "")
    assert r["monitoring_line"] is None
    assert r["income"] == "met"


def test_monitoring_evaluated_in_2020_with_national_line():
    h = household(year=2020, wage_income=5000.0, disaster_loss=100.0)
    r = one(h, [member(year=2020)], year=2020, policy_set=policy("national"))
    assert r["monitoring_line"] == 6000.0
    assert r["monitoring_category"] == "marginal"


def test_missing_monitoring_line_2022_chongqing_national_only_is_an_error_naming_year_and_province():
    h = household(year=2022)
    with pytest.raises(PolicyMissing) as exc:
        one(h, [member(year=2022)], year=2022, policy_set=policy("national"))
    msg = str(exc.value)
    assert "monitoring_line" in msg and "2022" in msg and "50" in msg and "重庆市" in msg


def test_missing_poverty_line_2018_is_an_error():
    h = household(year=2018)
    with pytest.raises(PolicyMissing, match="poverty_line"):
        one(h, [member(year=2018)], year=2018, policy_set=policy("national"))


# --- risk elimination --------------------------------------------------------------------------

def monitored(per_capita=9000.0, since="2024-06", **kw):
    return hh(per_capita, registered=True, poverty_status="已脱贫", monitoring_category="脱贫不稳定户",
              monitoring_since=since, risk_eliminated=False, **kw)


def test_elimination_ready_when_all_conditions_hold():
    r = one(monitored())
    assert (r["elimination"], r["elimination_failed"]) == ("ready", "")


def test_elimination_income_at_monitoring_line_is_enough():
    assert one(monitored(ML))["elimination"] == "ready"
    assert one(monitored(ML - 0.01))["elimination_failed"] == "income"


def test_elimination_income_unknown_fails():
    assert one(monitored(wage_income=None))["elimination_failed"] == "income;standard"


def test_elimination_standard_fails_on_unknown_indicator_too():
    assert one(monitored(food_secure=None))["elimination_failed"] == "standard"
    assert one(monitored(housing_grade="D"))["elimination_failed"] == "standard"


@pytest.mark.parametrize("change", [dict(medical_out_of_pocket=30000.0), dict(education_out_of_pocket=10001.0),
                                    dict(disaster_loss=1.0), dict(prior_net_income=20000.0)])
def test_elimination_risk_fails_on_cost_disaster_or_income_drop(change):
    assert one(monitored(**change))["elimination_failed"] == "risk"


def test_elimination_serious_illness_alone_does_not_block():
    assert one(monitored(), [member(health="患有大病")])["elimination"] == "ready"


@pytest.mark.parametrize("since,as_of,ok", [
    ("2024-06", date(2024, 12, 31), True),    # 6 whole months
    ("2024-07", date(2024, 12, 31), False),   # 5
    ("2024-06", date(2024, 12, 1), True),     # 1 June → 1 December: 6
    ("2024-06", date(2024, 11, 30), False),
    (None, date(2024, 12, 31), False),
])
def test_elimination_months_from_identification_month_to_assessment_date(since, as_of, ok):
    r = one(monitored(since=since), as_of=as_of)
    assert ("months" in r["elimination_failed"].split(";")) is not ok


def test_elimination_no_labour_household_stays_monitored():
    r = one(monitored(), [member(labour="丧失劳动力")])
    assert r["elimination_failed"] == "no_labour"


def test_elimination_failed_conditions_listed_in_order():
    h = monitored(5000.0, since="2024-12", disaster_loss=1.0, housing_grade="D")
    r = one(h, [member(labour="无劳动力")])
    assert r["elimination_failed"] == "income;standard;risk;months;no_labour"
    assert r["elimination"] == "not_ready"


def test_elimination_empty_for_households_not_monitored():
    assert (one(hh())["elimination"], one(hh())["elimination_failed"]) == ("", "")


def test_quick_elimination_flagged_when_fewer_than_two_whole_months_after_identification():
    # Reading: "within 2 months" of whole months (rules.md Terms) is fewer than 2 — the same
    # rule the workflow applies to a 帮扶消除 (tests/monitoring/test_workflow.py).
    h = hh(monitoring_category="边缘易致贫户", monitoring_since="2024-03", risk_eliminated=True,
           risk_eliminated_at="2024-04")
    assert one(h)["detail_quick_elimination"] is True
    assert one({**h, "risk_eliminated_at": "2024-03"})["detail_quick_elimination"] is True
    assert one({**h, "risk_eliminated_at": "2024-05"})["detail_quick_elimination"] is False
