"""The web tests' hand-made registry (two villages of one town, another county) and helpers.

Households (2020):
* H1 in VILLAGE_A: 不愁吃 = 否, so it does not meet the standard (the browser test fixes it);
* H2 in VILLAGE_A: meets everything, one quality warning (Q18); H3 in VILLAGE_A: 不愁穿 unknown (to verify);
* H4 in VILLAGE_B (same town, another cadre's village);
* X1 in OTHER_COUNTY_VILLAGE (a village of another county entirely).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import idnumber, schema
from tests.regions import OTHER_COUNTY_VILLAGE, VILLAGE_A, VILLAGE_B

YEAR = 2020


def household(hid: str, region: str, **values) -> dict:
    row = {f: None for f in schema.polars_schema("households")}
    row.update(
        household_id=hid, year=YEAR, region_code=region, registered=True, poverty_status="已脱贫", exit_year=2018,
        wage_income=20000.0, business_income=0.0, property_income=0.0, transfer_income=1000.0,
        business_expense=0.0, food_secure=True, clothing_secure=True, housing_grade="A", water_safe=True,
        phone="13812345678",
    )
    row.update(values)
    return row


def member(hid: str, seq: int, name: str, relationship: str = "户主", **values) -> dict:
    row = {f: None for f in schema.polars_schema("members")}
    row.update(household_id=hid, year=YEAR, name=name,
               id_number=idnumber.make_id("500101", date(1970, 1, 1 + seq % 28), 2 * seq + 1),
               sex="男", relationship=relationship, medical_insurance="城乡居民", work_location="县外省内务工",
               work_months=10, labour="普通劳动力", health="健康")
    row.update(values)
    return row


def registry_frames():
    households = [
        household("H1", VILLAGE_A, food_secure=False),
        household("H2", VILLAGE_A, business_income=500.0),  # Q18 warning: no business expense
        household("H3", VILLAGE_A, clothing_secure=None),
        household("H4", VILLAGE_B),
        household("X1", OTHER_COUNTY_VILLAGE),
    ]
    members = [
        member("H1", 1, "张一"), member("H1", 2, "李二", "配偶", sex="女", id_number=idnumber.make_id(
            "500101", date(1972, 3, 4), 4)),
        member("H2", 3, "王三"), member("H3", 5, "赵五"), member("H4", 7, "钱七"), member("X1", 9, "孙九"),
    ]
    return (
        pl.DataFrame(households, schema=schema.polars_schema("households")),
        pl.DataFrame(members, schema=schema.polars_schema("members")),
        schema.empty_frame("regions"),
    )


def login(client, user):
    client.force_login(user)
    return client
