"""read_registry on a 100k-household workbook vs a bare fastexcel read of the same file.

    .venv/bin/python benchmarks/bench_read.py [--households 100000] [--runs 3]

The workbook is generated once (fupin.io.sample + write_registry) into benchmarks/data/.
Baseline: fastexcel loading every sheet to Arrow, all cells as strings (what any reader must
at least do). Measured: read_registry (containers, parsing, ID validation, cross-row and quality
checks). Prints the medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import fastexcel

from fupin.io import read_registry, write_registry
from fupin.io.sample import make_registry

DATA = Path(__file__).parent / "data"


def bare(path: Path) -> int:
    reader = fastexcel.read_excel(str(path))
    rows = 0
    for name in reader.sheet_names:
        rows += reader.load_sheet(name, dtypes="string").to_arrow().num_rows
    return rows


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"registry_{args.households}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        h, m = make_registry(args.households)
        write_registry(path, h, m)
        print(f"generated {path.name}: {h.height} households, {m.height} members, "
              f"{path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
    base = median_time(lambda: bare(path), args.runs)
    reg = read_registry(path)
    measured = median_time(lambda: read_registry(path), args.runs)
    print(f"households {reg.households.height}, members {reg.members.height}, issues {reg.issues.height}")
    print(f"baseline  fastexcel bare read : {base:.2f} s (median of {args.runs})")
    print(f"measured  read_registry       : {measured:.2f} s (median of {args.runs})")
    print(f"ratio     read_registry / bare: {measured / base:.2f}x")


if __name__ == "__main__":
    main()
