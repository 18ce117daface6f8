"""Request hygiene and response headers (issue 9): NUL bytes and numbers out of range are 4xx on
every page, personal data is never cached, HTTPS deployments get Secure cookies and HSTS, file
names in Content-Disposition come from validated values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.regions import COUNTY, TOWN, VILLAGE_A
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db

HUGE = "9" * 25

PAGES = [
    "/", "/households/", "/households/H1/", f"/households/H1/{YEAR}/edit/", "/monitoring/", "/monitoring/overdue/",
    f"/worklists/{VILLAGE_A}/", f"/dashboard/{COUNTY}/", "/policy/", "/jobs/", "/audit/",
]
BAD_VALUES = [HUGE, "-1", "0", "abc", "%00", "1%00", "%FF%FE", "9" * 300]
PARAMS = ["year", "page", "region", "state", "channel", "purpose", "list", "key", "q", "status", "overdue"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_no_page_answers_500_to_a_bad_parameter_value(assessed, client, admin_user, value):
    client.force_login(admin_user)
    failures = []
    for page in PAGES:
        query = "&".join(f"{name}={value}" for name in PARAMS)
        status = client.get(f"{page}?{query}").status_code
        if status >= 500:
            failures.append((page, status))
    assert failures == []


@pytest.mark.parametrize("url", [
    f"/monitoring/{HUGE}/", f"/jobs/{HUGE}/", f"/jobs/{HUGE}/progress/", f"/monitoring/match/{HUGE}/rejects.xlsx",
    f"/households/H1/{HUGE}/edit/", f"/households/H1/{YEAR}/members/{HUGE}/edit/", "/households/" + "H" * 80 + "/",
    f"/monitoring/notice/{VILLAGE_A}%22%3B%20filename%3Devil.html/notice.pdf", "/monitoring/notice/abc/",
])
def test_paths_that_cannot_name_a_row_are_404(assessed, client, admin_user, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 404


def test_a_nul_byte_in_the_path_query_or_form_is_400(assessed, client, village_user):
    client.force_login(village_user)
    assert client.get("/households/?q=%00").status_code == 400
    assert client.get("/households/H%001/").status_code == 400
    assert client.post(f"/households/H1/{YEAR}/edit/", {"hamlet": "a\x00b"}).status_code == 400
    assert "非法字符" in client.get("/households/?region=5%00").content.decode()


def test_pages_files_and_api_answers_with_personal_data_are_not_cached(assessed, client, village_user,
                                                                       api_headers):
    client.force_login(village_user)
    for url in ("/households/", "/households/H1/", f"/worklists/{VILLAGE_A}/", "/monitoring/"):
        assert "no-store" in client.get(url)["Cache-Control"], url
    export = client.get(f"/worklists/{VILLAGE_A}/export/?year={YEAR}&list=unmet")
    assert export.status_code == 200 and "no-store" in export["Cache-Control"]
    api = client.get("/api/households", **api_headers(village_user))
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]


def test_notice_pdf_file_name_is_built_by_the_encoder(assessed, client, town_user):
    client.force_login(town_user)
    response = client.get(f"/monitoring/notice/{VILLAGE_A}/notice.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="notice-{VILLAGE_A}.pdf"'


HTTPS_PROBE = """
import django, os
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/accounts/login/", secure=True)
plain = Client().get("/accounts/login/")
print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, response.get("Strict-Transport-Security"),
      response.cookies["csrftoken"]["secure"], plain.status_code)
"""


@pytest.mark.parametrize(("https", "expected"), [
    ("1", "True True max-age=31536000; includeSubDomains True 301"),
    ("", "False False None  200"),
])
def test_served_over_https_cookies_are_secure_and_hsts_is_sent(tmp_path, https, expected):
    env = {**os.environ, "FUPIN_HTTPS": https, "DJANGO_SETTINGS_MODULE": "fupin.site.settings",
           "FUPIN_DB": f"sqlite:///{tmp_path / 'probe.sqlite3'}"}
    out = subprocess.run([sys.executable, "-c", HTTPS_PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_town_user_sees_the_town_notice_only_inside_the_town(assessed, client, town_user):
    client.force_login(town_user)
    assert TOWN.startswith(town_user.region)
    assert client.get("/monitoring/notice/500102001201/notice.pdf").status_code == 404


# --- uploads are bounded while they arrive (fupin.web.uploads) --------------------------------

def test_an_upload_over_the_limit_is_400_with_the_limit_and_nothing_is_saved(client, county_user, settings,
                                                                            tmp_path):
    import io

    settings.FUPIN_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024      # every file part goes to a temporary file
    client.force_login(county_user)
    body = io.BytesIO(b"x" * (2 * 1024 * 1024))
    body.name = "big.xlsx"
    response = client.post("/shocks/import/", {"file": body})
    page = response.content.decode()
    assert response.status_code == 400
    assert "超过 1 MB 的上限" in page and "Traceback" not in page
    assert list(tmp_path.iterdir()) == []            # the body was refused before any file was kept


def test_an_upload_under_the_limit_reaches_the_view(client, county_user, settings):
    import io

    settings.FUPIN_MAX_UPLOAD_BYTES = 1024 * 1024
    client.force_login(county_user)
    body = io.BytesIO(b"not a workbook")
    body.name = "small.pdf"
    response = client.post("/shocks/import/", {"file": body}, follow=True)
    assert response.status_code == 200   # the view's own answer: a wrong type, in Chinese
