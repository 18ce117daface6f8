"""The monitoring Router, mounted on a NinjaAPI of its own for the test."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import path

from tests.monitoring.monitoring_helpers import NOW, VILLAGE_A, VILLAGE_C, YEAR
from tests.scopes import EVERYWHERE

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _api():
    from ninja import NinjaAPI
    from ninja.security import django_auth

    from fupin.api.monitoring import build_router

    api = NinjaAPI(urls_namespace="monitoring_test_api", auth=django_auth)
    api.add_router("/monitoring/", build_router())
    return api


urlpatterns = [path("api/", _api().urls)]


def lead_in(state, household, village=VILLAGE_A, **extra):
    from fupin.monitoring.models import Lead

    values = dict(channel="cadre", state=state, region_code=village, household_id=household, year=YEAR,
                  received_at=NOW, verify_due=NOW.date(), decide_due=NOW.date() + timedelta(days=15),
                  category="marginal", risk_types=["serious_illness"], notice_start=date(2024, 3, 1),
                  notice_end=date(2024, 3, 1))
    values.update(extra)
    return Lead.objects.within(EVERYWHERE).create(**values)


def test_api_lists_steps_and_refuses_out_of_region(registry, client, users):
    mine, other = lead_in("notice", "H1"), lead_in("notice", "H4", VILLAGE_C)
    client.force_login(users["town"])
    listed = client.get("/api/monitoring/leads").json()
    assert [row["id"] for row in listed] == [mine.pk]
    assert client.get(f"/api/monitoring/leads/{other.pk}").status_code == 404
    done = client.post(f"/api/monitoring/leads/{mine.pk}/steps", {"action": "town_review"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "town_reviewed"
    again = client.post(f"/api/monitoring/leads/{mine.pk}/steps", {"action": "town_review"},
                        content_type="application/json")
    assert again.status_code == 409


def test_api_bulk_reports_refusals(registry, client, users):
    a, b = lead_in("notice", "H1"), lead_in("new", "H2")
    client.force_login(users["town"])
    response = client.post("/api/monitoring/leads/bulk", {"action": "town_review", "leads": [a.pk, b.pk]},
                           content_type="application/json")
    assert response.status_code == 409 and list(response.json()["refused"]) == [str(b.pk)]
