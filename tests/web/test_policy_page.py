"""The policy page: every value in force, with its source, for analysts and administrators."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_analyst_sees_each_value_with_its_source_and_the_missing_ones(client, analyst_user):
    client.force_login(analyst_user)
    page = client.get("/policy/?year=2022")
    html = page.content.decode()
    assert page.status_code == 200
    assert "防止返贫监测线" in html and "未设置（评估该年度需要此值）" in html
    assert "国家统计局" in html and "national.toml" in html


def test_administrator_sees_the_policy_link_in_the_menu(client, admin_user):
    client.force_login(admin_user)
    assert 'href="/policy/"' in client.get("/households/").content.decode()


def test_village_cadre_may_not_open_the_policy_page(client, village_user):
    client.force_login(village_user)
    assert client.get("/policy/").status_code == 403
