"""Department matching at scale: a medical extract against the registry members, vs a plain join.

    .venv/bin/python benchmarks/bench_match.py [--rows 10000000] [--members 3000000] [--runs 3]

Generates (once, cached under benchmarks/data/match/) a registry of ``--members`` people in
households of three and a monthly medical extract of ``--rows`` person-months (1% unknown
people, 0.1% malformed IDs), both as Parquet. Then, in the same run, the median of ``--runs``:

* baseline: a plain Polars join of the same Parquet files — claims ⋈ members on the ID number,
  summed per household, compared with a fixed threshold (no validation, no policy, no rejects);
* measured: ``fupin.engine.matching`` reading the same file and doing everything the command
  does except the database: header mapping, ID validation with check characters, duplicates,
  the join, per-household sums, policy thresholds per province, lead evidence, the issues.

Prints both times and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl

from fupin.engine import idnumber, matching
from fupin.io import department
from fupin.engine.policy import load_policies

YEAR = 2023
DATA = Path(__file__).resolve().parent / "data" / "match"


def generate(rows: int, members: int, seed: int = 7) -> tuple[Path, Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    tag = f"{rows}_{members}"
    claims_path, members_path, households_path = (DATA / f"claims_{tag}.parquet", DATA / f"members_{tag}.parquet",
                                                  DATA / f"households_{tag}.parquet")
    if claims_path.exists() and members_path.exists() and households_path.exists():
        return claims_path, members_path, households_path
    rng = np.random.default_rng(seed)
    n = members
    # Unique 17-digit prefixes: county, birth date, a 3-digit sequence from the index.
    births = pl.date_range(pl.date(1940, 1, 1), pl.date(2015, 12, 31), "1d", eager=True)
    birth = births.gather(rng.integers(0, births.len(), n)).dt.strftime("%Y%m%d")
    county = pl.Series(rng.choice(["500101", "500102", "500103", "510104", "520102"], n))
    seq = pl.Series(np.arange(n) % 1000).cast(pl.String).str.zfill(3)
    # The sequence alone repeats every 1000 people; birth date + county make clashes rare, and
    # the few duplicates are dropped below.
    first17 = county + birth + seq
    ids = first17 + idnumber.check_characters(first17)
    member_frame = pl.DataFrame({"id_number": ids, "name": pl.Series(rng.choice(["张伟", "王芳", "李娜", "刘洋"], n)),
                                 "household_id": pl.Series(np.arange(n) // 3).cast(pl.String).str.zfill(8),
                                 "year": pl.Series([YEAR] * n, dtype=pl.Int32)}).unique("id_number", keep="first")
    households = member_frame.group_by("household_id").agg(pl.col("id_number").first()).select(
        "household_id", year=pl.lit(YEAR, dtype=pl.Int32),
        region_code=pl.col("id_number").str.slice(0, 6) + pl.lit("001201"),
        registered=pl.Series(rng.random(member_frame["household_id"].n_unique()) < 0.4),
        poverty_status=pl.lit("已脱贫"), monitoring_category=pl.lit(None, dtype=pl.String),
        risk_eliminated=pl.lit(None, dtype=pl.Boolean),
    )
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


def baseline(claims_path: Path, members_path: Path) -> int:
    claims = pl.scan_parquet(claims_path).select(id_number="证件号码", amount="合规自付医疗费用")
    members = pl.scan_parquet(members_path).select("id_number", "household_id")
    out = (claims.join(members, on="id_number", how="inner").group_by("household_id")
           .agg(pl.col("amount").sum()).filter(pl.col("amount") > 10000).collect())
    return out.height


def measured(claims_path: Path, members_path: Path, households_path: Path, policy) -> matching.MatchResult:
    raw = department.read_department_file(claims_path, "medical")
    return matching.match_department(raw, kind="medical", year=YEAR, members=pl.read_parquet(members_path),
                                     households=pl.read_parquet(households_path), policy=policy,
                                     source=claims_path.name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    paths = generate(args.rows, args.members)
    print(f"data: {args.rows:,} claim rows, {args.members:,} members (ready in {time.perf_counter() - t0:.1f} s)")
    policy = load_policies()
    base, meas = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        baseline(paths[0], paths[1])
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = measured(*paths, policy)
        meas.append(time.perf_counter() - t)
    b, m = statistics.median(base), statistics.median(meas)
    print(f"baseline (plain Polars join + sum): {b:.2f} s")
    print(f"fupin match (validate, join, thresholds, evidence, rejects): {m:.2f} s")
    print(f"ratio: {m / b:.1f}x   leads {result.stats['leads']:,}, rows returned {result.stats['rejected']:,}, "
          f"matched rows {result.stats['matched_rows']:,}")


if __name__ == "__main__":
    main()
