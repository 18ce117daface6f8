"""A synthetic epidemic for a synthetic registry: one 冲击事件 and its 受灾户 (assistance.md
1.12–1.13), consistent with the registry and the generated 务工动态 (:func:`fupin.synth.assistance.
generate_employment`).

* The event: type 疫情 over the generated area (the region prefix given to the generator),
  starting on 01-23 of the year (the 2020 lockdown date) and ending on 04-30, when the generated
  migrants are mostly back at work; id ``YQ<year><area>``.
* The affected households: about :data:`LISTED_SHARE` of the year's households with a living
  member working away from his town (务工状况 跨乡), in 户编号 order; 影响类型 务工中断 (and
  经营中断 for some with business income); most with a 损失金额 of one to three months of their
  wages; a few households that may become monitoring objects (not monitored, not in poverty)
  lost more than their last year's net income (a small business's stock besides the wages), so
  that R8's ``shock_loss`` holds for them and the event gives some leads even with one year of
  registry. With the previous year's members too, ``shock_work_loss`` holds for households
  whose migrants stayed home (返乡未外出).
* 核实日期 a week to six weeks after the start, never after today.

Deterministic by seed, over whole columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from fupin.engine import facts

_S_SHOCKS = 400
CROSS_TOWN = ("乡（镇）外县内务工", "县外省内务工", "省外务工")
LISTED_SHARE = 0.7          # households with migrants listed under the epidemic
LOSS_SHARE = 0.6            # listed households with a 损失金额
HEAVY_SHARE = 0.05          # eligible listed households whose loss exceeds their last year's income
START = (1, 23)
END = (4, 30)

SHOCK_SCHEMA = {"event_id": pl.String, "name": pl.String, "type": pl.String, "regions": pl.String,
                "start_date": pl.Date, "end_date": pl.Date}
AFFECTED_SCHEMA = {"event_id": pl.String, "household_id": pl.String, "impacts": pl.String, "loss": pl.Float64,
                   "verified_on": pl.Date}


def event_id(year: int, area: str) -> str:
    return f"YQ{year}{area}"


def event_name(year: int) -> str:
    return f"{year}年新冠肺炎疫情" if 2020 <= year <= 2022 else f"{year}年突发疫情"


def generate_shocks(households: pl.DataFrame, members: pl.DataFrame, year: int, area: str, *, seed: int = 0,
                    today: date | None = None) -> dict[str, pl.DataFrame]:
    """``shocks`` (one epidemic over ``area``) and ``shock_households`` for the year-``year``
    households and members (frames of any years; ``year``'s rows are read)."""
    today = today or date.today()
    start, end = date(year, *START), date(year, *END)
    eid = event_id(year, area)
    shocks = pl.DataFrame({"event_id": [eid], "name": [event_name(year)], "type": ["疫情"], "regions": [area],
                           "start_date": [start], "end_date": [end]}, schema=SHOCK_SCHEMA)
    hh = households.filter(pl.col("year") == year)
    with_migrants = (members.filter((pl.col("year") == year) & facts.living()
                                    & pl.col("work_location").is_in(CROSS_TOWN).fill_null(False))
                     .select("household_id").unique())
    candidates = (hh.join(with_migrants, on="household_id", how="semi").sort("household_id")
                  .with_columns(net_income=pl.sum_horizontal("wage_income", "business_income", "property_income",
                                                             "transfer_income") - pl.col("business_expense").fill_null(0))
                  .select("household_id", "wage_income", "business_income", "prior_net_income", "net_income",
                          may_lead=~facts.currently_monitored() & ~facts.in_poverty()))
    r = np.random.default_rng([seed, _S_SHOCKS, year])
    k = candidates.height
    listed = candidates.filter(pl.Series(r.random(k) < LISTED_SHARE, dtype=pl.Boolean))
    n = listed.height
    business = (listed["business_income"].fill_null(0) > 0).to_numpy()
    also_business = business & (r.random(n) < 0.3)
    months = r.integers(1, 4, n)
    wage_loss = np.round(listed["wage_income"].fill_null(0).to_numpy() * months / 12, -1)
    has_loss = (r.random(n) < LOSS_SHARE) & (wage_loss > 0)
    base = listed.select(pl.coalesce("prior_net_income", "net_income")).to_series().to_numpy().astype(float)
    eligible = listed["may_lead"].fill_null(False).to_numpy() & np.isfinite(base) & (base > 0)
    heavy = eligible & (r.random(n) < HEAVY_SHARE)
    if n and eligible.any() and not heavy.any():  # at least one, so that the demo's event gives a lead
        heavy[np.flatnonzero(eligible)[0]] = True
    heavy_loss = np.ceil(np.where(eligible, base, 0) * r.uniform(1.05, 1.4, n) / 10) * 10
    loss = np.where(heavy, heavy_loss, np.where(has_loss, wage_loss, np.nan))
    impacts = np.where(also_business | heavy, "务工中断、经营中断", "务工中断")
    latest = min(today, end) if today >= start else start
    span = max((latest - start).days - 7, 0)
    offsets = (7 + r.integers(0, span + 1, n)) if span else np.full(n, (latest - start).days)
    verified = np.datetime64(start, "D") + offsets.astype("timedelta64[D]")
    affected = pl.DataFrame({
        "event_id": [eid] * n, "household_id": listed["household_id"],
        "impacts": pl.Series(impacts.tolist() if n else [], dtype=pl.String),
        "loss": pl.Series(loss if n else [], dtype=pl.Float64).fill_nan(None),
        "verified_on": pl.Series(verified, dtype=pl.Date),
    }, schema=AFFECTED_SCHEMA)
    return {"shocks": shocks, "shock_households": affected}
