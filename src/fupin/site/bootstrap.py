"""Start Django in a process of our own: pick the database, set up the apps, apply migrations.

The command line and the job worker call :func:`setup` before they import anything that uses
the models; migrations (which also load the official divisions) run automatically, so that a
fresh SQLite file or an empty PostgreSQL database just works.
"""

from __future__ import annotations

import os

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from django.db.utils import OperationalError

from fupin.site.dburl import DatabaseUnavailable, check, current_url, explain_connection_error, to_django

__all__ = ["DatabaseUnavailable", "setup"]

_ready_for: str | None = None


def setup(db_url: str | None = None, *, migrate: bool = True, create: bool = True) -> None:
    """Configure Django for ``db_url`` (or ``FUPIN_DB``) and bring the schema up to date.

    ``create=False`` (commands that only read) refuses a SQLite file that does not exist yet.
    A URL or server the command cannot use raises :class:`DatabaseUnavailable` with one line
    saying what to do, never a driver traceback."""
    global _ready_for
    if db_url or not apps.ready:
        # (A process whose Django is up already — a test run — has its database.)
        check(db_url or current_url(), must_exist=not create)
    if db_url:
        os.environ["FUPIN_DB"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.site.settings")
    if _ready_for is None:
        django.setup()
        _ready_for = os.environ.get("FUPIN_DB", "")
    elif db_url and db_url != _ready_for:
        # A second database in one process (the demo, tests): point the connections at it.
        connections.close_all()
        settings.DATABASES["default"] = to_django(db_url)
        connections.settings = connections.configure_settings(settings.DATABASES)
        connections._connections = type(connections._connections)()
        _ready_for = db_url
    if migrate:
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except OperationalError as exc:
            explained = explain_connection_error(db_url or current_url(), exc)
            if explained is None:
                raise
            raise explained from None
