"""Department files in and out: a department's list read raw, and its rejects workbook.

The layouts and the matching itself are the engine's (:mod:`fupin.engine.matching`); this module
only reads the file (the .xlsx sheet whose header names the most layout columns, a .csv in UTF-8
or GB18030, or a .parquet file) and writes the rows that did not match back, in the importer's
rejects layout.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import polars as pl

from fupin.engine import schema
from fupin.engine.matching import (
    KINDS,
    LAYOUTS,
    DepartmentFileError,
    MatchResult,
    known_headers,
)
from fupin.io.containers import (
    _shape_sheet,
    load_grid,
    open_workbook,
    peek_grid,
    read_csv,
    read_parquet,
)
from fupin.io.errors import ExchangeFormatError
from fupin.io.rejects import write_rejects


def read_department_file(path, kind: str) -> pl.DataFrame:
    """The rows of a department file as strings under their headers, plus ``_sheet``/``_row``.

    .xlsx (the sheet whose header names the most layout columns), .csv (UTF-8 or GB18030) or
    .parquet (typed columns are kept as they are).
    """
    path = Path(path)
    if kind not in LAYOUTS:
        raise DepartmentFileError(
            f"未知的部门类型 {kind}，可选：{'、'.join(KINDS)}", f"unknown department kind {kind}; use one of {', '.join(KINDS)}"
        )
    if not path.is_file():
        raise DepartmentFileError(f"找不到文件 {path}，请检查路径。", f"file {path} not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _read_xlsx(path, kind)
        if suffix in (".csv", ".txt"):
            return read_csv(path, kind="department").frame
        if suffix == ".parquet":
            frame = read_parquet(path)
            if frame.height == 0:
                raise DepartmentFileError(
                    f"Parquet 文件“{path.name}”没有数据行（只有表头），无法比对。请导出有数据的文件后重新上传。",
                    f"Parquet file '{path.name}' has no data rows (only its columns); export a file with data and upload it again",
                )
            return frame.with_row_index("_row", offset=1).with_columns(
                pl.col("_row").cast(pl.Int64), pl.lit(path.name).alias("_sheet")
            )
    except ExchangeFormatError as exc:
        raise DepartmentFileError(exc.message_zh, exc.message_en) from None
    raise DepartmentFileError(
        f"文件“{path.name}”的类型不支持：请提供 .xlsx、.csv 或 .parquet 文件。",
        f"file '{path.name}': unsupported type; give an .xlsx, .csv or .parquet file",
    )


def _read_xlsx(path: Path, kind: str) -> pl.DataFrame:
    """The sheet whose header names the most layout columns; only that sheet is loaded in full.

    The workbook is checked before calamine opens it; every sheet's header is found from its
    first rows (:func:`fupin.io.containers.peek_grid`), without loading the sheet.
    """
    known = known_headers(kind)
    scan, reader = open_workbook(path)
    best, best_score, best_top = None, -1, None
    for name in reader.sheet_names:
        top, cols = peek_grid(scan, name, reader)
        frame, headers, _extra, _h, _abs = _shape_sheet(top, name, cols, known)
        score = sum(1 for h in headers if schema.normalize_header(h) in known)
        if score > best_score:
            best, best_score, best_top = name, score, frame
    if best is None:
        raise DepartmentFileError(f"文件“{path.name}”没有工作表。", f"file '{path.name}' has no sheet")
    if best_score <= 0:
        # No layout column anywhere: the matching refuses it, naming the headers found.
        return best_top
    grid, cols = load_grid(reader, path, best)
    frame, _headers, _extra, _h, _abs = _shape_sheet(grid, best, cols, known)
    return frame


def write_match_rejects(result: MatchResult, path) -> int:
    """The rejects workbook in the importer's layout (sheet 明细: original row + reasons)."""
    raw = result.raw.with_columns(pl.col("_sheet").cast(pl.String), pl.col("_row").cast(pl.Int64))
    raw = raw.with_columns([pl.col(c).cast(pl.String) for c in raw.columns if c not in ("_sheet", "_row")])
    registry = SimpleNamespace(issues=result.issues, raw={"flat": raw},
                               unknown_columns={"明细": result.unknown_columns} if result.unknown_columns else {})
    return write_rejects(registry, path)
