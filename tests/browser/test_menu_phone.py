"""The workbench's top menu on a 375 px phone folds behind one 菜单 button; at 1366 px it is the
row of entries it always was.

Headless Debian Chromium (Playwright) against ``live_server``, one user of each role: at 375 px
the page's content starts within the first 150 px, the role's pinned entries and the current
page's stay on screen, the button (a disclosure: ``aria-expanded``, ``aria-controls``) opens every
entry by tap and by keyboard and Escape closes it; without JavaScript the whole menu shows.
Screenshots (menu-*.png) go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login

ROLES = ("village", "town", "county", "analyst", "steward", "admin")
CONTENT_TOP_MAX = 150  # px from the top of a 375 px page to its <main>


@pytest.fixture
def menu_site(transactional_db):
    from fupin.registry.services.divisions import ensure_divisions

    ensure_divisions()  # region names in the header; a transactional test database starts empty


@pytest.fixture
def role_users(menu_site, village_user, town_user, county_user, analyst_user, steward_user, admin_user):
    return {"village": village_user, "town": town_user, "county": county_user, "analyst": analyst_user,
            "steward": steward_user, "admin": admin_user}


def _entries(page) -> list[dict]:
    """Every menu entry: key, whether pinned or current, whether on screen, its box."""
    return page.evaluate("""() => [...document.querySelectorAll('#main-nav [data-nav]')].map(a => {
        const r = a.getBoundingClientRect();
        return {key: a.dataset.nav, pin: a.hasAttribute('data-pin'), current: a.getAttribute('aria-current') === 'page',
                shown: r.width > 0 && r.height > 0, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    })""")


def _main_top(page) -> float:
    return page.evaluate("document.querySelector('main').getBoundingClientRect().top")


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


@pytest.mark.parametrize("role", ROLES)
def test_at_375_px_the_content_starts_within_150_px_and_every_entry_opens_from_the_menu(
        role_users, live_server, artifacts_dir, role):
    from fupin.web.context_processors import PINNED

    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, role_users[role].username)  # lands on the role's first page
            page.wait_for_load_state("networkidle")
            folded_top = _main_top(page)
            folded = _entries(page)
            page.screenshot(path=str(artifacts_dir / f"menu-{role}-375.png"), full_page=True)
            toggle = page.locator("#menu-toggle")
            if any(not e["pin"] for e in folded):
                assert toggle.is_visible() and toggle.inner_text().strip() == "菜单"
                assert toggle.get_attribute("aria-expanded") == "false"
                assert page.locator("#" + toggle.get_attribute("aria-controls")).count() == 1
                toggle.click()
                assert toggle.get_attribute("aria-expanded") == "true"
                page.screenshot(path=str(artifacts_dir / f"menu-{role}-375-open.png"), full_page=True)
            else:
                assert toggle.count() == 0  # nothing to fold, no button
            opened = _entries(page)
        finally:
            browser.close()
    assert folded_top <= CONTENT_TOP_MAX, (role, folded_top)
    shown = [e["key"] for e in folded if e["shown"]]
    assert shown == [e["key"] for e in folded if e["pin"] or e["current"]], shown
    assert set(PINNED[role]) <= {e["key"] for e in folded}  # every pinned entry is one of the role's
    assert all(e["shown"] and e["left"] >= 0 and e["right"] <= 375 for e in opened), opened


def test_the_current_page_stays_visible_in_the_folded_menu_when_it_is_not_pinned(role_users, live_server):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, role_users["village"].username)
            page.goto(live_server.url + page.get_attribute('[data-nav="problems"]', "href"))
            problems = page.locator('[data-nav="problems"]')
            assert problems.is_visible() and problems.get_attribute("aria-current") == "page"
            assert problems.get_attribute("data-pin") is None
            assert not page.locator('[data-nav="listings"]').is_visible()  # neither pinned nor current
            top = _main_top(page)
        finally:
            browser.close()
    assert top <= CONTENT_TOP_MAX, top


def test_the_keyboard_opens_the_menu_reaches_every_entry_and_escape_closes_it(role_users, live_server):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800}, locale="zh-CN")
            _login(page, live_server.url, role_users["county"].username)
            keys = [e["key"] for e in _entries(page)]
            page.focus("#menu-toggle")
            page.keyboard.press("Enter")
            assert page.get_attribute("#menu-toggle", "aria-expanded") == "true"
            reached = []
            for _ in keys:
                page.keyboard.press("Tab")
                reached.append(page.evaluate("document.activeElement.dataset.nav || ''"))
            page.keyboard.press("Escape")
            expanded = page.get_attribute("#menu-toggle", "aria-expanded")
            focused = page.evaluate("document.activeElement.id")
            hidden_after = page.locator('[data-nav="match"]').is_visible()
        finally:
            browser.close()
    assert reached == keys, reached  # every entry, in the menu's order, after the button
    assert expanded == "false" and focused == "menu-toggle" and not hidden_after


def test_without_javascript_the_whole_menu_shows_on_a_phone(role_users, live_server):
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN",
                                          java_script_enabled=False)
            page = context.new_page()
            _login(page, live_server.url, role_users["village"].username)
            entries = _entries_static(page)
            toggle_shown = page.locator("#menu-toggle").is_visible()
        finally:
            browser.close()
    assert entries and all(shown for shown in entries.values()), entries
    assert not toggle_shown


def _entries_static(page) -> dict[str, bool]:
    """Which entries are on screen, read through Playwright (page scripts may be off)."""
    links = page.locator("#main-nav [data-nav]")
    return {links.nth(i).get_attribute("data-nav"): links.nth(i).is_visible() for i in range(links.count())}


@pytest.mark.parametrize("role", ["village", "county", "admin"])
def test_at_1366_px_the_menu_is_one_row_of_every_entry_without_a_button(role_users, live_server, artifacts_dir,
                                                                        role):
    from fupin.web.context_processors import NAVIGATION

    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            _login(page, live_server.url, role_users[role].username)
            page.wait_for_load_state("networkidle")
            entries = _entries(page)
            toggle_shown = page.locator("#menu-toggle").is_visible()
            page.screenshot(path=str(artifacts_dir / f"menu-{role}-1366.png"))
            # The fold has no effect at this width: without it, every entry is where it was.
            page.evaluate("""() => { const nav = document.getElementById('main-nav');
                nav.classList.remove('folds'); nav.querySelector('#menu-toggle')?.remove(); }""")
            unfolded = _entries(page)
        finally:
            browser.close()
    order = [key for key, *_rest in NAVIGATION]
    keys = [e["key"] for e in entries]
    assert keys == sorted(keys, key=order.index)
    assert not toggle_shown
    assert all(e["shown"] for e in entries)
    assert len({round(e["top"]) for e in entries}) == 1, entries  # one row, as before
    assert [(e["left"], e["top"]) for e in entries] == [(e["left"], e["top"]) for e in unfolded]
