"""Export of the registry in the exchange format, county by county (constant memory)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl


class ExportRefused(ValueError):
    """Nothing to export; the message says so in Chinese and English."""



def _chunks(region: str, year: int) -> list[str]:
    """Prefixes to read one at a time: the counties under ``region``, or ``region`` itself when
    it is a county or smaller (never a wider prefix, so a town export holds only that town)."""
    from fupin.registry.models import Household

    if len(region) >= 6:
        return [region] if Household.objects.filter(year=year, region_code__startswith=region).exists() else []
    codes = (
        Household.objects.filter(year=year, region_code__startswith=region)
        .values_list("region_code", flat=True).distinct()
    )
    return sorted({code[:6] for code in codes.iterator()})


def export_regions(region: str) -> pl.DataFrame:
    """The regions table of an export: villages and the regions with attributes, within ``region``."""
    from fupin.registry import bulk

    frame = bulk.read_regions(region or None)
    attrs = ["registered_rural_population", "zone", "poverty_county", "county_exit_year"]
    frame = frame.filter(
        (pl.col("level") == "village")
        | pl.any_horizontal([pl.col(a).is_not_null() for a in attrs if a != "zone"])
    )
    if region:
        frame = frame.filter(pl.col("region_code").str.starts_with(region))
    return frame.select(pl.col("region_code"), "name", *attrs)


def export_registry(out, *, year: int, region: str = "",
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Write the registry of ``year`` under ``region`` in the exchange format; returns households.

    Reads county by county (constant memory); ``out`` ending .xlsx → workbook, .parquet →
    folder, else a folder of CSVs. Raises ExportRefused when there is nothing to export.
    """
    from fupin.io import write_registry
    from fupin.registry import bulk

    chunks = _chunks(region, year)
    if not chunks:
        raise ExportRefused(f"库中没有 {year} 年度{('、区划 ' + region) if region else ''}的数据 "
                         f"(no households for year {year}{' in ' + region if region else ''})")
    counted = {"households": 0, "done": 0}

    def households() -> Iterator[pl.DataFrame]:
        for prefix in chunks:
            frame = bulk.read_households([year], prefix)
            counted["households"] += frame.height
            yield frame

    def members() -> Iterator[pl.DataFrame]:
        for prefix in chunks:
            yield bulk.read_members([year], prefix)
            counted["done"] += 1
            if progress:
                progress(counted["done"], len(chunks))

    target = Path(out)
    partial = target.with_name(f".{target.stem}.partial{target.suffix}")  # same suffix: same format
    write_registry(partial, households(), members(), export_regions(region))
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    partial.rename(target)
    return counted["households"]
