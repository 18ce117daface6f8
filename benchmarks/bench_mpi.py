"""Benchmark: ``fupin mpi`` over 1M households against one ``fupin assess`` of the same data.

Run:  .venv/bin/python benchmarks/bench_mpi.py [--households 1000000] [--runs 3] [--level town]

Data: ``fupin generate --households N --year 2021 --seed 5`` written once as a Parquet folder to
``benchmarks/data/generated_<N>_2021_s5.parquet`` (gitignored; the same file bench_assess's
``--part whole`` uses). Then, alternating so that both see the same machine load, each in a
fresh child process, ``--runs`` times: (a) the baseline ``fupin assess --input X --year 2021
--out a.parquet`` and (b) ``fupin mpi --input X --year 2021 --level town --out m.parquet
--households h.parquet``. Printed: both medians, the ratio (goal < 2×) and each child's peak RSS.

The MPI reads the deprivations from the assessment of the same registry (one engine run), then
aggregates in integers: its extra cost over ``assess`` is the scoring and two group-bys.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from whole_process import DATA, FUPIN, YEAR, dataset, timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--level", default="town", choices=["village", "town", "county"])
    args = parser.parse_args()
    path = dataset(args.households)
    out = DATA / "mpi_out"
    out.mkdir(parents=True, exist_ok=True)
    commands = {
        "fupin assess": [FUPIN, "assess", "--input", str(path), "--year", str(YEAR), "--out", str(out / "a.parquet")],
        "fupin mpi": [FUPIN, "mpi", "--input", str(path), "--year", str(YEAR), "--level", args.level,
                      "--out", str(out / "m.parquet"), "--households", str(out / "h.parquet")],
    }
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for label, cmd in commands.items():
            results[label].append(timed(cmd))
    medians = {}
    for label, rows in results.items():
        medians[label] = statistics.median(r[0] for r in rows)
        print(f"{label:13s} median {medians[label]:7.2f} s over {args.runs} "
              f"({', '.join(f'{r[0]:.2f}' for r in rows)}), peak RSS {max(r[1] for r in rows):,.0f} MB", flush=True)
    ratio = medians["fupin mpi"] / medians["fupin assess"]
    print(f"baseline fupin assess {medians['fupin assess']:.2f} s; fupin mpi {medians['fupin mpi']:.2f} s; "
          f"ratio {ratio:.2f}× (goal < 2×: {'met' if ratio < 2 else 'NOT met'}); {args.households:,} households")
    return 0


if __name__ == "__main__":
    sys.exit(main())
