"""Small canonical frames for engine tests: every field defaults to a household that meets
the standard, so a test states only what it changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from fupin.engine.idnumber import make_id
from fupin.engine.schema import polars_schema

YEAR = 2024
REGION = "500101001001"  # 重庆市 万州区 …, a village under a real town

HOUSEHOLD_DEFAULTS = dict(
    household_id="H1", year=YEAR, region_code=REGION, registered=False,
    wage_income=20000.0, business_income=0.0, property_income=0.0, transfer_income=0.0,
    business_expense=0.0, food_secure=True, clothing_secure=True, housing_grade="A",
    water_safe=True,
)
MEMBER_DEFAULTS = dict(
    household_id="H1", year=YEAR, name="张三", relationship="户主", health="健康",
    labour="普通劳动力", medical_insurance="城乡居民", school_status="非在校生",
)

_seq = iter(range(10**9))


def member(birth: date = date(1980, 6, 15), sex: str = "男", **fields) -> dict:
    """A member row; the ID number is generated from ``birth`` unless given."""
    row = {**MEMBER_DEFAULTS, **fields}
    if "id_number" not in row:
        n = next(_seq) % 500
        seq = 2 * n + (1 if sex == "男" else 0)
        row["id_number"] = make_id("500101", birth, seq % 1000)
    return row


def household(**fields) -> dict:
    return {**HOUSEHOLD_DEFAULTS, **fields}


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = polars_schema(table, exchange_only=False)
    cols = {name: [r.get(name) for r in rows] for name in schema}
    return pl.DataFrame(cols, schema=schema)


def frames(households: list[dict] | dict | None = None, members: list[dict] | dict | None = None):
    """(households, members) frames; one default household with one default member by default."""
    if households is None:
        households = [household()]
    if isinstance(households, dict):
        households = [households]
    if members is None:
        members = [member(household_id=h["household_id"], year=h["year"]) for h in households]
    if isinstance(members, dict):
        members = [members]
    return frame("households", households), frame("members", members)


CHONGQING = str(Path(__file__).resolve().parents[2] / "src" / "fupin" / "policies" / "chongqing.toml")


def policy(*paths: str):
    from fupin.engine.policy import load_policies

    return load_policies(list(paths) if paths else [CHONGQING])


def run(households=None, members=None, *, year: int = YEAR, policy_set=None, as_of=None, errors=None):
    """Assess and return the rows as dicts (by household_id order)."""
    from fupin.engine.assess import assess

    h, m = frames(households, members)
    out = assess(h, m, year=year, policy=policy_set or policy(), as_of=as_of, errors=errors)
    return out.sort("household_id").to_dicts()


def one(households=None, members=None, **kw) -> dict:
    rows = run(households, members, **kw)
    assert len(rows) == 1
    return rows[0]
