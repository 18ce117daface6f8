"""The monitoring leads on the project's real API (mounted at /api/monitoring/), token auth."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from fupin.engine import idnumber
from fupin.monitoring.models import HARDSHIP_TYPES
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(registry, village_user):
    from fupin.monitoring.intake import record_cadre_lead
    from fupin.registry.models import Household

    code = (Household.objects.within(EVERYWHERE).filter(region_code__startswith=village_user.region)
            .values_list("region_code", flat=True).first())
    return record_cadre_lead(Scope.of(village_user), current_policy(), village_code=code, name="王某", hardship_type=HARDSHIP_TYPES[0][0],
                             id_number=idnumber.make_id("500101", date(1980, 5, 5), 17), text="因病支出大")


def test_county_officer_lists_the_leads_of_the_county_with_a_token(client, county_user, api_headers, lead):
    auth = api_headers(county_user)
    response = client.get("/api/monitoring/leads", **auth)
    assert response.status_code == 200
    assert lead.pk in [item["id"] for item in _items(response.json())]


def test_another_countys_officer_gets_404_for_the_lead(client, other_county_user, api_headers, lead):
    auth = api_headers(other_county_user)
    assert client.get(f"/api/monitoring/leads/{lead.pk}", **auth).status_code == 404
    assert lead.pk not in [item["id"] for item in _items(client.get("/api/monitoring/leads", **auth).json())]


def test_leads_need_a_token_or_session(client, lead):
    assert client.get("/api/monitoring/leads").status_code == 401


def test_monitoring_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert any(path.startswith("/api/monitoring/leads") for path in paths)


def _items(payload):
    return payload["items"] if isinstance(payload, dict) else payload
