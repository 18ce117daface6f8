"""rules.md Terms and section 1: every row of the indicator table, with its boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.engine_helpers import household, member, one, run

AS_OF = date(2024, 12, 31)


# --- income ------------------------------------------------------------------------------

def income_household(per_capita: float, **kw):
    return household(wage_income=per_capita, business_income=0.0, property_income=0.0,
                     transfer_income=0.0, business_expense=0.0, **kw)


def test_income_unmet_when_exactly_at_the_line_strictly_above_is_met():
    assert one(income_household(4000.0))["income"] == "unmet"
    assert one(income_household(4000.01))["income"] == "met"
    assert one(income_household(3999.99))["income"] == "unmet"


def test_net_income_is_items_minus_business_expense_over_living_population():
    h = household(wage_income=6000.0, business_income=3000.0, property_income=500.0,
                  transfer_income=1000.0, business_expense=2500.0)
    r = one(h, [member(), member(name="妻", sex="女", relationship="配偶")])
    assert r["net_income"] == 8000.0
    assert r["per_capita_net_income"] == 4000.0
    assert r["income"] == "unmet"


def test_per_capita_income_not_rounded_before_comparison():
    # 12001 / 3 = 4000.333…: above the line only if not rounded down to 4000
    h = household(wage_income=12001.0)
    ms = [member(), member(name="乙", relationship="配偶", sex="女"), member(name="丙", relationship="之子")]
    r = one(h, ms)
    assert r["per_capita_net_income"] == pytest.approx(12001 / 3)
    assert r["income"] == "met"


@pytest.mark.parametrize("item", ["wage_income", "business_income", "property_income",
                                  "transfer_income", "business_expense"])
def test_income_unknown_when_any_single_income_item_is_empty(item):
    r = one(household(**{item: None}))
    assert r["income"] == "unknown"
    assert r["net_income"] is None and r["per_capita_net_income"] is None
    assert r["meets_standard"] == "unverified" and r["unknown"] == "income"


def test_reported_per_capita_income_used_when_all_income_items_are_empty():
    h = household(wage_income=None, business_income=None, property_income=None, transfer_income=None,
                  business_expense=None, reported_per_capita_income=5200.0)
    r = one(h, [member(), member(name="乙", relationship="配偶", sex="女")])
    assert r["per_capita_net_income"] == 5200.0
    assert r["net_income"] == 10400.0
    assert r["income"] == "met"
    assert r["detail_income_basis"] == "reported"


def test_reported_per_capita_income_ignored_when_some_income_item_is_given():
    h = household(wage_income=None, business_income=3000.0, property_income=None, transfer_income=None,
                  business_expense=None, reported_per_capita_income=5200.0)
    assert one(h)["income"] == "unknown"


def test_population_counts_only_living_members_dead_and_moved_out_excluded():
    ms = [member(), member(name="亡", member_status="死亡"), member(name="迁", member_status="迁出"),
          member(name="婚", member_status="婚出"), member(name="空", member_status=None)]
    r = one(household(wage_income=8200.0), ms)
    assert r["population"] == 2
    assert r["per_capita_net_income"] == 4100.0


# --- food, clothing -------------------------------------------------------------------------

@pytest.mark.parametrize("field,key", [("food_secure", "food"), ("clothing_secure", "clothing")])
@pytest.mark.parametrize("value,expected", [(True, "met"), (False, "unmet"), (None, "unknown")])
def test_food_and_clothing_no_is_unmet_and_empty_is_unknown_not_no(field, key, value, expected):
    assert one(household(**{field: value}))[key] == expected


# --- education: ages and birthdays ------------------------------------------------------------

def child(birth: date, **kw):
    return member(birth=birth, name="孩子", relationship="之子", **kw)


@pytest.mark.parametrize("birth,expected", [
    (date(2018, 12, 31), "unmet"),   # turns 6 on the assessment date: aged 6
    (date(2019, 1, 1), "met"),       # still 5
    (date(2009, 1, 1), "unmet"),     # aged 15 (16 tomorrow)
    (date(2008, 12, 31), "met"),     # turns 16 on the assessment date
    (date(2009, 1, 2), "unmet"),
])
def test_education_age_6_to_15_inclusive_with_birthdays_on_and_next_to_assessment_date(birth, expected):
    r = one(household(), [member(), child(birth, school_status="非在校生")], as_of=AS_OF)
    assert r["education"] == expected


def test_education_age_uses_the_as_of_date_not_the_year_end():
    ms = [member(), child(date(2018, 7, 1), school_status="非在校生")]
    assert one(household(), ms, as_of=date(2024, 6, 30))["education"] == "met"      # 5
    assert one(household(), ms, as_of=date(2024, 7, 1))["education"] == "unmet"     # 6


def test_education_born_29_february_turns_6_on_1_march_in_common_year():
    # born 2016-02-29: 6 on 2022-03-01 (2022 is a common year), 5 on 2022-02-28
    ms = [member(year=2022), child(date(2016, 2, 29), school_status="非在校生", year=2022)]
    h = household(year=2022)
    assert one(h, ms, year=2022, as_of=date(2022, 2, 28))["education"] == "met"
    assert one(h, ms, year=2022, as_of=date(2022, 3, 1))["education"] == "unmet"


def test_education_born_29_february_turns_16_on_29_february_in_leap_year():
    # in a leap year the birthday exists: 16 on 29 February 2024
    ms = [member(), child(date(2008, 2, 29), school_status="非在校生")]
    assert one(household(), ms, as_of=date(2024, 2, 28))["education"] == "unmet"   # 15
    assert one(household(), ms, as_of=date(2024, 2, 29))["education"] == "met"     # 16


@pytest.mark.parametrize("status", ["小学", "初中", "高中", "学前教育"])
def test_education_met_when_child_in_school(status):
    assert one(household(), [member(), child(date(2012, 5, 5), school_status=status)])["education"] == "met"


def test_education_unknown_when_child_status_empty_and_none_unmet():
    r = one(household(), [member(), child(date(2012, 5, 5), school_status=None)])
    assert r["education"] == "unknown"
    assert "孩子（12岁）" in r["detail_education_unknown_members"]


def test_education_unmet_wins_over_unknown():
    ms = [member(), child(date(2012, 5, 5), school_status=None),
          member(birth=date(2013, 3, 3), name="二娃", relationship="之女", sex="女", school_status="非在校生")]
    r = one(household(), ms)
    assert r["education"] == "unmet"
    assert r["detail_education_unmet_members"] == "二娃（11岁）"


def test_education_ignores_dead_or_moved_out_child():
    ms = [member(), child(date(2012, 5, 5), school_status="非在校生", member_status="迁出")]
    assert one(household(), ms)["education"] == "met"


def test_education_adult_not_in_school_is_not_counted():
    assert one(household(), [member(school_status="非在校生")])["education"] == "met"


@pytest.mark.parametrize("home,reason,expected", [
    (True, None, "met"),            # 残疾 + 送教上门
    (None, "身体原因", "met"),       # 残疾 + 失学辍学原因 身体原因
    (False, "其他", "unmet"),
    (None, None, "unmet"),
])
def test_education_disabled_child_exemption(home, reason, expected):
    c = child(date(2012, 5, 5), school_status="非在校生", health="残疾", disability_grade="二级",
              home_schooling=home, dropout_reason=reason)
    assert one(household(), [member(), c])["education"] == expected


def test_education_exemption_requires_disability_not_only_home_schooling():
    c = child(date(2012, 5, 5), school_status="非在校生", health="长期慢性病", home_schooling=True)
    assert one(household(), [member(), c])["education"] == "unmet"


def test_education_exempt_child_with_empty_school_status_is_met_not_unknown():
    c = child(date(2012, 5, 5), school_status=None, health="残疾", home_schooling=True)
    assert one(household(), [member(), c])["education"] == "met"


def test_unmet_member_detail_names_member_and_age_never_the_id():
    c = child(date(2012, 5, 5), school_status="非在校生")
    r = one(household(), [member(), c])
    assert r["detail_unmet_members"] == "义务教育：孩子（12岁）"
    assert c["id_number"] not in str(r)


# --- medical ------------------------------------------------------------------------------

def test_medical_unmet_when_a_living_member_not_insured():
    r = one(household(), [member(), member(name="李四", relationship="配偶", sex="女", medical_insurance="未参保")])
    assert r["medical"] == "unmet"
    assert r["detail_medical_unmet_members"] == "李四（44岁）"


@pytest.mark.parametrize("ins", ["城乡居民", "职工"])
def test_medical_met_with_residents_or_employee_insurance(ins):
    assert one(household(), [member(medical_insurance=ins)])["medical"] == "met"


def test_medical_unknown_when_empty_and_none_unmet():
    ms = [member(), member(name="乙", relationship="配偶", sex="女", medical_insurance=None)]
    assert one(household(), ms)["medical"] == "unknown"


def test_medical_unmet_wins_over_unknown():
    ms = [member(medical_insurance=None), member(name="乙", relationship="配偶", sex="女", medical_insurance="未参保")]
    assert one(household(), ms)["medical"] == "unmet"


def test_medical_ignores_member_who_died():
    ms = [member(), member(name="亡", relationship="之父", medical_insurance="未参保", member_status="死亡")]
    assert one(household(), ms)["medical"] == "met"


# --- housing -------------------------------------------------------------------------------

@pytest.mark.parametrize("grade,renovation,relocated,expected", [
    ("A", None, None, "met"),
    ("B", None, False, "met"),
    ("C", "已完成", None, "met"),
    ("D", "已完成", None, "met"),
    ("C", "未改造", None, "unmet"),
    ("D", "改造中", False, "unmet"),
    ("D", "无需", None, "unmet"),
    ("D", None, None, "unmet"),          # reading: empty 危房改造状态 is "not 已完成"
    ("D", "未改造", True, "met"),        # relocated
    (None, None, True, "met"),           # relocated, no grade
    (None, None, None, "unknown"),
    (None, "已完成", False, "unknown"),
])
def test_housing_grades_renovation_and_relocation(grade, renovation, relocated, expected):
    h = household(housing_grade=grade, housing_renovation=renovation, relocated=relocated)
    assert one(h)["housing"] == expected


# --- water ---------------------------------------------------------------------------------

@pytest.mark.parametrize("safe,expected", [(True, "met"), (False, "unmet"), (None, "unknown")])
def test_water_summary_field_decides_when_no_detail_field(safe, expected):
    r = one(household(water_safe=safe))
    assert r["water"] == expected and r["detail_water_basis"] == "summary"


GOOD_WATER = dict(water_litres_per_day=40.0, water_quality="达标", tap_water=True, outage_days=0.0)


def water(**kw):
    return household(water_safe=False, **{**GOOD_WATER, **kw})


def test_water_detail_overrides_summary_field():
    r = one(water())
    assert r["water"] == "met" and r["detail_water_basis"] == "detail"


@pytest.mark.parametrize("litres,scarce,expected", [
    (35.0, None, "met"), (34.9, None, "unmet"), (34.9, False, "unmet"),
    (20.0, True, "met"), (19.9, True, "unmet"), (35.0, True, "met"),
    (None, True, "unknown"),   # reading: quantity needs litres; scarce alone cannot decide
])
def test_water_quantity_sub_indicator_alone(litres, scarce, expected):
    r = one(water(water_litres_per_day=litres, water_scarce_area=scarce))
    assert r["detail_water_quantity"] == expected
    assert r["water"] == expected


def test_water_quantity_empty_scarce_area_uses_ordinary_minimum():
    assert one(water(water_litres_per_day=25.0, water_scarce_area=None))["water"] == "unmet"


@pytest.mark.parametrize("quality,expected", [("达标", "met"), ("基本达标", "met"), ("不达标", "unmet"),
                                              (None, "unknown")])
def test_water_quality_sub_indicator_alone(quality, expected):
    r = one(water(water_quality=quality))
    assert r["detail_water_quality"] == expected and r["water"] == expected


@pytest.mark.parametrize("fields,expected", [
    (dict(tap_water=True), "met"),
    (dict(tap_water=False), "unmet"),
    (dict(tap_water=False, fetch_minutes=20.0), "met"),
    (dict(tap_water=False, fetch_minutes=21.0), "unmet"),
    (dict(tap_water=None, fetch_horizontal_m=800.0), "met"),
    (dict(tap_water=None, fetch_horizontal_m=801.0), "unmet"),
    (dict(tap_water=None, fetch_vertical_m=80.0), "met"),
    (dict(tap_water=None, fetch_vertical_m=81.0), "unmet"),
    (dict(tap_water=None, fetch_minutes=30.0, fetch_vertical_m=50.0), "met"),
    (dict(tap_water=None), "unknown"),
])
def test_water_convenience_sub_indicator_alone(fields, expected):
    r = one(water(**fields))
    assert r["detail_water_convenience"] == expected and r["water"] == expected


@pytest.mark.parametrize("days,expected", [(36.0, "met"), (37.0, "unmet"), (None, "unknown")])
def test_water_guarantee_sub_indicator_alone(days, expected):
    r = one(water(outage_days=days))
    assert r["detail_water_guarantee"] == expected and r["water"] == expected


def test_water_unmet_sub_indicator_wins_over_unknown():
    assert one(water(water_quality=None, outage_days=50.0))["water"] == "unmet"


def test_water_single_detail_field_present_makes_other_sub_indicators_unknown():
    h = household(water_safe=True, water_quality="达标")
    r = one(h)
    assert r["water"] == "unknown"
    assert (r["detail_water_quantity"], r["detail_water_convenience"], r["detail_water_guarantee"]) == (
        "unknown", "unknown", "unknown")


# --- household verdict ------------------------------------------------------------------------

def test_meets_standard_yes_when_all_met():
    r = one(household())
    assert (r["meets_standard"], r["unmet"], r["unknown"]) == ("yes", "", "")


def test_meets_standard_no_lists_unmet_in_table_order_and_unknown_separately():
    h = household(wage_income=1000.0, water_safe=False, food_secure=None, housing_grade="D")
    r = one(h, [member(medical_insurance="未参保")])
    assert r["meets_standard"] == "no"
    assert r["unmet"] == "income;medical;housing;water"
    assert r["unknown"] == "food"


def test_meets_standard_unverified_when_only_unknown():
    r = one(household(clothing_secure=None, housing_grade=None))
    assert (r["meets_standard"], r["unmet"], r["unknown"]) == ("unverified", "", "clothing;housing")


def test_only_the_requested_year_is_assessed():
    hs = [household(), household(year=2023, wage_income=10.0)]
    ms = [member(), member(year=2023)]
    rows = run(hs, ms)
    assert len(rows) == 1 and rows[0]["year"] == 2024 and rows[0]["income"] == "met"


def test_members_of_another_year_do_not_count():
    hs = [household(wage_income=8200.0)]
    ms = [member(), member(name="旧", year=2023)]
    assert one(hs, ms)["population"] == 1
