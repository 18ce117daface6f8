"""Benchmark: one policy scenario against one ``fupin assess`` of the same data (goal < 2×).

Run:  .venv/bin/python benchmarks/bench_scenario.py [--households 1000000] [--runs 3]

Data: ``fupin generate --households N --year 2021 --seed 5`` as a Parquet folder, generated once
into ``benchmarks/data/generated_<N>_2021_s5.parquet`` (gitignored; the file bench_assess's
``--part whole`` uses).

Measured, alternating, each in a fresh child process (wall time and peak RSS), ``--runs`` times:

* **baseline** — ``fupin assess --input X --year 2021 --out a.parquet``: reading and validating
  the registry, the quality checks, one assessment (rules.md sections 1–3), writing the verdicts;
* **scenario** — ``fupin scenario --input X --year 2021 --set poverty_line=4500 --set
  monitoring_line=7000 --level town --out s.parquet --households h.parquet``: the same reading and
  checks, the assessment under both policies (one ``collect_all`` of the two plans), the region
  figures of both, the join, and the changed households.

Printed: both medians, the ratio scenario / assess (goal < 2×) and the peak RSS of each.
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
    args = parser.parse_args()
    path = dataset(args.households)
    out = DATA / "scenario_out"
    out.mkdir(exist_ok=True)
    commands = {
        "fupin assess": [FUPIN, "assess", "--input", str(path), "--year", str(YEAR), "--out", str(out / "a.parquet")],
        "fupin scenario": [FUPIN, "scenario", "--input", str(path), "--year", str(YEAR), "--set", "poverty_line=4500",
                           "--set", "monitoring_line=7000", "--level", "town", "--out", str(out / "s.parquet"),
                           "--households", str(out / "h.parquet")],
    }
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for label, cmd in commands.items():  # alternating, so both see the same machine load
            results[label].append(timed(cmd))
    medians = {}
    for label, rows in results.items():
        medians[label] = statistics.median(r[0] for r in rows)
        print(f"{label:15s} median {medians[label]:7.2f} s over {args.runs} ({', '.join(f'{r[0]:.2f}' for r in rows)}), "
              f"peak RSS {max(r[1] for r in rows):,.0f} MB", flush=True)
    ratio = medians["fupin scenario"] / medians["fupin assess"]
    print(f"{args.households:,} households: ratio scenario / assess {ratio:.2f}×  (goal < 2×: "
          f"{'met' if ratio < 2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
