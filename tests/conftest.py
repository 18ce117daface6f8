"""Test configuration shared by every test directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The Django test database follows FUPIN_DB (SQLite by default, PostgreSQL in CI's second run).
os.environ.setdefault("FUPIN_DB", "sqlite:///" + str(Path(__file__).resolve().parent.parent / ".test.sqlite3"))

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def using_postgres() -> bool:
    return os.environ.get("FUPIN_DB", "").startswith("postgres")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the official division table once per test database (42k rows)."""
    with django_db_blocker.unblock():
        from fupin.registry.services.divisions import ensure_divisions

        ensure_divisions()
