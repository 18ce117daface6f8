"""Login throttling, session expiry, CSRF, admin for administrators only, language switch."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from fupin.accounts.models import FailedLogin
from fupin.accounts.services import MAX_FAILED_LOGINS
from tests.fupin_testdata import PASSWORD
from tests.regions import VILLAGE_A

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_renders_in_chinese_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_successful_login_sends_a_village_cadre_to_their_village_dashboard(client, village_user):
    response = post_login(client, village_user.username, PASSWORD)
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == f"/dashboard/{VILLAGE_A}/"


def test_failed_login_is_recorded_with_the_username(client, village_user):
    response = post_login(client, village_user.username, "wrong-password-1")
    assert response.status_code == 200
    assert FailedLogin.objects.filter(username=village_user.username).count() == 1


def test_login_is_locked_after_repeated_failures_even_with_the_right_password(client, village_user):
    for _ in range(MAX_FAILED_LOGINS):
        post_login(client, village_user.username, "wrong-password-1")
    response = post_login(client, village_user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_login_clears_earlier_failures(client, village_user):
    post_login(client, village_user.username, "wrong-password-1")
    post_login(client, village_user.username, PASSWORD)
    assert not FailedLogin.objects.filter(username=village_user.username).exists()


def test_session_expires_after_the_configured_working_day(client, village_user):
    post_login(client, village_user.username, PASSWORD)
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_login_without_csrf_token_is_refused(village_user):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": village_user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_logout_ends_the_session(client, village_user):
    client.force_login(village_user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/households/").status_code == 302  # back to the login page


def test_pages_need_a_login(client):
    for url in ("/", "/households/", f"/dashboard/{VILLAGE_A}/", f"/worklists/{VILLAGE_A}/", "/households/H1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_admin_site_is_for_administrators_only(client, village_user):
    client.force_login(village_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_role_reaches_the_admin_site(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_language_switch_to_english(client, village_user):
    client.force_login(village_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/households/"})
    assert "Households" in client.get("/households/").content.decode()


def test_interface_is_chinese_by_default(client, village_user):
    client.force_login(village_user)
    html = client.get("/households/").content.decode()
    assert "户档" in html and "姓名、证件号码、户编号或电话" in html


def test_home_sends_a_county_officer_to_the_county_dashboard(client, county_user):
    client.force_login(county_user)
    assert client.get("/")["Location"] == "/dashboard/500101000000/"


def _fail(client, username, address, times=1):
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong-password-1"}, REMOTE_ADDR=address)


def test_a_stranger_cannot_lock_a_user_out_of_their_own_address(client, village_user):
    _fail(client, village_user.username, "203.0.113.9", times=8)
    locked = client.post("/accounts/login/", {"username": village_user.username, "password": PASSWORD},
                         REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429
    own = client.post("/accounts/login/", {"username": village_user.username, "password": PASSWORD},
                      REMOTE_ADDR="198.51.100.7")
    assert own.status_code == 302


def test_one_address_trying_many_accounts_is_throttled(client, make_user):
    for i in range(20):
        _fail(client, f"nobody{i}", "203.0.113.10")
    user = make_user("fresh", "village", "500101102201")
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.10")
    assert response.status_code == 429


def test_the_admin_login_is_the_throttled_login(client, admin_user):
    _fail(client, admin_user.username, "203.0.113.11", times=5)
    response = client.post("/admin/login/", {"username": admin_user.username, "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.11")
    assert response.status_code == 429
    assert client.post("/admin/login/", {"username": admin_user.username, "password": PASSWORD},
                       REMOTE_ADDR="198.51.100.8").status_code == 302


def test_authenticating_by_any_path_counts_towards_the_throttle(village_user):
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.12")
    for _ in range(5):
        assert authenticate(request, username=village_user.username, password="nope-nope-1") is None
    assert authenticate(request, username=village_user.username, password=PASSWORD) is None
