"""A village cadre on a 375 px phone records a measure from a monitoring lead's page: the
household's 登记帮扶措施 form opens, saves into the assistance ledger and comes back to the lead,
which lists the measure. Screenshots (lead-measures-*.png) go to test-artifacts/.
"""

from __future__ import annotations

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login, phone_site  # noqa: F401 — the fixture: H1's open lead


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_a_cadre_records_a_measure_from_the_lead_page_on_a_375_px_phone_and_returns_to_the_lead(
        phone_site, village_user, live_server, artifacts_dir):  # noqa: F811 — the imported fixture
    from fupin.assistance.models import Measure
    from tests.scopes import EVERYWHERE

    sync_playwright = _playwright()
    overflowing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            lead_url = f"{live_server.url}/monitoring/{phone_site.pk}/"
            page.goto(lead_url)
            page.click("#record-measure")
            page.wait_for_load_state()
            page.select_option("#id_subtype", "产业奖补")
            page.fill("#id_amount", "1500")
            page.fill("#id_responsible_unit", "县农业农村委")
            page.click("#save-measure")
            page.wait_for_load_state()
            back_on = page.url
            listed = page.locator("#measures #measure-table").inner_text()
            message = page.locator(".messages").inner_text()
            if not _fits(page):
                overflowing.append("lead")
            page.screenshot(path=str(artifacts_dir / "lead-measures-375.png"), full_page=True)
            page.set_viewport_size({"width": 1366, "height": 900})
            page.screenshot(path=str(artifacts_dir / "lead-measures-1366.png"), full_page=True)
        finally:
            browser.close()
    assert back_on.startswith(lead_url), back_on
    assert "产业奖补" in listed and "1,500" in listed and "县农业农村委" in listed, listed
    assert "已登记帮扶措施" in message
    assert Measure.objects.within(EVERYWHERE).filter(household_id="H1").count() == 1
    assert not overflowing, overflowing
