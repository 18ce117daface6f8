"""Assessment runs stored in the database, and the region figures kept beside them."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.synth import generate

pytestmark = pytest.mark.django_db

YEAR = 2020


@pytest.fixture
def registry(db):
    from fupin.registry.services.imports import import_frames

    households, members, regions = generate(150, YEAR, region="500101", seed=3)
    import_frames(households, members, regions, source="test", source_format="test")
    return households, members


def test_run_stores_one_current_verdict_per_household_and_its_findings(registry):
    from fupin.assessments.models import Verdict
    from fupin.assessments.services import run_assessment

    households, _ = registry
    run = run_assessment(YEAR)
    assert run.verdicts.count() == households.height
    assert Verdict.objects.filter(current=True).count() == households.height
    assert set(Verdict.objects.values_list("meets_standard", flat=True)) <= {"yes", "no", "unverified", "error"}
    assert run.policy.startswith("national@")


def test_rerunning_one_household_keeps_the_old_verdict_as_history(registry):
    from fupin.assessments.models import Verdict
    from fupin.assessments.services import run_assessment

    households, _ = registry
    run_assessment(YEAR)
    household_id = households["household_id"][0]
    second = run_assessment(YEAR, household_ids=[household_id])
    verdicts = Verdict.objects.filter(household_id=household_id).order_by("run_id")
    assert [v.current for v in verdicts] == [False, True]
    assert verdicts.last().run_id == second.pk
    assert Verdict.objects.filter(current=True).count() == households.height


def test_region_figures_exist_for_every_level_and_add_up(registry):
    from fupin.assessments.models import RegionStat
    from fupin.assessments.services import run_assessment

    households, members = registry
    run_assessment(YEAR)
    levels = set(RegionStat.objects.filter(year=YEAR).values_list("level", flat=True))
    assert levels == {"village", "town", "county", "province"}
    county = RegionStat.objects.get(year=YEAR, code="500101000000")
    assert county.households == households.height
    villages = RegionStat.objects.filter(year=YEAR, level="village")
    assert sum(v.households for v in villages) == county.households
    assert RegionStat.objects.get(year=YEAR, code="500000000000").households == county.households
    living = members.filter(pl.col("member_status").is_null() | (pl.col("member_status") == "正常")).height
    assert county.people == living
    assert sum(county.households_by_status.values()) == county.households


def test_missing_policy_value_refuses_the_run_and_stores_nothing(registry):
    from fupin.assessments.models import AssessmentRun, Verdict
    from fupin.assessments.services import run_assessment
    from fupin.engine.policy import PolicyMissing
    from fupin.registry.models import Household

    Household.objects.update(year=2022)
    with pytest.raises(PolicyMissing) as refused:
        run_assessment(2022)
    assert "2022" in str(refused.value) and "50" in str(refused.value)
    assert AssessmentRun.objects.count() == 0 and Verdict.objects.count() == 0
