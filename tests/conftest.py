"""Test configuration shared by every test directory, and the one set of users of the tests.

Users (each made by ``make_user``; region codes in tests/regions.py):

============================  ==========  =====================================
fixture                       role        region
============================  ==========  =====================================
``village_user``              village     VILLAGE_A (500101102201)
``other_village_user``        village     VILLAGE_B (500101102202, same town)
``village_c_user``            village     VILLAGE_C (500101103201, another town)
``town_user``                 town        TOWN (500101102 龙沙镇)
``other_town_user``           town        OTHER_TOWN (500101103 响水镇)
``county_user``               county      COUNTY (500101 万州区)
``other_county_user``         county      OTHER_COUNTY (500102 涪陵区)
``analyst_user``              analyst     COUNTY (read-only)
``steward_user``              steward     COUNTY
``admin_user``                admin       "" (the whole country)
============================  ==========  =====================================

``users`` gives all of them in a dict by role ("village", "village_b", "village_c", "town",
"town_other", "county", "county_other", "analyst", "steward", "admin"); ``api_headers(user)``
gives the headers of a request with a fresh API token of the user.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fupin_testdata import PASSWORD
from tests.regions import (
    COUNTRY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_TOWN,
    TOWN,
    VILLAGE_A,
    VILLAGE_B,
    VILLAGE_C,
)

# Fixtures shared by the tests of several folders (the employment service's people and posts).
pytest_plugins = ["tests.assistance.employment_helpers"]

# The Django test database follows FUPIN_DB (SQLite by default, PostgreSQL in CI's second run).
os.environ.setdefault("FUPIN_DB", "sqlite:///" + str(Path(__file__).resolve().parent.parent / ".test.sqlite3"))

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def using_postgres() -> bool:
    return os.environ.get("FUPIN_DB", "").startswith("postgres")


DATABASE_FIXTURES = frozenset({"db", "transactional_db", "live_server", "django_db_setup"})


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL run, only the tests that reach the database: the engine, file and
    command-line tests (whose commands open their own SQLite files) already ran on the SQLite
    run, against the same code, and would only run twice (CI's 12 minutes). So did the browser
    tests: what a phone screen shows does not depend on the database under the page."""
    if not using_postgres():
        return
    keep, skip = [], []
    for item in items:
        reaches = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        in_browser = "tests/browser/" in item.nodeid or item.nodeid.startswith("tests/monitoring/test_declare_browser")
        (keep if reaches and not in_browser else skip).append(item)
    if skip:
        config.hook.pytest_deselected(items=skip)
        items[:] = keep


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


# --- users -------------------------------------------------------------------------------------


@pytest.fixture
def make_user(db, settings):
    """``make_user(username, role, region)`` → a user made by ``accounts.services.create_user``
    (the region normalised to its scope prefix, the password validated), password ``PASSWORD``.

    Passwords are hashed with MD5 for the rest of the test: PBKDF2 costs ~0.3 s per user, and
    these users are about roles and scopes, not password storage (logging in still works)."""
    from fupin.accounts.services import create_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(username: str, role: str, region: str, password: str = PASSWORD):
        return create_user(username, role, region, password)

    return make


@pytest.fixture
def village_user(make_user):
    return make_user("cadre_a", "village", VILLAGE_A)


@pytest.fixture
def other_village_user(make_user):
    return make_user("cadre_b", "village", VILLAGE_B)


@pytest.fixture
def village_c_user(make_user):
    return make_user("cadre_c", "village", VILLAGE_C)


@pytest.fixture
def town_user(make_user):
    return make_user("town", "town", TOWN)


@pytest.fixture
def other_town_user(make_user):
    return make_user("town_x", "town", OTHER_TOWN)


@pytest.fixture
def county_user(make_user):
    return make_user("county", "county", COUNTY)


@pytest.fixture
def other_county_user(make_user):
    return make_user("county_x", "county", OTHER_COUNTY)


@pytest.fixture
def analyst_user(make_user):
    return make_user("analyst", "analyst", COUNTY)


@pytest.fixture
def steward_user(make_user):
    return make_user("steward", "steward", COUNTY)


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", "admin", COUNTRY)


@pytest.fixture
def users(village_user, other_village_user, village_c_user, town_user, other_town_user, county_user,
          other_county_user, analyst_user, steward_user, admin_user):
    """All the standard users, by role (``_b``/``_c``/``_other``: the same role elsewhere)."""
    return {
        "village": village_user,
        "village_b": other_village_user,
        "village_c": village_c_user,
        "town": town_user,
        "town_other": other_town_user,
        "county": county_user,
        "county_other": other_county_user,
        "analyst": analyst_user,
        "steward": steward_user,
        "admin": admin_user,
    }


@pytest.fixture
def api_headers(db):
    """``api_headers(user)`` → ``{"HTTP_AUTHORIZATION": "Bearer …"}`` with a new token of the user,
    to pass to the test client: ``client.get(url, **api_headers(county_user))``."""
    from fupin.accounts.services import issue_token

    def headers(user) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user.username)}"}

    return headers


# --- background jobs -----------------------------------------------------------------------------

@pytest.fixture
def job_files(tmp_path, monkeypatch):
    """Uploads and job outputs in the test's own folder."""
    monkeypatch.setenv("FUPIN_JOBS_DIR", str(tmp_path / "jobs"))
    return tmp_path / "jobs"


@pytest.fixture
def immediate_queue(job_files):
    """Jobs run at once, in the test's thread and transaction (huey's immediate mode)."""
    from fupin.jobs.queue import huey

    huey.immediate = True
    yield huey
    huey.immediate = False


@pytest.fixture
def run_jobs(immediate_queue, django_capture_on_commit_callbacks):
    """Context manager: jobs started inside it are sent to the (immediate) queue on commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- data ------------------------------------------------------------------------------------------

@pytest.fixture
def divisions_loaded(transactional_db):
    """Transactional tests flush the database, official divisions included: load them again."""
    from fupin.registry.services.divisions import ensure_divisions

    ensure_divisions()


@pytest.fixture
def two_counties(db):
    """60 generated households in town 500101102 (villages TOWN + 2NN) and 20 in 涪陵区, loaded as
    an import loads them (the rows, then the region figures)."""
    from tests.db_snapshot import replayed
    from tests.fupin_testdata import load, synth_frames

    def build():
        load(*synth_frames(60, TOWN))
        load(*synth_frames(20, OTHER_COUNTY, seed=2))

    replayed("two_counties", build)
