"""The farmer's pages: declaration, duplicates, validation, spam and rate limits, lookup, no PII leaks."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from tests.monitoring.monitoring_helpers import TOWN, VILLAGE_A, VILLAGE_B, pid
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db

TOWN12 = TOWN + "000"


def form(**overrides):
    data = {"name": "王二", "phone": "13912345678", "id_number": pid(3), "town": TOWN12, "village": VILLAGE_A,
            "hardship_type": "illness", "text": "家人住院，花费很大", "consent": "on", "website": ""}
    data.update(overrides)
    return data


def test_form_lists_towns_and_their_villages_without_login(registry, client):
    page = client.get("/declare/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "龙沙镇" in html and f'value="{VILLAGE_A}"' in html and 'name="website"' in html
    assert "农户自主申报" in html and "提交" in html  # Chinese by default
    english = client.get("/declare/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Declare a hardship" in english


def test_declaration_creates_a_lead_in_the_village_list_and_shows_a_receipt(registry, client, users):
    from fupin.monitoring.models import Lead

    page = client.post("/declare/", form())
    assert page.status_code == 200
    lead = Lead.objects.within(EVERYWHERE).get()
    assert lead.receipt in page.content.decode()
    assert (lead.channel, lead.region_code, lead.household_id, lead.state) == ("self_declaration", VILLAGE_A, "H2", "new")
    assert lead.consent_at is not None
    client.force_login(users["village"])
    assert lead.receipt not in client.get("/monitoring/").content.decode()
    assert f"/monitoring/{lead.pk}/" in client.get("/monitoring/").content.decode()


def test_declaring_twice_while_open_shows_no_receipt_and_tells_the_village(registry, client, users):
    """Issue 9: the second declaration (perhaps by someone else with this ID) gets no receipt."""
    from fupin.monitoring.models import Lead

    client.post("/declare/", form())
    again = client.post("/declare/", form(text="屋顶被大风掀翻", phone="13700000000"))
    lead = Lead.objects.within(EVERYWHERE).get()
    html = again.content.decode()
    assert again.status_code == 200 and lead.receipt not in html and "已有申报在办理，请联系村委会" in html
    step = lead.steps.get(action="redeclared")
    assert step.data["text"] == "屋顶被大风掀翻" and step.data["phone"] == "13700000000"
    client.force_login(users["village"])
    assert "屋顶被大风掀翻" in client.get(f"/monitoring/{lead.pk}/").content.decode()


def test_declaration_links_a_household_only_inside_the_declared_village(registry, client, users):
    """Issue 9: an ID registered in village A declared in village B must not show A's household to B."""
    from fupin.monitoring.models import Lead

    assert client.post("/declare/", form(village=VILLAGE_B, id_number=pid(3))).status_code == 200
    lead = Lead.objects.within(EVERYWHERE).get()
    assert (lead.region_code, lead.household_id, lead.evidence["registry_match"]) == (VILLAGE_B, "", False)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id_number", pid(3)[:-1] + ("0" if pid(3)[-1] != "0" else "1"), "校验位"),
    ("id_number", "12345", "格式不对"),
    ("phone", "1391234567", "手机号"),
    ("phone", "abc", "手机号"),
    ("consent", "", "授权"),
    ("village", "500101103201", "乡镇"),
])
def test_invalid_declarations_are_refused_with_a_clear_message(registry, client, field, value, message):
    from fupin.monitoring.models import Lead

    page = client.post("/declare/", form(**{field: value}))
    assert page.status_code == 400 and message in page.content.decode()
    assert not Lead.objects.within(EVERYWHERE).exists()


def test_honeypot_filled_creates_nothing(registry, client):
    from fupin.monitoring.models import Lead

    assert client.post("/declare/", form(website="http://spam")).status_code == 400
    assert not Lead.objects.within(EVERYWHERE).exists()


def test_declaration_without_csrf_token_is_refused(registry):
    from fupin.monitoring.models import Lead

    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/declare/", form()).status_code == 403
    assert not Lead.objects.within(EVERYWHERE).exists()


def test_rate_limit_per_ip(registry, client, settings):
    settings.FUPIN_DECLARE_LIMITS = {"declare_ip": (2, 3600)}
    assert client.post("/declare/", form()).status_code == 200
    assert client.post("/declare/", form(id_number=pid(1), name="张大山")).status_code == 200
    assert client.post("/declare/", form(id_number=pid(4), name="赵四")).status_code == 429


def test_rate_limit_per_id_number_across_addresses(registry, settings):
    settings.FUPIN_DECLARE_LIMITS = {"declare_id": (2, 86400)}
    for i, expected in enumerate((200, 200, 429)):
        c = Client(REMOTE_ADDR=f"10.0.0.{i}")
        assert c.post("/declare/", form()).status_code == expected


def test_script_in_the_text_is_escaped_wherever_shown(registry, client, users):
    from fupin.monitoring.models import Lead

    script = "<script>alert('x')</script>"
    client.post("/declare/", form(text=script, name="王二"))
    lead = Lead.objects.within(EVERYWHERE).get()
    assert lead.hardship_text == script  # kept as typed, nothing lost
    client.force_login(users["village"])
    html = client.get(f"/monitoring/{lead.pk}/").content.decode()
    assert script not in html and "&lt;script&gt;" in html


def test_lookup_by_post_shows_state_and_rejection_reason_only(registry, client, users):
    from fupin.monitoring.models import Lead
    from fupin.monitoring.workflow import apply_step

    client.post("/declare/", form())
    lead = Lead.objects.within(EVERYWHERE).get()
    apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "reject", reason="经核实收入稳定")
    page = client.post("/declare/lookup/", {"receipt": lead.receipt.lower()})
    html = page.content.decode()
    assert "经核实收入稳定" in html and "不予认定" in html
    for private in ("王二", pid(3), "13912345678", "家人住院", "H2"):
        assert private not in html
    assert client.post("/declare/lookup/", {"receipt": "SBXXXX-XXXX-XXXX"}).status_code == 400


def test_no_id_number_or_phone_in_log_records(registry, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/declare/", form())
    client.post("/declare/", form(phone="123"))
    client.post("/declare/", form(website="x"))
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert pid(3) not in logged and "13912345678" not in logged
