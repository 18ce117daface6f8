"""Import service: a validated exchange file into the registry, as one atomic upsert.

The reader (``fupin.io.read_registry``) has already validated every row set-based and decided
which households cannot load; the application layer (:func:`fupin.application.registry.import_file`)
has refused rows outside the importer's scope. Here, against the database:

1. households whose members already belong to another household of the same year in the
   database are refused too (Q04 across files — an error on both, never a silent move);
2. villages not yet known are registered under their town; region attributes are updated;
3. households and members are compared with the stored snapshot of their year, column by
   column, null-safe: new rows are inserted, changed rows updated (version + 1), unchanged rows
   left alone, members no longer in a re-imported household removed; every insert, update and
   removal writes a history row with the import batch as its reason.

All of it runs in one transaction, so an error or Ctrl-C leaves the database as it was, and
importing the same file twice changes nothing. Imports are serialised (:func:`hold_import_lock`):
their checks and writes read country-wide keys, so two at once would each miss the other's rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import polars as pl
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.engine import schema
from fupin.registry import bulk
from fupin.registry.models import Household, ImportBatch, Member, Region

# One advisory lock for every import of the deployment (an arbitrary 64-bit constant: "fupin-im").
IMPORT_LOCK = 0x66757069_6E2D696D & 0x7FFFFFFFFFFFFFFF
IMPORT_LOCK_WAIT_SECONDS = 600


class ImportBusy(Exception):
    """Another import held the registry for longer than an import waits; the message is for users."""


def hold_import_lock(progress=None) -> None:
    """Serialise imports: inside the caller's transaction, wait for any other import to commit.

    On PostgreSQL, a transaction-level advisory lock: released at commit or rollback, so a killed
    process never leaves it held. The import waits up to ``IMPORT_LOCK_WAIT_SECONDS``, then gives up with
    a message to try again later. The checks that read the stored keys (S02, Q04) run after this,
    so they see the rows of the import that went first. SQLite serialises writers by itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK])
        if cursor.fetchone()[0]:
            return
        if progress:
            progress("waiting", 0, 1)
        cursor.execute(f"SET LOCAL lock_timeout = '{int(IMPORT_LOCK_WAIT_SECONDS)}s'")
        try:
            with transaction.atomic():
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        except OperationalError:
            raise ImportBusy("另一个导入正在进行，等待超时，本次未导入任何数据，请稍后重试 "
                             "(another import is still running; nothing was imported, try again later)") from None
        cursor.execute("SET LOCAL lock_timeout = 0")


@dataclass
class ImportReport:
    batch_id: int | None = None
    households_new: int = 0
    households_changed: int = 0
    households_unchanged: int = 0
    households_rejected: int = 0
    members_new: int = 0
    members_changed: int = 0
    members_removed: int = 0
    members_unchanged: int = 0
    rows_rejected: int = 0
    villages_registered: int = 0
    years: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            (self.households_new, self.households_changed, self.members_new,
             self.members_changed, self.members_removed, self.villages_registered)
        )

    def as_dict(self) -> dict:
        return asdict(self)


# Q04 against the database (rules.md section 5): the messages of a person already registered in
# another household of the same year, for an import's rejects and an edit's form alike. The other
# household is named only when it lies inside the scope of the one who is told.
Q04_STORED_ZH = "此证件号码已在其他地区登记，请联系县级管理员（一人不能同属两户）"
Q04_STORED_EN = "this ID number is registered in another region; contact the county administrator"
Q04_INSIDE_ZH = "此人已登记在同年度的另一户（户编号 {}）中：一人不能同属两户，请核实后修正其中一户"
Q04_INSIDE_EN = "this person is already registered in household {} of the same year"


def stored_members_with_ids(id_numbers: list[str], year: int) -> pl.DataFrame:
    """(household_id, year, id_number) of the stored members with these IDs in ``year``, wherever
    they are: the one-person-one-household check is country-wide (one query, for an edit)."""
    rows = (Member.objects.unscoped("one person, one household, country-wide (Q04)")
            .filter(year=year, id_number__in=[i for i in id_numbers if i])
            .values_list("household_key", "year", "id_number"))
    return pl.DataFrame(list(rows), schema={"household_id": pl.String, "year": pl.Int32, "id_number": pl.String},
                        orient="row")


def conflicts_with_database(households: pl.DataFrame, members: pl.DataFrame,
                            stored: pl.DataFrame | None = None) -> pl.DataFrame:
    """Members of ``households`` already registered in another household of the same year.

    Returns (household_id, year, id_number, other_household_id) rows: the incoming household is
    refused (Q04), the stored one is left as it is. ``stored`` defaults to every stored member of
    the years (an import); an edit passes the few rows :func:`stored_members_with_ids` finds.
    """
    if members.height == 0:
        return pl.DataFrame(schema={"household_id": pl.String, "year": pl.Int32,
                                    "id_number": pl.String, "other_household_id": pl.String})
    if stored is None:
        # One person, one household, country-wide: this integrity check reads every region.
        stored = bulk.read_members(Scope.system(), members["year"].unique().drop_nulls().to_list())
    stored = stored.select("id_number", "year", other_household_id="household_id")
    importing = households.select("household_id", "year")
    clash = members.select("household_id", "year", "id_number").join(stored, on=["id_number", "year"])
    clash = clash.filter(pl.col("household_id") != pl.col("other_household_id"))
    # A stored household that this same file re-imports without that person is no conflict.
    moved_out = clash.join(
        importing.rename({"household_id": "other_household_id"}), on=["other_household_id", "year"], how="semi"
    )
    return clash.join(moved_out, on=["household_id", "year", "id_number"], how="anti")


def _register_villages(households: pl.DataFrame, regions: pl.DataFrame) -> int:
    codes = households.select(pl.col("region_code").unique()).to_series()
    known = set(Region.objects.unscoped("villages known anywhere are not registered twice")
                .filter(code__in=codes.to_list()).values_list("code", flat=True))
    new_codes = [c for c in codes.to_list() if c not in known]
    if not new_codes:
        return 0
    names: dict[str, str] = {}
    if "village_name" in households.columns:
        names.update(
            households.filter(pl.col("village_name").is_not_null())
            .group_by("region_code").agg(pl.col("village_name").first())
            .rows()
        )
    if regions.height and "name" in regions.columns:
        names.update(
            regions.filter(pl.col("name").is_not_null())
            .select(pl.col("region_code").str.pad_end(12, "0"), "name").rows()
        )
    Region.objects.bulk_create(
        [
            Region(code=c, name=names.get(c) or f"{c[-3:]}村", level="village",
                   parent_id=divisions.town_of(c), official=False, zone=divisions.zone_of(c))
            for c in new_codes
        ],
        batch_size=5000,
    )
    return len(new_codes)


def _update_region_attributes(scope: Scope, regions: pl.DataFrame) -> None:
    if regions.height == 0:
        return
    attrs = ["registered_rural_population", "zone", "poverty_county", "county_exit_year", "poor_village", "deep_poverty"]
    padded = regions.with_columns(pl.col("region_code").str.pad_end(12, "0"))
    existing = {r.code: r for r in Region.objects.within(scope).filter(code__in=padded["region_code"].to_list())}
    stored = {code: tuple(getattr(r, a) for a in [*attrs, "name"]) for code, r in existing.items()}
    for row in padded.iter_rows(named=True):
        region = existing.get(row["region_code"])
        if region is None:
            continue
        for a in attrs:
            if row.get(a) is not None:
                setattr(region, a, row[a])
        if row.get("name") and not region.official:
            region.name = row["name"]
    # Only the regions whose values differ are written: a regions sheet re-imported as it was
    # (every row with a name) used to rewrite every region of it.
    changed = [r for code, r in existing.items() if tuple(getattr(r, a) for a in [*attrs, "name"]) != stored[code]]
    Region.objects.within(scope).bulk_update(changed, [*attrs, "name"], batch_size=2000)


def _diff(incoming: pl.DataFrame, stored: pl.DataFrame, key: list[str], compare: list[str]):
    """Split incoming rows into new, changed (with the stored pk) and unchanged."""
    joined = incoming.join(stored.rename({c: f"{c}__db" for c in stored.columns if c not in key}),
                           on=key, how="left")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__db")) for c in compare])
    is_new = pl.col("id__db").is_null()
    new = joined.filter(is_new).select(incoming.columns)
    changed = joined.filter(~is_new & differs).select([*incoming.columns, pl.col("id__db").alias("id")])
    unchanged = joined.filter(~is_new & ~differs).height
    return new, changed, unchanged


@dataclass
class StoredAfter:
    """The households and members of some counties and the imported years as the database holds
    them once the import has committed, with the columns, dtypes and row order that
    ``bulk.read_households`` / ``bulk.read_members`` (without pk) would give — built from the
    frames the import already holds, so that the region figures need not read them back."""

    households: pl.DataFrame
    members: pl.DataFrame

    def of(self, year: int, county: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The households and members of ``year`` in ``county`` (a region-code prefix), as
        ``bulk.read_households(Scope.system(county), year)`` and ``read_members`` would give them."""
        bounds = Scope.system(county).lookup("region_code")
        inside = pl.lit(True)
        for lookup, value in bounds.items():
            inside &= (pl.col("region_code") >= value) if lookup.endswith("__gte") else (pl.col("region_code") < value)
        households = self.households.filter((pl.col("year") == year) & inside)
        members = self.members.filter(pl.col("year") == year).join(
            households.select(household_pk="id"), on="household_pk", how="semi")
        return (households.drop("id"),
                members.drop("id", "household_pk", "_new", "_order"))


def import_frames(households: pl.DataFrame, members: pl.DataFrame, regions: pl.DataFrame, *, scope: Scope,
                  source: str, source_format: str, rejected_households: int = 0,
                  rejected_rows: int = 0, progress=None, stored_members: pl.DataFrame | None = None,
                  stored_members_years: list[int] | None = None) -> ImportReport:
    """Upsert loadable households and members (canonical frames, all inside ``scope``) in one
    transaction.

    ``stored_members`` may hand over what ``bulk.read_members(Scope.system(), stored_members_years,
    with_pk=True)`` gave inside the caller's transaction (the Q04 check read it already)."""
    report, _after = import_frames_keeping(
        households, members, regions, scope=scope, source=source, source_format=source_format,
        rejected_households=rejected_households, rejected_rows=rejected_rows, progress=progress,
        stored_members=stored_members, stored_members_years=stored_members_years)
    return report


def import_frames_keeping(households: pl.DataFrame, members: pl.DataFrame, regions: pl.DataFrame, *,
                          scope: Scope, source: str, source_format: str, rejected_households: int = 0,
                          rejected_rows: int = 0, progress=None, stored_members: pl.DataFrame | None = None,
                          stored_members_years: list[int] | None = None,
                          counties: list[str] | None = None) -> tuple[ImportReport, StoredAfter | None]:
    """:func:`import_frames`, also returning the stored rows of ``counties`` (6-digit codes) and
    the imported years as they stand after it (:class:`StoredAfter`), or None when ``counties``
    is None or the rows in hand could differ from what the database gives back."""
    report = ImportReport(households_rejected=rejected_households, rows_rejected=rejected_rows)
    h_cols = bulk.household_columns()
    m_cols = bulk.member_columns()
    households_with_names = households
    households = households.select(h_cols)
    members = members.select(m_cols)
    years = sorted(households["year"].unique().drop_nulls().to_list())
    report.years = years
    step = progress or (lambda stage, done, total: None)
    user = scope.actor
    user_id = getattr(user, "pk", None)

    with transaction.atomic():
        batch = ImportBatch.objects.create(source=source[:500], source_format=source_format, user=user,
                                           region=scope.prefix)
        reason = f"import batch {batch.pk}"
        report.batch_id = batch.pk
        step("regions", 0, 4)
        report.villages_registered = _register_villages(households_with_names, regions)
        _update_region_attributes(scope, regions)

        step("households", 1, 4)
        # Keys are country-wide (户编号 and 年度): the stored rows are matched wherever they are.
        system = Scope.system()
        stored_h = bulk.read_households(system, years, with_pk=True) if years else pl.DataFrame()
        compare_h = [c for c in h_cols if c not in ("household_id", "year")]
        if stored_h.height:
            new_h, changed_h, report.households_unchanged = _diff(
                households, stored_h, ["household_id", "year"], compare_h)
        else:
            new_h, changed_h = households, households.clear().with_columns(id=pl.lit(None, pl.Int64))
        now = timezone.now()
        if new_h.height:
            bulk.insert_frame(Household._meta.db_table, new_h.with_columns(
                version=pl.lit(1), import_batch_id=pl.lit(batch.pk), updated_at=pl.lit(now)))
        if changed_h.height:
            bulk.update_frame(Household._meta.db_table, changed_h.with_columns(
                import_batch_id=pl.lit(batch.pk), updated_at=pl.lit(now)))
        report.households_new, report.households_changed = new_h.height, changed_h.height

        step("members", 2, 4)
        # The keys only: the rows themselves are in hand (the file's, and the stored ones above).
        pks = bulk.read_household_ids(system, years) if years else None
        incoming_m = members.join(pks.rename({"id": "household_pk"}), on=["household_id", "year"], how="left") \
            if pks is not None else members.with_columns(household_pk=pl.lit(None, pl.Int64))
        if not years:
            stored_m = pl.DataFrame()
        elif stored_members is not None and set(years) <= set(stored_members_years or ()):
            stored_m = stored_members.filter(pl.col("year").is_in(years))
        else:
            stored_m = bulk.read_members(system, years, with_pk=True)
        compare_m = [c for c in m_cols if c not in ("id_number", "year")] + ["household_pk"]
        if stored_m.height:
            stored_m_of_file = stored_m.join(households.select("household_id", "year"),
                                             on=["household_id", "year"], how="semi")
            new_m, changed_m, report.members_unchanged = _diff(
                incoming_m, stored_m, ["id_number", "year"], compare_m)
            removed = stored_m_of_file.join(members.select("id_number", "year"), on=["id_number", "year"], how="anti")
        else:
            new_m, changed_m = incoming_m, incoming_m.clear().with_columns(id=pl.lit(None, pl.Int64))
            removed = pl.DataFrame(schema={"id": pl.Int64})
        if removed.height:
            bulk.record_history(Member, removed["id"], "-", user_id=user_id, reason=reason)
            bulk.delete_ids(Member, removed["id"])
        if new_m.height:
            bulk.insert_frame(Member._meta.db_table, new_m.with_columns(
                version=pl.lit(1), import_batch_id=pl.lit(batch.pk), updated_at=pl.lit(now)))
        if changed_m.height:
            bulk.update_frame(Member._meta.db_table, changed_m.with_columns(
                import_batch_id=pl.lit(batch.pk), updated_at=pl.lit(now)))
        report.members_new, report.members_changed = new_m.height, changed_m.height
        report.members_removed = removed.height

        step("history", 3, 4)
        bulk.record_batch_history(Household, batch.pk, user_id=user_id, reason=reason)
        bulk.record_batch_history(Member, batch.pk, user_id=user_id, reason=reason)

        for name in ("households_new", "households_changed", "households_unchanged", "households_rejected",
                     "members_new", "members_changed", "members_removed", "members_unchanged",
                     "rows_rejected"):
            setattr(batch, name, getattr(report, name))
        batch.finished_at = timezone.now()
        batch.save()
        step("done", 4, 4)
    after = None
    if counties and years:
        after = _stored_after(counties, stored_h, new_h, changed_h, pks, stored_m, new_m, changed_m, removed)
    return report, after


def _stored_after(counties, stored_h, new_h, changed_h, pks, stored_m, new_m, changed_m, removed) -> StoredAfter | None:
    """The stored rows of ``counties`` after the import, from the rows in hand: the stored ones
    not replaced, then the file's changed and new ones (new members ordered after the stored
    ones of their household, as their fresh ids are)."""
    h_schema = {c: t for c, t in schema.polars_schema("households").items() if c in bulk.household_columns()}
    m_schema = {c: t for c, t in schema.polars_schema("members").items() if c in bulk.member_columns()}
    h_cols, m_cols = bulk.household_columns(), bulk.member_columns()
    for part in (new_h, changed_h, new_m, changed_m):
        floats = [c for c, t in part.schema.items() if t in (pl.Float32, pl.Float64)]
        if floats and part.select(pl.any_horizontal(pl.col(floats).is_nan().any())).item():
            return None   # a NaN comes back from SQLite as NULL: only the database can say
    in_counties = pl.col("region_code").str.slice(0, 6).is_in(list(counties))
    keys = ["household_id", "year"]
    kept_h = stored_h.filter(in_counties).join(changed_h.select(keys), on=keys, how="anti") \
        if stored_h.height else None
    incoming_h = pl.concat([changed_h.select(h_cols), new_h.select(h_cols)]).filter(in_counties) \
        .cast(h_schema).join(pks, on=keys, how="left").select("id", *h_cols)
    households = pl.concat([p for p in (kept_h.select("id", *h_cols) if kept_h is not None else None, incoming_h)
                            if p is not None]).sort(keys)
    member_cols = ["id", "household_pk", *m_cols]
    parts = []
    if stored_m.height:
        gone = pl.concat([removed.select("id"), changed_m.select("id")])
        parts.append(stored_m.join(gone, on="id", how="anti").select(member_cols)
                     .with_columns(_new=pl.lit(False), _order=pl.col("id")))
    parts.append(changed_m.select(member_cols).cast(m_schema).with_columns(_new=pl.lit(False), _order=pl.col("id")))
    parts.append(new_m.select(*m_cols, "household_pk").cast(m_schema).with_columns(
        id=pl.lit(None, pl.Int64), _new=pl.lit(True), _order=pl.int_range(pl.len(), dtype=pl.Int64))
        .select(*member_cols, "_new", "_order"))
    members = pl.concat(parts).join(households.select(household_pk="id"), on="household_pk", how="semi") \
        .sort(["household_id", "year", "_new", "_order"])
    return StoredAfter(households, members)
