"""Benchmark: generate a synthetic registry and write it to Parquet.

Run:  .venv/bin/python benchmarks/bench_generate.py [--households 1000000] [--year 2022] [--runs 3]

Measured: ``fupin.synth.generate`` for N households plus ``DataFrame.write_parquet`` of the
households and members frames. Baseline, in the same run: writing frames of random numbers of
the same shape (rows × columns of households and of members) to Parquet — the floor that any
generator writing this much data pays. Prints the median of the runs, the ratio to the
baseline and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from fupin.synth import generate


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_generate(households: int, year: int, seed: int, out: Path) -> tuple[float, float, tuple[int, int]]:
    start = time.perf_counter()
    h, m, r = generate(households, year, seed=seed)
    generated = time.perf_counter() - start
    h.write_parquet(out / "households.parquet")
    m.write_parquet(out / "members.parquet")
    r.write_parquet(out / "regions.parquet")
    total = time.perf_counter() - start
    return generated, total, (h.height, m.height)


def run_baseline(shapes: list[tuple[int, int]], seed: int, out: Path) -> float:
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for i, (rows, cols) in enumerate(shapes):
        frame = pl.DataFrame({f"c{j}": rng.random(rows) for j in range(cols)})
        frame.write_parquet(out / f"baseline{i}.parquet")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    gen_times, totals, baselines = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for run in range(args.runs):
            generated, total, (n_households, n_members) = run_generate(args.households, args.year, run, out)
            shapes = [(n_households, 42), (n_members, 22)]
            baseline = run_baseline(shapes, run, out)
            gen_times.append(generated)
            totals.append(total)
            baselines.append(baseline)
            size_mb = sum(p.stat().st_size for p in out.glob("*.parquet")) / 2**20
            print(
                f"run {run + 1}: generate {generated:.2f} s, generate+write {total:.2f} s, "
                f"baseline {baseline:.2f} s ({n_households:,} households, {n_members:,} members, "
                f"{size_mb:.0f} MiB on disk)",
                flush=True,
            )
    baseline = statistics.median(baselines)
    total = statistics.median(totals)
    print(f"baseline (random numbers of the same shape to Parquet): {baseline:.2f} s")
    print(f"generate {args.households:,} households: {statistics.median(gen_times):.2f} s")
    print(f"generate + write Parquet: {total:.2f} s")
    print(f"ratio (generate + write) / baseline: {total / baseline:.1f}x")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
