"""The employment service pages (issue 13 item 2): posts of the user's region with openings, a
post's holders (masked IDs), listing a post, recording a placement from the household page, the
公益岗位检查 page (double posts and holders who died visible) and 送工送岗 with their Excel
downloads — each scoped (404 outside the region), role-checked (403) and behind CSRF."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from fupin.accounts.scoping import Scope
from fupin.assistance.models import Placement, Post
from tests.assistance.employment_helpers import (
    YEAR,
    place,
    post,
    store_people,
    store_posts,
)
from tests.regions import COUNTY, OTHER_TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _xlsx(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


def test_the_menu_has_one_employment_entry_with_three_tabs(ids, client, village_user):
    page = _page(client, village_user, "/employment/posts/")
    assert 'data-nav="employment"' in page and "就业帮扶" in page
    assert page.count('data-nav="employment" class="active"') == 1
    tabs = page[page.index('id="employment-tabs"'):]
    assert "岗位" in tabs and "公益岗位检查" in tabs and "送工送岗" in tabs


def test_the_town_sees_its_county_posts_with_openings_but_not_another_towns(ids, client, town_user):
    place(Scope.system(COUNTY), "H1", ids["李四"], post_id="G2")
    page = _page(client, town_user, "/employment/posts/")
    assert 'data-post="G1"' in page and 'data-post="G2"' in page and 'data-post="F1"' in page
    assert 'data-post="T3"' not in page and "扶贫车间缝纫工" not in page
    g2 = page[page.index('data-post="G2"'):]
    assert "1 / 2" in g2[:2000] and "招聘中" in g2[:2000]
    assert "深圳" in page  # F1's work region by name from the official table
    client.force_login(town_user)
    assert client.get("/employment/posts/T3/").status_code == 404


def test_the_post_list_filters_by_kind_and_state(ids, client, town_user):
    page = _page(client, town_user, "/employment/posts/?kind=企业岗位")
    assert 'data-post="F1"' in page and 'data-post="G1"' not in page
    closed = _page(client, town_user, "/employment/posts/?state=closed")
    assert 'data-post="G1"' not in closed and "本辖区暂无岗位" in closed
    assert _page(client, town_user, "/employment/posts/?kind=abc&state=%FF&page=999999999999")


def test_a_posts_page_lists_its_holders_with_household_links_and_masked_ids(ids, client, town_user):
    place(Scope.system(COUNTY), "H1", ids["李四"], post_id="G2")
    place(Scope.system(COUNTY), "H3", ids["赵六"], post_id="G2")
    page = _page(client, town_user, "/employment/posts/G2/")
    assert "李四" in page and 'href="/households/H1/"' in page
    assert _masked(ids["李四"]) in page and ids["李四"] not in page
    assert "赵六" not in page and "H3" not in page  # a holder of another town
    assert "2 / 2" in page  # …but counted


def test_a_county_lists_a_post_and_a_public_post_without_type_gets_the_chinese_message(ids, client, county_user):
    client.force_login(county_user)
    bad = client.post("/employment/posts/new/", {**post("G7"), "public_post_type": "", "work_region": "500101"})
    assert bad.status_code == 200
    assert 'data-field="public_post_type"' in bad.content.decode() and "公益岗类型" in bad.content.decode()
    good = client.post("/employment/posts/new/", {**post("G7"), "work_region": "500101102"})
    assert good.status_code == 302 and good["Location"].endswith("/employment/posts/G7/")
    stored = Post.objects.within(EVERYWHERE).get(post_id="G7")
    assert (stored.region_code, stored.work_region, stored.history.first().history_user) == (
        COUNTY, "500101102000", county_user)


def test_a_town_cannot_overwrite_another_regions_post_from_the_form(ids, client, town_user):
    client.force_login(town_user)
    page = client.post("/employment/posts/new/", {**post("T3"), "work_region": ""}).content.decode()
    assert 'data-field="post_id"' in page and "其他地区" in page
    assert Post.objects.within(EVERYWHERE).get(post_id="T3").name == "扶贫车间缝纫工"


def test_the_household_page_links_to_record_employment_and_the_form_records_it(ids, client, village_user):
    household = _page(client, village_user, "/households/H1/")
    assert 'id="record-employment"' in household and "登记就业" in household
    form = _page(client, village_user, "/employment/placements/H1/new/")
    assert "李四" in form and ids["李四"] not in form  # chosen by member, never by ID number
    assert 'value="G1"' in form and 'value="T3"' not in form
    from fupin.registry.models import Member

    pk = Member.objects.within(EVERYWHERE).get(id_number=ids["李四"]).pk
    response = client.post("/employment/placements/H1/new/", {
        "member": str(pk), "post": "G1", "start": f"{YEAR}-03-01", "mode": "公益性岗位", "service": "送工送岗"})
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = Placement.objects.within(EVERYWHERE).get()
    assert (stored.id_number, stored.post_id, stored.household_id, stored.history.first().history_user) == (
        ids["李四"], "G1", "H1", village_user)
    after = _page(client, village_user, "/employment/placements/H1/new/")
    assert 'id="household-placements"' in after and "G1" in after


def test_a_placement_form_error_is_shown_in_chinese_beside_its_field(ids, client, village_user):
    from fupin.registry.models import Member

    pk = Member.objects.within(EVERYWHERE).get(id_number=ids["张三"]).pk
    client.force_login(village_user)
    page = client.post("/employment/placements/H1/new/", {"member": str(pk), "post": "", "start": f"{YEAR}-03-01",
                                                          "end": f"{YEAR}-01-01"}).content.decode()
    assert 'data-field="employer"' in page and "用人单位" in page
    assert 'data-field="end"' in page and "早于" in page
    assert not Placement.objects.within(EVERYWHERE).exists()


def test_a_household_of_another_town_is_404_and_a_read_only_role_403(ids, client, town_user, analyst_user):
    client.force_login(town_user)
    assert client.get("/employment/placements/H3/new/").status_code == 404
    assert client.post("/employment/placements/H3/new/", {"member": "1", "start": "2022-03-01"}).status_code == 404
    client.force_login(analyst_user)
    assert client.get("/employment/placements/H1/new/").status_code == 403
    assert client.post("/employment/posts/new/", post("G7")).status_code == 403
    assert not Placement.objects.within(EVERYWHERE).exists()


def test_recording_a_placement_needs_the_csrf_token(ids, village_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(village_user)
    assert strict.post("/employment/placements/H1/new/", {"start": "2022-03-01"}).status_code == 403
    assert strict.post("/employment/posts/new/", post("G7")).status_code == 403
    assert not Post.objects.within(EVERYWHERE).filter(post_id="G7").exists()


def test_the_checks_page_shows_double_posts_and_holders_who_died_with_household_links(ids, client, town_user):
    county = Scope.system(COUNTY)
    place(county, "H1", ids["李四"], post_id="G1")
    place(county, "H1", ids["李四"], post_id="G2", start=f"{YEAR}-06-01")
    place(county, "H2", ids["王五"], post_id="G2")
    page = _page(client, town_user, f"/employment/checks/?year={YEAR}")
    assert 'id="code-B06"' in page and 'id="code-B10"' in page
    b06 = page[page.index('id="code-B06"'):]
    assert "一人同时在两个公益性岗位" in b06[:400] and 'data-household="H1"' in b06[:3000]
    b10 = page[page.index('id="code-B10"'):]
    assert 'href="/households/H2/"' in b10[:3000] and "死亡" in b10[:3000]
    assert ids["王五"] not in page and _masked(ids["王五"]) in page


def test_the_checks_download_lists_every_finding_by_code_with_masked_ids(ids, client, town_user):
    place(Scope.system(COUNTY), "H2", ids["王五"], post_id="G2")
    client.force_login(town_user)
    book = _xlsx(client.get(f"/employment/checks/export/?year={YEAR}"))
    assert book.sheetnames == ["按问题", "问题清单"]
    rows = [r for r in book["问题清单"].iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "问题代码")
    body = [r for r in rows[rows.index(header) + 1:] if r[0] and str(r[0]).startswith("B")]
    assert ("B10", "H2") in {(r[0], r[4]) for r in body}
    assert all(ids["王五"] not in str(c) for r in rows for c in r)
    counts = {r[0]: r[3] for r in book["按问题"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith("B")}
    assert counts["B10"] == 1 and counts["B06"] == 0


def test_the_checks_of_another_town_are_404(ids, client, town_user):
    client.force_login(town_user)
    assert client.get(f"/employment/checks/?region={OTHER_TOWN}&year={YEAR}").status_code == 404
    assert client.get(f"/employment/offers/export/?region={OTHER_TOWN}").status_code == 404
    assert client.get("/employment/checks/?region=abc&year=99999999999999999999").status_code == 404


def test_the_offers_page_lists_uncovered_people_with_posts_and_downloads(ids, client, town_user):
    page = _page(client, town_user, f"/employment/offers/?year={YEAR}")
    assert "李四" in page and "赵六" not in page
    assert f"{YEAR}-12-31 招聘中" in page  # a past year: the posts open on its last day
    li_si = page[page.index("李四"):]
    assert "保洁员" in li_si[:1500] and "护林员" in li_si[:1500]
    assert "暂无合适岗位" in page  # 张三: able-bodied, no local post fits
    assert ids["李四"] not in page
    client.force_login(town_user)
    book = _xlsx(client.get(f"/employment/offers/export/?year={YEAR}"))
    rows = list(book["送工送岗"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "村")
    names = {r[2] for r in rows[rows.index(header) + 1:] if r[1]}
    assert {"李四", "张三"} <= names
    assert all(ids["李四"] not in str(c) for r in rows for c in r)


def test_pages_without_registry_data_say_so(client, town_user):
    page = _page(client, town_user, "/employment/checks/")
    assert "尚无登记数据" in page
    assert "尚无登记数据" in _page(client, town_user, "/employment/offers/")
