"""A ~200 MB CSV folder is read in one go, with its time and peak memory reported."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow
def test_large_csv_folder_reads_completely(tmp_path):
    # Run in a child process so that its peak RSS is the reader's own, not the test session's.
    script = textwrap.dedent(f"""
        import resource, time
        from pathlib import Path
        from fupin.io import read_registry, write_registry
        from fupin.io.sample import make_registry
        folder = Path({str(tmp_path / 'big')!r})
        h, m = make_registry(400_000)
        write_registry(folder, h, m)
        del h, m
        size = sum(p.stat().st_size for p in folder.iterdir())
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        reg = read_registry(folder)
        took = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        errors = reg.issues.filter(reg.issues['severity'] == 'error').height
        print(size, reg.households.height, reg.members.height, errors, took, before, peak)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    size, households, members, errors, took, before, peak = out.stdout.split()
    print(f"\nCSV folder {int(size) / 1e6:.0f} MB: {households} households, {members} members read in "
          f"{float(took):.1f} s; peak RSS {int(peak) / 1024:.0f} MB (before the read {int(before) / 1024:.0f} MB)")
    assert int(size) > 150e6
    assert int(households) == 400_000 and int(members) == 1_200_000
    assert int(errors) == 0
    _ = resource  # peak RSS is measured in the child
