"""What every whole-process benchmark shares: the generated registry written once, and one
child process timed with its peak memory (users time the whole command, not the engine)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
FUPIN = str(Path(sys.executable).with_name("fupin"))
YEAR = 2021


def dataset(n: int, year: int = YEAR) -> Path:
    """``fupin generate --households n --year year --seed 5`` as a Parquet folder, written once
    (benchmarks/data is gitignored)."""
    path = DATA / f"generated_{n}_{year}_s5.parquet"
    if not (path / "members.parquet").exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"fupin generate --households {n} --year {year} --seed 5 → {path} (once) …", flush=True)
        subprocess.run([FUPIN, "generate", "--households", str(n), "--year", str(year), "--seed", "5",
                        "--out", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        sys.stderr.write(proc.stderr.read().decode(errors="replace"))
        raise SystemExit(f"failed: {' '.join(cmd[:4])} …")
    proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024
