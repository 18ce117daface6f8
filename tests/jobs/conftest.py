"""Fixtures of the job tests: a small registry in two counties, an immediate queue, job files.

The users (``county_user``, ``other_county_user``, ``village_user`` …) are the shared ones of
tests/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.fupin_testdata import load, synth_frames
from tests.regions import OTHER_COUNTY, TOWN


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Every test here runs its jobs at once, with its own job folder (tests/conftest.py)."""


@pytest.fixture
def registry(db):
    """60 households in town 500101102 and 20 in 涪陵区, loaded through the importer."""
    load(*synth_frames(60, TOWN))
    load(*synth_frames(20, OTHER_COUNTY, seed=2))
