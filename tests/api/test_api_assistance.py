"""``/api/households/{id}/measures`` and ``/api/coverage`` through the one scoping layer: a
foreign household is 404, a read-only role may not record (403), a measure failing the import's
checks is 422 with the Chinese message."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.application import policy as policy_provider
from fupin.assistance.models import Measure
from tests.assistance.ledger_helpers import YEAR, store_registry
from tests.engine.engine_helpers import policy as chongqing
from tests.regions import COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
GOOD = {"subtype": "产业奖补", "status": "已落实", "responsible_unit": "县农业农村委", "start": "2022-03-01",
        "amount": "1200"}


@pytest.fixture
def stored():
    return store_registry()


def post(client, headers, hid, body):
    return client.post(f"/api/households/{hid}/measures", body, content_type="application/json", **headers)


def test_a_village_cadre_records_a_measure_and_reads_it_back(client, village_user, api_headers, stored):
    auth = api_headers(village_user)
    made = post(client, auth, "H1", GOOD)
    assert made.status_code == 201, made.content
    assert (made.json()["subtype"], made.json()["amount"], made.json()["family"]) == ("产业奖补", 1200.0, "产业帮扶")
    listed = client.get("/api/households/H1/measures", **auth).json()
    assert [m["subtype"] for m in listed] == ["产业奖补"]
    assert Measure.objects.within(EVERYWHERE).get().history.count() == 1


def test_posting_the_same_measure_twice_keeps_one_row(client, village_user, api_headers, stored):
    auth = api_headers(village_user)
    post(client, auth, "H1", GOOD)
    assert post(client, auth, "H1", GOOD).status_code == 201
    assert Measure.objects.within(EVERYWHERE).count() == 1


def test_a_measure_failing_the_import_checks_is_422_with_the_chinese_message(client, village_user, api_headers, stored):
    auth = api_headers(village_user)
    bad = post(client, auth, "H1", {**GOOD, "subtype": "不存在的措施"})
    assert bad.status_code == 422
    assert "不是" in bad.json()["detail"] or "小类" in bad.json()["detail"]
    no_amount = post(client, auth, "H1", {**GOOD, "amount": None})
    assert no_amount.status_code == 422 and "金额" in no_amount.json()["detail"]
    assert Measure.objects.within(EVERYWHERE).count() == 0


def test_a_household_of_another_village_is_404_and_a_read_only_role_is_403(
        client, village_user, analyst_user, api_headers, stored):
    assert post(client, api_headers(village_user), "H3", GOOD).status_code == 404
    assert client.get("/api/households/H3/measures", **api_headers(village_user)).status_code == 404
    assert post(client, api_headers(analyst_user), "H1", GOOD).status_code == 403


def test_coverage_gives_the_rates_of_the_region_and_its_children(client, county_user, village_user, api_headers,
                                                                 stored, monkeypatch):
    monkeypatch.setattr(policy_provider, "current", chongqing)
    post(client, api_headers(county_user), "H1", GOOD)
    body = client.get(f"/api/coverage?year={YEAR}&region={TOWN}", **api_headers(county_user)).json()
    income = {r["region_code"]: r for r in body["rows"] if r["rule"] == "income"}
    town = income[TOWN + "000"]
    assert (town["level"], town["numerator"], town["denominator"]) == ("town", 1, 2)
    assert {r["level"] for r in body["rows"]} == {"town", "village"}
    assert client.get(f"/api/coverage?year={YEAR}&region={COUNTY}", **api_headers(village_user)).status_code == 404


# --- visits and cadres (issue 13) ---------------------------------------------------------------------

@pytest.fixture
def paired(stored, tmp_path, village_user):
    from fupin.application.assistance import import_assistance
    from fupin.assistance.models import Cadre
    from fupin.io.assistance import write_workbook
    from tests.assistance.ledger_helpers import rows

    path = write_workbook(tmp_path / "p.xlsx", {
        "cadres": rows("cadres", [{"cadre_id": "C1", "name": "王帮扶", "unit": "县财政局", "rank": "正科",
                                   "phone": "13900001111"}]),
        "pairings": rows("pairings", [{"cadre_id": "C1", "household_id": "H1", "start": date(2021, 1, 1)}])})
    import_assistance(EVERYWHERE, path, None)
    Cadre.objects.within(EVERYWHERE).filter(cadre_id="C1").update(user=village_user)
    return Cadre.objects.within(EVERYWHERE).get(cadre_id="C1")


def test_a_cadre_posts_a_visit_and_reads_it_back(client, village_user, api_headers, paired):
    auth = api_headers(village_user)
    made = client.post("/api/households/H1/visits", {"visited_on": f"{YEAR}-12-01", "mode": "入户走访",
                                                     "items": "政策宣传"}, content_type="application/json", **auth)
    assert made.status_code == 201, made.content
    assert (made.json()["cadre_id"], made.json()["mode"]) == ("C1", "入户走访")
    listed = client.get("/api/households/H1/visits", **auth).json()
    assert [v["visited_on"] for v in listed] == [f"{YEAR}-12-01"]


def test_a_visit_failing_the_checks_is_422_and_a_foreign_household_404(client, village_user, api_headers, paired):
    auth = api_headers(village_user)
    bad = client.post("/api/households/H1/visits", {"visited_on": "2999-01-01", "mode": "入户走访"},
                      content_type="application/json", **auth)
    assert bad.status_code == 422 and "visited_on" in bad.json()["errors"]
    assert client.get("/api/households/HX/visits", **auth).status_code == 404
    assert client.post("/api/households/HX/visits", {"visited_on": f"{YEAR}-12-01", "mode": "入户走访"},
                       content_type="application/json", **auth).status_code == 404


def test_cadre_households_in_scope_and_404_for_another_county(client, county_user, other_county_user, api_headers,
                                                              paired):
    got = client.get(f"/api/cadres/{paired.pk}/households", **api_headers(county_user))
    assert got.status_code == 200, got.content
    assert [h["household_id"] for h in got.json()["households"]] == ["H1"]
    assert client.get(f"/api/cadres/{paired.pk}/households", **api_headers(other_county_user)).status_code == 404
    assert client.get("/api/cadres/999999/households", **api_headers(county_user)).status_code == 404
