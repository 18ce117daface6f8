"""R8 shocks at scale: one event's affected households turned into leads (the engine only).

    .venv/bin/python benchmarks/bench_shocks.py [--households 1000000] [--affected 300000] [--runs 3]

Generated in memory: ``--households`` households of three members, two events of one year, and
``--affected`` listed households (a third of them under both events). In one process, the median
of ``--runs``:

* baseline: a plain Polars pipeline — losses summed per household over the year's events, joined
  to the registry, compared with 上年家庭纯收入 (no population, no eligibility, no evidence);
* measured: :func:`fupin.engine.shocks.shock_leads` then :func:`lead_frame` (population from the
  members, net income, eligibility, natural keys, the evidence JSON of each lead), with
  ``shock_work_loss`` over the year-(Y−1) registry (a copy of Y's, the heads migrants) and one 务工动态
  row for each head (half of them 返乡未外出), under the national policy.

Prints both medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import numpy as np
import polars as pl

from fupin.engine import shocks
from fupin.engine.policy import load_policies
from fupin.engine.schema import polars_schema

YEAR = 2021
POLICY = load_policies()


def frames(n: int, affected: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    ids = pl.Series(np.arange(n)).cast(pl.String).str.zfill(10)
    hh_schema = polars_schema("households", exchange_only=False)
    households = pl.DataFrame({"household_id": ids, "year": pl.Series([YEAR] * n, dtype=pl.Int32),
                               "region_code": pl.Series(rng.choice(["500101001201", "500101002201", "500102001201"], n)),
                               "registered": pl.Series(rng.random(n) < 0.4), "poverty_status": "已脱贫",
                               "prior_net_income": pl.Series(rng.uniform(5000, 60000, n)),
                               "wage_income": pl.Series(rng.uniform(5000, 60000, n)), "business_income": 0.0,
                               "property_income": 0.0, "transfer_income": 0.0, "business_expense": 0.0})
    households = households.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in hh_schema.items()
                                          if c not in households.columns]).select(list(hh_schema)).cast(
        {c: t for c, t in hh_schema.items()})
    heads = pl.Series(["户主"] * n + ["子女"] * 2 * n)
    members = pl.DataFrame({"household_id": pl.concat([ids] * 3), "year": pl.Series([YEAR] * 3 * n, dtype=pl.Int32),
                            "name": "张三", "id_number": pl.concat([ids, ids + "b", ids + "c"]), "relationship": heads,
                            "labour": "普通劳动力", "member_status": None}).cast({"member_status": pl.String})
    head = pl.col("relationship") == "户主"
    members = members.with_columns(work_location=pl.when(head).then(pl.lit("省外务工")),
                                   work_months=pl.when(head).then(10).otherwise(0).cast(pl.Int32))
    listed = pl.Series(rng.choice(n, affected, replace=False)).cast(pl.String).str.zfill(10)
    both = listed.head(affected // 3)
    aff = pl.DataFrame({"event_id": ["E1"] * affected + ["E2"] * both.len(), "household_id": pl.concat([listed, both]),
                        "impact": "房屋损毁", "loss": rng.uniform(0, 40000, affected + both.len())})
    migration = pl.DataFrame({"id_number": ids, "reported_on": date(YEAR, 2, 1),
                              "state": pl.Series(rng.choice(["返乡未外出", "已返岗"], n)), "place": "省外"})
    members = pl.concat([members, members.with_columns(year=pl.lit(YEAR - 1, dtype=pl.Int32))])
    households = pl.concat([households, households.with_columns(year=pl.lit(YEAR - 1, dtype=pl.Int32))])
    events = pl.DataFrame({"event_id": ["E1", "E2"], "name": ["疫情", "滑坡"], "type": ["疫情", "地质灾害"],
                           "start_date": [date(YEAR, 6, 1), date(YEAR, 8, 1)]})
    return events, aff, households, members, migration


def baseline(events, aff, households, members, migration):
    losses = aff.group_by("household_id").agg(pl.col("loss").sum())
    listed = aff.filter(pl.col("event_id") == "E1").select("household_id")
    this_year = households.filter(pl.col("year") == YEAR).select("household_id", "prior_net_income")
    return (listed.join(losses, on="household_id").join(this_year, on="household_id", how="left")
            .filter(pl.col("loss") > pl.col("prior_net_income")))


def measured(events, aff, households, members, migration):
    result = shocks.shock_leads("E1", events, aff, households, members, migration=migration, policy=POLICY)
    heads = members.filter((pl.col("relationship") == "户主") & (pl.col("year") == YEAR)).select(
        "household_id", "name", "id_number")
    return shocks.lead_frame(result, events, aff, heads)


def median(fn, args, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--affected", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = frames(args.households, args.affected)
    base, base_out = median(baseline, data, args.runs)
    took, leads = median(measured, data, args.runs)
    print(f"households {args.households:,}, affected {args.affected:,}, leads {leads.height:,} "
          f"(baseline: {base_out.height:,} over their prior-year income)")
    print(f"baseline {base:.2f} s, shock_leads {took:.2f} s, ratio {took / base:.1f}")


if __name__ == "__main__":
    main()
