"""The rejects workbook: every row that did not load, as it was, with its reasons.

Sheets 户 / 人 (/ 区划) carry the original headers and values of each rejected row (one row per
original row), followed by 原工作表, 原行号, 问题列, 问题值, 问题说明 and Problem. The importer
ignores those six columns, so a cadre fixes the rows in place and imports this file again. A
flat national export comes back as one sheet (明细) in its own layout. Sheet 未识别列 lists the
columns that were not understood.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fupin.engine import schema
from fupin.io import tables
from fupin.io.codes import FLAT_REJECTS_SHEET, REJECT_COLUMNS, UNKNOWN_COLUMNS_SHEET

SEP = "；"


def reasons_by_row(issues: pl.DataFrame) -> pl.DataFrame:
    """One row per (sheet, row): the problems joined, errors first."""
    return (
        issues.with_columns(_order=pl.when(pl.col("code") == "R00").then(2)
                            .when(pl.col("severity") == "error").then(0).otherwise(1))
        .sort("sheet", "row", "_order", "code")
        .group_by("sheet", "row", maintain_order=True)
        .agg(
            pl.col("column").drop_nulls().unique(maintain_order=True).str.join(SEP).alias(REJECT_COLUMNS[2]),
            pl.col("value").drop_nulls().unique(maintain_order=True).str.join(SEP).alias(REJECT_COLUMNS[3]),
            pl.format("[{}] {}", "code", "message_zh").str.join(SEP).alias(REJECT_COLUMNS[4]),
            pl.format("[{}] {}", "code", "message_en").str.join("; ").alias(REJECT_COLUMNS[5]),
        )
    )


def rejected_rows(registry) -> dict[str, pl.DataFrame]:
    """Sheet name -> rejected original rows with the reason columns."""
    errors = registry.issues.filter(pl.col("severity") == "error")
    bad = errors.select("sheet", "row").unique()
    reasons = reasons_by_row(registry.issues.join(bad, on=["sheet", "row"]))
    out: dict[str, pl.DataFrame] = {}
    layout = [("flat", FLAT_REJECTS_SHEET)] if "flat" in registry.raw else []
    layout += [(t, schema.SHEET_NAMES[t][0]) for t in ("households", "members", "regions") if t in registry.raw]
    for key, sheet in layout:
        raw = registry.raw[key]
        headers = [c for c in raw.columns if c not in ("_sheet", "_row")
                   and schema.normalize_header(c) not in {schema.normalize_header(r) for r in REJECT_COLUMNS}]
        rows = raw.join(reasons, left_on=["_sheet", "_row"], right_on=["sheet", "row"], how="inner").sort("_sheet", "_row")
        out[sheet] = rows.select(
            *headers,
            pl.col("_sheet").alias(REJECT_COLUMNS[0]), pl.col("_row").alias(REJECT_COLUMNS[1]),
            *REJECT_COLUMNS[2:],
        )
    return out


def write_rejects(registry, path) -> int:
    """Write the rejects workbook (xlsx, streamed: any number of rows in seconds); returns the
    number of rejected rows."""
    sheets = rejected_rows(registry)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out: dict[str, pl.DataFrame] = {}
    styles: dict[str, list[str]] = {}
    total = 0
    for sheet, frame in sheets.items():
        if sheet == "区划" and frame.height == 0:
            continue
        n_orig = len(frame.columns) - len(REJECT_COLUMNS)
        # Original cells go back as the text they were read as (IDs keep every digit); the
        # original headers come from the upload and are quoted by the writer when formula-like.
        out[sheet] = frame.with_columns(
            [pl.col(c).cast(pl.String) for c in frame.columns if c != REJECT_COLUMNS[1]]
        ).with_columns(pl.col(REJECT_COLUMNS[1]).cast(pl.Int64))
        styles[sheet] = ["bold"] * n_orig + ["note"] * len(REJECT_COLUMNS)
        total += frame.height
    unknown = [(sheet, h) for sheet, headers in registry.unknown_columns.items() for h in headers]
    out[UNKNOWN_COLUMNS_SHEET] = pl.DataFrame(
        {"工作表": [s for s, _ in unknown], "未识别的列": [h for _, h in unknown],
         "说明": ["表头未能识别，该列未导入；如是需要的数据，请改用标准表头 / header not understood, column not imported"]
         * len(unknown)},
        schema={"工作表": pl.String, "未识别的列": pl.String, "说明": pl.String},
    )
    tables.write_frames_xlsx(path, out, header_styles=styles)
    return total
