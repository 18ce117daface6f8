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
import zipfile
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


# --- xlsx, streamed from frames ------------------------------------------------------------------
# A rejects workbook can hold hundreds of thousands of rows; xlsxwriter spends ~5 µs per cell in
# Python. Here each chunk of rows becomes its SpreadsheetML text in one set-based Polars pass and
# goes straight into the zip: the same cells (inline strings, quote prefix for formula-like text,
# control characters as _xHHHH_ like xlsxwriter), seconds instead of minutes, constant memory.

XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CHARS = 32_767
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles (cellXfs) of streamed workbooks, by index.
_STYLE = {"plain": 0, "bold": 1, "bold_quoted": 2, "note": 3, "quoted": 4, "note_quoted": 5}
_STYLES_XML = (
    f'{_XML}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyFont="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="0" xfId="0" quotePrefix="1" applyFont="1" applyFill="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    '</styleSheet>'
)
# xlsxwriter's escapes: a literal _xHHHH_ gets its underscore escaped, then the control
# characters XML cannot hold (tab and newline can) become _xHHHH_; \r too, or parsers turn it into \n.
_CONTROL = [chr(i) for i in (*range(0x00, 0x09), *range(0x0B, 0x20))] + ["\ufffe", "\uffff"]
_CONTROL_ESCAPED = [f"_x{ord(ch):04X}_" for ch in _CONTROL]


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xml_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;"))


def _text_cell_expr(expr: pl.Expr, letter: str, row: pl.Expr, quoted_style: int, plain_style: int | None) -> pl.Expr:
    text = expr.str.slice(0, XLSX_MAX_CHARS)
    escaped = (text.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1")
               .str.replace_many(_CONTROL, _CONTROL_ESCAPED)
               .str.replace_many(["&", "<", ">"], ["&amp;", "&lt;", "&gt;"]))
    style = pl.when(text.str.contains(FORMULA_PATTERN)).then(pl.lit(f' s="{quoted_style}"'))
    style = style.otherwise(pl.lit(f' s="{plain_style}"' if plain_style else ""))
    space = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
    return pl.concat_str([pl.lit(f'<c r="{letter}'), row, pl.lit('"'), style, pl.lit(' t="inlineStr"><is><t'), space,
                          pl.lit(">"), escaped, pl.lit("</t></is></c>")])


def _cell_expr(name: str, dtype: pl.DataType, letter: str, row: pl.Expr) -> pl.Expr:
    """One column's cells as SpreadsheetML (null for an empty cell), as :class:`SheetWriter` writes them."""
    col = pl.col(name)
    if dtype.is_integer() or dtype.is_float():
        value = col.cast(pl.Float64) if dtype.is_float() else col
        finite = value.is_finite() if dtype.is_float() else pl.lit(True)
        # Floats as Python's shortest repr (what xlsxwriter writes); NaN/inf left empty.
        number = value.cast(pl.String)
        return pl.when(col.is_not_null() & finite).then(
            pl.concat_str([pl.lit(f'<c r="{letter}'), row, pl.lit('"><v>'), number, pl.lit("</v></c>")]))
    if dtype == pl.Boolean:
        col = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否"))
    elif dtype in (pl.Date, pl.Datetime):
        col = col.dt.to_string("iso") if dtype == pl.Date else col.cast(pl.String)
    else:
        col = col.cast(pl.String)
    return _text_cell_expr(col, letter, row, _STYLE["quoted"], None)


def text_width(text: str) -> int:
    """Display width: a CJK character takes two columns of a fixed-width cell."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _column_widths(frame: pl.DataFrame, sample_rows: int = 500, widest: int = 48) -> list[float]:
    """Widths (characters) that show the header and the first rows' values, at most ``widest``."""
    sample = frame.head(sample_rows)
    widths = []
    for name in frame.columns:
        values = sample.get_column(name).drop_nulls().cast(pl.String, strict=False).drop_nulls().to_list()
        widths.append(min(widest, max([text_width(str(name)) + 2, *(text_width(v) for v in values)]) + 1))
    return widths


def _sheet_xml_head(columns: Sequence[str], rows: int, header_styles: Sequence[str], selected: bool,
                    widths: Sequence[float] = ()) -> str:
    last = f"{_column_letter(max(len(columns) - 1, 0))}{max(rows + 1, 1)}"
    view = ' tabSelected="1"' if selected else ""
    cells = []
    for i, (name, style) in enumerate(zip(columns, header_styles, strict=True)):
        text = str(name)[:XLSX_MAX_CHARS]
        frame = pl.DataFrame({"h": [text]})
        xml = frame.select(_text_cell_expr(pl.col("h"), _column_letter(i), pl.lit("1"),
                                           _STYLE[f"{style}_quoted"], _STYLE[style])).item()
        cells.append(xml)
    return (f'{_XML}<worksheet {_NS}><dimension ref="A1:{last}"/><sheetViews><sheetView{view} workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'{_cols_xml(widths)}<sheetData><row r="1">{"".join(cells)}</row>')


def _cols_xml(widths: Sequence[float]) -> str:
    if not widths:
        return ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>"


_SHEET_TAIL = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
               '</worksheet>')


def write_frames_xlsx(out, sheets: Mapping[str, pl.DataFrame], *, header_styles: Mapping[str, Sequence[str]] | None = None,
                      chunk_rows: int = 50_000) -> Path:
    """Frames as the sheets of one workbook, streamed: a bold header row (frozen), columns as wide
    as the header and the first rows need, then the rows.

    Cells are written as :class:`SheetWriter` writes them (text as text, quote-prefixed when it
    looks like a formula; numbers as numbers; booleans 是/否; None empty). ``header_styles``
    gives a sheet's header cell styles ("bold" or "note", one per column). A frame longer than
    Excel's sheet continues on sheets named ``NAME (2)``, ``NAME (3)`` …
    """
    out = Path(out)
    header_styles = header_styles or {}
    parts: list[tuple[str, pl.DataFrame, Sequence[str]]] = []
    per_sheet = XLSX_MAX_ROWS - 1
    for name, frame in sheets.items():
        styles = list(header_styles.get(name) or ["bold"] * len(frame.columns))
        pieces = max(1, -(-frame.height // per_sheet))
        for k in range(pieces):
            part_name = name if k == 0 else f"{name[:31 - len(f' ({k + 1})')]} ({k + 1})"
            parts.append((part_name, frame.slice(k * per_sheet, per_sheet), styles))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i, (name, frame, styles) in enumerate(parts, start=1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w") as fh:
                fh.write(_sheet_xml_head(frame.columns, frame.height, styles, i == 1, _column_widths(frame)).encode())
                for start in range(0, frame.height, chunk_rows):
                    chunk = frame.slice(start, chunk_rows)
                    row = pl.int_range(start + 2, start + 2 + chunk.height, dtype=pl.Int64).cast(pl.String)
                    cells = [_cell_expr(c, dt, _column_letter(j), row)
                             for j, (c, dt) in enumerate(chunk.schema.items())]
                    xml = chunk.select(pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'),
                                                      pl.concat_str(cells, ignore_nulls=True) if cells else pl.lit(""),
                                                      pl.lit("</row>")]).str.join("")).item()
                    fh.write(xml.encode())
                fh.write(_SHEET_TAIL.encode())
        sheet_entries = "".join(f'<sheet name="{_xml_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
                                for i, (name, _f, _s) in enumerate(parts, start=1))
        zf.writestr("xl/workbook.xml", f'{_XML}<workbook {_NS}><bookViews><workbookView xWindow="240" yWindow="15" '
                                       f'windowWidth="16095" windowHeight="9660"/></bookViews><sheets>{sheet_entries}'
                                       '</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(parts) + 1))
        rels += (f'<Relationship Id="rId{len(parts) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/'
                                                  f'package/2006/relationships">{rels}</Relationships>')
        zf.writestr("xl/styles.xml", _STYLES_XML)
        zf.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                   'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                                   '</Relationships>')
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, len(parts) + 1))
        zf.writestr("[Content_Types].xml", (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'))
    return out
