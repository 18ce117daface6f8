"""The 明白卡 from the web: one household's card from its file, a village's cards as a job its
cadre follows and downloads; within the region, every print in the audit log."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from fupin.accounts.models import SensitiveView
from tests.regions import VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db


def test_household_file_prints_its_card_as_one_pdf_page_and_logs_it(assessed, cadre_client, village_user):
    html = cadre_client.get(f"/households/H1/?year={YEAR}").content.decode()
    assert f'href="/households/H1/{YEAR}/card.pdf"' in html and "打印明白卡" in html
    response = cadre_client.get(f"/households/H1/{YEAR}/card.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 1 and "H1" in pages[0].extract_text() and "明白卡" in pages[0].extract_text()
    logged = SensitiveView.objects.within(EVERYWHERE).filter(user=village_user, what__startswith="print:card")
    assert [(v.household_id, v.region_code) for v in logged] == [("H1", VILLAGE_A)]


def test_a_household_of_another_village_has_no_card_for_this_cadre(assessed, client, users):
    client.force_login(users["village_b"])
    assert client.get(f"/households/H1/{YEAR}/card.pdf").status_code == 404


def test_village_cadre_prints_the_village_cards_as_a_job_and_downloads_them(assessed, cadre_client, run_jobs):
    page = cadre_client.get(f"/worklists/{VILLAGE_A}/?year={YEAR}").content.decode()
    assert 'id="village-cards"' in page and "全村帮扶明白卡" in page
    with run_jobs():
        response = cadre_client.post("/jobs/cards/", {"village": VILLAGE_A, "year": YEAR, "paper": "A4", "all": "on"})
    assert response.status_code == 302
    detail = cadre_client.get(response["Location"]).content.decode()
    assert "明白卡" in detail and "返回本村" in detail and 'href="/jobs/"' not in detail  # no list they cannot open
    job_id = response["Location"].rstrip("/").split("/")[-1]
    pdf = cadre_client.get(f"/jobs/{job_id}/download/output/")
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content)))
    assert len(reader.pages) >= 2  # every household of the village, one page each
    # The job list stays the county's: a cadre follows only the job they started.
    assert cadre_client.get("/jobs/").status_code == 403


def test_village_cards_of_another_village_cannot_be_started(assessed, cadre_client):
    response = cadre_client.post("/jobs/cards/", {"village": VILLAGE_B, "year": YEAR, "paper": "A5"})
    assert response.status_code == 404


def test_a_town_code_is_refused_as_a_village(assessed, client, users):
    client.force_login(users["town"])
    response = client.post("/jobs/cards/", {"village": VILLAGE_A[:9] + "000", "year": YEAR, "paper": "A5"},
                           follow=True)
    assert "不是村级区划代码" in response.content.decode()
