"""Shared test data of the monitoring tests: a small registry in three villages, a fixed clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from fupin.engine import idnumber, schema
from tests.regions import COUNTY, TOWN, VILLAGE_A, VILLAGE_B, VILLAGE_C  # noqa: F401 — A, B in 龙沙镇, C in 响水镇

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2023
NOW = datetime(2024, 3, 4, 9, 0, tzinfo=TZ)  # a Monday


def pid(seq: int) -> str:
    return idnumber.make_id("500101", date(1960 + seq % 40, 1 + seq % 12, 1 + seq % 28), 100 + seq)


def phone(seq: int) -> str:
    return f"1380000{seq:04d}"


def household(hid: str, region: str, **values) -> dict:
    row = {f: None for f in schema.polars_schema("households")}
    row.update(household_id=hid, year=YEAR, region_code=region, registered=True, poverty_status="已脱贫",
               exit_year=2019, wage_income=20000.0, business_income=0.0, property_income=0.0,
               transfer_income=1000.0, business_expense=0.0, hamlet="一组", phone=phone(int(hid[1:])))
    row.update(values)
    return row


def member(hid: str, seq: int, relationship: str = "户主", **values) -> dict:
    row = {f: None for f in schema.polars_schema("members")}
    row.update(household_id=hid, year=YEAR, name=f"成员{seq}", id_number=pid(seq), sex="男" if seq % 2 else "女",
               relationship=relationship, labour="普通劳动力", health="健康")
    row.update(values)
    return row


def build_registry():
    households = [
        household("H1", VILLAGE_A),
        household("H2", VILLAGE_A, registered=False, poverty_status=None, exit_year=None, hamlet="二组"),
        household("H3", VILLAGE_B),
        household("H4", VILLAGE_C),
        household("H5", VILLAGE_A, monitoring_category="脱贫不稳定户", monitoring_since="2023-01", risk_eliminated=False),
        household("H6", VILLAGE_A, monitoring_category="边缘易致贫户", monitoring_since="2024-02", risk_eliminated=False),
        household("H7", VILLAGE_A, poverty_status="未脱贫", exit_year=None),
    ]
    members = [
        member("H1", 1, name="张大山"), member("H1", 2, "配偶", name="李小花", health="患有大病"),
        member("H2", 3, name="王二"),
        member("H3", 4, name="赵四"),
        member("H4", 5, name="钱五"),
        member("H5", 6, name="孙六", labour="丧失劳动力"), member("H5", 7, "配偶", name="周七", labour="无劳动力"),
        member("H6", 8, name="吴八"),
        member("H7", 9, name="郑九"),
    ]
    return (pl.DataFrame(households, schema=schema.polars_schema("households")),
            pl.DataFrame(members, schema=schema.polars_schema("members")),
            schema.empty_frame("regions"))

