"""Tokens from the command line: issued with an expiry, the old one revoked, listed, revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.accounts.services import user_for_token
from fupin.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def db_url(settings):
    return None  # the test database is already set up; --db would switch away from it


def test_a_new_token_expires_and_revokes_the_previous_one(county_user, capsys):
    assert main(["token", county_user.username]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["token", county_user.username, "--days", "7"]) == 0
    second = capsys.readouterr().out.strip()
    assert user_for_token(first) is None and user_for_token(second) == county_user
    token = ApiToken.objects.get(digest=ApiToken.digest_of(second))
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


def test_an_expired_token_is_refused(county_user, capsys):
    main(["token", county_user.username])
    token = capsys.readouterr().out.strip()
    ApiToken.objects.filter(user=county_user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert user_for_token(token) is None


def test_tokens_are_listed_without_their_secret_and_revoked(county_user, capsys):
    main(["token", county_user.username])
    token = capsys.readouterr().out.strip()
    assert main(["token", county_user.username, "--list"]) == 0
    listed = capsys.readouterr().out
    assert "有效 active" in listed and token not in listed
    assert main(["token", county_user.username, "--revoke"]) == 0
    assert "已吊销 (revoked) 1" in capsys.readouterr().out
    assert user_for_token(token) is None


def test_the_api_refuses_a_revoked_token(client, county_user, capsys):
    main(["token", county_user.username])
    token = capsys.readouterr().out.strip()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/households", **auth).status_code == 200
    main(["token", county_user.username, "--revoke"])
    assert client.get("/api/households", **auth).status_code == 401
