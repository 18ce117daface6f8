"""The ledger and listings over the API: scope (404), refused actions (409), evidence in scope only."""

from __future__ import annotations

import pytest

from tests.regions import OTHER_COUNTY_VILLAGE, VILLAGE_A

pytestmark = pytest.mark.django_db

BODY = {"source": "inspection", "region_code": VILLAGE_A, "category": "housing", "description": "危房未改造",
        "received_on": "2020-03-01"}


def test_a_problem_from_creation_to_closure_verified_by_the_town(client, api_headers, county_user, village_user,
                                                                 town_user, other_village_user, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path))
    county, village, town = api_headers(county_user), api_headers(village_user), api_headers(town_user)
    created = client.post("/api/supervision/problems", BODY, content_type="application/json", **county)
    assert created.status_code == 201, created.content
    problem = created.json()
    assert problem["state"] == "new" and problem["deadline"] == "2020-03-31" and problem["claim_due"] == "2020-03-04"
    url = f"/api/supervision/problems/{problem['id']}"
    other = api_headers(other_village_user)
    assert client.get(url, **other).status_code == 404
    assert client.post(url + "/actions", {"action": "claim"}, content_type="application/json",
                       **other).status_code == 404
    wrong = client.post(url + "/actions", {"action": "request_closure"}, content_type="application/json", **village)
    assert wrong.status_code == 409 and "当前状态为 待签收，不能申请销号" in wrong.json()["detail"]
    assert client.post(url + "/actions", {"action": "claim"}, content_type="application/json",
                       **village).json()["state"] == "claimed"
    client.post(url + "/actions", {"action": "add_measure", "text": "危房改造", "done_on": "2020-03-20"},
                content_type="application/json", **village)
    uploaded = client.post(url + "/evidence", {"file": _file(), "note": "改造后照片"}, **village)
    assert uploaded.status_code == 201, uploaded.content
    evidence = uploaded.json()["evidence"][0]
    assert evidence["size"] == 9 and len(evidence["sha256"]) == 64
    assert client.get(f"/api/supervision/evidence/{evidence['id']}", **other).status_code == 404
    download = client.get(f"/api/supervision/evidence/{evidence['id']}", **town)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"jpg bytes"
    assert client.post(url + "/actions", {"action": "request_closure"}, content_type="application/json",
                       **village).json()["state"] == "pending"
    own = client.post(url + "/actions", {"action": "verify"}, content_type="application/json", **village)
    assert own.status_code == 409 and "销号须由上级核验且不得本人核验" in own.json()["detail"]
    assert client.post(url + "/actions", {"action": "verify"}, content_type="application/json",
                       **town).json()["state"] == "closed"


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", b"jpg bytes", content_type="image/jpeg")


def test_creating_outside_the_scope_is_refused_and_listings_are_scoped(client, api_headers, county_user,
                                                                       village_user):
    response = client.post("/api/supervision/problems", {**BODY, "region_code": OTHER_COUNTY_VILLAGE},
                           content_type="application/json", **api_headers(county_user))
    assert response.status_code == 403
    bad = client.post("/api/supervision/problems", {**BODY, "source": "路边"}, content_type="application/json",
                      **api_headers(county_user))
    assert bad.status_code == 400 and "问题来源无效：路边" in bad.json()["detail"]
    assert client.get("/api/supervision/listings", **api_headers(village_user)).json() == []
