"""API jobs: start import, assessment and export; follow and download — scoped, role-checked, CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from fupin.jobs.models import Job
from tests.fupin_testdata import synth_frames, workbook
from tests.regions import OTHER_COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def test_export_job_started_with_a_token_runs_and_its_file_downloads(client, county_user, api_headers, registry,
                                                                     run_jobs):
    auth = api_headers(county_user)
    with run_jobs():
        response = client.post("/api/jobs/export", {"year": 2020, "region": TOWN}, content_type="application/json",
                               **auth)
    assert response.status_code == 201
    job_id = response.json()["id"]
    body = client.get(f"/api/jobs/{job_id}", **auth).json()
    assert (body["status"], body["progress"], body["files"]) == ("done", 100, ["output"])
    assert body["result"]["households"] == 60 and body["region"] == TOWN
    download = client.get(f"/api/jobs/{job_id}/download", **auth)
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert client.get(f"/api/jobs/{job_id}/download?file=rejects", **auth).status_code == 404


def test_import_job_takes_a_multipart_upload(client, county_user, api_headers, tmp_path, run_jobs):
    auth = api_headers(county_user)
    upload = workbook(tmp_path, synth_frames(15, TOWN, seed=8))
    with run_jobs():
        response = client.post("/api/jobs/import", {"file": upload, "year": 2020}, **auth)
    assert response.status_code == 201, response.content
    job = Job.objects.within(EVERYWHERE).get(pk=response.json()["id"])
    assert job.status == Job.Status.DONE and job.result["households_new"] == 15


def test_import_of_an_unsupported_file_is_a_400_with_the_reason(client, county_user, api_headers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    auth = api_headers(county_user)
    response = client.post("/api/jobs/import", {"file": SimpleUploadedFile("a.pdf", b"%PDF")}, **auth)
    assert response.status_code == 400 and "a.pdf" in response.json()["detail"]


def test_assessment_job_through_the_api_stores_verdicts(client, county_user, api_headers, registry, run_jobs):
    from fupin.assessments.models import Verdict

    auth = api_headers(county_user)
    with run_jobs():
        response = client.post("/api/jobs/assess", {"year": 2020}, content_type="application/json", **auth)
    assert response.status_code == 201
    body = client.get(f"/api/jobs/{response.json()['id']}", **auth).json()
    assert body["status"] == "done", body
    assert Verdict.objects.within(EVERYWHERE).filter(run_id=body["result"]["run_id"]).count() == 60


def test_job_of_another_county_is_not_found(client, county_user, other_county_user, api_headers, registry):
    auth = api_headers(county_user)
    job_id = client.post("/api/jobs/export", {"year": 2020}, content_type="application/json", **auth).json()["id"]
    other_auth = api_headers(other_county_user)
    assert client.get(f"/api/jobs/{job_id}", **other_auth).status_code == 404
    assert client.get(f"/api/jobs/{job_id}/download", **other_auth).status_code == 404


def test_job_for_a_region_outside_the_scope_is_not_found(client, county_user, api_headers, registry):
    auth = api_headers(county_user)
    response = client.post("/api/jobs/export", {"year": 2020, "region": OTHER_COUNTY},
                           content_type="application/json", **auth)
    assert response.status_code == 404 and not Job.objects.within(EVERYWHERE).exists()


def test_village_cadre_may_not_start_or_read_jobs(client, village_user, county_user, api_headers, registry):
    auth = api_headers(village_user)
    assert client.post("/api/jobs/export", {"year": 2020}, content_type="application/json", **auth).status_code == 403
    county_auth = api_headers(county_user)
    job_id = client.post("/api/jobs/export", {"year": 2020}, content_type="application/json",
                         **county_auth).json()["id"]
    assert client.get(f"/api/jobs/{job_id}", **auth).status_code == 403


def test_session_post_needs_the_csrf_token(county_user, registry):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(county_user)
    refused = browser.post("/api/jobs/export", {"year": 2020}, content_type="application/json")
    assert refused.status_code == 403 and not Job.objects.within(EVERYWHERE).exists()
    browser.get("/jobs/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/jobs/export", {"year": 2020}, content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_token_post_needs_no_csrf_token(county_user, api_headers, registry):
    auth = api_headers(county_user)
    scripted = Client(enforce_csrf_checks=True)
    assert scripted.post("/api/jobs/export", {"year": 2020}, content_type="application/json",
                         **auth).status_code == 201


def test_job_status_costs_a_bounded_number_of_queries(client, county_user, api_headers, registry,
                                                      django_assert_max_num_queries):
    auth = api_headers(county_user)
    job_id = client.post("/api/jobs/export", {"year": 2020}, content_type="application/json", **auth).json()["id"]
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/jobs/{job_id}", **auth).status_code == 200
