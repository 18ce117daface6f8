"""`fupin ledger sync` over a generated registry, against `fupin assess --db` of the same database.

    .venv/bin/python benchmarks/bench_ledger_sync.py [--households 100000] [--runs 3]

Steps, each the real command in its own process (as an operator runs them): ``fupin generate``
(Parquet), ``fupin import`` into a fresh SQLite file, ``fupin assess --db`` (baseline, timed once:
it stores the run the sync reads), then ``fupin ledger sync`` on ``--runs`` fresh copies of the
assessed database (first sync: every problem created) and once more on the last copy (a second
sync: nothing changes). Prints the medians, the ratio of the first sync to the assessment and the
number of problems. The machine is shared: compare ratios, never absolute times across runs.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUPIN = [str(Path(sys.executable).with_name("fupin"))]  # the console script of this environment
YEAR = "2020"


def run(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([*FUPIN, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fupin-bench-sync-"))
    try:
        data = tmp / "registry.parquet"
        assessed = tmp / "assessed.sqlite3"
        print(f"generate {args.households}: {run('generate', '--households', str(args.households), '--year', YEAR, '--out', str(data)):.1f} s")
        print(f"import: {run('import', str(data), '--db', f'sqlite:///{assessed}'):.1f} s")
        assess = run('assess', '--year', YEAR, '--db', f'sqlite:///{assessed}', '--out', str(tmp / 'verdicts.parquet'))
        print(f"baseline fupin assess --db: {assess:.1f} s")
        first = []
        for i in range(args.runs):
            db = tmp / f"sync{i}.sqlite3"
            shutil.copy(assessed, db)
            first.append(run("ledger", "sync", "--year", YEAR, "--db", f"sqlite:///{db}"))
            print(f"  first sync run {i + 1}: {first[-1]:.1f} s")
        again = run("ledger", "sync", "--year", YEAR, "--db", f"sqlite:///{db}")
        with sqlite3.connect(db) as conn:
            problems = conn.execute("select count(*) from supervision_problem").fetchone()[0]
        median = statistics.median(first)
        print(f"fupin ledger sync, first (creates {problems} problems): median {median:.1f} s of {args.runs}; "
              f"ratio to assess {median / assess:.2f}")
        print(f"fupin ledger sync, again (nothing changes): {again:.1f} s; ratio to assess {again / assess:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
