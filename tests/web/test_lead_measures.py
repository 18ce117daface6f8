"""The monitoring lead's page records measures through the assistance ledger (spec assistance.md
1.2): it lists the household's ledger measures and opens the household's own "登记帮扶措施"
form, which saves through the same use case and comes back to the lead. The old lead-page form
(``monitoring.Assistance``) is gone; rows it wrote show read-only. Decision 0007.

Registry: tests/web/web_helpers.py (H1 in VILLAGE_A, H4 in VILLAGE_B).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from urllib.parse import quote

import polars as pl
import pytest
from django.test import Client

from fupin.assistance.models import Measure
from fupin.monitoring.models import Assistance, Lead
from tests.regions import VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE
from tests.web.test_cadre_ready import parse, problems_in_chinese
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db
GOOD = {"subtype": "产业奖补", "member": "", "start": f"{YEAR}-03-01", "amount": "1200", "status": "已落实",
        "responsible_unit": "县农业农村委"}


def _lead(household_id: str, village: str, **fields) -> Lead:
    from fupin.monitoring.clock import now

    at = now()
    values = {"channel": "engine", "state": "verified", "region_code": village, "household_id": household_id,
              "year": YEAR, "name": "张一", "received_at": at, "verify_due": at.date(),
              "decide_due": at.date() + timedelta(days=15), **fields}
    return Lead.objects.within(EVERYWHERE).create(**values)


@pytest.fixture
def lead(assessed):
    return _lead("H1", VILLAGE_A)


def _form_url(html: str) -> str:
    """The href of the lead page's "登记帮扶措施" button."""
    start = html.index('id="record-measure" href="') + len('id="record-measure" href="')
    return html[start:html.index('"', start)].replace("&amp;", "&")


def _coverage(tmp_path, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``fupin assist coverage --db``: the coverage rows and the uncovered list. The command line
    is parsed and its database handler run as ``main`` does, without ``prepare``'s pointing Django
    at the URL: in a test process the connection is the test database already."""
    from fupin.cli import _handler, build_parser
    from fupin.cli.commands import COMMANDS

    out = tmp_path / f"{name}.csv"
    args = build_parser().parse_args(["assist", "coverage", "--year", str(YEAR), "--db", os.environ["FUPIN_DB"],
                                      "--out", str(out)])
    handler = COMMANDS["assist"].handler_for(args)
    assert handler == "fupin.cli.assistance_db:assist_command"
    assert _handler(handler)(args) == 0
    return pl.read_csv(out, infer_schema_length=0), pl.read_csv(out.with_name(f"{name}.uncovered.csv"),
                                                                infer_schema_length=0)


def _income_of_village(coverage: pl.DataFrame) -> int:
    row = coverage.filter((pl.col("rule") == "income") & (pl.col("region_code") == VILLAGE_A))
    return int(row["numerator"][0])


def test_a_measure_recorded_from_the_lead_page_shows_on_the_lead_the_household_and_in_coverage(
        lead, cadre_client, tmp_path):
    before, uncovered_before = _coverage(tmp_path, "before")
    assert "H1" in uncovered_before.filter(pl.col("rule") == "income")["household_id"].to_list()

    page = cadre_client.get(f"/monitoring/{lead.pk}/").content.decode()
    assert 'id="measures"' in page and "尚未登记帮扶措施" in page
    form_url = _form_url(page)
    assert form_url == (f"/households/H1/{YEAR}/measures/new/?next="
                        + quote(f"/monitoring/{lead.pk}/#measures", safe=""))
    form = cadre_client.get(form_url)
    assert form.status_code == 200 and 'id="measure-form"' in form.content.decode()

    saved = cadre_client.post(form_url, GOOD)
    assert saved.status_code == 302 and saved["Location"] == f"/monitoring/{lead.pk}/#measures"
    measure = Measure.objects.within(EVERYWHERE).get(household_id="H1")
    assert (measure.subtype, measure.amount, measure.region_code) == ("产业奖补", 1200.0, VILLAGE_A)
    assert not Assistance.objects.within(EVERYWHERE).exists()  # the old table is no longer written

    back = cadre_client.get(saved["Location"]).content.decode()
    assert "已登记帮扶措施：产业奖补" in back  # the use case's message, shown on the lead page
    lead_table = back[back.index('id="measure-table"'):]
    assert "产业奖补" in lead_table and "全户" in lead_table and "县农业农村委" in lead_table
    household = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert "产业奖补" in household[household.index('id="measure-table"'):]

    after, uncovered_after = _coverage(tmp_path, "after")
    assert _income_of_village(after) == _income_of_village(before) + 1
    assert "H1" not in uncovered_after.filter(pl.col("rule") == "income")["household_id"].to_list()


def test_the_lead_page_form_refuses_what_the_import_would_refuse_with_the_same_message(lead, cadre_client):
    form_url = _form_url(cadre_client.get(f"/monitoring/{lead.pk}/").content.decode())
    refused = cadre_client.post(form_url, {**GOOD, "amount": ""})  # A05: 金额 required for a 元 measure
    assert refused.status_code == 200
    html = refused.content.decode()
    assert 'data-field="amount"' in html and "金额" in html
    assert not Measure.objects.within(EVERYWHERE).exists()


def test_the_return_address_must_be_on_this_site(lead, cadre_client):
    saved = cadre_client.post(f"/households/H1/{YEAR}/measures/new/?next=https://evil.example/x", GOOD)
    assert saved.status_code == 302 and saved["Location"] == f"/households/H1/?year={YEAR}#measures"


def test_another_villages_lead_is_404_and_its_household_form_too(assessed, cadre_client):
    other = _lead("H4", VILLAGE_B, name="李四")
    assert cadre_client.get(f"/monitoring/{other.pk}/").status_code == 404
    assert cadre_client.post(f"/households/H4/{YEAR}/measures/new/?next=/monitoring/{other.pk}/",
                             GOOD).status_code == 404
    assert not Measure.objects.within(EVERYWHERE).exists()


def test_the_old_lead_assistance_address_is_gone(lead, cadre_client):
    assert cadre_client.post(f"/monitoring/{lead.pk}/assistance/",
                             {"type": "health", "description": "x", "date": "2024-03-04"}).status_code == 404
    assert not Assistance.objects.within(EVERYWHERE).exists()


def test_recording_from_the_lead_page_needs_the_csrf_token(lead, village_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(village_user)
    html = client.get(f"/monitoring/{lead.pk}/").content.decode()
    form_url = _form_url(html)
    assert client.post(form_url, GOOD).status_code == 403
    assert not Measure.objects.within(EVERYWHERE).exists()
    form = client.get(form_url).content.decode()
    token = form[form.index('name="csrfmiddlewaretoken" value="') + 34:].split('"', 1)[0]
    assert client.post(form_url, {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302
    assert Measure.objects.within(EVERYWHERE).count() == 1


def test_a_read_only_role_sees_the_measures_without_the_button(lead, client, analyst_user):
    from fupin.accounts.scoping import Scope
    from fupin.application import assistance as use

    use.record_measure(Scope.system(), "H1", GOOD)
    client.force_login(analyst_user)
    html = client.get(f"/monitoring/{lead.pk}/").content.decode()
    assert "产业奖补" in html and 'id="record-measure"' not in html


def test_a_lead_without_household_number_says_to_fill_it_in_and_offers_no_form(assessed, cadre_client):
    unverified = _lead("", VILLAGE_A, state="new")
    html = cadre_client.get(f"/monitoring/{unverified.pk}/").content.decode()
    assert 'id="measures-no-household"' in html and "户编号" in html and 'id="record-measure"' not in html


def test_earlier_lead_assistance_rows_show_read_only_and_the_page_is_all_chinese(lead, cadre_client):
    Assistance.objects.create(household_id="H1", year=YEAR, region_code=VILLAGE_A, lead=lead, type="health",
                              description="协助申请大病救助", date=date(YEAR, 3, 4))
    html = cadre_client.get(f"/monitoring/{lead.pk}/").content.decode()
    earlier = html[html.index('id="earlier-assistance"'):]
    assert "以前登记的帮扶记录" in earlier and "协助申请大病救助" in earlier
    assert 'action="/monitoring/' + str(lead.pk) + '/assistance/"' not in html
    page = parse(html)
    assert not [p for t in page.texts for p in problems_in_chinese(t, frozenset({"cadre_a"}))]
