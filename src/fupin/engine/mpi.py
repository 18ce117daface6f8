"""The multidimensional poverty index (Alkire-Foster M0) over the assessment's indicators.

``spec/supervision-analytics.md`` part D. The deprivations are the verdict columns of the
assessment (rules.md section 1, :data:`fupin.engine.rules.INDICATORS`): ``unmet`` is deprived,
``met`` is not, ``unknown`` per ``--unknown``. No indicator is defined again here; the MPI is
computed from the assessment's output, whatever produced it (a file, the database, a stored run).

Arithmetic is exact: D = lcm of the denominators of the weights and k; the integer score C_i =
Σ W_j g_ij is compared with K = k·D, and every ratio is one float division of two integers.
Decompositions by indicator and by region sum to 100 in exact arithmetic (Σ_j W_j S_j = T).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from fupin import divisions
from fupin.engine.rules import INDICATORS

UNKNOWN_OPTIONS = ("exclude", "not_deprived", "deprived")
LEVEL_DIGITS = {"village": 12, "town": 9, "county": 6}
TOTAL_NAME = "合计"


class MpiError(ValueError):
    """Weights or k that cannot be used; Chinese, then English."""


def exact_fraction(value) -> Fraction:
    """A policy fraction as an exact rational: ``"1/12"``, ``"0.25"``, or a TOML number read
    through its shortest decimal text (0.1 → 1/10)."""
    if isinstance(value, bool):
        raise MpiError(f"不是数值：{value} (not a number)")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise MpiError(f"不是有效的分数：{value} (not a fraction)") from None


def parse_weights(value) -> dict[str, Fraction]:
    """``mpi_weights`` (dimensions → weight and within-dimension shares) → w_j per used
    indicator, in rules.md order."""
    if not isinstance(value, dict) or not value:
        raise MpiError("mpi_weights 应为维度表 (mpi_weights must be a table of dimensions)")
    total = Fraction(0)
    weights: dict[str, Fraction] = {}
    for dim, spec in value.items():
        if not isinstance(spec, dict) or "weight" not in spec or not isinstance(spec.get("indicators"), dict):
            raise MpiError(f"{dim} 应写成 {{ weight = ..., indicators = {{ ... }} }} ({dim} needs weight and indicators)")
        weight = exact_fraction(spec["weight"])
        shares = {k: exact_fraction(v) for k, v in spec["indicators"].items()}
        if weight <= 0 or any(s <= 0 for s in shares.values()):
            raise MpiError("权重须为正数，不用的指标请删除 (weights must be positive; remove an unused indicator)")
        if sum(shares.values()) != 1:
            raise MpiError(f"{dim} 的权重之和应为1 (the shares of {dim} must sum to 1)")
        for key, share in shares.items():
            if key not in INDICATORS:
                raise MpiError(f"未知的指标 {key}；可用：{'、'.join(INDICATORS)} (unknown indicator {key})")
            if key in weights:
                raise MpiError(f"指标 {key} 出现了两次 (indicator {key} appears twice)")
            weights[key] = weight * share
        total += weight
    if total != 1:
        raise MpiError("维度 的权重之和应为1 (the dimension weights must sum to 1)")
    return {k: weights[k] for k in INDICATORS if k in weights}


def parse_k(value) -> Fraction:
    k = exact_fraction(value)
    if not 0 < k <= 1:
        raise MpiError(f"k 应满足 0 < k ≤ 1：{value} (k must be in (0, 1])")
    return k


@dataclass(frozen=True)
class Scale:
    """The common integer unit: D, the integer weights W_j and the cutoff K."""

    denominator: int
    weights: dict[str, int]
    cutoff: int

    @classmethod
    def of(cls, weights: dict[str, Fraction], k: Fraction) -> Scale:
        d = math.lcm(*(w.denominator for w in weights.values()), k.denominator)
        return cls(d, {j: int(w * d) for j, w in weights.items()}, int(k * d))


def weights_text(weights: dict[str, Fraction]) -> str:
    return ";".join(f"{j}:{w}" for j, w in weights.items())


def scored(verdicts: pl.DataFrame | pl.LazyFrame, scale: Scale, *, unknown: str = "exclude") -> pl.LazyFrame:
    """Per household: population, ``excluded`` (error | unknown | null), g_j (0/1, null when
    unused), the score C, ``poor``."""
    if unknown not in UNKNOWN_OPTIONS:
        raise MpiError(f"--unknown 应为 {'、'.join(UNKNOWN_OPTIONS)}：{unknown}")
    v = verdicts.lazy()
    used = list(scale.weights)
    any_unknown = pl.any_horizontal([pl.col(j) == "unknown" for j in used]) if used else pl.lit(False)
    excluded = (pl.when(pl.col("meets_standard") == "error").then(pl.lit("error"))
                .when(pl.lit(unknown == "exclude") & any_unknown).then(pl.lit("unknown")))
    unknown_as = 1 if unknown == "deprived" else 0
    g = {j: (pl.when(pl.col(j) == "unmet").then(1).when(pl.col(j) == "unknown").then(unknown_as).otherwise(0))
         .cast(pl.Int64) for j in used}
    score = pl.sum_horizontal([g[j] * scale.weights[j] for j in used]) if used else pl.lit(0, dtype=pl.Int64)
    return v.with_columns(
        population=pl.col("population").fill_null(0).cast(pl.Int64),
        excluded=excluded,
        **{f"g_{j}": g[j] for j in used},
    ).with_columns(
        score=pl.when(pl.col("excluded").is_null()).then(score.cast(pl.Int64)),
    ).with_columns(poor=pl.when(pl.col("excluded").is_null()).then(pl.col("score") >= scale.cutoff))


def measures(verdicts, regions: pl.DataFrame | None, *, weights: dict[str, Fraction], k: Fraction,
             level: str, region: str | None = None, unknown: str = "exclude") -> pl.DataFrame:
    """A row per region at ``level`` by code, then the ``total`` row (D.3 columns but ``policy``)."""
    if level not in LEVEL_DIGITS:
        raise MpiError(f"level 应为 village、town 或 county：{level}")
    scale = Scale.of(weights, k)
    used = list(scale.weights)
    x = scored(verdicts, scale, unknown=unknown)
    if region:
        x = x.filter(pl.col("region_code").str.starts_with(divisions.scope_prefix(region)))
    x = x.with_columns(code=pl.col("region_code").str.slice(0, LEVEL_DIGITS[level]).str.pad_end(12, "0"))
    inc = pl.col("excluded").is_null()
    poor = inc & pl.col("poor").fill_null(False)
    p = pl.col("population")
    sums = [
        pl.len().cast(pl.Int64).alias("households"),
        inc.sum().cast(pl.Int64).alias("households_included"),
        (pl.col("excluded") == "unknown").sum().cast(pl.Int64).alias("excluded_unknown"),
        (pl.col("excluded") == "error").sum().cast(pl.Int64).alias("excluded_error"),
        p.filter(inc).sum().cast(pl.Int64).alias("people"),
        poor.sum().cast(pl.Int64).alias("poor_households"),
        p.filter(poor).sum().cast(pl.Int64).alias("poor_people"),
        (p * pl.col("score")).filter(poor).sum().cast(pl.Int64).alias("_T"),
        *[(p * pl.col(f"g_{j}")).filter(inc).sum().cast(pl.Int64).alias(f"_S_{j}") for j in used],
        *[(p * pl.col(f"g_{j}")).filter(poor).sum().cast(pl.Int64).alias(f"_P_{j}") for j in used],
    ]
    by_region = x.group_by("code").agg(sums).collect().sort("code")
    total = x.select(sums).collect().with_columns(code=pl.lit(divisions.pad12(region) if region else ""))
    frame = pl.concat([by_region, total.select(by_region.columns)])
    n_all, t_all = total["people"][0], total["_T"][0]
    frame = frame.with_columns(_tot=pl.int_range(pl.len()) == pl.len() - 1)
    return _ratios(frame, scale, used, n_all, t_all, level, regions, k, weights)


def _div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """One float64 division of two exact integers; null when the denominator is 0."""
    return pl.when(den != 0).then(num.cast(pl.Float64) / den.cast(pl.Float64))


def _ratios(frame: pl.DataFrame, scale: Scale, used: list[str], n_all: int, t_all: int, level: str,
            regions, k: Fraction, weights: dict[str, Fraction]) -> pl.DataFrame:
    n, q, t, d = pl.col("people"), pl.col("poor_people"), pl.col("_T"), scale.denominator
    nobody_poor = (q == 0) & (n > 0)
    cols = {
        "H": _div(q, n),
        "A": _div(t, q * d),
        "M0": _div(t, n * d),
    }
    for j in INDICATORS:
        if j in used:
            cols[f"h_{j}"] = _div(pl.col(f"_S_{j}"), n)
            cols[f"ch_{j}"] = _div(pl.col(f"_P_{j}"), n)
            cols[f"contrib_{j}"] = _div(pl.col(f"_P_{j}") * (100 * scale.weights[j]), t)
        else:
            for prefix in ("h", "ch", "contrib"):
                cols[f"{prefix}_{j}"] = pl.lit(None, dtype=pl.Float64)
    cols["people_share"] = _div(n, pl.lit(n_all, dtype=pl.Int64))
    cols["contrib_region"] = _div(t * 100, pl.lit(t_all, dtype=pl.Int64))
    out = frame.with_columns(**cols).with_columns(
        # q = 0 with people: H, M0 and ch_j are 0; A and the contributions stay null (T = 0).
        H=pl.when(nobody_poor).then(0.0).otherwise("H"),
        M0=pl.when(nobody_poor).then(0.0).otherwise("M0"),
        **{f"ch_{j}": pl.when(nobody_poor).then(0.0).otherwise(f"ch_{j}") for j in used},
    )
    names = _names(out["code"].to_list(), regions)
    out = out.with_columns(
        name=pl.when(pl.col("_tot")).then(pl.lit(TOTAL_NAME))
        .otherwise(pl.col("code").replace_strict(names, default=None, return_dtype=pl.String)),
        level=pl.when(pl.col("_tot")).then(pl.lit("total")).otherwise(pl.lit(level)),
        k=pl.lit(str(k)),
        weights=pl.lit(weights_text(weights)),
    )
    return out.select(
        "code", "name", "level", "households", "households_included", "excluded_unknown", "excluded_error",
        "people", "poor_households", "poor_people", "H", "A", "M0", "k",
        *[f"h_{j}" for j in INDICATORS], *[f"ch_{j}" for j in INDICATORS], *[f"contrib_{j}" for j in INDICATORS],
        "people_share", "contrib_region", "weights",
    )


def household_scores(verdicts, *, weights: dict[str, Fraction], k: Fraction, region: str | None = None,
                     unknown: str = "exclude") -> pl.DataFrame:
    """``household_id, region_code, population, score`` (C/D reduced), ``poor``, ``deprived``
    (the indicators counted as deprived, in rules.md order); excluded households have null
    score and poor and the reason in ``excluded``."""
    scale = Scale.of(weights, k)
    x = scored(verdicts, scale, unknown=unknown)
    if region:
        x = x.filter(pl.col("region_code").str.starts_with(divisions.scope_prefix(region)))
    used = list(scale.weights)
    deprived = pl.concat_str([pl.when(pl.col(f"g_{j}") == 1).then(pl.lit(j)) for j in used], separator=";",
                             ignore_nulls=True) if used else pl.lit("")
    x = x.with_columns(deprived=pl.when(pl.col("excluded").is_null()).then(deprived)).collect()
    texts = {c: _fraction_text(Fraction(c, scale.denominator)) for c in x["score"].drop_nulls().unique().to_list()}
    return x.select(
        "household_id", "region_code", "population",
        pl.col("score").replace_strict(texts, default=None, return_dtype=pl.String).alias("score"),
        "poor", "deprived", "excluded",
    ).sort("region_code", "household_id")


def _fraction_text(f: Fraction) -> str:
    return str(f)


def _names(codes: list[str], regions) -> dict[str, str | None]:
    given: dict[str, str] = {}
    if regions is not None and "name" in regions.columns:
        r = regions.select(pl.col("region_code").cast(pl.String).str.pad_end(12, "0"), "name")
        given = {c: n for c, n in r.iter_rows() if n}
    table = divisions.names()
    return {c: given.get(c) or table.get(c) for c in codes}
