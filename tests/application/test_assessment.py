"""Assessing a stored year: the run, its verdicts and findings, the region figures, the leads."""

from __future__ import annotations

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied

from fupin.accounts.scoping import Scope
from fupin.application import assessment
from fupin.application import policy as policy_provider
from fupin.application import registry as registry_use_cases
from fupin.assessments.models import AssessmentRun, RegionStat, Verdict
from fupin.engine.policy import PolicyMissing, load_policies
from fupin.io import write_registry
from fupin.monitoring.models import Lead
from fupin.registry.models import Household
from fupin.synth import generate
from tests.fupin_testdata import assess, load
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db

YEAR = 2020


@pytest.fixture
def registry(db):
    households, members, regions = generate(150, YEAR, region="500101", seed=3)
    load(households, members, regions)
    return households, members


def test_run_stores_one_current_verdict_per_household_and_its_findings(registry):
    households, _ = registry
    run = assess(YEAR).run
    assert run.verdicts.count() == households.height
    assert Verdict.objects.within(EVERYWHERE).filter(current=True).count() == households.height
    assert set(Verdict.objects.within(EVERYWHERE).values_list("meets_standard", flat=True)) <= {
        "yes", "no", "unverified", "error"}
    assert run.policy.startswith("national@")


def test_rerunning_one_household_keeps_the_old_verdict_as_history(registry):
    households, _ = registry
    assess(YEAR)
    household_id = households["household_id"][0]
    second = assess(YEAR, household_ids=[household_id]).run
    verdicts = Verdict.objects.within(EVERYWHERE).filter(household_id=household_id).order_by("run_id")
    assert [v.current for v in verdicts] == [False, True]
    assert verdicts.last().run_id == second.pk
    assert Verdict.objects.within(EVERYWHERE).filter(current=True).count() == households.height


def test_region_figures_exist_for_every_level_and_add_up(registry):
    households, members = registry
    assess(YEAR)
    stats = RegionStat.objects.within(EVERYWHERE)
    assert set(stats.filter(year=YEAR).values_list("level", flat=True)) == {"village", "town", "county", "province"}
    county = stats.get(year=YEAR, code="500101000000")
    assert county.households == households.height
    assert sum(v.households for v in stats.filter(year=YEAR, level="village")) == county.households
    assert stats.get(year=YEAR, code="500000000000").households == county.households
    living = members.filter(pl.col("member_status").is_null() | (pl.col("member_status") == "正常")).height
    assert county.people == living
    assert sum(county.households_by_status.values()) == county.households


def test_missing_policy_value_refuses_the_run_and_stores_nothing(registry):
    Household.objects.within(EVERYWHERE).update(year=2022)
    with pytest.raises(PolicyMissing) as refused:
        assess(2022)
    assert "2022" in str(refused.value) and "50" in str(refused.value)
    assert AssessmentRun.objects.within(EVERYWHERE).count() == 0 and Verdict.objects.within(EVERYWHERE).count() == 0


def _import(tmp_path, households, members, regions):
    """Through the import use case, as a file from a county office arrives."""
    path = tmp_path / "registry.xlsx"
    write_registry(path, households, members, regions)
    return registry_use_cases.import_file(EVERYWHERE, path, rejects=tmp_path / "rejects.xlsx")


def test_registered_households_are_counted_for_a_year_not_yet_assessed(db, tmp_path):
    households, members, regions = generate(60, YEAR, region="500101", seed=3)
    _import(tmp_path, households, members, regions)
    registered = households.filter(pl.col("registered").fill_null(False)).height
    county = RegionStat.objects.within(EVERYWHERE).get(year=YEAR, code="500101000000")
    assert AssessmentRun.objects.within(EVERYWHERE).count() == 0
    assert registered > 0 and county.registered_households == registered
    assert county.unmet == {} and county.projected_incidence is None


def test_a_household_with_an_empty_registration_counts_as_a_general_household_everywhere(db, tmp_path):
    households, members, regions = generate(30, YEAR, region="500101", seed=4)
    first = households.filter(~pl.col("registered"))["household_id"][0]
    households = households.with_columns(
        registered=pl.when(pl.col("household_id") == first).then(None).otherwise(pl.col("registered")))
    load(households, members, regions)
    assessment.refresh_figures(EVERYWHERE, policy_provider.current(), YEAR)
    county = RegionStat.objects.within(EVERYWHERE).get(year=YEAR, code="500101000000")
    general = households.filter(~pl.col("registered").fill_null(False)).height
    assert county.households_by_status["一般农户"] == general
    assert county.registered_households == households.height - general


def test_assessing_hands_the_leads_to_their_villages_once(registry):
    first = assess(YEAR)
    leads = Lead.objects.within(EVERYWHERE).filter(channel="engine")
    expected = first.verdicts.filter(pl.col("monitoring_category").is_in(["unstable", "marginal", "sudden"])
                                     | (pl.col("elimination") == "ready")).height
    assert first.leads_created == leads.count() == expected
    assert set(leads.exclude(category="").values_list("category", flat=True)) <= {"unstable", "marginal", "sudden"}
    again = assess(YEAR)
    assert again.leads_created == 0 and again.leads_existing == expected


def test_a_scope_assesses_only_its_own_households(registry):
    households, _ = registry
    town = households["region_code"][0][:9]
    inside = Household.objects.within(Scope.system(town)).filter(year=YEAR).count()
    outcome = assessment.assess_year(Scope.system(town), policy_provider.current(), YEAR)
    assert outcome.run.households == inside and outcome.run.region_prefix == town
    assert outcome.verdicts["region_code"].str.starts_with(town).all()


def test_a_read_only_scope_cannot_assess(registry, analyst_user):
    with pytest.raises(PermissionDenied):
        assessment.assess_year(Scope.of(analyst_user), policy_provider.current(), YEAR)
    assert AssessmentRun.objects.within(EVERYWHERE).count() == 0


def test_a_provincial_policy_assesses_a_year_national_policy_cannot(registry, tmp_path):
    Household.objects.within(EVERYWHERE).update(year=2022)
    province = tmp_path / "cq.toml"
    province.write_text(
        'name = "cq-test"\nversion = "1"\nregion = "50"\n'
        '[monitoring_line]\n2022 = { value = 7000, source = "test", confidence = "—" }\n', encoding="utf-8")
    outcome = assessment.assess_year(EVERYWHERE, load_policies([str(province)]), 2022)
    assert outcome.run.policy == "national@1.0+cq-test@1"
    stored = Verdict.objects.within(EVERYWHERE).filter(run=outcome.run).first()
    assert stored.details["monitoring_line"] == 7000


def test_explaining_a_stored_household_uses_its_stored_verdict(registry):
    households, _ = registry
    assess(YEAR)
    household_id = households["household_id"][0]
    text = assessment.explain_household(EVERYWHERE, household_id, YEAR)
    assert household_id in text and "政策" in text
    with pytest.raises(assessment.NothingToAssess):
        assessment.explain_household(EVERYWHERE, household_id, YEAR + 1)
