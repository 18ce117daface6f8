"""The bulk path between the database and Polars frames (the store).

Batch work never goes through model instances: reads are one query into a frame, writes are
``executemany`` on SQLite and ``COPY`` on PostgreSQL. Pages and single edits use the ORM.
Every read of registry rows takes a :class:`~fupin.accounts.scoping.Scope`, as the scoped
managers do; a system-wide read (the cross-household ID check of an import) says so with
``Scope.system()``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl
from django.db import connection

from fupin.accounts.scoping import Scope
from fupin.engine import schema
from fupin.registry.models import Household, Member, Region, exchange_fields

BATCH_ROWS = 50_000
ANALYZE_AFTER_ROWS = 10_000


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- reading -----------------------------------------------------------------------------

def household_columns() -> list[str]:
    return ["household_id", "year", *[f.name for f in exchange_fields("households")]]


def member_columns() -> list[str]:
    return ["household_id", "year", "id_number", *[f.name for f in exchange_fields("members")]]


def query_frame(sql: str, params: list, schema_: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run a query and return its rows as a frame with the given column dtypes."""
    if is_postgres():
        # COPY (query) TO STDOUT: the server streams CSV, Polars parses it; no Python row objects.
        with connection.cursor() as cursor:
            raw_cursor = cursor.cursor
            query = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else raw_cursor.mogrify(sql, params)
            buffer = io.BytesIO()
            with raw_cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false, NULL '\\N')") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema_)
        read_schema = {k: (pl.String if v == pl.Boolean else v) for k, v in schema_.items()}
        frame = pl.read_csv(buffer, schema=read_schema, has_header=False, null_values="\\N")
        return frame.with_columns(
            [pl.col(k).replace_strict({"t": True, "f": False}, return_dtype=pl.Boolean)
             for k, v in schema_.items() if v == pl.Boolean]
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    read_schema = {k: (pl.Int8 if v == pl.Boolean else v) for k, v in schema_.items()}
    frame = pl.DataFrame(rows, schema=read_schema, orient="row")
    return frame.with_columns([pl.col(k).cast(pl.Boolean) for k, v in schema_.items() if v == pl.Boolean])


def _where(year: int | Iterable[int] | None, prefix: str, region_column: str) -> tuple[str, list]:
    clauses, params = [], []
    if year is not None:
        years = [year] if isinstance(year, int) else list(year)
        clauses.append(f"year IN ({', '.join(['%s'] * len(years))})")
        params.extend(years)
    if prefix:
        # A range, as the scoped managers filter (index-usable under any collation).
        for lookup, value in Scope(prefix, "").lookup(region_column).items():
            clauses.append(f"{region_column} {'>=' if lookup.endswith('__gte') else '<'} %s")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def read_households(scope: Scope, year=None, *, with_pk: bool = False) -> pl.DataFrame:
    """The households of ``year`` (an int, several, or None for all) inside ``scope``."""
    cols = household_columns()
    dtypes = schema.polars_schema("households")
    out_schema = ({"id": pl.Int64()} if with_pk else {}) | {c: dtypes[c] for c in cols}
    where, params = _where(year, scope.prefix, "region_code")
    select = ", ".join(_q(c) for c in out_schema)
    sql = f"SELECT {select} FROM {_q(Household._meta.db_table)}{where} ORDER BY household_id, year"
    return query_frame(sql, params, out_schema)


def read_household_keys(scope: Scope, year=None) -> pl.DataFrame:
    """(household_id, year, region_code) of the households of ``year`` inside ``scope``."""
    out_schema = {"household_id": pl.String(), "year": pl.Int32(), "region_code": pl.String()}
    where, params = _where(year, scope.prefix, "region_code")
    sql = f"SELECT household_id, year, region_code FROM {_q(Household._meta.db_table)}{where}"
    return query_frame(sql, params, out_schema)


def read_household_ids(scope: Scope, year=None) -> pl.DataFrame:
    """(id, household_id, year) of the households of ``year`` inside ``scope``."""
    out_schema = {"id": pl.Int64(), "household_id": pl.String(), "year": pl.Int32()}
    where, params = _where(year, scope.prefix, "region_code")
    sql = f"SELECT id, household_id, year FROM {_q(Household._meta.db_table)}{where}"
    return query_frame(sql, params, out_schema)


def read_members(scope: Scope, year=None, *, with_pk: bool = False) -> pl.DataFrame:
    """The members of the households of ``year`` inside ``scope``."""
    cols = member_columns()
    dtypes = schema.polars_schema("members")
    out_schema = ({"id": pl.Int64(), "household_pk": pl.Int64()} if with_pk else {}) | {c: dtypes[c] for c in cols}
    m, h = _q(Member._meta.db_table), _q(Household._meta.db_table)
    select = ", ".join(f"m.{_q(c)}" for c in out_schema)
    where, params = _where(year, scope.prefix, "h.region_code")
    where = where.replace("year IN", "m.year IN")
    sql = (
        f"SELECT {select} FROM {m} m JOIN {h} h ON h.id = m.household_pk{where} "
        f"ORDER BY m.household_id, m.year, m.id"
    )
    return query_frame(sql, params, out_schema)


def read_regions(scope: Scope) -> pl.DataFrame:
    """The divisions and villages of the scope's province, with their attributes.

    The whole province, not only the scope: the region figures look a zone or a population up
    the chain (village → town → county → province), and divisions are public."""
    out_schema = {
        "region_code": pl.String(), "name": pl.String(), "level": pl.String(),
        "registered_rural_population": pl.Int32(), "zone": pl.String(),
        "poverty_county": pl.Boolean(), "county_exit_year": pl.Int32(),
        "poor_village": pl.Boolean(), "deep_poverty": pl.Boolean(),
    }
    where, params = _where(None, scope.prefix[:2], "code")
    sql = (
        "SELECT code, name, level, registered_rural_population, zone, poverty_county, county_exit_year, "
        "poor_village, deep_poverty "
        f"FROM {_q(Region._meta.db_table)}{where} ORDER BY code"
    )
    return query_frame(sql, params, out_schema)


# --- writing -----------------------------------------------------------------------------

def insert_frame(table: str, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (columns = table columns); COPY on PostgreSQL."""
    if frame.height == 0:
        return 0
    cols = frame.columns
    if is_postgres():
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="\\N", quote_style="necessary")
        col_sql = ", ".join(_q(c) for c in cols)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {_q(table)} ({col_sql}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
                copy.write(buffer.getvalue())
            if frame.height >= ANALYZE_AFTER_ROWS and not table.startswith("fupin_tmp"):
                # Fresh statistics after a bulk load: with the old ones the planner takes a
                # region index and filters a whole county instead of the household key index.
                cursor.execute(f"ANALYZE {_q(table)}")
        return frame.height
    placeholders = ", ".join(["?"] * len(cols))
    sql = f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in cols)}) VALUES ({placeholders})"
    frame = _adapted_dates(frame)
    connection.ensure_connection()
    raw = connection.connection  # the sqlite3 connection, inside Django's transaction
    for start in range(0, frame.height, BATCH_ROWS):
        raw.executemany(sql, frame.slice(start, BATCH_ROWS).iter_rows())
    return frame.height


def _adapted_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """A date or datetime column holding one value on every row (an import's timestamp) as the
    text Django's sqlite3 adapter stores for it, adapted once instead of once per row (a tenth
    of the insert time)."""
    from django.db.backends.sqlite3.base import adapt_date, adapt_datetime  # SQLite only: not imported on PostgreSQL

    out = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            column = frame[name]
            if column.null_count() == 0 and column.n_unique() == 1:
                value = column[0]
                out[name] = pl.lit(adapt_date(value) if dtype == pl.Date else adapt_datetime(value), dtype=pl.String)
    return frame.with_columns(**out) if out else frame


def update_frame(table: str, frame: pl.DataFrame, key: str = "id") -> int:
    """Update rows by primary key from a frame; ``version`` is incremented."""
    if frame.height == 0:
        return 0
    cols = [c for c in frame.columns if c != key]
    assignments = ", ".join(f"{_q(c)} = %s" for c in cols)
    sql = f"UPDATE {_q(table)} SET {assignments}, version = version + 1 WHERE {_q(key)} = %s"
    ordered = frame.select([*cols, key])
    with connection.cursor() as cursor:
        for start in range(0, ordered.height, BATCH_ROWS):
            cursor.executemany(sql, ordered.slice(start, BATCH_ROWS).rows())
    return frame.height


def with_id_table(ids: pl.Series, fn, *, sql_type: str = "BIGINT"):
    """Run ``fn(temp_table_name)`` with a temporary table ``(id)`` holding ``ids``.

    Joining a temporary table avoids IN lists of a million parameters.
    """
    name = "fupin_tmp_ids"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} (id {sql_type} PRIMARY KEY)")
    insert_frame(name, pl.DataFrame({"id": ids.unique().drop_nulls()}))
    try:
        return fn(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _history_insert(model, history_type: str, *, user_id: int | None, reason: str) -> tuple[str, list]:
    """The INSERT … SELECT head that copies rows of ``model`` into its history table."""
    historical = model.history.model
    target_cols, source_exprs, params = [], [], []
    now = datetime.now(UTC)
    fixed = {"history_date": now, "history_type": history_type, "history_change_reason": reason,
             "history_user_id": user_id}
    for field in historical._meta.concrete_fields:
        column = field.column
        if column == "history_id":
            continue
        target_cols.append(column)
        if column in fixed:
            source_exprs.append("%s")
            params.append(fixed[column])
        else:
            source_exprs.append(f"t.{_q(column)}")
    sql = (
        f"INSERT INTO {_q(historical._meta.db_table)} ({', '.join(_q(c) for c in target_cols)}) "
        f"SELECT {', '.join(source_exprs)} FROM {_q(model._meta.db_table)} t"
    )
    return sql, params


def record_history(model, ids: pl.Series, history_type: str, *, user_id: int | None, reason: str) -> int:
    """Write django-simple-history rows for ``ids`` in one INSERT … SELECT (no per-row save)."""
    if ids.len() == 0:
        return 0
    head, params = _history_insert(model, history_type, user_id=user_id, reason=reason)

    def run(id_table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"{head} JOIN {id_table} i ON i.id = t.id", params)
            return cursor.rowcount

    return with_id_table(ids, run)


def record_batch_history(model, batch_id: int, *, user_id: int | None, reason: str) -> int:
    """History rows for everything an import batch inserted (version 1: '+') or updated ('~').

    The rows are found by their batch number, so no list of ids crosses over from Python.
    """
    written = 0
    for history_type, condition in (("+", "= 1"), ("~", "> 1")):
        head, params = _history_insert(model, history_type, user_id=user_id, reason=reason)
        with connection.cursor() as cursor:
            cursor.execute(f"{head} WHERE t.import_batch_id = %s AND t.version {condition}", [*params, batch_id])
            written += cursor.rowcount
    return written


def delete_ids(model, ids: pl.Series) -> int:
    if ids.len() == 0:
        return 0

    def run(id_table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_q(model._meta.db_table)} WHERE id IN (SELECT id FROM {id_table})")
            return cursor.rowcount

    return with_id_table(ids, run)


def retire_current(model, year: int, household_ids: pl.Series) -> None:
    """Mark the stored rows of these households and year as no longer current."""
    table = _q(model._meta.db_table)

    def run(id_table: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {_q('current')} = %s WHERE year = %s AND {_q('current')} = %s "
                f"AND household_id IN (SELECT id FROM {id_table})",
                [False, year, True],
            )

    with_id_table(household_ids, run, sql_type="VARCHAR(64)")
