"""Use cases of the registry: import a file, export a year, edit a household or a member.

Every function takes the actor's :class:`~fupin.accounts.scoping.Scope`. An import is a write to
every household it touches: rows outside the scope — by the region code written in the file, or
because the household (户编号 and 年度) is already registered outside the scope — refuse the
whole file before anything is loaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fupin.accounts.scoping import Scope
from fupin.application import policy as policy_provider
from fupin.assessments.services import refresh_region_stats
from fupin.io import read_registry, write_registry, write_rejects
from fupin.registry import bulk
from fupin.registry.models import Household
from fupin.registry.services import edits
from fupin.registry.services.imports import (
    Q04_STORED_EN,
    Q04_STORED_ZH,
    ImportReport,
    conflicts_with_database,
    import_frames,
)

Progress = Callable[[str, int, int], None] | None


class ImportRefused(ValueError):
    """A file that cannot be imported by this scope; nothing was loaded. Chinese, then English."""


class ExportRefused(ValueError):
    """Nothing to export; the message says so in Chinese and English."""


@dataclass
class ImportOutcome:
    report: ImportReport
    rejects_path: str | None
    warnings: int
    unknown_columns: dict


def _refuse_outside(scope: Scope, households: pl.DataFrame, regions: pl.DataFrame) -> None:
    """Refuse a file with any household or region outside the scope (nothing loads)."""
    if not scope.prefix:
        return
    outside = households.filter(~pl.col("region_code").str.starts_with(scope.prefix))
    region_codes = (regions.select(pl.col("region_code").cast(pl.String).str.pad_end(12, "0"))
                    if regions.height and "region_code" in regions.columns
                    else pl.DataFrame(schema={"region_code": pl.String}))
    outside_regions = region_codes.filter(~pl.col("region_code").str.starts_with(scope.prefix))
    # A household already registered outside the scope cannot be taken over by naming it here.
    keys = households.select("household_id", "year")
    years = keys["year"].unique().drop_nulls().to_list()
    # Keys are country-wide, so this one check reads every region (keys and codes only).
    stored = bulk.read_household_keys(Scope.system(), years) if years else pl.DataFrame(
        schema={"household_id": pl.String, "year": pl.Int32, "region_code": pl.String})
    taken = keys.join(stored, on=["household_id", "year"]).filter(~pl.col("region_code").str.starts_with(scope.prefix))
    if not (outside.height or outside_regions.height or taken.height):
        return
    examples = sorted(set(outside["region_code"].head(5).to_list() + outside_regions["region_code"].head(5).to_list()))
    parts_zh, parts_en = [], []
    if outside.height or outside_regions.height:
        parts_zh.append(f"{outside.height} 户、{outside_regions.height} 个区划的区划代码不在您的管辖范围 {scope.prefix} 内"
                        f"（如 {'、'.join(examples)}）")
        parts_en.append(f"{outside.height} households and {outside_regions.height} regions lie outside your region "
                        f"{scope.prefix} (e.g. {', '.join(examples)})")
    if taken.height:
        ids = "、".join(sorted(set(taken["household_id"].head(5).to_list())))
        parts_zh.append(f"{taken.height} 户（户编号 {ids}）已在您的管辖范围外登记，不能由您导入修改")
        parts_en.append(f"{taken.height} households ({ids}) are registered outside your region and cannot be "
                        f"changed by your import")
    raise ImportRefused(
        f"{'；'.join(parts_zh)}：未导入任何数据。请删去这些行，或请管辖范围更大的账户导入。\n"
        f"({'; '.join(parts_en)}: nothing was imported — remove those rows or ask a user whose region covers them)"
    )


def import_file(scope: Scope, path, *, rejects, year: int | None = None, province: str | None = None,
                progress: Progress = None) -> ImportOutcome:
    """Read and validate an exchange file, refuse rows outside the scope and database conflicts,
    write the rejects workbook, load the rest in one transaction and refresh the region figures.

    Raises ``fupin.io.ExchangeFormatError`` for a file that cannot be read at all,
    :class:`ImportRefused` for a file reaching outside the scope, PermissionDenied for a role
    that may not edit; every row-level problem ends up in the rejects workbook instead.
    """
    scope.require_edit()
    province = province or (scope.prefix[:2] if scope.prefix else "50")
    registry = read_registry(path, year=year, province=province, progress=progress)
    households, members, regions = registry.loadable()
    _refuse_outside(scope, households, regions)
    clashes = conflicts_with_database(households, members)
    if clashes.height:
        located = clashes.join(
            registry.members.select("household_id", "year", "id_number", "_sheet", "_row"),
            on=["household_id", "year", "id_number"], how="left",
        )
        extra = located.select(
            table=pl.lit("members"), sheet=pl.col("_sheet"), row=pl.col("_row"),
            column=pl.lit("证件号码"), value=pl.col("id_number"), code=pl.lit("Q04"),
            severity=pl.lit("error"),
            message_zh=pl.lit(Q04_STORED_ZH), message_en=pl.lit(Q04_STORED_EN),
            household_id=pl.col("household_id"), year=pl.col("year"),
        )
        registry.issues = pl.concat([registry.issues, extra], how="diagonal_relaxed")
        households, members, regions = registry.loadable()
    rejected = registry.rejected()
    rejects_path = None
    rows_rejected = 0
    if rejected.height or any(registry.unknown_columns.values()):
        rejects_path = str(rejects)
        rows_rejected = write_rejects(registry, rejects_path)
    report = import_frames(
        households, members, regions, scope=scope, source=str(path), source_format=registry.source_format,
        rejected_households=rejected.height, rejected_rows=rows_rejected, progress=progress,
    )
    if report.changed_anything:
        # Keep the precomputed region figures (dashboards, list totals) in step with the registry.
        counties = households.select(pl.col("region_code").str.slice(0, 6).unique()).to_series().to_list()
        for year_ in report.years:
            refresh_region_stats(year_, policy=policy_provider.current(), counties=counties)
    warnings = registry.issues.filter(pl.col("severity") == "warning").height
    return ImportOutcome(report, rejects_path, warnings, registry.unknown_columns)


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
    attrs = ["registered_rural_population", "zone", "poverty_county", "county_exit_year"]
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
    folder, else a folder of CSVs. Raises ExportRefused when there is nothing to export.
    """
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
