"""A village cadre on a 375 px phone opens a household, taps 登记就业, chooses a member and an open
public-welfare post and saves; the post's page then lists the holder, and the posts, checks and
送工送岗 tabs fit the screen too.

Headless Debian Chromium (Playwright) against ``live_server``; screenshots go to test-artifacts/
(employment-*.png). No page scrolls sideways at 375 px.
"""

from __future__ import annotations

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.scopes import EVERYWHERE


@pytest.fixture
def posts_site(transactional_db, village_user):
    """The employment registry and posts of tests/assistance/employment_helpers.py."""
    from fupin.registry.services.divisions import ensure_divisions
    from tests.assistance.employment_helpers import store_people, store_posts

    ensure_divisions()
    ids = store_people()
    store_posts()
    return ids


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_a_cadre_records_a_placement_on_a_375_px_phone(posts_site, village_user, live_server, artifacts_dir):
    from fupin.assistance.models import Placement

    sync_playwright = _playwright()
    overflowing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            page.goto(live_server.url + "/households/H1/")
            page.click("#record-employment")
            page.wait_for_load_state()
            assert "登记就业" in page.content()
            page.select_option("#id_member", label="李四（配偶）")
            page.select_option("#id_post", "G1")
            page.fill("#id_start", "2022-03-01")
            page.select_option("#id_mode", "公益性岗位")
            page.select_option("#id_service", "送工送岗")
            if not _fits(page):
                overflowing.append("form")
            page.screenshot(path=str(artifacts_dir / "employment-form-375.png"), full_page=True)
            page.click("#save-placement")
            page.wait_for_load_state()
            assert "已登记就业" in page.content()
            assert "G1" in page.locator("#household-placements").inner_text()
            page.screenshot(path=str(artifacts_dir / "employment-form-after-375.png"), full_page=True)
            page.goto(live_server.url + "/employment/posts/G1/")
            assert "李四" in page.locator("#placement-table").inner_text()
            if not _fits(page):
                overflowing.append("post")
            page.screenshot(path=str(artifacts_dir / "employment-post-375.png"), full_page=True)
            for name, url in (("posts", "/employment/posts/"), ("checks", "/employment/checks/"),
                              ("offers", "/employment/offers/")):
                page.goto(live_server.url + url)
                assert page.locator("#employment-tabs").is_visible()
                if not _fits(page):
                    overflowing.append(name)
                page.screenshot(path=str(artifacts_dir / f"employment-{name}-375.png"), full_page=True)
            page.close()
            wide = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            _login(wide, live_server.url, village_user.username)
            for name, url in (("posts", "/employment/posts/"), ("offers", "/employment/offers/")):
                wide.goto(live_server.url + url)
                wide.screenshot(path=str(artifacts_dir / f"employment-{name}-1366.png"), full_page=True)
        finally:
            browser.close()
    assert overflowing == []
    stored = Placement.objects.within(EVERYWHERE).get()
    assert (stored.household_id, stored.post_id, stored.mode) == ("H1", "G1", "公益性岗位")
