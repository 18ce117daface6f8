"""The public declaration form in headless Chromium on a 375 px phone screen."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.monitoring.monitoring_helpers import TOWN, VILLAGE_A, build_registry, pid
from tests.scopes import EVERYWHERE

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM) and not shutil.which("chromium"),
                       reason="Debian's chromium is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are
    # still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        except Exception as exc:  # noqa: BLE001 — a browser that cannot start is an environment problem
            pytest.skip(f"chromium could not start: {exc}")
        context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="zh-CN")
        yield context.new_page()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_farmer_declares_on_a_phone_and_gets_a_receipt(divisions_loaded, live_server, browser_page, artifacts_dir):
    from fupin.monitoring.models import Lead
    from fupin.registry.services.imports import import_frames

    import_frames(*build_registry(), scope=EVERYWHERE, source="test", source_format="test")
    page = browser_page
    page.goto(f"{live_server.url}/declare/")
    # Nothing wider than the screen: no horizontal scrolling on a 375 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("#id_name", "王二")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_id_number", pid(3))
    page.select_option("#id_town", TOWN + "000")
    page.select_option("#id_village", VILLAGE_A)
    page.select_option("#id_hardship_type", "illness")
    page.fill("#id_text", "家人住院<script>alert(1)</script>")
    page.check("#id_consent")
    page.screenshot(path=str(artifacts_dir / "declare-375.png"), full_page=True)
    page.click("#submit")
    page.wait_for_selector("#receipt")
    receipt = page.inner_text("#receipt").strip()
    lead = Lead.objects.within(EVERYWHERE).get()
    assert receipt == lead.receipt and lead.hardship_text.endswith("<script>alert(1)</script>")
    page.goto(f"{live_server.url}/declare/lookup/")
    page.fill("#id_receipt", receipt)
    page.click("button[type=submit]")
    page.wait_for_selector("#status")
    assert "待入户核实" in page.inner_text("#status")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_invalid_id_is_refused_in_the_browser(divisions_loaded, live_server, browser_page):
    from fupin.monitoring.models import Lead
    from fupin.registry.services.imports import import_frames

    import_frames(*build_registry(), scope=EVERYWHERE, source="test", source_format="test")
    page = browser_page
    page.goto(f"{live_server.url}/declare/")
    page.fill("#id_name", "王二")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_id_number", "500101199001011230")
    page.select_option("#id_town", TOWN + "000")
    page.select_option("#id_village", VILLAGE_A)
    page.fill("#id_text", "x")
    page.check("#id_consent")
    page.click("#submit")
    page.wait_for_selector(".errorlist")
    assert "证件号码" in page.inner_text(".errorlist") and not Lead.objects.within(EVERYWHERE).exists()
