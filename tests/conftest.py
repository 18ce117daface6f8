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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Transactional tests (live server, threads) end by emptying every table: once their
    fixtures are torn down, put the official division table back for the tests after them."""
    yield
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in names for name in ("transactional_db", "live_server")
    )
    if transactional and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            from fupin.registry.services.divisions import ensure_divisions

            ensure_divisions()
