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
# The loop is the differential test's reference, so the benchmark times a loop proven right
# (the test folders are packages: import it by package path from the repository root).
sys.path.insert(0, str(ROOT))
from tests.engine.reference_rules import PARAMETERS, reference  # noqa: E402

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
    return {k: float(ps.resolve(k, YEAR, code)[0]) for k in PARAMETERS}


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
    return {row["household_id"]: reference(row, by_household.get(row["household_id"], []), P, AS_OF)
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
        bad += any(
            abs(row[key] - value) > 1e-9 if isinstance(value, float) else row[key] != value
            for key, value in ref.items()
        )
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
