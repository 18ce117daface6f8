"""Start Django from the command line: pick the database, set up apps, apply migrations."""

from __future__ import annotations

import os

_ready_for: str | None = None


def setup(db_url: str | None = None, *, migrate: bool = True) -> None:
    """Configure Django for ``db_url`` (or ``FUPIN_DB``) and bring the schema up to date.

    Commands that touch the database call this; migrations run automatically so that a fresh
    SQLite file or an empty PostgreSQL database just works.
    """
    global _ready_for
    if db_url:
        os.environ["FUPIN_DB"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.site.settings")
    import django
    from django.conf import settings

    if _ready_for is None:
        django.setup()
        _ready_for = os.environ.get("FUPIN_DB", "")
    elif db_url and db_url != _ready_for:
        from django.db import connections

        from fupin.site.dburl import to_django

        connections.close_all()
        settings.DATABASES["default"] = to_django(db_url)
        connections.settings = connections.configure_settings(settings.DATABASES)
        connections._connections = type(connections._connections)()
        _ready_for = db_url
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from fupin.registry.services.divisions import ensure_divisions

        ensure_divisions()
