"""R8 shocks (assistance.md R8 `shock`, edge case 14 of section 6) on small hand-made frames."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import shocks
from tests.engine.engine_helpers import frames, household, member, policy

Y = 2024


def _events(*rows):
    return pl.DataFrame([{"event_id": e, "name": n, "type": t, "start_date": d} for e, n, t, d in rows],
                        schema={"event_id": pl.String, "name": pl.String, "type": pl.String, "start_date": pl.Date})


def _affected(*rows):
    return pl.DataFrame([{"event_id": e, "household_id": h, "impact": "房屋损毁", "loss": loss} for e, h, loss in rows],
                        schema={"event_id": pl.String, "household_id": pl.String, "impact": pl.String,
                                "loss": pl.Float64})


FLOOD = ("E1", "洪水", "洪涝", date(Y, 6, 1))
SLIDE = ("E2", "滑坡", "地质灾害", date(Y, 8, 1))


def _row(result, household_id):
    return result.filter(pl.col("household_id") == household_id).row(0, named=True)


def test_shock_loss_above_prior_net_income_makes_a_lead():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    result = shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 16000.0)), hh, mm)
    row = _row(result, "H1")
    assert (row["lead"], row["reasons"], row["loss"]) == ("created", "shock_loss", 16000.0)
    assert row["natural_key"] == f"shock:H1:{Y}"


def test_shock_loss_not_above_prior_net_income_is_ineligible():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 15000.0)), hh, mm), "H1")
    assert (row["lead"], row["reasons"]) == ("ineligible", "")


def test_edge_14_two_events_in_the_year_sum_each_loss_once():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    affected = _affected(("E1", "H1", 9000.0), ("E2", "H1", 7000.0))
    first = _row(shocks.shock_leads("E1", _events(FLOOD, SLIDE), affected, hh, mm), "H1")
    second = _row(shocks.shock_leads("E2", _events(FLOOD, SLIDE), affected, hh, mm), "H1")
    assert first["loss"] == second["loss"] == 16000.0
    assert first["lead"] == second["lead"] == "created"
    # both events name the same lead: the second run finds it (application test: no second lead)
    assert first["natural_key"] == second["natural_key"]


def test_losses_of_an_event_of_another_year_are_not_summed():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    old = ("E0", "旧灾", "洪涝", date(Y - 1, 7, 1))
    affected = _affected(("E0", "H1", 9000.0), ("E1", "H1", 7000.0))
    row = _row(shocks.shock_leads("E1", _events(old, FLOOD), affected, hh, mm), "H1")
    assert (row["loss"], row["lead"]) == (7000.0, "ineligible")


def test_disaster_loss_of_the_registry_counts_when_larger_than_the_listed_losses():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0, disaster_loss=20000.0))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 1000.0)), hh, mm), "H1")
    assert (row["rigid_expenses"], row["lead"]) == (20000.0, "created")


def test_without_prior_net_income_the_net_income_is_the_base():
    hh, mm = frames(household(household_id="H1", prior_net_income=None, wage_income=10000.0))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 12000.0)), hh, mm), "H1")
    assert (row["income_base"], row["lead"]) == (10000.0, "created")


def test_edge_14_already_monitored_household_is_ineligible():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0, monitoring_category="sudden",
                              risk_eliminated=False))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 50000.0)), hh, mm), "H1")
    assert (row["reasons"], row["lead"]) == ("shock_loss", "ineligible")


def test_household_in_poverty_is_ineligible():
    hh, mm = frames(household(household_id="H1", registered=True, poverty_status="未脱贫", prior_net_income=1.0))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H1", 50000.0)), hh, mm), "H1")
    assert row["lead"] == "ineligible"


def test_listed_household_without_a_snapshot_of_the_year():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    row = _row(shocks.shock_leads("E1", _events(FLOOD), _affected(("E1", "H9", 50000.0)), hh, mm), "H9")
    assert row["lead"] == "no_snapshot"


def test_lead_frame_carries_the_events_and_the_sudden_category():
    hh, mm = frames(household(household_id="H1", prior_net_income=15000.0))
    events, affected = _events(FLOOD, SLIDE), _affected(("E1", "H1", 9000.0), ("E2", "H1", 7000.0))
    result = shocks.shock_leads("E1", events, affected, hh, mm)
    heads = pl.DataFrame({"household_id": ["H1"], "name": ["张三"], "id_number": ["x"]})
    leads = shocks.lead_frame(result, events, affected, heads)
    assert leads.height == 1 and leads["category"][0] == "sudden"
    assert '"E2"' in leads["evidence"][0] and '"E1"' in leads["evidence"][0]


def test_exposed_counts_registered_or_monitored_households_in_the_event_regions():
    hh, _ = frames([household(household_id="H1", registered=True, poverty_status="已脱贫"),
                    household(household_id="H2", registered=False),
                    household(household_id="H3", registered=True, region_code="510101001001")])
    assert shocks.exposed_count(hh, Y, ["5001"]) == 1


# --- shock_work_loss (R8): an epidemic keeps a migrant household's earners at home ---------------

W = 2021  # Y; the national monitoring line of 2021 is 6000 a person


def _migration(*rows):
    return pl.DataFrame([{"id_number": i, "reported_on": d, "state": s, "place": None} for i, d, s in rows],
                        schema={"id_number": pl.String, "reported_on": pl.Date, "state": pl.String,
                                "place": pl.String})


def _work_case(*, state="返乡未外出", wage=20000.0, transfer=1000.0, impact="其他", kind="疫情"):
    """H1: two people; the head worked 10 months 省外 in Y−1 and is home again on as_of."""
    hh_rows = [household(household_id="H1", year=W - 1, wage_income=wage, transfer_income=transfer),
               household(household_id="H1", year=W, prior_net_income=wage + transfer)]
    mm_rows = [member(household_id="H1", year=y, id_number="P1", work_location="省外务工", work_months=10)
               for y in (W - 1, W)] + [member(household_id="H1", year=y, id_number="P2", relationship="配偶")
                                      for y in (W - 1, W)]
    hh, mm = frames(hh_rows, mm_rows)
    events = _events(("C1", "疫情", kind, date(W, 1, 24)))
    affected = pl.DataFrame({"event_id": ["C1"], "household_id": ["H1"], "impact": [impact], "loss": [0.0]})
    migration = _migration(("P1", date(W, 2, 1), state))
    return events, affected, hh, mm, migration


def _work_row(*, policy_set, **case):
    events, affected, hh, mm, migration = _work_case(**case)
    return _row(shocks.shock_leads("C1", events, affected, hh, mm, migration=migration, policy=policy_set), "H1")


def test_shock_work_loss_epidemic_migrant_stuck_at_home_is_an_employment_lead():
    row = _work_row(policy_set=policy())
    # (21000 − 20000) / 2 = 500 < 6000, wage share 20000 ≥ 0.5 × 21000
    assert (row["reasons"], row["lead"], row["kind"]) == ("shock_work_loss", "created", "employment")


def test_shock_work_loss_needs_every_migrant_at_home():
    assert _work_row(policy_set=policy(), state="已返岗")["lead"] == "ineligible"


def test_shock_work_loss_needs_wages_to_be_the_main_income():
    assert _work_row(policy_set=policy(), wage=5000.0, transfer=20000.0)["lead"] == "ineligible"


def test_shock_work_loss_for_a_flood_needs_the_work_interrupted_impact():
    assert _work_row(policy_set=policy(), kind="洪涝")["lead"] == "ineligible"
    assert _work_row(policy_set=policy(), kind="洪涝", impact="房屋损毁、务工中断")["lead"] == "created"


def test_shock_work_loss_without_migration_records_is_absent():
    events, affected, hh, mm, _ = _work_case()
    row = _row(shocks.shock_leads("C1", events, affected, hh, mm), "H1")
    assert (row["reasons"], row["lead"]) == ("", "ineligible")
