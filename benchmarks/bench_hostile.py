"""Hostile files and the largest legitimate workbook: read_registry's peak memory and time on each.

    .venv/bin/python benchmarks/bench_hostile.py [--runs 3] [--households 349525] [--before] [--only NAME …]

Generates the hostile corpus of tests/io/hostile.py at its largest (a cell at XFD1048576, a 1 GB
shared string in a 1 MB file, a 300 MB zip bomb, a 100 MB one-line CSV, a Parquet file claiming
20 million rows, …) into a temporary folder, and a legitimate workbook written by
``fupin.io.write_registry`` whose 人 sheet has 1,048,575 members (Excel's maximum, with the header
row) — 349,525 households of 3 — cached in benchmarks/data/. Each file is read by a fresh child
process (``read_registry``, or ``read_department_file``/``unpack_zip`` where that is the entry
point); the child reports its peak RSS (VmHWM of /proc/self/status: ``ru_maxrss`` would also count
the parent it was forked from) and the wall time of the read; the medians of ``--runs`` runs are
printed, with the growth of the peak during the read itself (the peak minus the peak after the
imports, ~125 MB of Python, polars, pyarrow and fastexcel).

``--before`` reads the same files with the checks switched off (the workbook opened by calamine
straight away, every sheet loaded whole to find its header, CSV and Parquet read unchecked) — the
behaviour before fupin.io.limits — in a child limited to 4 GB of address space (RLIMIT_AS), so
that a file which would take the machine down is stopped at 4 GB and reported as such
(``--limit-gb`` changes the limit; 0 lifts it, e.g. for the legitimate workbook).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.io import hostile  # noqa: E402

DATA = Path(__file__).parent / "data"
BEFORE_LIMIT = 4 * 1024**3

CHILD = r"""
import json, sys, time
from pathlib import Path
how, path, before = sys.argv[1], sys.argv[2], sys.argv[3] == "1"


def status_mb(field):  # VmHWM: this process's own peak RSS (ru_maxrss also counts the forking parent)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

from fupin.engine.matching import DepartmentFileError
from fupin.io import ExchangeFormatError, containers, department, limits, read_registry
if before:
    limits.check_xlsx = lambda p: limits.XlsxScan(Path(p))
    # The header found by loading the whole sheet, which is then used as the full load (once, as before).
    loaded, load = {}, containers.load_grid

    def whole(scan, name, reader=None, rows=30):
        loaded[(str(scan.path), name)] = grid = load(reader, scan.path, name)
        return grid[0].head(rows), grid[1]

    def once(reader, path, name):
        return loaded.pop((str(path), name), None) or load(reader, path, name)

    containers.peek_grid = department.peek_grid = whole
    containers.load_grid = department.load_grid = once
    limits.check_csv = lambda *a, **k: None
    limits.check_cell_lengths = lambda *a, **k: None
    limits.check_parquet_schema = lambda *a, **k: None
    limits.check_parquet_size = lambda *a, **k: None
base = status_mb("VmHWM")
t = time.perf_counter()
status, detail = "read", ""
try:
    if how == "registry":
        reg = read_registry(path)
        detail = f"{reg.households.height} households, {reg.members.height} members"
    elif how == "department":
        detail = f"{department.read_department_file(path, 'medical').height} rows"
    elif how == "unzip":
        if before:
            import zipfile
            zipfile.ZipFile(path).extractall(Path(path).parent / "unpacked")
        else:
            limits.unpack_zip(path, Path(path).parent / "unpacked")
except (ExchangeFormatError, DepartmentFileError) as exc:
    status, detail = "refused", exc.message_en[:110]
except MemoryError:
    status, detail = "MemoryError", ""
took = time.perf_counter() - t
print(json.dumps({"status": status, "detail": detail, "seconds": took, "base_mb": base,
                  "peak_mb": status_mb("VmHWM")}))
"""


def corpus(d: Path) -> list[tuple[str, str, Path]]:
    """(name, entry point, file) — the hostile files at their largest."""
    return [
        ("far cell XFD1048576 (xlsx)", "registry", hostile.far_cell(d / "far.xlsx")),
        ("far cell XFD1048576 (department)", "department", hostile.far_cell_department(d / "far-dept.xlsx")),
        ("1 GB shared string in 1 MB", "registry", hostile.huge_shared_string(d / "string.xlsx")),
        ("2 MB random shared string", "registry", hostile.long_random_string(d / "random.xlsx")),
        ("stray cell at Z1048576", "registry", hostile.stray_cell(d / "stray.xlsx")),
        ("1,048,577 rows without r", "registry", hostile.rows_without_numbers(d / "rows.xlsx")),
        ("20,000 cells without r in a row", "registry", hostile.wide_row_without_refs(d / "wide.xlsx")),
        ("billion laughs (DTD)", "registry", hostile.doctype_bomb(d / "dtd.xlsx")),
        ("300 sheets", "registry", hostile.too_many_sheets(d / "sheets.xlsx")),
        ("zip bomb of a CSV folder", "unzip", hostile.zip_bomb(d / "bomb.zip")),
        ("100 MB one-line CSV", "registry", hostile.csv_giant_line(d / "line", size=100 << 20)),
        ("100,000-column CSV header", "registry", hostile.csv_wide_header(d / "wide-csv")),
        ("Parquet claiming 20M rows", "registry", _rle_folder(d / "rle")),
        ("Parquet list column", "department", hostile.parquet_with_column(d / "list.parquet", "list")),
    ]


def _rle_folder(folder: Path) -> Path:
    hostile.parquet_registry(folder)
    hostile.parquet_rle_bomb(folder / "households.parquet")
    return folder


def legitimate(households: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"legit_{households}.xlsx"
    if not path.exists():
        from fupin.io import write_registry
        from fupin.io.sample import make_registry

        t = time.perf_counter()
        h, m = make_registry(households)
        write_registry(path, h, m)
        print(f"generated {path.name}: {h.height} households, {m.height} members, "
              f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def run(how: str, path: Path, before: bool, limit_bytes: int, timeout: float) -> dict:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, how, str(path), "1" if before else "0"], check=False,
                              capture_output=True, text=True, preexec_fn=limit if limit_bytes else None, cwd=ROOT,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": f"still reading after {timeout:.0f} s (stopped)",
                "seconds": time.perf_counter() - t, "peak_mb": float("nan"), "base_mb": float("nan")}
    wall = time.perf_counter() - t
    if proc.returncode != 0 or not proc.stdout.strip():
        last = (proc.stderr.strip().splitlines() or [""])[-1][:90]
        return {"status": f"died ({proc.returncode})", "detail": last, "seconds": wall,
                "peak_mb": float("nan"), "base_mb": float("nan")}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--households", type=int, default=349_525, help="legitimate workbook (x3 members)")
    parser.add_argument("--before", action="store_true", help="checks off, in a child limited to 4 GB")
    parser.add_argument("--limit-gb", type=float, default=None,
                        help="address-space limit of the child (default: 4 with --before, none without; 0: none)")
    parser.add_argument("--only", nargs="*", help="substrings of the names to run")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a read is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fupin-hostile-") as tmp:
        files = corpus(Path(tmp))
        files.append((f"legitimate {args.households * 3:,}-member workbook", "registry", legitimate(args.households)))
        if args.only:
            files = [f for f in files if any(o in f[0] for o in args.only)]
        gb = args.limit_gb if args.limit_gb is not None else (BEFORE_LIMIT / 1024**3 if args.before else 0)
        limit_bytes = int(gb * 1024**3)
        mode = ("BEFORE (checks off)" if args.before else "with the checks") + \
            (f", child limited to {gb:g} GB (RLIMIT_AS)" if gb else "")
        print(f"\n{mode}; medians of {args.runs} runs; peak RSS of the reading process\n")
        print(f"{'file':36} {'size':>9} {'outcome':>10} {'peak MB':>8} {'+read MB':>8} {'read s':>7}  detail")
        for name, how, path in files:
            size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
            results = [run(how, path, args.before, limit_bytes, args.timeout) for _ in range(args.runs)]
            peak = statistics.median(r["peak_mb"] for r in results)
            grew = statistics.median(r["peak_mb"] - r["base_mb"] for r in results)
            secs = statistics.median(r["seconds"] for r in results)
            r = results[-1]
            print(f"{name:36} {size / 1e6:8.1f}M {r['status']:>10} {peak:8.0f} {grew:8.0f} {secs:7.2f}  {r['detail']}",
                  flush=True)


if __name__ == "__main__":
    main()
