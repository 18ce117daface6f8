"""``/api/posts`` and ``/api/households/{id}/placements`` through the one scoping layer: a post
listed by another town and a household outside the region are 404, a read-only role may not
record (403), a row failing the import's checks is 422 with the Chinese message, a session POST
needs the CSRF token."""

from __future__ import annotations

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
from tests.regions import COUNTY, VILLAGE_A
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    """This module's own registry (tests/assistance/employment_helpers.py), not the two counties."""


def _json(client, method: str, url: str, headers: dict, body: dict | None = None):
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, body, content_type="application/json", **headers)


def test_get_posts_is_scoped_and_filters_by_kind_and_state(ids, client, town_user, api_headers):
    auth = api_headers(town_user)
    got = client.get("/api/posts", **auth)
    assert got.status_code == 200
    assert sorted(p["post_id"] for p in got.json()) == ["F1", "G1", "G2"]
    g1 = next(p for p in got.json() if p["post_id"] == "G1")
    assert (g1["listed_by"], g1["work_region"], g1["openings"], g1["state"]) == (COUNTY, VILLAGE_A, 1, "open")
    public = client.get("/api/posts?kind=公益性岗位", **auth).json()
    assert sorted(p["post_id"] for p in public) == ["G1", "G2"]
    assert client.get("/api/posts?state=closed", **auth).json() == []
    assert client.get("/api/posts?kind=abc", **auth).status_code == 422


def test_get_one_post_gives_its_holders_in_the_region_masked_for_a_role_that_may_not_reveal(
        ids, client, town_user, analyst_user, api_headers):
    place(Scope.system(COUNTY), "H1", ids["李四"], post_id="G2")
    place(Scope.system(COUNTY), "H3", ids["赵六"], post_id="G2")
    town = client.get("/api/posts/G2", **api_headers(town_user)).json()
    assert [p["name"] for p in town["placements"]] == ["李四"] and town["holders"] == 2
    assert town["placements"][0]["id_number"] == ids["李四"]  # a town may reveal
    analyst = client.get("/api/posts/G2", **api_headers(analyst_user)).json()
    assert {p["id_number"] for p in analyst["placements"]} == {ids["李四"][:4] + "*" * 10 + ids["李四"][-4:],
                                                               ids["赵六"][:4] + "*" * 10 + ids["赵六"][-4:]}
    assert client.get("/api/posts/T3", **api_headers(town_user)).status_code == 404


def test_post_a_post_lists_it_in_the_callers_region_and_422_with_the_chinese_message(
        ids, client, town_user, api_headers):
    auth = api_headers(town_user)
    made = _json(client, "post", "/api/posts", auth, post("L1", region_code="500101102201"))
    assert made.status_code == 201, made.content
    assert (made.json()["listed_by"], made.json()["openings"]) == ("500101102", 1)
    assert Post.objects.within(EVERYWHERE).get(post_id="L1").history.count() == 1
    bad = _json(client, "post", "/api/posts", auth, post("L2", public_post_type=None))
    assert bad.status_code == 422 and "公益岗类型" in bad.json()["errors"]["public_post_type"]
    taken = _json(client, "post", "/api/posts", auth, post("T3"))
    assert taken.status_code == 422 and "其他地区" in taken.json()["detail"]


def test_post_a_placement_and_read_it_back_with_the_openings_down(ids, client, village_user, api_headers):
    auth = api_headers(village_user)
    body = {"id_number": ids["李四"], "post_id": "G1", "start": f"{YEAR}-03-01", "mode": "公益性岗位",
            "service": "送工送岗"}
    made = _json(client, "post", "/api/households/H1/placements", auth, body)
    assert made.status_code == 201, made.content
    assert (made.json()["post_id"], made.json()["name"], made.json()["active"]) == ("G1", "李四", True)
    assert made.json()["id_number"] == ids["李四"]  # a village cadre may reveal
    listed = client.get("/api/households/H1/placements", **auth).json()
    assert [p["post_id"] for p in listed] == ["G1"]
    assert _json(client, "post", "/api/households/H1/placements", auth, body).status_code == 201
    assert Placement.objects.within(EVERYWHERE).count() == 1
    g1 = client.get("/api/posts/G1", **auth).json()
    assert g1["holders"] + g1["openings"] == 1


def test_a_placement_failing_the_import_checks_is_422(ids, client, village_user, api_headers):
    auth = api_headers(village_user)
    stranger = _json(client, "post", "/api/households/H1/placements", auth,
                     {"id_number": ids["王五"], "post_id": "G1", "start": f"{YEAR}-03-01"})
    assert stranger.status_code == 422 and "不是户 H1" in stranger.json()["errors"]["id_number"]
    hidden = _json(client, "post", "/api/households/H1/placements", auth,
                   {"id_number": ids["李四"], "post_id": "T3", "start": f"{YEAR}-03-01"})
    assert hidden.status_code == 422 and "T3" in hidden.json()["errors"]["post_id"]
    assert not Placement.objects.within(EVERYWHERE).exists()


def test_placements_outside_the_region_are_404_and_a_read_only_role_is_403(
        ids, client, town_user, other_town_user, analyst_user, api_headers):
    body = {"id_number": ids["赵六"], "post_id": "G1", "start": f"{YEAR}-03-01"}
    assert _json(client, "post", "/api/households/H3/placements", api_headers(town_user), body).status_code == 404
    assert client.get("/api/households/H3/placements", **api_headers(town_user)).status_code == 404
    assert client.get("/api/households/H1/placements", **api_headers(other_town_user)).status_code == 404
    assert _json(client, "post", "/api/households/H1/placements", api_headers(analyst_user),
                 {"id_number": ids["李四"], "post_id": "G1", "start": f"{YEAR}-03-01"}).status_code == 403
    assert _json(client, "post", "/api/posts", api_headers(analyst_user), post("L9")).status_code == 403
    assert not Placement.objects.within(EVERYWHERE).exists()
    # The other town's own post is its to change; this town's user never sees it.
    assert sorted(p["post_id"] for p in client.get("/api/posts", **api_headers(other_town_user)).json()) == [
        "F1", "G1", "G2", "T3"]


def test_a_session_post_needs_the_csrf_token(ids, village_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(village_user)
    body = {"id_number": ids["李四"], "post_id": "G1", "start": f"{YEAR}-03-01"}
    refused = browser.post("/api/households/H1/placements", body, content_type="application/json")
    assert refused.status_code == 403 and not Placement.objects.within(EVERYWHERE).exists()
    browser.get("/employment/posts/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/households/H1/placements", body, content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201
