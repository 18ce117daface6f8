"""The household exit on the web: proposed from the household file, its steps on the case page,
the exit lists downloaded, all within the user's region and in Chinese."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from tests.monitoring.monitoring_helpers import NOW, YEAR
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_now(monkeypatch):
    from fupin.monitoring import clock

    moment = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return moment


def _case():
    from fupin.monitoring.models import Lead

    return Lead.objects.within(EVERYWHERE).get(purpose="exit", household_id="H7")


def test_cadre_proposes_the_exit_from_the_household_file_and_takes_the_village_steps(assessed, client, users,
                                                                                     at_now):
    client.force_login(users["village"])
    page = client.get(f"/households/H7/?year={YEAR}").content.decode()
    assert "提出预退出" in page
    response = client.post(f"/households/H7/{YEAR}/exit/")
    case = _case()
    assert response.status_code == 302 and response["Location"] == f"/monitoring/{case.pk}/"
    detail = client.get(f"/monitoring/{case.pk}/").content.decode()
    assert "贫困户退出" in detail and "村级评议并公示" in detail and "入户核实" not in detail
    client.post(f"/monitoring/{case.pk}/step/", {"action": "village_review", "notice_start": NOW.date().isoformat()})
    detail = client.get(f"/monitoring/{case.pk}/").content.decode()
    assert "农户已签字确认同意退出" in detail  # the household_confirm form is offered now
    client.post(f"/monitoring/{case.pk}/step/", {"action": "household_confirm", "signed": "on"})
    case.refresh_from_db()
    assert case.state == "confirmed" and case.confirmed_on == NOW.date()
    # The household file links to the case instead of offering a second proposal.
    page = client.get(f"/households/H7/?year={YEAR}").content.decode()
    assert "提出预退出" not in page and f"/monitoring/{case.pk}/" in page


def test_household_that_cannot_exit_says_why_and_offers_no_button(assessed, client, users):
    client.force_login(users["village"])
    page = client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "只有未脱贫或返贫的建档立卡户可以退出" in page and "提出预退出" not in page


def test_the_exit_is_in_the_village_notice_as_a_proposed_exit(assessed, client, users, at_now):
    client.force_login(users["village"])
    client.post(f"/households/H7/{YEAR}/exit/")
    case = _case()
    client.post(f"/monitoring/{case.pk}/step/", {"action": "village_review", "notice_start": NOW.date().isoformat()})
    notice = client.get(f"/monitoring/notice/{case.region_code}/").content.decode()
    assert "拟退出贫困户" in notice and "郑九" in notice


def test_town_downloads_the_exit_lists_and_a_foreign_village_cannot_propose(assessed, client, users, at_now):
    client.force_login(users["village"])
    client.post(f"/households/H7/{YEAR}/exit/")
    client.force_login(users["town"])
    listing = client.get("/monitoring/?purpose=exit&state=open").content.decode()
    assert "郑九" in listing and "下载贫困户退出名单" in listing
    download = client.get(f"/monitoring/exits/{YEAR}/exits.xlsx")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["退出名单", "按村汇总"]
    client.force_login(users["village_b"])
    assert client.post(f"/households/H7/{YEAR}/exit/").status_code == 404


def test_county_approval_on_the_page_marks_the_household_exited(assessed, client, users, at_now):
    from fupin.registry.models import Household

    client.force_login(users["village"])
    client.post(f"/households/H7/{YEAR}/exit/")
    case = _case()
    client.post(f"/monitoring/{case.pk}/step/", {"action": "village_review", "notice_start": NOW.date().isoformat()})
    client.post(f"/monitoring/{case.pk}/step/", {"action": "household_confirm", "signed": "on"})
    at_now["now"] = NOW + timedelta(days=6)
    client.force_login(users["town"])
    client.post(f"/monitoring/{case.pk}/step/", {"action": "town_review"})
    client.force_login(users["county"])
    client.post(f"/monitoring/{case.pk}/step/", {"action": "county_approve"})
    household = Household.objects.within(EVERYWHERE).get(household_id="H7", year=YEAR)
    assert (household.poverty_status, household.exit_year) == ("已脱贫", YEAR)
