"""A small stored registry and assistance workbooks for the database-half tests.

Households: H1, H2 in VILLAGE_A (龙沙镇), H3 in VILLAGE_C (响水镇), both 万州区; HX in another
county (涪陵区). Each has one labour member; H1 has a second member.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from fupin.engine.assistance import schema as S
from fupin.io.assistance import write_workbook
from fupin.registry.services.imports import import_frames
from tests.engine.engine_helpers import frame, household, member
from tests.regions import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_C
from tests.scopes import EVERYWHERE

YEAR = 2022
REGIONS = {"H1": VILLAGE_A, "H2": VILLAGE_A, "H3": VILLAGE_C, "HX": OTHER_COUNTY_VILLAGE}


def store_registry(year: int = YEAR, **changes: dict) -> dict[str, list[str]]:
    """Store the four households of ``year`` (``changes``: household id -> fields); returns the
    members' ID numbers per household."""
    households, members, ids = [], [], {}
    for hid, region in REGIONS.items():
        households.append(household(household_id=hid, year=year, region_code=region, registered=True,
                                    poverty_status="已脱贫", exit_year=2019, **changes.get(hid, {})))
        people = [member(household_id=hid, year=year, birth=date(1980, 6, 15))]
        if hid == "H1":
            people.append(member(household_id=hid, year=year, birth=date(1985, 2, 1), sex="女", name="李四",
                                 relationship="配偶"))
        members += people
        ids[hid] = [p["id_number"] for p in people]
    import_frames(frame("households", households), frame("members", members), pl.DataFrame(),
                  scope=EVERYWHERE, source="test", source_format="xlsx")
    return ids


def rows(table: str, items: list[dict]) -> pl.DataFrame:
    target = S.polars_schema(table)
    return pl.DataFrame({c: [r.get(c) for r in items] for c in target}, schema=target)


def measure(hid: str = "H1", subtype: str = "产业奖补", *, start: date | None = date(YEAR, 3, 1), amount=1000.0,
            status: str = "已落实", **fields) -> dict:
    return {"household_id": hid, "subtype": subtype, "start": start, "amount": amount, "status": status,
            "responsible_unit": "县农业农村委", **fields}


def project(pid: str = "P1", **fields) -> dict:
    return {"project_id": pid, "name": "光伏电站", "kind": "光伏", "start": date(2019, 1, 1), **fields}


def dividend(hid: str = "H1", pid: str = "P1", amount: float = 300.0, **fields) -> dict:
    return {"project_id": pid, "household_id": hid, "year": YEAR, "amount": amount,
            "paid_on": date(YEAR, 6, 30), **fields}


def workbook(path: Path, *, measures=(), projects=(), dividends=()) -> Path:
    frames = {}
    if projects:
        frames["income_projects"] = rows("income_projects", list(projects))
    if measures:
        frames["measures"] = rows("measures", list(measures))
    if dividends:
        frames["dividends"] = rows("dividends", list(dividends))
    return write_workbook(path, frames)
