"""Fixtures of the web tests: the registry of web_helpers.py, loaded and assessed; a logged-in cadre.

The users (``village_user`` of VILLAGE_A, ``other_village_user`` of VILLAGE_B, ``town_user``,
``county_user``, ``analyst_user`` …) are the shared ones of tests/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.db_snapshot import replayed
from tests.fupin_testdata import assess, load
from tests.web.web_helpers import YEAR, registry_frames


@pytest.fixture
def registry(db):
    return replayed("web registry", lambda: load(*registry_frames()))


@pytest.fixture
def assessed(registry):
    from fupin.assessments.models import AssessmentRun

    pk = replayed("web registry assessed", lambda: assess(YEAR).run.pk)
    return AssessmentRun.objects.unscoped("the fixture reads back its own run").get(pk=pk)


@pytest.fixture
def cadre_client(client, village_user):
    """The test client logged in as the cadre of VILLAGE_A."""
    client.force_login(village_user)
    return client

