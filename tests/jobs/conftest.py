"""Fixtures of the job tests: a small registry in two counties, an immediate queue, job files.

The users (``county_user``, ``other_county_user``, ``village_user`` …) are the shared ones of
tests/conftest.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Every test here runs its jobs at once, with its own job folder (tests/conftest.py)."""


@pytest.fixture
def registry(two_counties):
    """The two counties of tests/conftest.py."""
