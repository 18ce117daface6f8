"""Fixtures of the API tests: a small registry in two counties, an immediate queue, job files.

The users are the shared ones of tests/conftest.py; ``api_headers(user)`` gives their token headers.
"""

from __future__ import annotations

import pytest

from tests.fupin_testdata import assess
from tests.regions import COUNTY, OTHER_COUNTY


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Every test here runs its jobs at once, with its own job folder (tests/conftest.py)."""


@pytest.fixture
def registry(two_counties):
    """The two counties of tests/conftest.py."""


@pytest.fixture
def assessed(registry):
    from tests.db_snapshot import replayed

    def build():
        assess(2020, region=COUNTY)
        assess(2020, region=OTHER_COUNTY)

    replayed("two_counties assessed", build)
