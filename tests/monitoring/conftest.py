"""Fixtures of the monitoring tests (data in monitoring_helpers; the users are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.db_snapshot import replayed
from tests.fupin_testdata import assess, load
from tests.monitoring.monitoring_helpers import YEAR, build_registry
from tests.scopes import EVERYWHERE


@pytest.fixture
def registry(db):
    h, m, r = build_registry()
    replayed("monitoring registry", lambda: load(h, m, r))
    return h, m


@pytest.fixture
def chongqing_policy():
    """2023 needs a monitoring line, which only a province sets (the shipped example of 重庆)."""
    from fupin.application import policy as provider

    provider.configure(["chongqing.toml"])
    yield provider.current()
    provider.reset()


@pytest.fixture
def assessed(registry, chongqing_policy):
    from fupin.registry.models import Household, Member

    # H7 (未脱贫) with every indicator known, so that its verdict can be 达标.
    Household.objects.within(EVERYWHERE).filter(household_id="H7").update(
        food_secure=True, clothing_secure=True, housing_grade="A", water_safe=True)
    Member.objects.within(EVERYWHERE).filter(household_key="H7").update(
        medical_insurance="城乡居民", school_status="非在校生")
    outcome = assess(YEAR, dispatch_leads=False)
    from fupin.assessments.models import Verdict

    verdicts = dict(Verdict.objects.within(EVERYWHERE).filter(year=YEAR, current=True)
                    .values_list("household_id", "meets_standard"))
    assert verdicts["H7"] == "yes", outcome  # the one registered poor household meets the standard
    return verdicts
