"""Fixtures of the use-case tests: a small registry in two counties; jobs run at once.

The users are the shared ones of tests/conftest.py; a test module may define its own registry.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Jobs run at once, with the test's own job folder (tests/conftest.py)."""


@pytest.fixture
def registry(two_counties):
    """The two counties of tests/conftest.py."""
