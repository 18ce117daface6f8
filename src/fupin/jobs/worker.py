"""The job worker: ``python -m fupin.jobs.worker [--db URL] [--workers N]``.

``fupin serve`` starts it as a child process; ``fupin worker`` runs it on its own (for a
separate machine with Redis). It runs the huey consumer over the queue of :mod:`fupin.jobs.queue`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def run_consumer(*, db: str | None = None, workers: int = 1, migrate: bool = False) -> None:
    if db:
        os.environ["FUPIN_DB"] = db
    from fupin.site.bootstrap import setup

    setup(db, migrate=migrate)
    from fupin.jobs import tasks  # noqa: F401 - registers the task with the consumer
    from fupin.jobs.queue import huey
    from fupin.jobs.services import mark_interrupted

    interrupted = mark_interrupted()
    if interrupted:
        logging.getLogger(__name__).warning("%s job(s) left running by a stopped worker marked failed", interrupted)
    from django.db import connections

    connections.close_all()
    consumer = huey.create_consumer(workers=max(1, workers), worker_type="thread", periodic=False,
                                    check_worker_health=True)
    consumer.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fupin-worker", description="run the background job worker")
    parser.add_argument("--db")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("FUPIN_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_consumer(db=args.db, workers=args.workers)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
