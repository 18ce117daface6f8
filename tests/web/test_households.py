"""Household search and list, the household file, sensitive views, edit pages, scope."""

from __future__ import annotations

import pytest

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Scope
from fupin.engine import idnumber
from tests.regions import VILLAGE_A
from tests.scopes import EVERYWHERE
from tests.web.web_helpers import YEAR, login

pytestmark = pytest.mark.django_db


def head_id(hid):
    from fupin.registry.models import Member

    return Member.objects.within(EVERYWHERE).get(household_key=hid, relationship="户主").id_number


def search(client, q, **filters):
    return client.post("/households/", {"q": q, "year": YEAR, **filters}).content.decode()


def test_list_shows_only_the_users_village_with_ids_and_phones_masked(registry, cadre_client):
    html = cadre_client.get("/households/").content.decode()
    # Links, not bare ids: a random CSRF token in the page may contain "H4" by chance.
    assert "/households/H1/" in html and "/households/H2/" in html
    assert "/households/H4/" not in html and "/households/X1/" not in html
    assert head_id("H1") not in html and idnumber.mask(head_id("H1")) in html
    assert "13812345678" not in html and idnumber.mask("13812345678") in html


def test_search_by_name_prefix(registry, cadre_client):
    html = search(cadre_client, "张")
    assert "张一" in html and "王三" not in html


def test_search_by_full_id_number_finds_the_household(registry, cadre_client):
    html = search(cadre_client, head_id("H2"))
    assert "王三" in html and "张一" not in html


def test_search_by_household_number_and_by_phone(registry, cadre_client):
    assert "王三" in search(cadre_client, "H2") and "张一" not in search(cadre_client, "H2")
    assert "张一" in search(cadre_client, "13812345678")


def test_search_term_in_a_url_is_ignored(registry, cadre_client):
    # Personal data never travels in a URL (it would be logged): GET ?q= does not filter.
    html = cadre_client.get("/households/?q=张").content.decode()
    assert "王三" in html


def test_search_cannot_reach_another_village(registry, cadre_client):
    html = search(cadre_client, "H4")
    assert "钱七" not in html


def test_filter_by_unmet_indicator(assessed, cadre_client):
    html = cadre_client.get(f"/households/?unmet=food&year={YEAR}").content.decode()
    assert "张一" in html and "王三" not in html


def test_htmx_search_returns_only_the_results_fragment(registry, cadre_client):
    response = cadre_client.post("/households/", {"q": "张"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "张一" in html and "<html" not in html


def test_list_query_count_is_bounded(registry, cadre_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        cadre_client.get("/households/")


def test_household_page_shows_members_with_ages_verdict_and_explanation(assessed, cadre_client):
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "张一" in html and "李二" in html
    assert ">50<" in html  # born 1970-01-02: 50 at 31 December 2020
    assert 'data-verdict="no"' in html
    assert "不愁吃" in html and "入户记录为“否”" in html  # explain() text
    assert head_id("H1") not in html


def test_household_page_shows_the_change_history_of_an_edit(assessed, village_user, cadre_client):
    from fupin.registry.models import Household
    from fupin.registry.services.edits import edit_household

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    edit_household(Scope.of(village_user), h.pk, {"food_secure": "是"}, version=h.version)
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert village_user.username in html and "不愁吃" in html


def test_change_history_masks_phones_and_ids_and_hides_health_from_read_only_roles(assessed, village_user,
                                                                                   client, analyst_user):
    """Issue 9: the history showed full old and new phones and IDs to read-only roles."""
    from fupin.registry.models import Household, Member
    from fupin.registry.services.edits import edit_household, edit_member

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    edit_household(Scope.of(village_user), h.pk, {"phone": "13900001111"}, version=h.version)
    wife = Member.objects.within(EVERYWHERE).get(household_key="H1", relationship="配偶")
    edit_member(Scope.of(village_user), wife.pk, {"health": "患有大病"}, version=wife.version)
    client.force_login(analyst_user)
    html = client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "13900001111" not in html and "13812345678" not in html and "1390***1111" in html
    assert head_id("H1") not in html and "患有大病" not in html


def test_household_page_query_count_is_bounded(assessed, cadre_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        cadre_client.get(f"/households/H1/?year={YEAR}")


def test_reveal_shows_full_id_and_phone_and_is_logged(registry, village_user, cadre_client):
    response = cadre_client.post(f"/households/H1/{YEAR}/reveal/")
    html = response.content.decode()
    assert head_id("H1") in html and "13812345678" in html
    log = SensitiveView.objects.within(EVERYWHERE).get()
    assert (log.user, log.household_id, log.year) == (village_user, "H1", YEAR)


def test_reveal_is_refused_to_a_read_only_analyst(registry, client, analyst_user):
    login(client, analyst_user)
    assert client.post(f"/households/H1/{YEAR}/reveal/").status_code == 403
    assert not SensitiveView.objects.within(EVERYWHERE).exists()


def test_analyst_sees_the_file_masked_and_cannot_edit(registry, client, analyst_user):
    login(client, analyst_user)
    html = client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "张一" in html and head_id("H1") not in html and "edit-household" not in html
    assert client.get(f"/households/H1/{YEAR}/edit/").status_code == 403


@pytest.mark.parametrize("url", [
    "/households/H1/?year=2020", "/households/H1/2020/edit/", "/households/H1/2020/assess/",
    "/households/H1/2020/reveal/",
])
def test_household_pages_of_another_village_are_not_found(registry, client, other_village_user, url):
    login(client, other_village_user)
    response = client.post(url) if url.endswith(("assess/", "reveal/")) else client.get(url)
    assert response.status_code == 404


def test_member_edit_page_of_another_village_is_not_found(registry, client, other_village_user):
    from fupin.registry.models import Member

    pk = Member.objects.within(EVERYWHERE).get(name="张一").pk
    login(client, other_village_user)
    assert client.get(f"/households/H1/{YEAR}/members/{pk}/edit/").status_code == 404


def test_household_edit_form_shows_import_errors_next_to_the_field(registry, cadre_client):
    from fupin.registry.models import Household

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    form = cadre_client.get(f"/households/H1/{YEAR}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items()}
    data.update(wage_income="abc", version=h.version)
    response = cadre_client.post(f"/households/H1/{YEAR}/edit/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="wage_income"' in html and "不是有效数字" in html
    assert Household.objects.within(EVERYWHERE).get(pk=h.pk).wage_income == 20000.0


def test_household_edit_saves_and_redirects_to_the_file(registry, cadre_client):
    from fupin.registry.models import Household

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    form = cadre_client.get(f"/households/H1/{YEAR}/edit/").context["form"]
    data = dict(form.initial, food_secure="是", version=h.version)
    response = cadre_client.post(f"/households/H1/{YEAR}/edit/", data)
    assert response.status_code == 302
    assert Household.objects.within(EVERYWHERE).get(pk=h.pk).food_secure is True


def test_stale_household_edit_is_refused_with_409(registry, cadre_client):
    from fupin.registry.models import Household

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    form = cadre_client.get(f"/households/H1/{YEAR}/edit/").context["form"]
    first = dict(form.initial, food_secure="是", version=h.version)
    second = dict(form.initial, wage_income="1", version=h.version)
    assert cadre_client.post(f"/households/H1/{YEAR}/edit/", first).status_code == 302
    response = cadre_client.post(f"/households/H1/{YEAR}/edit/", second)
    assert response.status_code == 409 and "已被他人修改" in response.content.decode()
    assert Household.objects.within(EVERYWHERE).get(pk=h.pk).wage_income == 20000.0


def test_member_edit_validates_against_the_id_number(registry, cadre_client):
    from fupin.registry.models import Member

    m = Member.objects.within(EVERYWHERE).get(name="张一")
    url = f"/households/H1/{YEAR}/members/{m.pk}/edit/"
    form = cadre_client.get(url).context["form"]
    response = cadre_client.post(url, dict(form.initial, sex="女", version=m.version))
    assert 'data-field="sex"' in response.content.decode()
    assert Member.objects.within(EVERYWHERE).get(pk=m.pk).sex == "男"


def test_reassess_button_changes_the_verdict_after_a_fix(assessed, village_user, cadre_client):
    from fupin.registry.models import Household
    from fupin.registry.services.edits import edit_household

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    edit_household(Scope.of(village_user), h.pk, {"food_secure": "是"}, version=h.version)
    response = cadre_client.post(f"/households/H1/{YEAR}/assess/")
    assert response.status_code == 302
    html = cadre_client.get(response["Location"]).content.decode()
    assert 'data-verdict="yes"' in html


def test_name_search_finds_the_cadres_household_even_when_the_name_is_common_elsewhere(db, client, village_user,
                                                                                        monkeypatch):
    """The scope is applied inside the member lookup, before its limit: households of the same
    name elsewhere in the country, registered first and more than the limit, cannot crowd out the
    cadre's own."""
    import polars as pl

    from fupin.engine import schema
    from fupin.registry import selectors
    from tests.fupin_testdata import load
    from tests.regions import OTHER_COUNTY_VILLAGE
    from tests.web.web_helpers import household, member, registry_frames

    elsewhere = [f"Y{i}" for i in range(3)]
    load(pl.DataFrame([household(hid, OTHER_COUNTY_VILLAGE) for hid in elsewhere],
                      schema=schema.polars_schema("households")),
         pl.DataFrame([member(hid, 20 + i, "张大") for i, hid in enumerate(elsewhere)],
                      schema=schema.polars_schema("members")),
         schema.empty_frame("regions"))
    households, members, regions = registry_frames()
    load(households, members.with_columns(name=pl.col("name").replace({"赵五": "张大"})), regions)
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 2)
    client.force_login(village_user)
    html = search(client, "张大")
    assert "/households/H3/" in html
    assert not any(f"/households/{hid}/" in html for hid in elsewhere)


def _monitor(household_id: str, since: str = "2020-01") -> None:
    from fupin.registry.models import Household

    Household.objects.within(EVERYWHERE).filter(household_id=household_id).update(
        monitoring_category="边缘易致贫户", monitoring_since=since, risk_eliminated=False)


def test_household_page_of_a_monitored_household_starts_its_risk_elimination(registry, cadre_client):
    from fupin.monitoring.models import Lead

    assert "start-elimination" not in cadre_client.get("/households/H2/").content.decode()
    _monitor("H2")
    page = cadre_client.get("/households/H2/").content.decode()
    assert 'id="start-elimination"' in page
    started = cadre_client.post(f"/households/H2/{YEAR}/elimination/")
    lead = Lead.objects.within(EVERYWHERE).get(household_id="H2", purpose="elimination")
    assert started.status_code == 302 and started.url == f"/monitoring/{lead.pk}/"
    assert lead.state == "new" and lead.region_code == VILLAGE_A
    # The page now links the elimination under way instead of offering a second one.
    page = cadre_client.get("/households/H2/").content.decode()
    assert f'href="/monitoring/{lead.pk}/"' in page and 'id="start-elimination"' not in page
    cadre_client.post(f"/households/H2/{YEAR}/elimination/")
    assert Lead.objects.within(EVERYWHERE).filter(household_id="H2", purpose="elimination").count() == 1


def test_starting_an_elimination_of_a_household_not_monitored_says_why(registry, cadre_client):
    response = cadre_client.post(f"/households/H1/{YEAR}/elimination/", follow=True)
    assert "当前不是监测对象" in response.content.decode()


def test_another_villages_cadre_cannot_start_an_elimination_here(registry, client, other_village_user):
    _monitor("H2")
    client.force_login(other_village_user)
    assert client.post(f"/households/H2/{YEAR}/elimination/").status_code == 404
