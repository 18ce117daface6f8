"""Load the official division table into Region, once per database.

``migrate`` does it (migration 0005); this is for a database whose tables were emptied since
(the tests' transactional flush).
"""

from __future__ import annotations

from django.db import transaction

from fupin import divisions
from fupin.registry.models import Region


def ensure_divisions() -> int:
    """Insert the official table if the database does not have it; returns rows added."""
    regions = Region.objects.unscoped("the official division table is the same for everyone")
    if regions.filter(official=True).exists():
        return 0
    table = divisions.table()
    rows = [
        Region(code=code, name=name, level=level, parent_id=parent, official=True,
               zone=divisions.zone_of(code))
        for code, name, level, parent in table.select("code", "name", "level", "parent_code").iter_rows()
    ]
    with transaction.atomic():
        Region.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(rows)
