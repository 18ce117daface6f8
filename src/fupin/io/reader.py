"""``read_registry``: any container of the exchange format -> validated canonical tables.

Reading and validating are two steps: :mod:`fupin.io.containers` reads a container into
:class:`~fupin.io.containers.RawSheet` s (every cell a string under its original header), and
:func:`validate_sheets` validates raw sheets wherever they came from — a file, or rows held in
memory (:func:`fupin.io.containers.sheet_from_rows`, e.g. one household edited on the web).
:func:`read_registry` is the two in sequence.

Every check is set-based over whole columns; the outcome is the canonical tables, the long
``issues`` table (one row per problem, with sheet, row, column and value) and the decision which
households cannot load (a household loads with all its members or not at all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from fupin import divisions
from fupin.engine import idnumber, quality, schema
from fupin.io import containers, locations, parse
from fupin.io.codes import CODES, ERROR, RETURNED_EN, RETURNED_ZH
from fupin.io.containers import RawSheet
from fupin.io.errors import ExchangeFormatError

ISSUE_COLUMNS = {
    "table": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String,
    "value": pl.String, "code": pl.String, "severity": pl.String, "message_zh": pl.String,
    "message_en": pl.String, "household_id": pl.String, "year": pl.Int32,
}
ID_STATUS_CODE = {
    idnumber.AS_NUMBER: "Q01", idnumber.MALFORMED: "Q01", idnumber.BAD_DATE: "Q01",
    idnumber.CHECKSUM: "Q01", idnumber.BIRTH_FUTURE: "E10", idnumber.BIRTH_BEFORE_1900: "E10",
    idnumber.UPGRADED: "Q02", idnumber.EMPTY: "E01",
}
_PHONE = r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$"


@dataclass
class Registry:
    households: pl.DataFrame
    members: pl.DataFrame
    regions: pl.DataFrame
    issues: pl.DataFrame
    raw: dict[str, pl.DataFrame] = field(default_factory=dict)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    source_format: str = "xlsx"
    # The member table the quality checks read (:func:`fupin.engine.quality.prepare_members`),
    # kept so that assessing right after reading does not prepare it a second time.
    checked_members: pl.DataFrame | None = None

    def rejected(self) -> pl.DataFrame:
        """(household_id, year) of the households that cannot load."""
        return (
            self.issues.filter((pl.col("severity") == ERROR) & pl.col("household_id").is_not_null()
                               & pl.col("year").is_not_null() & pl.col("table").is_in(["households", "members"]))
            .select("household_id", "year").unique().sort("household_id", "year")
        )

    def _error_rows(self) -> pl.DataFrame:
        return self.issues.filter(pl.col("severity") == ERROR).select(
            _sheet=pl.col("sheet"), _row=pl.col("row")).unique()

    def loadable(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """households, members, regions without the rejected households and rejected rows."""
        rejected = self.rejected()
        bad_rows = self._error_rows()
        keys = ["household_id", "year"]

        def keep(frame: pl.DataFrame) -> pl.DataFrame:
            frame = frame.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
            return frame.join(rejected, on=keys, how="anti").join(bad_rows, on=["_sheet", "_row"], how="anti")

        members = keep(self.members).filter(pl.col("id_number").is_not_null())
        regions = self.regions.join(bad_rows, on=["_sheet", "_row"], how="anti") if "_sheet" in self.regions.columns else self.regions
        return keep(self.households), members, regions

    @property
    def has_errors(self) -> bool:
        return bool(self.issues.filter(pl.col("severity") == ERROR).height)


# --- messages ----------------------------------------------------------------------------

def _codes_text(f: schema.Field, limit: int = 20) -> str:
    codes = list(f.codes)
    text = "、".join(codes[:limit])
    return text + ("…" if len(codes) > limit else "")


def field_message(code: str, f: schema.Field, header: str, table: str,
                  v: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(Chinese, English) message of a field-level code; ``v`` is the offending value."""
    v = pl.col("value").fill_null("") if v is None else v
    if code == "E01":
        return (pl.lit(f"“{header}”为必填项，不能为空，请补填"),
                pl.lit(f"'{header}' ({f.name}) is required and empty; fill it in"))
    if code == "E02":
        return (pl.format(f"“{header}”的值“{{}}”不是有效数字，请填写数字", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a number", v))
    if code == "E03":
        return (pl.format(f"“{header}”的值“{{}}”是负数，应为0或正数", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is negative; it must be 0 or more", v))
    if code == "E04":
        if f.kind == "yesno":
            allowed, allowed_en = "是 或 否（留空表示未知）", "是/否 (Y/N, 1/0, true/false; empty = unknown)"
        elif f.kind == "causes":
            allowed, allowed_en = f"最多2项，用“、”分隔：{_codes_text(f)}", f"up to 2 of: {_codes_text(f)}"
        else:
            allowed, allowed_en = _codes_text(f), _codes_text(f)
        return (pl.format(f"“{header}”的值“{{}}”不在代码表中；可填：{allowed}", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not an allowed value; allowed: {allowed_en}", v))
    if code == "E13":
        return (pl.format(f"“{header}”的值“{{}}”不是有效年份，应在 1900–2100 之间（如 2023）", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a year between 1900 and 2100", v))
    if code == "E05" and f.kind == "date":
        return (pl.format(f"“{header}”的值“{{}}”不是有效日期，请写成 YYYY-MM-DD（如 2021-06-10）", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a date; write YYYY-MM-DD (e.g. 2021-06-10)", v))
    if code == "E05":
        return (pl.format(f"“{header}”的值“{{}}”不是有效年月，请写成 YYYY-MM（如 2023-05）", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a month; write YYYY-MM (e.g. 2023-05)", v))
    if code == "E08":
        if table == "regions":
            return (pl.format("区划代码“{}”无效：应为6位（区县）、9位（乡镇）或12位（村）数字，且属于已知的区县或乡镇", v),
                    pl.format("region code '{}' is not a 6/9/12-digit code of a known county or town", v))
        return (pl.format("区划代码“{}”无效：应为12位数字，且前9位是已知乡镇（街道）的代码；请核对", v),
                pl.format("region code '{}' is invalid: 12 digits whose first 9 are a known town", v))
    title_zh, title_en = CODES[code][1], CODES[code][2]
    return pl.format(f"“{header}”：{title_zh}（“{{}}”）", v), pl.format(f"'{header}': {title_en} ('{{}}')", v)


def _issue_frame(rows: pl.DataFrame, *, table: str, code: str, column: str | None,
                 zh: pl.Expr, en: pl.Expr, severity: str | None = None) -> pl.DataFrame:
    """rows has _sheet, _row, value, household_id, year."""
    sev = severity or CODES.get(code, (quality.SEVERITY.get(code, ERROR),))[0]
    return rows.select(
        table=pl.lit(table), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64),
        column=pl.lit(column, dtype=pl.String), value=pl.col("value").cast(pl.String),
        code=pl.lit(code), severity=pl.lit(sev), message_zh=zh, message_en=en,
        household_id=pl.col("household_id").cast(pl.String), year=pl.col("year").cast(pl.Int32),
    )


def _empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_COLUMNS)


# --- parsing ------------------------------------------------------------------------------

@dataclass
class _Parsed:
    frame: pl.DataFrame             # canonical columns + __e:<field> + _sheet + _row
    header_of: dict[str, str]       # field -> original header
    present: set[str]               # fields with a column in the file


def _via_distinct(frame: pl.DataFrame, header: str, value: pl.Expr, error: pl.Expr,
                  dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """Parse the distinct cell texts of a low-cardinality column once and map them back.

    Codes, yes/no, years and months repeat a handful of spellings over millions of rows;
    normalising each distinct text once is what makes the parse cheap.
    """
    n = frame.height
    distinct = frame.get_column(header).unique()
    if n < 5000 or distinct.len() * 20 > n:
        return value, error
    small = pl.DataFrame({header: distinct.drop_nulls()}).select(
        _k=pl.col(header), _v=value.cast(dtype), _e=error.cast(pl.String))
    mapped_value = pl.col(header).replace_strict(small["_k"], small["_v"], default=None, return_dtype=dtype)
    mapped_error = pl.col(header).replace_strict(small["_k"], small["_e"], default=None, return_dtype=pl.String)
    return mapped_value, mapped_error


def _typed_column(frame: pl.DataFrame, header: str, f: schema.Field,
                  table: str) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(value, error, empty) of a column of a typed container, or None to parse its text.

    Numbers and booleans are judged on their values (:func:`parse.parse_typed`). A string
    column passes as it is when every value already is what the text parser would make of it
    — decided once per column, over its distinct values (or one scan for blanks when the field
    is free text) — so a canonical file costs no per-row parsing and no copy of its strings.
    """
    col = pl.col(header)
    dtype = frame.schema[header]
    typed = parse.parse_typed(col, f, dtype)
    if typed is not None:
        return (*typed, col.is_null())
    if dtype != pl.String or f.dtype != pl.String:
        return None
    series = frame.get_column(header)
    if parse.plain_text(f, table=table):
        canonical = not frame.select(parse.needs_clean(col).any()).item()
    else:
        distinct = pl.DataFrame({header: series.unique().drop_nulls()})
        value, error = parse.parse_field(parse.clean(col), f, table=table)
        canonical = distinct.select((value.eq_missing(col) & error.is_null()).all()).item()
    if not canonical:
        return None
    return col, pl.lit(None, dtype=pl.String), col.is_null()


def _parse_rows(raw: RawSheet, tables: tuple[str, ...]) -> _Parsed:
    """Parse every known column of a raw sheet for the fields of ``tables``."""
    header_of: dict[str, str] = {}
    for table in tables:
        mapping, _unknown = schema.match_headers(table, [h for h in raw.headers if not containers.header_is_ignored(h)])
        for header, name in mapping.items():
            header_of.setdefault(name, header)
    exprs: list[pl.Expr] = []
    seen: set[str] = set()
    for table in tables:
        for f in schema.fields(table):
            if f.name in seen:
                continue
            seen.add(f.name)
            header = header_of.get(f.name)
            if header is None:
                continue
            typed = _typed_column(raw.frame, header, f, table) if raw.typed else None
            if typed is not None:
                value, error, empty = typed
            else:
                s = parse.clean(pl.col(header))
                empty = s.is_null()
                if f.kind == "id_number":
                    value, error = s, pl.lit(None, dtype=pl.String)
                else:
                    value, error = parse.parse_field(s, f, table=table)
                    if not parse.plain_text(f, table=table):
                        value, error = _via_distinct(raw.frame, header, value, error, f.dtype)
            if f.required and f.kind != "id_number" and not (f.name == "year"):
                error = pl.when(empty).then(pl.lit("E01")).otherwise(error)
            exprs.append(value.cast(f.dtype).alias(f.name))
            exprs.append(error.cast(pl.String).alias(f"__e:{f.name}"))
    frame = raw.frame.select([*exprs, "_sheet", "_row"])
    return _Parsed(frame, header_of, set(header_of))


def _unknown_headers(raw: RawSheet, tables: tuple[str, ...]) -> list[str]:
    known: set[str] = set()
    for table in tables:
        known |= set(schema.header_index(table))
    out = [h for h in raw.headers if schema.normalize_header(h.split("#")[0]) not in known
           and not containers.header_is_ignored(h)]
    # A second column for an already matched field is unknown too (kept aside, reported).
    for table in tables:
        _m, dup = schema.match_headers(table, [h for h in raw.headers if not containers.header_is_ignored(h)])
        out += [h for h in dup if h not in out and schema.normalize_header(h.split("#")[0]) in known
                and not any(h in schema.match_headers(t, raw.headers)[0] for t in tables)]
    return out


def _field_issues(parsed: _Parsed, raw: RawSheet, table_of: Callable[[str], str],
                  household_key: pl.DataFrame | None = None) -> list[pl.DataFrame]:
    """One issue per bad cell, from the __e: columns."""
    out = []
    frame = parsed.frame
    for name, header in parsed.header_of.items():
        col = f"__e:{name}"
        if col not in frame.columns:
            continue
        bad = frame.filter(pl.col(col).is_not_null())
        if bad.height == 0:
            continue
        table = table_of(name)
        f = schema.field_by_name(table, name)
        rows = bad.select(
            "_sheet", "_row", code=pl.col(col),
            household_id=pl.col("household_id") if "household_id" in frame.columns else pl.lit(None, dtype=pl.String),
            year=pl.col("year") if "year" in frame.columns else pl.lit(None, dtype=pl.Int32),
        ).join(raw.frame.select("_row", value=pl.col(header)), on="_row", how="left")
        for code in rows["code"].unique().to_list():
            zh, en = field_message(code, f, header, table)
            out.append(_issue_frame(rows.filter(pl.col("code") == code), table=table, code=code,
                                    column=header, zh=zh, en=en))
    return out


def _source_name(source: str | Path | None) -> str | None:
    """How messages name where the sheets came from: a file's name; None for rows in memory."""
    if source is None:
        return None
    if isinstance(source, Path):
        return source.name
    return str(source)


def _columns_error(source: str | Path | None, raw: RawSheet, table: str, missing: list[str]) -> ExchangeFormatError:
    zh = "、".join(f"“{schema.field_by_name(table, m).zh}”" for m in missing)
    en = ", ".join(f"{schema.field_by_name(table, m).zh} ({m})" for m in missing)
    found = "、".join(raw.headers[:40]) or "（无）"
    name = _source_name(source)
    where_zh = f"文件“{name}”工作表“{raw.sheet}”" if name is not None else f"工作表“{raw.sheet}”"
    where_en = f"file '{name}', sheet '{raw.sheet}'" if name is not None else f"sheet '{raw.sheet}'"
    return ExchangeFormatError(
        f"{where_zh}缺少必需的列：{zh}。找到的表头：{found}。"
        "若表头使用了合并单元格或有空表头，请改成每列一个表头后重新导入。",
        f"{where_en}: required columns missing: {en}. Headers found: "
        f"{', '.join(raw.headers[:40])}. If the header uses merged cells, give every column its own header.",
    )


# --- the reader -------------------------------------------------------------------------

def _read_parquet_typed(folder: Path) -> list[RawSheet]:
    """The Parquet tables as :func:`fupin.io.containers.read_parquet_folder` reads them, but with
    their columns as stored: typed columns are validated on their values (:func:`parse.parse_typed`);
    every other column, and every message's value, is the column's text as that reader gives it."""
    files = {t: containers._find_file(folder, t, ".parquet") for t in containers.TABLE_NAMES}
    if files["households"] is None or files["members"] is None:
        raise containers._folder_error(folder, ".parquet")
    out = []
    for table, p in files.items():
        if p is None:
            continue
        frame = containers.read_parquet(p)
        headers = list(frame.columns)
        out.append(RawSheet(table, p.name, _with_rows(frame, p.name), headers, typed=True))
    return out


def _chunked_like(part: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """``part`` (rows aligned with ``frame``) cut into ``frame``'s chunks, without copying: columns
    chunked differently from their frame make Polars copy the whole frame into one chunk."""
    lengths = frame.get_column(frame.columns[0]).chunk_lengths() if frame.width else []
    if len(lengths) < 2 or part.height != frame.height:
        return part
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    return pl.concat([part.slice(a, n) for a, n in zip(starts, lengths, strict=True)], how="vertical", rechunk=False)


def _with_rows(frame: pl.DataFrame, sheet: str) -> pl.DataFrame:
    """``frame`` + ``_sheet`` + ``_row`` (position + 1), chunked as ``frame`` is.

    Parquet comes in one chunk per row group; a row-number column in one chunk would make Polars
    copy every column into single chunks at the first select — the size of the table again.
    """
    def numbered(part: pl.DataFrame, start: int) -> pl.DataFrame:
        return part.with_columns(pl.int_range(start + 1, start + part.height + 1, dtype=pl.Int64).alias("_row"),
                                 pl.lit(sheet, dtype=pl.String).alias("_sheet"))

    lengths = frame.get_column(frame.columns[0]).chunk_lengths() if frame.width else []
    if len(lengths) < 2 or any(frame.get_column(c).chunk_lengths() != lengths for c in frame.columns):
        return numbered(frame, 0).select(pl.exclude("_row", "_sheet"), "_sheet", "_row")
    parts, start = [], 0
    for n in lengths:
        parts.append(numbered(frame.slice(start, n), start))
        start += n
    return pl.concat(parts, how="vertical", rechunk=False).select(pl.exclude("_row", "_sheet"), "_sheet", "_row")


def read_registry(path, *, year: int | None = None, as_of: date | None = None,
                  province: str = "50", known_towns: frozenset[str] | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> Registry:
    """Read and validate a registry file; see the module docstring of :mod:`fupin.io`."""
    path = Path(path)
    kind = containers.detect(path)
    if kind == "xlsx":
        sheets = containers.read_xlsx(path, progress)
    elif kind == "csv":
        sheets = containers.read_csv_folder(path, progress)
    elif kind == "parquet":
        sheets = _read_parquet_typed(path)
    else:
        sheet = containers.read_csv(path)
        if sheet.kind != "flat":
            raise ExchangeFormatError(
                f"CSV 文件“{path.name}”不是每人一行的明细表（需同时有人员列如“证件号码”和户信息列如“区划代码”/“乡(镇)”）。"
                "分表导入请把 households.csv、members.csv 放在一个文件夹中，导入该文件夹。",
                f"CSV file '{path.name}' is not a flat one-person-per-row export (needs member columns such as 证件号码 "
                "and household columns); for separate tables put households.csv and members.csv in a folder",
            )
        sheets = [sheet]
    flat = [s for s in sheets if s.kind == "flat"]
    source_format = "flat" if flat else kind
    return validate_sheets(sheets, source=path, source_format=source_format, year=year, as_of=as_of,
                           province=province, known_towns=known_towns, progress=progress)


def validate_sheets(sheets: list[RawSheet], *, source: str | Path | None = None, source_format: str,
                    year: int | None = None, as_of: date | None = None, province: str = "50",
                    known_towns: frozenset[str] | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> Registry:
    """Validate raw sheets into a :class:`Registry`: what :func:`read_registry` does once the
    container is read, with the same rules and messages, whatever the sheets came from.

    ``sheets`` are ``households`` and ``members`` sheets (optionally ``regions``) when
    ``source_format`` is not ``"flat"``, else one or more ``flat`` sheets (one person per row).
    ``source`` names the file in the messages that name one (a :class:`~pathlib.Path` gives its
    file name); ``None`` means rows held in memory, and those messages then name the sheet only.
    ``known_towns`` defaults to the official division table. Nothing is read or written here.
    """
    kinds = {s.kind for s in sheets}
    if source_format == "flat":
        if "flat" not in kinds:
            raise ValueError("source_format 'flat' needs at least one sheet of kind 'flat'")
    elif "flat" in kinds or not {"households", "members"} <= kinds:
        raise ValueError(f"source_format {source_format!r} needs a 'households' and a 'members' sheet "
                         f"and no 'flat' sheet; got kinds {sorted(kinds)}")
    if known_towns is None:

        known_towns = divisions.town_codes()
    return _Reader(source, year, as_of, province, known_towns, progress).run(sheets, source_format)


class _Reader:
    def __init__(self, source, year, as_of, province, known_towns, progress):
        self.source = source  # for messages only: a Path, a name, or None (rows in memory)
        self.year = year
        self.as_of = as_of
        self.province = province
        self.known_towns = known_towns
        self.progress = progress
        self.issues: list[pl.DataFrame] = []
        self.unknown: dict[str, list[str]] = {}
        self.checked_members: pl.DataFrame | None = None

    def _step(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    # -- orchestration
    def run(self, sheets: list[RawSheet], source_format: str) -> Registry:
        by_kind = {s.kind: s for s in sheets}
        raw_out: dict[str, pl.DataFrame] = {}
        for s in sheets:
            tables = ("households", "members") if s.kind == "flat" else (s.kind,)
            unknown = _unknown_headers(s, tables) + [h for h in s.unknown_extra if h not in _unknown_headers(s, tables)]
            if unknown:
                self.unknown[s.sheet] = unknown
        total_steps = 6
        self._step("validate", 0, total_steps)
        if source_format == "flat":
            households, members, h_header, m_header = self._split_flat(flat_sheets := [s for s in sheets if s.kind == "flat"])
            raw_out["flat"] = pl.concat([s.frame for s in flat_sheets], how="diagonal_relaxed")
        else:
            households, h_header = self._households(by_kind["households"])
            members, m_header = self._members(by_kind["members"], households)
            raw_out["households"] = by_kind["households"].frame
            raw_out["members"] = by_kind["members"].frame
        self._step("validate", 1, total_steps)
        regions = self._regions(by_kind.get("regions"))
        if "regions" in by_kind:
            raw_out["regions"] = by_kind["regions"].frame
        households, regions = self._locations(households, regions, h_header)
        self._step("validate", 2, total_steps)
        households = self._derive_household_fields(households)
        members = self._ids(members, households, m_header, by_kind.get("members") or flat_sheets[0] if source_format == "flat" else by_kind["members"])
        self._step("validate", 3, total_steps)
        self._cross_checks(households, members, h_header, m_header)
        self._step("validate", 4, total_steps)
        self._quality(households, members, h_header, m_header)
        self._step("validate", 5, total_steps)
        issues = pl.concat([i.cast(ISSUE_COLUMNS) for i in self.issues], how="vertical") if self.issues else _empty_issues()
        issues = self._returned(issues, households, members)
        self._step("validate", 6, total_steps)
        return Registry(
            households=self._finish(households, "households", set(h_header)),
            members=self._finish(members, "members", set(m_header)),
            regions=regions,
            issues=issues.sort("sheet", "row", "code", nulls_last=True),
            raw=raw_out,
            unknown_columns=self.unknown,
            source_format=source_format,
            checked_members=self.checked_members,
        )

    def _finish(self, frame: pl.DataFrame, table: str, present: set[str]) -> pl.DataFrame:
        canonical = schema.polars_schema(table)
        extra = [f.name for f in schema.fields(table) if f.import_only and f.name in present]
        cols = [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in canonical.items()]
        return frame.select([*cols, *extra, pl.col("_sheet").cast(pl.String), pl.col("_row").cast(pl.Int64)])

    # -- tables
    def _require(self, raw: RawSheet, table: str, parsed: _Parsed, *, allow_absent: tuple[str, ...] = ()) -> None:
        missing = [f.name for f in schema.fields(table) if f.required and f.name not in parsed.present
                   and f.name not in allow_absent]
        if missing:
            raise _columns_error(self.source, raw, table, missing)

    def _year_column(self, frame: pl.DataFrame, present: bool) -> pl.DataFrame:
        if not present:
            return frame.with_columns(pl.lit(self.year, dtype=pl.Int32).alias("year"),
                                      pl.lit(None, dtype=pl.String).alias("__e:year"))
        if self.year is not None:
            return frame.with_columns(pl.col("year").fill_null(self.year))
        return frame

    def _households(self, raw: RawSheet) -> tuple[pl.DataFrame, dict[str, str]]:
        parsed = _parse_rows(raw, ("households",))
        allow = ["year"] if self.year is not None else []
        if "town_name" in parsed.present or "village_name" in parsed.present:
            allow.append("region_code")
        if "household_type" in parsed.present:
            allow.append("registered")
        self._require(raw, "households", parsed, allow_absent=tuple(allow))
        frame = self._year_column(parsed.frame, "year" in parsed.present)
        frame = self._required_year(frame, "households")
        self.issues += _field_issues(_Parsed(frame, parsed.header_of, parsed.present), raw, lambda n: "households")
        return frame, parsed.header_of

    def _required_year(self, frame: pl.DataFrame, table: str) -> pl.DataFrame:
        return frame.with_columns(pl.when(pl.col("year").is_null() & pl.col("__e:year").is_null())
                                  .then(pl.lit("E01")).otherwise(pl.col("__e:year")).alias("__e:year"))

    def _members(self, raw: RawSheet, households: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
        parsed = _parse_rows(raw, ("members",))
        self._require(raw, "members", parsed)
        frame = parsed.frame
        if "year" not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int32).alias("year"), pl.lit(None, dtype=pl.String).alias("__e:year"))
        frame = self._fill_member_year(frame, households)
        parsed = _Parsed(frame, parsed.header_of, parsed.present)
        self.issues += _field_issues(parsed, raw, lambda n: "members")
        return frame, parsed.header_of

    def _fill_member_year(self, frame: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
        # Members' 年度 may be absent when the households have one year only.
        years = households["year"].drop_nulls().unique()
        fill = self.year if self.year is not None else (years[0] if len(years) == 1 else None)
        if fill is not None:
            frame = frame.with_columns(pl.col("year").fill_null(fill))
        return self._required_year(frame, "members")

    def _split_flat(self, sheets: list[RawSheet]):
        frames = []
        h_header: dict[str, str] = {}
        m_header: dict[str, str] = {}
        for raw in sheets:
            parsed = _parse_rows(raw, ("households", "members"))
            allow = ["year"] if self.year is not None else []
            if "town_name" in parsed.present or "village_name" in parsed.present:
                allow.append("region_code")
            if "household_type" in parsed.present:
                allow.append("registered")
            self._require(raw, "households", parsed, allow_absent=tuple(allow))
            self._require(raw, "members", parsed)
            frame = self._year_column(parsed.frame, "year" in parsed.present)
            frame = self._required_year(frame, "households")
            member_names = {f.name for f in schema.fields("members")} - {"household_id", "year"}
            self.issues += _field_issues(_Parsed(frame, parsed.header_of, parsed.present), raw,
                                         lambda n: "members" if n in member_names else "households")
            frames.append(frame)
            for k, v in parsed.header_of.items():
                (m_header if k in member_names else h_header).setdefault(k, v)
                if k in ("household_id", "year"):
                    m_header.setdefault(k, v)
        flat = pl.concat(frames, how="diagonal_relaxed")
        key = ["household_id", "year"]
        h_fields = [f.name for f in schema.fields("households") if f.name in flat.columns and f.name not in key]
        keyed = flat.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
        # Household fields are repeated on each person row; a blank repeat (merged cells) is no
        # conflict, two different values are.
        # A household field's parse error (``__e:``) goes with it: later checks (E08 on the region
        # code) read it on the households table as they do for the two-table layout.
        h_errors = [f"__e:{c}" for c in h_fields if f"__e:{c}" in flat.columns]
        households = keyed.sort("_sheet", "_row").group_by(key, maintain_order=True).agg(
            *[pl.col(c).drop_nulls().first().alias(c) for c in h_fields],
            *[pl.col(c).drop_nulls().first().alias(c) for c in h_errors],
            *[pl.col(c).drop_nulls().n_unique().alias(f"__n:{c}") for c in h_fields],
            pl.col("_sheet").first(), pl.col("_row").first(),
        )
        conflicts = [c for c in h_fields if households[f"__n:{c}"].max() and households[f"__n:{c}"].max() > 1]
        if conflicts:
            flagged = keyed.join(households.select(*key, *[f"__n:{c}" for c in conflicts]), on=key)
            for c in conflicts:
                bad = flagged.filter((pl.col(f"__n:{c}") > 1) & pl.col(c).is_not_null())
                header = h_header[c]
                values = bad.group_by(key).agg(pl.col(c).cast(pl.String).unique().sort().str.join("、").alias("_vals"))
                rows = bad.join(values, on=key).join(
                    pl.concat([s.frame.select("_sheet", "_row", value=pl.col(header)) for s in sheets if header in s.headers]),
                    on=["_sheet", "_row"], how="left")
                self.issues.append(_issue_frame(
                    rows, table="households", code="E12", column=header,
                    zh=pl.format(f"同一户（户编号 {{}}）各行的“{header}”不一致：{{}}；户信息在本户每行应相同", pl.col("household_id"), pl.col("_vals")),
                    en=pl.format(f"household {{}}: '{header}' differs between its rows: {{}}", pl.col("household_id"), pl.col("_vals")),
                ))
        households = households.select(pl.exclude("^__n:.*$"))
        members = flat.select([c for c in flat.columns if c in m_header or c.startswith("__e:") and c[4:] in m_header]
                              + ["_sheet", "_row"])
        members = members.select(pl.exclude([c for c in members.columns if c.startswith("__e:") and c[4:] not in {f.name for f in schema.fields("members")}]))
        if "year" in members.columns:
            members = members.with_columns(pl.col("year").fill_null(self.year) if self.year is not None else pl.col("year"))
        else:
            members = members.with_columns(pl.lit(self.year, dtype=pl.Int32).alias("year"))
        return households, members, h_header, m_header

    def _regions(self, raw: RawSheet | None) -> pl.DataFrame:
        canonical = schema.polars_schema("regions")
        if raw is None:
            return pl.DataFrame(schema={**canonical, "_sheet": pl.String, "_row": pl.Int64})
        parsed = _parse_rows(raw, ("regions",))
        self._require(raw, "regions", parsed)
        frame = parsed.frame.with_columns(pl.lit(None, dtype=pl.String).alias("household_id"),
                                          pl.lit(None, dtype=pl.Int32).alias("year"))
        code = pl.col("region_code")
        counties = set(self._county_codes())
        level_ok = (
            pl.when(code.str.slice(6, 6) == "000000").then(code.is_in(list(counties)))
            .otherwise((code.str.slice(0, 9) + "000").is_in(list(self.known_towns)))
        )
        frame = frame.with_columns(
            pl.when(pl.col("__e:region_code").is_null() & code.is_not_null() & ~level_ok)
            .then(pl.lit("E08")).otherwise(pl.col("__e:region_code")).alias("__e:region_code"))
        dup = frame.filter(code.is_not_null() & code.is_duplicated())
        self.issues += _field_issues(_Parsed(frame, parsed.header_of, parsed.present), raw, lambda n: "regions")
        if dup.height:
            header = parsed.header_of["region_code"]
            rows = dup.join(raw.frame.select("_row", value=pl.col(header)), on="_row")
            self.issues.append(_issue_frame(rows, table="regions", code="E06", column=header,
                                            zh=pl.format("区划代码 {} 在区划表中重复出现", pl.col("region_code")),
                                            en=pl.format("region code {} appears more than once", pl.col("region_code"))))
        cols = [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in canonical.items()]
        return frame.select([*cols, "_sheet", "_row"])

    @staticmethod
    def _county_codes() -> list[str]:

        return divisions.table().filter(pl.col("level") == "county")["code"].to_list()

    # -- locations
    def _locations(self, households: pl.DataFrame, regions: pl.DataFrame, header: dict[str, str]):
        has_names = "town_name" in households.columns or "village_name" in households.columns
        if "region_code" not in households.columns:
            households = households.with_columns(pl.lit(None, dtype=pl.String).alias("region_code"),
                                                 pl.lit(None, dtype=pl.String).alias("__e:region_code"))
        for c in ("county_name", "town_name", "village_name"):
            if c not in households.columns:
                households = households.with_columns(pl.lit(None, dtype=pl.String).alias(c))
        column = header.get("region_code") or header.get("town_name") or "区划代码"
        if has_names:
            need = pl.col("region_code").is_null() & pl.col("__e:region_code").is_null()
            pairs = households.filter(need).select("county_name", "town_name").unique()
            if pairs.height:
                resolved = locations.resolve_towns(pairs, self.province)
                households = households.join(resolved.rename({"town_code": "_town_code"}),
                                             on=["county_name", "town_name"], how="left", nulls_equal=True)
                bad = households.filter(need & pl.col("error_zh").is_not_null())
                if bad.height:
                    rows = bad.with_columns(value=pl.format("{}{}", pl.col("county_name").fill_null(""), pl.col("town_name").fill_null("")))
                    self.issues.append(_issue_frame(rows, table="households", code="E11",
                                                    column=header.get("town_name", column),
                                                    zh=pl.col("error_zh"), en=pl.col("error_en")))
                # Villages: known names from the regions table, new ones get town + 2NN.
                named = households.filter(need & pl.col("_town_code").is_not_null() & pl.col("village_name").is_not_null())
                villages = locations.assign_villages(
                    named.select(town_code="_town_code", village_name="village_name").unique(),
                    regions.select("region_code", "name"))
                households = households.join(
                    villages.rename({"region_code": "_village_code", "town_code": "_town_code"}),
                    on=["_town_code", "village_name"], how="left", nulls_equal=False,
                ).with_columns(
                    region_code=pl.when(need).then(pl.coalesce("_village_code", "_town_code")).otherwise(pl.col("region_code")),
                ).drop("_town_code", "_village_code", "error_zh", "error_en")
            # Names given next to a code must agree with it.
            households = self._cross_check_names(households, header)
            new = households.filter(pl.col("village_name").is_not_null() & pl.col("region_code").is_not_null()
                                    & (pl.col("region_code").str.slice(9, 3) != "000")).group_by("region_code").agg(
                pl.col("village_name").first().alias("name"))
            new = new.join(regions.select("region_code"), on="region_code", how="anti")
            if new.height:
                regions = pl.concat([regions, new.select("region_code", "name")], how="diagonal_relaxed")
        # Unknown town (E08) for codes that parsed as 12 digits.
        code = pl.col("region_code")
        households = households.with_columns(
            pl.when(pl.col("__e:region_code").is_null() & code.is_not_null()
                    & ~(code.str.slice(0, 9) + "000").is_in(list(self.known_towns)))
            .then(pl.lit("E08")).otherwise(pl.col("__e:region_code")).alias("__e:region_code"))
        unknown = households.filter((pl.col("__e:region_code") == "E08") & code.is_not_null())
        if unknown.height:
            rows = unknown.with_columns(value=code)
            self.issues.append(_issue_frame(
                rows, table="households", code="E08", column=column,
                zh=pl.format("区划代码 {} 的前9位 {} 不是已知的乡镇（街道）代码；请核对代码，或先在区划表中登记", code, code.str.slice(0, 9)),
                en=pl.format("region code {}: its town part {} is not a known town; check the code", code, code.str.slice(0, 9))))
        return households, regions

    def _cross_check_names(self, households: pl.DataFrame, header: dict[str, str]) -> pl.DataFrame:

        names = divisions.table().select("code", _official=parse.normalize_code_expr(pl.col("name")))
        loose = lambda e: parse.normalize_code_expr(e).str.replace(locations._SUFFIX, "")  # noqa: E731
        checks = [("county_name", 6), ("town_name", 9)]
        for col, digits in checks:
            if households[col].is_null().all():
                continue
            joined = households.with_columns(
                _code=pl.col("region_code").str.slice(0, digits).str.pad_end(12, "0")
            ).join(names, left_on="_code", right_on="code", how="left")
            bad = joined.filter(pl.col(col).is_not_null() & pl.col("region_code").is_not_null()
                                & pl.col("_official").is_not_null()
                                & (loose(pl.col(col)) != pl.col("_official").str.replace(locations._SUFFIX, "")))
            if bad.height:
                rows = bad.with_columns(value=pl.col(col))
                self.issues.append(_issue_frame(
                    rows, table="households", code="E11", column=header.get(col),
                    zh=pl.format("名称“{}”与区划代码 {} 不符（该代码是“{}”）", pl.col(col), pl.col("region_code"), pl.col("_official")),
                    en=pl.format("name '{}' contradicts region code {} (which is '{}')", pl.col(col), pl.col("region_code"), pl.col("_official"))))
        return households

    def _derive_household_fields(self, households: pl.DataFrame) -> pl.DataFrame:
        # 户类型 / 危房户 of national exports (exchange-format.md, "flat layout").
        if "household_type" in households.columns:
            t = pl.col("household_type")
            if "registered" not in households.columns:
                households = households.with_columns(pl.lit(None, dtype=pl.Boolean).alias("registered"))
            if "poverty_status" not in households.columns:
                households = households.with_columns(pl.lit(None, dtype=pl.String).alias("poverty_status"))
            households = households.with_columns(
                registered=pl.coalesce(pl.col("registered"), pl.when(t.is_not_null()).then(t.is_in(["贫困户", "脱贫户"]))),
                poverty_status=pl.coalesce(pl.col("poverty_status"),
                                           t.replace_strict({"贫困户": "未脱贫", "脱贫户": "已脱贫"}, default=None, return_dtype=pl.String)),
            )
            if "__e:registered" in households.columns:
                households = households.with_columns(
                    pl.when(pl.col("registered").is_not_null() & (pl.col("__e:registered") == "E01")).then(None)
                    .otherwise(pl.col("__e:registered")).alias("__e:registered"))
        if "dilapidated" in households.columns:
            if "housing_grade" not in households.columns:
                households = households.with_columns(pl.lit(None, dtype=pl.String).alias("housing_grade"))
            households = households.with_columns(
                housing_grade=pl.coalesce(pl.col("housing_grade"),
                                          pl.when(pl.col("dilapidated") == True).then(pl.lit("D"))))  # noqa: E712
        return households

    # -- identity numbers
    def _ids(self, members: pl.DataFrame, households: pl.DataFrame, header: dict[str, str], raw: RawSheet) -> pl.DataFrame:
        years = members["year"].drop_nulls()
        top = self.as_of or (date(int(years.max()), 12, 31) if len(years) else date.today())
        parsed = _chunked_like(idnumber.parse(members["id_number"], as_of=top), members)
        members = members.with_columns(
            _raw_id=pl.col("id_number"), id_number=parsed["id_number"], _status=parsed["id_status"],
            _birth=parsed["birth_date"])
        if raw.numeric_id_rows is not None and raw.numeric_id_rows.len():
            members = members.with_columns(
                pl.when(pl.col("_row").is_in(raw.numeric_id_rows.to_list()) & pl.col("_raw_id").is_not_null())
                .then(pl.lit(idnumber.AS_NUMBER)).otherwise(pl.col("_status")).alias("_status"))
        row_as_of = pl.lit(self.as_of) if self.as_of else pl.date(pl.col("year"), 12, 31)
        members = members.with_columns(
            _status=pl.when((pl.col("_status").is_in(idnumber.LOADABLE)) & (pl.col("_birth") > row_as_of))
            .then(pl.lit(idnumber.BIRTH_FUTURE)).otherwise(pl.col("_status")))
        members = members.with_columns(
            id_number=pl.when(pl.col("_status").is_in(idnumber.LOADABLE)).then(pl.col("id_number")))
        column = header.get("id_number", "证件号码")
        bad = members.filter(pl.col("_status") != idnumber.OK)
        for status in bad["_status"].unique().to_list():
            code = ID_STATUS_CODE.get(status)
            if code is None:
                continue
            zh, en = idnumber.MESSAGES.get(status, ("证件号码有误", "ID number is wrong"))
            if code == "E01":
                zh, en = f"“{column}”为必填项，不能为空", f"'{column}' (id_number) is required"
            rows = bad.filter(pl.col("_status") == status).with_columns(value=pl.col("_raw_id"))
            self.issues.append(_issue_frame(rows, table="members", code=code, column=column,
                                            zh=pl.format(f"{zh}（“{{}}”）", pl.col("value").fill_null("")),
                                            en=pl.format(f"{en} ('{{}}')", pl.col("value").fill_null(""))))
        return members.drop("_raw_id", "_status", "_birth")

    # -- cross-row checks
    def _cross_checks(self, households, members, h_header, m_header) -> None:
        key = ["household_id", "year"]
        hid = h_header.get("household_id", "户编号")
        # Every check below reports the key and the row only: filtering those columns alone
        # keeps a million-row table from being copied whole for each check.
        keyed = households.select(*key, "_sheet", "_row").filter(
            pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
        dup = keyed.filter(pl.struct(key).is_duplicated())
        if dup.height:
            self.issues.append(_issue_frame(
                dup.with_columns(value=pl.col("household_id")), table="households", code="E06", column=hid,
                zh=pl.format("户编号 {} 年度 {} 在户表中出现了多次；同一户同一年度只能有一行", pl.col("household_id"), pl.col("year")),
                en=pl.format("household {} year {} appears more than once", pl.col("household_id"), pl.col("year"))))
        if self.year is not None:
            for frame, table, hdr in ((households, "households", h_header), (members, "members", m_header)):
                off = frame.select(*key, "_sheet", "_row").filter(pl.col("year").is_not_null() & (pl.col("year") != self.year))
                if off.height:
                    self.issues.append(_issue_frame(
                        off.with_columns(value=pl.col("year").cast(pl.String)), table=table, code="E09",
                        column=hdr.get("year", "年度"),
                        zh=pl.format(f"年度 {{}} 与本次导入的年度 {self.year} 不符", pl.col("year")),
                        en=pl.format(f"year {{}} differs from the import year {self.year}", pl.col("year"))))
        mkeyed = members.select(*key, "id_number", "_sheet", "_row").filter(
            pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
        ids = mkeyed.filter(pl.col("id_number").is_not_null())
        mdup = ids.filter(pl.struct("household_id", "year", "id_number").is_duplicated())
        if mdup.height:
            self.issues.append(_issue_frame(
                mdup.with_columns(value=pl.col("id_number")), table="members", code="E06",
                column=m_header.get("id_number", "证件号码"),
                zh=pl.format("证件号码 {} 在本户（{}）同一年度出现了多次", pl.col("id_number"), pl.col("household_id")),
                en=pl.format("ID number {} appears more than once in household {}", pl.col("id_number"), pl.col("household_id"))))
        orphans = mkeyed.join(keyed.select(key).unique(), on=key, how="anti")
        if orphans.height:
            self.issues.append(_issue_frame(
                orphans.with_columns(value=pl.col("household_id")), table="members", code="E07",
                column=m_header.get("household_id", "户编号"),
                zh=pl.format("户编号 {} 年度 {} 在户表中不存在；请先在户表中加上这一户", pl.col("household_id"), pl.col("year")),
                en=pl.format("household {} year {} is not in the households table", pl.col("household_id"), pl.col("year"))))
        # Conditionally required fields of monitoring.
        cond = [
            ("monitoring_since", pl.col("monitoring_category").is_not_null(), "填了监测对象类别时必填", "required when a monitoring category is set"),
            ("risk_eliminated", pl.col("monitoring_category").is_not_null(), "填了监测对象类别时必填", "required when a monitoring category is set"),
            ("risk_eliminated_at", pl.col("risk_eliminated") == True, "风险已消除时必填", "required when the risk is eliminated"),  # noqa: E712
        ]
        for name, when, why_zh, why_en in cond:
            needed = [c for c in dict.fromkeys(("monitoring_category", "risk_eliminated", name)) if c not in households.columns]
            frame = households.with_columns([pl.lit(None, dtype=schema.field_by_name("households", c).dtype).alias(c) for c in needed])
            err = f"__e:{name}"
            miss = frame.filter(when.fill_null(False) & pl.col(name).is_null()
                                & (pl.col(err).is_null() if err in frame.columns else pl.lit(True)))
            if miss.height:
                f = schema.field_by_name("households", name)
                column = h_header.get(name, f.zh)
                self.issues.append(_issue_frame(miss.with_columns(value=pl.lit(None, dtype=pl.String)), table="households",
                                                code="E01", column=column,
                                                zh=pl.lit(f"“{column}”{why_zh}"), en=pl.lit(f"'{column}' ({name}) is {why_en}")))
        if "phone" in households.columns:
            odd = households.filter(pl.col("phone").is_not_null()
                                    & ~pl.col("phone").str.replace_all(r"[\s\u3000]", "").str.contains(_PHONE))
            if odd.height:
                self.issues.append(_issue_frame(
                    odd.with_columns(value=pl.col("phone")), table="households", code="W01",
                    column=h_header.get("phone", "联系电话"),
                    zh=pl.format("联系电话“{}”既不是11位手机号，也不是带区号的固定电话", pl.col("phone")),
                    en=pl.format("phone '{}' is neither an 11-digit mobile nor an area-code landline", pl.col("phone"))))

    def _quality(self, households, members, h_header, m_header) -> None:
        self.checked_members = quality.prepare_members(members, as_of=self.as_of)
        found = quality.run(households, self.checked_members)
        if found.height == 0:
            return
        hdr = {"households": h_header, "members": m_header}
        for table in ("households", "members"):
            part = found.filter(pl.col("table") == table)
            if part.height == 0:
                continue
            headers = {name: hdr[table].get(name, schema.field_by_name(table, name).zh)
                       for name in part["field"].drop_nulls().unique().to_list()}
            self.issues.append(part.select(
                table=pl.col("table"), sheet=pl.col("_sheet"), row=pl.col("_row"),
                column=pl.col("field").replace_strict(headers, default=None, return_dtype=pl.String),
                value=pl.col("value"), code="code", severity="severity", message_zh="message_zh",
                message_en="message_en", household_id="household_id", year="year"))

    def _returned(self, issues: pl.DataFrame, households: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
        """Mark the sound rows of rejected households R00 (returned with their household)."""
        key = ["household_id", "year"]
        rejected = issues.filter((pl.col("severity") == ERROR) & pl.col("household_id").is_not_null()
                                 & pl.col("year").is_not_null()).select(key).unique()
        if rejected.height == 0:
            return issues
        with_error = issues.filter(pl.col("severity") == ERROR).select(_sheet="sheet", _row="row").unique()
        frames = []
        for table, frame in (("households", households), ("members", members)):
            sound = frame.select(*key, "_sheet", "_row").join(rejected, on=key).join(
                with_error, on=["_sheet", "_row"], how="anti").unique(["_sheet", "_row"])
            if sound.height:
                frames.append(_issue_frame(sound.with_columns(value=pl.lit(None, dtype=pl.String)), table=table,
                                           code="R00", column=None, zh=pl.lit(RETURNED_ZH), en=pl.lit(RETURNED_EN)))
        if not frames:
            return issues
        return pl.concat([issues, *[f.cast(ISSUE_COLUMNS) for f in frames]], how="vertical")
