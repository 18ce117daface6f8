"""Fixtures for the API tests: users with tokens in two counties, a small registry."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Role

from fupin_testdata import OTHER_COUNTY, PASSWORD, TOWN, load, synth_frames


@pytest.fixture(autouse=True)
def job_files(tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_JOBS_DIR", str(tmp_path / "jobs"))


@pytest.fixture(autouse=True)
def immediate_queue():
    from fupin.jobs.queue import huey

    huey.immediate = True
    yield huey
    huey.immediate = False


@pytest.fixture
def user_with_token(db):
    from fupin.accounts.services import create_user, issue_token

    def make(username: str, role: str, region: str):
        user = create_user(username, role, region, PASSWORD)
        return user, {"HTTP_AUTHORIZATION": f"Bearer {issue_token(username)}"}

    return make


@pytest.fixture
def county(user_with_token):
    return user_with_token("county1", Role.COUNTY, "500101")


@pytest.fixture
def other_county(user_with_token):
    return user_with_token("county2", Role.COUNTY, OTHER_COUNTY)


@pytest.fixture
def village(user_with_token):
    return user_with_token("cadre1", Role.VILLAGE, TOWN + "201")


@pytest.fixture
def analyst(user_with_token):
    return user_with_token("analyst1", Role.ANALYST, "50")


@pytest.fixture
def registry(db):
    """60 households in town 500101102 (villages 201…) and 20 in 涪陵区."""
    load(*synth_frames(60, TOWN))
    load(*synth_frames(20, OTHER_COUNTY, seed=2))


@pytest.fixture
def assessed(registry):
    from fupin.assessments.services import run_assessment

    run_assessment(2020, region="500101")
    run_assessment(2020, region=OTHER_COUNTY)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)
