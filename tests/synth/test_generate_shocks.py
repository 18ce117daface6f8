"""The generator's earlier years (synth.history) and its epidemic (synth.shocks): the year before is
the same households and people, plausible and quiet under the checks; the epidemic lists households
with migrants and gives R8 leads on the generated registry."""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl
import pytest

from fupin.engine import quality
from fupin.engine import shocks as r8
from fupin.engine.assistance.employment import CROSS_TOWN_WORK, return_rate
from fupin.engine.policy import load_policies
from fupin.synth import generate
from fupin.synth.assistance import generate_assistance
from fupin.synth.history import HistoryError, with_history
from fupin.synth.shocks import event_id, generate_shocks
from tests.synth.test_generate import NO_ERRORS, error_findings

CROSS = pl.col("work_location").is_in(CROSS_TOWN_WORK).fill_null(False) & (pl.col("work_months") > 0)


@cache
def two_years(households: int = 4000, year: int = 2020, seed: int = 3):
    h, m, _r = generate(households, year, seed=seed)
    hh, mm = with_history(h, m, 2, seed=seed)
    return h, m, hh, mm


def _year(frame: pl.DataFrame, year: int) -> pl.DataFrame:
    return frame.filter(pl.col("year") == year)


# --- the year before ---------------------------------------------------------------------------

def test_one_year_leaves_the_frames_as_they_are():
    h, m, _, _ = two_years()
    hh, mm = with_history(h, m, 1, seed=3)
    assert hh.equals(h) and mm.equals(m)


def test_the_newest_year_is_unchanged_and_the_same_seed_gives_the_same_history():
    h, m, hh, mm = two_years()
    assert _year(hh, 2020).equals(h) and _year(mm, 2020).equals(m)
    again_h, again_m = with_history(h, m, 2, seed=3)
    assert again_h.equals(hh) and again_m.equals(mm)
    other_h, _ = with_history(h, m, 2, seed=4)
    assert not other_h.equals(hh)


def test_the_year_before_has_the_same_households_and_people_minus_the_newborn():
    _, _, hh, mm = two_years()
    before, now = _year(hh, 2019), _year(hh, 2020)
    assert before["household_id"].sort().equals(now["household_id"].sort())
    assert (before.select("household_id", "region_code", "hamlet").sort("household_id")
            .equals(now.select("household_id", "region_code", "hamlet").sort("household_id")))
    people_before = set(_year(mm, 2019)["id_number"])
    people_now = _year(mm, 2020)
    born_2020 = set(people_now.filter(pl.col("id_number").str.slice(6, 4) == "2020")["id_number"])
    assert born_2020, "the sample should hold some children born in the newest year"
    assert people_before == set(people_now["id_number"]) - born_2020


def test_some_members_gone_in_the_newest_year_were_living_the_year_before():
    _, _, _, mm = two_years()
    status = (_year(mm, 2020).select("id_number", now="member_status")
              .join(_year(mm, 2019).select("id_number", before="member_status"), on="id_number"))
    gone = status.filter(pl.col("now") != "正常")
    assert gone.filter(pl.col("before") == "正常").height > 0
    assert status.filter((pl.col("now") == "正常") & (pl.col("before") != "正常")).height == 0


def test_incomes_of_the_year_before_add_up_to_the_newest_years_prior_net_income():
    _, _, hh, _ = two_years()
    net = (pl.col("wage_income") + pl.col("business_income") + pl.col("property_income") + pl.col("transfer_income")
           - pl.col("business_expense"))
    pairs = (_year(hh, 2019).select("household_id", net_before=net)
             .join(_year(hh, 2020).select("household_id", "prior_net_income"), on="household_id")
             .filter(pl.col("prior_net_income").is_not_null()))
    exact = pairs.filter((pl.col("net_before") - pl.col("prior_net_income")).abs() < 0.5).height
    assert exact / pairs.height > 0.99


def test_a_household_that_exited_in_the_newest_year_was_still_poor_the_year_before():
    _, _, hh, _ = two_years()
    exited = _year(hh, 2020).filter((pl.col("poverty_status") == "已脱贫") & (pl.col("exit_year") == 2020))
    assert exited.height > 0
    before = _year(hh, 2019).join(exited.select("household_id"), on="household_id", how="semi")
    assert set(before["poverty_status"]) == {"未脱贫"} and before["exit_year"].null_count() == before.height


def test_monitoring_objects_identified_in_the_newest_year_were_not_monitored_the_year_before():
    h, m, _ = generate(6000, 2022, seed=5)
    hh, _ = with_history(h, m, 2, seed=5)
    new = _year(hh, 2022).filter(pl.col("monitoring_since").str.starts_with("2022"))
    old = _year(hh, 2022).filter(pl.col("monitoring_since") < "2022")
    assert new.height and old.height
    before = _year(hh, 2021)
    assert before.join(new.select("household_id"), on="household_id", how="semi")["monitoring_category"].null_count() \
        == new.height
    kept = before.join(old.select("household_id", "monitoring_since"), on="household_id", suffix="_now")
    assert kept.filter(pl.col("monitoring_since") != pl.col("monitoring_since_now")).height == 0
    assert kept.filter(pl.col("risk_eliminated_at") >= "2022").height == 0


@pytest.mark.parametrize(("year", "years"), [(2020, 2), (2022, 3)])
def test_every_earlier_year_passes_the_error_level_checks(year, years):
    h, m, _ = generate(5000, year, seed=11)
    hh, mm = with_history(h, m, years, seed=11)
    for y in range(year - years + 1, year + 1):
        households, members = _year(hh, y), _year(mm, y)
        assert error_findings(households, members, y) == NO_ERRORS, y
        found = quality.findings(households, members, as_of=date(y, 12, 31))
        assert found.filter(pl.col("severity") == "error").height == 0, y
        # no kind of warning the freshly generated newest year does not have (school years, Q14, Q17 …)
        assert set(found["code"]) <= set(quality.findings(h, m, as_of=date(year, 12, 31))["code"]), y


def test_edge_15_migrants_of_only_one_of_the_two_years_exist():
    """The 复工 rate has people in its denominator only (worked away the year before, stay home
    now) and in its numerator only (started to work away in the newest year)."""
    _, _, _, mm = two_years()
    before = set(_year(mm, 2019).filter(CROSS)["id_number"])
    now = set(_year(mm, 2020).filter(CROSS)["id_number"])
    assert before - now and now - before
    assert len(before & now) > 0.8 * len(now)


def test_history_reaching_before_the_registry_is_an_error():
    h, m, _ = generate(20, 2015, seed=1)
    with pytest.raises(HistoryError, match="2014"):
        with_history(h, m, 3, seed=1)
    with pytest.raises(HistoryError):
        with_history(h, m, 0, seed=1)


# --- the epidemic --------------------------------------------------------------------------------

@cache
def epidemic():
    _, _, hh, mm = two_years()
    return generate_shocks(hh, mm, 2020, "500101", seed=3, today=date(2026, 1, 1))


def test_one_epidemic_over_the_area_from_january_23():
    event = epidemic()["shocks"]
    assert event.rows(named=True) == [{"event_id": event_id(2020, "500101"), "name": "2020年新冠肺炎疫情", "type": "疫情",
                                       "regions": "500101", "start_date": date(2020, 1, 23),
                                       "end_date": date(2020, 4, 30)}]


def test_affected_households_are_households_with_migrants_work_interrupted():
    _, _, _hh, mm = two_years()
    affected = epidemic()["shock_households"]
    migrants = _year(mm, 2020).filter(CROSS & (pl.col("member_status") == "正常"))["household_id"].unique()
    assert affected.height > 0.5 * migrants.len()
    assert affected["household_id"].is_in(migrants.implode()).all() and affected["household_id"].is_unique().all()
    assert affected["impacts"].str.contains("务工中断").all()
    assert affected["impacts"].str.contains("经营中断").any()
    assert 0.4 < affected["loss"].is_not_null().mean() < 0.8
    assert affected["verified_on"].is_between(date(2020, 1, 30), date(2020, 4, 30)).all()


def test_verification_dates_are_never_after_today():
    _, _, hh, mm = two_years()
    affected = generate_shocks(hh, mm, 2020, "500101", seed=3, today=date(2020, 2, 10))["shock_households"]
    assert affected["verified_on"].max() <= date(2020, 2, 10)


def test_r8_on_the_generated_registry_gives_leads_for_losses_and_for_migrants_who_stayed_home():
    h, m, hh, mm = two_years()
    shocks = epidemic()
    migration = generate_assistance(h, m, 2020, seed=3)["migration"]
    events = shocks["shocks"].select("event_id", "type", "start_date", "name")
    affected = shocks["shock_households"].rename({"impacts": "impact"})
    out = r8.shock_leads(event_id(2020, "500101"), events, affected, hh, mm, migration=migration,
                         policy=load_policies(), as_of=date(2020, 12, 31))
    created = out.filter(pl.col("lead") == r8.CREATED)
    assert created.filter(pl.col("reasons").str.contains("shock_loss")).height > 0
    assert created.filter(pl.col("reasons").str.contains("shock_work_loss")).height > 0
    assert out.filter(pl.col("lead") == r8.INELIGIBLE).height > created.height


def test_the_generated_year_before_gives_a_return_to_work_rate():
    h, m, hh, mm = two_years()
    migration = generate_assistance(h, m, 2020, seed=3)["migration"]
    rate = return_rate(hh, mm, migration, year=2020, on=date(2020, 4, 30), level="county")
    assert rate["out_last_year"].sum() > 0 and 0.5 < rate["rate"][0] < 1.2
