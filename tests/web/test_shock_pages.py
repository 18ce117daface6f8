"""The shock event pages: counts inside the user's region, leads created once by a county, in
Chinese; another county gets a 404, a village no button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fupin.accounts.scoping import Scope
from fupin.monitoring.models import Lead
from tests.application.test_shocks import imported, shock_registry  # noqa: F401 — fixtures

pytestmark = pytest.mark.django_db


def _count(html: str, element_id: str) -> int:
    start = html.index(f'id="{element_id}">') + len(element_id) + 6
    return int(html[start:html.index("<", start)])


def test_county_sees_the_counts_and_creates_the_leads_once(client, users, imported):  # noqa: F811
    client.force_login(users["county"])
    page = client.get(reverse("web:shock_event", args=["E1"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "范围内帮扶对象户数" in page and "2023年6月洪灾" in page
    assert (_count(page, "exposed"), _count(page, "listed"), _count(page, "leads")) == (3, 4, 0)
    assert 'id="create-shock-leads"' in page
    for _ in range(2):
        response = client.post(reverse("web:shock_event_leads", args=["E1"]), follow=True)
        assert response.status_code == 200
    page = response.content.decode()
    assert _count(page, "leads") == 2
    assert Lead.objects.within(Scope.of(users["county"])).filter(natural_key__startswith="shock:").count() == 2


def test_town_counts_only_its_households_and_a_village_has_no_button(client, users, imported):  # noqa: F811
    client.force_login(users["town"])
    page = client.get(reverse("web:shock_event", args=["E1"])).content.decode()
    assert _count(page, "listed") == 3
    client.force_login(users["village_b"])  # a village of the same town with no listed household
    page = client.get(reverse("web:shock_event", args=["E1"])).content.decode()
    assert _count(page, "listed") == 0 and 'id="create-shock-leads"' not in page
    assert client.post(reverse("web:shock_event_leads", args=["E1"])).status_code == 403


def test_another_county_gets_404_and_an_empty_list(client, users, imported):  # noqa: F811
    client.force_login(users["county_other"])
    assert client.get(reverse("web:shock_event", args=["E1"])).status_code == 404
    page = client.get(reverse("web:shocks")).content.decode()
    assert "E1" not in page


def test_the_list_links_the_events(client, users, imported):  # noqa: F811
    client.force_login(users["village"])
    page = client.get(reverse("web:shocks"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert reverse("web:shock_event", args=["E1"]) in page and "冲击事件" in page


def test_the_event_page_draws_the_weekly_return_to_work_curve(client, users, db, tmp_path):
    """An epidemic of 2021-01-24 to 2021-02-14; H1's 2020 migrant is 返乡未外出 from 02-01 and
    back at work (已返岗, 省外) from 02-10: weeks 01-24, 01-31, 02-07 at 0, 02-14 at 1."""
    from datetime import date

    import polars as pl

    from fupin.application import shocks
    from fupin.assistance.models import MigrationRecord
    from fupin.engine import schema
    from tests.application.test_shocks import shock_workbook
    from tests.fupin_testdata import load
    from tests.monitoring.monitoring_helpers import VILLAGE_A, household, member, pid

    load(pl.DataFrame([household("H1", VILLAGE_A, year=y) for y in (2020, 2021)],
                      schema=schema.polars_schema("households")),
         pl.DataFrame([member("H1", 1, year=y, work_location="省外务工", work_months=10) for y in (2020, 2021)],
                      schema=schema.polars_schema("members")), schema.empty_frame("regions"))
    county = Scope.of(users["county"])
    shocks.import_shocks(county, shock_workbook(tmp_path / "c.xlsx", [["C1", "疫情", "疫情", "500101", "2021-01-24",
                                                                      "2021-02-14"]], [["C1", "H1", "", "", ""]]))
    for on, state, place in ((date(2021, 2, 1), "返乡未外出", None), (date(2021, 2, 10), "已返岗", "省外")):
        MigrationRecord.objects.create(key=f"{pid(1)}|{on}", region_code=VILLAGE_A, id_number=pid(1),
                                       household_id="H1", reported_on=on, state=state, place=place)
    client.force_login(users["county"])
    page = client.get(reverse("web:shock_event", args=["C1"]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-chart="return"' in page and "复工率" in page and "echarts.min.js" in page
    curve = page[page.index('id="return-curve"'):page.index("</table>", page.index('id="return-curve"'))]
    rates = [cell.split("<")[0] for cell in curve.split('<td class="num">')[4::4]]
    assert rates == ["0.0", "0.0", "0.0", "1.0"]
