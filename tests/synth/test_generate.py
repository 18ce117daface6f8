"""The synthetic registry generator: determinism, schema, consistency and calibration."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin import divisions
from fupin.engine.idnumber import age_expr, parse
from fupin.engine.schema import (
    MONITORING_CATEGORIES,
    RELATIONSHIPS,
    SCHOOL_STATUSES,
    polars_schema,
)
from fupin.synth import SynthError, generate
from fupin.synth.geography import CHONGQING_POVERTY_COUNTIES, poverty_counties

LIVING = pl.col("member_status") == "正常"


@lru_cache(maxsize=None)
def registry(households: int, year: int, region: str | None = None, seed: int = 0):
    return generate(households, year, region=region, seed=seed)


def with_people(households: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Households with their living population and net income (rules.md 'Terms')."""
    population = members.filter(LIVING).group_by("household_id").agg(population=pl.len())
    return households.join(population, on="household_id", how="left").with_columns(
        net_income=pl.col("wage_income") + pl.col("business_income") + pl.col("property_income")
        + pl.col("transfer_income") - pl.col("business_expense"),
    ).with_columns(per_capita=pl.col("net_income") / pl.col("population"))


def with_id_facts(members: pl.DataFrame, year: int) -> pl.DataFrame:
    as_of = date(year, 12, 31)
    facts = parse(members["id_number"], as_of=as_of)
    return members.with_columns(
        id_status=facts["id_status"], id_sex=facts["sex"], birth_date=facts["birth_date"],
    ).with_columns(age=age_expr(pl.col("birth_date"), as_of))


def error_findings(households: pl.DataFrame, members: pl.DataFrame, year: int) -> dict[str, int]:
    """Counts of the error-level findings of rules.md section 5 (Q01 Q03 Q04 Q05 Q06 Q07 Q15)."""
    m = with_id_facts(members, year)
    heads = members.group_by("household_id").agg(
        heads=(pl.col("relationship") == "户主").sum(), living=LIVING.sum()
    )
    shared_ids = members.group_by("id_number", "year").agg(pl.col("household_id").n_unique())
    months = pl.col("work_months")
    return {
        "Q01": m.filter(pl.col("id_status") != "ok").height,
        "Q03": m.filter(pl.col("sex") != pl.col("id_sex")).height,
        "Q04": shared_ids.filter(pl.col("household_id") > 1).height,
        "Q05": heads.filter(pl.col("heads") != 1).height
        + households.join(heads, on="household_id", how="anti").height,
        "Q06": heads.filter(pl.col("living") == 0).height,
        "Q07": households.filter(
            pl.col("registered") & pl.col("poverty_status").is_null()
            | (pl.col("poverty_status") == "已脱贫") & pl.col("exit_year").is_null()
        ).height,
        "Q15": members.filter(
            (months < 0) | (months > 12)
            | pl.col("work_location").is_not_null() & (months.fill_null(0) == 0)
            | months.is_not_null() & pl.col("work_location").is_null()
        ).height,
    }


NO_ERRORS = {code: 0 for code in ("Q01", "Q03", "Q04", "Q05", "Q06", "Q07", "Q15")}


# --- determinism and shape -------------------------------------------------------------------

def test_same_arguments_give_identical_frames():
    first = generate(1500, 2022, seed=7)
    second = generate(1500, 2022, seed=7)
    for a, b in zip(first, second, strict=True):
        assert a.equals(b)


def test_different_seed_gives_different_frames():
    a_households, a_members, _ = generate(1500, 2022, seed=7)
    b_households, b_members, _ = generate(1500, 2022, seed=8)
    assert not a_members["id_number"].equals(b_members["id_number"])
    assert not a_households["wage_income"].equals(b_households["wage_income"])


@pytest.mark.parametrize("table", ["households", "members", "regions"])
def test_frames_have_the_canonical_columns_and_dtypes(table):
    frames = dict(zip(("households", "members", "regions"), registry(2000, 2022), strict=True))
    assert frames[table].schema == pl.Schema(polars_schema(table))


def test_each_year_row_carries_the_year():
    households, members, _ = registry(2000, 2017)
    assert households["year"].unique().to_list() == [2017]
    assert members["year"].unique().to_list() == [2017]


def test_household_ids_are_unique_and_start_with_the_village_code():
    households, members, _ = registry(20000, 2014)
    assert households["household_id"].is_unique().all()
    assert (households["household_id"].str.slice(0, 12) == households["region_code"]).all()
    assert households["household_id"].str.contains(r"^\d{16}$").all()
    assert members["household_id"].is_in(households["household_id"].implode()).all()


def test_a_single_household_registry_is_complete():
    households, members, regions = generate(1, 2021)
    assert households.height == 1
    assert members.filter(pl.col("relationship") == "户主").height == 1
    assert regions["region_code"].is_in(households["region_code"].implode()).any()


# --- geography -------------------------------------------------------------------------------

def test_village_codes_are_real_towns_plus_2nn():
    households, _, regions = registry(20000, 2014)
    towns = divisions.town_codes()
    codes = households["region_code"].unique()
    assert codes.str.contains(r"^\d{9}2\d{2}$").all()
    assert all(code[:9] + "000" in towns for code in codes.to_list())
    assert codes.str.starts_with("500101").all()
    villages = regions.filter(pl.col("region_code").str.slice(9, 1) == "2")
    assert set(villages["region_code"].to_list()) == set(codes.to_list())


def test_default_region_spreads_households_over_many_towns_and_villages():
    households, _, _ = registry(20000, 2014)
    per_village = households.group_by("region_code").len()
    towns = households["region_code"].str.slice(0, 9).n_unique()
    assert towns >= 10
    assert 5 <= per_village.height / towns <= 20
    assert per_village["len"].median() >= 30


@pytest.mark.parametrize("region", ["50", "500101102", "500101102000", "500101102201"])
def test_region_may_be_a_province_prefix_or_a_town_code(region):
    households, _, _ = generate(300, 2020, region=region)
    prefix = region[:9] if len(region) == 12 else region
    assert households["region_code"].str.starts_with(prefix).all()


@pytest.mark.parametrize(("province", "zone"), [("11", "东部"), ("21", "东部"), ("42", "中部"),
                                                ("23", "中部"), ("52", "西部"), ("45", "西部")])
def test_zone_follows_the_three_belt_classification(province, zone):
    _, _, regions = generate(200, 2020, region=province)
    assert regions["zone"].unique().to_list() == [zone]
    counties = regions.filter(pl.col("region_code").str.ends_with("000000"))
    assert counties["poverty_county"].is_null().all()  # not known outside Chongqing


def test_chongqing_has_18_poverty_counties_with_exit_years():
    table = divisions.table()
    codes = table.filter(pl.col("level") == "county", pl.col("code").str.starts_with("50"))["code"]
    flags, years = poverty_counties(codes.to_list())
    assert sum(flags) == 18 == len(CHONGQING_POVERTY_COUNTIES)
    assert {y for y in years if y is not None} == {2017, 2018, 2019, 2020}


def test_wanzhou_is_a_western_poverty_county_exited_2017():
    _, _, regions = registry(20000, 2014)
    wanzhou = regions.filter(pl.col("region_code") == "500101000000").row(0, named=True)
    assert wanzhou["zone"] == "西部"
    assert wanzhou["poverty_county"] is True
    assert wanzhou["county_exit_year"] == 2017


def test_village_population_exceeds_the_people_of_its_households():
    households, members, regions = registry(20000, 2018)
    people = with_people(households, members).group_by("region_code").agg(pl.col("population").sum())
    joined = people.join(regions, on="region_code")
    assert joined.height == people.height
    assert (joined["registered_rural_population"] > joined["population"]).all()


def test_unknown_region_is_a_bilingual_error():
    with pytest.raises(SynthError, match="区划.*region"):
        generate(10, 2020, region="990000")


def test_year_before_the_registry_is_an_error():
    with pytest.raises(SynthError, match="2014"):
        generate(10, 2013)


# --- members ---------------------------------------------------------------------------------

def test_exactly_one_head_per_household():
    households, members, _ = registry(20000, 2014)
    heads = members.filter(pl.col("relationship") == "户主").group_by("household_id").len()
    assert heads.height == households.height
    assert (heads["len"] == 1).all()


def test_id_numbers_are_valid_unique_and_registered_in_the_county():
    households, members, _ = registry(20000, 2014)
    facts = with_id_facts(members, 2014)
    assert facts["id_status"].unique().to_list() == ["ok"]
    assert facts["id_number"].is_unique().all()
    county = members.join(households.select("household_id", "region_code"), on="household_id")
    assert (county["id_number"].str.slice(0, 6) == county["region_code"].str.slice(0, 6)).all()


def test_sex_agrees_with_the_id_sequence():
    _, members, _ = registry(20000, 2014)
    facts = with_id_facts(members, 2014)
    assert (facts["sex"] == facts["id_sex"]).all()
    odd = facts["id_number"].str.slice(16, 1).cast(pl.Int32) % 2 == 1
    assert ((facts["sex"] == "男") == odd).all()


def test_birth_dates_fall_in_or_before_the_year_and_ages_fit_schooling():
    _, members, _ = registry(20000, 2016)
    m = with_id_facts(members, 2016)
    assert m["birth_date"].max() <= date(2016, 12, 31)
    assert m["age"].min() >= 0 and m["age"].max() <= 100
    ages = m.group_by("school_status").agg(lo=pl.col("age").min(), hi=pl.col("age").max())
    bounds = {r["school_status"]: (r["lo"], r["hi"]) for r in ages.iter_rows(named=True)}
    assert 3 <= bounds["学前教育"][0] and bounds["学前教育"][1] <= 5
    assert 6 <= bounds["小学"][0] and bounds["小学"][1] <= 12
    assert 12 <= bounds["初中"][0] and bounds["初中"][1] <= 15
    assert bounds["高中"][0] >= 15 and bounds["本科"][0] >= 19
    assert m.filter(pl.col("education_level") == "学龄前儿童")["age"].max() <= 6


def test_no_school_status_contradicts_age_q21():
    _, members, _ = registry(20000, 2016)
    m = with_id_facts(members, 2016)
    higher = ["高中", "中职", "高职", "技工", "大专", "本科", "硕士及以上"]
    assert m.filter((pl.col("age") <= 14) & pl.col("school_status").is_in(higher)).height == 0
    assert m.filter((pl.col("age") >= 20) & pl.col("school_status").is_in(["学前教育", "小学"])).height == 0


def test_relationships_agree_with_sex_q20():
    _, members, _ = registry(20000, 2014)
    male_only = ["之子", "之父", "之岳父", "之公公", "之祖父", "之孙子", "之外孙子", "之女婿"]
    female_only = ["之女", "之母", "之岳母", "之婆婆", "之祖母", "之孙女", "之外孙女", "之儿媳"]
    wrong = members.filter(
        pl.col("relationship").is_in(male_only) & (pl.col("sex") == "女")
        | pl.col("relationship").is_in(female_only) & (pl.col("sex") == "男")
    )
    assert wrong.height == 0
    couples = members.filter(pl.col("relationship").is_in(["户主", "配偶"])).group_by("household_id").agg(
        pl.len(), sexes=pl.col("sex").n_unique()
    )
    assert couples.filter((pl.col("len") == 2) & (pl.col("sexes") == 1)).height == 0
    assert set(members["relationship"].unique().to_list()) <= set(RELATIONSHIPS)


def test_parents_are_older_and_grandchildren_younger_than_the_head():
    _, members, _ = registry(20000, 2014)
    m = with_id_facts(members, 2014)
    head_age = m.filter(pl.col("relationship") == "户主").select("household_id", head=pl.col("age"))
    m = m.join(head_age, on="household_id")
    assert m.filter(pl.col("relationship").is_in(["之父", "之母"]) & (pl.col("age") <= pl.col("head"))).height == 0
    assert m.filter(pl.col("relationship").is_in(["之孙子", "之孙女"]) & (pl.col("age") >= pl.col("head"))).height == 0
    assert m.filter(pl.col("relationship") == "户主")["age"].min() >= 18


def test_children_of_compulsory_age_are_mostly_in_school():
    _, members, _ = registry(20000, 2020)
    kids = with_id_facts(members, 2020).filter(LIVING, pl.col("age").is_between(6, 15))
    out = kids.filter(pl.col("school_status") == "非在校生")
    assert kids.height > 1000
    assert out.height / kids.height < 0.02
    exempt = out.filter((pl.col("health") == "残疾") & pl.col("home_schooling"))
    assert (exempt["dropout_reason"] == "身体原因").all()


def test_members_are_mostly_insured_as_rural_residents():
    _, members, _ = registry(20000, 2020)
    shares = members["medical_insurance"].value_counts(normalize=True)
    share = dict(zip(shares["medical_insurance"], shares["proportion"], strict=True))
    assert share["城乡居民"] > 0.95
    assert 0.0005 < share["未参保"] < 0.01


def test_work_months_only_with_a_work_location_q15():
    _, members, _ = registry(20000, 2020)
    working = members.filter(pl.col("work_location").is_not_null())
    assert working["work_months"].is_between(1, 12).all()
    assert members.filter(pl.col("work_location").is_null())["work_months"].is_null().all()
    assert members.filter(pl.col("labour").is_in(["丧失劳动力", "无劳动力"]))["work_location"].is_null().all()


def test_member_status_mostly_normal_with_some_deaths_and_moves():
    _, members, _ = registry(20000, 2020)
    counts = dict(members["member_status"].value_counts().iter_rows())
    assert counts["正常"] / members.height > 0.97
    assert counts.get("死亡", 0) > 0 and counts.get("迁出", 0) > 0


def test_dibao_and_tekun_follow_the_poverty_attribute_q12_q13():
    households, members, _ = registry(20000, 2020)
    m = members.join(households.select("household_id", "poverty_attribute"), on="household_id")
    per_household = m.group_by("household_id", "poverty_attribute").agg(
        dibao=pl.col("dibao").any(), tekun=pl.col("tekun").any()
    )
    assert per_household.filter((pl.col("poverty_attribute") == "低保贫困户") & ~pl.col("dibao")).height == 0
    assert per_household.filter((pl.col("poverty_attribute") == "特困供养贫困户") & ~pl.col("tekun")).height == 0
    assert per_household.filter(pl.col("poverty_attribute") == "低保贫困户").height > 0
    assert m.filter(pl.col("dibao") & pl.col("tekun")).height == 0
    assert m.filter(pl.col("tekun") & (pl.col("poverty_attribute") != "特困供养贫困户")).height == 0


@pytest.mark.parametrize(("year", "region"), [(2014, None), (2018, None), (2022, None), (2020, "50")])
def test_error_level_quality_checks_find_nothing(year, region):
    households, members, _ = registry(20000, year, region)
    assert error_findings(households, members, year) == NO_ERRORS


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    households=st.integers(1, 400),
    year=st.integers(2014, 2030),
    seed=st.integers(0, 2**32),
)
def test_any_small_registry_passes_the_error_level_checks(households, year, seed):
    h, m, _ = generate(households, year, seed=seed)
    assert h.height == households
    assert error_findings(h, m, year) == NO_ERRORS


# --- households and calibration -------------------------------------------------------------

def registered_per_capita_income(year: int) -> float:
    households, members, _ = registry(20000, year)
    reg = with_people(households, members).filter("registered")
    return reg["net_income"].sum() / reg["population"].sum()


def incidence(year: int) -> float:
    households, members, regions = registry(20000, year)
    poor = with_people(households, members).filter(pl.col("poverty_status").is_in(["未脱贫", "返贫"]))
    return poor["population"].sum() / regions["registered_rural_population"].sum()


def test_registered_poor_income_2014_is_near_4697():
    assert registered_per_capita_income(2014) == pytest.approx(4697, rel=0.15)


def test_registered_poor_income_2020_is_near_12303():
    assert registered_per_capita_income(2020) == pytest.approx(12303, rel=0.15)


def test_registered_income_keeps_growing_after_2020():
    assert registered_per_capita_income(2022) > 1.1 * registered_per_capita_income(2020)


def test_household_size_is_around_three():
    households, members, _ = registry(20000, 2014)
    size = with_people(households, members)["population"]
    assert 2.6 <= size.mean() <= 3.6
    assert size.min() >= 1 and size.max() <= 7


def test_incidence_2014_is_near_7_1_percent():
    assert incidence(2014) == pytest.approx(0.071, abs=0.008)


def test_incidence_2018_is_near_0_7_percent():
    assert incidence(2018) == pytest.approx(0.007, abs=0.002)


def test_incidence_falls_every_year_to_zero_in_2020():
    values = [incidence(y) for y in range(2014, 2021)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] == 0


def test_poverty_status_by_year():
    h2014, _, _ = registry(20000, 2014)
    h2018, _, _ = registry(20000, 2018)
    h2022, _, _ = registry(20000, 2022)
    assert (h2014.filter("registered")["poverty_status"] == "未脱贫").mean() > 0.8
    statuses = dict(h2018.filter("registered")["poverty_status"].value_counts().iter_rows())
    assert statuses["已脱贫"] > 5 * statuses["未脱贫"] and statuses.get("返贫", 0) > 0
    assert h2022.filter("registered")["poverty_status"].unique().to_list() == ["已脱贫"]
    assert h2022.filter(~pl.col("registered"))["poverty_status"].is_null().all()


def test_exit_years_lie_between_2014_and_the_year():
    for year in (2016, 2022):
        households, _, _ = registry(20000, year)
        exited = households.filter(pl.col("poverty_status") == "已脱贫")
        assert exited["exit_year"].is_between(2014, min(year, 2020)).all()
        registered = households.filter("registered")
        assert (registered["identified_year"] <= year).all()
        assert (exited["exit_year"] >= exited["identified_year"]).all()


def test_some_registered_households_are_below_the_lines_in_2022():
    households, members, _ = registry(20000, 2022)
    reg = with_people(households, members).filter("registered")
    below_poverty = (reg["per_capita"] <= 4000).mean()
    below_monitoring = (reg["per_capita"] < 6000).mean()
    assert 0 < below_poverty < 0.03
    assert below_poverty < below_monitoring < 0.15
    assert (reg["per_capita"] > 0).all()


def test_wage_income_only_where_someone_works_q17():
    households, members, _ = registry(20000, 2020)
    workers = members.filter(LIVING, pl.col("work_location").is_not_null())["household_id"].unique()
    h = households.with_columns(works=pl.col("household_id").is_in(workers.implode()))
    assert h.filter(pl.col("works") & (pl.col("wage_income") <= 0)).height == 0
    assert h.filter(~pl.col("works") & (pl.col("wage_income") > 0)).height == 0


def test_living_conditions_are_mostly_secure():
    households, _, _ = registry(20000, 2020)
    assert households["food_secure"].mean() > 0.99
    assert 0 < households["food_secure"].null_count() < 200
    grades = dict(households["housing_grade"].value_counts(normalize=True).iter_rows())
    assert grades["A"] + grades["B"] > 0.85
    unsafe = households.filter(pl.col("housing_grade").is_in(["C", "D"]))
    assert (unsafe["housing_renovation"] == "已完成").mean() > 0.6
    assert households["relocated"].sum() > 0
    detailed = households["tap_water"].is_not_null()
    summary_only = households["water_safe"].is_not_null() & ~detailed
    assert detailed.mean() > 0.3 and summary_only.mean() > 0.2


def test_phones_are_mobile_numbers_and_some_are_missing():
    households, _, _ = registry(20000, 2020)
    phones = households["phone"].drop_nulls()
    assert phones.str.contains(r"^1\d{10}$").all()
    assert 0 < households["phone"].null_count() < 0.2 * households.height


def test_monitoring_objects_exist_in_2022_but_not_in_2018():
    h2018, _, _ = registry(20000, 2018)
    assert h2018["monitoring_category"].is_null().all()
    h2022, _, _ = registry(20000, 2022)
    monitored = h2022.filter(pl.col("monitoring_category").is_not_null())
    assert set(monitored["monitoring_category"].unique().to_list()) == set(MONITORING_CATEGORIES)
    registered_share = monitored.filter("registered").height / h2022.filter("registered").height
    assert 0.02 <= registered_share <= 0.05
    assert monitored.filter(~pl.col("registered")).height > 0
    assert (monitored.filter(~pl.col("registered"))["monitoring_category"] != "脱贫不稳定户").all()


def test_monitoring_fields_are_complete_and_ordered():
    households, _, _ = registry(20000, 2022)
    monitored = households.filter(pl.col("monitoring_category").is_not_null())
    assert monitored["monitoring_since"].is_not_null().all()
    assert monitored["risk_eliminated"].is_not_null().all()
    assert monitored["risk_eliminated"].any() and not monitored["risk_eliminated"].all()
    eliminated = monitored.filter("risk_eliminated")
    assert eliminated["risk_eliminated_at"].is_not_null().all()
    assert (eliminated["risk_eliminated_at"] > eliminated["monitoring_since"]).all()
    assert (monitored["monitoring_since"] >= "2020-03").all()
    assert (monitored["monitoring_since"] <= "2022-12").all()
    unmonitored = households.filter(pl.col("monitoring_category").is_null())
    assert unmonitored.select("monitoring_since", "risk_eliminated", "risk_eliminated_at").null_count().row(0) == (
        unmonitored.height,
    ) * 3


def test_school_status_codes_come_from_the_schema():
    _, members, _ = registry(2000, 2020)
    assert set(members["school_status"].drop_nulls().unique().to_list()) <= set(SCHOOL_STATUSES)


@pytest.mark.parametrize("year", [2016, 2021])
def test_engine_quality_checks_find_no_error_and_few_warnings(year):
    from fupin.engine import quality

    households, members, _ = registry(20000, year)
    found = quality.findings(households, members)
    assert found.filter(pl.col("severity") == "error").height == 0
    assert 0 < found.height < 0.02 * households.height
