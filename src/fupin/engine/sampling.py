"""Third-party assessment sampling (第三方评估): frame, allocation, the seeded draw, the estimators.

``spec/supervision-analytics.md`` part C. The frame and its digest, the two-stage allocation in
exact rationals, a draw that any machine reproduces bit for bit (integer algorithms only: numpy's
``SeedSequence`` and raw PCG64 output; ``Generator`` methods are stable only per build), and the
ratio estimators with linearised variance, Wilson intervals and the decisions.

Readings chosen where the spec leaves room (each has a test named after it):

* A registered household with 已脱贫 but a 脱贫年度 before ``--exited-since``, or with no 脱贫状态,
  is out of scope (counted), not ``general``.
* ``uncovered_households`` is counted over the cells of the selected villages (the sample file
  knows no other frame counts); a dropped village's cells count as uncovered.
* Composite incidence has no interval (the spec gives one for the sampled rates only): its
  ``ci_status`` is null and its decision compares the point value.
* ``deff`` is null when R̂(1 − R̂) = 0 (the binomial variance it divides by is 0).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import polars as pl

from fupin import divisions
from fupin.engine import facts
from fupin.engine.mpi import exact_fraction

HOUSEHOLD_STRATA = ("exited", "poor", "general")
VILLAGE_STRATA = ("P", "N")
STRATUM_LABELS = {"exited": "已脱贫户", "poor": "未脱贫户", "general": "一般农户", "P": "贫困村", "N": "非贫困村"}
INDICATORS = ("wrong_exit", "missed", "approval")
INDICATOR_LABELS = {"wrong_exit": "错退率", "missed": "漏评率", "approval": "群众认可度",
                    "composite_incidence": "综合贫困发生率", "overall": "总体结论"}
SAMPLE_PARAMETERS = ("sample_villages", "sample_poor_village_share", "sample_households_per_village",
                     "sample_registered_share", "sample_reserve_share", "sample_confidence_level")
THRESHOLD_PARAMETERS = ("assess_wrong_exit_max", "assess_missed_max", "assess_approval_min",
                        "exit_incidence", "exit_incidence_west")


class NothingToSample(ValueError):
    """No household of the year in scope under the region."""


def nothing_to_sample(region: str, year: int) -> NothingToSample:
    return NothingToSample(f"区划 {region} {year} 年没有可抽样的户 (nothing to sample)")


@dataclass(frozen=True)
class SamplePolicy:
    villages: int
    poor_village_share: Fraction
    households_per_village: int
    registered_share: Fraction
    reserve_share: Fraction
    confidence_level: float

    @classmethod
    def from_values(cls, values: dict) -> SamplePolicy:
        return cls(int(values["sample_villages"]), exact_fraction(values["sample_poor_village_share"]),
                   int(values["sample_households_per_village"]), exact_fraction(values["sample_registered_share"]),
                   exact_fraction(values["sample_reserve_share"]), float(values["sample_confidence_level"]))


def rhu(x: Fraction) -> int:
    """Round half up on an exact rational: ⌊x + 1/2⌋."""
    return math.floor(x + Fraction(1, 2))


# --- C.1 frame --------------------------------------------------------------------------------

def household_stratum(exited_since: int | None = None) -> pl.Expr:
    """exited / poor / general, null for a row out of scope (C.1)."""
    reg = pl.col("registered")
    status = pl.col("poverty_status")
    exited = reg.fill_null(False) & (status == "已脱贫")
    if exited_since is not None:
        exited = exited & (pl.col("exit_year") >= exited_since).fill_null(False)
    return (
        pl.when(exited).then(pl.lit("exited"))
        .when(facts.remaining_poor()).then(pl.lit("poor"))
        .when(~reg.fill_null(False)).then(pl.lit("general"))
        .otherwise(None).alias("household_stratum")
    )


@dataclass
class Frame:
    """The in-scope households in frame order, the villages, the digest and the rows left out."""

    households: pl.DataFrame   # village_code, village_stratum, household_stratum, household_id, …
    villages: pl.DataFrame     # village_code, village_stratum, village_name
    digest: str
    out_of_scope: int


def build_frame(households: pl.DataFrame, regions: pl.DataFrame | None, *, year: int, region: str,
                exited_since: int | None = None, extra: tuple[str, ...] = ()) -> Frame:
    """Households of ``year`` under ``region`` (error rows included) in frame order (C.1)."""
    prefix = divisions.scope_prefix(region)
    hh = households.filter((pl.col("year") == year) & pl.col("region_code").str.starts_with(prefix))
    hh = hh.with_columns(village_code=pl.col("region_code").str.pad_end(12, "0"),
                         household_stratum=household_stratum(exited_since))
    out_of_scope = hh.filter(pl.col("household_stratum").is_null()).height
    hh = hh.filter(pl.col("household_stratum").is_not_null())
    poor_villages = _poor_villages(regions)
    order = pl.col("household_stratum").replace_strict({s: i for i, s in enumerate(HOUSEHOLD_STRATA)},
                                                       return_dtype=pl.Int8)
    hh = hh.with_columns(
        village_stratum=pl.when(pl.col("village_code").is_in(poor_villages.implode())).then(pl.lit("P"))
        .otherwise(pl.lit("N")),
        _order=order,
    ).sort("village_code", "_order", "household_id").drop("_order")
    cols = ["village_code", "village_stratum", "household_stratum", "household_id"]
    hh = hh.select(*cols, *[c for c in extra if c in hh.columns and c not in cols])
    villages = hh.select("village_code", "village_stratum").unique("village_code", maintain_order=True)
    names = _village_names(regions)
    villages = villages.join(names, on="village_code", how="left")
    return Frame(hh, villages, frame_digest(hh), out_of_scope)


def _poor_villages(regions: pl.DataFrame | None) -> pl.Series:
    if regions is None or "poor_village" not in regions.columns or regions.height == 0:
        return pl.Series("village_code", [], dtype=pl.String)
    return regions.filter(pl.col("poor_village").fill_null(False)).select(
        pl.col("region_code").cast(pl.String).str.pad_end(12, "0"))["region_code"]


def _village_names(regions: pl.DataFrame | None) -> pl.DataFrame:
    if regions is None or "name" not in regions.columns:
        return pl.DataFrame(schema={"village_code": pl.String, "village_name": pl.String})
    return regions.select(pl.col("region_code").cast(pl.String).str.pad_end(12, "0").alias("village_code"),
                          pl.col("name").alias("village_name")).unique("village_code", keep="last")


def frame_digest(households: pl.DataFrame) -> str:
    """SHA-256 hex of ``village_code\\tvillage_stratum\\thousehold_stratum\\thousehold_id\\n`` lines."""
    lines = households.select(pl.concat_str(["village_code", "village_stratum", "household_stratum", "household_id"],
                                            separator="\t"))
    digest = hashlib.sha256()
    for chunk in lines.iter_slices(200_000):
        digest.update(("\n".join(chunk.to_series().to_list()) + "\n").encode("utf-8"))
    return digest.hexdigest()


# --- C.1 allocation ---------------------------------------------------------------------------

def village_allocation(v_p: int, v_n: int, policy: SamplePolicy) -> tuple[int, int]:
    """(n_P, n_N) villages to select from the poor and other strata."""
    n = min(policy.villages, v_p + v_n)
    n_p = rhu(n * policy.poor_village_share)
    n_n = n - n_p
    if n_p > v_p:
        n_p, n_n = v_p, n - v_p
    if n_n > v_n:
        n_p, n_n = n - v_n, v_n
    return n_p, n_n


def household_allocation(counts: dict[str, int], policy: SamplePolicy) -> dict[str, tuple[int, int]]:
    """Per household stratum of one selected village: (allocated n_vs, reserves r_vs)."""
    t = policy.households_per_village
    t_reg = rhu(t * policy.registered_share)
    targets = {"general": t - t_reg}
    n_e, n_p = counts.get("exited", 0), counts.get("poor", 0)
    if n_e + n_p == 0:
        targets.update(exited=0, poor=0)
    else:
        quota = {"exited": Fraction(t_reg * n_e, n_e + n_p), "poor": Fraction(t_reg * n_p, n_e + n_p)}
        seats = {s: math.floor(q) for s, q in quota.items()}
        left = t_reg - sum(seats.values())
        # Largest remainder; a tie goes to exited (listed first).
        for s in sorted(quota, key=lambda s: (-(quota[s] - seats[s]), HOUSEHOLD_STRATA.index(s)))[:left]:
            seats[s] += 1
        targets.update(seats)
    out = {}
    for s in HOUSEHOLD_STRATA:
        size = counts.get(s, 0)
        n = min(size, targets[s])
        out[s] = (n, min(size - n, math.ceil(n * policy.reserve_share)))
    return out


# --- C.2 draw ---------------------------------------------------------------------------------

def stream_keys(seed_words: list[int], count: int) -> np.ndarray:
    """``PCG64(SeedSequence(words)).random_raw(count)``: integer algorithms only."""
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.random.PCG64(np.random.SeedSequence(seed_words)).random_raw(count)


def ranks(keys: np.ndarray) -> np.ndarray:
    """1-based rank of each unit by (key, frame position)."""
    order = np.lexsort((np.arange(len(keys)), keys))
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = np.arange(1, len(keys) + 1)
    return out


@dataclass
class Sample:
    strata: pl.DataFrame
    cells: pl.DataFrame
    households: pl.DataFrame


def draw(frame: Frame, *, seed: int, year: int, region: str, purpose: str, policy: SamplePolicy) -> Sample:
    """The seeded two-stage draw (C.2). ``frame.households`` may carry head_name, hamlet,
    population and exit_year for the households sheet."""
    if frame.households.height == 0:
        raise nothing_to_sample(region, year)
    sample_id = f"{region}-{year}-{seed}"
    v = frame.villages
    by_stratum = {h: v.filter(pl.col("village_stratum") == h) for h in VILLAGE_STRATA}
    n_p, n_n = village_allocation(by_stratum["P"].height, by_stratum["N"].height, policy)
    wanted = {"P": n_p, "N": n_n}
    strata_rows, chosen = [], []
    for h_index, h in enumerate(VILLAGE_STRATA):
        villages = by_stratum[h]
        r = ranks(stream_keys([seed, 1, h_index], villages.height))
        picked = villages.with_columns(village_rank=pl.Series(r)).filter(pl.col("village_rank") <= wanted[h])
        chosen.append(picked)
        strata_rows.append({"sample_id": sample_id, "seed": str(seed), "year": year, "region": region,
                            "purpose": purpose, "frame_digest": frame.digest, "village_stratum": h,
                            "villages_in_stratum": villages.height, "villages_selected": wanted[h]})
    selected = pl.concat(chosen).sort("village_code")
    hh = frame.households.join(selected.select("village_code"), on="village_code", how="semi")
    cell_rows, picks = [], []
    groups = hh.partition_by("village_code", "household_stratum", as_dict=True, maintain_order=True)
    counts = hh.group_by("village_code", "household_stratum").len()
    count_of = {(r[0], r[1]): r[2] for r in counts.iter_rows()}
    for village in selected.iter_rows(named=True):
        code = village["village_code"]
        alloc = household_allocation({s: count_of.get((code, s), 0) for s in HOUSEHOLD_STRATA}, policy)
        for s_index, s in enumerate(HOUSEHOLD_STRATA):
            size = count_of.get((code, s), 0)
            n, r = alloc[s]
            cell_rows.append({"village_code": code, "village_name": village.get("village_name"),
                              "village_rank": village["village_rank"], "household_stratum": s,
                              "frame_households": size, "allocated": n, "reserves": r,
                              "village_stratum": village["village_stratum"]})
            if size == 0 or n + r == 0:
                continue
            cell = groups[(code, s)]
            rank = ranks(stream_keys([seed, 2, int(code), s_index], size))
            cell = cell.with_columns(household_rank=pl.Series(rank)).filter(pl.col("household_rank") <= n + r)
            picks.append(cell.with_columns(role=pl.when(pl.col("household_rank") <= n).then(pl.lit("primary"))
                                           .otherwise(pl.lit("reserve"))).sort("household_rank"))
    cells = pl.DataFrame(cell_rows, schema={"village_code": pl.String, "village_name": pl.String,
                                            "village_rank": pl.Int64, "household_stratum": pl.String,
                                            "frame_households": pl.Int64, "allocated": pl.Int64,
                                            "reserves": pl.Int64, "village_stratum": pl.String})
    household_cols = ["village_code", "household_stratum", "household_id", "head_name", "hamlet", "household_rank",
                      "role", "population", "exit_year"]
    if picks:
        households = pl.concat(picks, how="diagonal_relaxed")
    else:
        households = pl.DataFrame(schema={"village_code": pl.String, "household_stratum": pl.String,
                                          "household_id": pl.String, "household_rank": pl.Int64, "role": pl.String})
    households = households.with_columns(
        [pl.lit(None).alias(c) for c in household_cols if c not in households.columns])
    return Sample(pl.DataFrame(strata_rows), cells.select(
        "village_code", "village_name", "village_rank", "household_stratum", "frame_households", "allocated",
        "reserves", "village_stratum"), households.select(household_cols))


# --- C.4 estimators ---------------------------------------------------------------------------

def z_value(level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def wilson(rate: float, n: float, z: float) -> tuple[float, float]:
    """Wilson interval; low exactly 0 at rate 0, high exactly 1 at rate 1."""
    if n <= 0:
        return (math.nan, math.nan)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (rate + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n))
    low = 0.0 if rate == 0 else max(0.0, centre - half)
    high = 1.0 if rate == 1 else min(1.0, centre + half)
    return low, high


def yx_columns() -> dict[str, tuple[pl.Expr, pl.Expr]]:
    """(y, x) per indicator on completed households (C.4 table; 0 outside the set)."""
    s = pl.col("household_stratum")
    people = pl.col("people").cast(pl.Int64)
    registered = s.is_in(["exited", "poor"])
    wrong_exit = (s == "exited") & pl.col("wrong_exit").is_not_null()
    answered = pl.col("approval").is_not_null()
    return {
        "wrong_exit": (pl.when(wrong_exit & pl.col("wrong_exit")).then(people).otherwise(0),
                       pl.when(wrong_exit).then(people).otherwise(0)),
        "missed": (pl.when(s == "general").then(pl.when(pl.col("missed").fill_null(False)).then(people).otherwise(0))
                   .otherwise(pl.when(registered).then(pl.col("missed_members").fill_null(0)).otherwise(0)),
                   pl.when(s == "general").then(pl.when(pl.col("missed").is_not_null()).then(people).otherwise(0))
                   .otherwise(pl.when(registered).then(pl.col("unregistered_members").fill_null(0)).otherwise(0))),
        "approval": (pl.when(answered & pl.col("approval")).then(1).otherwise(0),
                     pl.when(answered).then(1).otherwise(0)),
    }


@dataclass
class Estimate:
    indicator: str
    sample_numerator: int
    sample_denominator: int
    sample_rate: float | None
    estimate: float | None
    exact_sample: Fraction | None
    exact_estimate: Fraction | None
    se: float | None
    deff: float | None
    n_eff: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class Weighted:
    """Completed households with their weights and the sample's coverage."""

    households: pl.DataFrame        # completed, with village_stratum, weight (float), _w (Fraction) per cell
    cell_weights: dict[tuple[str, str], Fraction]
    whole: dict[str, bool]          # village stratum taken whole
    villages_responding: int
    uncovered_households: int


def weigh(cells: pl.DataFrame, strata: pl.DataFrame, completed: pl.DataFrame) -> Weighted:
    """w = (V_h / n′_h) × (N_vs / m_vs) over completed households (columns village_code,
    household_stratum, …); cells and strata as the draw wrote them."""
    village_stratum = dict(cells.select("village_code", "village_stratum").unique().iter_rows())
    completed = completed.with_columns(pl.col("village_code", "household_stratum").cast(pl.String)).with_columns(
        village_stratum=pl.col("village_code").replace_strict(village_stratum, default=None, return_dtype=pl.String))
    m = {(r[0], r[1]): r[2] for r in completed.group_by("village_code", "household_stratum").len().iter_rows()}
    responding: dict[str, set[str]] = {h: set() for h in VILLAGE_STRATA}
    for (code, _s) in m:
        responding[village_stratum[code]].add(code)
    info = {r["village_stratum"]: r for r in strata.iter_rows(named=True)}
    weights: dict[tuple[str, str], Fraction] = {}
    uncovered = 0
    for row in cells.iter_rows(named=True):
        key = (row["village_code"], row["household_stratum"])
        h = row["village_stratum"]
        big_n, small_m = row["frame_households"], m.get(key, 0)
        n_resp = len(responding[h])
        if big_n > 0 and (small_m == 0 or n_resp == 0):
            uncovered += big_n
            continue
        if small_m:
            weights[key] = Fraction(info[h]["villages_in_stratum"], n_resp) * Fraction(big_n, small_m)
    w = pl.DataFrame({"village_code": [k[0] for k in weights], "household_stratum": [k[1] for k in weights],
                      "weight": [float(v) for v in weights.values()]},
                     schema={"village_code": pl.String, "household_stratum": pl.String, "weight": pl.Float64})
    completed = completed.join(w, on=["village_code", "household_stratum"], how="left")
    whole = {h: info[h]["villages_selected"] >= info[h]["villages_in_stratum"] for h in info}
    return Weighted(completed, weights, whole, sum(len(v) for v in responding.values()), uncovered)


def estimate(weighted: Weighted, indicator: str, z: float) -> Estimate:
    """R̂, the sample rate, linearised variance, deff, n_eff and the Wilson interval (C.4)."""
    y_expr, x_expr = yx_columns()[indicator]
    frame = weighted.households.with_columns(_y=y_expr.cast(pl.Int64), _x=x_expr.cast(pl.Int64))
    sums = frame.group_by("village_code", "household_stratum").agg(pl.col("_y").sum(), pl.col("_x").sum())
    num_y = num_x = 0
    wy = wx = Fraction(0)
    for code, s, y, x in sums.iter_rows():
        num_y += y
        num_x += x
        w = weighted.cell_weights[(code, s)]
        wy += w * y
        wx += w * x
    sample = Fraction(num_y, num_x) if num_x else None
    if wx == 0:
        return Estimate(indicator, num_y, num_x, None if sample is None else float(sample), None, sample, None,
                        None, None, None, None, None)
    r_exact = wy / wx
    r = float(r_exact)
    wx_f = float(wx)
    u = frame.with_columns(_u=pl.col("weight") * (pl.col("_y") - r * pl.col("_x")) / wx_f)
    variance = 0.0
    for h in VILLAGE_STRATA:
        part = u.filter(pl.col("village_stratum") == h)
        if part.height == 0:
            continue
        if weighted.whole.get(h):
            psu = part.select("village_code", "household_stratum", pl.col("household_id").alias("_psu"), "_u")
            groups = ["village_code", "household_stratum"]
        else:
            psu = part.group_by("village_code", maintain_order=True).agg(pl.col("_u").sum()).with_columns(
                _g=pl.lit(0))
            groups = ["_g"]
        variance += _stratum_variance(psu, groups)
    se = math.sqrt(variance)
    binomial = r * (1 - r)
    deff = variance / (binomial / num_x) if binomial > 0 else None
    n_eff = float(num_x) if variance == 0 or r in (0.0, 1.0) else min(float(num_x), binomial / variance)
    low, high = wilson(r, n_eff, z)
    return Estimate(indicator, num_y, num_x, None if sample is None else float(sample), r, sample, r_exact,
                    se, deff, n_eff, low, high)


def _stratum_variance(psu: pl.DataFrame, groups: list[str]) -> float:
    """Σ over variance strata of n/(n−1) Σ (U − Ū)², or U² for a lonely PSU."""
    stats = psu.group_by(groups).agg(
        n=pl.len(), ss=((pl.col("_u") - pl.col("_u").mean()) ** 2).sum(), sq=(pl.col("_u") ** 2).sum())
    total = 0.0
    for row in stats.iter_rows(named=True):
        n = row["n"]
        total += row["sq"] if n == 1 else n / (n - 1) * row["ss"]
    return total


def composite_incidence(rate_wrong_exit: Fraction | None, rate_missed: Fraction | None, *,
                        remaining_poor_people: int, exited_people: int, registered_people: int,
                        registered_rural_population: int | None) -> Fraction | None:
    """(remaining + r_we × exited_people + r_missed × (population − registered_people)) / population."""
    pop = registered_rural_population
    if pop is None or pop <= 0 or pop < registered_people or rate_wrong_exit is None or rate_missed is None:
        return None
    return (remaining_poor_people + rate_wrong_exit * exited_people
            + rate_missed * (pop - registered_people)) / Fraction(pop)


def decide(indicator: str, rate: float | None, low: float | None, high: float | None,
           threshold: float) -> tuple[str, str | None, str]:
    """(decision, ci_status, comparison) against the threshold: wrong_exit, missed and composite
    pass strictly below it; approval passes at or above it."""
    at_least = indicator == "approval"
    comparison = ">=" if at_least else "<"
    if rate is None:
        return "no_data", None, comparison
    passed = rate >= threshold if at_least else rate < threshold
    status = None
    if low is not None and high is not None and not math.isnan(low):
        if at_least:
            status = "clear_pass" if low >= threshold else "clear_fail" if high < threshold else "inconclusive"
        else:
            status = "clear_pass" if high < threshold else "clear_fail" if low >= threshold else "inconclusive"
    return ("pass" if passed else "fail"), status, comparison
