"""A village cadre on a 375 px phone claims a problem and records its progress in a few taps.

Headless Debian Chromium (Playwright) against ``live_server``: the 问题清单, the problem page,
the 清零 report and the 挂牌督战 page never scroll sideways at 375 px; screenshots of each at 375
and 1366 px go to test-artifacts/ (supervision-*.png).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.regions import VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE

WIDTHS = (375, 1366)


@pytest.fixture
def ledger_site(transactional_db, village_user, county_user, tmp_path, monkeypatch):
    """The web tests' registry, assessed, with problems in VILLAGE_A and VILLAGE_B and VILLAGE_A listed."""
    from fupin.accounts.scoping import Scope
    from fupin.application import supervision
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames
    from tests.fupin_testdata import assess
    from tests.web.test_supervision_pages import make_problem
    from tests.web.web_helpers import YEAR, registry_frames

    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path))
    ensure_divisions()
    import_frames(*registry_frames(), scope=EVERYWHERE, source="browser", source_format="test")
    assess(YEAR)
    problem = make_problem(VILLAGE_A, description="村道旁两户危房未完成改造，需限期整改并补齐影像资料")
    make_problem(VILLAGE_A, received_on=date(2020, 5, 1))
    make_problem(VILLAGE_B, source="audit")
    supervision.list_regions(Scope.system(), year=YEAR, rows=[{"code": VILLAGE_A, "note": "市级挂牌村"}],
                             listed_by="city", target_on=date.today() + timedelta(days=30))
    return problem


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_a_village_cadre_claims_and_records_progress_on_a_375_px_phone(ledger_site, village_user, live_server,
                                                                       artifacts_dir):
    from fupin.supervision.models import Problem, State

    sync_playwright = _playwright()
    overflowing = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, village_user.username)
            # From the menu (folded behind 菜单 on a phone) to the list, then the problem.
            page.click("#menu-toggle")
            page.click('[data-nav="problems"]')
            page.wait_for_load_state()
            page.click(f'#problem-{ledger_site.pk} a')
            page.wait_for_load_state()
            # Tap 1: claim.
            page.click("#do-claim")
            page.wait_for_load_state()
            assert "已签收" in page.locator("#problem-state").inner_text()
            # Taps 2–3: a measure (its due date is filled with the deadline).
            page.fill("#measure-text", "危房改造，施工队已进场")
            page.click("#do-add_measure")
            page.wait_for_load_state()
            # Tap 4: the measure is done today.
            page.click("#done-measure-1")
            page.wait_for_load_state()
            assert "完成于" in page.locator("#measures").inner_text()
            if not _fits(page):
                overflowing.append("problem")
            page.screenshot(path=str(artifacts_dir / "supervision-problem-progress-375.png"), full_page=True)
            page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    problem = Problem.objects.within(EVERYWHERE).get(pk=ledger_site.pk)
    assert problem.state == State.RECTIFYING
    assert problem.measures[0]["done_on"] == date.today().isoformat()
    assert list(problem.actions.values_list("action", flat=True)) == ["create", "claim", "add_measure", "progress"]


@pytest.mark.parametrize("role", ["village", "county"])
def test_supervision_pages_fit_a_375_px_phone_without_sideways_scrolling(ledger_site, village_user, county_user,
                                                                         live_server, artifacts_dir, role):
    sync_playwright = _playwright()
    user = village_user if role == "village" else county_user
    pages = [("list", "/supervision/problems/?state=all"), ("problem", f"/supervision/problems/{ledger_site.pk}/"),
             ("report", "/supervision/report/?year=2020"), ("listings", "/supervision/listings/?year=2020")]
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
                    page.screenshot(path=str(artifacts_dir / f"supervision-{role}-{name}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    assert (artifacts_dir / f"supervision-{role}-listings-375.png").stat().st_size > 0
