"""Benchmark: 1M households from Parquet — assessment + monitoring + quality checks.

Run:  .venv/bin/python benchmarks/bench_assess.py [--households 1000000] [--runs 3] [--sample 20000]

Data: ``fupin.synth.generate(N, 2024, region="50", seed=1)`` (Chongqing, 37 counties, ≈3.1
members per household) written once with ``write_registry`` to
``benchmarks/data/registry_<N>_50_2024_s1.parquet`` (gitignored). Policy: national +
``chongqing.toml`` (monitoring line 7500 for 2024).

Measured, each run in a fresh child process (wall time and that process's peak RSS):

* **engine** — what ``fupin assess`` does after import: read both Parquet tables,
  ``quality.findings`` (Q03–Q23, the error codes), then ``assess`` (sections 1–3: indicators,
  verdict, risk factors, monitoring category, elimination readiness, explanations) — median
  of ``--runs``;
* **engine, in-memory collect** — the same plan (``assess_lazy``) collected with Polars'
  in-memory engine instead of the default streaming engine (what the partitioned runner
  uses per county batch), to show where the time goes;
* **baseline** — a straightforward per-household Python loop, the way most registries compute
  eligibility: rows as dicts, members grouped by household in a dict, then the rules of
  sections 1–3 household by household (adapted from the reference implementation of
  ``tests/engine/test_differential.py``, with every policy value from the same policy). It
  does *no* quality checks, so the ratio is a lower bound. It is timed on the first
  ``--sample`` households (plus their members) and **extrapolated linearly** to N; it is
  checked against the engine on that sample (households without error findings).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
YEAR = 2024
AS_OF = date(YEAR, 12, 31)
POLICY_FILES = [str(ROOT / "src" / "fupin" / "policies" / "chongqing.toml")]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dataset(n: int) -> Path:
    path = DATA / f"registry_{n}_50_{YEAR}_s1.parquet"
    if not (path / "members.parquet").exists():
        from fupin.io import write_registry
        from fupin.synth import generate

        print(f"generating {n:,} households once → {path} …", flush=True)
        h, m, r = generate(n, YEAR, region="50", seed=1)
        write_registry(path, h, m, r)
    return path


def policy():
    from fupin.engine.policy import load_policies

    return load_policies(POLICY_FILES)


# --- the engine ------------------------------------------------------------------------------

def engine(path: Path, collect: str) -> pl.DataFrame:
    from fupin.engine.assess import assess, assess_lazy
    from fupin.engine.quality import findings

    h = pl.read_parquet(path / "households.parquet")
    m = pl.read_parquet(path / "members.parquet")
    errors = findings(h, m, as_of=AS_OF)
    if collect == "default":
        return assess(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=errors)
    return assess_lazy(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=errors).collect(engine=collect)


# --- the baseline: one household at a time ---------------------------------------------------

def parameters() -> dict:
    ps = policy()
    code = "500101001001"
    names = ("poverty_line", "monitoring_line", "rural_income_prev_year", "medical_share_registered",
             "medical_share_general", "education_cost_max", "income_drop_share", "elimination_min_months",
             "water_min_litres", "water_min_litres_scarce", "fetch_max_minutes", "fetch_max_horizontal_m",
             "fetch_max_vertical_m", "outage_max_days")
    return {k: float(ps.resolve(k, YEAR, code)[0]) for k in names}


def age(id_number: str | None) -> int | None:
    if not id_number or len(id_number) != 18:
        return None
    b = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return AS_OF.year - b.year - ((b.month, b.day) > (AS_OF.month, AS_OF.day))


def tri(v):
    return "unknown" if v is None else ("met" if v else "unmet")


def reference(h: dict, members: list[dict], P: dict) -> dict:
    living = [m for m in members if m["member_status"] in (None, "正常")]
    pop = len(living)
    if pop == 0:
        return {"meets_standard": "error"}
    items = [h[k] for k in ("wage_income", "business_income", "property_income", "transfer_income", "business_expense")]
    if all(i is None for i in items) and h["reported_per_capita_income"] is not None:
        pc = h["reported_per_capita_income"]
        net = pc * pop
    elif any(i is None for i in items):
        pc = net = None
    else:
        net = items[0] + items[1] + items[2] + items[3] - items[4]
        pc = net / pop
    ind = {"income": "unknown" if pc is None else ("met" if pc > P["poverty_line"] else "unmet"),
           "food": tri(h["food_secure"]), "clothing": tri(h["clothing_secure"])}
    edu_unmet = edu_unknown = med_unmet = med_unknown = False
    for m in living:
        a = age(m["id_number"])
        exempt = m["health"] == "残疾" and (m["home_schooling"] is True or m["dropout_reason"] == "身体原因")
        if a is not None and 6 <= a <= 15 and not exempt:
            edu_unmet |= m["school_status"] == "非在校生"
            edu_unknown |= m["school_status"] is None
        med_unmet |= m["medical_insurance"] == "未参保"
        med_unknown |= m["medical_insurance"] is None
    ind["education"] = "unmet" if edu_unmet else "unknown" if edu_unknown else "met"
    ind["medical"] = "unmet" if med_unmet else "unknown" if med_unknown else "met"
    if h["relocated"] is True or h["housing_grade"] in ("A", "B"):
        ind["housing"] = "met"
    elif h["housing_grade"] in ("C", "D"):
        ind["housing"] = "met" if h["housing_renovation"] == "已完成" else "unmet"
    else:
        ind["housing"] = "unknown"
    detail = ("water_litres_per_day", "water_scarce_area", "water_quality", "tap_water", "fetch_minutes",
              "fetch_horizontal_m", "fetch_vertical_m", "outage_days")
    if any(h[k] is not None for k in detail):
        litres = h["water_litres_per_day"]
        need = P["water_min_litres_scarce"] if h["water_scarce_area"] is True else P["water_min_litres"]
        q = None if litres is None else litres >= need
        ql = None if h["water_quality"] is None else h["water_quality"] in ("达标", "基本达标")
        conv = ("tap_water", "fetch_minutes", "fetch_horizontal_m", "fetch_vertical_m")
        if (h["tap_water"] is True
                or (h["fetch_minutes"] is not None and h["fetch_minutes"] <= P["fetch_max_minutes"])
                or (h["fetch_horizontal_m"] is not None and h["fetch_horizontal_m"] <= P["fetch_max_horizontal_m"])
                or (h["fetch_vertical_m"] is not None and h["fetch_vertical_m"] <= P["fetch_max_vertical_m"])):
            cv = True
        else:
            cv = None if all(h[k] is None for k in conv) else False
        g = None if h["outage_days"] is None else h["outage_days"] <= P["outage_max_days"]
        subs = [tri(x) for x in (q, ql, cv, g)]
        ind["water"] = "unmet" if "unmet" in subs else "unknown" if "unknown" in subs else "met"
    else:
        ind["water"] = tri(h["water_safe"])
    order = ["income", "food", "clothing", "education", "medical", "housing", "water"]
    unmet = [k for k in order if ind[k] == "unmet"]
    unknown = [k for k in order if ind[k] == "unknown"]
    verdict = "no" if unmet else "unverified" if unknown else "yes"

    mo = h["medical_out_of_pocket"] or 0.0
    eo = h["education_out_of_pocket"] or 0.0
    dl = h["disaster_loss"] or 0.0
    prior = h["prior_net_income"]
    share = P["medical_share_registered"] if h["registered"] is True else P["medical_share_general"]
    risks = {
        "medical_cost": mo > share * P["rural_income_prev_year"],
        "education_cost": eo > P["education_cost_max"],
        "disaster": dl > 0,
        "income_drop": prior is not None and prior > 0 and net is not None and net < (1 - P["income_drop_share"]) * prior,
        "serious_illness": any(m["health"] == "患有大病" for m in living),
        "severe_disability": any(m["health"] == "残疾" and m["disability_grade"] in ("一级", "二级") for m in living),
        "no_labour": all(m["labour"] in ("丧失劳动力", "无劳动力") for m in living),
        "guarantee_gap": any(ind[k] == "unmet" for k in ("education", "medical", "housing", "water")),
    }
    rigid = mo + eo + dl
    ml = P["monitoring_line"]
    monitored = h["monitoring_category"] is not None and h["risk_eliminated"] is not True
    if monitored:
        cat = "monitored"
    elif h["poverty_status"] in ("未脱贫", "返贫"):
        cat = ""
    elif net is None:
        cat = "unknown"
    elif h["registered"] is True and pc < ml and any(risks.values()):
        cat = "unstable"
    elif h["registered"] is not True and pc < ml and any(risks.values()):
        cat = "marginal"
    elif (rigid > prior if prior is not None else rigid > net) or (
            risks["income_drop"] and (net - rigid) / pop < ml):
        cat = "sudden"
    else:
        cat = "none"
    failed = []
    if cat == "monitored":
        since = h["monitoring_since"]
        months = None if since is None else (AS_OF.year - int(since[:4])) * 12 + AS_OF.month - int(since[5:7])
        if not (pc is not None and pc >= ml):
            failed.append("income")
        if verdict != "yes":
            failed.append("standard")
        if any(risks[k] for k in ("medical_cost", "education_cost", "disaster", "income_drop")):
            failed.append("risk")
        if not (months is not None and months >= P["elimination_min_months"]):
            failed.append("months")
        if risks["no_labour"]:
            failed.append("no_labour")
    return {
        "meets_standard": verdict, "unmet": ";".join(unmet), "unknown": ";".join(unknown),
        "monitoring_category": cat, "risk_factors": ";".join(k for k, v in risks.items() if v),
        "elimination": "" if cat != "monitored" else ("ready" if not failed else "not_ready"),
        "elimination_failed": ";".join(failed),
    }


def sample(path: Path, k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = pl.read_parquet(path / "households.parquet", n_rows=k)
    m = pl.scan_parquet(path / "members.parquet").filter(
        pl.col("household_id").is_in(h["household_id"].implode())).collect()
    return h, m


def loop(h: pl.DataFrame, m: pl.DataFrame) -> dict[str, dict]:
    P = parameters()
    by_household: dict[str, list[dict]] = {}
    for row in m.iter_rows(named=True):
        by_household.setdefault(row["household_id"], []).append(row)
    return {row["household_id"]: reference(row, by_household.get(row["household_id"], []), P)
            for row in h.iter_rows(named=True) if row["year"] == YEAR}


# --- runs ------------------------------------------------------------------------------------

def child(kind: str, path: Path, k: int) -> None:
    start = time.perf_counter()
    if kind == "loop":
        h, m = sample(path, k)
        start = time.perf_counter()  # reading the sample is not the loop's cost
        rows = len(loop(h, m))
    else:
        rows = engine(path, kind).height
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb(), "rows": rows}))


def run_child(kind: str, path: Path, k: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--path", str(path), "--sample", str(k)],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {kind} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def agreement(path: Path, k: int) -> tuple[int, int]:
    """(households compared, disagreements) between the loop and the engine on the sample."""
    from fupin.engine.assess import assess
    from fupin.engine.quality import findings

    h, m = sample(path, k)
    expected = loop(h, m)
    got = assess(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=findings(h, m, as_of=AS_OF))
    compared = bad = 0
    for row in got.filter(pl.col("errors") == "").iter_rows(named=True):
        ref = expected[row["household_id"]]
        compared += 1
        bad += any(row[key] != value for key, value in ref.items())
    return compared, bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.path), args.sample)
        return 0

    path = dataset(args.households)
    n = pl.scan_parquet(path / "households.parquet").select(pl.len()).collect().item()
    members = pl.scan_parquet(path / "members.parquet").select(pl.len()).collect().item()
    print(f"data: {n:,} households, {members:,} members ({path.name})", flush=True)

    compared, bad = agreement(path, args.sample)
    print(f"baseline agrees with the engine on {compared - bad:,} of {compared:,} sampled households "
          f"without error findings", flush=True)

    results = {}
    for kind, label in (("loop", "baseline: per-household Python loop"), ("default", "engine (fupin assess)"),
                        ("in-memory", "engine, in-memory collect")):
        runs = [run_child(kind, path, args.sample) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        results[kind] = (seconds, rss, runs[0]["rows"])
        print(f"{label:40s} {seconds:8.2f} s on {runs[0]['rows']:>9,} households "
              f"(median of {len(runs)}: {', '.join(format(r['seconds'], '.2f') for r in runs)}), peak RSS {rss:,.0f} MB",
              flush=True)

    loop_s, _, loop_rows = results["loop"]
    extrapolated = loop_s * n / loop_rows
    print(f"baseline extrapolated linearly from {loop_rows:,} to {n:,} households: {extrapolated:,.1f} s")
    for kind, label in (("default", "engine (fupin assess)"), ("in-memory", "engine, in-memory collect")):
        seconds = results[kind][0]
        print(f"ratio baseline / {label}: {extrapolated / seconds:,.1f}×  "
              f"(goal ≥ 100× and < 10 s: {'met' if extrapolated / seconds >= 100 and seconds < 10 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
