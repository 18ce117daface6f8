"""The assistance ledger's pages: the household file's plan, measures, dividends and coverage; a
cadre recording a measure and marking a plan action done; the plan actions due; the coverage
dashboard and its Excel list — each per role, with scope (404) and rights (403) and CSRF.

Registry: tests/web/web_helpers.py (2020; H1 fails 不愁吃, so its 一户一策 has one action).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.test import Client

from fupin.accounts.scoping import Scope
from fupin.application import assistance as use
from fupin.application import policy as policy_provider
from fupin.assistance.models import ActionState, Measure, PlanAction
from fupin.registry.models import Member
from tests.regions import COUNTY, TOWN, VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE
from tests.web.test_cadre_ready import CJK, parse, problems_in_chinese
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db
GOOD = {"subtype": "产业奖补", "member": "", "start": f"{YEAR}-03-01", "amount": "1200", "status": "已落实",
        "responsible_unit": "县农业农村委"}
NEW = f"/households/H1/{YEAR}/measures/new/"


@pytest.fixture
def ledger(assessed):
    """A plan for H1 (from its stored verdict) and one measure of H1 recorded for the whole household."""
    use.create_plans(Scope.system(), policy_provider.current(), year=YEAR, as_of=date.today() - timedelta(days=40))
    use.record_measure(Scope.system(), "H1", {**GOOD, "amount": "800", "start": f"{YEAR}-02-01"})
    return PlanAction.objects.within(EVERYWHERE).get(plan__household_id="H1")


def _done_url(action) -> str:
    return f"/households/{action.plan.household_id}/plan/{action.pk}/done/"


# --- the household file ---------------------------------------------------------------------------

def test_household_file_shows_plan_measures_dividends_and_coverage_sections(ledger, cadre_client):
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    for section in ('id="plan"', 'id="measures"', 'id="dividends"', 'id="coverage"'):
        assert section in html
    assert ledger.subtype in html and "不愁吃" in html           # the action and the indicator behind it
    assert "产业奖补" in html and "800" in html and "全户" in html
    assert f'hx-get="/households/H1/{YEAR}/coverage/"' in html  # loaded after the page: it reads the village
    coverage = cadre_client.get(f"/households/H1/{YEAR}/coverage/").content.decode()
    assert 'id="coverage-table"' in coverage and "户户有收益" in coverage and "已覆盖" in coverage
    assert "人人有出路 · 张一" in coverage
    assert 'id="record-measure"' in html and f'id="done-button-{ledger.pk}"' in html
    page = parse(html)
    assert not [p for t in page.texts for p in problems_in_chinese(t, frozenset({"cadre_a"}))]


def test_a_read_only_role_sees_no_button_on_the_household_file(ledger, client, analyst_user):
    client.force_login(analyst_user)
    html = client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert 'id="plan"' in html and "产业奖补" in html
    assert 'id="record-measure"' not in html and "done-form" not in html


def test_household_file_in_english_names_sections_and_statuses_in_english(ledger, cadre_client, settings):
    cadre_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "Assistance measures" in html and "Record a measure" in html and "Mark done" in html
    coverage = cadre_client.get(f"/households/H1/{YEAR}/coverage/").content.decode()
    assert "Income for every household" in coverage and "covered" in coverage
    assert not [t for t in parse(html + coverage).tags if CJK.search(t)]


def test_the_coverage_of_a_household_of_another_village_is_404(ledger, client, other_village_user):
    client.force_login(other_village_user)
    assert client.get(f"/households/H1/{YEAR}/coverage/").status_code == 404


# --- recording a measure ------------------------------------------------------------------------

def test_a_village_cadre_records_a_measure_for_the_whole_household(assessed, cadre_client):
    form = cadre_client.get(NEW).content.decode()
    assert '<optgroup label="产业帮扶">' in form and f'value="{date.today().isoformat()}"' in form
    response = cadre_client.post(NEW, GOOD)
    assert response.status_code == 302 and response["Location"].endswith("#measures")
    m = Measure.objects.within(EVERYWHERE).get(household_id="H1")
    assert (m.subtype, m.family, m.amount, m.id_number, m.region_code) == ("产业奖补", "产业帮扶", 1200.0, None, VILLAGE_A)
    assert m.history.count() == 1
    assert "产业奖补" in cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()


def test_a_member_level_measure_is_recorded_for_the_member_chosen(assessed, cadre_client):
    member = Member.objects.within(EVERYWHERE).get(household_key="H1", year=YEAR, name="李二")
    response = cadre_client.post(NEW, {**GOOD, "subtype": "转移就业", "member": str(member.pk), "amount": ""})
    assert response.status_code == 302
    assert Measure.objects.within(EVERYWHERE).get().id_number == member.id_number


def test_a_measure_the_import_would_reject_shows_the_chinese_message_beside_the_field(assessed, cadre_client):
    response = cadre_client.post(NEW, {**GOOD, "amount": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="amount"' in html and "金额" in html
    person_level = cadre_client.post(NEW, {**GOOD, "subtype": "转移就业", "amount": ""}).content.decode()
    assert 'data-field="member"' in person_level  # A11: a 人 measure needs its member
    assert Measure.objects.within(EVERYWHERE).count() == 0


def test_a_household_of_another_village_is_404_and_a_read_only_role_403(assessed, client, village_user,
                                                                         analyst_user):
    client.force_login(village_user)
    assert client.get(f"/households/H4/{YEAR}/measures/new/").status_code == 404
    assert client.post(f"/households/H4/{YEAR}/measures/new/", GOOD).status_code == 404
    client.force_login(analyst_user)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, GOOD).status_code == 403
    assert Measure.objects.within(EVERYWHERE).count() == 0


def test_recording_a_measure_needs_the_csrf_token(assessed, village_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(village_user)
    assert strict.post(NEW, GOOD).status_code == 403
    assert Measure.objects.within(EVERYWHERE).count() == 0
    strict.get(NEW)
    token = strict.cookies["csrftoken"].value
    assert strict.post(NEW, {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302


# --- marking a plan action done -----------------------------------------------------------------

def test_one_tap_marks_the_plan_action_done_today(ledger, cadre_client):
    response = cadre_client.post(_done_url(ledger), {})
    assert response.status_code == 302 and response["Location"].endswith("#plan")
    ledger.refresh_from_db()
    assert (ledger.state, ledger.done_on) == (ActionState.DONE, date.today())
    assert ledger.history.count() == 2


def test_the_done_date_given_is_kept_and_a_future_one_refused(ledger, cadre_client):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    refused = cadre_client.post(_done_url(ledger), {"done_on": tomorrow}, follow=True)
    assert "完成日期" in refused.content.decode()
    ledger.refresh_from_db()
    assert ledger.state == ActionState.PLANNED
    cadre_client.post(_done_url(ledger), {"done_on": "2024-05-06"})
    ledger.refresh_from_db()
    assert ledger.done_on == date(2024, 5, 6)


def test_marking_done_is_404_outside_the_scope_403_read_only_and_needs_csrf(ledger, client, other_village_user,
                                                                           analyst_user, village_user):
    client.force_login(other_village_user)
    assert client.post(_done_url(ledger), {}).status_code == 404
    assert client.post(f"/households/H4/plan/{ledger.pk}/done/", {}).status_code == 404
    client.force_login(analyst_user)
    assert client.post(_done_url(ledger), {}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(village_user)
    assert strict.post(_done_url(ledger), {}).status_code == 403
    ledger.refresh_from_db()
    assert ledger.state == ActionState.PLANNED


def test_marking_done_from_another_site_does_not_redirect_there(ledger, cadre_client):
    response = cadre_client.post(_done_url(ledger), {"next": "https://evil.example/"})
    assert response["Location"].startswith("/households/H1/")


# --- plan actions due ---------------------------------------------------------------------------

def test_the_village_list_shows_the_overdue_action_with_a_done_button(ledger, cadre_client):
    html = cadre_client.get(f"/assistance/due/{VILLAGE_A}/").content.decode()
    assert f'data-action="{ledger.pk}"' in html and "张一" in html and "逾期" in html
    assert 'data-nav="plans"' in html
    overdue = cadre_client.get(f"/assistance/due/{VILLAGE_A}/?show=overdue").content.decode()
    assert f'data-action="{ledger.pk}"' in overdue
    cadre_client.post(_done_url(ledger), {"next": f"/assistance/due/{VILLAGE_A}/"})
    assert f'data-action="{ledger.pk}"' not in cadre_client.get(f"/assistance/due/{VILLAGE_A}/").content.decode()


def test_the_due_list_of_another_village_is_404_and_read_only_roles_see_no_button(ledger, client, village_user,
                                                                                   analyst_user):
    client.force_login(village_user)
    assert client.get(f"/assistance/due/{VILLAGE_B}/").status_code == 404
    assert client.get(f"/assistance/due/{COUNTY}000000/").status_code == 404
    client.force_login(analyst_user)
    html = client.get(f"/assistance/due/{COUNTY}000000/").content.decode()
    assert f'data-action="{ledger.pk}"' in html and "done-form" not in html


# --- coverage dashboard -------------------------------------------------------------------------

def test_county_coverage_shows_rates_by_town_and_drills_down_to_the_uncovered(ledger, client, county_user):
    client.force_login(county_user)
    html = client.get(f"/assistance/coverage/{COUNTY}000000/?year={YEAR}&rule=income").content.decode()
    assert 'data-chart="rates"' in html and 'id="chart-options"' in html and "户户有收益" in html
    assert f'data-region="{TOWN}000"' in html and "龙沙镇" in html
    # H1 has a measure with income; H2, H3, H4 have none: 1 of 4 in the county.
    assert "25.0%" in html and "1 / 4" in html
    town = client.get(f"/assistance/coverage/{TOWN}000/?year={YEAR}&rule=income").content.decode()
    assert f'data-region="{VILLAGE_A}"' in town
    village = client.get(f"/assistance/coverage/{VILLAGE_A}/?year={YEAR}&rule=income").content.decode()
    assert "王三" in village and "赵五" in village and "未覆盖" in village   # H2, H3 by their heads
    assert "张一" not in village.split('id="uncovered"')[1]


def test_coverage_above_the_users_region_is_404(ledger, cadre_client):
    assert cadre_client.get(f"/assistance/coverage/{TOWN}000/").status_code == 404
    assert cadre_client.get(f"/assistance/coverage/{VILLAGE_A}/?rule=nothing").status_code == 404
    assert cadre_client.get(f"/assistance/coverage/{VILLAGE_A}/").status_code == 200


def test_the_uncovered_lists_download_as_a_report_workbook(ledger, client, county_user):
    # 王三 (H2) has no work and no measure: the one person without a way to earn.
    Member.objects.within(EVERYWHERE).filter(household_key="H2").update(work_location=None, work_months=None)
    client.force_login(county_user)
    response = client.get(f"/assistance/coverage/{TOWN}000/export/?year={YEAR}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "户户有收益" in book.sheetnames and "人人有出路" in book.sheetnames
    sheet = book["户户有收益"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert "户户有收益" in rows[0][0] and rows[2][:4] == ["村", "自然村", "户编号", "户主姓名"]
    assert {r[2] for r in rows[3:-1]} == {"H2", "H3", "H4"}
    assert rows[-1][0].startswith("合计 3")
    outlet = [[c.value for c in r] for r in book["人人有出路"].iter_rows()]
    assert outlet[2][4:7] == ["成员姓名", "证件号码", "原因"]
    assert [(r[2], r[4], r[6]) for r in outlet[3:-1]] == [("H2", "王三", "未覆盖")]
    assert "**********" in outlet[3][5]  # a list for people: ID numbers masked


def test_coverage_pages_in_english_have_english_tabs(ledger, client, county_user, settings):
    client.force_login(county_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/assistance/coverage/{COUNTY}000000/?year={YEAR}").content.decode()
    assert "A way to earn for everyone" in html and "Download the uncovered lists" in html and "Excel" in html
    assert not [t for t in parse(html).tags if CJK.search(t)]
