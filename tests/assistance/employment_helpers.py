"""A stored registry and posts for the employment pages, API and use-case tests (issue 13 item 2).

Households of 2022 (registered): H1 (张三 head, 李四 his wife, 弱劳动力) and H2 (王五, 死亡) in
VILLAGE_A (龙沙镇); H3 (赵六) in VILLAGE_C (响水镇, another town of the county); HX (孙七) in
another county.

Posts: the county 万州区 lists G1 (公益性岗位 保洁员, 1 place) and G2 (公益性岗位 护林员, 2 places)
at VILLAGE_A and F1 (企业岗位 省外, 10 places); the town 响水镇 lists T3 (帮扶车间 at VILLAGE_C).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application import employment_db
from fupin.registry.services.imports import import_frames
from tests.engine.engine_helpers import frame, household, member
from tests.regions import COUNTY, OTHER_COUNTY_VILLAGE, OTHER_TOWN, VILLAGE_A, VILLAGE_C
from tests.scopes import EVERYWHERE

YEAR = 2022
AS_OF = date(YEAR, 12, 31)
REGIONS = {"H1": VILLAGE_A, "H2": VILLAGE_A, "H3": VILLAGE_C, "HX": OTHER_COUNTY_VILLAGE}
PEOPLE = {  # household -> [(name, relationship, birth, sex, labour, status)]
    "H1": [("张三", "户主", date(1980, 6, 15), "男", "普通劳动力", "正常"),
           ("李四", "配偶", date(1975, 2, 1), "女", "弱劳动力或半劳动力", "正常")],
    "H2": [("王五", "户主", date(1970, 5, 5), "男", "弱劳动力或半劳动力", "死亡")],
    "H3": [("赵六", "户主", date(1978, 8, 8), "男", "弱劳动力或半劳动力", "正常")],
    "HX": [("孙七", "户主", date(1982, 1, 1), "男", "普通劳动力", "正常")],
}


def store_people() -> dict[str, str]:
    """Store the registry above; returns name -> ID number."""
    households, members, ids = [], [], {}
    for hid, region in REGIONS.items():
        households.append(household(household_id=hid, year=YEAR, region_code=region, registered=True,
                                    poverty_status="已脱贫", exit_year=2019))
        for name, relationship, birth, sex, labour, status in PEOPLE[hid]:
            row = member(household_id=hid, year=YEAR, name=name, relationship=relationship, birth=birth, sex=sex,
                         labour=labour, member_status=status)
            members.append(row)
            ids[name] = row["id_number"]
    import_frames(frame("households", households), frame("members", members), pl.DataFrame(),
                  scope=EVERYWHERE, source="test", source_format="xlsx")
    return ids


def post(post_id: str, **values) -> dict[str, str]:
    base = {"post_id": post_id, "name": "保洁员", "kind": "公益性岗位", "public_post_type": "保洁员",
            "employer": "龙沙镇人民政府", "region_code": VILLAGE_A, "place": "乡镇内", "monthly_pay": "600",
            "planned": "1", "published_on": f"{YEAR}-01-01", "accident_insurance": "是"}
    return {**base, **values}


def store_posts() -> None:
    """G1, G2, F1 listed by the county; T3 by the other town."""
    county = Scope.system(COUNTY)
    for data in (post("G1"), post("G2", name="护林员", public_post_type="护林员", planned="2"),
                 post("F1", name="普工", kind="企业岗位", public_post_type="", employer="深圳某电子厂",
                      region_code="440300", place="省外", monthly_pay="5000", planned="10")):
        assert not employment_db.record_post(county, data).errors
    other_town = post("T3", name="扶贫车间缝纫工", kind="帮扶车间", public_post_type="", employer="响水镇帮扶车间",
                      region_code=VILLAGE_C, planned="5", monthly_pay="2000")
    assert not employment_db.record_post(Scope.system(OTHER_TOWN), other_town).errors


def place(scope: Scope, household_id: str, id_number: str, **values):
    data = {"id_number": id_number, "start": f"{YEAR}-03-01", "mode": "公益性岗位", "service": "送工送岗", **values}
    return employment_db.record_placement(scope, household_id, data)


@pytest.fixture
def ids() -> dict[str, str]:
    """The stored people of :func:`store_people` (name -> ID number) and the posts of
    :func:`store_posts`; imported by the employment tests of the application, web and API."""
    people = store_people()
    store_posts()
    return people
