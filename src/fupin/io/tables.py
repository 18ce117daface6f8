"""Tables out: the one writer of text cells into .xlsx and .csv files, safe to open in Excel.

A cell whose text begins with ``= + - @``, a tab or a carriage return is a formula to Excel and
LibreOffice (``=HYPERLINK(…)`` becomes a live link, ``=cmd|…`` a DDE call) — and every such
value in our outputs comes from somebody's upload or form. So every writer of a spreadsheet
or a CSV goes through here:

* **xlsx**: text is always written as a text cell (never parsed as a formula, number or URL),
  and a text that looks like a formula also carries Excel's *quote prefix* attribute, so that
  editing the cell keeps it text. The value itself is unchanged: an export reads back exactly.
* **csv**: a text that looks like a formula, or that begins with an apostrophe, gets one
  leading apostrophe (OWASP's advice; Excel shows the rest as text). :func:`csv_unescape_expr`
  removes exactly that apostrophe on reading, so the exchange CSV still round-trips exactly: a
  text that really began with ``'=`` was written ``''=`` and reads back as ``'=``.

Numbers stay numbers: only text cells (polars ``String`` columns) are touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import polars as pl
import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = r"^[=+\-@\t\r]"
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")
_ESCAPED_PATTERN = r"^([=+\-@\t\r'])"     # a text written with one more apostrophe
_UNESCAPE_PATTERN = r"^'([=+\-@\t\r'])"   # a text read back without it

# xlsxwriter must not guess: a string is a string.
WORKBOOK_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
                    "nan_inf_to_errors": True}


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_escape(text: str | None) -> str | None:
    """One value as the CSV writers write it."""
    if text is not None and text.startswith(_ESCAPED_STARTS):
        return "'" + text
    return text


def csv_escape_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`csv_escape` on a String column, set-based."""
    return expr.str.replace(_ESCAPED_PATTERN, "'$1")


def csv_unescape_expr(expr: pl.Expr) -> pl.Expr:
    """Undo :func:`csv_escape_expr` on a String column read from CSV (exactly one apostrophe)."""
    return expr.str.replace(_UNESCAPE_PATTERN, "$1")


def csv_safe(frame: pl.DataFrame | pl.LazyFrame):
    """Every String column escaped for CSV (the frame's other columns untouched)."""
    names = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    text = [name for name, dtype in names.items() if dtype == pl.String]
    return frame.with_columns([csv_escape_expr(pl.col(name)).alias(name) for name in text]) if text else frame


def write_csv(frame: pl.DataFrame, out, *, bom: bool = False, include_header: bool = True) -> None:
    """A frame to CSV (a path or an open binary file), text neutralised."""
    safe = csv_safe(frame)
    if hasattr(out, "write"):
        if bom:
            out.write(b"\xef\xbb\xbf")
        safe.write_csv(out, include_header=include_header)
        return
    with open(out, "wb") as fh:
        write_csv(frame, fh, bom=bom, include_header=include_header)


def sink_csv(frame: pl.LazyFrame, out) -> None:
    """A lazy frame streamed to CSV, text neutralised."""
    csv_safe(frame).sink_csv(out)


# --- xlsx ------------------------------------------------------------------------------------

def open_workbook(path, **options) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that writes strings as strings (see the module's doc)."""
    return xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, **options})


class SheetWriter:
    """Rows into one worksheet: text as text (quote-prefixed when it looks like a formula),
    numbers as numbers, dates as text ``YYYY-MM-DD``, booleans as 是/否, None as an empty cell.

    ``formats`` maps a column index to a cell format for its numbers (e.g. two decimals).
    """

    def __init__(self, workbook: xlsxwriter.Workbook, worksheet, formats: Mapping[int, object] | None = None):
        self.sheet = worksheet
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.formats = dict(formats or {})
        self.row = 0

    def write(self, values: Sequence, cell_format=None) -> None:
        r = self.row
        for c, value in enumerate(values):
            self.write_cell(r, c, value, cell_format)
        self.row += 1

    def write_cell(self, r: int, c: int, value, cell_format=None) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            self.sheet.write_string(r, c, "是" if value else "否", cell_format)
        elif isinstance(value, (int, float)):
            self.sheet.write_number(r, c, value, cell_format or self.formats.get(c))
        elif isinstance(value, (dt.date, dt.datetime)):
            self.sheet.write_string(r, c, value.isoformat(), cell_format)
        else:
            text = str(value)
            self.sheet.write_string(r, c, text, cell_format or (self.quoted if looks_like_formula(text) else None))

    def write_rows(self, rows: Iterable[Sequence]) -> int:
        n = 0
        for values in rows:
            self.write(values)
            n += 1
        return n


def add_sheet(workbook: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, *, bold_header: bool = True,
              float_decimals: int | None = None) -> SheetWriter:
    """A frame as one worksheet: header row, then its rows through :class:`SheetWriter`."""
    worksheet = workbook.add_worksheet(name)
    formats = {}
    if float_decimals is not None:
        two = workbook.add_format({"num_format": "0." + "0" * float_decimals})
        formats = {i: two for i, dtype in enumerate(frame.dtypes) if dtype in (pl.Float32, pl.Float64)}
    writer = SheetWriter(workbook, worksheet, formats)
    writer.write(frame.columns, workbook.add_format({"bold": True}) if bold_header else None)
    writer.write_rows(frame.iter_rows())
    worksheet.freeze_panes(1, 0)
    return writer


def write_sheets(out, sheets: Mapping[str, pl.DataFrame], *, float_decimals: int | None = None) -> Path:
    """Frames as the sheets of one workbook."""
    out = Path(out)
    workbook = open_workbook(out, constant_memory=True)
    try:
        for name, frame in sheets.items():
            add_sheet(workbook, name, frame, float_decimals=float_decimals)
    finally:
        workbook.close()
    return out


class UnsupportedOutput(ValueError):
    """An output file name whose suffix no writer knows; the message is Chinese + English."""


def write_frame(frame: pl.DataFrame, out, *, sheet: str = "Sheet1", allowed=(".csv", ".parquet", ".xlsx")) -> Path:
    """One frame to ``.csv`` / ``.parquet`` / ``.xlsx`` by the file's suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in allowed:
        names = "、".join(allowed)
        raise UnsupportedOutput(f"不支持的输出格式 {out.suffix or '（无后缀）'}：请用 {names} "
                                f"(unsupported output format {out.suffix!r}: use {', '.join(allowed)})")
    if suffix == ".csv":
        write_csv(frame, out)
    elif suffix == ".parquet":
        frame.write_parquet(out)
    else:
        write_sheets(out, {sheet: frame})
    return out


def write_rows(out, sheet: str, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """A header and rows (any iterable, streamed: constant memory) as a one-sheet workbook."""
    workbook = open_workbook(out, constant_memory=True)
    try:
        worksheet = workbook.add_worksheet(sheet)
        writer = SheetWriter(workbook, worksheet)
        writer.write(header, workbook.add_format({"bold": True}))
        n = writer.write_rows(rows)
        worksheet.freeze_panes(1, 0)
    finally:
        workbook.close()
    return n
