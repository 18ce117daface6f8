"""Resolve 县 / 乡(镇) / 行政村 names to division codes (flat national exports without codes).

Work is done on the distinct (county, town) name pairs — a few thousand at most — by joins
against the official table; villages new to the project get ``town[:9] + 2NN``.
"""

from __future__ import annotations

import polars as pl

from fupin import divisions
from fupin.io.parse import normalize_code_expr

_SUFFIX = r"(街道办事处|街道|镇|乡|区|县|市|自治县)$"
MAX_CANDIDATES = 8


def _norm(e: pl.Expr) -> pl.Expr:
    return normalize_code_expr(e)


def _loose(e: pl.Expr) -> pl.Expr:
    return _norm(e).str.replace(_SUFFIX, "")


def _towns(province: str) -> pl.DataFrame:
    t = divisions.table()
    counties = t.filter(pl.col("level") == "county").select(
        county_code="code", county="name")
    towns = t.filter((pl.col("level") == "town") & pl.col("code").str.starts_with(province))
    return towns.select(town_code="code", town="name", county_code=pl.col("code").str.slice(0, 6) + "000000").join(
        counties, on="county_code", how="left"
    ).with_columns(
        _t=_norm(pl.col("town")), _tl=_loose(pl.col("town")),
        _c=_norm(pl.col("county")), _cl=_loose(pl.col("county")),
    )


def resolve_towns(pairs: pl.DataFrame, province: str) -> pl.DataFrame:
    """pairs: county_name, town_name (distinct). Returns them with town_code or error_zh/en."""
    towns = _towns(province)
    p = pairs.with_columns(
        _t=_norm(pl.col("town_name")), _tl=_loose(pl.col("town_name")),
        _c=_norm(pl.col("county_name")), _cl=_loose(pl.col("county_name")),
    ).with_row_index("_pair")
    exact = p.join(towns.select("town_code", "town", "county", "_t", "_c", "_cl"), on="_t", how="left", suffix="_o")
    # Names may come with or without their suffix (万州 / 万州区); compare the loose forms too.
    loose = p.join(towns.select("town_code", "town", "county", "_tl", "_c", "_cl"), on="_tl", how="left", suffix="_o")
    county_ok = lambda d: pl.col("_c").is_null() | (pl.col("_c_o") == pl.col("_c")) | (pl.col("_cl_o") == pl.col("_cl"))  # noqa: E731
    found = pl.concat([
        exact.filter(pl.col("town_code").is_not_null() & county_ok(exact)).with_columns(_rank=pl.lit(0)),
        loose.filter(pl.col("town_code").is_not_null() & county_ok(loose)).with_columns(_rank=pl.lit(1)),
    ], how="diagonal_relaxed")
    best = found.filter(pl.col("_rank") == pl.col("_rank").min().over("_pair"))
    agg = best.group_by("_pair").agg(
        pl.col("town_code").unique().sort().alias("_codes"),
        pl.format("{}{}（{}）", pl.col("county"), pl.col("town"), pl.col("town_code")).unique().sort().alias("_labels"),
    )
    out = p.join(agg, on="_pair", how="left").with_columns(_n=pl.col("_codes").list.len().fill_null(0))
    # Candidates for an unknown town: towns of the named county sharing its first character.
    hints = out.filter(pl.col("_n") == 0).join(
        towns.select("town", "county", "_c", "_cl", _first=pl.col("_t").str.slice(0, 1)),
        left_on=[pl.col("_cl"), pl.col("_t").str.slice(0, 1)], right_on=["_cl", "_first"], how="inner",
    ).group_by("_pair").agg(pl.format("{}{}", pl.col("county"), pl.col("town")).head(MAX_CANDIDATES).alias("_hints"))
    out = out.join(hints, on="_pair", how="left")
    place = pl.format("{}{}", pl.col("county_name").fill_null(""), pl.col("town_name").fill_null(""))
    hint_zh = pl.when(pl.col("_hints").list.len() > 0).then(
        pl.format("；相近的有：{}", pl.col("_hints").list.join("、"))).otherwise(pl.lit(""))
    return out.select(
        "county_name", "town_name",
        town_code=pl.when(pl.col("_n") == 1).then(pl.col("_codes").list.first()),
        error_zh=pl.when(pl.col("town_name").is_null()).then(pl.lit("未填乡(镇)名称，也没有区划代码，无法确定所在地"))
        .when(pl.col("_n") == 0).then(pl.format("在省级区划 {} 内找不到乡(镇)“{}”{}，请核对名称或填写区划代码", pl.lit(province), place, hint_zh))
        .when(pl.col("_n") > 1).then(pl.format("乡(镇)“{}”对应多个区划，无法确定：{}；请填写区县名称或区划代码", place, pl.col("_labels").list.join("、"))),
        error_en=pl.when(pl.col("town_name").is_null()).then(pl.lit("no town name and no region code: location unknown"))
        .when(pl.col("_n") == 0).then(pl.format("town '{}' not found in province {}{}", place, pl.lit(province),
                                                 pl.when(pl.col("_hints").list.len() > 0).then(pl.format("; similar: {}", pl.col("_hints").list.join(", "))).otherwise(pl.lit(""))))
        .when(pl.col("_n") > 1).then(pl.format("town '{}' is ambiguous: {}; give the county or the region code", place, pl.col("_labels").list.join(", "))),
    )


def assign_villages(pairs: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """pairs: town_code, village_name (distinct). known: region_code, name of villages already
    named (regions table). Returns town_code, village_name, region_code."""
    known = known.filter(pl.col("name").is_not_null() & (pl.col("region_code").str.slice(9, 3) != "000")).select(
        town_code=pl.col("region_code").str.slice(0, 9) + "000", _v=_norm(pl.col("name")), region_code="region_code",
    ).unique(["town_code", "_v"], keep="first")
    p = pairs.with_columns(_v=_norm(pl.col("village_name"))).join(known, on=["town_code", "_v"], how="left")
    taken = known.filter(pl.col("region_code").str.slice(9, 1) == "2").group_by("town_code").agg(
        pl.col("region_code").str.slice(10, 2).cast(pl.Int32).max().alias("_max"))
    new = p.filter(pl.col("region_code").is_null()).unique(["town_code", "_v"]).sort("town_code", "_v").join(
        taken, on="town_code", how="left"
    ).with_columns(
        _n=pl.col("_max").fill_null(0) + pl.int_range(1, pl.len() + 1).over("town_code")
    ).select("town_code", "_v", _new=pl.col("town_code").str.slice(0, 9) + "2" + pl.col("_n").cast(pl.String).str.pad_start(2, "0"))
    return p.join(new, on=["town_code", "_v"], how="left").select(
        "town_code", "village_name", region_code=pl.coalesce("region_code", "_new"),
    )
