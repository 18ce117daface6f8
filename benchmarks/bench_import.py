"""Import of a 100k-household workbook into SQLite vs calamine's bare read of the same file.

    .venv/bin/python benchmarks/bench_import.py [--households 100000] [--runs 3]

Baseline (same run): fastexcel/calamine loading every sheet to Arrow as strings. Measured: the
whole `fupin import` path — read_registry (parsing, ID validation, quality checks), database
conflict check, bulk upsert, history rows — into a fresh SQLite file each run. Also times a
re-import of the same file (nothing changes). Prints medians and ratios. Goal: ≤ 3× the bare read.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bench_read import bare  # noqa: PLC0415 — the same baseline as bench_read.py

    from fupin.io import write_registry
    from fupin.synth import generate

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"synth_{args.households}.xlsx"
    if not path.exists():
        households, members, regions = generate(args.households, 2020, region="500101", seed=1)
        write_registry(path, households, members, regions)
    tmp = Path(tempfile.mkdtemp())
    from fupin.site.bootstrap import setup

    setup(f"sqlite:///{tmp / 'bench.sqlite3'}")
    from django.db import connection

    from fupin.registry.models import Household, ImportBatch, Member
    from fupin.registry.services.imports import import_file

    def fresh_import() -> float:
        # Empty the registry tables (divisions stay) so that every run is a first import.
        with connection.cursor() as cursor:
            for model in (Member, Household, ImportBatch):
                cursor.execute(f"DELETE FROM {model.history.model._meta.db_table}" if hasattr(model, "history") else "SELECT 1")
                cursor.execute(f"DELETE FROM {model._meta.db_table}")
        started = time.perf_counter()
        import_file(path, rejects=tmp / "rejects.xlsx")
        return time.perf_counter() - started

    base = statistics.median(_timed(lambda: bare(path)) for _ in range(args.runs))
    first = statistics.median(fresh_import() for _ in range(args.runs))
    again = statistics.median(_timed(lambda: import_file(path, rejects=tmp / "rejects.xlsx")) for _ in range(args.runs))
    print(f"workbook {path.name}: {Household.objects.count()} households, {Member.objects.count()} members")
    print(f"baseline  calamine bare read        : {base:.2f} s (median of {args.runs})")
    print(f"measured  first import into SQLite  : {first:.2f} s  ratio {first / base:.2f}x")
    print(f"measured  re-import (no change)     : {again:.2f} s  ratio {again / base:.2f}x")


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    main()
