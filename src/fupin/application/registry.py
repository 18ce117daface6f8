"""Use cases of the registry: import a file, export a year, edit a household or a member.

Every function takes the actor's :class:`~fupin.accounts.scoping.Scope`. An import is a write to
every household it touches: a household whose region code lies outside the scope (S01), or whose
户编号 is already registered outside it that year (S02, matched on the stored row's region, never
the file's), comes back in the rejects workbook with its rows and nothing about the other
household; a person registered in another household (Q04) is named only inside the scope.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import transaction

from fupin.accounts.scoping import Capability, Scope
from fupin.application import policy as policy_provider
from fupin.assessments.services import refresh_region_stats
from fupin.io import read_registry, write_registry, write_rejects
from fupin.io.codes import CODES, RETURNED_EN, RETURNED_ZH
from fupin.registry import bulk
from fupin.registry.models import Household
from fupin.registry.services import edits
from fupin.registry.services.imports import (
    Q04_INSIDE_EN,
    Q04_INSIDE_ZH,
    Q04_STORED_EN,
    Q04_STORED_ZH,
    ImportReport,
    conflicts_with_database,
    hold_import_lock,
    import_frames_keeping,
)
from fupin.registry.services.imports import ImportBusy as ImportBusy  # entry points catch it from here

Progress = Callable[[str, int, int], None] | None


class ExportRefused(ValueError):
    """Nothing to export; the message says so in Chinese and English."""


@dataclass
class ImportOutcome:
    report: ImportReport
    rejects_path: str | None
    warnings: int
    unknown_columns: dict


_EMPTY_KEYS = {"household_id": pl.String, "year": pl.Int32, "region_code": pl.String}


def _issues(rows: pl.DataFrame, *, table: str, code: str, column: str, value: pl.Expr, zh: str, en: str):
    """Issue rows (the reader's layout) for ``rows`` (with household_id, year, _sheet, _row)."""
    return rows.select(
        table=pl.lit(table), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64), column=pl.lit(column),
        value=value.cast(pl.String), code=pl.lit(code), severity=pl.lit(CODES[code][0]),
        message_zh=pl.lit(f"{CODES[code][1]}：{zh}"), message_en=pl.lit(f"{CODES[code][2]}: {en}"),
        household_id=pl.col("household_id"), year=pl.col("year").cast(pl.Int32),
    )


def _return_with_their_households(registry, added: list[pl.DataFrame]) -> None:
    """Add issues, and mark the other sound rows of their households R00 (returned with the
    household), so that the rejects workbook holds whole households that re-import once fixed."""
    added = [a for a in added if a.height]
    if not added:
        return
    issues = pl.concat([registry.issues, *added], how="diagonal_relaxed")
    keys = pl.concat([a.select("household_id", "year") for a in added]).unique()
    flagged = issues.select(_sheet="sheet", _row="row").unique()
    sound = []
    for table, frame in (("households", registry.households), ("members", registry.members)):
        rows = (frame.select("household_id", "year", "_sheet", "_row").join(keys, on=["household_id", "year"])
                .join(flagged, on=["_sheet", "_row"], how="anti"))
        sound.append(rows.select(
            table=pl.lit(table), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64),
            column=pl.lit(None, dtype=pl.String), value=pl.lit(None, dtype=pl.String), code=pl.lit("R00"),
            severity=pl.lit(CODES["R00"][0]), message_zh=pl.lit(RETURNED_ZH), message_en=pl.lit(RETURNED_EN),
            household_id=pl.col("household_id"), year=pl.col("year").cast(pl.Int32)))
    registry.issues = pl.concat([issues, *sound], how="diagonal_relaxed")


def _outside_the_scope(scope: Scope, registry, households: pl.DataFrame) -> list[pl.DataFrame]:
    """S01 for rows whose region code lies outside the scope; S02 for households (户编号, 年度)
    already registered outside it — matched on the stored row's region, never the file's, and
    told without any detail of the other household."""
    if not scope.prefix:
        return []
    rows = registry.households.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    outside = rows.filter(~pl.col("region_code").fill_null("").str.starts_with(scope.prefix))
    found = [_issues(outside, table="households", code="S01", column="区划代码", value=pl.col("region_code"),
                     zh=f"区划代码不在您的管辖范围（{scope.prefix}）内，不能由您导入",
                     en=f"the region code lies outside your region ({scope.prefix}); it cannot be imported by you")]
    if "region_code" in registry.regions.columns and registry.regions.height:
        regions = registry.regions.filter(
            ~pl.col("region_code").cast(pl.String).str.pad_end(12, "0").str.starts_with(scope.prefix))
        found.append(regions.select(
            table=pl.lit("regions"), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64),
            column=pl.lit("区划代码"), value=pl.col("region_code").cast(pl.String), code=pl.lit("S01"),
            severity=pl.lit(CODES["S01"][0]),
            message_zh=pl.lit(f"{CODES['S01'][1]}：区划不在您的管辖范围（{scope.prefix}）内"),
            message_en=pl.lit(f"{CODES['S01'][2]}: the region lies outside your region ({scope.prefix})"),
            household_id=pl.lit(None, dtype=pl.String), year=pl.lit(None, dtype=pl.Int32)))
    years = households["year"].unique().drop_nulls().to_list()
    # Keys are country-wide, so this one check reads every region (keys and codes only).
    stored = bulk.read_household_keys(Scope.system(), years) if years else pl.DataFrame(schema=_EMPTY_KEYS)
    elsewhere = stored.filter(~pl.col("region_code").str.starts_with(scope.prefix)).select("household_id", "year")
    taken = rows.join(elsewhere, on=["household_id", "year"], how="semi")
    found.append(_issues(taken, table="households", code="S02", column="户编号", value=pl.col("household_id"),
                         zh="此户编号在本年度已在其他地区登记，不能由您导入或修改；如确需调整，请联系县级管理员",
                         en="this household number is registered in another region this year; ask the county "
                            "administrator"))
    return found


def _conflicts(scope: Scope, registry, households: pl.DataFrame, members: pl.DataFrame,
               stored: pl.DataFrame | None = None) -> list[pl.DataFrame]:
    """Q04 against the database: a person already in another household of the year. The other
    household is named only when it lies inside the importer's scope. ``stored``: the stored
    members of the years, when already read."""
    clashes = conflicts_with_database(households, members, stored)
    if clashes.height == 0:
        return []
    regions = bulk.read_household_keys(Scope.system(), clashes["year"].unique().to_list()).rename(
        {"household_id": "other_household_id", "region_code": "other_region"})
    located = clashes.join(regions, on=["other_household_id", "year"], how="left").join(
        registry.members.select("household_id", "year", "id_number", "_sheet", "_row"),
        on=["household_id", "year", "id_number"], how="left")
    inside = pl.col("other_region").fill_null("").str.starts_with(scope.prefix)
    return [located.select(
        table=pl.lit("members"), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64),
        column=pl.lit("证件号码"), value=pl.col("id_number"), code=pl.lit("Q04"), severity=pl.lit("error"),
        message_zh=pl.when(inside).then(pl.format(Q04_INSIDE_ZH, pl.col("other_household_id")))
        .otherwise(pl.lit(Q04_STORED_ZH)),
        message_en=pl.when(inside).then(pl.format(Q04_INSIDE_EN, pl.col("other_household_id")))
        .otherwise(pl.lit(Q04_STORED_EN)),
        household_id=pl.col("household_id"), year=pl.col("year").cast(pl.Int32),
    )]


def import_file(scope: Scope, path, *, rejects, year: int | None = None, province: str | None = None,
                progress: Progress = None) -> ImportOutcome:
    """Read and validate an exchange file, return the rows outside the scope and the conflicts
    with the database in the rejects workbook with the rows the reader refused, load the rest in
    one transaction and refresh the region figures in it.

    Raises ``fupin.io.ExchangeFormatError`` for a file that cannot be read at all, PermissionDenied
    for a role that may not import; every row-level problem ends up in the rejects workbook.
    """
    scope.require_to(Capability.IMPORT)
    province = province or (scope.prefix[:2] if scope.prefix else "50")
    registry = read_registry(path, year=year, province=province, progress=progress)
    policy = policy_provider.current()
    rejects_path = None
    with transaction.atomic():
        # Checks against stored rows run under the import lock, so a concurrent import's rows are
        # seen: two imports of one new 户编号 from two regions cannot both pass S02.
        hold_import_lock(progress)
        households, members, regions = registry.loadable()
        _return_with_their_households(registry, _outside_the_scope(scope, registry, households))
        households, members, regions = registry.loadable()
        # The stored members of the years, read once: the Q04 check and the upsert both need them
        # (each read them in full before; at 300,000 members that was two seconds per read).
        stored_years = sorted(set(households["year"].drop_nulls().to_list())
                              | set(members["year"].drop_nulls().to_list()))
        stored_members = bulk.read_members(Scope.system(), stored_years, with_pk=True) if stored_years else None
        _return_with_their_households(registry, _conflicts(scope, registry, households, members, stored_members))
        households, members, regions = registry.loadable()
        rejected = registry.rejected()
        rows_rejected = 0
        if rejected.height or any(registry.unknown_columns.values()):
            rejects_path = str(rejects)
            rows_rejected = write_rejects(registry, rejects_path)
        counties = households.select(pl.col("region_code").str.slice(0, 6).unique()).to_series().to_list()
        report, after = import_frames_keeping(
            households, members, regions, scope=scope, source=str(path), source_format=registry.source_format,
            rejected_households=rejected.height, rejected_rows=rows_rejected, progress=progress,
            stored_members=stored_members, stored_members_years=stored_years, counties=counties,
        )
        warnings = registry.issues.filter(pl.col("severity") == "warning").height
        unknown_columns = registry.unknown_columns
        # The file's frames are done with: let the figures reuse their memory (a 1,048,575-member
        # workbook peaked at 4.1 GB with both held, decision record 0006).
        del registry, households, members, regions, rejected, stored_members
        if report.changed_anything:
            # The precomputed region figures (dashboards, list totals) change with the registry, in
            # the same transaction: a process killed after the commit leaves no stale figures.
            # They are computed from the rows the import holds (``after``), which are the stored
            # rows of these counties; only when it could not tell are they read back.
            for year_ in report.years:
                refresh_region_stats(year_, policy=policy, counties=counties, registry=after)
        del after
    return ImportOutcome(report, rejects_path, warnings, unknown_columns)


# --- export ------------------------------------------------------------------------------------

def _chunks(scope: Scope, year: int) -> list[Scope]:
    """The counties of the scope with households of ``year``, to read one at a time (or the
    scope itself when it is a county or smaller, never a wider prefix)."""
    households = Household.objects.within(scope).filter(year=year)
    if len(scope.prefix) >= 6:
        return [scope] if households.exists() else []
    codes = households.values_list("region_code", flat=True).distinct()
    return [scope.narrow(county) for county in sorted({code[:6] for code in codes.iterator()})]


def export_regions(scope: Scope) -> pl.DataFrame:
    """The regions table of an export: villages and the regions with attributes, within the scope."""
    frame = bulk.read_regions(scope)
    attrs = ["registered_rural_population", "zone", "poverty_county", "county_exit_year", "poor_village", "deep_poverty"]
    frame = frame.filter(
        (pl.col("level") == "village")
        | pl.any_horizontal([pl.col(a).is_not_null() for a in attrs if a != "zone"])
    )
    if scope.prefix:
        frame = frame.filter(pl.col("region_code").str.starts_with(scope.prefix))
    return frame.select(pl.col("region_code"), "name", *attrs)


def export_registry(scope: Scope, out, *, year: int, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the registry of ``year`` inside the scope in the exchange format; returns households.

    Reads county by county (constant memory); ``out`` ending .xlsx → workbook, .parquet →
    folder, else a folder of CSVs. Raises ExportRefused when there is nothing to export. The file
    holds full ID numbers and phones: it takes the EXPORT capability.
    """
    scope.require_to(Capability.EXPORT)
    chunks = _chunks(scope, year)
    if not chunks:
        where = f"、区划 {scope.prefix}" if scope.prefix else ""
        raise ExportRefused(f"库中没有 {year} 年度{where}的数据 "
                            f"(no households for year {year}{' in ' + scope.prefix if scope.prefix else ''})")
    counted = {"households": 0, "done": 0}

    def households() -> Iterator[pl.DataFrame]:
        for part in chunks:
            frame = bulk.read_households(part, [year])
            counted["households"] += frame.height
            yield frame

    def members() -> Iterator[pl.DataFrame]:
        for part in chunks:
            yield bulk.read_members(part, [year])
            counted["done"] += 1
            if progress:
                progress(counted["done"], len(chunks))

    target = Path(out)
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")  # same suffix: same format
    write_registry(partial, households(), members(), export_regions(scope))
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    partial.rename(target)
    return counted["households"]


# --- single edits ------------------------------------------------------------------------------

def edit_household(scope: Scope, household_pk: int, data: dict[str, str], *, version: int) -> edits.EditOutcome:
    """One household's fields, validated as an import would, refused when stale (see edits)."""
    return edits.edit_household(scope, household_pk, data, version=version)


def edit_member(scope: Scope, member_pk: int, data: dict[str, str], *, version: int) -> edits.EditOutcome:
    """One member's fields, the whole household validated as an import would (see edits)."""
    return edits.edit_member(scope, member_pk, data, version=version)
