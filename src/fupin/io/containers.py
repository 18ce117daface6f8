"""Containers: find the tables in a workbook / CSV folder / Parquet folder and read them raw.

Every table comes out as a :class:`RawSheet`: all cells as strings under their original
headers, plus ``_sheet`` and ``_row`` (the Excel row number with the header on row 1 when the
header is the first row; the CSV line number; the Parquet row position + 1). Nothing is
interpreted here beyond finding the header row and the layout. :func:`sheet_from_rows` makes the
same :class:`RawSheet` from rows held in memory, as their CSV file would read, without any file.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import fastexcel
import polars as pl
import pyarrow.parquet as pq

from fupin.engine import schema
from fupin.io import limits, tables
from fupin.io.codes import REJECT_COLUMNS, UNKNOWN_COLUMNS_SHEET
from fupin.io.errors import ExchangeFormatError
from fupin.io.limits import HEADER_SCAN_ROWS

TABLE_NAMES = ("households", "members", "regions")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 8 << 20

Progress = Callable[[str, int, int], None] | None


@dataclass
class RawSheet:
    kind: str                      # households | members | regions | flat
    sheet: str                     # sheet name, or file name for CSV / Parquet
    frame: pl.DataFrame            # original headers (strings) + _sheet + _row
    headers: list[str]             # original headers, in order (deduplicated)
    unknown_extra: list[str] = field(default_factory=list)  # e.g. empty headers with data
    numeric_id_rows: pl.Series | None = None  # _row of ID cells Excel stored as numbers
    typed: bool = False            # Parquet: values came typed (booleans, floats)
    columns_abs: dict[str, int] = field(default_factory=dict)  # header -> absolute column (xlsx)
    header_index: int = 0          # 0-based grid row of the header (xlsx)


def _known_headers() -> dict[str, set[str]]:
    out = {t: set(schema.header_index(t)) for t in TABLE_NAMES}
    return out


def _ignored(header: str) -> bool:
    return schema.normalize_header(header) in {schema.normalize_header(c) for c in REJECT_COLUMNS}


def table_of_sheet(name: str) -> str | None:
    key = schema.normalize_header(name)
    for table, names in schema.SHEET_NAMES.items():
        if key in {schema.normalize_header(n) for n in names}:
            return table
    return None


def classify_headers(headers: list[str]) -> str | None:
    """households / members / regions / flat by the fields the headers name (for CSV files)."""
    norm = {schema.normalize_header(h) for h in headers if h}
    idx = {t: schema.header_index(t) for t in TABLE_NAMES}
    fields_of = {t: {idx[t][h] for h in norm if h in idx[t]} for t in TABLE_NAMES}
    member_only = fields_of["members"] - {"household_id", "year"}
    household_only = fields_of["households"] - {"household_id", "year", "name"}
    if {"id_number", "name"} & member_only and household_only:
        return "flat"
    if "id_number" in member_only or "name" in member_only:
        return "members"
    if household_only:
        return "households"
    if "region_code" in fields_of["regions"]:
        return "regions"
    return None


# --- xlsx ------------------------------------------------------------------------------

def _excel_column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sniff(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def check_excel_container(path: Path) -> None:
    """Say clearly what an unreadable workbook is: old .xls, password-protected, or corrupt."""
    head = sniff(path)
    if head.startswith(_CFB_MAGIC):
        # An OOXML workbook protected by a password is a CFB container with an EncryptedPackage
        # stream; any other CFB file is the old binary .xls format.
        with open(path, "rb") as fh:
            data = fh.read(1 << 20)
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ExchangeFormatError(
                f"文件“{path.name}”设有打开密码，无法读取。请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存，再导入。",
                f"file '{path.name}' is password-protected; remove the password in Excel and save it again before importing",
            )
        raise ExchangeFormatError(
            f"文件“{path.name}”是旧版 Excel 97-2003（.xls）格式，不支持。请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再导入。",
            f"file '{path.name}' is an old Excel 97-2003 .xls workbook; save it as .xlsx in Excel and import that",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise ExchangeFormatError(
            f"文件“{path.name}”不是有效的 Excel（.xlsx）文件，可能已损坏或扩展名不对。请用 Excel 打开后另存为 .xlsx 再导入。",
            f"file '{path.name}' is not a valid .xlsx workbook (corrupt or wrong extension); open it in Excel and save it as .xlsx",
        )


def _corrupt(path: Path, exc: Exception) -> ExchangeFormatError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ExchangeFormatError(
        f"文件“{path.name}”已损坏，无法读取（{detail}）。请用 Excel 打开并另存为 .xlsx 后再导入。",
        f"file '{path.name}' is corrupt and cannot be read ({detail}); open it in Excel and save it again as .xlsx",
    )


def _find_header_row(top: pl.DataFrame, known: set[str]) -> int:
    """Index of the row (among the first rows) naming the most known fields."""
    best, best_score = 0, 0
    for i, row in enumerate(top.head(HEADER_SCAN_ROWS).iter_rows()):
        score = sum(1 for v in row if v is not None and schema.normalize_header(v) in known)
        if score > best_score:
            best, best_score = i, score
    return best


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        if h in seen:
            seen[h] += 1
            out.append(f"{h}#{seen[h]}")
        else:
            seen[h] = 1
            out.append(h)
    return out


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """The column named ``name``, literally: a header such as "*" or "^…$" is no wildcard/regex."""
    return pl.nth(frame.columns.index(name))


def _columns(frame: pl.DataFrame, names: list[str]) -> list[pl.Expr]:
    return [_column(frame, n) for n in names]


def _not_empty(frame: pl.DataFrame, names: list[str]) -> pl.Expr:
    """Rows with at least one non-blank cell among ``names``."""
    return pl.any_horizontal([_column(frame, n).str.strip_chars().ne("").fill_null(False) for n in names])


def _shape_sheet(grid: pl.DataFrame, sheet: str, abs_columns: list[int], known: set[str],
                 row_offset: int = 1) -> tuple[pl.DataFrame, list[str], list[str], int, dict[str, int]]:
    """Cut a grid of strings at its header row; returns (frame, headers, extra unknown, header index)."""
    if grid.height == 0:
        return pl.DataFrame({"_sheet": [], "_row": []}, schema={"_sheet": pl.String, "_row": pl.Int64}), [], [], 0, {}
    h = _find_header_row(grid, known)
    header_cells = list(grid.row(h))
    body = grid.slice(h + 1).with_row_index("_row", offset=h + 1 + row_offset)
    body = body.with_columns(pl.col("_row").cast(pl.Int64))
    names: list[str] = []
    keep: list[str] = []
    extra: list[str] = []
    absolutes: list[int] = []
    for col, cell, absolute in zip(grid.columns, header_cells, abs_columns, strict=True):
        text = (cell or "").strip()
        if not text:
            if body[col].drop_nulls().str.strip_chars().ne("").any():
                # Data under an empty header cell: typically a merged header cell. Kept and listed.
                text = f"(无表头 列{_excel_column(absolute)})"
                extra.append(text)
            else:
                continue
        keep.append(col)
        names.append(text)
        absolutes.append(absolute)
    names = _dedupe(names)
    frame = body.select([pl.col(c).alias(n) for c, n in zip(keep, names, strict=True)] + [pl.col("_row")])
    # Empty rows are skipped silently (their row numbers are simply not used).
    if names:
        frame = frame.filter(_not_empty(frame, names))
    frame = frame.with_columns(pl.lit(sheet).alias("_sheet"))
    frame = frame.select(_columns(frame, [*names, "_sheet", "_row"]))
    return frame, names, extra, h, dict(zip(names, absolutes, strict=True))


def open_workbook(path: Path) -> tuple[limits.XlsxScan, fastexcel.ExcelReader]:
    """Check a workbook (:func:`check_excel_container`, :func:`fupin.io.limits.check_xlsx`), then open it.

    Nothing reaches calamine before the checks have passed: a sheet reaching XFD1048576, a
    string bomb or a zip bomb is refused with a message, never loaded.
    """
    check_excel_container(path)
    scan = limits.check_xlsx(path)
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt archives
        raise _corrupt(path, exc) from None
    return scan, reader


def load_grid(reader, path: Path, name: str) -> tuple[pl.DataFrame, list[int]]:
    """A whole sheet as a grid of strings (calamine), with the absolute index of each column."""
    try:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        cols = [c.absolute_index for c in sheet.selected_columns]
        return pl.DataFrame(sheet.to_arrow()), cols
    except Exception as exc:
        raise _corrupt(path, exc) from None


def peek_grid(scan: limits.XlsxScan, name: str, reader=None,
              rows: int = HEADER_SCAN_ROWS) -> tuple[pl.DataFrame, list[int]]:
    """The first ``rows`` rows of a sheet as a grid of strings, without loading the sheet.

    Laid out as :func:`load_grid` lays out the whole sheet (row i is Excel row i + 1, columns
    from the sheet's first to its last column), so that :func:`_shape_sheet` finds the same
    header in both. The sheet's XML is streamed only until row ``rows`` has passed (at most
    :data:`fupin.io.limits.HEADER_PEEK_BYTES`) and only the shared strings these rows use are
    looked up. (fastexcel's ``n_rows`` would not do: calamine builds the whole sheet first.)
    """
    extent = scan.sheets.get(name)
    if extent is None or not extent.entry:
        if reader is None:
            raise KeyError(name)
        try:  # not found by the scan (a name spelled differently): calamine, within the limits
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, n_rows=rows, dtypes="string")
            return pl.DataFrame(sheet.to_arrow()), [c.absolute_index for c in sheet.selected_columns]
        except Exception as exc:
            raise _corrupt(scan.path, exc) from None
    if extent.cells == 0:
        return pl.DataFrame(), []
    try:
        with zipfile.ZipFile(scan.path) as zf:
            cells = _peek_cells(zf, extent.entry, rows)
            shared = _shared_strings(zf, scan.shared_strings, {int(v) for _r, _c, t, v in cells if t == "s" and v.isdigit()})
    except (zipfile.BadZipFile, expat.ExpatError, OSError, KeyError) as exc:
        raise _corrupt(scan.path, exc) from None
    first, last = extent.min_col, min(extent.max_col, limits.MAX_SHEET_COLUMNS)
    height = min(rows, extent.max_row)
    columns: dict[int, list[str | None]] = {c: [None] * height for c in range(first, last + 1)}
    for r, c, kind, value in cells:
        if r > height or c not in columns:
            continue
        if kind == "s":
            value = shared.get(int(value)) if value.isdigit() else None
        elif kind == "n":
            value = _number_text(value)
        columns[c][r - 1] = value
    grid = pl.DataFrame({f"__UNNAMED__{i}": v for i, v in enumerate(columns.values())},
                        schema={f"__UNNAMED__{i}": pl.String for i in range(len(columns))})
    return grid, [c - 1 for c in columns]


class _Enough(Exception):
    """The rows wanted have been read."""


class _TextCollector:
    """Text of <t> elements, outside phonetic runs (<rPh>), as calamine reads a string."""

    def __init__(self):
        self.parts: list[str] = []
        self.in_t = 0
        self.in_rph = 0

    def start(self, local: str) -> None:
        if local == "rPh":
            self.in_rph += 1
        elif local == "t" and not self.in_rph:
            self.in_t += 1

    def end(self, local: str) -> None:
        if local == "rPh":
            self.in_rph -= 1
        elif local == "t" and self.in_t:
            self.in_t -= 1

    def text(self, data: str) -> None:
        if self.in_t:
            self.parts.append(data)


def _number_text(value: str) -> str:
    """A number cell as calamine renders it in a string column, near enough for finding headers."""
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return value


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _peek_cells(zf: zipfile.ZipFile, entry: str, rows: int) -> list[tuple[int, int, str, str]]:
    """(row, column, type, value) of the cells with a value in the first ``rows`` rows.

    Streamed with expat (no tree is built, whatever the nesting) and positioned by calamine's
    rules: a cell's ``r``, else the column after the previous cell; a row's ``r``, else the row
    after the previous one. Stops at the first row beyond ``rows`` or after
    :data:`fupin.io.limits.HEADER_PEEK_BYTES`.
    """
    out: list[tuple[int, int, str, str]] = []
    state = {"row": 1, "col": 1}
    cell: dict | None = None
    collector: _TextCollector | None = None
    in_v = [0]
    value: list[str] = []

    def start(name, attrs):
        nonlocal cell, collector
        local = _local(name)
        if local == "row":
            r = attrs.get("r")
            if r is not None:
                state["row"] = int(r) if r.isdigit() and len(r) <= 8 else rows + 1
            if state["row"] > rows:
                raise _Enough
        elif local == "c":
            r, c = state["row"], state["col"]
            ref = attrs.get("r")
            if ref is not None:
                letters = ref.rstrip("0123456789")
                digits = ref[len(letters):]
                if letters.isalpha() and letters.isascii() and digits.isdigit() and len(digits) <= 8:
                    r, c = int(digits), _column_number(letters)
                else:
                    r, c = rows + 1, limits.EXCEL_MAX_COLUMNS + 1
            state["col"] = c + 1
            cell = {"r": r, "c": c, "t": attrs.get("t", "n")}
            value.clear()
            collector = None
        elif cell is not None:
            if local == "is":
                collector = _TextCollector()
            elif collector is not None:
                collector.start(local)
            elif local == "v":
                in_v[0] += 1

    def end(name):
        nonlocal cell, collector
        local = _local(name)
        if local == "row":
            state["row"] += 1
            state["col"] = 1
        elif local == "c" and cell is not None:
            if collector is not None:
                out.append((cell["r"], cell["c"], "str", "".join(collector.parts)))
            elif value and cell["r"] <= rows:
                out.append((cell["r"], cell["c"], cell["t"], "".join(value)))
            cell, collector = None, None
        elif collector is not None and local != "is":
            collector.end(local)
        elif local == "v" and in_v[0]:
            in_v[0] -= 1
        elif local == "sheetData":
            raise _Enough

    def text(data):
        if collector is not None:
            collector.text(data)
        elif in_v[0]:
            value.append(data)

    parser = limits.safe_expat()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    read = 0
    try:
        with zf.open(entry) as fh:
            while chunk := fh.read(1 << 16):
                parser.Parse(chunk, False)
                read += len(chunk)
                if read > limits.HEADER_PEEK_BYTES:
                    break
    except _Enough:
        pass
    return [c for c in out if c[0] <= rows]


def _column_number(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


_SI = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si(?=[\s/>])")
_SI_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?si\s*>")
_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.\-]*:")


def _shared_strings(zf: zipfile.ZipFile, entry: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings of the given indexes.

    The table is streamed; the parts before the next wanted index are only counted (their
    ``<si`` tags), and each wanted item is cut out and parsed alone (namespace prefixes dropped).
    """
    if not wanted or entry is None:
        return {}
    todo = sorted(wanted)
    out: dict[int, str] = {}
    index = 0
    carry = b""
    with zf.open(entry) as fh:
        while todo:
            chunk = fh.read(limits.SCAN_CHUNK_BYTES)
            eof = not chunk
            buf = carry + chunk
            cut = len(buf) if eof else buf.rfind(b"<")
            if cut <= 0:
                if eof or len(buf) > limits.HEADER_PEEK_BYTES:
                    break
                carry = buf
                continue
            part, carry = buf[:cut], buf[cut:]
            starts = [m.start() for m in _SI.finditer(part)]
            if index + len(starts) <= todo[0]:
                index += len(starts)
            else:
                for start in starts:
                    if index == todo[0]:
                        end = _SI_END.search(buf, start)
                        closed = buf.find(b">", start)
                        if closed > 0 and buf[closed - 1:closed] == b"/":
                            out[index] = ""
                        elif end is None:
                            if eof or len(buf) - start > limits.HEADER_PEEK_BYTES:
                                return out
                            carry = buf[start:]   # the item continues: read on, then again from it
                            break
                        else:
                            out[index] = _item_text(buf[start:end.end()])
                        todo.pop(0)
                        if not todo:
                            return out
                    index += 1
            if eof:
                break
    return out


def _item_text(fragment: bytes) -> str:
    """The text of one <si> item, as calamine reads it."""
    collector = _TextCollector()
    parser = limits.safe_expat()
    parser.StartElementHandler = lambda name, _attrs: collector.start(_local(name))
    parser.EndElementHandler = lambda name: collector.end(_local(name))
    parser.CharacterDataHandler = collector.text
    try:
        parser.Parse(b"<x>" + _PREFIX.sub(rb"<\1", fragment) + b"</x>", True)
    except expat.ExpatError:
        return ""
    return "".join(collector.parts)


def read_xlsx(path: Path, progress: Progress = None) -> list[RawSheet]:
    """The tables of a workbook, header first.

    The workbook is checked before calamine opens it (:func:`open_workbook`). The sheet names
    say which sheet is which table; a named sheet whose first rows name none of its table's
    columns is not loaded at all (the reader then says which columns are missing, listing the
    headers found), and among the other sheets only those whose header makes them a flat export
    are loaded in full: a sheet of unknown headers never is.
    """
    scan, reader = open_workbook(path)
    sheet_names = list(reader.sheet_names)
    known = _known_headers()
    all_known = set().union(*known.values())
    tables: dict[str, list[str]] = {}
    for name in sheet_names:
        if schema.normalize_header(name) == schema.normalize_header(UNKNOWN_COLUMNS_SHEET):
            continue
        table = table_of_sheet(name)
        if table:
            tables.setdefault(table, []).append(name)
    candidates = [n for n in sheet_names if table_of_sheet(n) is None
                  and schema.normalize_header(n) != schema.normalize_header(UNKNOWN_COLUMNS_SHEET)]
    out: list[RawSheet] = []

    def load(name: str) -> tuple[pl.DataFrame, list[int]]:
        return load_grid(reader, path, name)

    if "households" in tables or "members" in tables:
        missing = [t for t in ("households", "members") if t not in tables]
        if missing:
            raise _sheet_error(path, sheet_names)
        chosen = [(t, tables[t][0]) for t in TABLE_NAMES if t in tables]
    else:
        chosen = []
        for name in candidates:
            top, cols = peek_grid(scan, name, reader)
            _f, headers, _e, _h, _a = _shape_sheet(top, name, cols, all_known)
            if classify_headers(headers) != "flat":
                continue  # not a table of this format: never loaded in full
            grid, cols = load(name)
            frame, headers, extra, h, abs_map = _shape_sheet(grid, name, cols, all_known)
            if classify_headers(headers) == "flat":
                out.append(RawSheet("flat", name, frame, headers, extra, columns_abs=abs_map, header_index=h))
        if not out:
            raise _sheet_error(path, sheet_names)
    for i, (table, name) in enumerate(chosen):
        if progress:
            progress("read", i, len(chosen))
        top, cols = peek_grid(scan, name, reader)
        frame, headers, extra, h, abs_map = _shape_sheet(top, name, cols, known[table])
        if any(schema.normalize_header(x) in known[table] for x in headers):
            grid, cols = load(name)
            frame, headers, extra, h, abs_map = _shape_sheet(grid, name, cols, known[table])
        else:
            # No column of the table in its first rows: the reader refuses it, naming the missing
            # columns and the headers found; the rest of the sheet is not needed for that.
            frame = frame.clear()
        out.append(RawSheet(table, name, frame, headers, extra, columns_abs=abs_map, header_index=h))
    for raw in out:
        _probe_numbers(reader, raw, ("households", "members") if raw.kind == "flat" else (raw.kind,), scan)
    if progress:
        progress("read", len(chosen), max(len(chosen), 1))
    return out


def _probe_numbers(reader, raw: RawSheet, tables: tuple[str, ...], scan: limits.XlsxScan | None = None) -> None:
    """Second look at the cells Excel stored as numbers, for what the string load hides.

    calamine renders a number cell as text with limited precision (1/3 -> "0.333333333") and an
    ID typed as a number as digits indistinguishable from text. The money/number columns are
    loaded once more as floats (exact values replace the rendered text) and the ID column as
    booleans (a number cell converts, a text cell — even of digits — does not).

    A second calamine load parses the whole sheet again (a third of an import's read time), so
    the cells of these columns are looked up in the sheet's XML instead (:func:`_typed_cells`)
    whenever that XML is in the plain form which makes the lookup certain to find what calamine
    would; otherwise calamine loads them.
    """
    kinds: dict[str, str] = {}
    for table in tables:
        idx = schema.header_index(table)
        for h in raw.headers:
            name = idx.get(schema.normalize_header(h))
            if name is None or h not in raw.columns_abs:
                continue
            kind = schema.field_by_name(table, name).kind
            if kind in ("money", "number"):
                kinds[h] = "float"
            elif kind == "id_number":
                kinds[h] = "boolean"
    if not kinds or raw.frame.height == 0:
        return
    kinds = {h: k for h, k in kinds.items() if _probe_needed(raw.frame[h], k)}
    if not kinds:
        return
    by_abs = {raw.columns_abs[h]: h for h in kinds}
    order = sorted(by_abs)
    grid = _typed_cells(scan, raw, kinds) if scan is not None else None
    if grid is None:
        try:
            probe = reader.load_sheet(raw.sheet, header_row=None, skip_rows=0, use_columns=order,
                                      dtypes={i: kinds[by_abs[i]] for i in order})
            batch, _errors = probe.to_arrow_with_errors()
            grid = pl.DataFrame(batch)
        except Exception:
            return
        if grid.width != len(order):
            return
        grid.columns = [f"__p{i}" for i in order]
        grid = grid.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    frame = raw.frame.join(grid, on="_row", how="left")
    updates = []
    for i in order:
        h, p = by_abs[i], pl.col(f"__p{i}")
        if kinds[h] == "float":
            shown = pl.col(h).cast(pl.Float64, strict=False)
            updates.append(pl.when(p.is_not_null() & (shown.is_null() | (shown != p)))
                           .then(p.cast(pl.String)).otherwise(pl.col(h)).alias(h))
        else:
            raw.numeric_id_rows = frame.filter(p.is_not_null() & pl.col(h).is_not_null())["_row"]
    if updates:
        raw.frame = frame.with_columns(updates).select(raw.frame.columns)


class _Unsure(Exception):
    """The XML holds something the plain lookup does not read as calamine would: calamine decides."""


# Number formats under which calamine reads a number cell as a number, never as a date: the
# built-in General, number, currency, percent, scientific, fraction, accounting and text
# formats, and custom codes made of digit placeholders and punctuation only (no letter, quote
# or bracket). Anything else may be a date or duration to calamine, and is left to it.
_PLAIN_FORMAT_IDS = frozenset(range(14)) | frozenset(range(37, 45)) | {48, 49}
_PLAIN_FORMAT_CODE = re.compile(r"[0#?.,%@ _\-+()/*;]*")
# A number as Excel writes it in <v>, which Rust (calamine) and Polars parse to the same double.
_NUMBER_V = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Text both calamine's float parse and Polars' cast read alike: a plain decimal, or text neither
# reads as a number. Anything between (inf, nan, "1.", ".5", "+5"…) is left to calamine.
_TEXT_DECIMAL = r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_TEXT_NUMBERISH = r"(?i)^[+-]?([0-9.e+-]+|inf|infinity|nan)$"
_CELL_ATTRS = re.compile(rb'(?:\s+[A-Za-z_][\w.:\-]*="[^"<]*")*\s*(/?)')
_CELL_ATTR = re.compile(rb'\s([A-Za-z_][\w.:\-]*)="([^"<]*)"')


def _plain_styles(zf: zipfile.ZipFile) -> frozenset[int] | None:
    """Indexes of the cell formats (``s``) under which a number is a number to calamine; None
    when the workbook has no styles part (calamine then knows no date format at all)."""
    try:
        info = zf.getinfo("xl/styles.xml")
    except KeyError:
        return None
    if info.file_size > limits.HEADER_PEEK_BYTES:
        raise _Unsure
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = {"numFmts": 0, "cellXfs": 0}

    def start(name, attrs):
        local = _local(name)
        if local in inside:
            inside[local] += 1
        elif local == "numFmt" and inside["numFmts"]:
            custom[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif local == "xf" and inside["cellXfs"]:
            formats.append(int(attrs.get("numFmtId", "0")))

    def end(name):
        local = _local(name)
        if local in inside:
            inside[local] -= 1

    parser = limits.safe_expat()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(zf.read(info), True)
    except (expat.ExpatError, ValueError, KeyError, limits._Unsafe):
        raise _Unsure from None

    def plain(format_id: int) -> bool:
        if format_id in custom:
            code = custom[format_id]
            return (format_id >= 164 or format_id in _PLAIN_FORMAT_IDS) and bool(_PLAIN_FORMAT_CODE.fullmatch(code))
        return format_id in _PLAIN_FORMAT_IDS

    return frozenset(i for i, f in enumerate(formats) if plain(f))


def _has_markup(part: bytes, start: int) -> bool:
    """Whether ``part[start:]`` holds a comment, CDATA section or processing instruction.

    '!' and '?' are looked for alone first (memchr speed; a sheet rarely holds either), and the
    byte before each checked; a part full of them is searched for "<!" and "<?" directly."""
    for mark in (b"!", b"?"):
        pos, seen = part.find(mark, start), 0
        while pos >= 0:
            if part[pos - 1:pos] == b"<":
                return True
            seen += 1
            if seen > 1000:
                return part.find(b"<" + mark, pos) >= 0
            pos = part.find(mark, pos + 1)
    return False


def _typed_cells(scan: limits.XlsxScan, raw: RawSheet, kinds: dict[str, str]) -> pl.DataFrame | None:
    """What calamine's typed second load would give for the columns of ``kinds``, from the XML:
    ``_row`` and ``__p<absolute column>`` (the exact number of a number cell for "float", true
    for a number or boolean cell for "boolean"; null elsewhere), or None when unsure.

    Only a sheet whose cells the hostile-file scan found all addressed in plain A1 form
    (:attr:`fupin.io.limits.SheetExtent.plain_refs`) is read, with no comment, CDATA section or
    processing instruction (whose text could look like a cell); a column's cells must come in
    row order, each a text cell or a plain number (a number format that is no date, a value as
    Excel writes numbers) or, in the ID column, a boolean. Text the two parsers might read
    differently as a float sends the column back to calamine too.
    """
    extent = scan.sheets.get(raw.sheet)
    if extent is None or not extent.entry or not extent.plain_refs:
        return None
    for h, kind in kinds.items():
        text = raw.frame[h]
        if kind == "float" and (text.str.contains(_TEXT_NUMBERISH) & ~text.str.contains(_TEXT_DECIMAL)).any():
            return None
    by_letters = {limits.column_letters(raw.columns_abs[h] + 1).encode(): h for h in kinds}
    pattern = re.compile(
        rb'<c r="(' + b"|".join(sorted(by_letters, key=len, reverse=True)) + rb')([0-9]+)"([^>]*)>'
        rb"(<v>[^<]*</v>|</c>|)")
    found: dict[str, tuple[list[int], list]] = {h: ([], []) for h in kinds}
    last: dict[bytes, int] = dict.fromkeys(by_letters, 0)
    classified: dict[bytes, tuple[str, int | None]] = {}
    try:
        with zipfile.ZipFile(scan.path) as zf:
            styles = _plain_styles(zf)

            def classify(attrs: bytes) -> tuple[str, int | None]:
                m = _CELL_ATTRS.fullmatch(attrs)
                if m is None:
                    raise _Unsure
                if m.group(1):
                    return "empty", None
                values = dict(_CELL_ATTR.findall(attrs))
                t = values.get(b"t", b"n")
                if t in (b"s", b"str", b"inlineStr"):
                    return "text", None
                if t == b"b":
                    return "boolean", None
                if t != b"n":
                    raise _Unsure
                style = values.get(b"s", b"0")
                if not style.isdigit() or (styles is not None and int(style) not in styles):
                    raise _Unsure
                return "number", None

            info = zf.getinfo(extent.entry)
            carry = b""
            first = True
            with contextlib.closing(limits._chunks(zf, info)) as chunks:
                for chunk in itertools.chain(chunks, [b""]):
                    buf = carry + chunk if carry else chunk
                    cut = buf.rfind(b'<c r="') if chunk else len(buf)
                    if cut <= 0:
                        if len(buf) > limits.HEADER_PEEK_BYTES:
                            raise _Unsure
                        carry = buf
                        continue
                    part, carry = buf[:cut], buf[cut:]
                    start = 0
                    if first:
                        first = False
                        head = part.find(b"<")
                        if part.startswith(b"<?xml", head):
                            start = part.find(b"?>", head) + 2
                    if _has_markup(part, start):
                        raise _Unsure
                    for letters, row_text, attrs, content in pattern.findall(part, start):
                        row = int(row_text)
                        if row <= last[letters]:
                            raise _Unsure
                        last[letters] = row
                        kind = classified.get(attrs)
                        if kind is None:
                            kind = classified[attrs] = classify(attrs)
                        kind = kind[0]
                        if kind in ("text", "empty"):
                            continue
                        h = by_letters[letters]
                        if kind == "boolean":
                            if kinds[h] != "boolean" or not content.startswith(b"<v>"):
                                raise _Unsure
                            value = True
                        elif content == b"</c>":
                            continue   # no value: calamine skips the cell
                        elif not content.startswith(b"<v>") or not _NUMBER_V.fullmatch(content, 3, len(content) - 4):
                            raise _Unsure   # a formula, an inline value, an empty <v>: calamine decides
                        else:
                            value = True if kinds[h] == "boolean" else content[3:-4].decode("ascii")
                        rows, values = found[h]
                        rows.append(row)
                        values.append(value)
                    if not chunk:
                        break
    except (_Unsure, zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, RuntimeError):
        return None
    frames = []
    for abs_col in sorted(raw.columns_abs[h] for h in kinds):
        h = next(x for x in kinds if raw.columns_abs[x] == abs_col)
        rows, values = found[h]
        dtype = pl.Float64 if kinds[h] == "float" else pl.Boolean
        values = pl.Series(values, dtype=pl.String).cast(pl.Float64) if kinds[h] == "float" \
            else pl.Series(values, dtype=pl.Boolean)
        frames.append(pl.DataFrame({"_row": pl.Series(rows, dtype=pl.Int64), f"__p{abs_col}": values.cast(dtype)}))
    grid = frames[0]
    for more in frames[1:]:
        grid = grid.join(more, on="_row", how="full", coalesce=True)
    return grid


def _probe_needed(column: pl.Series, kind: str) -> bool:
    """Whether the second load could change anything for this column.

    calamine renders a number cell rounded to 9 decimals, so any rendering with a fraction
    (or an exponent) may hide digits and needs the exact second load; a column of whole
    amounts — the usual money column — does not. (Below 5e-10 a number renders as "0"; such
    amounts have no meaning in yuan.) The ID column is always probed: a number cell renders
    as plain digits, and one time in eleven those even pass the checksum, so only the cell
    type tells.
    """
    if kind != "float":
        return True
    text = column.cast(pl.String).str.strip_chars()
    return bool(text.str.contains(r"[.eE]").any())


def _sheet_error(path: Path, found: list[str]) -> ExchangeFormatError:
    shown = "、".join(f"“{n}”" for n in found) or "（无）"
    return ExchangeFormatError(
        f"文件“{path.name}”中找不到需要的工作表。找到的工作表：{shown}。需要：“户”（或 households）和“人”（或 members），"
        "可选“区划”（或 regions）；或者一张每人一行、带户信息的明细表（全国系统导出格式）。请把工作表改名后重新导入。",
        f"file '{path.name}': expected sheets are '户'/'households' and '人'/'members' (optional '区划'/'regions'), "
        f"or one flat sheet with one person per row; found: {', '.join(found) or 'none'}. Rename the sheets and import again.",
    )


# --- CSV -------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    """utf-8-sig / utf-8 / utf-16 / gb18030, checked over the whole file in chunks."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    failure = None
    for enc in candidates:
        decoder = codecs.getincrementaldecoder(enc)()
        offset = 0
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError as exc:
            failure = offset + exc.start
    raise ExchangeFormatError(
        f"文件“{path.name}”的文字编码无法识别（第 {failure} 字节处），既不是 UTF-8 也不是 GB18030。"
        "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后再导入。",
        f"file '{path.name}': text encoding not recognised (byte {failure}); it is neither UTF-8 nor GB18030. "
        "Save it from Excel as 'CSV UTF-8 (comma delimited)' and import again.",
    )


def _utf8_copy(path: Path, encoding: str) -> Path:
    """Transcode to a temporary UTF-8 file chunk by chunk (no whole-file string in memory)."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="fupin-")
    decoder = codecs.getincrementaldecoder(encoding)()
    with os.fdopen(fd, "wb") as out, open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
    return Path(tmp)


def read_csv(path: Path, kind: str | None = None) -> RawSheet:
    encoding = detect_encoding(path)
    source = path if encoding in ("utf-8", "utf-8-sig") else _utf8_copy(path, encoding)
    try:
        limits.check_csv(source, path.name)
        with open(source, "rb") as fh:
            first = fh.readline(limits.MAX_CSV_LINE_BYTES + 1).decode("utf-8-sig", errors="replace")
        separator = "\t" if first.count("\t") > first.count(",") else ","
        try:
            frame = pl.read_csv(source, infer_schema=False, separator=separator, encoding="utf8",
                                empty_string_is_null=False, raise_if_empty=False, missing_columns="insert")
        except Exception as exc:  # polars ComputeError on ragged lines or broken quoting
            detail = str(exc).splitlines()[0][:200]
            raise ExchangeFormatError(
                f"文件“{path.name}”不是规范的 CSV（{detail}）。请用 Excel 打开后另存为“CSV UTF-8（逗号分隔）”。",
                f"file '{path.name}' is not a well-formed CSV ({detail}); save it again from Excel as CSV UTF-8",
            ) from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    limits.check_cell_lengths(frame, path.name)
    # Our CSV writers put an apostrophe before text Excel would take for a formula (io.tables);
    # take exactly that one away again, so an exported CSV reads back as it was.
    frame = frame.with_columns(tables.csv_unescape_expr(pl.col(pl.String)))
    return _csv_sheet(frame, path.name, kind)


def _csv_sheet(frame: pl.DataFrame, name: str, kind: str | None) -> RawSheet:
    """Shape a grid of strings laid out as a CSV file (header on line 1, data from line 2).

    Shared by :func:`read_csv` and :func:`sheet_from_rows`, so that rows given in memory become
    exactly the sheet their CSV file would.
    """
    headers = [h.strip() for h in frame.columns]
    frame.columns = _dedupe([h or f"(无表头 列{_excel_column(i)})" for i, h in enumerate(headers)])
    headers = list(frame.columns)
    extra = [h for h in headers if h.startswith("(无表头 列")]
    frame = frame.with_row_index("_row", offset=2).with_columns(
        pl.col("_row").cast(pl.Int64), pl.lit(name).alias("_sheet")
    )
    if headers:
        frame = frame.filter(_not_empty(frame, headers))
    frame = frame.select(_columns(frame, [*headers, "_sheet", "_row"]))
    kind = kind or classify_headers(headers) or "unknown"
    return RawSheet(kind, name, frame, headers, extra)


def sheet_from_rows(kind: str, rows: list[dict[str, str]], *, sheet_name: str,
                    headers: list[str] | None = None) -> RawSheet:
    """A :class:`RawSheet` from rows held in memory, exactly as their CSV file would read.

    ``rows`` are typed strings keyed by header (the Chinese headers of ``fupin.engine.schema``,
    ``schema.fields(table, exchange_only=True)``); a missing key or ``None`` is an empty cell.
    The columns are ``headers`` when given, else every exchange header of the table ``kind``
    in the schema's order followed by any other key of the rows (in the order first seen; for
    ``kind="flat"`` the keys only). Rows are numbered like CSV lines — header on row 1, data
    from row 2 — and empty rows are skipped without giving up their numbers, as
    :func:`read_csv` does; ``_sheet`` is ``sheet_name``. Nothing is written anywhere.
    """
    if kind not in (*TABLE_NAMES, "flat"):
        raise ValueError(f"kind must be one of {', '.join((*TABLE_NAMES, 'flat'))}; got {kind!r}")
    if headers is None:
        order = [f.zh for f in schema.fields(kind, exchange_only=True)] if kind in TABLE_NAMES else []
        headers = list(dict.fromkeys([*order, *(k for row in rows for k in row)]))
    else:
        headers = list(headers)
        if len(set(headers)) != len(headers):
            raise ValueError(f"duplicate headers: {headers}")
        unknown = {k for row in rows for k in row} - set(headers)
        if unknown:
            raise ValueError(f"rows have keys that are not among the headers: {sorted(unknown)}")

    def text(value) -> str:
        # As a CSV writer then reader would give it back: no value is an empty cell.
        return "" if value is None else str(value)

    frame = pl.DataFrame({h: [text(row.get(h)) for row in rows] for h in headers},
                         schema={h: pl.String for h in headers})
    return _csv_sheet(frame, sheet_name, kind)


def _find_file(folder: Path, table: str, suffix: str) -> Path | None:
    names = {schema.normalize_header(n) for n in schema.SHEET_NAMES[table]}
    for p in sorted(folder.iterdir()):
        if p.name.lower().endswith(suffix) and schema.normalize_header(p.name[: -len(suffix)]) in names:
            return p
    return None


def _folder_error(folder: Path, suffix: str) -> ExchangeFormatError:
    found = "、".join(sorted(p.name for p in folder.iterdir())) or "（空）"
    return ExchangeFormatError(
        f"文件夹“{folder}”中缺少 households{suffix} 或 members{suffix}（可选 regions{suffix}）。找到的文件：{found}。",
        f"folder '{folder}' must hold households{suffix} and members{suffix} (optional regions{suffix}); "
        f"found: {found}",
    )


def read_csv_folder(folder: Path, progress: Progress = None) -> list[RawSheet]:
    files = {t: _find_file(folder, t, ".csv") for t in TABLE_NAMES}
    if files["households"] is None or files["members"] is None:
        raise _folder_error(folder, ".csv")
    out = []
    todo = [(t, p) for t, p in files.items() if p is not None]
    for i, (table, p) in enumerate(todo):
        if progress:
            progress("read", i, len(todo))
        out.append(read_csv(p, table))
    if progress:
        progress("read", len(todo), len(todo))
    return out


# --- Parquet ---------------------------------------------------------------------------

def parquet_folder(path: Path) -> bool:
    return path.is_dir() and _find_file(path, "households", ".parquet") is not None


def read_parquet_folder(folder: Path, progress: Progress = None) -> list[RawSheet]:
    files = {t: _find_file(folder, t, ".parquet") for t in TABLE_NAMES}
    if files["households"] is None or files["members"] is None:
        raise _folder_error(folder, ".parquet")
    out = []
    for table, p in files.items():
        if p is None:
            continue
        frame = read_parquet(p)
        headers = list(frame.columns)
        frame = frame.select(
            [c.cast(pl.String) for c in _columns(frame, headers)]
        ).with_row_index("_row", offset=1).with_columns(
            pl.col("_row").cast(pl.Int64), pl.lit(p.name).alias("_sheet")
        )
        frame = frame.select(_columns(frame, [*headers, "_sheet", "_row"]))
        out.append(RawSheet(table, p.name, frame, headers, typed=True))
    return out


def _parquet_error(p: Path, exc: Exception | str) -> ExchangeFormatError:
    detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200] if not isinstance(exc, str) else exc
    return ExchangeFormatError(
        f"Parquet 文件“{p.name}”无法读取（{detail}），可能为空、已损坏或不是 Parquet 格式。请重新导出后再导入。",
        f"Parquet file '{p.name}' cannot be read ({detail}); it may be empty, corrupt or not Parquet. Export it again",
    )


def read_parquet(p: Path) -> pl.DataFrame:
    """A Parquet file (or a folder of Parquet files, hive-partitioned), checked before it is read.

    Refused with a message: an empty or unreadable file, a column that is not a plain scalar
    (list, struct, binary, object…; named), more rows or cells than the limits allow
    (:func:`fupin.io.limits.check_parquet_size`, from the files' metadata).
    """
    parts = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    if not parts:
        raise _parquet_error(p, "没有 .parquet 文件 (no .parquet file)")
    rows = 0
    size = 0
    try:
        for part in parts:
            if part.stat().st_size == 0:
                raise _parquet_error(p, f"“{part.name}” 是空文件 (empty file)")
            meta = pq.ParquetFile(part).metadata
            rows += meta.num_rows
            size += part.stat().st_size
        lf = pl.scan_parquet(p / "**/*.parquet" if p.is_dir() else p, hive_partitioning=p.is_dir())
        found = lf.collect_schema()
    except ExchangeFormatError:
        raise
    except Exception as exc:
        raise _parquet_error(p, exc) from None
    limits.check_parquet_schema(found, p.name)
    limits.check_parquet_size(rows, len(found), size, p.name)
    try:
        return lf.collect()
    except Exception as exc:
        raise _parquet_error(p, exc) from None


def detect(path: Path) -> str:
    """xlsx | csv | parquet | flat-csv, or raise naming what was expected."""
    if not path.exists():
        raise ExchangeFormatError(f"找不到文件“{path}”。", f"file '{path}' not found")
    if path.is_dir():
        if parquet_folder(path):
            return "parquet"
        if _find_file(path, "households", ".csv") or _find_file(path, "members", ".csv"):
            return "csv"
        if any(p.name.lower().endswith(".parquet") for p in path.iterdir()):
            raise _folder_error(path, ".parquet")
        raise _folder_error(path, ".csv")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls":
        check_excel_container(path)  # raises the right message for a real .xls
        return "xlsx"  # an .xlsx saved with the wrong extension
    if suffix in (".csv", ".txt"):
        return "flat-csv"
    head = sniff(path)
    if head.startswith((_ZIP_MAGIC, _CFB_MAGIC)):
        return "xlsx"
    raise ExchangeFormatError(
        f"不支持的文件类型“{path.name}”：请提供 .xlsx 工作簿、CSV 文件夹或 Parquet 文件夹。",
        f"unsupported file '{path.name}': give an .xlsx workbook, a folder of CSV files or of Parquet files",
    )


def header_is_ignored(h: str) -> bool:
    return _ignored(h)

