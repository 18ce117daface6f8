"""A small hand-made registry in two villages of one town, one more village, and another county.

Households (2020):
* H1 in VILLAGE_A: 不愁吃 = 否, so it does not meet the standard (the browser test fixes it);
* H2 in VILLAGE_A: meets everything, one quality warning (Q18); H3 in VILLAGE_A: 不愁穿 unknown (to verify);
* H4 in VILLAGE_B (same town, another cadre's village);
* X1 in OTHER_COUNTY (another county entirely).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.accounts.models import Role
from fupin.accounts.services import create_user
from fupin.engine import idnumber, schema

YEAR = 2020
TOWN = "500101102"
VILLAGE_A = "500101102201"
VILLAGE_B = "500101102202"
OTHER_COUNTY = "500102001201"
PASSWORD = "Correct-Horse-42"


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
        household("X1", OTHER_COUNTY),
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


@pytest.fixture
def registry(db):
    from fupin.registry.services.imports import import_frames

    return import_frames(*registry_frames(), source="test", source_format="test")


@pytest.fixture
def assessed(registry):
    from fupin.assessments.services import run_assessment

    return run_assessment(YEAR)


def _user(name, role, region):
    return create_user(name, role, region, PASSWORD)


@pytest.fixture
def cadre(db):
    return _user("cadre_a", Role.VILLAGE, VILLAGE_A)


@pytest.fixture
def other_cadre(db):
    return _user("cadre_b", Role.VILLAGE, VILLAGE_B)


@pytest.fixture
def town_user(db):
    return _user("town", Role.TOWN, TOWN + "000")


@pytest.fixture
def county_user(db):
    return _user("county", Role.COUNTY, "500101")


@pytest.fixture
def analyst(db):
    return _user("analyst", Role.ANALYST, "500101")


@pytest.fixture
def cadre_client(client, cadre):
    client.force_login(cadre)
    return client


def login(client, user):
    client.force_login(user)
    return client

