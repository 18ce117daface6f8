"""Resident identity numbers (GB 11643), validated over whole columns.

``stdnum.cn.ric`` is not used: it rejects IDs whose registration county code no longer exists
(most people born before a redistricting) and raises on some codes. Here the division part is
only checked to be six digits; the birth date, the sequence and the ISO 7064 MOD 11-2 check
character are checked exactly.

Everything is a column expression or a numpy operation over the whole column: no Python
loop per ID.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"
_CHECK_LUT = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)

# Status values, from best to worst.  ``ok`` and ``upgraded`` are loadable.
OK = "ok"
UPGRADED = "upgraded"          # 15-digit legacy number upgraded (warning Q02)
CERTIFICATE = "certificate"    # 20/22-digit disability certificate, first 18 used
EMPTY = "empty"
AS_NUMBER = "as_number"        # stored as a number by Excel: digits lost
MALFORMED = "malformed"
BAD_DATE = "bad_date"
CHECKSUM = "checksum"
BIRTH_FUTURE = "birth_future"
BIRTH_BEFORE_1900 = "birth_before_1900"

LOADABLE = (OK, UPGRADED, CERTIFICATE)

MESSAGES: dict[str, tuple[str, str]] = {
    EMPTY: ("证件号码为空", "ID number is empty"),
    AS_NUMBER: (
        "证件号码被 Excel 存成了数字（末几位已丢失），请把该列设为“文本”格式后重新录入",
        "ID number was stored as a number by Excel (last digits lost); format the column as text and re-enter it",
    ),
    MALFORMED: (
        "证件号码格式不对：应为18位（最后一位可为X），或15位旧号码",
        "malformed ID number: expected 18 characters (last may be X) or a 15-digit legacy number",
    ),
    BAD_DATE: ("证件号码中的出生日期不存在", "the birth date inside the ID number does not exist"),
    CHECKSUM: ("证件号码校验位错误，请核对号码", "wrong check character in the ID number"),
    BIRTH_FUTURE: ("出生日期晚于评估日期", "birth date after the assessment date"),
    BIRTH_BEFORE_1900: ("出生日期早于1900年", "birth date before 1900"),
    UPGRADED: ("15位旧身份证号已升级为18位", "15-digit legacy ID upgraded to 18 digits"),
}


def check_characters(first17: pl.Series) -> pl.Series:
    """The MOD 11-2 check character for a column of 17-digit strings (others give null).

    Works on the column's contiguous Arrow byte buffer: one numpy reshape and one matrix
    product for the whole column, then the result is wrapped back into an Arrow string array
    without creating a Python object per ID.
    """
    valid = first17.str.contains(r"^\d{17}$").fill_null(False)
    padded = pl.select(pl.when(valid).then(first17).otherwise(pl.lit("0" * 17))).to_series()
    arrow = padded.to_arrow()
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    n = len(arrow)
    if n == 0:
        return pl.Series(first17.name, [], dtype=pl.String)
    offset_type = np.int64 if pa.types.is_large_string(arrow.type) else np.int32
    if pa.types.is_string_view(arrow.type):
        arrow = arrow.cast(pa.large_string())
        offset_type = np.int64
    offsets = np.frombuffer(arrow.buffers()[1], dtype=offset_type)[arrow.offset : arrow.offset + n + 1]
    data = np.frombuffer(arrow.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    matrix = data.reshape(n, 17).astype(np.int64) - 48
    checks = _CHECK_LUT[(matrix @ WEIGHTS) % 11]
    wrapped = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(np.arange(n + 1, dtype=np.int64)), pa.py_buffer(checks)]
    )
    result = pl.Series(first17.name, wrapped)
    return pl.select(pl.when(valid).then(result)).to_series().alias(first17.name)


def _check_expr(first17: pl.Expr) -> pl.Expr:
    """Check character as a pure column expression (used where a Series API is unavailable)."""
    total = pl.lit(0, dtype=pl.Int64)
    for i, w in enumerate(WEIGHTS.tolist()):
        total = total + first17.str.slice(i, 1).cast(pl.Int64, strict=False) * w
    return pl.lit(list(CHECK_CHARS)).list.get(total % 11)


def check_character_expr(first17: pl.Expr) -> pl.Expr:
    """Expression form of :func:`check_characters`, usable inside lazy plans."""
    return first17.map_batches(check_characters, return_dtype=pl.String)


def parse(ids: pl.Series, as_of: date | None = None) -> pl.DataFrame:
    """Validate a column of raw ID numbers.

    Returns a frame aligned with the input, columns:
    ``id_number`` (canonical 18 characters, null unless loadable), ``id_status`` (see the
    constants), ``birth_date`` (Date), ``sex`` (男/女).
    """
    raw = ids.cast(pl.String)
    # Normalising (spaces, full-width space, lower-case x) is only needed for the few values
    # that are not already clean; doing it on those alone keeps the column pass cheap.
    clean = raw.str.contains(r"^\d{17}[\dX]$").fill_null(False)
    if not clean.all():
        dirty = raw.filter(~clean).str.replace_all(r"[\s\u3000]", "").str.to_uppercase()
        raw = raw.scatter((~clean).arg_true(), dirty)
    frame = pl.DataFrame({"raw": raw})
    n_digits = pl.col("raw").str.len_bytes()
    as_number = pl.col("raw").str.contains(r"^\d+(\.\d+)?E\+?\d+$") | pl.col("raw").str.contains(
        r"^\d{15,18}\.0+$"
    )
    is18 = pl.col("raw").str.contains(r"^\d{17}[\dX]$")
    is15 = pl.col("raw").str.contains(r"^\d{15}$")
    iscert = pl.col("raw").str.contains(r"^\d{17}[\dX]\d{2}(\d{2})?$")
    frame = frame.with_columns(
        kind=pl.when(pl.col("raw").is_null() | (pl.col("raw") == ""))
        .then(pl.lit(EMPTY))
        .when(as_number)
        .then(pl.lit(AS_NUMBER))
        .when(is18)
        .then(pl.lit(OK))
        .when(is15)
        .then(pl.lit(UPGRADED))
        .when(iscert & (n_digits != 18))
        .then(pl.lit(CERTIFICATE))
        .otherwise(pl.lit(MALFORMED)),
    )
    frame = frame.with_columns(
        first17=pl.when(pl.col("kind").is_in([OK, CERTIFICATE]))
        .then(pl.col("raw").str.slice(0, 17))
        .when(pl.col("kind") == UPGRADED)
        .then(pl.col("raw").str.slice(0, 6) + pl.lit("19") + pl.col("raw").str.slice(6, 9))
        .otherwise(None),
        given_check=pl.when(pl.col("kind").is_in([OK, CERTIFICATE]))
        .then(pl.col("raw").str.slice(17, 1))
        .otherwise(None),
    )
    checks = check_characters(frame["first17"])
    frame = frame.with_columns(check=checks).with_columns(
        birth_date=pl.col("first17").str.slice(6, 8).str.to_date("%Y%m%d", strict=False),
    )
    as_of = as_of or date.today()
    status = (
        pl.when(pl.col("first17").is_null())
        .then(pl.col("kind"))
        .when(pl.col("birth_date").is_null())
        .then(pl.lit(BAD_DATE))
        .when((pl.col("kind") != UPGRADED) & (pl.col("given_check") != pl.col("check")))
        .then(pl.lit(CHECKSUM))
        .when(pl.col("birth_date") > pl.lit(as_of))
        .then(pl.lit(BIRTH_FUTURE))
        .when(pl.col("birth_date") < pl.lit(date(1900, 1, 1)))
        .then(pl.lit(BIRTH_BEFORE_1900))
        .otherwise(pl.col("kind"))
    )
    frame = frame.with_columns(id_status=status)
    loadable = pl.col("id_status").is_in(LOADABLE)
    return frame.select(
        id_number=pl.when(loadable).then(pl.col("first17") + pl.col("check")),
        id_status=pl.col("id_status"),
        birth_date=pl.when(loadable).then(pl.col("birth_date")),
        sex=pl.when(loadable).then(
            pl.when(pl.col("first17").str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
            .then(pl.lit("男"))
            .otherwise(pl.lit("女"))
        ),
    )


def is_valid(id_number: str) -> bool:
    """Convenience for one value (forms, the public declaration page)."""
    return parse(pl.Series([id_number]))["id_status"][0] in (OK,)


def age_expr(birth: pl.Expr, as_of: date | pl.Expr) -> pl.Expr:
    """Whole years completed at ``as_of`` (a date, or a Date expression: an age at each row's
    own date); a 29 February birthday completes on 1 March."""
    if isinstance(as_of, pl.Expr):
        year, month, day = as_of.dt.year(), as_of.dt.month(), as_of.dt.day()
    else:
        year, month, day = pl.lit(as_of.year), as_of.month, as_of.day
    before_birthday = (birth.dt.month() > month) | ((birth.dt.month() == month) & (birth.dt.day() > day))
    return (year.cast(pl.Int32) - birth.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def birth_date_expr(id_number: pl.Expr) -> pl.Expr:
    """Birth date of an already-canonical 18-character ID."""
    return id_number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def sex_expr(id_number: pl.Expr) -> pl.Expr:
    return (
        pl.when(id_number.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
        .then(pl.lit("男"))
        .otherwise(pl.lit("女"))
    )


def make_id(division6: str, birth: date, sequence: int) -> str:
    """One valid ID (tests and forms); the generator uses the column form."""
    first17 = f"{division6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_characters(pl.Series([first17]))[0]


def mask(id_number: str | None) -> str:
    """The form shown in lists: 4 leading and 4 trailing characters."""
    if not id_number:
        return ""
    return id_number[:4] + "*" * max(len(id_number) - 8, 0) + id_number[-4:]


def mask_expr(id_number: pl.Expr) -> pl.Expr:
    """:func:`mask` as a column expression (null stays null, empty stays empty)."""
    hidden = (id_number.str.len_chars().cast(pl.Int64) - 8).clip(lower_bound=0)   # unsigned 3 - 8 would wrap
    stars = pl.when(hidden > 0).then(pl.lit("*" * 64).str.slice(0, hidden)).otherwise(pl.lit(""))
    return (pl.when(id_number.is_null() | (id_number == "")).then(id_number)
            .otherwise(id_number.str.slice(0, 4) + stars + id_number.str.slice(-4, 4)))
