"""Benchmark: the assistance coverage report (spec/assistance.md 3.11) for 1M households and 5M
measures, on the machine's cores.

Run:  .venv/bin/python benchmarks/bench_assist.py [--households 1000000] [--measures 5000000] [--runs 3]

Data (made once, gitignored, ``benchmarks/data/assist_<N>_<M>/``): the registry of
``fupin.synth.generate(N, 2022, region="50", seed=7)`` (Chongqing, ≈3.1 members per household),
the assistance of ``fupin.synth.assistance.generate_assistance`` for it, topped up to M measures
with rows drawn over the same households and members (subtypes drawn from the catalogue, 40 %
member-level, dates in the year); all as Parquet.

Measured, each run in a fresh child process, median of ``--runs``:

* **coverage** — what ``fupin assist coverage`` computes after reading: R1–R4 and R9
  (:func:`fupin.engine.assistance.rules.evaluate`, attribution of every record included) and the
  coverage table at all five levels (:func:`~fupin.engine.assistance.rules.coverage`) plus the
  uncovered lists; the Parquet read is timed apart;
* **baseline** — one plain Polars query over the same frames: measures joined to the year's
  households, one group-by per village counting households with a measure (the least any
  coverage figure must do).

Printed: both medians, their ratio, the read time, and the goal (coverage < 15 s).

``--pairing`` measures R5 and R6 (:func:`fupin.engine.assistance.pairing.evaluate_pairing`, with
B08/B09/B15/B16 and the two coverage rules' units) on the same 1M households with 1M pairings
(250,000 cadres, about one pairing per household, 2 % of cadres gone mid-year) and 10M visits
(70 % home visits, the rest calls, dates through the year), made once in
``benchmarks/data/pairing_<N>_<V>/``; the **baseline** is one group-by of the visits by household
(latest date) joined to the year's households.

``--employment`` measures R7 (公益性岗位 checks B01–B07, B10–B12, inside
:func:`fupin.engine.assistance.rules.evaluate`) and R10 (:func:`fupin.engine.assistance.employment.offers`)
on 1M households with 500k placements (``--placements``): every county gets four posts of the
generator's templates and every town a 公益性岗位; placements are drawn over living members aged
16–65, a third of them on their town's 公益性岗位, 1 % twice (B06), start dates through the year,
a quarter ended. Made once in ``benchmarks/data/employment_<N>_<P>/``. Timed: ``evaluate`` with the
placements (R1–R4, R7, R9) plus ``offers`` against the same ``evaluate`` without them — the
difference is what R7+R10 cost; the **baseline** is one join of the placements to the year's
members and a group-by by household.

``--db`` measures the database half instead (``--households`` default 100,000 there): a generated
workbook (registry and its 帮扶措施 / 收益项目 / 收益分配 sheets, ``benchmarks/data/assist_db_<N>/``)
whose registry is imported once into a SQLite file; each run copies that file and, in a fresh
process, times ``import_assistance`` of the workbook (first import, then the same file again:
nothing to write) against the **baseline**, a bare read of the same sheets
(``fupin.io.assistance.read_sheets``: calamine, no parsing, no checks, no database).

``--together`` is issue 13's goal: R5–R8 and R10 in one process on 1M households, 1M pairings,
10M visits and 500k placements (the ``--pairing`` and ``--employment`` data, the same generated
registry), plus one 疫情 event over the whole province with ``--affected`` listed households (a
year-(Y−1) copy of the registry for ``shock_work_loss``, one 务工动态 row per migrant). Timed after
reading: :func:`~fupin.engine.assistance.rules.evaluate` with cadres, pairings, visits, posts and
placements (R1–R7, R9: R10 needs R1's uncovered members), R10 ``offers``, and R8
(``shock_leads`` + ``lead_frame``). The **baseline** is the same three plain queries the other modes
use (latest visit by household, placements ⋈ members, losses ⋈ 上年家庭纯收入) run one after the other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
YEAR = 2022


def prepare(n: int, m: int) -> Path:
    folder = DATA / f"assist_{n}_{m}"
    if (folder / "measures.parquet").exists():
        return folder
    from fupin.engine.assistance.catalogue import Catalogue
    from fupin.synth import generate
    from fupin.synth.assistance import generate_assistance

    folder.mkdir(parents=True, exist_ok=True)
    households, members, _regions = generate(n, YEAR, region="50", seed=7)
    made = generate_assistance(households, members, YEAR, seed=7)
    measures = made["measures"]
    extra = m - measures.height
    if extra > 0:
        rng = np.random.default_rng(7)
        cat = Catalogue.default().frame
        subtypes = cat["subtype"].to_numpy()
        person_level = rng.random(extra) < 0.4
        member_rows = rng.integers(0, members.height, extra)
        household_rows = rng.integers(0, households.height, extra)
        hid = pl.select(pl.when(pl.Series(person_level)).then(members["household_id"].gather(member_rows))
                        .otherwise(households["household_id"].gather(household_rows))).to_series()
        ids = pl.select(pl.when(pl.Series(person_level)).then(members["id_number"].gather(member_rows))).to_series()
        start = np.datetime64(f"{YEAR}-01-01", "D") + rng.integers(0, 365, extra).astype("timedelta64[D]")
        topped = pl.DataFrame({
            "household_id": pl.Series(hid, dtype=pl.String), "id_number": pl.Series(ids, dtype=pl.String),
            "subtype": pl.Series(subtypes[rng.integers(0, len(subtypes), extra)], dtype=pl.String),
            "start": pl.Series(start, dtype=pl.Date), "amount": np.round(rng.uniform(100, 3000, extra), 0),
            "status": pl.Series(np.where(rng.random(extra) < 0.95, "已落实", "计划"), dtype=pl.String),
            "responsible_unit": pl.Series(["乡镇人民政府"] * extra, dtype=pl.String),
        })
        measures = pl.concat([measures, topped], how="diagonal_relaxed")
    households.write_parquet(folder / "households.parquet")
    members.write_parquet(folder / "members.parquet")
    measures.write_parquet(folder / "measures.parquet")
    made["dividends"].write_parquet(folder / "dividends.parquet")
    return folder


def prepare_db(n: int) -> Path:
    folder = DATA / f"assist_db_{n}"
    workbook, db = folder / "registry.xlsx", folder / "registry.sqlite3"
    if not workbook.exists():
        from fupin.io import write_registry
        from fupin.io.assistance import workbook_sheets
        from fupin.synth import generate
        from fupin.synth.assistance import generate_assistance

        folder.mkdir(parents=True, exist_ok=True)
        households, members, regions = generate(n, YEAR, region="500101", seed=7)
        made = generate_assistance(households, members, YEAR, seed=7)
        write_registry(workbook, households, members, regions, extra_sheets=workbook_sheets(made))
    if not db.exists():
        subprocess.run([sys.executable, "-m", "fupin.cli", "import", str(workbook), "--db", f"sqlite:///{db}",
                        "--rejects", str(folder / "registry.rejects.xlsx")], check=True, capture_output=True, cwd=folder)
    return folder


def db_child(folder: Path, part: str) -> dict:
    workbook = folder / "registry.xlsx"
    if part == "db-read":
        from fupin.io.assistance import read_sheets

        started = time.perf_counter()
        sheets = read_sheets(workbook)
        return {"seconds": time.perf_counter() - started, "rows": sum(s.raw.frame.height for s in sheets)}
    import shutil
    import tempfile

    from fupin.site import bootstrap

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "a.sqlite3"
        shutil.copy(folder / "registry.sqlite3", db)
        bootstrap.setup(f"sqlite:///{db}", create=False)
        from fupin.accounts.scoping import Scope
        from fupin.application.assistance import import_assistance

        started = time.perf_counter()
        first = import_assistance(Scope.system(), workbook, Path(tmp) / "r.xlsx")
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = import_assistance(Scope.system(), workbook, Path(tmp) / "r.xlsx")
        reimport = time.perf_counter() - started
    return {"seconds": seconds, "reimport": reimport, "rows": sum(c.new for c in first.counts.values()),
            "unchanged": sum(c.unchanged for c in again.counts.values())}


def db_main(args) -> None:
    folder = prepare_db(args.households)
    results: dict[str, list[dict]] = {"db-import": [], "db-read": []}
    for _ in range(args.runs):
        for part, rows in results.items():
            out = subprocess.run([sys.executable, __file__, "--child", str(folder), part], check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    imp = statistics.median(r["seconds"] for r in results["db-import"])
    again = statistics.median(r["reimport"] for r in results["db-import"])
    base = statistics.median(r["seconds"] for r in results["db-read"])
    first = results["db-import"][0]
    print(f"households {args.households:,}; assistance rows loaded {first['rows']:,} "
          f"(re-import: {first['unchanged']:,} unchanged); runs {args.runs} (fresh processes, SQLite)")
    runs = {part: ", ".join(f"{r['seconds']:.2f}" for r in rows) for part, rows in results.items()}
    print(f"import (read, check, upsert, history): median {imp:.2f} s  [{runs['db-import']}]")
    reruns = ", ".join(f"{r['reimport']:.2f}" for r in results["db-import"])
    print(f"re-import of the same file:            median {again:.2f} s  [{reruns}]")
    print(f"baseline (bare read of the sheets):    median {base:.2f} s  [{runs['db-read']}]")
    print(f"ratio import / baseline: {imp / base:.1f}×;  re-import / baseline: {again / base:.1f}×")


def child(folder: Path, part: str) -> dict:
    started = time.perf_counter()
    households = pl.read_parquet(folder / "households.parquet")
    members = pl.read_parquet(folder / "members.parquet")
    measures = pl.read_parquet(folder / "measures.parquet")
    dividends = pl.read_parquet(folder / "dividends.parquet")
    read = time.perf_counter() - started
    started = time.perf_counter()
    if part == "coverage":
        from fupin.engine.assistance.rules import Ledger, coverage, evaluate, uncovered
        from fupin.engine.policy import load_policies

        outcome = evaluate(households, members, Ledger(measures=measures, dividends=dividends), year=YEAR,
                           policy=load_policies())
        table = coverage(outcome)
        lists = uncovered(outcome)
        rows = table.height + sum(f.height for f in lists.values())
    else:
        table = (measures.lazy().join(households.lazy().filter(pl.col("year") == YEAR).select("household_id", "region_code"),
                                      on="household_id", how="inner")
                 .group_by("region_code").agg(pl.col("household_id").n_unique()).collect())
        rows = table.height
    return {"read": read, "seconds": time.perf_counter() - started, "rows": rows,
            "measures": measures.height, "households": households.height}


def prepare_pairing(n: int, v: int) -> Path:
    folder = DATA / f"pairing_{n}_{v}"
    if (folder / "visits.parquet").exists():
        return folder
    from fupin.synth import generate

    folder.mkdir(parents=True, exist_ok=True)
    households, members, _regions = generate(n, YEAR, region="50", seed=7)
    rng = np.random.default_rng(13)
    ids = households.filter(pl.col("year") == YEAR)["household_id"]
    k = ids.len()
    n_cadres = max(k // 4, 1)
    cadre_ids = pl.Series([f"GB{i:08d}" for i in range(n_cadres)], dtype=pl.String)
    left = np.datetime64(f"{YEAR}-03-01", "D") + rng.integers(0, 250, n_cadres).astype("timedelta64[D]")
    cadres = pl.DataFrame({
        "cadre_id": cadre_ids, "name": pl.Series(["干部"] * n_cadres), "unit": pl.Series(rng.choice(
            ["县财政局", "县教委", "乡镇人民政府"], n_cadres)), "rank": pl.Series(rng.choice(
            ["正处", "副处", "正科", "副科", "一般干部", "村干部"], n_cadres)), "phone": pl.Series(["13900000000"] * n_cadres),
        "left_on": pl.Series(np.where(rng.random(n_cadres) < 0.02, left, np.datetime64("NaT")), dtype=pl.Date)})
    order = rng.permutation(k)
    start = np.datetime64(f"{YEAR - 3}-01-01", "D") + rng.integers(0, 3 * 365, k).astype("timedelta64[D]")
    pairings = pl.DataFrame({"cadre_id": cadre_ids.gather(np.minimum(np.arange(k) // 4, n_cadres - 1)),
                             "household_id": ids.gather(order), "start": pl.Series(start, dtype=pl.Date),
                             "end": pl.Series([None] * k, dtype=pl.Date), "order": pl.Series(["第一"] * k)})
    pick = rng.integers(0, k, v)
    visits = pl.DataFrame({
        "household_id": ids.gather(pick), "cadre_id": pairings["cadre_id"].gather(np.searchsorted(order, pick) % k),
        "visited_on": pl.Series(np.datetime64(f"{YEAR}-01-01", "D") + rng.integers(0, 365, v).astype("timedelta64[D]"),
                                dtype=pl.Date),
        "mode": pl.Series(np.where(rng.random(v) < 0.7, "入户走访", "电话"))})
    households.write_parquet(folder / "households.parquet")
    members.select("household_id", "year", "id_number").write_parquet(folder / "members.parquet")
    cadres.write_parquet(folder / "cadres.parquet")
    pairings.write_parquet(folder / "pairings.parquet")
    visits.write_parquet(folder / "visits.parquet")
    return folder


def pairing_child(folder: Path, part: str) -> dict:
    from datetime import date

    from fupin.engine import facts
    from fupin.engine.assistance import pairing as P
    from fupin.engine.assistance.rules import FINDING_SCHEMA
    from fupin.engine.policy import load_policies

    started = time.perf_counter()
    households = pl.read_parquet(folder / "households.parquet")
    members = pl.read_parquet(folder / "members.parquet")
    cadres, pairings, visits = (pl.read_parquet(folder / f"{t}.parquet") for t in ("cadres", "pairings", "visits"))
    read = time.perf_counter() - started
    started = time.perf_counter()
    as_of = date(YEAR, 12, 31)
    if part == "pairing":
        policy = load_policies()
        hh = households.lazy().filter(pl.col("year") == YEAR).with_columns(
            policy.policy_key_expr(pl.col("region_code")), in_scope=facts.registered() | facts.currently_monitored(),
            monitored=facts.currently_monitored())
        codes = households["region_code"].unique()
        params = policy.frame(YEAR, codes, needed=P.PAIRING_PARAMETERS, parameters=P.PAIRING_PARAMETERS)
        out = P.evaluate_pairing(hh, members.lazy().filter(pl.col("year") == YEAR), params, cadres=cadres,
                                 pairings=pairings, visits=visits, year=YEAR, as_of=as_of, region=None,
                                 finding_schema=FINDING_SCHEMA)
        rows = out.pairing.height + out.visit.height + out.cadres.height + out.findings.height
    else:
        last = visits.lazy().filter(pl.col("mode") == "入户走访").group_by("household_id").agg(pl.col("visited_on").max())
        table = (households.lazy().filter(pl.col("year") == YEAR).select("household_id", "region_code")
                 .join(last, on="household_id", how="left").collect())
        rows = table.height
    return {"read": read, "seconds": time.perf_counter() - started, "rows": rows, "visits": visits.height,
            "pairings": pairings.height, "households": households.height}


def prepare_employment(n: int, p: int) -> Path:
    folder = DATA / f"employment_{n}_{p}"
    if (folder / "placements.parquet").exists():
        return folder
    from fupin.synth import generate
    from fupin.synth.assistance import POST_TEMPLATES

    folder.mkdir(parents=True, exist_ok=True)
    households, members, _regions = generate(n, YEAR, region="50", seed=7)
    rng = np.random.default_rng(17)
    codes = households["region_code"].unique().sort()
    counties, towns = codes.str.slice(0, 6).unique().sort(), codes.str.slice(0, 9).unique().sort()
    rows = [(f"GW{c}{i}", name, kind, None, "用工单位", c.ljust(12, "0"), place, float(lo), True, 10_000,
             date_(YEAR, 1, 1)) for c in counties for i, (kind, name, place, lo, _hi) in enumerate(POST_TEMPLATES)]
    rows += [(f"GY{t}", "保洁员", "公益性岗位", "保洁员", "乡镇人民政府", t.ljust(12, "0"), "乡镇内", 600.0,
              bool(rng.random() < 0.9), 10_000, date_(YEAR, 1, 1)) for t in towns]
    posts = pl.DataFrame(rows, orient="row", infer_schema_length=None, schema=[
        "post_id", "name", "kind", "public_post_type", "employer", "region_code", "place", "monthly_pay",
        "accident_insurance", "planned", "published_on"])
    people = members.filter(pl.col("year") == YEAR).join(
        households.filter(pl.col("year") == YEAR).select("household_id", "region_code"), on="household_id")
    pick = people.sample(n=min(p, people.height), seed=17)
    k = pick.height
    public = rng.random(k) < 1 / 3
    template = rng.integers(0, len(POST_TEMPLATES), k)
    post_id = pl.select(pl.when(pl.Series(public)).then(pl.lit("GY") + pick["region_code"].str.slice(0, 9))
                        .otherwise(pl.lit("GW") + pick["region_code"].str.slice(0, 6)
                                   + pl.Series(template).cast(pl.String))).to_series()
    start = np.datetime64(f"{YEAR}-01-01", "D") + rng.integers(0, 365, k).astype("timedelta64[D]")
    end = np.where(rng.random(k) < 0.25, start + rng.integers(30, 200, k).astype("timedelta64[D]"), np.datetime64("NaT"))
    placements = pl.DataFrame({"id_number": pick["id_number"], "household_id": pick["household_id"],
                               "post_id": post_id, "start": pl.Series(start, dtype=pl.Date),
                               "end": pl.Series(end, dtype=pl.Date)})
    twice = placements.filter(pl.Series(public)).head(max(k // 100, 1)).with_columns(
        start=pl.col("start") + pl.duration(days=1))
    placements = pl.concat([placements, twice])
    households.write_parquet(folder / "households.parquet")
    members.write_parquet(folder / "members.parquet")
    posts.write_parquet(folder / "posts.parquet")
    placements.write_parquet(folder / "placements.parquet")
    return folder


def date_(y: int, m: int, d: int):
    from datetime import date

    return date(y, m, d)


def employment_child(folder: Path, part: str) -> dict:
    from fupin.engine.assistance import employment as E
    from fupin.engine.assistance.rules import Ledger, evaluate
    from fupin.engine.policy import load_policies

    households = pl.read_parquet(folder / "households.parquet")
    members = pl.read_parquet(folder / "members.parquet")
    posts, placements = pl.read_parquet(folder / "posts.parquet"), pl.read_parquet(folder / "placements.parquet")
    started = time.perf_counter()
    found = offered = 0
    if part == "employment":
        outcome = evaluate(households, members, Ledger(placements=placements, posts=posts), year=YEAR,
                           policy=load_policies())
        offers = E.offers(outcome.outlet, posts, placements, None, year=YEAR, as_of=outcome.as_of)
        found = outcome.findings.filter(pl.col("code").is_in(list(E.SEVERITY))).height
        offered = offers.height
    elif part == "employment-without":
        evaluate(households, members, Ledger(), year=YEAR, policy=load_policies())
    else:
        (placements.lazy().join(members.lazy().filter(pl.col("year") == YEAR).select("id_number", "labour"),
                                on="id_number", how="inner").group_by("household_id").len().collect())
    return {"seconds": time.perf_counter() - started, "findings": found, "offers": offered,
            "placements": placements.height, "households": households.height}


def run_parts(folder: Path, parts: list[str], runs: int) -> tuple[dict, dict, dict]:
    """Each part in a fresh child process, ``runs`` rounds (parts interleaved, so that a noisy
    moment hits all of them): the rows, the median seconds and the runs' seconds as text."""
    results: dict[str, list[dict]] = {part: [] for part in parts}
    for _ in range(runs):
        for part, rows in results.items():
            out = subprocess.run([sys.executable, __file__, "--child", str(folder), part], check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {part: statistics.median(r["seconds"] for r in rows) for part, rows in results.items()}
    text = {part: ", ".join(f"{r['seconds']:.2f}" for r in rows) for part, rows in results.items()}
    return results, med, text


def employment_main(args) -> None:
    folder = prepare_employment(args.households, args.placements)
    results, med, runs = run_parts(folder, ["employment", "employment-without", "employment-baseline"], args.runs)
    first = results["employment"][0]
    print(f"households {first['households']:,}, placements {first['placements']:,}, runs {args.runs} (fresh processes); "
          f"R7 findings {first['findings']:,}, R10 rows {first['offers']:,}")
    print(f"R1–R4, R7, R9 + R10 offers:        median {med['employment']:.2f} s  [{runs['employment']}]")
    print(f"R1–R4, R9 without placements:      median {med['employment-without']:.2f} s  [{runs['employment-without']}]")
    print(f"baseline (placements ⋈ members, group-by): median {med['employment-baseline']:.2f} s  "
          f"[{runs['employment-baseline']}]")
    extra = med["employment"] - med["employment-without"]
    print(f"R7+R10 cost {extra:.2f} s; ratio to baseline {extra / med['employment-baseline']:.1f}×")


def pairing_main(args) -> None:
    folder = prepare_pairing(args.households, args.visits)
    results, medians, runs = run_parts(folder, ["pairing", "pairing-baseline"], args.runs)
    med, base = medians["pairing"], medians["pairing-baseline"]
    first = results["pairing"][0]
    print(f"households {first['households']:,}, pairings {first['pairings']:,}, visits {first['visits']:,}, "
          f"runs {args.runs} (fresh processes)")
    print(f"R5+R6 (+B08/B09/B15/B16):        median {med:.2f} s  [{runs['pairing']}]")
    print(f"baseline (latest visit by household): median {base:.2f} s  [{runs['pairing-baseline']}]")
    print(f"ratio R5+R6 / baseline: {med / base:.1f}×;  Parquet read (apart): "
          f"{statistics.median(r['read'] for r in results['pairing']):.2f} s")


def prepare_together(n: int, v: int, p: int, affected: int) -> Path:
    """The ``--pairing`` and ``--employment`` folders (one registry) plus a year-(Y−1) copy, an
    epidemic event, its listed households and the 务工动态 rows."""
    pairing_folder, employment_folder = prepare_pairing(n, v), prepare_employment(n, p)
    folder = DATA / f"together_{n}_{affected}"
    if (folder / "affected.parquet").exists():
        return folder
    from datetime import date

    folder.mkdir(parents=True, exist_ok=True)
    households = pl.read_parquet(employment_folder / "households.parquet")
    members = pl.read_parquet(employment_folder / "members.parquet")
    rng = np.random.default_rng(23)
    ids = households.filter(pl.col("year") == YEAR)["household_id"]
    listed = ids.gather(rng.choice(ids.len(), min(affected, ids.len()), replace=False))
    k = listed.len()
    pl.DataFrame({"event_id": ["YQ1"], "name": ["新冠肺炎疫情"], "type": ["疫情"], "regions": ["50"],
                  "start_date": [date(YEAR, 1, 23)], "end_date": [None]}).write_parquet(folder / "events.parquet")
    pl.DataFrame({"event_id": pl.Series(["YQ1"] * k), "household_id": listed,
                  "impact": pl.Series(np.where(rng.random(k) < 0.5, "务工中断", "经营中断")),
                  "loss": pl.Series(np.where(rng.random(k) < 0.3, rng.uniform(500, 40_000, k), 0.0))}
                 ).write_parquet(folder / "affected.parquet")
    # Year Y−1: the same households and people (the heads of a fifth of the households migrants).
    before = households.filter(pl.col("year") == YEAR).with_columns(year=pl.lit(YEAR - 1, dtype=pl.Int32))
    head = pl.col("relationship") == "户主"
    migrant = pl.col("household_id").hash(5) % 5 == 0
    members_before = members.filter(pl.col("year") == YEAR).with_columns(
        year=pl.lit(YEAR - 1, dtype=pl.Int32),
        work_location=pl.when(head & migrant).then(pl.lit("省外务工")).otherwise(pl.col("work_location")),
        work_months=pl.when(head & migrant).then(pl.lit(10)).otherwise(pl.col("work_months")).cast(pl.Int32))
    pl.concat([households, before], how="vertical_relaxed").write_parquet(folder / "households.parquet")
    pl.concat([members, members_before], how="vertical_relaxed").write_parquet(folder / "members.parquet")
    movers = members_before.filter(pl.col("work_location").is_not_null() & (pl.col("work_months") > 0))
    m = movers.height
    pl.DataFrame({"id_number": movers["id_number"], "reported_on": pl.Series([date(YEAR, 3, 1)] * m),
                  "state": pl.Series(rng.choice(["返乡未外出", "已返岗", "在外务工"], m)),
                  "place": pl.Series(["省外"] * m)}).write_parquet(folder / "migration.parquet")
    for name in ("cadres", "pairings", "visits"):
        (folder / f"{name}.parquet").symlink_to(pairing_folder / f"{name}.parquet")
    for name in ("posts", "placements"):
        (folder / f"{name}.parquet").symlink_to(employment_folder / f"{name}.parquet")
    return folder


def together_child(folder: Path, part: str) -> dict:
    from fupin.engine import shocks
    from fupin.engine.assistance import employment as E
    from fupin.engine.assistance.rules import Ledger, evaluate
    from fupin.engine.policy import load_policies

    started = time.perf_counter()
    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in (
        "households", "members", "cadres", "pairings", "visits", "posts", "placements", "events", "affected",
        "migration")}
    read = time.perf_counter() - started
    f = frames
    started = time.perf_counter()
    counts = {}
    if part == "together":
        policy = load_policies()
        ledger = Ledger(placements=f["placements"], posts=f["posts"], cadres=f["cadres"], pairings=f["pairings"],
                        visits=f["visits"], migration=f["migration"])
        outcome = evaluate(f["households"], f["members"], ledger, year=YEAR, policy=policy)
        offers = E.offers(outcome.outlet, f["posts"], f["placements"], None, year=YEAR, as_of=outcome.as_of)
        result = shocks.shock_leads("YQ1", f["events"], f["affected"], f["households"], f["members"],
                                    migration=f["migration"], policy=policy)
        heads = f["members"].filter((pl.col("relationship") == "户主") & (pl.col("year") == YEAR)).select(
            "household_id", "name", "id_number")
        leads = shocks.lead_frame(result, f["events"], f["affected"], heads)
        counts = {"findings": outcome.findings.height, "offers": offers.height, "leads": leads.height,
                  "unpaired": outcome.pairing.filter(pl.col("status") == "unpaired").height,
                  "overdue": outcome.visit.filter(pl.col("status") == "overdue").height}
    elif part == "together-without":
        evaluate(f["households"], f["members"], Ledger(), year=YEAR, policy=load_policies())
    else:
        this_year = f["households"].lazy().filter(pl.col("year") == YEAR)
        last = (f["visits"].lazy().filter(pl.col("mode") == "入户走访").group_by("household_id")
                .agg(pl.col("visited_on").max()))
        this_year.select("household_id", "region_code").join(last, on="household_id", how="left").collect()
        (f["placements"].lazy().join(f["members"].lazy().filter(pl.col("year") == YEAR).select("id_number", "labour"),
                                     on="id_number", how="inner").group_by("household_id").len().collect())
        losses = f["affected"].lazy().group_by("household_id").agg(pl.col("loss").sum())
        (losses.join(this_year.select("household_id", "prior_net_income"), on="household_id", how="left")
         .filter(pl.col("loss") > pl.col("prior_net_income")).collect())
    return {"read": read, "seconds": time.perf_counter() - started, **counts,
            "households": frames["households"].filter(pl.col("year") == YEAR).height,
            "pairings": f["pairings"].height, "visits": f["visits"].height, "placements": f["placements"].height,
            "affected": f["affected"].height}


def together_main(args) -> None:
    folder = prepare_together(args.households, args.visits, args.placements, args.affected)
    results, med, runs = run_parts(folder, ["together", "together-without", "together-baseline"], args.runs)
    first = results["together"][0]
    print(f"households {first['households']:,}, pairings {first['pairings']:,}, visits {first['visits']:,}, "
          f"placements {first['placements']:,}, listed by the event {first['affected']:,}; runs {args.runs} "
          "(fresh processes)")
    print(f"  unpaired {first['unpaired']:,}, overdue visits {first['overdue']:,}, findings {first['findings']:,}, "
          f"R10 rows {first['offers']:,}, R8 leads {first['leads']:,}")
    print(f"R5–R8 + R10 (with R1–R4, R9):      median {med['together']:.2f} s  [{runs['together']}]  goal < 20 s")
    print(f"R1–R4, R9 alone:                   median {med['together-without']:.2f} s  [{runs['together-without']}]")
    print(f"baseline (three plain queries):    median {med['together-baseline']:.2f} s  [{runs['together-baseline']}]")
    print(f"ratio to baseline {med['together'] / med['together-baseline']:.1f}×;  Parquet read (apart): "
          f"{statistics.median(r['read'] for r in results['together']):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--measures", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", action="store_true", help="the database half: import into SQLite (default 100,000 households)")
    parser.add_argument("--pairing", action="store_true", help="R5 and R6 on 1M households, 1M pairings, 10M visits")
    parser.add_argument("--visits", type=int, default=10_000_000, help="visits for --pairing")
    parser.add_argument("--employment", action="store_true", help="R7 and R10 on 1M households, 500k placements")
    parser.add_argument("--placements", type=int, default=500_000, help="placements for --employment")
    parser.add_argument("--together", action="store_true",
                        help="issue 13's goal: R5–R8 and R10 in one process (1M households, 1M pairings, 10M visits, "
                             "500k placements, one event)")
    parser.add_argument("--affected", type=int, default=300_000, help="households listed by the event for --together")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        part = args.child[1]
        run = (db_child if part.startswith("db-") else pairing_child if part.startswith("pairing")
               else together_child if part.startswith("together")
               else employment_child if part.startswith("employment") else child)
        print(json.dumps(run(Path(args.child[0]), part)))
        return
    if args.together:
        together_main(args)
        return
    if args.pairing:
        pairing_main(args)
        return
    if args.employment:
        employment_main(args)
        return
    if args.db:
        if args.households == parser.get_default("households"):
            args.households = 100_000
        db_main(args)
        return
    folder = prepare(args.households, args.measures)
    results: dict[str, list[dict]] = {"coverage": [], "baseline": []}
    for _ in range(args.runs):
        for part, rows in results.items():
            out = subprocess.run([sys.executable, __file__, "--child", str(folder), part], check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    cov = statistics.median(r["seconds"] for r in results["coverage"])
    base = statistics.median(r["seconds"] for r in results["baseline"])
    read = statistics.median(r["read"] for r in results["coverage"])
    first = results["coverage"][0]
    print(f"households {first['households']:,}, measures {first['measures']:,}, runs {args.runs} (fresh processes)")
    runs = {part: ", ".join(f"{r['seconds']:.2f}" for r in rows) for part, rows in results.items()}
    print(f"coverage (R1–R4, R9, 5 levels, uncovered lists): median {cov:.2f} s  [{runs['coverage']}]")
    print(f"baseline (one join + group-by):                  median {base:.2f} s  [{runs['baseline']}]")
    print(f"ratio coverage / baseline: {cov / base:.1f}×;  Parquet read (apart): {read:.2f} s;  goal < 15 s: "
          f"{'met' if cov < 15 else 'NOT met'}")


if __name__ == "__main__":
    main()
