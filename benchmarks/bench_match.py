"""Department matching at scale, whole process against whole process; a list of claims; rejects.

    .venv/bin/python benchmarks/bench_match.py [--rows 10000000] [--members 3000000] [--runs 3]
        [--claims 500000] [--rejects 400000] [--before-src DIR] [--only scale|claims|rejects]

Generates (once, cached under benchmarks/data/match/) a registry of ``--members`` people in
households of three and a monthly medical extract of ``--rows`` person-months (1% unknown
people, 0.1% malformed IDs), both as Parquet. Then, in the same run, the median of ``--runs``
fresh processes each (interpreter start, imports and reading included on both sides):

* baseline: a process that reads the same Parquet files and does a plain Polars join — claims ⋈
  members on the ID number, summed per household, compared with a fixed threshold (no
  validation, no policy, no rejects);
* measured: a process that does what ``fupin match`` does except the database: reads the file
  (``fupin.io.department``), reads the registry frames, and runs ``fupin.engine.matching``:
  header mapping, ID validation, duplicates, the join, per-household sums, policy thresholds
  per province, lead evidence, the issues (the rows returned).

Prints both medians and the ratio, of wall time and of CPU time (user + system, all threads;
on a shared machine the CPU figures move less with the other processes' load).

``claims``: a generated list at settlement level (``--claims`` rows: 结算日期, 单据号, 月份, one row
per claim, several claims per person and month, 1% unknown people, 0.2% repeated 单据号) matched
by a fresh process, rejects workbook written: rows returned and seconds (match, workbook). With
``--before-src DIR`` (a copy of ``src`` before the change) the same is run with that code too,
here and in the scale comparison (its processes alternate with the others).

``rejects``: a rejects workbook of ``--rejects`` rows written by :func:`fupin.io.rejects.write_rejects`
(also with ``--before-src``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

YEAR = 2023
DATA = Path(__file__).resolve().parent / "data" / "match"


def _registry(members: int, rng) -> tuple[pl.DataFrame, pl.DataFrame]:
    from fupin.engine import idnumber

    n = members
    # Unique 17-digit prefixes: county, birth date, a 3-digit sequence from the index.
    births = pl.date_range(pl.date(1940, 1, 1), pl.date(2015, 12, 31), "1d", eager=True)
    birth = births.gather(rng.integers(0, births.len(), n)).dt.strftime("%Y%m%d")
    county = pl.Series(rng.choice(["500101", "500102", "500103", "510104", "520102"], n))
    seq = pl.Series(np.arange(n) % 1000).cast(pl.String).str.zfill(3)
    # The sequence alone repeats every 1000 people; birth date + county make clashes rare, and
    # the few duplicates are dropped below. The members stay in household order, as `fupin match`
    # gets them from the database (registry.bulk.read_members: ORDER BY household_id).
    first17 = county + birth + seq
    ids = first17 + idnumber.check_characters(first17)
    member_frame = pl.DataFrame({"id_number": ids, "name": pl.Series(rng.choice(["张伟", "王芳", "李娜", "刘洋"], n)),
                                 "household_id": pl.Series(np.arange(n) // 3).cast(pl.String).str.zfill(8),
                                 "year": pl.Series([YEAR] * n, dtype=pl.Int32)}).unique("id_number", keep="first",
                                                                                maintain_order=True)
    households = member_frame.group_by("household_id").agg(pl.col("id_number").first()).select(
        "household_id", year=pl.lit(YEAR, dtype=pl.Int32),
        region_code=pl.col("id_number").str.slice(0, 6) + pl.lit("001201"),
        registered=pl.Series(rng.random(member_frame["household_id"].n_unique()) < 0.4),
        poverty_status=pl.lit("已脱贫"), monitoring_category=pl.lit(None, dtype=pl.String),
        risk_eliminated=pl.lit(None, dtype=pl.Boolean),
    ).sort("household_id")  # as the database gives them too (registry.bulk.read_households)
    return member_frame, households


def generate(rows: int, members: int, seed: int = 7) -> tuple[Path, Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    tag = f"{rows}_{members}"
    claims_path, members_path, households_path = (DATA / f"claims_{tag}.parquet", DATA / f"members_{tag}.parquet",
                                                  DATA / f"households_{tag}.parquet")
    if claims_path.exists() and members_path.exists() and households_path.exists():
        return claims_path, members_path, households_path
    rng = np.random.default_rng(seed)
    member_frame, households = _registry(members, rng)
    m = member_frame.height
    idx = np.arange(rows)
    person = idx % m
    month = (idx // m) % 12 + 1
    claim_ids = member_frame["id_number"].gather(person)
    unknown = rng.random(rows) < 0.01
    broken = rng.random(rows) < 0.001
    claim_ids = pl.select(
        pl.when(pl.Series(broken)).then(pl.lit("5001011990"))
        .when(pl.Series(unknown)).then(pl.lit("3") + claim_ids.str.slice(1))
        .otherwise(claim_ids)
    ).to_series()
    order = rng.permutation(rows)
    claims = pl.DataFrame({
        "姓名": member_frame["name"].gather(person),
        "证件号码": claim_ids,
        "月份": pl.Series([f"{YEAR}-{mo:02d}" for mo in range(1, 13)]).gather(month - 1),
        "合规自付医疗费用": pl.Series(np.round(rng.gamma(0.6, 900.0, rows), 2)),
    })[order]
    claims.write_parquet(claims_path)
    member_frame.write_parquet(members_path)
    households.write_parquet(households_path)
    return claims_path, members_path, households_path


def generate_claims(rows: int, seed: int = 11) -> tuple[Path, Path, Path]:
    """A list at settlement level: ~1.6 claims per person and month (most people have several)."""
    DATA.mkdir(parents=True, exist_ok=True)
    paths = (DATA / f"settlements_{rows}.csv", DATA / f"settlements_{rows}_members.parquet",
             DATA / f"settlements_{rows}_households.parquet")
    if all(p.exists() for p in paths):
        return paths
    rng = np.random.default_rng(seed)
    member_frame, households = _registry(max(rows // 19, 30), rng)
    m = member_frame.height
    person = rng.integers(0, m, rows)
    ids = member_frame["id_number"].gather(person)
    unknown = rng.random(rows) < 0.01
    # Unknown people: valid numbers (another county) that the registry does not hold.
    ids = pl.select(pl.when(pl.Series(unknown)).then(pl.lit("6") + ids.str.slice(1, 16)).otherwise(ids.str.slice(0, 17))
                    ).to_series()
    from fupin.engine import idnumber

    ids = ids + idnumber.check_characters(ids)
    day = pl.Series(rng.integers(0, 365, rows))
    settled = pl.select(pl.date(YEAR, 1, 1) + pl.duration(days=day)).to_series()
    frame = pl.DataFrame({
        "姓名": member_frame["name"].gather(person), "证件号码": ids,
        "结算日期": settled.dt.strftime("%Y-%m-%d"), "月份": settled.dt.strftime("%Y-%m"),
        "单据号": pl.Series([f"JS{YEAR}{i:09d}" for i in range(rows)]),
        "合规自付医疗费用": pl.Series(np.round(rng.gamma(0.6, 300.0, rows), 2)).cast(pl.String),
    })
    # 0.2% of the claims sent twice: half identical copies, half with another amount.
    again = rng.choice(rows, rows // 500, replace=False)
    copies = frame[again].with_columns(
        pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.col("合规自付医疗费用"))
        .otherwise((pl.col("合规自付医疗费用").cast(pl.Float64) + 1).cast(pl.String)).alias("合规自付医疗费用"))
    frame = pl.concat([frame.head(rows - copies.height), copies])
    frame.write_csv(paths[0])
    member_frame.write_parquet(paths[1])
    households.write_parquet(paths[2])
    return paths


# --- children: one fresh process each ----------------------------------------------------------

def child_baseline(claims_path: str, members_path: str) -> dict:
    claims = pl.scan_parquet(claims_path).select(id_number="证件号码", amount="合规自付医疗费用")
    members = pl.scan_parquet(members_path).select("id_number", "household_id")
    out = (claims.join(members, on="id_number", how="inner").group_by("household_id")
           .agg(pl.col("amount").sum()).filter(pl.col("amount") > 10000).collect())
    return {"households": out.height}


def child_measured(claims_path: str, members_path: str, households_path: str, rejects: str = "") -> dict:
    from fupin.engine import matching
    from fupin.engine.policy import load_policies
    from fupin.io import department

    t0 = time.perf_counter()
    raw = department.read_department_file(Path(claims_path), "medical")
    result = matching.match_department(raw, kind="medical", year=YEAR, members=pl.read_parquet(members_path),
                                       households=pl.read_parquet(households_path), policy=load_policies(),
                                       source=Path(claims_path).name)
    t1 = time.perf_counter()
    out = {"rows": result.stats["rows"], "rejected": result.stats["rejected"], "leads": result.stats["leads"],
           "matched_rows": result.stats["matched_rows"], "match_s": t1 - t0}
    if rejects:
        department.write_match_rejects(result, rejects)
        out["rejects_s"] = time.perf_counter() - t1
    return out


def child_rejects(rows: int, out: str) -> dict:
    from types import SimpleNamespace

    from fupin.io.rejects import write_rejects

    rng = np.random.default_rng(3)
    raw = pl.DataFrame({
        "姓名": pl.Series(rng.choice(["张伟", "王芳", "=HYPERLINK(\"x\")"], rows)),
        "证件号码": pl.Series([f"50010119900101{i % 10000:04d}" for i in range(rows)]),
        "结算日期": pl.Series(["2023-03-15"] * rows),
        "单据号": pl.Series([f"JS{i:09d}" for i in range(rows)]),
        "合规自付医疗费用": pl.Series(np.round(rng.gamma(0.6, 300.0, rows), 2)).cast(pl.String),
        "_sheet": pl.Series(["list.csv"] * rows),
        "_row": pl.int_range(2, rows + 2, eager=True),
    })
    issues = raw.select(
        sheet="_sheet", row="_row", code=pl.lit("D09"), severity=pl.lit("error"), column=pl.lit("证件号码"),
        value="证件号码", message_zh=pl.lit("登记册中找不到此人：证件号码 5001**********0101 在 2023 年的登记册中找不到"),
        message_en=pl.lit("person not in the registry: ID number 5001**********0101 is not in the registry of 2023"))
    t = time.perf_counter()
    n = write_rejects(SimpleNamespace(issues=issues, raw={"flat": raw}, unknown_columns={}), out)
    return {"rows": n, "rejects_s": time.perf_counter() - t}


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _spawn(args: list[str], src: str | None = None) -> tuple[float, dict]:
    """Wall seconds of a fresh child process and its output; its CPU seconds (user + system,
    all threads) are in the output as ``cpu_s``: less moved by other processes on the machine."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    t, cpu = time.perf_counter(), _cpu_children()
    done = subprocess.run([sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True,
                          check=True)
    seconds = time.perf_counter() - t
    return seconds, {**json.loads(done.stdout.strip().splitlines()[-1]), "cpu_s": _cpu_children() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--claims", type=int, default=500_000)
    parser.add_argument("--rejects", type=int, default=400_000)
    parser.add_argument("--before-src", help="a copy of src/ before the change, run the same way for comparison")
    parser.add_argument("--only", choices=["scale", "claims", "rejects"])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *rest = args.child
        fn = {"baseline": child_baseline, "measured": child_measured, "rejects": child_rejects}[name]
        call_args = (int(rest[0]), rest[1]) if name == "rejects" else rest
        print(json.dumps(fn(*call_args)))
        return
    if args.only in (None, "scale"):
        t0 = time.perf_counter()
        paths = [str(p) for p in generate(args.rows, args.members)]
        print(f"data: {args.rows:,} claim rows, {args.members:,} members (ready in {time.perf_counter() - t0:.1f} s)")
        base, meas, before = [], [], []
        for _ in range(args.runs):
            # Alternating, so that the processes compared share the machine's load.
            seconds, out = _spawn(["baseline", *paths[:2]])
            base.append((seconds, out["cpu_s"]))
            seconds, result = _spawn(["measured", *paths])
            meas.append((seconds, result["cpu_s"]))
            if args.before_src:
                seconds, previous = _spawn(["measured", *paths], args.before_src)
                before.append((seconds, previous["cpu_s"]))
        median = lambda xs, i: statistics.median(x[i] for x in xs)
        runs = lambda xs: ", ".join(f"{x[0]:.2f}" for x in xs)
        b, m, b_cpu, m_cpu = median(base, 0), median(meas, 0), median(base, 1), median(meas, 1)
        print(f"baseline process (read + plain Polars join + sum), median of {args.runs}: {b:.2f} s ({runs(base)}); "
              f"CPU {b_cpu:.2f} s")
        if before:
            counts = ("leads", "rejected", "matched_rows")
            print(f"fupin match process with --before-src, median of {args.runs}: {median(before, 0):.2f} s "
                  f"({runs(before)}), ratio {median(before, 0) / b:.2f}x; CPU {median(before, 1):.2f} s, ratio "
                  f"{median(before, 1) / b_cpu:.2f}x; same counts: {all(previous[k] == result[k] for k in counts)}")
        print(f"fupin match process (read, validate, duplicates, join, thresholds, evidence, issues), "
              f"median of {args.runs}: {m:.2f} s ({runs(meas)}); CPU {m_cpu:.2f} s")
        print(f"ratio: {m / b:.2f}x (CPU {m_cpu / b_cpu:.2f}x)   leads {result['leads']:,}, "
              f"rows returned {result['rejected']:,}, matched rows {result['matched_rows']:,}")
    if args.only in (None, "claims"):
        paths = [str(p) for p in generate_claims(args.claims)]
        out = str(DATA / "settlements.rejects.xlsx")
        for label, src in [("before", args.before_src), ("after", None)]:
            if label == "before" and not src:
                continue
            seconds, r = _spawn(["measured", *paths, out], src)
            print(f"claims list {label}: {r['rows']:,} rows, returned {r['rejected']:,} "
                  f"({r['rejected'] / r['rows']:.1%}), leads {r['leads']:,}; process {seconds:.1f} s "
                  f"(match {r['match_s']:.1f} s, rejects workbook {r['rejects_s']:.1f} s)")
    if args.only in (None, "rejects"):
        out = str(DATA / "big.rejects.xlsx")
        for label, src in [("before", args.before_src), ("after", None)]:
            if label == "before" and not src:
                continue
            _seconds, r = _spawn(["rejects", str(args.rejects), out], src)
            print(f"rejects workbook {label}: {r['rows']:,} rows written in {r['rejects_s']:.1f} s")


if __name__ == "__main__":
    main()
