"""Built test databases, replayed: a fixture's rows are made once per test process the way the
product makes them (an import, an assessment), and for every later test inserted as they were.

Hundreds of database tests start from the same small registry; importing and assessing it took
0.2 s + 0.35 s of each test's setup, on SQLite and again on PostgreSQL. :func:`replayed` runs
``build`` the first time (reading every table before and after it), keeps the rows it added,
changed or removed, and applies exactly that change to the next test's database with one
``executemany`` per table — the rows, ids and timestamps of the first build. Only inside a test's
transaction (``db``); a transactional test (whose tables are flushed between tests, so the rows
around the change differ) always builds. When the replay cannot apply (a row with the same key
was made by an earlier fixture of the test), it falls back to building. ``FUPIN_TEST_NO_REPLAY=1`` builds every time (to compare).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

_SNAPSHOTS: dict[tuple, tuple[list, Any]] = {}
_SKIP = {"django_migrations", "sqlite_sequence"}


def _hashable(value):
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _dump(connection) -> dict[str, tuple[list[str], dict]]:
    out = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in _SKIP:
                continue
            cursor.execute(f"SELECT * FROM {quote(table)}")
            columns = [d[0] for d in cursor.description]
            out[table] = (columns, {tuple(_hashable(v) for v in row): row for row in cursor.fetchall()})
    return out


def _diff(connection, before, after) -> list:
    changes = []
    with connection.cursor() as cursor:
        for table, (columns, rows) in after.items():
            old = before.get(table, (columns, {}))[1]
            added = [rows[k] for k in rows.keys() - old.keys()]
            gone = [old[k] for k in old.keys() - rows.keys()]
            if not added and not gone:
                continue
            pk = connection.introspection.get_primary_key_column(cursor, table)
            if pk is None:
                raise LookupError(table)
            at = columns.index(pk)
            changes.append((table, columns, pk, [r[at] for r in gone], added))
    return changes


def _value(connection, value):
    if connection.vendor == "postgresql" and isinstance(value, (dict, list)):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _apply(connection, changes) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns, pk, gone, added in changes:
            for at in range(0, len(gone), 500):
                part = gone[at:at + 500]
                cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} IN ({', '.join(['%s'] * len(part))})",
                               part)
            if added:
                names = ", ".join(quote(c) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})",
                                   [tuple(_value(connection, v) for v in row) for row in added])


def replayed(key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s result; its database change made by ``build`` once per process and database,
    replayed afterwards (see the module's docstring)."""
    from django.db import DatabaseError, connection, transaction

    if not connection.in_atomic_block or os.environ.get("FUPIN_TEST_NO_REPLAY"):
        return build()
    slot = (connection.vendor, connection.settings_dict["NAME"], key)
    if slot in _SNAPSHOTS:
        changes, result = _SNAPSHOTS[slot]
        try:
            with transaction.atomic():
                _apply(connection, changes)
            return result
        except DatabaseError:
            return build()
    before = _dump(connection)
    result = build()
    try:
        _SNAPSHOTS[slot] = (_diff(connection, before, _dump(connection)), result)
    except LookupError:   # a table without a primary key: this fixture always builds
        pass
    return result
