"""The huey queue: a SQLite file next to the database by default, Redis when configured.

Embedded by default (architecture principle 7): with the default SQLite database the queue is
``<db>.queue.sqlite3`` beside it, so ``fupin serve`` needs no other server. ``FUPIN_REDIS_URL``
switches to Redis (several hosts, one queue); ``FUPIN_QUEUE_PATH`` names the SQLite file.

Live progress is kept in the queue's key-value store, not in the Job row: an import writes the
registry in one transaction, and on SQLite that transaction holds the only write lock, so the
worker could not update the Job row until it commits (on PostgreSQL the update would be inside
the transaction and invisible). The Job row gets the final state.
"""

from __future__ import annotations

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey

from fupin.site.dburl import current_url, to_django


def queue_path() -> Path:
    explicit = os.environ.get("FUPIN_QUEUE_PATH")
    if explicit:
        return Path(explicit).expanduser().resolve()
    url = current_url()
    settings = to_django(url)
    if settings["ENGINE"].endswith("sqlite3") and settings["NAME"] != ":memory:":
        db = Path(settings["NAME"])
        return db.with_name(db.name.removesuffix(db.suffix) + ".queue.sqlite3")
    return Path.cwd() / f"fupin-{settings['NAME'] or 'default'}.queue.sqlite3"


def _make_huey():
    redis_url = os.environ.get("FUPIN_REDIS_URL")
    if redis_url:
        return RedisHuey("fupin", url=redis_url)
    path = queue_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("fupin", filename=str(path), timeout=30)


huey = _make_huey()

_PROGRESS_KEY = "fupin-job-progress-{}"


def put_progress(job_id: int, percent: int, stage: str) -> None:
    huey.put(_PROGRESS_KEY.format(job_id), (int(percent), stage))


def peek_progress(job_id: int) -> tuple[int, str] | None:
    try:
        return huey.get(_PROGRESS_KEY.format(job_id), peek=True)
    except Exception:  # a queue we cannot reach must not break the page that shows the job
        return None


def clear_progress(job_id: int) -> None:
    huey.get(_PROGRESS_KEY.format(job_id))
