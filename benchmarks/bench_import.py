"""Import of a 100k-household workbook vs calamine's bare read of the same file.

    .venv/bin/python benchmarks/bench_import.py [--households 100000] [--runs 3]
        [--pg postgresql://postgres@127.0.0.1:5432/] [--cli]

Baseline (same run): fastexcel/calamine loading every sheet to Arrow as strings. Measured: the
import use case as ``fupin import`` runs it (``fupin.application.registry.import_file``: reading
and validating, the scope and Q04 checks against the database, the upsert with history rows, the
region figures), in-process:

* first import — into a freshly migrated SQLite file each run (a copy of one migrated once), so
  that villages are registered and figures written as on a real first import;
* re-import — the same file again, nothing changes ("无变化").

``--pg URL`` does the same on PostgreSQL in a scratch database ``fupin_bench_import`` (dropped
and created; the registry tables are emptied between first imports). ``--cli`` also times the
whole ``fupin import`` process (interpreter start, Django set-up) once each way and reports its
peak RSS. Prints medians and ratios to the bare read of the same run; the machine is shared, so
compare ratios, never absolute times across runs. Goal: both ratios ≤ 3.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", help="PostgreSQL server URL (trust auth); a scratch database is created")
    parser.add_argument("--cli", action="store_true", help="also time the whole `fupin import` process")
    parser.add_argument("--pg-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pg_only:
        _postgres(args)
        return

    from bench_read import bare  # noqa: PLC0415 — the same baseline as bench_read.py

    path = _workbook(args.households)
    tmp = Path(tempfile.mkdtemp(prefix="fupin-bench-"))
    template = tmp / "template.sqlite3"
    db = tmp / "bench.sqlite3"

    from fupin.site.bootstrap import setup

    setup(f"sqlite:///{db}")
    from django.db import connection

    from fupin.accounts.scoping import Scope
    from fupin.application.registry import import_file

    connection.close()
    shutil.copy(db, template)   # migrated once; each first import starts from a copy
    if args.cli:
        # First, while this process is small: a child's peak RSS counts the pages it was forked with.
        _cli(path, tmp, template, statistics.median(_timed(lambda: bare(path)) for _ in range(args.runs)))

    def fresh_sqlite() -> None:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, db)

    def run_import() -> float:
        started = time.perf_counter()
        outcome = import_file(Scope.system(), path, rejects=tmp / "rejects.xlsx")
        elapsed = time.perf_counter() - started
        run_import.last = outcome.report
        return elapsed

    # Rounds of bare read, first import, re-import: the baseline and the imports meet the same
    # load of a shared machine.
    bases, first, again, unchanged = [], [], [], True
    for _ in range(args.runs):
        bases.append(_timed(lambda: bare(path)))
        fresh_sqlite()
        first.append(run_import())
        report = run_import.last
        again.append(run_import())
        unchanged &= not run_import.last.changed_anything
    base = statistics.median(bases)
    print(f"workbook {path.name}: {report.households_new} households, {report.members_new} members")
    print(f"baseline  calamine bare read          : {base:.2f} s  (runs {', '.join(f'{t:.2f}' for t in bases)})")
    _line("first import into SQLite", first, base)
    _line("re-import into SQLite (无变化)" if unchanged else "re-import into SQLite (CHANGED!)", again, base)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (all of the above): {peak:.0f} MB")
    if args.pg:
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, "--households", str(args.households), "--runs", str(args.runs),
                        "--pg-only", args.pg], check=True)


def _line(label: str, times: list[float], base: float) -> None:
    median = statistics.median(times)
    print(f"measured  {label:<28}: {median:.2f} s  ratio {median / base:.2f}x  "
          f"(runs {', '.join(f'{t:.2f}' for t in times)})")


def _postgres(args) -> None:
    """The same on PostgreSQL, in this process of its own (Django holds one database per process):
    a scratch database, migrated once; the registry tables emptied before each first import."""
    import psycopg  # noqa: PLC0415 — only for --pg

    from bench_read import bare  # noqa: PLC0415

    server = args.pg_only.rstrip("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS fupin_bench_import")
        admin.execute("CREATE DATABASE fupin_bench_import")
    from fupin.site.bootstrap import setup  # noqa: PLC0415

    setup(f"{server}/fupin_bench_import")
    from django.db import connection  # noqa: PLC0415

    from fupin.accounts.scoping import Scope  # noqa: PLC0415
    from fupin.application.registry import import_file  # noqa: PLC0415

    path = _workbook(args.households)
    tmp = Path(tempfile.mkdtemp(prefix="fupin-bench-"))

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE registry_historicalmember, registry_historicalhousehold, registry_member, "
                           "registry_household, registry_importbatch, assessments_regionstat CASCADE")
            cursor.execute("DELETE FROM registry_region WHERE official = false")

    def run_import() -> float:
        started = time.perf_counter()
        run_import.last = import_file(Scope.system(), path, rejects=tmp / "rejects.xlsx").report
        return time.perf_counter() - started

    base = statistics.median(_timed(lambda: bare(path)) for _ in range(args.runs))
    first = []
    for _ in range(args.runs):
        empty()
        first.append(run_import())
    again = [run_import() for _ in range(args.runs)]
    unchanged = not run_import.last.changed_anything
    print(f"baseline  calamine bare read (PG run) : {base:.2f} s (median of {args.runs})")
    _line("first import into PostgreSQL", first, base)
    _line("re-import into PostgreSQL (无变化)" if unchanged else "re-import into PostgreSQL (CHANGED!)", again, base)
    connection.close()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS fupin_bench_import")


def _cli(path, tmp, template, base) -> None:
    """The whole `fupin import` process, once into a fresh copy of the migrated file, once again."""
    db = tmp / "cli.sqlite3"
    shutil.copy(template, db)
    fupin = Path(sys.executable).with_name("fupin")
    for label in ("first import, whole process", "re-import, whole process"):
        started = time.perf_counter()
        child = subprocess.Popen([str(fupin), "import", str(path), "--db", f"sqlite:///{db}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        if status:
            raise SystemExit(f"fupin import failed ({status})")
        print(f"measured  {label:<28}: {elapsed:.2f} s  ratio {elapsed / base:.2f}x  "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB (one run)")


def _workbook(households: int) -> Path:
    from fupin.io import write_registry  # noqa: PLC0415
    from fupin.synth import generate  # noqa: PLC0415

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"synth_{households}.xlsx"
    if not path.exists():
        h, m, regions = generate(households, 2020, region="500101", seed=1)
        write_registry(path, h, m, regions)
    return path


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
