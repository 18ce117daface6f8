"""Fixtures of the io tests; plain helpers are in io_helpers.py (``from tests.io.io_helpers import …``)."""

from __future__ import annotations

import pytest

from tests.io.io_helpers import households_frame, members_frame  # noqa: F401


@pytest.fixture
def small_registry():
    return households_frame(), members_frame()


