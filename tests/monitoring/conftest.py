"""Fixtures of the monitoring tests (data in monitoring_helpers)."""

from __future__ import annotations

import pytest
from monitoring_helpers import COUNTY, TOWN, VILLAGE_A, VILLAGE_B, VILLAGE_C, build_registry, make_user


@pytest.fixture
def registry(db):
    from fupin.registry.services.imports import import_frames

    h, m, r = build_registry()
    import_frames(h, m, r, source="test", source_format="test")
    return h, m


@pytest.fixture
def users(db):
    return {
        "village": make_user("cadre_a", "village", VILLAGE_A),
        "village_b": make_user("cadre_b", "village", VILLAGE_B),
        "village_c": make_user("cadre_c", "village", VILLAGE_C),
        "town": make_user("town", "town", TOWN),
        "town_other": make_user("town_x", "town", "500101103"),
        "county": make_user("county", "county", COUNTY),
        "county_other": make_user("county_x", "county", "500102"),
        "analyst": make_user("analyst", "analyst", COUNTY),
        "steward": make_user("steward", "steward", COUNTY),
        "admin": make_user("admin", "admin", ""),
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # PBKDF2 costs ~0.3 s per user; these tests are about workflow, not password storage.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def divisions_loaded(transactional_db):
    """Transactional tests flush the database, official divisions included: load them again."""
    from fupin.registry.services.divisions import ensure_divisions

    ensure_divisions()
