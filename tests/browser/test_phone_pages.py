"""Every list and detail page a village cadre and a county officer reach fits a 375 px phone.

Headless Debian Chromium (Playwright) against ``live_server``: at 375 px no page scrolls
sideways (``scrollWidth <= clientWidth``) and the lead list shows name, village, state and
time left on screen; screenshots of each page at 375 and 1366 px go to test-artifacts/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.fupin_testdata import PASSWORD, assess
from tests.regions import COUNTY, VILLAGE_A
from tests.scopes import EVERYWHERE

WIDTHS = (375, 1366)


@pytest.fixture
def phone_site(transactional_db, village_user, county_user):
    """The web tests' registry (five households), assessed, and an open lead of VILLAGE_A."""
    from fupin.monitoring.clock import now
    from fupin.monitoring.models import Lead, LeadStep
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames
    from tests.web.web_helpers import YEAR, registry_frames

    ensure_divisions()
    import_frames(*registry_frames(), scope=EVERYWHERE, source="browser", source_format="test")
    assess(YEAR)
    at = now()
    lead = Lead.objects.within(EVERYWHERE).create(
        channel="self_declaration", state="new", region_code=VILLAGE_A, household_id="H1", year=YEAR,
        name="欧阳长名字测试", id_number="", received_at=at, verify_due=at.date() + timedelta(days=3),
        decide_due=at.date() + timedelta(days=15), hardship_type="illness", hardship_text="家中老人住院，花费较大。")
    LeadStep.objects.within(EVERYWHERE).create(lead=lead, at=at, actor="", action="created", from_state="",
                                                to_state="new")
    # A household exit in its notice, so that the exit's own step (the household signs) is on screen.
    exit_case = Lead.objects.within(EVERYWHERE).create(
        channel="cadre", purpose="exit", state="notice", region_code=VILLAGE_A, household_id="H2", year=YEAR,
        name="欧阳长名字测试", received_at=at, verify_due=at.date() + timedelta(days=15),
        decide_due=at.date() + timedelta(days=45), notice_start=at.date(), notice_end=at.date() + timedelta(days=4))
    lead.exit_case_pk = exit_case.pk
    return lead


def _pages(role: str, lead_pk: int, exit_pk: int) -> list[tuple[str, str]]:
    common = [("households", "/households/"), ("household", "/households/H1/?year=2020"),
              ("leads", "/monitoring/"), ("lead", f"/monitoring/{lead_pk}/"), ("exit-case", f"/monitoring/{exit_pk}/"),
              ("overdue", "/monitoring/overdue/")]
    if role == "village":
        return common + [("worklist-unmet", f"/worklists/{VILLAGE_A}/?list=unmet"),
                         ("worklist-quality", f"/worklists/{VILLAGE_A}/?list=quality"),
                         ("dashboard", f"/dashboard/{VILLAGE_A}/"), ("new-lead", "/monitoring/new/")]
    county = COUNTY + "000000"
    return common + [("worklist-unmet", f"/worklists/{county}/?list=unmet"),
                     ("dashboard", f"/dashboard/{county}/"), ("jobs", "/jobs/"),
                     ("match", "/monitoring/match/"), ("not-found", "/no-such-page/")]


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("role", ["village", "county"])
def test_every_list_and_detail_page_fits_a_375_px_phone_without_sideways_scrolling(
        phone_site, village_user, county_user, live_server, artifacts_dir, role):
    sync_playwright = _playwright()
    user = village_user if role == "village" else county_user
    overflowing = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800}, locale="zh-CN")
                _login(page, live_server.url, user.username)
                for name, url in _pages(role, phone_site.pk, phone_site.exit_case_pk):
                    page.goto(live_server.url + url)
                    page.wait_for_load_state("networkidle")
                    scroll, client = page.evaluate(
                        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                    if width == 375 and scroll > client:
                        overflowing[name] = (scroll, client)
                    page.screenshot(path=str(artifacts_dir / f"{role}-{name}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    assert (artifacts_dir / f"{role}-leads-375.png").stat().st_size > 0


def test_lead_list_on_a_phone_shows_name_village_state_and_time_left_on_screen(
        phone_site, village_user, live_server):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            page.goto(live_server.url + "/monitoring/")
            row = page.locator("tr.lead").first
            for cell in ("td.name", "td.village", "td.state", "td.clock"):
                box = row.locator(cell).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (cell, box)
            name = row.locator("td.name").bounding_box()
            assert name["height"] < 40  # the name on one line, not one character per line
            assert row.locator("td.village").get_attribute("title") == VILLAGE_A
            assert "待入户核实" in row.locator("td.state").inner_text()
            page.goto(live_server.url + "/households/H1/?year=2020")
            member = page.locator("#member-table tr.member").first
            cells = member.locator("td")
            assert cells.count() >= 7  # name, relationship, age, ID number, health, school, status (, edit)
            for i in range(cells.count()):
                box = cells.nth(i).bounding_box()
                assert box is not None and box["x"] + box["width"] <= 375, (cells.nth(i).inner_text(), box)
        finally:
            browser.close()


@pytest.mark.parametrize("role", ["village", "county"])
def test_dashboard_charts_on_a_phone_show_whole_labels_inside_the_screen(
        phone_site, village_user, county_user, live_server, artifacts_dir, role):
    """Issue 11: pie and bar labels on the 统计 page were cut to "一…" at 375 px."""
    sync_playwright = _playwright()
    user, code = (village_user, VILLAGE_A) if role == "village" else (county_user, COUNTY + "000000")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, user.username)
            page.goto(live_server.url + f"/dashboard/{code}/")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector("[data-chart] svg text")
            labels = page.evaluate("""() => [...document.querySelectorAll('[data-chart] svg text')].map(t => {
                const r = t.getBoundingClientRect();
                return [t.textContent, r.left, r.right];
            })""")
            page.screenshot(path=str(artifacts_dir / f"{role}-dashboard-charts-375.png"), full_page=True)
        finally:
            browser.close()
    texts = [t for t, _left, _right in labels]
    assert "一般农户" in texts and "突发严重困难户" in texts, texts
    assert not [t for t in texts if "…" in t or "..." in t], texts
    outside = [(t, left, right) for t, left, right in labels if t.strip() and (left < 0 or right > 375)]
    assert not outside, outside
