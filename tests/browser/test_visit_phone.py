"""A cadre on a 375 px phone opens 我的帮扶户 (overdue first), records a visit in one tap, then one
with details that raises a monitoring lead; the town's overdue page fits too.

Headless Debian Chromium (Playwright) against ``live_server``; screenshots go to test-artifacts/
(visit-*.png). No page scrolls sideways at 375 px.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.regions import TOWN
from tests.scopes import EVERYWHERE


@pytest.fixture
def paired_site(transactional_db, village_user, town_user, tmp_path):
    """The web tests' registry; cadre C1 (the village user) paired with H1, H2 and H3."""
    from fupin.application.assistance import import_assistance
    from fupin.assistance.models import Cadre
    from fupin.io.assistance import write_workbook
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames
    from tests.assistance.ledger_helpers import rows
    from tests.web.web_helpers import registry_frames

    ensure_divisions()
    import_frames(*registry_frames(), scope=EVERYWHERE, source="browser", source_format="test")
    path = write_workbook(tmp_path / "p.xlsx", {
        "cadres": rows("cadres", [{"cadre_id": "C1", "name": "王帮扶", "unit": "县财政局", "rank": "正科",
                                   "phone": "13900001111"}]),
        "pairings": rows("pairings", [{"cadre_id": "C1", "household_id": h, "start": date(2020, 1, 1)}
                                      for h in ("H1", "H2", "H3")]),
        "visits": rows("visits", [{"household_id": "H2", "cadre_id": "C1", "visited_on": date.today(),
                                   "mode": "入户走访"}])})
    import_assistance(EVERYWHERE, path, None)
    Cadre.objects.within(EVERYWHERE).filter(cadre_id="C1").update(user=village_user)


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_a_cadre_records_a_visit_on_a_375_px_phone(paired_site, village_user, town_user, live_server, artifacts_dir):
    from fupin.assistance.models import Visit
    from fupin.monitoring.models import Lead

    sync_playwright = _playwright()
    overflowing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            page.goto(live_server.url + "/pairing/mine/")
            cards = page.locator("#my-households > li")
            assert cards.first.get_attribute("data-status") == "overdue"
            assert "我的帮扶户" in page.content()
            if not _fits(page):
                overflowing.append("mine")
            page.screenshot(path=str(artifacts_dir / "visit-mine-375.png"), full_page=True)
            # One tap: H1 visited today.
            page.click("#quick-visit-H1")
            page.wait_for_load_state()
            assert page.locator("#h-H1").get_attribute("data-status") == "ok"
            # With details: H3, a hardship found, a lead raised in the same step.
            page.click("#visit-form-H3")
            page.wait_for_load_state()
            page.check("input[name=items][value=风险排查]")
            page.check("#id_found_problem")
            page.fill("#id_problem", "户主突发重病住院")
            page.select_option("#id_hardship_type", "illness")
            if not _fits(page):
                overflowing.append("form")
            page.screenshot(path=str(artifacts_dir / "visit-form-375.png"), full_page=True)
            page.click("#save-visit")
            page.wait_for_load_state()
            assert "/pairing/mine/" in page.url
            assert page.locator("#h-H3").get_attribute("data-status") == "ok"
            page.screenshot(path=str(artifacts_dir / "visit-mine-after-375.png"), full_page=True)
            page.close()
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, town_user.username)
            page.goto(live_server.url + f"/pairing/overdue/{TOWN}/")
            assert "王帮扶" in page.locator("#by-cadre").inner_text()
            if not _fits(page):
                overflowing.append("overdue")
            page.screenshot(path=str(artifacts_dir / "visit-overdue-375.png"), full_page=True)
            # The cadre's page, from his name in the table: his households and the account line.
            page.click("#by-cadre a")
            page.wait_for_load_state()
            assert "/pairing/cadres/" in page.url and "王帮扶" in page.locator("#cadre-name").inner_text()
            assert "13900001111" not in page.content()
            if not _fits(page):
                overflowing.append("cadre")
            page.screenshot(path=str(artifacts_dir / "visit-cadre-375.png"), full_page=True)
            page.set_viewport_size({"width": 1366, "height": 900})
            page.screenshot(path=str(artifacts_dir / "visit-cadre-1366.png"), full_page=True)
        finally:
            browser.close()
    assert overflowing == []
    assert Visit.objects.within(EVERYWHERE).filter(household_id__in=["H1", "H3"]).count() == 2
    lead = Lead.objects.within(EVERYWHERE).get(pk=Visit.objects.within(EVERYWHERE).get(household_id="H3").lead_id)
    assert lead.hardship_type == "illness"
