"""Benchmark: national scale — the partitioned engine at 1M, 10M (and 30M) households.

Run:  .venv/bin/python benchmarks/bench_scale.py [--sizes 1000000 10000000] [--runs 1]
      .venv/bin/python benchmarks/bench_scale.py --sizes 30000000 --runs 1     # the national run

Data: for each size N, a synthetic registry of year 2021 over the counties of Chongqing,
Sichuan, Guizhou and Yunnan (provinces 50–53, ~440 counties, N spread evenly), generated
*county by county* straight into the partitioned layout of :mod:`fupin.engine.partitioned`
(``households.parquet/county=XXXXXX/…``), so that generation itself never holds more than one
county. Cached under ``benchmarks/data/scale_<N>_2021/`` (gitignored); generated once.

Measured, each in a fresh child process (time and its own peak RSS, ``ru_maxrss``):
:func:`fupin.engine.partitioned.assess_partitioned` with the built-in national policy (which
has a monitoring line for 2021 for every province): the global Q04 pass, then quality
findings + assessment + monitoring county batch by county batch, writing every row to Parquet.
Baseline in the same run: the smallest size — the growth from it to each larger size is
printed next to the ideal (linear) ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parent / "data"
YEAR = 2021
PROVINCES = ("50", "51", "52", "53")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def counties() -> list[str]:
    from fupin import divisions
    from fupin.synth import geography

    table = divisions.table()
    codes = table.filter(pl.col("level") == "county", pl.col("code").str.slice(0, 2).is_in(PROVINCES))["code"]
    return [c[:6] for c in codes.sort().to_list() if geography.towns_under(c[:6]).height]


def prepare(n: int) -> Path:
    """Generate N households county by county into the partitioned layout (once)."""
    from fupin.synth import generate

    target = DATA / f"scale_{n}_{YEAR}"
    done = target / "_SUCCESS"
    if done.exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    codes = counties()
    base, extra = divmod(n, len(codes))
    started = time.perf_counter()
    written = 0
    for i, county in enumerate(codes):
        size = base + (1 if i < extra else 0)
        h, m, _r = generate(size, YEAR, region=county, seed=1000 + i)
        for table, frame in (("households", h), ("members", m)):
            folder = target / f"{table}.parquet" / f"county={county}"
            folder.mkdir(parents=True, exist_ok=True)
            frame.write_parquet(folder / "part-0.parquet")  # generate() returns canonical frames
        written += h.height
        if i % 50 == 0:
            print(f"  generated {written:,} households, {i + 1}/{len(codes)} counties, "
                  f"{time.perf_counter() - started:.0f} s, peak RSS {peak_rss_mb():.0f} MB", flush=True)
    done.write_text(json.dumps({"households": written, "counties": len(codes),
                                "seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}))
    return target


def child_assess(data: Path, out: Path, batch: int) -> None:
    from fupin.engine.partitioned import assess_partitioned
    from fupin.engine.policy import load_policies

    policy = load_policies([])
    start = time.perf_counter()
    summary = assess_partitioned(data, year=YEAR, policy=policy, out_dir=out, batch_households=batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "households": summary.households,
                      "partitions": summary.partitions, "batches": summary.batches,
                      "largest_batch": summary.largest_batch, "q04": summary.cross_partition_q04,
                      "phases": summary.seconds, "verdicts": summary.verdicts}))


def run_child(data: Path, batch: int) -> dict:
    out = DATA / f"scale_out_{data.name}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", str(data), "--out", str(out), "--batch", str(batch)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child failed: {' '.join(cmd)}")
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500_000, help="households per county batch")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_assess(Path(args.child), Path(args.out), args.batch)
        return 0

    results = {}
    for n in sorted(args.sizes):
        print(f"preparing {n:,} households (county by county, cached) …", flush=True)
        data = prepare(n)
        meta = json.loads((data / "_SUCCESS").read_text())
        print(f"  data: {meta['households']:,} households in {meta['counties']} counties "
              f"(generation {meta['seconds']:.0f} s, peak RSS {meta['peak_rss_mb']:.0f} MB)", flush=True)
        runs = [run_child(data, args.batch) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        results[n] = (seconds, rss)
        last = runs[-1]
        print(f"{n:>12,} households: {seconds:8.1f} s (median of {len(runs)}), peak RSS {rss:,.0f} MB, "
              f"{last['partitions']} partitions in {last['batches']} batches (largest {last['largest_batch']:,}), "
              f"cross-county Q04 households {last['q04']}", flush=True)
        print(f"    phases: {json.dumps({k: round(v, 1) for k, v in last['phases'].items()})}; "
              f"verdicts {last['verdicts']}", flush=True)
    sizes = sorted(results)
    base = sizes[0]
    for n in sizes[1:]:
        growth = results[n][0] / results[base][0]
        print(f"growth {base:,} -> {n:,}: time × {growth:.2f} (linear would be × {n / base:.1f}); "
              f"peak RSS {results[base][1]:,.0f} -> {results[n][1]:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
