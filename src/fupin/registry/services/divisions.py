"""Load the official division table into Region, once per database.

``migrate`` does it (migration 0005); :func:`ensure_divisions` is for a database whose tables
were emptied since (the tests' transactional flush). Both insert with one ``executemany`` of
plain tuples: 42,000 rows as model instances through ``bulk_create`` took 2.5 s of every new
database's 5 s of migrations on SQLite; as tuples they take a tenth of that.
"""

from __future__ import annotations

from django.db import connection, transaction

from fupin import divisions
from fupin.registry.models import Region

COLUMNS = ("code", "name", "level", "parent_id", "official", "zone")


def official_rows() -> list[tuple]:
    """The official table as rows of :data:`COLUMNS` (parents before children)."""
    table = divisions.table().select("code", "name", "level", "parent_code")
    return [(code, name, level, parent, True, divisions.zone_of(code)) for code, name, level, parent in table.iter_rows()]


def insert_official(cursor, table: str = "registry_region") -> None:
    """Insert the official rows, leaving any code already present as it is."""
    quote = cursor.db.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    cursor.executemany(f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                       official_rows())


def ensure_divisions() -> int:
    """Insert the official table if the database does not have it; returns rows added."""
    regions = Region.objects.unscoped("the official division table is the same for everyone")
    if regions.filter(official=True).exists():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        insert_official(cursor, Region._meta.db_table)
    return regions.filter(official=True).count()
