"""The real worker: a huey consumer (thread workers) takes queued jobs from a queue file."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.scoping import Scope
from fupin.application import jobs as services
from fupin.jobs.models import Job
from tests.fupin_testdata import load, synth_frames, workbook
from tests.regions import OTHER_TOWN, TOWN
from tests.scopes import EVERYWHERE

DEADLINE = 120  # seconds; a bound on the wait, not a performance assertion


@pytest.fixture
def restore_divisions(django_db_blocker):
    """A transactional test empties every table at its end; put the division table back."""
    yield
    with django_db_blocker.unblock():
        from fupin.registry.services.divisions import ensure_divisions

        ensure_divisions()


@pytest.fixture
def consumer(tmp_path, immediate_queue):
    """A consumer with one worker thread over a queue file of this test."""
    huey = immediate_queue
    if "filename" not in huey.storage_kwargs:
        pytest.skip("the queue is Redis here (FUPIN_REDIS_URL)")
    saved = dict(huey.storage_kwargs)
    huey.storage_kwargs["filename"] = str(tmp_path / "queue.sqlite3")
    huey.immediate = False
    from fupin.application import jobs  # noqa: F401 - the consumer runs the tasks it knows

    running = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    running._set_signal_handlers = lambda: None  # signals belong to pytest's main thread
    running.start()
    yield running
    running.stop(graceful=True)
    huey.storage.close()
    huey.storage_kwargs.clear()
    huey.storage_kwargs.update(saved)
    huey.immediate = True


def wait_for(job_id: int) -> Job:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        job = Job.objects.within(EVERYWHERE).get(pk=job_id)
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish within {DEADLINE} s: {job.status} {job.stage}")


def test_consumer_thread_runs_a_queued_import_and_a_failing_one(restore_divisions, transactional_db, consumer,
                                                                county_user, tmp_path):
    good = services.start_import(Scope.of(county_user), workbook(tmp_path, synth_frames(25, TOWN, seed=3)))
    bad = services.start_import(Scope.of(county_user), SimpleUploadedFile("b.xlsx", b"not a workbook"))
    assert Job.objects.within(EVERYWHERE).get(pk=good.pk).task_id  # sent to the queue, not run in this thread
    good, bad = wait_for(good.pk), wait_for(bad.pk)
    assert good.status == Job.Status.DONE and good.result["households_new"] == 25
    assert bad.status == Job.Status.FAILED and "Traceback" not in bad.message and bad.message


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("FUPIN_DB", "").startswith("postgres"),
                    reason="needs FUPIN_DB=postgresql://… (the CI's PostgreSQL run)")
def test_consumer_against_postgresql_runs_import_assessment_and_export(restore_divisions, transactional_db,
                                                                       consumer, county_user, tmp_path):
    from django.db import connection

    from fupin.jobs.selectors import job_file

    assert connection.vendor == "postgresql"
    load(*synth_frames(30, TOWN, seed=6))
    imported = services.start_import(Scope.of(county_user), workbook(tmp_path, synth_frames(20, OTHER_TOWN, seed=7)))
    assert wait_for(imported.pk).status == Job.Status.DONE
    assessed = wait_for(services.start_assessment(Scope.of(county_user), year=2020).pk)
    assert assessed.status == Job.Status.DONE and assessed.result["households"] == 50
    exported = wait_for(services.start_export(Scope.of(county_user), year=2020).pk)
    assert exported.status == Job.Status.DONE and exported.result["households"] == 50
    assert job_file(Scope.of(county_user), exported.pk, "output")[0].stat().st_size > 0
