"""Job pages: start from a form, follow on a page that polls, download; scoped and role-checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fupin.application import jobs as services
from fupin.jobs.models import Job
from tests.fupin_testdata import synth_frames, workbook
from tests.regions import TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_at_once(immediate_queue):
    """Jobs run at once, with the test's own job folder (tests/conftest.py)."""


@pytest.fixture
def county_client(client, county_user):
    client.force_login(county_user)
    return client


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("jobs:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_village_cadre_is_refused_the_job_pages(client, village_user):
    client.force_login(village_user)
    assert client.get(reverse("jobs:list")).status_code == 403
    assert client.post(reverse("jobs:export"), {"year": 2020}).status_code == 403


def test_export_started_from_the_page_is_followed_on_a_job_page_that_polls_every_second(county_client, registry):
    response = county_client.post(reverse("jobs:export"), {"year": 2020, "region": TOWN})
    job = Job.objects.within(EVERYWHERE).get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    page = county_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and reverse("jobs:progress", args=[job.pk]) in page
    assert '<meta http-equiv="refresh"' in page  # without JavaScript the page reloads itself

    services.run_job(job.pk)
    block = county_client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in block  # finished: polling stops
    download = reverse("jobs:download", args=[job.pk, "output"])
    assert download in block
    response = county_client.get(download)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"  # an xlsx (zip) file


def test_job_page_after_a_reload_shows_the_stored_state(county_client, registry):
    county_client.post(reverse("jobs:export"), {"year": 2020})
    job = Job.objects.within(EVERYWHERE).get()
    services.run_job(job.pk)
    job.refresh_from_db()
    for _ in range(2):
        page = county_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
        assert 'value="100"' in page and job.get_status_display() in page


def test_progress_answers_json_for_scripts(county_client, registry):
    county_client.post(reverse("jobs:export"), {"year": 2020})
    job = Job.objects.within(EVERYWHERE).get()
    state = county_client.get(reverse("jobs:progress", args=[job.pk]), HTTP_ACCEPT="application/json").json()
    assert state["status"] == "queued" and state["progress"] == 0 and state["files"] == []


def test_import_page_uploads_the_file_and_the_job_loads_it(county_client, tmp_path, run_jobs):
    upload = workbook(tmp_path, synth_frames(12, TOWN, seed=5))
    with run_jobs():
        response = county_client.post(reverse("jobs:import"), {"file": upload})
    assert response.status_code == 302
    job = Job.objects.within(EVERYWHERE).get()
    assert job.status == Job.Status.DONE and job.result["households_new"] == 12
    page = county_client.get(response["Location"]).content.decode()
    assert job.message.splitlines()[0] in page


def test_form_with_a_bad_year_is_shown_again_with_the_reason(county_client, registry):
    response = county_client.post(reverse("jobs:export"), {"year": 2019})
    assert response.status_code == 400 and "2019" in response.content.decode()
    assert not Job.objects.within(EVERYWHERE).exists()


def test_user_of_another_county_gets_not_found_for_the_page_progress_and_download(client, county_client,
                                                                                 other_county_user, registry):
    county_client.post(reverse("jobs:export"), {"year": 2020})
    job = Job.objects.within(EVERYWHERE).get()
    services.run_job(job.pk)
    client.force_login(other_county_user)
    for url in (reverse("jobs:detail", args=[job.pk]), reverse("jobs:progress", args=[job.pk]),
                reverse("jobs:download", args=[job.pk, "output"])):
        assert client.get(url).status_code == 404
    assert reverse("jobs:detail", args=[job.pk]) not in client.get(reverse("jobs:list")).content.decode()


def test_job_list_and_page_cost_a_bounded_number_of_queries(county_client, registry, django_assert_max_num_queries):
    for _ in range(5):
        county_client.post(reverse("jobs:export"), {"year": 2020})
    job = Job.objects.within(EVERYWHERE).first()
    with django_assert_max_num_queries(6):
        assert county_client.get(reverse("jobs:list")).status_code == 200
    with django_assert_max_num_queries(6):
        assert county_client.get(reverse("jobs:detail", args=[job.pk])).status_code == 200


def test_job_pages_are_in_chinese_by_default_with_english_on_request(county_client):
    assert "后台任务" in county_client.get(reverse("jobs:list")).content.decode()
    english = county_client.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No jobs yet." in english and "后台任务" not in english
