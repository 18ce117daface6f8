"""Column parsers: raw strings -> canonical values plus an error code per cell.

Each parser takes the stripped raw column (``pl.Expr`` of strings, empty already null) and
returns ``(value, error)`` expressions: ``value`` in the canonical dtype (null when the cell is
empty or bad), ``error`` the issue code of a bad cell (null when fine). Everything is a column
expression over the whole column.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import schema

_MONEY_JUNK = r"[,，\s\u3000]|元$"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


_BLANKS = " \t\r\n\u3000\u00a0"


def clean(raw: pl.Expr) -> pl.Expr:
    """Strip spaces (also full-width); empty -> null."""
    s = raw.cast(pl.String).str.strip_chars(_BLANKS)
    return pl.when(s == "").then(None).otherwise(s)


def needs_clean(s: pl.Expr) -> pl.Expr:
    """True for the strings :func:`clean` changes (blank at either end, or empty)."""
    return s.str.contains(f"^[{_BLANKS}]|[{_BLANKS}]$|^$")


def _number(s: pl.Expr, *, money: bool) -> tuple[pl.Expr, pl.Expr]:
    # Thousands separators and a trailing 元 are tolerated ("1,200元").
    t = s.str.replace_all(_MONEY_JUNK, "") if money else s.str.replace_all(r"[,，\s\u3000]", "")
    t = t.str.replace(r"元$", "")
    ok = t.str.contains(_NUMBER)
    return _checked_number(s.is_not_null(), ok, pl.when(ok).then(t.cast(pl.Float64, strict=False)))


def _checked_number(present: pl.Expr, ok: pl.Expr, value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Shared by the text and the typed paths, so a number is judged the same way whatever its container.
    error = (
        pl.when(~present).then(None)
        .when(~ok | value.is_null()).then(pl.lit("E02"))
        .when(value < 0).then(pl.lit("E03"))
    )
    return pl.when(error.is_null()).then(value), error


def parse_money(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return _number(s, money=True)


def parse_number(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return _number(s, money=False)


# An integer cell has at most this many digits: every such number fits the canonical Int32.
INT_DIGITS = 9


def parse_int(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Excel may hand integers over as "3" or "3.0" (numbers stored as text are accepted too).
    t = s.str.replace_all(r"[,，\s]", "").str.replace(r"\.0*$", "")
    ok = t.str.contains(rf"^[+-]?\d{{1,{INT_DIGITS}}}$")
    return _checked_int(s.is_not_null(), ok, pl.when(ok).then(t.cast(pl.Int64, strict=False)))


def _checked_int(present: pl.Expr, ok: pl.Expr, value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    error = pl.when(~present).then(None).when(~ok).then(pl.lit("E02"))
    return pl.when(error.is_null()).then(value.cast(pl.Int32)), error


# Fields that hold a calendar year: a number outside these years is a typing error (E13), not a
# year the engine could compute with (a date of year 0 does not exist).
YEAR_FIELDS = frozenset({"year", "exit_year", "identified_year", "county_exit_year"})
FIRST_YEAR, LAST_YEAR = 1900, 2100


def parse_year(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return _checked_year(*parse_int(s))


def _checked_year(value: pl.Expr, error: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    out_of_range = value.is_not_null() & ~value.is_between(FIRST_YEAR, LAST_YEAR)
    return (pl.when(out_of_range).then(None).otherwise(value),
            pl.when(out_of_range).then(pl.lit("E13")).otherwise(error))


def parse_yesno(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    t = s.str.to_lowercase().str.replace_all(r"[\s\u3000]", "")
    yes = t.is_in(list(schema.YES_WORDS))
    no = t.is_in(list(schema.NO_WORDS))
    value = pl.when(yes).then(pl.lit(True)).when(no).then(pl.lit(False)).otherwise(None)
    error = pl.when(s.is_null()).then(None).when(~yes & ~no).then(pl.lit("E04"))
    return value, error


def normalize_code_expr(s: pl.Expr) -> pl.Expr:
    """Expression form of ``schema.normalize_text`` (NFKC fold, spaces removed)."""
    return s.str.normalize("NFKC").str.replace_all(r"[\s\u3000]", "")


def parse_code(s: pl.Expr, f: schema.Field) -> tuple[pl.Expr, pl.Expr]:
    lookup = schema.code_lookup(f)
    key = normalize_code_expr(s)
    value = key.replace_strict(lookup, default=None, return_dtype=pl.String)
    error = pl.when(s.is_null()).then(None).when(value.is_null()).then(pl.lit("E04"))
    return value, error


def parse_causes(s: pl.Expr, f: schema.Field) -> tuple[pl.Expr, pl.Expr]:
    lookup = schema.code_lookup(f)
    parts = normalize_code_expr(s.str.replace_all(r"[、,，;；\s\u3000/]+", "|")).str.strip_chars("|").str.split("|")
    mapped = parts.list.eval(pl.element().replace_strict(lookup, default=None, return_dtype=pl.String))
    bad = mapped.list.eval(pl.element().is_null()).list.any() | (mapped.list.len() > 2)
    value = pl.when(s.is_not_null() & ~bad).then(mapped.list.join("、"))
    error = pl.when(s.is_null()).then(None).when(bad).then(pl.lit("E04"))
    return pl.when(value != "").then(value), error


def parse_month(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # YYYY-MM, YYYYMM (national system), YYYY/MM, YYYY.MM, YYYY年MM月, or a date (Excel date cell).
    t = s.str.replace_all(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    m = t.str.extract_groups(r"^(\d{4})(?:[-/.年]?)(\d{1,2})(?:月)?(?:[-/.]\d{1,2}日?)?$")
    compact = t.str.contains(r"^\d{6}$")
    year = pl.when(compact).then(t.str.slice(0, 4)).otherwise(m.struct.field("1")).cast(pl.Int32, strict=False)
    month = pl.when(compact).then(t.str.slice(4, 2)).otherwise(m.struct.field("2")).cast(pl.Int32, strict=False)
    ok = year.is_not_null() & month.is_between(1, 12) & year.is_between(1900, 2200)
    value = pl.when(ok).then(
        pl.format("{}-{}", year.cast(pl.String), month.cast(pl.String).str.pad_start(2, "0"))
    )
    error = pl.when(s.is_null()).then(None).when(~ok).then(pl.lit("E05"))
    return value, error


def parse_date(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``YYYY-MM-DD`` (also ``YYYYMMDD``, ``YYYY/M/D``, ``YYYY.M.D``, ``YYYY年M月D日``, a time of day
    after it, and an Excel serial day number of 5 digits) -> Date; E05 when not a date of
    1900–2100. One parser for the registry's dates and the assistance sheets'."""
    t = s.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    groups = t.str.extract_groups(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
    compact = t.str.contains(r"^\d{8}$")
    year = pl.when(compact).then(t.str.slice(0, 4)).otherwise(groups.struct.field("1"))
    month = pl.when(compact).then(t.str.slice(4, 2)).otherwise(groups.struct.field("2"))
    day = pl.when(compact).then(t.str.slice(6, 2)).otherwise(groups.struct.field("3"))
    text = pl.format("{}-{}-{}", year, month.str.pad_start(2, "0"), day.str.pad_start(2, "0"))
    calendar = text.str.to_date("%Y-%m-%d", strict=False)
    serial = t.str.replace(r"\.0+$", "")
    from_serial = pl.when(serial.str.contains(r"^\d{5}$")).then(
        pl.lit(date(1899, 12, 30)) + pl.duration(days=serial.cast(pl.Int64, strict=False)))
    return _checked_date(s.is_not_null(), pl.coalesce(calendar, from_serial))


def _checked_date(present: pl.Expr, value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Shared by the text and the typed paths (a Parquet date column is judged the same way).
    ok = value.is_not_null() & value.dt.year().is_between(FIRST_YEAR, LAST_YEAR)
    return pl.when(ok).then(value), pl.when(~present).then(None).when(~ok).then(pl.lit("E05"))


def parse_region(s: pl.Expr, *, lengths: tuple[int, ...] = (12,)) -> tuple[pl.Expr, pl.Expr]:
    t = s.str.replace(r"\.0*$", "")
    ok = t.str.contains(r"^\d+$") & t.str.len_chars().is_in(list(lengths))
    value = pl.when(ok).then(t.str.pad_end(12, "0"))
    error = pl.when(s.is_null()).then(None).when(~ok).then(pl.lit("E08"))
    return value, error


def parse_text(s: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    # Codes that came out of a numeric Excel cell (户编号 12 -> "12") need nothing more.
    return s, pl.lit(None, dtype=pl.String)


def parse_field(s: pl.Expr, f: schema.Field, *, table: str) -> tuple[pl.Expr, pl.Expr]:
    """Dispatch on the field kind; ``id_number`` is parsed separately (needs the as_of)."""
    kind = f.kind
    if kind == "money":
        return parse_money(s)
    if kind == "number":
        return parse_number(s)
    if kind == "int":
        return parse_year(s) if f.name in YEAR_FIELDS else parse_int(s)
    if kind == "yesno":
        return parse_yesno(s)
    if kind == "code":
        return parse_code(s, f)
    if kind == "causes":
        return parse_causes(s, f)
    if kind == "month":
        return parse_month(s)
    if kind == "date":
        return parse_date(s)
    if kind == "region":
        return parse_region(s)
    if (table, f.name) == _REGIONS_OWN_CODE:
        return parse_region(s, lengths=(6, 9, 12))
    return parse_text(s)


# The regions table names counties and towns as well as villages: its code is checked as one.
_REGIONS_OWN_CODE = ("regions", "region_code")


def plain_text(f: schema.Field, *, table: str) -> bool:
    """Fields whose value is their cleaned text, nothing checked (ID numbers are checked later)."""
    return f.kind in ("text", "id_number") and (table, f.name) != _REGIONS_OWN_CODE


# --- typed columns -------------------------------------------------------------------------
# A Parquet (Arrow) column that already holds numbers or booleans is judged on its values: the
# same outcome as writing each value as text and parsing it back (Polars writes a Float64 as the
# shortest text that reads back to the same value, an integer as its digits, a boolean as
# true/false), without the round trip. Any other dtype is parsed from its text as before.

def parse_typed(col: pl.Expr, f: schema.Field, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr] | None:
    """(value, error) of a typed column, equal to ``parse_field`` over the column's text; None
    when ``dtype`` is not handled natively for ``f`` (then parse the text)."""
    kind = f.kind
    if kind in ("money", "number") and (dtype == pl.Float64 or dtype.is_integer()):
        value = col.cast(pl.Float64)
        # NaN and ±inf are written "NaN"/"inf", which are not numbers to the text parser.
        return _checked_number(value.is_not_null(), value.is_finite(), value)
    if kind == "int" and dtype.is_integer():
        limit = 10**INT_DIGITS - 1
        value = col.cast(pl.Int64, strict=False)
        ok = value.is_between(-limit, limit).fill_null(False)
        value, error = _checked_int(col.is_not_null(), ok, pl.when(ok).then(value))
        return _checked_year(value, error) if f.name in YEAR_FIELDS else (value, error)
    if kind == "yesno" and dtype == pl.Boolean:
        return col, pl.lit(None, dtype=pl.String)
    if kind == "date" and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        # A timestamp's time of day is dropped, as the text parser drops it.
        return _checked_date(col.is_not_null(), col.cast(pl.Date))
    return None
