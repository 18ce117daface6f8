"""Fixtures for the job tests: users of two counties, a small registry, an immediate queue."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Role

from fupin_testdata import OTHER_COUNTY, PASSWORD, TOWN, load, synth_frames


@pytest.fixture(autouse=True)
def job_files(tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_JOBS_DIR", str(tmp_path / "jobs"))
    return tmp_path / "jobs"


@pytest.fixture(autouse=True)
def immediate_queue():
    """Jobs run at once, in the test's thread and transaction (huey's immediate mode)."""
    from fupin.jobs.queue import huey

    huey.immediate = True
    yield huey
    huey.immediate = False


@pytest.fixture
def make_user(db):
    from fupin.accounts.services import create_user

    def make(username: str, role: str, region: str):
        return create_user(username, role, region, PASSWORD)

    return make


@pytest.fixture
def county_user(make_user):
    return make_user("county1", Role.COUNTY, "500101")


@pytest.fixture
def other_county_user(make_user):
    return make_user("county2", Role.COUNTY, OTHER_COUNTY)


@pytest.fixture
def village_user(make_user):
    return make_user("cadre1", Role.VILLAGE, TOWN + "201")


@pytest.fixture
def registry(db):
    """60 households in town 500101102 and 20 in 涪陵区, loaded through the importer."""
    load(*synth_frames(60, TOWN))
    load(*synth_frames(20, OTHER_COUNTY, seed=2))


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Context manager: jobs started inside it are sent to the (immediate) queue on commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
