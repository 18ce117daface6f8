"""Fixtures of the io tests; plain helpers are in io_helpers.py (a unique module name, so that
no other directory's conftest is imported in their place)."""

from __future__ import annotations

import pytest

from io_helpers import households_frame, members_frame  # noqa: F401


@pytest.fixture
def small_registry():
    return households_frame(), members_frame()


