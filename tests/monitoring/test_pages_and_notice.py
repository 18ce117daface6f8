"""Workbench pages (scoping, bounded queries, bulk, upload) and the public notice's redaction."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from tests.monitoring.monitoring_helpers import (
    NOW,
    VILLAGE_A,
    VILLAGE_C,
    YEAR,
    build_registry,
)
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def lead_in(state, household, village=VILLAGE_A, **extra):
    from fupin.monitoring.models import Lead

    values = dict(channel="cadre", state=state, region_code=village, household_id=household, year=YEAR,
                  name="姓名", id_number="", received_at=NOW, verify_due=NOW.date(),
                  decide_due=NOW.date() + timedelta(days=15), category="marginal", risk_types=["serious_illness"],
                  notice_start=date(2024, 3, 4), notice_end=date(2024, 3, 8))
    values.update(extra)
    return Lead.objects.within(EVERYWHERE).create(**values)


def test_pages_of_a_lead_in_another_region_are_not_found(registry, client, users):
    lead = lead_in("notice", "H4", VILLAGE_C)
    client.force_login(users["village"])
    assert client.get(f"/monitoring/{lead.pk}/").status_code == 404
    assert client.post(f"/monitoring/{lead.pk}/step/", {"action": "reject", "reason": "x"}).status_code == 404
    assert client.post(f"/monitoring/{lead.pk}/assistance/", {"type": "health", "description": "x",
                                                              "date": "2024-03-04"}).status_code == 404
    assert client.get(f"/monitoring/notice/{VILLAGE_C}/").status_code == 404
    assert client.get("/monitoring/?region=500101103").status_code == 404
    # The lead's link, not the bare "H4" that a random CSRF token may contain.
    assert f"/monitoring/{lead.pk}/" not in client.get("/monitoring/?state=notice").content.decode()


def test_list_shows_masked_ids_and_overdue_flags_with_bounded_queries(registry, client, users,
                                                                      django_assert_max_num_queries, monkeypatch):
    from fupin.monitoring import clock
    from tests.monitoring.monitoring_helpers import pid

    for i in range(20):
        lead_in("new", "H1", id_number=pid(1), verify_due=date(2024, 3, 1) if i % 2 else date(2024, 3, 9))
    monkeypatch.setattr(clock, "now", lambda: NOW)
    client.force_login(users["village"])
    with django_assert_max_num_queries(8):
        html = client.get("/monitoring/").content.decode()
    assert pid(1) not in html and pid(1)[-4:] in html
    assert html.count("入户核实已超期 3 天") == 10


def test_bulk_page_refuses_all_when_one_lead_is_refused(registry, client, users):
    from fupin.monitoring.models import Lead

    ok = lead_in("notice", "H1", notice_end=date(2024, 3, 1))
    bad = lead_in("new", "H2")
    client.force_login(users["town"])
    page = client.post("/monitoring/bulk/", {"leads": [ok.pk, bad.pk], "action": "town_review"})
    assert page.status_code == 409 and f"#{bad.pk}" in page.content.decode()
    assert Lead.objects.within(EVERYWHERE).get(pk=ok.pk).state == "notice"
    assert client.post("/monitoring/bulk/", {"leads": [ok.pk], "action": "town_review"}).status_code == 302
    assert Lead.objects.within(EVERYWHERE).get(pk=ok.pk).state == "town_reviewed"


def test_cadre_records_a_lead_from_the_phone_page(registry, client, users):
    from fupin.monitoring.models import Lead
    from tests.monitoring.monitoring_helpers import pid

    client.force_login(users["village"])
    assert client.get("/monitoring/new/").status_code == 200
    page = client.post("/monitoring/new/", {"village": VILLAGE_A, "name": "张大山", "id_number": pid(1),
                                            "phone": "", "hardship_type": "accident", "text": "摔伤"})
    lead = Lead.objects.within(EVERYWHERE).get()
    assert page.status_code == 302 and (lead.channel, lead.household_id, lead.created_by) == ("cadre", "H1", users["village"])
    client.force_login(users["analyst"])
    assert client.get("/monitoring/new/").status_code == 403


def test_upload_page_queues_a_matching_job_for_stewards_and_keeps_its_rejects(registry, client, users, run_jobs):
    from tests.monitoring.monitoring_helpers import pid

    csv = f"姓名,证件号码,年度,合规自付医疗费用\n张大山,{pid(1)},{YEAR},99999\n无,123,{YEAR},1\n".encode()
    client.force_login(users["village"])
    assert client.get("/monitoring/match/").status_code == 403
    client.force_login(users["steward"])
    upload = io.BytesIO(csv)
    upload.name = "医保.csv"
    with run_jobs():
        queued = client.post("/monitoring/match/", {"kind": "medical", "year": YEAR, "file": upload})
    assert queued.status_code == 302 and "/jobs/" in queued.url
    job_page = client.get(queued.url).content.decode()
    assert "新建线索 1 条" in job_page and "退回 1 行" in job_page
    html = client.get("/monitoring/match/").content.decode()
    link = re.search(r'href="(/monitoring/match/\d+/rejects.xlsx)"', html).group(1)
    assert client.get(link).status_code == 200
    client.force_login(users["county_other"])
    assert client.get(link).status_code == 404
    # Issue 9: the rejects hold full ID numbers and medical costs: not for analysts, and logged.
    client.force_login(users["analyst"])
    assert client.get(link).status_code == 403
    from fupin.accounts.models import SensitiveView

    assert SensitiveView.objects.within(EVERYWHERE).filter(user=users["steward"], what__startswith="download").exists()
    bad = io.BytesIO("名字\n张三\n".encode())
    bad.name = "x.csv"
    client.force_login(users["steward"])
    with run_jobs():
        failed = client.post("/monitoring/match/", {"kind": "medical", "year": YEAR, "file": bad})
    assert "缺少列" in client.get(failed.url).content.decode()


# --- public notice ----------------------------------------------------------------------------

def _registry_secrets() -> list[str]:
    households, members = build_registry()[:2]
    return [s for s in members["id_number"].to_list() + households["phone"].to_list() if s]


def _notice_leads():
    lead_in("notice", "H1", id_number=build_registry()[1]["id_number"][0], phone="13800000001")
    lead_in("notice", "H2", category="marginal")
    lead_in("notice", "H6", purpose="elimination", elimination_type="帮扶消除", category="")


def test_notice_html_lists_head_group_and_category_and_never_ids_or_phones(registry, client, users):
    _notice_leads()
    client.force_login(users["village"])
    html = client.get(f"/monitoring/notice/{VILLAGE_A}/").content.decode()
    assert "张大山" in html and "二组" in html and "边缘易致贫户" in html and "帮扶消除" in html
    assert "2024年3月4日" in html and "2024年3月8日" in html
    assert "患有大病" not in html
    for secret in _registry_secrets():
        assert secret not in html, secret


def test_notice_pdf_text_never_contains_ids_or_phones(registry, client, users):
    pytest.importorskip("weasyprint", reason="WeasyPrint not installed (pip install weasyprint)")
    pypdf = pytest.importorskip("pypdf", reason="pypdf needed to read the PDF text")
    _notice_leads()
    client.force_login(users["village"])
    response = client.get(f"/monitoring/notice/{VILLAGE_A}/notice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s", "", text)
    assert "张大山" in flat and "公示" in flat
    for secret in _registry_secrets():
        assert secret not in flat, secret


def test_notice_pdf_without_a_chinese_font_refuses_with_what_to_install(registry, client, users, monkeypatch):
    from fupin.web import notice

    monkeypatch.setattr(notice, "chinese_font_installed", lambda: False)
    _notice_leads()
    client.force_login(users["village"])
    response = client.get(f"/monitoring/notice/{VILLAGE_A}/notice.pdf")
    assert response.status_code == 503
    text = response.content.decode()
    assert "fonts-wqy-microhei" in text and "网页版公示" in text
