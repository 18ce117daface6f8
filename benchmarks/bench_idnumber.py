"""ID validation throughput: the vectorised validator vs a per-ID Python loop, same run.

    .venv/bin/python benchmarks/bench_idnumber.py [--n 2000000] [--runs 5]

Runs Polars on one thread (POLARS_MAX_THREADS=1, set before import) so the figure is per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("POLARS_MAX_THREADS", "1")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from fupin.engine import idnumber  # noqa: E402

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def python_loop(values: list[str]) -> int:
    """The usual registry approach: validate one ID at a time in Python."""
    import datetime

    ok = 0
    for v in values:
        v = v.strip().upper()
        if len(v) != 18 or not v[:17].isdigit():
            continue
        try:
            datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
        except ValueError:
            continue
        if "10X98765432"[sum(int(c) * w for c, w in zip(v[:17], WEIGHTS)) % 11] == v[17]:
            ok += 1
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    counties = rng.integers(110101, 659999, args.n)
    births = (np.datetime64("1930-01-01") + rng.integers(0, 33000, args.n).astype("timedelta64[D]")).astype(str)
    seqs = rng.integers(0, 1000, args.n)
    first17 = pl.DataFrame({"c": counties, "b": births, "s": seqs}).select(
        pl.col("c").cast(pl.String) + pl.col("b").str.replace_all("-", "") + pl.col("s").cast(pl.String).str.zfill(3)
    ).to_series()
    ids = first17 + idnumber.check_characters(first17)
    vectorised = []
    for _ in range(args.runs):
        started = time.perf_counter()
        idnumber.parse(ids)
        vectorised.append(time.perf_counter() - started)
    sample = ids.head(200_000).to_list()
    loop = []
    for _ in range(3):
        started = time.perf_counter()
        python_loop(sample)
        loop.append((time.perf_counter() - started) * args.n / len(sample))
    v, b = statistics.median(vectorised), statistics.median(loop)
    print(f"IDs: {args.n:,}; Polars threads: {pl.thread_pool_size()}")
    print(f"baseline per-ID Python loop: {b:.2f} s ({args.n / b / 1e6:.2f} M IDs/s, extrapolated from 200k)")
    print(f"vectorised idnumber.parse:   {v:.2f} s ({args.n / v / 1e6:.2f} M IDs/s per core), median of {args.runs}")
    print(f"ratio: {b / v:.1f}x faster than the loop")


if __name__ == "__main__":
    main()
