"""Fixtures of the monitoring tests (data in monitoring_helpers; the users are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.fupin_testdata import load
from tests.monitoring.monitoring_helpers import build_registry


@pytest.fixture
def registry(db):
    h, m, r = build_registry()
    load(h, m, r)
    return h, m

