"""我的帮扶户, the visit form (one tap or with details, a lead in the same step) and the town's
overdue visits by cadre and unit with its Excel download (issue 13 item 1)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from fupin.application.assistance import import_assistance
from fupin.assistance.models import Cadre, Visit
from fupin.io.assistance import write_workbook
from fupin.monitoring.models import Lead
from tests.assistance.ledger_helpers import rows
from tests.regions import COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def paired(registry, village_user, tmp_path):
    """Cadre C1 (the village user) paired with H1 and H2; H2 visited today, H1 never."""
    path = write_workbook(tmp_path / "p.xlsx", {
        "cadres": rows("cadres", [{"cadre_id": "C1", "name": "王帮扶", "unit": "县财政局", "rank": "正科",
                                   "phone": "13900001111"},
                                  {"cadre_id": "C2", "name": "李帮扶", "unit": "县教委", "rank": "副科",
                                   "phone": "13900002222"}]),
        "pairings": rows("pairings", [{"cadre_id": "C1", "household_id": "H1", "start": date(2020, 1, 1)},
                                      {"cadre_id": "C1", "household_id": "H2", "start": date(2020, 1, 1)},
                                      {"cadre_id": "C2", "household_id": "H4", "start": date(2020, 1, 1)}]),
        "visits": rows("visits", [{"household_id": "H2", "cadre_id": "C1", "visited_on": TODAY, "mode": "入户走访",
                                   "content": "秘密的走访内容"}]),
    })
    import_assistance(EVERYWHERE, path, None)
    Cadre.objects.within(EVERYWHERE).filter(cadre_id="C1").update(user=village_user)
    return village_user


def test_my_households_lists_overdue_first_with_one_tap_buttons(paired, cadre_client):
    page = cadre_client.get("/pairing/mine/").content.decode()
    assert "王帮扶" in page and "县财政局" in page
    assert page.index('id="h-H1"') < page.index('id="h-H2"')
    assert 'data-status="overdue"' in page and 'id="quick-visit-H1"' in page
    assert "秘密的走访内容" not in page
    assert 'data-nav="my_households"' in page


def test_one_tap_records_a_home_visit_today_and_the_household_is_no_longer_overdue(paired, cadre_client):
    response = cadre_client.post("/pairing/visit/H1/", {"quick": "1"})
    assert response.status_code == 302
    visit = Visit.objects.within(EVERYWHERE).get(household_id="H1")
    assert (visit.visited_on, visit.mode, visit.cadre_id) == (TODAY, "入户走访", "C1")
    page = cadre_client.get("/pairing/mine/").content.decode()
    assert 'data-status="overdue"' not in page


def test_the_detailed_form_records_items_and_raises_a_lead_when_a_hardship_is_found(paired, cadre_client):
    response = cadre_client.post("/pairing/visit/H1/", {
        "visited_on": TODAY.isoformat(), "mode": "入户走访", "items": ["风险排查", "收入核实"], "content": "查看住房",
        "found_problem": "on", "problem": "户主患病住院", "hardship_type": "illness"})
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Visit.objects.within(EVERYWHERE).get(household_id="H1")
    assert visit.items == "风险排查、收入核实" and visit.found_problem is True
    lead = Lead.objects.within(EVERYWHERE).get(pk=visit.lead_id)
    assert lead.household_id == "H1" and lead.hardship_type == "illness"


def test_a_visit_dated_in_the_future_shows_the_chinese_message_beside_the_date(paired, cadre_client):
    page = cadre_client.post("/pairing/visit/H1/", {"visited_on": "2099-01-01", "mode": "入户走访"}).content.decode()
    assert 'data-field="visited_on"' in page and "晚于导入日期" in page
    assert not Visit.objects.within(EVERYWHERE).filter(household_id="H1").exists()


def test_a_household_of_another_village_is_404_and_a_read_only_role_403(paired, client, other_village_user,
                                                                        analyst_user):
    client.force_login(other_village_user)
    assert client.get("/pairing/visit/H1/").status_code == 404
    client.force_login(analyst_user)
    assert client.post("/pairing/visit/H1/", {"quick": "1"}).status_code == 403


def test_a_user_who_is_no_cadre_is_told_so(registry, client, other_village_user):
    client.force_login(other_village_user)
    assert 'id="no-cadre"' in client.get("/pairing/mine/").content.decode()


def test_the_town_sees_overdue_visits_by_cadre_and_unit_and_downloads_them(paired, client, town_user):
    client.force_login(town_user)
    page = client.get(f"/pairing/overdue/{TOWN}/").content.decode()
    assert "王帮扶" in page and "李帮扶" in page and "县教委" in page
    assert "秘密的走访内容" not in page
    response = client.get(f"/pairing/overdue/{TOWN}/export/")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["按责任人"]
    cells = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(r for r in cells if r and r[0] == "姓名")
    assert header[:3] == ["姓名", "帮扶单位", "职级"]
    body = cells[cells.index(header) + 1:]
    assert {r[0] for r in body if r[0] and r[0] not in ("合计",) and not str(r[0]).startswith("合计")} == {"王帮扶", "李帮扶"}
    assert ws.freeze_panes is not None and ws.auto_filter.ref
    households = [r[0] for r in wb["超期户"].iter_rows(values_only=True)]
    assert "H1" in households and "H4" in households and "H2" not in households


def test_the_overdue_page_of_another_county_is_404(paired, client, county_user):
    client.force_login(county_user)
    assert client.get(f"/pairing/overdue/{COUNTY}/").status_code == 200
    assert client.get("/pairing/overdue/500102/").status_code == 404


# --- the cadre's page and the account link (a county links the account that signs in as him) ---

@pytest.fixture
def county_cadres(registry, tmp_path):
    """C1 and C2 imported by the county (their records belong to it); C1 paired with H1."""
    from fupin.accounts.scoping import Scope

    path = write_workbook(tmp_path / "c.xlsx", {
        "cadres": rows("cadres", [{"cadre_id": "C1", "name": "王帮扶", "unit": "县财政局", "rank": "正科",
                                   "phone": "13900001111"},
                                  {"cadre_id": "C2", "name": "李帮扶", "unit": "县教委", "rank": "副科",
                                   "phone": "13900002222"}]),
        "pairings": rows("pairings", [{"cadre_id": "C1", "household_id": "H1", "start": date(2020, 1, 1)}]),
    })
    import_assistance(Scope.system(COUNTY), path, None)
    return {c.cadre_id: c for c in Cadre.objects.within(EVERYWHERE)}


def test_the_county_links_a_village_account_to_a_cadre_and_the_cadre_then_sees_his_households(
        county_cadres, client, county_user, village_user):
    cadre = county_cadres["C1"]
    client.force_login(county_user)
    page = client.get(f"/pairing/cadres/{cadre.pk}/").content.decode()
    assert 'id="link-account"' in page and "王帮扶" in page and "13900001111" not in page
    assert client.post(f"/pairing/cadres/{cadre.pk}/", {"username": village_user.username}).status_code == 302
    cadre.refresh_from_db()
    assert cadre.user_id == village_user.pk
    assert cadre.history.first().user_id == village_user.pk   # the link is in the cadre's history
    client.force_login(village_user)
    mine = client.get("/pairing/mine/").content.decode()
    assert 'id="h-H1"' in mine and 'id="no-cadre"' not in mine


def test_linking_moves_an_account_from_its_previous_cadre_and_an_empty_name_unlinks(
        county_cadres, client, county_user, village_user):
    c1, c2 = county_cadres["C1"], county_cadres["C2"]
    client.force_login(county_user)
    client.post(f"/pairing/cadres/{c1.pk}/", {"username": village_user.username})
    client.post(f"/pairing/cadres/{c2.pk}/", {"username": village_user.username})
    c1.refresh_from_db(), c2.refresh_from_db()
    assert c1.user_id is None and c2.user_id == village_user.pk
    client.post(f"/pairing/cadres/{c2.pk}/", {"username": ""})
    c2.refresh_from_db()
    assert c2.user_id is None


def test_an_account_of_another_county_cannot_be_linked_and_is_not_disclosed(
        county_cadres, client, county_user, other_county_user):
    cadre = county_cadres["C1"]
    client.force_login(county_user)
    page = client.post(f"/pairing/cadres/{cadre.pk}/", {"username": other_county_user.username}).content.decode()
    assert "本辖区内没有登录名为" in page
    unknown = client.post(f"/pairing/cadres/{cadre.pk}/", {"username": "nobody"}).content.decode()
    assert "本辖区内没有登录名为" in unknown   # the same answer: other regions' names stay hidden
    cadre.refresh_from_db()
    assert cadre.user_id is None


def test_a_town_sees_the_cadre_page_without_the_link_form_and_may_not_post_it(
        county_cadres, client, town_user, village_user):
    cadre = county_cadres["C1"]
    client.force_login(town_user)
    page = client.get(f"/pairing/cadres/{cadre.pk}/").content.decode()
    assert "王帮扶" in page and 'id="link-account"' not in page
    assert client.post(f"/pairing/cadres/{cadre.pk}/", {"username": village_user.username}).status_code == 403


def test_the_cadre_page_of_another_county_is_404(county_cadres, client, other_county_user):
    client.force_login(other_county_user)
    assert client.get(f"/pairing/cadres/{county_cadres['C1'].pk}/").status_code == 404


def test_the_overdue_table_links_each_cadre_to_his_page(county_cadres, client, county_user):
    client.force_login(county_user)
    page = client.get(f"/pairing/overdue/{COUNTY}/").content.decode()
    assert f'href="/pairing/cadres/{county_cadres["C1"].pk}/"' in page
