"""API reads: households list and file, region figures — scoped, masked, bounded in queries."""

from __future__ import annotations

import pytest

from fupin.accounts.scoping import Scope
from fupin.registry.models import Household
from tests.regions import CHONGQING, OTHER_COUNTY, TOWN, VILLAGE_A
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def test_list_counts_and_pages_only_the_households_of_the_users_county(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    body = client.get("/api/households?year=2020", **auth).json()
    assert (body["total"], body["page"], body["page_size"]) == (60, 1, 25)
    assert len(body["items"]) == 25
    assert all(item["region_code"].startswith("500101") for item in body["items"])
    last = client.get("/api/households?year=2020&page=3", **auth).json()
    assert len(last["items"]) == 10


def test_list_masks_id_numbers_and_phones(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    items = client.get("/api/households", **auth).json()["items"]
    heads = [i["head_id_number"] for i in items if i["head_id_number"]]
    assert heads and all("*" in h and len(h) == 18 for h in heads)
    assert all(i["phone"] is None or "*" in i["phone"] for i in items)


def test_village_cadre_lists_only_their_village(client, village_user, api_headers, registry):
    auth = api_headers(village_user)
    body = client.get("/api/households?year=2020", **auth).json()
    expected = Household.objects.within(EVERYWHERE).filter(region_code=VILLAGE_A).count()
    assert body["total"] == expected and {i["region_code"] for i in body["items"]} <= {VILLAGE_A}


def test_list_filters_by_status_within_the_scope(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    body = client.get("/api/households?year=2020&status=已脱贫", **auth).json()
    expected = Household.objects.within(EVERYWHERE).filter(region_code__startswith="500101", poverty_status="已脱贫").count()
    assert body["total"] == expected
    assert client.get("/api/households?status=nonsense", **auth).status_code == 422


def test_list_of_a_region_outside_the_scope_is_not_found(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    assert client.get(f"/api/households?region={OTHER_COUNTY}", **auth).status_code == 404


def test_list_costs_a_bounded_number_of_queries(client, county_user, api_headers, registry,
                                                django_assert_max_num_queries):
    auth = api_headers(county_user)
    with django_assert_max_num_queries(8):
        assert client.get("/api/households", **auth).status_code == 200


def test_missing_or_wrong_token_is_refused_with_401(client, county_user, api_headers, registry):
    api_headers(county_user)  # a real token exists, and neither request has it
    assert client.get("/api/households").status_code == 401
    assert client.get("/api/households", HTTP_AUTHORIZATION="Bearer fp_wrong").status_code == 401


def test_wrong_token_is_refused_even_with_a_logged_in_session(client, county_user, registry):
    client.force_login(county_user)
    assert client.get("/api/households", HTTP_AUTHORIZATION="Bearer fp_wrong").status_code == 401
    assert client.get("/api/households").status_code == 200  # the session alone works


def test_token_of_a_deactivated_user_is_refused(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    county_user.is_active = False
    county_user.save()
    assert client.get("/api/households", **auth).status_code == 401


def some_household(prefix: str) -> Household:
    return Household.objects.within(EVERYWHERE).filter(region_code__startswith=prefix).order_by("household_id").first()


def test_household_file_shows_full_ids_to_a_county_officer_and_logs_the_view(client, county_user, api_headers,
                                                                             registry):
    from fupin.accounts.models import SensitiveView

    auth = api_headers(county_user)
    household = some_household(TOWN)
    body = client.get(f"/api/households/{household.household_id}?year=2020", **auth).json()
    assert body["sensitive_shown"] is True
    assert body["members"] and all("*" not in m["id_number"] for m in body["members"])
    assert body["years"] == [2020] and body["verdict"] is None
    logged = SensitiveView.objects.within(EVERYWHERE).get()
    assert (logged.user, logged.household_id, logged.year) == (county_user, household.household_id, 2020)


def test_household_file_masks_ids_for_an_analyst_and_logs_nothing(client, make_user, api_headers, registry):
    from fupin.accounts.models import SensitiveView

    analyst = make_user("analyst_cq", "analyst", CHONGQING)  # a city-wide analyst, read-only
    auth = api_headers(analyst)
    household = some_household(TOWN)
    body = client.get(f"/api/households/{household.household_id}", **auth).json()
    assert body["sensitive_shown"] is False
    assert all("*" in m["id_number"] for m in body["members"])
    assert not SensitiveView.objects.within(EVERYWHERE).exists()


def test_household_file_has_the_latest_verdict_and_its_explanation(client, county_user, api_headers, assessed):
    auth = api_headers(county_user)
    household = some_household(TOWN)
    verdict = client.get(f"/api/households/{household.household_id}", **auth).json()["verdict"]
    assert verdict["year"] == 2020 and verdict["meets_standard"]
    assert household.household_id in verdict["explanation"]
    english = client.get(f"/api/households/{household.household_id}", HTTP_ACCEPT_LANGUAGE="en", **auth).json()
    assert english["verdict"]["explanation"].startswith("Household")


def test_household_of_another_county_is_not_found(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    foreign = some_household(OTHER_COUNTY)
    assert client.get(f"/api/households/{foreign.household_id}", **auth).status_code == 404


def test_household_file_costs_a_bounded_number_of_queries(client, county_user, api_headers, assessed,
                                                          django_assert_max_num_queries):
    auth = api_headers(county_user)
    household = some_household(TOWN)
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/households/{household.household_id}", **auth).status_code == 200


def test_region_summary_gives_the_figures_and_the_subregions(client, county_user, api_headers, assessed):
    auth = api_headers(county_user)
    body = client.get(f"/api/regions/{TOWN}/summary?year=2020", **auth).json()
    assert body["code"] == TOWN + "000" and body["households"] == 60
    assert body["subregions"] and sum(s["households"] for s in body["subregions"]) == 60
    assert all(s["level"] == "village" for s in body["subregions"])
    county_body = client.get("/api/regions/500101/summary", **auth).json()
    assert county_body["households"] == 60 and county_body["year"] == 2020


def test_region_summary_counts_registered_households_of_a_year_not_yet_assessed(client, county_user, api_headers,
                                                                               registry):
    import polars as pl

    from tests.fupin_testdata import synth_frames

    households = synth_frames(60, TOWN)[0]
    registered = households.filter(pl.col("registered").fill_null(False)).height
    body = client.get("/api/regions/500101/summary?year=2020", **api_headers(county_user)).json()
    assert registered > 0 and body["registered_households"] == registered
    assert body["unmet"] == {} and body["leads"] == {}


def test_region_summary_outside_the_scope_is_not_found(client, county_user, village_user, api_headers, assessed):
    auth = api_headers(county_user)
    assert client.get(f"/api/regions/{OTHER_COUNTY}/summary?year=2020", **auth).status_code == 404
    village_auth = api_headers(village_user)
    # a region above the village cadre's own scope would leak the other villages' figures
    assert client.get(f"/api/regions/{TOWN}/summary?year=2020", **village_auth).status_code == 404


def test_region_summary_costs_a_bounded_number_of_queries(client, county_user, api_headers, assessed,
                                                          django_assert_max_num_queries):
    auth = api_headers(county_user)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/regions/{TOWN}/summary?year=2020", **auth).status_code == 200


def test_schema_is_served_with_the_docs_page_and_no_cdn(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/households", "/api/households/{household_id}", "/api/regions/{code}/summary",
            "/api/jobs/import", "/api/jobs/assess", "/api/jobs/export", "/api/jobs/{job_id}",
            "/api/jobs/{job_id}/download"} <= set(schema["paths"])
    docs = client.get("/api/docs").content.decode()
    assert "swagger" in docs.lower() and "cdn" not in docs.lower() and "https://" not in docs


def _monitored_household_of(user) -> str:
    from fupin.registry.models import Household

    households = Household.objects.within(Scope.of(user)).filter(year=2020)
    household = households.filter(monitoring_category__isnull=True).order_by("household_id").first()
    Household.objects.within(EVERYWHERE).filter(pk=household.pk).update(
        monitoring_category="边缘易致贫户", monitoring_since="2020-03", risk_eliminated=False)
    return household.household_id


def test_a_risk_elimination_is_started_and_advanced_through_the_api(client, registry, village_user, api_headers):
    auth = api_headers(village_user)
    household_id = _monitored_household_of(village_user)
    started = client.post(f"/api/households/{household_id}/elimination", **auth)
    assert started.status_code == 201, started.content
    lead = started.json()
    assert lead["purpose"] == "elimination" and lead["state"] == "new" and lead["household_id"] == household_id
    again = client.post(f"/api/households/{household_id}/elimination", **auth)
    assert again.status_code == 201 and again.json()["id"] == lead["id"]
    verified = client.post(f"/api/monitoring/leads/{lead['id']}/steps", {"action": "verify"},
                           content_type="application/json", **auth)
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    reviewed = client.post(f"/api/monitoring/leads/{lead['id']}/steps",
                           {"action": "village_review", "elimination_type": "帮扶消除"},
                           content_type="application/json", **auth)
    assert reviewed.status_code == 200 and reviewed.json()["state"] == "notice"


def test_an_elimination_of_a_household_not_monitored_is_refused_with_the_reason(client, registry, village_user,
                                                                                api_headers):
    from fupin.registry.models import Household

    household_id = (Household.objects.within(Scope.of(village_user)).filter(monitoring_category__isnull=True)
                    .values_list("household_id", flat=True).first())
    response = client.post(f"/api/households/{household_id}/elimination", **api_headers(village_user))
    assert response.status_code == 409 and "当前不是监测对象" in response.json()["detail"]


def test_an_elimination_outside_the_scope_is_not_found(client, registry, village_user, other_county_user,
                                                       api_headers):
    household_id = _monitored_household_of(village_user)
    response = client.post(f"/api/households/{household_id}/elimination", **api_headers(other_county_user))
    assert response.status_code == 404


def test_a_read_only_role_gets_no_health_of_members(client, registry, make_user, api_headers):
    analyst = make_user("analyst_cq", "analyst", "50")
    household_id = Household.objects.within(EVERYWHERE).filter(year=2020).values_list("household_id", flat=True)[0]
    body = client.get(f"/api/households/{household_id}", **api_headers(analyst)).json()
    assert body["sensitive_shown"] is False
    assert all(m["health"] is None and m["disability_grade"] is None for m in body["members"])


def test_a_steward_reads_no_registry_data(client, registry, steward_user, api_headers):
    auth = api_headers(steward_user)
    assert client.get("/api/households", **auth).status_code == 403
    assert client.get("/api/regions/500101/summary", **auth).status_code == 403
    assert client.get("/api/monitoring/leads", **auth).status_code == 403
