"""Roles have explicit capabilities: a steward sends department lists and nothing else; every
download of personal data is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import CAPABILITIES, Capability, Scope
from fupin.application import jobs
from fupin.application import registry as registry_use_cases
from fupin.jobs import selectors as job_selectors
from fupin.jobs.models import Job
from tests.fupin_testdata import synth_frames, workbook
from tests.regions import TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def test_the_capability_table_gives_each_role_what_the_issue_names():
    assert CAPABILITIES["steward"] == {Capability.MATCH}
    assert CAPABILITIES["analyst"] == {Capability.READ, Capability.POLICY, Capability.ANALYSE}
    assert Capability.ANALYSE in CAPABILITIES["county"] and Capability.ANALYSE not in CAPABILITIES["town"]
    assert Capability.EXPORT in CAPABILITIES["county"] and Capability.EXPORT not in CAPABILITIES["village"]
    assert Capability.AUDIT in CAPABILITIES["admin"] and Capability.AUDIT not in CAPABILITIES["county"]


def test_a_steward_may_not_import_export_or_assess(registry, steward_user, tmp_path):
    scope = Scope.of(steward_user)
    with pytest.raises(PermissionDenied):
        jobs.start_import(scope, workbook(tmp_path, synth_frames(5, TOWN)))
    with pytest.raises(PermissionDenied):
        jobs.start_export(scope, year=2020)
    with pytest.raises(PermissionDenied):
        jobs.start_assessment(scope, year=2020)
    with pytest.raises(PermissionDenied):
        registry_use_cases.export_registry(scope, tmp_path / "x.xlsx", year=2020)


def test_a_steward_sees_no_export_job_of_the_county_nor_its_file(registry, county_user, steward_user, run_jobs):
    with run_jobs():
        job = jobs.start_export(Scope.of(county_user), year=2020, region=TOWN)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    steward = Scope.of(steward_user)
    assert list(job_selectors.recent_jobs(steward)) == []
    with pytest.raises(Exception) as refused:
        jobs.download(steward, job.pk, "output")
    assert type(refused.value).__name__ == "Http404"


def test_a_steward_may_start_a_matching_job(registry, steward_user, run_jobs):
    upload = SimpleUploadedFile("medical.csv", "姓名,证件号码,年度,合规自付医疗费用\n".encode())
    with run_jobs():
        job = jobs.start_match(Scope.of(steward_user), upload, kind="medical", year=2020)
    assert job.kind == Job.Kind.MATCH


def test_downloading_an_export_is_logged_with_who_and_which_job(registry, county_user, run_jobs):
    with run_jobs():
        job = jobs.start_export(Scope.of(county_user), year=2020, region=TOWN)
    path, _name = jobs.download(Scope.of(county_user), job.pk, "output")
    assert path.exists()
    logged = SensitiveView.objects.within(EVERYWHERE).get(what=f"download:export-output#{job.pk}")
    assert logged.user == county_user and logged.region_code == TOWN
