"""Where the synthetic households live: real towns from the division table, synthetic villages.

Villages are not published nationally, so they are made up as the exchange format allows: a
12-digit code whose first 9 digits are a real town and whose last 3 are ``2NN`` (the range the
statistical code gives to village committees), with a plausible village name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fupin import divisions
from fupin.engine.schema import ETHNICITIES, ZONES
from fupin.synth import calibration as cal

DEFAULT_REGION = "500101"  # 万州区, 重庆

# The three-belt classification used by the poverty-exit rules (东/中/西部, as in the 2016 exit
# mechanism and the western-development programme): Guangxi and Inner Mongolia are west,
# Liaoning east, Jilin and Heilongjiang central.
_ZONE_PROVINCES = {
    "东部": ("11", "12", "13", "21", "31", "32", "33", "35", "37", "44", "46"),
    "中部": ("14", "22", "23", "34", "36", "41", "42", "43"),
    "西部": ("15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"),
}
ZONE_OF_PROVINCE = {p: zone for zone, provinces in _ZONE_PROVINCES.items() for p in provinces}
assert set(_ZONE_PROVINCES) == set(ZONES)

# Chongqing's 18 poverty counties (14 national + 4 municipal key counties) and the year their
# exit was approved. 万州 黔江 武隆 丰都 秀山 (2017), 奉节 石柱 (2019) and 城口 巫溪 酉阳 彭水
# (2020) are from spec/policy-sources.md. The municipal four (涪陵 潼南 南川 忠县) and the
# years of 涪陵 潼南 (2017), 南川 忠县 (2018), 开州 云阳 巫山 (2019) are from news reports and
# not confirmed against an official text.
CHONGQING_POVERTY_COUNTIES = {
    "万州区": 2017, "黔江区": 2017, "武隆区": 2017, "丰都县": 2017, "秀山土家族苗族自治县": 2017,
    "涪陵区": 2017, "潼南区": 2017,
    "南川区": 2018, "忠县": 2018,
    "开州区": 2019, "云阳县": 2019, "巫山县": 2019, "奉节县": 2019, "石柱土家族自治县": 2019,
    "城口县": 2020, "巫溪县": 2020, "酉阳土家族苗族自治县": 2020, "彭水苗族土家族自治县": 2020,
}
CHONGQING = "50"

# Syllables of village names (two of them + 村); 25 × 17 names, distinct within a town.
_NAME_FIRST = "石龙新双红黄白青大小高长回凤金玉桂花柏梨桥坪杨桃云"
_NAME_SECOND = "桥坪湾坝岭山河林沟田口溪塘堡垭园池"
_NAME_STRIDE = 37  # coprime with 25 × 17, so that the names of one town never repeat

# Minorities for towns whose names name none (the largest groups of the south-west first).
_OTHER_MINORITIES = ("土家族", "苗族", "回族", "壮族", "彝族", "满族")


class RegionError(ValueError):
    """The region given to the generator is not in the division table."""


def resolve_scope(region: str | None) -> str:
    """A division-code prefix (2, 4, 6 or 9 digits) for ``region`` (prefix or 12-digit code)."""
    code = DEFAULT_REGION if region is None else str(region).strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise RegionError(
            f"区划代码“{region}”格式不对：应为2、4、6、9位前缀或12位代码 / "
            f"region “{region}” must be a 2, 4, 6 or 9-digit prefix or a 12-digit code"
        )
    prefix = divisions.scope_prefix(code)
    if len(prefix) == 12:
        prefix = prefix[:9]  # a village: its town
    if not towns_under(prefix).height:
        raise RegionError(
            f"区划代码“{region}”下没有乡镇：请检查代码是否为现行区划 / "
            f"no town under region “{region}”: check that it is a current division code"
        )
    return prefix


def towns_under(prefix: str) -> pl.DataFrame:
    table = divisions.table()
    return table.filter(pl.col("level") == "town", pl.col("code").str.starts_with(prefix)).sort("code")


@dataclass
class Villages:
    """The synthetic villages, one entry per village, in code order."""

    code: np.ndarray          # 12-digit strings (object)
    name: np.ndarray          # village names (object)
    town: np.ndarray          # index into ``towns``
    towns: pl.DataFrame       # code, name, county_code, county_name, ethnic columns
    counts: np.ndarray        # households per village
    groups: np.ndarray        # number of 组 (hamlets) per village


def make_villages(prefix: str, households: int, rng: np.random.Generator) -> Villages:
    towns = towns_under(prefix)
    names = divisions.names()
    n_towns = towns.height
    subdistrict = towns["name"].str.ends_with("街道").to_numpy()
    lo = np.where(subdistrict, cal.VILLAGES_PER_SUBDISTRICT[0], cal.VILLAGES_PER_TOWN[0])
    hi = np.where(subdistrict, cal.VILLAGES_PER_SUBDISTRICT[1], cal.VILLAGES_PER_TOWN[1])
    per_town = rng.integers(lo, hi + 1)
    # Few households: use a random subset of towns so that villages are not nearly empty.
    wanted = max(1, households // cal.MIN_HOUSEHOLDS_PER_VILLAGE)
    order = rng.permutation(n_towns)
    cumulative = np.cumsum(per_town[order])
    n_used = int(np.searchsorted(cumulative, wanted) + 1)
    used = np.sort(order[: min(n_used, n_towns)])
    per_town = per_town[used]
    towns = towns[used]

    town_idx = np.repeat(np.arange(len(used)), per_town)
    starts = np.cumsum(per_town) - per_town
    ordinal = np.arange(len(town_idx)) - np.repeat(starts, per_town)  # 0-based within town
    town_codes = towns["code"].to_numpy()
    codes = np.char.add(
        np.char.add(town_codes.astype("U12")[town_idx].astype("U9"), "2"),
        np.char.zfill((ordinal + 1).astype("U2"), 2),
    ).astype(object)
    offsets = rng.integers(0, len(_NAME_FIRST) * len(_NAME_SECOND), size=len(used))
    name_no = (offsets[town_idx] + ordinal * _NAME_STRIDE) % (len(_NAME_FIRST) * len(_NAME_SECOND))
    first = np.array(list(_NAME_FIRST), dtype=object)[name_no // len(_NAME_SECOND)]
    second = np.array(list(_NAME_SECOND), dtype=object)[name_no % len(_NAME_SECOND)]
    village_names = first + second + "村"

    weights = rng.lognormal(0.0, 0.5, size=len(town_idx))
    counts = rng.multinomial(households, weights / weights.sum())
    keep = counts > 0
    groups = rng.integers(3, 13, size=len(town_idx))

    county_codes = [c[:6] + "000000" for c in town_codes]
    towns = towns.select("code", "name").with_columns(
        county_code=pl.Series(county_codes, dtype=pl.String),
        county_name=pl.Series([names.get(c, "") for c in county_codes], dtype=pl.String),
    )
    towns = towns.with_columns(_ethnic_columns(towns))
    return Villages(
        code=codes[keep], name=village_names[keep], town=town_idx[keep], towns=towns,
        counts=counts[keep], groups=groups[keep],
    )


def _ethnic_columns(towns: pl.DataFrame) -> list[pl.Expr]:
    """Dominant ethnic groups of each town from its own and its county's name.

    A town or county named after a group (恒合土家族乡, 秀山土家族苗族自治县) gets that group as
    the majority; ``eth1``/``eth2`` are indices into ``ETHNICITIES`` and ``p1``/``p2`` shares.
    """
    minorities = sorted(ETHNICITIES[1:], key=len, reverse=True)
    pattern = "|".join(minorities)
    index = {e: i for i, e in enumerate(ETHNICITIES)}
    town_hits = pl.col("name").str.extract_all(pattern)
    county_hits = pl.col("county_name").str.extract_all(pattern)
    hits = pl.when(town_hits.list.len() > 0).then(town_hits).otherwise(county_hits)
    in_town = town_hits.list.len() > 0
    in_county = county_hits.list.len() > 0
    return [
        hits.list.get(0, null_on_oob=True).replace_strict(index, default=0, return_dtype=pl.Int32)
        .alias("eth1"),
        hits.list.get(1, null_on_oob=True).replace_strict(index, default=0, return_dtype=pl.Int32)
        .alias("eth2"),
        pl.when(in_town).then(0.55).when(in_county).then(0.45).otherwise(0.0).alias("p1"),
        pl.when((in_town | in_county) & (hits.list.len() > 1)).then(0.2).otherwise(0.0).alias("p2"),
    ]


def other_minorities() -> np.ndarray:
    return np.array([ETHNICITIES.index(e) for e in _OTHER_MINORITIES])


def zone_of(code: str) -> str | None:
    return ZONE_OF_PROVINCE.get(code[:2])


def poverty_counties(county_codes: list[str]) -> tuple[list[bool | None], list[int | None]]:
    """``poverty_county`` and ``county_exit_year`` for counties; unknown outside Chongqing."""
    names = divisions.names()
    flags: list[bool | None] = []
    years: list[int | None] = []
    for code in county_codes:
        if code.startswith(CHONGQING):
            year = CHONGQING_POVERTY_COUNTIES.get(names.get(code, ""))
            flags.append(year is not None)
            years.append(year)
        else:
            flags.append(None)
            years.append(None)
    return flags, years
