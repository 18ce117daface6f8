"""The official division table as migrate and the tests' flush reload it (one executemany of
tuples, registry.services.divisions)."""

from __future__ import annotations

import pytest

from fupin import divisions
from fupin.registry.models import Region
from fupin.registry.services.divisions import ensure_divisions

pytestmark = pytest.mark.django_db(transaction=True)


def _official():
    return Region.objects.unscoped("the whole official table is compared").filter(official=True)


def _empty_the_table() -> None:
    """One DELETE (the ORM refuses: parents are PROTECTed), as the tests' flush empties it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_region")


def test_ensure_divisions_reloads_the_whole_official_table_once_and_then_adds_nothing():
    _empty_the_table()
    added = ensure_divisions()
    table = divisions.table()
    assert added == table.height == _official().count()
    assert ensure_divisions() == 0
    sample = table.sample(200, seed=3)
    stored = {r.code: r for r in _official().filter(code__in=sample["code"].to_list())}
    for code, name, level, parent in sample.select("code", "name", "level", "parent_code").iter_rows():
        row = stored[code]
        assert (row.name, row.level, row.parent_id, row.zone) == (name, level, parent, divisions.zone_of(code))


def test_a_code_already_present_is_left_as_it_is():
    _empty_the_table()
    Region.objects.create(code="500101000000", name="手工", level="county", official=False)
    ensure_divisions()
    assert Region.objects.unscoped("reading").get(code="500101000000").name == "手工"   # ON CONFLICT DO NOTHING
    assert _official().filter(code="500101001000").exists()                          # the rest is loaded
