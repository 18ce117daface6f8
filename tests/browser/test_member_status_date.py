"""The member form on a phone and a desk: 人员状态变动日期 (a date picker) shows only once 人员状态
is not 正常 — hidden for a living member, shown when the cadre picks 死亡 (CSS only, no script);
no sideways scrolling at 375 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.scopes import EVERYWHERE


@pytest.fixture
def member_page(transactional_db, village_user):
    from fupin.registry.models import Member
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames
    from tests.web.web_helpers import YEAR, registry_frames

    ensure_divisions()
    import_frames(*registry_frames(), scope=EVERYWHERE, source="browser", source_format="test")
    m = Member.objects.within(EVERYWHERE).filter(household_key="H1").order_by("pk").first()
    return f"/households/H1/{YEAR}/members/{m.pk}/edit/"


@pytest.mark.parametrize("width", [375, 1366])
def test_status_change_date_appears_only_when_the_status_is_not_normal(member_page, village_user, live_server,
                                                                       artifacts_dir, width):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            page.goto(live_server.url + member_page)
            date_input = page.locator("input[name=status_changed_on]")
            assert date_input.get_attribute("type") == "date"
            assert not date_input.is_visible() and not page.get_by_text("人员状态变动日期").is_visible()
            page.select_option("select[name=member_status]", "死亡")
            assert date_input.is_visible() and page.get_by_text("人员状态变动日期").is_visible()
            box = date_input.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width
            scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert scroll <= client
            page.screenshot(path=str(artifacts_dir / f"member-status-date-{width}.png"), full_page=True)
            page.select_option("select[name=member_status]", "正常")
            assert not date_input.is_visible()
        finally:
            browser.close()
