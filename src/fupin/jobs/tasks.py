"""The huey task: one per job; the work itself is in :mod:`fupin.jobs.services`."""

from __future__ import annotations

from django.db import close_old_connections, connections

from fupin.jobs.queue import huey


@huey.task(retries=0)
def execute_job(job_id: int) -> None:
    # A worker thread outlives many jobs: start each with healthy connections and close this
    # thread's connections after it (jobs are rare and long; an idle connection is waste).
    if not huey.immediate:
        close_old_connections()
    try:
        from fupin.jobs.services import run_job

        run_job(job_id)
    finally:
        if not huey.immediate:
            connections.close_all()
