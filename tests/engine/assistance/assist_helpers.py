"""Small frames for the assistance rules: a registered household with one labour member by
default; each test states what it changes (spec/assistance.md section 3)."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine.assistance import schema as S
from fupin.engine.assistance.rules import Ledger, evaluate
from fupin.engine.policy import load_policies
from tests.engine.engine_helpers import frame, household, member

YEAR = 2022
REGION = "500101001201"


def hh(hid: str = "H1", **fields) -> dict:
    return household(household_id=hid, year=fields.pop("year", YEAR), region_code=fields.pop("region_code", REGION),
                     registered=fields.pop("registered", True), poverty_status=fields.pop("poverty_status", "已脱贫"),
                     exit_year=2019, **fields)


def person(hid: str = "H1", birth: date = date(1980, 6, 15), sex: str = "男", **fields) -> dict:
    return member(birth=birth, sex=sex, household_id=hid, year=fields.pop("year", YEAR), **fields)


def table(name: str, rows: list[dict]) -> pl.DataFrame:
    target = S.polars_schema(name)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in target}, schema=target)


def measure(hid: str = "H1", subtype: str = "产业奖补", *, start: date | None = date(YEAR, 3, 1), amount=1000.0,
            status: str = "已落实", **fields) -> dict:
    return {"household_id": hid, "subtype": subtype, "start": start, "amount": amount, "status": status,
            "responsible_unit": "县农业农村委", **fields}


def run(households: list[dict], members: list[dict], *, measures=(), dividends=(), placements=(), posts=(),
        labour=(), leads=None, year: int = YEAR, as_of: date | None = None):
    ledger = Ledger(measures=table("measures", list(measures)), dividends=table("dividends", list(dividends)),
                    placements=table("placements", list(placements)), posts=table("posts", list(posts)),
                    labour=table("labour", list(labour)))
    return evaluate(frame("households", households), frame("members", members), ledger, year=year,
                    policy=load_policies(), as_of=as_of, leads=leads)
