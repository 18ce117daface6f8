"""Fixtures of the use-case tests: a small registry in two counties; jobs run at once.

The users are the shared ones of tests/conftest.py; a test module may define its own registry.
"""

from __future__ import annotations

import pytest

from tests.fupin_testdata import load, synth_frames
from tests.regions import OTHER_COUNTY, TOWN


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Jobs run at once, with the test's own job folder (tests/conftest.py)."""


@pytest.fixture
def registry(db):
    """60 households in town 500101102 and 20 in 涪陵区, loaded as an import loads them."""
    load(*synth_frames(60, TOWN))
    load(*synth_frames(20, OTHER_COUNTY, seed=2))
