"""GET /api/policy: the values in force with their sources, for analysts and administrators."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_analyst_reads_the_values_of_a_year_and_region_with_their_sources(client, make_user, api_headers):
    analyst = make_user("analyst_cq", "analyst", "50")
    response = client.get("/api/policy?year=2021&region=500101", **api_headers(analyst))
    assert response.status_code == 200
    body = response.json()
    assert body["identity"].startswith("national@") and body["year"] == 2021 and body["region"] == "500101"
    values = {row["parameter"]: row for row in body["values"]}
    assert values["monitoring_line"]["value"] == 6000 and values["monitoring_line"]["source"]
    assert values["monitoring_line"]["file"] == "national.toml"


def test_county_officer_may_not_read_the_policy_values(client, county_user, api_headers):
    assert client.get("/api/policy?year=2021", **api_headers(county_user)).status_code == 403


def test_a_region_outside_the_analysts_scope_is_not_found(client, analyst_user, api_headers):
    assert client.get("/api/policy?year=2021&region=500102", **api_headers(analyst_user)).status_code == 404


def test_the_policy_endpoint_needs_a_token_or_session(client):
    assert client.get("/api/policy").status_code == 401
