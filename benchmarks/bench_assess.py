"""Benchmark: 1M households from Parquet — assessment + monitoring + quality checks.

Run:  .venv/bin/python benchmarks/bench_assess.py [--households 1000000] [--runs 3] [--sample 20000]
      [--part all|engine|whole]

Data: ``fupin.synth.generate(N, 2024, region="50", seed=1)`` (Chongqing, 37 counties, ≈3.1
members per household) written once with ``write_registry`` to
``benchmarks/data/registry_<N>_50_2024_s1.parquet`` (gitignored). Policy: national +
``chongqing.toml`` (monitoring line 7500 for 2024).

Measured, each run in a fresh child process (wall time and that process's peak RSS):

* **engine** — what ``fupin assess`` does after import: read both Parquet tables,
  ``quality.findings`` (Q03–Q23, the error codes), then ``assess`` (sections 1–3: indicators,
  verdict, risk factors, monitoring category, elimination readiness, explanations) — median
  of ``--runs``;
* **engine, in-memory collect** — the same plan (``assess_lazy``) collected with Polars'
  in-memory engine instead of the default streaming engine (what the partitioned runner
  uses per county batch), to show where the time goes;
* **baseline** — a straightforward per-household Python loop, the way most registries compute
  eligibility: rows as dicts, members grouped by household in a dict, then the rules of
  sections 1–3 household by household (adapted from the reference implementation of
  ``tests/engine/test_differential.py``, with every policy value from the same policy). It
  does *no* quality checks, so the ratio is a lower bound. It is timed on the first
  ``--sample`` households (plus their members) and **extrapolated linearly** to N; it is
  checked against the engine on that sample (households without error findings).

**Whole process against DuckDB** (``--part whole``, also run by ``--part all``): the registry of
``fupin generate --households N --year 2021 --seed 5`` (generated once into
``benchmarks/data/``), then, alternating, each in a fresh child process, ``--runs`` times:
(a) ``fupin assess --input X --year 2021 --out r.parquet`` — import validation, the quality
checks and sections 1–3 — and (b) one hand-written DuckDB query of sections 1–3 (income vs
line, 两不愁三保障 + 饮水 with the four water sub-indicators, verdict, risk factors, monitoring
category, elimination readiness; no quality checks) over the same Parquet files, written to
Parquet. Printed: both medians, their ratio (goal ≤ 2×) and each child's peak RSS
(``ru_maxrss`` from ``wait4``; goal < 2 GB), and how many households the two agree on.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
# The loop is the differential test's reference, so the benchmark times a loop proven right
# (the test folders are packages: import it by package path from the repository root).
sys.path.insert(0, str(ROOT))
from tests.engine.reference_rules import PARAMETERS, reference

sys.path.insert(0, str(ROOT / "benchmarks"))
import whole_process as shared

DATA = ROOT / "benchmarks" / "data"
YEAR = 2024
AS_OF = date(YEAR, 12, 31)
POLICY_FILES = [str(ROOT / "src" / "fupin" / "policies" / "chongqing.toml")]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dataset(n: int) -> Path:
    path = DATA / f"registry_{n}_50_{YEAR}_s1.parquet"
    if not (path / "members.parquet").exists():
        from fupin.io import write_registry
        from fupin.synth import generate

        print(f"generating {n:,} households once → {path} …", flush=True)
        h, m, r = generate(n, YEAR, region="50", seed=1)
        write_registry(path, h, m, r)
    return path


def policy():
    from fupin.engine.policy import load_policies

    return load_policies(POLICY_FILES)


# --- the engine ------------------------------------------------------------------------------

def engine(path: Path, collect: str) -> pl.DataFrame:
    from fupin.engine.assess import assess, assess_lazy
    from fupin.engine.quality import findings

    h = pl.read_parquet(path / "households.parquet")
    m = pl.read_parquet(path / "members.parquet")
    errors = findings(h, m, as_of=AS_OF)
    if collect == "default":
        return assess(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=errors)
    return assess_lazy(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=errors).collect(engine=collect)


# --- the baseline: one household at a time ---------------------------------------------------

def parameters() -> dict:
    ps = policy()
    code = "500101001001"
    return {k: float(ps.resolve(k, YEAR, code)[0]) for k in PARAMETERS}


def sample(path: Path, k: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = pl.read_parquet(path / "households.parquet", n_rows=k)
    m = pl.scan_parquet(path / "members.parquet").filter(
        pl.col("household_id").is_in(h["household_id"].implode())).collect()
    return h, m


def loop(h: pl.DataFrame, m: pl.DataFrame) -> dict[str, dict]:
    P = parameters()
    by_household: dict[str, list[dict]] = {}
    for row in m.iter_rows(named=True):
        by_household.setdefault(row["household_id"], []).append(row)
    return {row["household_id"]: reference(row, by_household.get(row["household_id"], []), P, AS_OF)
            for row in h.iter_rows(named=True) if row["year"] == YEAR}


# --- runs ------------------------------------------------------------------------------------

def child(kind: str, path: Path, k: int) -> None:
    start = time.perf_counter()
    if kind == "loop":
        h, m = sample(path, k)
        start = time.perf_counter()  # reading the sample is not the loop's cost
        rows = len(loop(h, m))
    else:
        rows = engine(path, kind).height
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb(), "rows": rows}))


def run_child(kind: str, path: Path, k: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--path", str(path), "--sample", str(k)],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {kind} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def agreement(path: Path, k: int) -> tuple[int, int]:
    """(households compared, disagreements) between the loop and the engine on the sample."""
    from fupin.engine.assess import assess
    from fupin.engine.quality import findings

    h, m = sample(path, k)
    expected = loop(h, m)
    got = assess(h, m, year=YEAR, policy=policy(), as_of=AS_OF, errors=findings(h, m, as_of=AS_OF))
    compared = bad = 0
    for row in got.filter(pl.col("errors") == "").iter_rows(named=True):
        ref = expected[row["household_id"]]
        compared += 1
        bad += any(
            abs(row[key] - value) > 1e-9 if isinstance(value, float) else row[key] != value
            for key, value in ref.items()
        )
    return compared, bad


# --- whole process: fupin assess against one DuckDB query ------------------------------------

WHOLE_YEAR = shared.YEAR
WHOLE_AS_OF = date(WHOLE_YEAR, 12, 31)
FUPIN = shared.FUPIN
timed = shared.timed


def baseline_parameters(path: Path) -> dict:
    """The policy values ``fupin assess`` uses (the configured policy), one set for the file."""
    from fupin.application import policy as policy_provider
    from fupin.engine.assess import ASSESSMENT_PARAMETERS

    codes = pl.scan_parquet(path / "households.parquet").select(pl.col("region_code").unique()).collect()["region_code"]
    frame = policy_provider.current().frame(WHOLE_YEAR, codes, parameters=ASSESSMENT_PARAMETERS)
    if frame.height != 1:
        raise SystemExit("the DuckDB baseline takes one policy per file; this file's regions need several")
    return frame.row(0, named=True)


def baseline_sql(path: Path, out: Path, year: int, as_of: date, P: dict) -> str:
    """One DuckDB query: rules.md sections 1–3 over the Parquet container, result to Parquet.
    ``P``: the policy values by parameter name, written into the query as literals."""
    h = f"{path}/households.parquet"
    m = f"{path}/members.parquet"
    mmdd = f"{as_of.month:02d}{as_of.day:02d}"
    tri = lambda c: f"CASE WHEN {c} IS NULL THEN 'unknown' WHEN {c} THEN 'met' ELSE 'unmet' END"
    ind = ("income", "food", "clothing", "education", "medical", "housing", "water")
    return f"""
COPY (
WITH mem AS (
    SELECT household_id, health, school_status, medical_insurance, labour, disability_grade,
           coalesce({as_of.year} - CAST(substr(id_number, 7, 4) AS INTEGER)
                    - CASE WHEN substr(id_number, 11, 4) > '{mmdd}' THEN 1 ELSE 0 END BETWEEN 6 AND 15
                    AND length(id_number) = 18, false)
           AND NOT coalesce(health = '残疾' AND (home_schooling IS TRUE OR dropout_reason = '身体原因'), false)
           AS compulsory
    FROM read_parquet('{m}')
    WHERE (year IS NULL OR year = {year}) AND coalesce(member_status, '正常') = '正常'
), facts AS (
    SELECT household_id, count(*) AS population,
           bool_or(compulsory AND school_status = '非在校生') AS edu_unmet,
           bool_or(compulsory AND school_status IS NULL) AS edu_unknown,
           bool_or(medical_insurance = '未参保') AS med_unmet,
           bool_or(medical_insurance IS NULL) AS med_unknown,
           bool_or(health = '患有大病') AS serious_illness,
           bool_or(health = '残疾' AND disability_grade IN ('一级', '二级')) AS severe_disability,
           bool_and(coalesce(labour IN ('丧失劳动力', '无劳动力'), false)) AS no_labour
    FROM mem GROUP BY household_id
), base AS (
    SELECT h.*, coalesce(f.population, 0) AS pop, f.* EXCLUDE (household_id, population),
           h.wage_income + h.business_income + h.property_income + h.transfer_income - h.business_expense AS net
    FROM read_parquet('{h}') h LEFT JOIN facts f USING (household_id)
    WHERE h.year = {year}
), ind AS (
    SELECT *, net / nullif(pop, 0) AS pc,
        CASE WHEN net IS NULL OR pop = 0 THEN 'unknown' WHEN net / pop > {P['poverty_line']} THEN 'met' ELSE 'unmet' END AS income,
        {tri('food_secure')} AS food,
        {tri('clothing_secure')} AS clothing,
        CASE WHEN edu_unmet THEN 'unmet' WHEN edu_unknown THEN 'unknown' ELSE 'met' END AS education,
        CASE WHEN med_unmet THEN 'unmet' WHEN med_unknown THEN 'unknown' ELSE 'met' END AS medical,
        CASE WHEN relocated IS TRUE OR housing_grade IN ('A', 'B') THEN 'met'
             WHEN housing_grade IN ('C', 'D') THEN CASE WHEN housing_renovation = '已完成' THEN 'met' ELSE 'unmet' END
             ELSE 'unknown' END AS housing,
        CASE WHEN water_litres_per_day IS NULL THEN 'unknown'
             WHEN water_litres_per_day >= CASE WHEN water_scarce_area IS TRUE THEN {P['water_min_litres_scarce']} ELSE {P['water_min_litres']} END THEN 'met'
             ELSE 'unmet' END AS w_quantity,
        CASE WHEN water_quality IS NULL THEN 'unknown' WHEN water_quality IN ('达标', '基本达标') THEN 'met' ELSE 'unmet' END AS w_quality,
        CASE WHEN tap_water IS TRUE OR fetch_minutes <= {P['fetch_max_minutes']} OR fetch_horizontal_m <= {P['fetch_max_horizontal_m']}
                  OR fetch_vertical_m <= {P['fetch_max_vertical_m']} THEN 'met'
             WHEN tap_water IS NULL AND fetch_minutes IS NULL AND fetch_horizontal_m IS NULL AND fetch_vertical_m IS NULL THEN 'unknown'
             ELSE 'unmet' END AS w_convenience,
        CASE WHEN outage_days IS NULL THEN 'unknown' WHEN outage_days <= {P['outage_max_days']} THEN 'met' ELSE 'unmet' END AS w_guarantee,
        coalesce(water_litres_per_day, fetch_minutes, fetch_horizontal_m, fetch_vertical_m, outage_days) IS NOT NULL
            OR coalesce(water_scarce_area, tap_water) IS NOT NULL OR water_quality IS NOT NULL AS w_detailed
    FROM base
), verdict AS (
    SELECT *,
        CASE WHEN NOT w_detailed THEN {tri('water_safe')}
             WHEN 'unmet' IN (w_quantity, w_quality, w_convenience, w_guarantee) THEN 'unmet'
             WHEN 'unknown' IN (w_quantity, w_quality, w_convenience, w_guarantee) THEN 'unknown'
             ELSE 'met' END AS water
    FROM ind
), standard AS (
    SELECT *,
        CASE WHEN 'unmet' IN ({', '.join(ind)}) THEN 'no' WHEN 'unknown' IN ({', '.join(ind)}) THEN 'unverified' ELSE 'yes' END AS meets,
        concat_ws(';', {', '.join(f"CASE WHEN {k} = 'unmet' THEN '{k}' END" for k in ind)}) AS unmet,
        concat_ws(';', {', '.join(f"CASE WHEN {k} = 'unknown' THEN '{k}' END" for k in ind)}) AS unknown,
        coalesce(medical_out_of_pocket, 0) + coalesce(education_out_of_pocket, 0) + coalesce(disaster_loss, 0) AS rigid,
        coalesce(medical_out_of_pocket, 0) > CASE WHEN registered IS TRUE THEN {P['medical_share_registered']} ELSE {P['medical_share_general']} END * {P['rural_income_prev_year']} AS r_medical_cost,
        coalesce(education_out_of_pocket, 0) > {P['education_cost_max']} AS r_education_cost,
        coalesce(disaster_loss, 0) > 0 AS r_disaster,
        coalesce(prior_net_income > 0 AND net < (1 - {P['income_drop_share']}) * prior_net_income, false) AS r_income_drop,
        coalesce(serious_illness, false) AS r_serious_illness,
        coalesce(severe_disability, false) AS r_severe_disability,
        coalesce(no_labour, true) AS r_no_labour,
        'unmet' IN (education, medical, housing, water) AS r_guarantee_gap,
        monitoring_category IS NOT NULL AND risk_eliminated IS NOT TRUE AS monitored,
        ({as_of.year} - CAST(substr(monitoring_since, 1, 4) AS INTEGER)) * 12 + {as_of.month} - CAST(substr(monitoring_since, 6, 2) AS INTEGER) AS months
    FROM verdict
), risk AS (
    SELECT *,
        r_medical_cost OR r_education_cost OR r_disaster OR r_income_drop OR r_serious_illness
            OR r_severe_disability OR r_no_labour OR r_guarantee_gap AS any_risk,
        concat_ws(';', {', '.join(f"CASE WHEN r_{k} THEN '{k}' END" for k in ("medical_cost", "education_cost", "disaster", "income_drop", "serious_illness", "severe_disability", "no_labour", "guarantee_gap"))}) AS risk_factors,
        concat_ws(';',
            CASE WHEN NOT coalesce(pc >= {P['monitoring_line']}, false) THEN 'income' END,
            CASE WHEN meets <> 'yes' THEN 'standard' END,
            CASE WHEN r_medical_cost OR r_education_cost OR r_disaster OR r_income_drop THEN 'risk' END,
            CASE WHEN NOT coalesce(months >= {P['elimination_min_months']}, false) THEN 'months' END,
            CASE WHEN r_no_labour THEN 'no_labour' END) AS failed
    FROM standard
)
SELECT household_id, year, region_code, pop AS population,
    CASE WHEN pop > 0 THEN net END AS net_income, CASE WHEN pop > 0 THEN pc END AS per_capita_net_income,
    {', '.join(f"CASE WHEN pop > 0 THEN {k} ELSE '' END AS {k}" for k in ind)},
    CASE WHEN pop > 0 THEN meets ELSE 'error' END AS meets_standard,
    CASE WHEN pop > 0 THEN unmet ELSE '' END AS unmet,
    CASE WHEN pop > 0 THEN unknown ELSE '' END AS unknown,
    CASE WHEN pop = 0 THEN ''
         WHEN monitored THEN 'monitored'
         WHEN poverty_status IN ('未脱贫', '返贫') THEN ''
         WHEN net IS NULL THEN 'unknown'
         WHEN registered IS TRUE AND pc < {P['monitoring_line']} AND any_risk THEN 'unstable'
         WHEN registered IS NOT TRUE AND pc < {P['monitoring_line']} AND any_risk THEN 'marginal'
         WHEN coalesce(CASE WHEN prior_net_income IS NOT NULL THEN rigid > prior_net_income ELSE rigid > net END, false)
              OR coalesce(r_income_drop AND (net - rigid) / pop < {P['monitoring_line']}, false) THEN 'sudden'
         ELSE 'none' END AS monitoring_category,
    CASE WHEN pop > 0 THEN risk_factors ELSE '' END AS risk_factors,
    CASE WHEN pop > 0 AND monitored THEN CASE WHEN failed = '' THEN 'ready' ELSE 'not_ready' END ELSE '' END AS elimination,
    CASE WHEN pop > 0 AND monitored THEN failed ELSE '' END AS elimination_failed,
    CASE WHEN pop > 0 THEN '' ELSE 'Q06' END AS errors,
    '{P['policy']}' AS policy
FROM risk
) TO '{out}' (FORMAT parquet)
"""


def whole_process(n: int, runs: int) -> None:
    path = shared.dataset(n)
    out = DATA / "whole_process_out"
    out.mkdir(exist_ok=True)
    sql = baseline_sql(path, out / "duckdb.parquet", WHOLE_YEAR, WHOLE_AS_OF, baseline_parameters(path))
    commands = {
        "fupin assess": [FUPIN, "assess", "--input", str(path), "--year", str(WHOLE_YEAR),
                         "--out", str(out / "fupin.parquet")],
        "DuckDB query": [sys.executable, "-c", "import duckdb, sys; duckdb.connect().execute(sys.argv[1])", sql],
    }
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(runs):
        for label, cmd in commands.items():  # alternating, so both see the same machine load
            results[label].append(timed(cmd))
    medians = {}
    for label, rows in results.items():
        medians[label] = statistics.median(r[0] for r in rows)
        print(f"{label:14s} median {medians[label]:7.2f} s over {runs} ({', '.join(f'{r[0]:.2f}' for r in rows)}), "
              f"peak RSS {max(r[1] for r in rows):,.0f} MB ({', '.join(f'{r[1]:,.0f}' for r in rows)})", flush=True)
    ratio = medians["fupin assess"] / medians["DuckDB query"]
    rss = max(r[1] for r in results["fupin assess"])
    print(f"ratio fupin assess / DuckDB query: {ratio:.2f}×  (goal ≤ 2× and < 2,048 MB: "
          f"{'met' if ratio <= 2 and rss < 2048 else 'NOT met'})")
    ours = pl.read_parquet(out / "fupin.parquet").filter(pl.col("errors") == "")
    theirs = pl.read_parquet(out / "duckdb.parquet")
    keys = ["population", "income", "food", "clothing", "education", "medical", "housing", "water", "meets_standard",
            "unmet", "unknown", "monitoring_category", "risk_factors", "elimination", "elimination_failed"]
    joined = ours.select("household_id", *keys).join(theirs.select("household_id", *keys), on="household_id", suffix="_d")
    differ = joined.filter(pl.any_horizontal([pl.col(k).ne_missing(pl.col(f"{k}_d")) for k in keys])).height
    print(f"the query agrees with fupin assess on {joined.height - differ:,} of {joined.height:,} households "
          f"without error findings ({ours.height:,} of {theirs.height:,} have none)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--part", choices=["all", "engine", "whole"], default="all",
                        help="engine: the engine against the loop; whole: fupin assess against DuckDB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.path), args.sample)
        return 0
    if args.part in ("all", "whole"):
        whole_process(args.households, args.runs)
    if args.part == "whole":
        return 0

    path = dataset(args.households)
    n = pl.scan_parquet(path / "households.parquet").select(pl.len()).collect().item()
    members = pl.scan_parquet(path / "members.parquet").select(pl.len()).collect().item()
    print(f"data: {n:,} households, {members:,} members ({path.name})", flush=True)

    compared, bad = agreement(path, args.sample)
    print(f"baseline agrees with the engine on {compared - bad:,} of {compared:,} sampled households "
          f"without error findings", flush=True)

    results = {}
    for kind, label in (("loop", "baseline: per-household Python loop"), ("default", "engine (fupin assess)"),
                        ("in-memory", "engine, in-memory collect")):
        runs = [run_child(kind, path, args.sample) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        results[kind] = (seconds, rss, runs[0]["rows"])
        print(f"{label:40s} {seconds:8.2f} s on {runs[0]['rows']:>9,} households "
              f"(median of {len(runs)}: {', '.join(format(r['seconds'], '.2f') for r in runs)}), peak RSS {rss:,.0f} MB",
              flush=True)

    loop_s, _, loop_rows = results["loop"]
    extrapolated = loop_s * n / loop_rows
    print(f"baseline extrapolated linearly from {loop_rows:,} to {n:,} households: {extrapolated:,.1f} s")
    for kind, label in (("default", "engine (fupin assess)"), ("in-memory", "engine, in-memory collect")):
        seconds = results[kind][0]
        print(f"ratio baseline / {label}: {extrapolated / seconds:,.1f}×  "
              f"(goal ≥ 100× and < 10 s: {'met' if extrapolated / seconds >= 100 and seconds < 10 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
