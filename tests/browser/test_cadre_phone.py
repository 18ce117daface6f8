"""A village cadre on a phone: log in, find a household, fix a field, re-assess, see the change.

Runs headless Debian Chromium through Playwright against pytest-django's ``live_server``;
a screenshot of the final household page goes to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.fupin_testdata import PASSWORD, assess
from tests.regions import VILLAGE_A as VILLAGE
from tests.scopes import EVERYWHERE

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (.venv/bin/pip install playwright)")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is missing (apt-get install -y chromium)")
    return sync_playwright


@pytest.fixture
def village_registry(transactional_db, village_user):
    """One household in VILLAGE_A, assessed, and its cadre (``village_user``)."""
    from datetime import date

    import polars as pl

    from fupin.engine import idnumber, schema
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames

    ensure_divisions()  # a transactional test database is emptied after each test
    h = {f: None for f in schema.polars_schema("households")}
    h.update(household_id="H1", year=2020, region_code=VILLAGE, registered=True, poverty_status="已脱贫",
             exit_year=2018, wage_income=20000.0, business_income=0.0, property_income=0.0,
             transfer_income=1000.0, business_expense=0.0, food_secure=False, clothing_secure=True,
             housing_grade="A", water_safe=True)
    m = {f: None for f in schema.polars_schema("members")}
    m.update(household_id="H1", year=2020, name="张一", id_number=idnumber.make_id("500101", date(1970, 1, 2), 3),
             sex="男", relationship="户主", medical_insurance="城乡居民", work_location="县外省内务工",
             work_months=10, labour="普通劳动力", health="健康")
    import_frames(pl.DataFrame([h], schema=schema.polars_schema("households")),
                  pl.DataFrame([m], schema=schema.polars_schema("members")),
                  schema.empty_frame("regions"), scope=EVERYWHERE, source="browser", source_format="test")
    assess(2020)


def test_village_cadre_fixes_food_field_on_a_phone_and_sees_the_verdict_change(
        village_registry, village_user, live_server, artifacts_dir):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812}, locale="zh-CN")
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", village_user.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"**/dashboard/{VILLAGE}/**")

            page.goto(live_server.url + "/households/")
            page.fill("input[name=q]", "张")
            page.click("#household-search button[type=submit]")
            page.wait_for_selector("#results a.title:has-text('张一')")
            page.click("#results a.title:has-text('张一')")
            page.wait_for_selector("[data-verdict]")
            assert page.get_attribute("[data-verdict]", "data-verdict") == "no"

            page.click("#edit-household")
            page.select_option("#id_food_secure", "是")
            page.click("#save")
            page.wait_for_selector("#reassess")
            page.click("#reassess")
            page.wait_for_selector("[data-verdict='yes']")

            # The page fits a phone: nothing wider than the viewport.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375 + 1
            page.screenshot(path=str(artifacts_dir / "cadre-phone-household.png"), full_page=True)
        finally:
            browser.close()
    assert (artifacts_dir / "cadre-phone-household.png").stat().st_size > 0
