"""The analysis pages in a real browser at 375 and 1366 px: no sideways scrolling of the page,
the MPI chart drawn with its legend; screenshots in test-artifacts/ (analysis-*.png)."""

from __future__ import annotations

import polars as pl
import pytest

from tests.browser.test_cadre_phone import ARGS, CHROMIUM, _playwright
from tests.browser.test_phone_pages import _login
from tests.fupin_testdata import assess, synth_frames
from tests.regions import COUNTY, OTHER_TOWN, TOWN
from tests.scopes import EVERYWHERE

WIDTHS = (375, 1366)
YEAR = 2020
PAGES = {
    "index": "/analysis/",
    "report": "/analysis/report/",
    "scenario": f"/analysis/scenario/?year={YEAR}&region={COUNTY}&level=town&p1=poverty_line&v1=6000",
    "mpi": f"/analysis/mpi/?year={YEAR}&region={COUNTY}&k=1/6",
    "mpi-households": f"/analysis/mpi/households/?year={YEAR}&region={TOWN}&k=1/6",
    "sample": f"/analysis/sample/?year={YEAR}&region={COUNTY}&seed=7&purpose=exit",
    "results": "/analysis/sample/results/",
}


@pytest.fixture
def analysis_site(transactional_db, county_user):
    """Two generated towns of COUNTY, assessed."""
    from fupin.registry.services.divisions import ensure_divisions
    from fupin.registry.services.imports import import_frames

    ensure_divisions()
    a, b = synth_frames(150, TOWN, seed=3), synth_frames(120, OTHER_TOWN, seed=4)
    frames = [pl.concat([x, y], how="diagonal_relaxed") if x is not None else None for x, y in zip(a, b)]
    import_frames(*frames, scope=EVERYWHERE, source="browser", source_format="test")
    assess(YEAR)


def _fits(page) -> bool:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return scroll <= client


def test_analysis_pages_fit_375_and_1366_px_and_the_mpi_chart_is_drawn(analysis_site, county_user, live_server,
                                                                       artifacts_dir):
    sync_playwright = _playwright()
    overflowing, undrawn = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
                _login(page, live_server.url, county_user.username)
                for name, url in PAGES.items():
                    page.goto(live_server.url + url)
                    page.wait_for_load_state("networkidle")
                    assert page.locator("h1").count() == 1, name
                    if not _fits(page):
                        overflowing.append(f"{name}@{width}")
                    if name == "mpi" and page.locator("[data-chart=contributions] svg").count() == 0:
                        undrawn.append(width)
                    page.screenshot(path=str(artifacts_dir / f"analysis-{name}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not overflowing, overflowing
    assert not undrawn, undrawn
