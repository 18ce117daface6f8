"""A village cadre on a 375 px phone records a measure and marks a plan action done.

Headless Debian Chromium (Playwright) against ``live_server``: the household file, the measure
form, the plan actions due and the coverage pages never scroll sideways at 375 px; screenshots
of each at 375 and 1366 px go to test-artifacts/ (assistance-*.png).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.fupin_testdata import assess
from tests.regions import COUNTY, VILLAGE_A
from tests.scopes import EVERYWHERE

WIDTHS = (375, 1366)


@pytest.fixture
def plan_site(transactional_db, village_user, county_user):
    """The web tests' registry, assessed, with H1's 一户一策 (one overdue action)."""
    from fupin.accounts.scoping import Scope
    from fupin.application import assistance as use
    from fupin.application import policy as policy_provider
    from fupin.assistance.models import PlanAction
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames
    from tests.web.web_helpers import YEAR, registry_frames

    ensure_divisions()
    import_frames(*registry_frames(), scope=EVERYWHERE, source="browser", source_format="test")
    assess(YEAR)
    use.create_plans(Scope.system(), policy_provider.current(), year=YEAR, as_of=date.today() - timedelta(days=40))
    return PlanAction.objects.within(EVERYWHERE).get(plan__household_id="H1")


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_a_cadre_records_a_measure_and_marks_an_action_done_on_a_375_px_phone(
        plan_site, village_user, live_server, artifacts_dir):
    from fupin.assistance.models import ActionState, Measure, PlanAction

    sync_playwright = _playwright()
    overflowing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            page.goto(live_server.url + "/households/H1/?year=2020")
            # Tap 1: record a measure; 2: pick the 小类; 3: the amount; 4: save (date, status, member default).
            page.click("#record-measure")
            page.wait_for_load_state()
            if not _fits(page):
                overflowing.append("form")
            page.screenshot(path=str(artifacts_dir / "assistance-measure-form-375.png"), full_page=True)
            page.select_option("#id_subtype", "产业奖补")
            page.fill("#id_amount", "1500")
            page.fill("#id_responsible_unit", "县农业农村委")
            page.click("#save-measure")
            page.wait_for_load_state()
            assert "/households/H1/" in page.url
            assert "产业奖补" in page.locator("#measure-table").inner_text()
            # One tap: the plan action is done today.
            page.click(f"#done-button-{plan_site.pk}")
            page.wait_for_load_state()
            assert "已完成" in page.locator("#plan-actions").inner_text()
            if not _fits(page):
                overflowing.append("household")
            page.screenshot(path=str(artifacts_dir / "assistance-household-375.png"), full_page=True)
            page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    measure = Measure.objects.within(EVERYWHERE).get(household_id="H1")
    assert (measure.amount, measure.start) == (1500.0, date.today())
    action = PlanAction.objects.within(EVERYWHERE).get(pk=plan_site.pk)
    assert (action.state, action.done_on) == (ActionState.DONE, date.today())


@pytest.mark.parametrize("role", ["village", "county"])
def test_assistance_pages_fit_a_375_px_phone_without_sideways_scrolling(
        plan_site, village_user, county_user, live_server, artifacts_dir, role):
    sync_playwright = _playwright()
    user = village_user if role == "village" else county_user
    region = VILLAGE_A if role == "village" else COUNTY + "000000"
    pages = [("household", "/households/H1/?year=2020"), ("measure-form", "/households/H1/2020/measures/new/"),
             ("due", f"/assistance/due/{region}/"), ("coverage", f"/assistance/coverage/{region}/?rule=income")]
    overflowing = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800}, locale="zh-CN")
                _login(page, live_server.url, user.username)
                for name, url in pages:
                    page.goto(live_server.url + url)
                    page.wait_for_load_state("networkidle")
                    if width == 375 and not _fits(page):
                        overflowing[name] = page.evaluate("document.documentElement.scrollWidth")
                    page.screenshot(path=str(artifacts_dir / f"assistance-{role}-{name}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    assert (artifacts_dir / f"assistance-{role}-coverage-375.png").stat().st_size > 0
