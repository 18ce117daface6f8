"""A county officer uploads a shocks file from the shock events page on a 375 px phone and on a
1366 px screen: the form, the result page with its counts and the refused rows' download, all in
Chinese and never scrolling sideways. Screenshots go to test-artifacts/ (shocks-upload-*.png)."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login

WIDTHS = (375, 1366)
ENGLISH = re.compile(r"\b(?:the|and|rows?|file|shock|import|households?|events?)\b", re.IGNORECASE)


@pytest.fixture
def shock_site(transactional_db, county_user, tmp_path):
    """The shock tests' registry, and a workbook with one event outside the county (refused)."""
    import polars as pl

    from fupin.engine import schema
    from fupin.registry.services.divisions import ensure_divisions
    from tests.application.test_shocks import AFFECTED, EVENTS, shock_workbook
    from tests.fupin_testdata import load
    from tests.monitoring.monitoring_helpers import VILLAGE_A, VILLAGE_C, household, member

    ensure_divisions()
    load(pl.DataFrame([household("H1", VILLAGE_A, prior_net_income=15000.0),
                       household("H2", VILLAGE_A, registered=False, poverty_status=None, exit_year=None),
                       household("H4", VILLAGE_C), household("H5", VILLAGE_A)], schema=schema.polars_schema("households")),
         pl.DataFrame([member("H1", 1), member("H2", 3), member("H4", 5), member("H5", 6)],
                      schema=schema.polars_schema("members")), schema.empty_frame("regions"))
    return shock_workbook(tmp_path / "受灾户.xlsx", [*EVENTS, ["E4", "涪陵洪灾", "洪涝", "500102", "2023-07-01", ""]],
                          AFFECTED)


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


@pytest.mark.parametrize("width", WIDTHS)
def test_a_county_uploads_a_shocks_file_on_a_phone_and_a_screen(shock_site, county_user, live_server, artifacts_dir,
                                                                width):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
            _login(page, live_server.url, county_user.username)
            page.goto(live_server.url + "/shocks/")
            assert _fits(page), "the list with its upload form scrolls sideways"
            page.screenshot(path=str(artifacts_dir / f"shocks-upload-form-{width}.png"), full_page=True)
            page.set_input_files("#shock-import input[type=file]", str(shock_site))
            page.click("#shock-import button[type=submit]")
            page.wait_for_load_state()
            text = page.locator("main").inner_text()
            assert "冲击事件文件已导入" in text and "退回行数" in text
            assert page.locator("#events-created").inner_text() == "2"
            assert page.locator("#rows-refused").inner_text() == "1"
            assert page.locator("#shock-import-rejects").is_visible()
            assert not ENGLISH.search(text.replace("受灾户.xlsx", "")), text
            assert _fits(page), "the result page scrolls sideways"
            page.screenshot(path=str(artifacts_dir / f"shocks-upload-result-{width}.png"), full_page=True)
        finally:
            browser.close()
