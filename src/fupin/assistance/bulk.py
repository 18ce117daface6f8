"""The bulk path of the assistance ledger: the database to the rules' frames, and a validated
file into the database as one idempotent upsert.

:func:`read_ledger` gives exactly what ``fupin.io.assistance.AssistanceFile.ledger()`` gives for
a file (canonical frames of ``fupin.engine.assistance.schema`` and the catalogue in force), so
R1–R4 and R9 run on one definition whatever the source. :func:`upsert` compares incoming rows
with the stored ones by natural key (the ``key`` column, unique), null-safe and column by
column: new rows are inserted, changed ones updated (version + 1), unchanged ones left alone;
history rows are written in one INSERT … SELECT per kind for what the batch inserted or changed
(``fupin.registry.bulk``), so re-importing a file writes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.utils import timezone

from fupin.accounts.scoping import Scope
from fupin.assistance.models import (
    Cadre,
    CatalogueEntry,
    Dividend,
    IncomeProject,
    LabourRecord,
    Measure,
    MigrationRecord,
    Pairing,
    Placement,
    Post,
    Visit,
    stored_fields,
)
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.catalogue import Catalogue
from fupin.engine.assistance.rules import Ledger
from fupin.registry import bulk as store
from fupin.registry.models import Member
from fupin.registry.services.imports import (
    _diff as diff_rows,  # one null-safe diff for every upsert
)

MODELS = {"measures": Measure, "income_projects": IncomeProject, "dividends": Dividend,
          "measure_catalogue": CatalogueEntry, "cadres": Cadre, "pairings": Pairing, "visits": Visit,
          "posts": Post, "placements": Placement, "labour": LabourRecord, "migration": MigrationRecord}
# The order of a load: the catalogue names the 小类 of measures, projects the ones of dividends,
# cadres the 责任人 of pairings and visits.
LOAD_ORDER = ("measure_catalogue", "income_projects", "measures", "dividends", "cadres", "pairings", "visits",
              "posts", "placements", "labour", "migration")
# A post's 工作地区划 is stored as ``work_region``: its ``region_code`` is the scope that lists it.
WORK_REGION = "work_region"
# Resolved into 责任人编号 at import (1.6), not stored.
NOT_STORED_COLUMNS = {"pairings": ("cadre_name", "cadre_phone")}
# Never read into the rules' frames: free text that no rule needs (1.7: never on a card or page).
VISIT_TEXT = ("problem", "content")


def columns(table: str) -> list[str]:
    """The stored exchange columns of ``table`` (besides key and region_code)."""
    fields = S.CATALOGUE_FIELDS if table == "measure_catalogue" else stored_fields(table)
    cols = [f.name for f in fields if f.name not in NOT_STORED_COLUMNS.get(table, ())]
    if table == "posts":
        return [*cols, WORK_REGION]
    return [*cols, "wide"] if table == "measures" else cols


def _schema(table: str) -> dict[str, pl.DataType]:
    if table == "measure_catalogue":
        return {f.name: S.dtype(f) for f in S.CATALOGUE_FIELDS}
    full = S.polars_schema(table) | {WORK_REGION: pl.String()}
    return {c: full[c] for c in columns(table)}


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).fill_null("")


def natural_key(table: str) -> pl.Expr:
    """The ``key`` text of a canonical row (spec 1.1–1.4), one expression per table."""
    c = pl.col
    if table == "measures":
        composite = pl.concat_str([pl.lit("k"), *[_text(c(n)) for n in ("household_id", "id_number", "subtype",
                                                                        "start", "year")]], separator="|")
        return pl.when(c("measure_id").is_not_null()).then(pl.lit("id|") + c("measure_id")).otherwise(composite)
    if table == "income_projects":
        return c("project_id")
    if table == "dividends":
        return pl.concat_str([_text(c(n)) for n in ("project_id", "household_id", "year", "paid_on")], separator="|")
    if table == "measure_catalogue":
        return pl.concat_str([_text(c("region_code")), c("subtype")], separator="|")
    if table == "cadres":
        return c("cadre_id")
    if table == "pairings":
        return pl.concat_str([_text(c(n)) for n in ("cadre_id", "household_id", "start")], separator="|")
    if table == "posts":
        return c("post_id")
    if table == "placements":
        return pl.concat_str([_text(c(n)) for n in ("id_number", "start", "post_id", "employer")], separator="|")
    if table == "labour":
        return pl.concat_str([_text(c(n)) for n in ("id_number", "year")], separator="|")
    if table == "migration":
        return pl.concat_str([_text(c(n)) for n in ("id_number", "reported_on")], separator="|")
    if table == "visits":
        who = pl.when(c("cadre_id").is_not_null()).then(c("cadre_id")).otherwise(pl.lit("v:") + _text(c("visitor")))
        return pl.concat_str([_text(c("household_id")), _text(c("visited_on")), who, _text(c("mode"))], separator="|")
    raise KeyError(table)


# --- reading -------------------------------------------------------------------------------------

def read_table(scope: Scope, table: str, *, with_keys: bool = False, key_table: str | None = None) -> pl.DataFrame:
    """The stored rows of ``table`` inside ``scope`` as a canonical frame (``with_keys``: also
    ``id``, ``key``, ``region_code``); ``key_table``: only the rows whose key it lists."""
    model = MODELS[table]
    dtypes = _schema(table)
    head = {"id": pl.Int64(), "key": pl.String(), "region_code": pl.String()} if with_keys else {}
    if table == "income_projects" and not with_keys:
        head = {"region_code": pl.String()}
    out_schema = head | dtypes
    clauses, values = [], []
    for lookup, value in scope.lookup("region_code").items():
        clauses.append(f"t.region_code {'>=' if lookup.endswith('__gte') else '<'} %s")
        values.append(value)
    join = f" t JOIN {key_table} k ON k.id = t.{store._q('key')}" if key_table else " t"
    sql = (f"SELECT {', '.join('t.' + store._q(c) for c in out_schema)} FROM {store._q(model._meta.db_table)}{join}"
           + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY t.id")
    frame = store.query_frame(sql, values, out_schema)
    # region_code is never NULL in the table; PostgreSQL's CSV gives its '' (the whole country) back as empty.
    return frame.with_columns(pl.col("region_code").fill_null("")) if "region_code" in frame.columns else frame


def county_rows(scope: Scope) -> pl.DataFrame:
    """The stored county catalogue rows that apply to ``scope``: those of a region containing it
    and those of regions inside it, the wider region first (a county's rows win over a city's)."""
    frame = read_table(Scope.system(), "measure_catalogue", with_keys=True)
    if frame.height == 0:
        return frame
    prefix = scope.prefix
    applies = pl.lit(prefix).str.starts_with(pl.col("region_code")) | pl.col("region_code").str.starts_with(prefix)
    return frame.filter(applies).sort(pl.col("region_code").str.len_chars(), "region_code", "id")


def catalogue_for(scope: Scope) -> Catalogue:
    """The catalogue in force for ``scope``: the default merged with the county rows stored."""
    rows = county_rows(scope)
    return Catalogue.default().merged(rows.drop("id", "key", "region_code")) if rows.height else Catalogue.default()


def read_ledger(scope: Scope, *, year: int | None = None) -> Ledger:
    """The stored ledger inside ``scope`` as the rules' :class:`Ledger` — the layout of
    ``AssistanceFile.ledger()``. Every stored row is read whatever its year: R3 looks back at
    measures started before the year and R2 at dividends of the year before paid in it, and
    the rules pick the window themselves (``year`` is accepted for the callers' symmetry)."""
    del year
    dividends = read_table(scope, "dividends")
    projects = read_table(scope, "income_projects")
    if scope.prefix and dividends.height:
        # A project usually lies above the village whose households it pays (a town's 光伏电站, a
        # county's 资产收益 fund): the projects the scope's dividends name are read wherever they
        # lie — their name, kind and operator only, never another region's households.
        elsewhere = dividends.select("project_id").unique().join(projects.select("project_id"), on="project_id",
                                                                 how="anti")
        if elsewhere.height:
            named = read_table(Scope.system(), "income_projects").join(elsewhere, on="project_id", how="semi")
            projects = pl.concat([projects, named], how="vertical_relaxed")
    cadres, pairings, visits = read_pairings(scope)
    return Ledger(measures=read_table(scope, "measures"), dividends=dividends, projects=projects,
                  catalogue=catalogue_for(scope), cadres=cadres, pairings=pairings, visits=visits,
                  posts=read_posts(scope), placements=read_table(scope, "placements"),
                  labour=read_table(scope, "labour"), migration=read_table(scope, "migration"))


def read_posts(scope: Scope) -> pl.DataFrame:
    """The posts listed by the scope, by the regions containing it (a county's posts for its
    villages) and inside it, with 工作地区划 back as ``region_code`` — the file's layout."""
    frame = read_table(Scope.system(), "posts", with_keys=True)
    prefix = scope.prefix
    if prefix:
        frame = frame.filter(pl.lit(prefix).str.starts_with(pl.col("region_code"))
                             | pl.col("region_code").str.starts_with(prefix))
    return frame.drop("id", "key", "region_code").rename({WORK_REGION: "region_code"}).select(
        [pl.col(c).cast(t) for c, t in S.polars_schema("posts").items()])


def read_pairings(scope: Scope) -> tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame | None]:
    """Cadres, pairings and visits for R5/R6 and the card — all None while no pairing is stored
    anywhere (the file side: no pairing sheet), so a ledger without them is reported as before.
    A cadre lies in the scope that imported him (a county), the households he is paired with in
    villages: the cadres the scope's pairings name are read wherever they lie, without their ID
    number (B09 is the importing scope's)."""
    pairings = read_table(scope, "pairings")
    if pairings.height == 0 and not Pairing.objects.unscoped("whether R5/R6 apply at all: no row is read").exists():
        return None, None, None
    cadres = read_table(scope, "cadres")
    named = pairings.select("cadre_id").unique().join(cadres.select("cadre_id"), on="cadre_id", how="anti")
    if named.height:
        elsewhere = read_table(Scope.system(), "cadres").join(named, on="cadre_id", how="semi").with_columns(
            id_number=pl.lit(None, dtype=pl.String))
        cadres = pl.concat([cadres, elsewhere], how="vertical_relaxed")
    visits = read_table(scope, "visits").drop(VISIT_TEXT)
    return cadres, pairings, visits


def stored_keys(table: str, keys: pl.Series) -> pl.DataFrame:
    """(id, key, region_code) of the stored rows with these keys, wherever they are (keys are
    country-wide, so a key taken in another region is seen: S02)."""
    if keys.len() == 0:
        return pl.DataFrame(schema={"id": pl.Int64(), "key": pl.String(), "region_code": pl.String()})
    found = store.with_id_table(keys, lambda t: read_table(Scope.system(), table, with_keys=True, key_table=t),
                                sql_type="VARCHAR(255)")
    return found.select("id", "key", "region_code")


# --- writing -------------------------------------------------------------------------------------

@dataclass
class TableCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0


def upsert(table: str, incoming: pl.DataFrame, *, batch_id: int, user_id: int | None) -> TableCounts:
    """Write the canonical rows of ``table`` (with ``key`` and ``region_code``) by natural key;
    the caller holds the transaction and the import lock."""
    model = MODELS[table]
    cols = columns(table)
    incoming = incoming.select("key", "region_code", *[pl.col(c).cast(t) for c, t in _schema(table).items()])
    if incoming.height == 0:
        return TableCounts()
    # The stored rows with these keys, wherever they are: keys are country-wide.
    stored = store.with_id_table(incoming["key"], lambda t: read_table(Scope.system(), table, with_keys=True, key_table=t),
                                 sql_type="VARCHAR(255)")
    if stored.height:
        new, changed, unchanged = diff_rows(incoming, stored, ["key"], ["region_code", *cols])
    else:
        new, changed, unchanged = incoming, incoming.clear().with_columns(id=pl.lit(None, pl.Int64)), 0
    now = timezone.now()
    extra = {"import_batch_id": pl.lit(batch_id), "updated_at": pl.lit(now)}
    if new.height:
        store.insert_frame(model._meta.db_table, new.with_columns(version=pl.lit(1), **extra))
    if changed.height:
        store.update_frame(model._meta.db_table, changed.with_columns(**extra))
    if new.height or changed.height:
        store.record_batch_history(model, batch_id, user_id=user_id, reason=f"assistance import batch {batch_id}")
    return TableCounts(new=new.height, changed=changed.height, unchanged=unchanged)


def registry_keys() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every stored household (all years: ``household_id``, ``region_code`` of its newest
    snapshot) and member (``household_id``, ``id_number``): what assistance rows are checked
    against (A01, A02) and where they lie (S01). Keys are country-wide, so this reads every
    region — keys and codes only."""

    keys = store.read_household_keys(Scope.system())
    households = keys.sort("household_id", "year").group_by("household_id", maintain_order=True).agg(
        pl.col("region_code").last())
    members = store.query_frame(
        f"SELECT DISTINCT household_id, id_number FROM {store._q(Member._meta.db_table)}", [],
        {"household_id": pl.String(), "id_number": pl.String()})
    return households, members


def registry_keys_of(household_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`registry_keys` for one household (a measure recorded on a page)."""
    members = store.query_frame(
        f"SELECT DISTINCT household_id, id_number FROM {store._q(Member._meta.db_table)} WHERE household_id = %s",
        [household_id], {"household_id": pl.String(), "id_number": pl.String()})
    return pl.DataFrame({"household_id": [household_id]}), members
