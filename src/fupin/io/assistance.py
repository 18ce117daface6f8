"""The assistance sheets in and out (``spec/assistance.md`` section 2): read from any container,
validate with the E- and A-codes, write the rejects workbook, write the sheets.

Sheets are found by their Chinese or English names (``fupin.engine.assistance.schema``
``SHEET_NAMES``) in a workbook, as ``<english name>.csv`` in a CSV folder or
``<english name>.parquet`` in a Parquet folder; all are optional. A sheet with 户编号 (and
年度, or the year given) and any of the national form's family columns (产业帮扶 … 生产生活条件改善,
2.3) is the **wide layout** wherever it is — its own sheet, the 户 sheet, a flat national export
— and gives one year-level measure per value of a cell.

Reading (:func:`read_assistance`) never needs the registry sheets of the same container: the
registry the rows are checked against (A01, A02) is passed in as a :class:`RegistryRef` (the
file's own households and members, or later the database's), so a rejects workbook is
re-imported on its own once fixed.

Codes (all ``error`` but W01; E-codes keep the registry's meaning, ``fupin.io.codes``):

====  ==========================================================================================
E01   required value missing (measures: 开始日期 or 年度 one of the two; placements without a
      post: 用人单位 and 工作地类别)
E02   not a number (also 保底收益率 outside 0–1)
E03   negative amount or number
E04   value not in the code list
E05   date (or year) not understood
E06   duplicate key in one file (措施编号, else (户编号, 证件号码, 小类, 开始日期/年度); 项目编号;
      (项目编号, 户编号, 年度, 发放日期); 岗位编号; (证件号码, 开始日期, 岗位编号/用人单位);
      (证件号码, 年度); catalogue 小类)
E08   region code of the wrong length, or whose town is unknown
A01   户编号 in no loaded year of the registry
A02   证件号码 is not a member of that household in any loaded year
A03   小类 not in the catalogue (or inactive), or 大类 disagrees; the message lists that 大类's 小类
A04   结束日期 before 开始日期
A05   金额 empty where the unit is 元 (not for the wide layout)
A08   项目编号 unknown
A09   shares of one project and year exceed 总股数 (every row of that project and year), or 总股数
      missing on a 股权量化 project
A10   岗位编号 unknown, or 公益岗类型 empty on a 公益性岗位
A11   record level contradicts 对象 (a 户 measure with 证件号码, a 人 measure without; not for
      the wide layout, whose rows are household-level)
A12   a payment date after the import date
====  ==========================================================================================

The rejects workbook (:func:`write_rejects`) has one sheet per sheet read, under the table's
Chinese name (wide sheets: 帮扶措施（宽表）), with the original headers and cells of every row
that did not load and the six reason columns of ``fupin.io.codes.REJECT_COLUMNS``, which the
reader ignores: fix the cells and import the workbook again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from fupin import divisions
from fupin.engine import idnumber
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.catalogue import CATALOGUE_SCHEMA, Catalogue
from fupin.engine.assistance.rules import Ledger
from fupin.engine.schema import Field, normalize_header
from fupin.io import containers, parse, tables
from fupin.io.codes import CODES, ERROR, REJECT_COLUMNS, UNKNOWN_COLUMNS_SHEET
from fupin.io.containers import RawSheet
from fupin.io.errors import ExchangeFormatError
from fupin.io.reader import _PHONE, field_message
from fupin.io.rejects import reasons_by_row

# code -> (severity, Chinese title, English title); E- and W-codes are the registry's.
ASSIST_CODES: dict[str, tuple[str, str, str]] = {
    **{c: CODES[c] for c in ("E01", "E02", "E03", "E04", "E05", "E06", "E08", "W01")},
    "E12": (ERROR, "同一责任人的信息在各行不一致", "cadre fields differ between rows"),
    "R00": (ERROR, "随帮扶责任人退回", "returned with its cadre"),
    "A01": (ERROR, "户编号在登记册中不存在", "household number not in the registry"),
    "A02": (ERROR, "证件号码不是该户成员", "ID number is not a member of that household"),
    "A03": (ERROR, "帮扶措施小类不在目录中或已停用，或与大类不符", "subtype not in the catalogue, inactive, or of another family"),
    "A04": (ERROR, "结束日期早于开始日期", "end date before start date"),
    "A05": (ERROR, "以元为单位的措施缺少金额", "amount missing for a measure in yuan"),
    "A06": (ERROR, "帮扶责任人不存在", "cadre unknown"),
    "A07": (ERROR, "同一责任人与同一户的结对时间重叠", "overlapping pairings of one cadre and household"),
    "A08": (ERROR, "收益项目编号不存在", "income project unknown"),
    "A09": (ERROR, "持有股数超过项目总股数", "shares exceed the project's total"),
    "A10": (ERROR, "岗位编号不存在，或公益性岗位缺少公益岗类型", "post unknown, or public post without its type"),
    "A11": (ERROR, "记录层级与措施对象不符", "record level contradicts the measure's target"),
    "A12": (ERROR, "日期晚于导入日期", "date after the import date"),
    "A13": (ERROR, "事件编号不存在或区划范围无效", "event unknown or area prefix unknown"),
}

ISSUE_COLUMNS = {
    "table": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String,
    "code": pl.String, "severity": pl.String, "message_zh": pl.String, "message_en": pl.String,
    "household_id": pl.String, "year": pl.Int32,
}
WIDE = "measures_wide"
TABLE_ORDER = ("measure_catalogue", "income_projects", "posts", "measures", "dividends", "placements", "labour",
               "migration",
               "cadres", "pairings", "visits")
CADRE_COLUMNS = tuple(f.name for f in S.CADRE_FIELDS)
_NAMES = {t: {f.name for f in fs} for t, fs in S.TABLES.items()}
KEY_LABELS = {"who": "责任人编号或走访人"}


@dataclass(frozen=True)
class RegistryRef:
    """The registry the assistance rows are checked against (all loaded years):
    ``households`` has ``household_id``; ``members`` has ``household_id`` and ``id_number``."""

    households: pl.DataFrame
    members: pl.DataFrame
    projects: frozenset[str] = frozenset()   # 项目编号 already stored (database), besides the file's
    posts: frozenset[str] = frozenset()      # 岗位编号 already stored
    cadres: frozenset[str] = frozenset()     # 责任人编号 already stored (A06)

    @classmethod
    def of(cls, households: pl.DataFrame, members: pl.DataFrame, **known) -> RegistryRef:
        return cls(households.select("household_id").drop_nulls().unique(),
                   members.select("household_id", "id_number").drop_nulls().unique(), **known)


@dataclass
class Sheet:
    table: str          # an assistance table, or "measures_wide"
    raw: RawSheet


@dataclass
class AssistanceFile:
    """What :func:`read_assistance` gives back.

    ``tables``: canonical frames of every table read (rows that did not load included, with
    ``_sheet`` / ``_row``); ``issues``: one row per problem (:data:`ISSUE_COLUMNS`);
    ``catalogue``: the default merged with the file's 帮扶措施目录 rows that loaded.
    """

    tables: dict[str, pl.DataFrame]
    issues: pl.DataFrame
    catalogue: Catalogue
    sheets: list[Sheet] = field(default_factory=list)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.issues.filter(pl.col("severity") == ERROR).height)

    def _bad(self) -> pl.DataFrame:
        return self.issues.filter(pl.col("severity") == ERROR).select(_sheet="sheet", _row="row").unique()

    def loadable(self, table: str) -> pl.DataFrame:
        """The rows of ``table`` that load (canonical columns, ``_sheet`` and ``_row`` kept)."""
        frame = self.tables.get(table)
        if frame is None:
            return S.empty_frame(table) if table in S.TABLES else pl.DataFrame()
        good = frame.join(self._bad(), on=["_sheet", "_row"], how="anti")
        # A flat 帮扶责任人 export repeats its cadre on every pairing row (E12 when they differ).
        return good.unique("cadre_id", keep="first", maintain_order=True) if table == "cadres" else good

    def ledger(self) -> Ledger:
        """The loadable rows as the rules' :class:`~fupin.engine.assistance.rules.Ledger`."""
        def get(t: str) -> pl.DataFrame | None:
            return self.loadable(t) if t in self.tables else None
        paired = "pairings" in self.tables
        return Ledger(measures=get("measures"), dividends=get("dividends"), placements=get("placements"),
                      posts=get("posts"), labour=get("labour"), projects=get("income_projects"),
                      migration=get("migration"),
                      catalogue=self.catalogue,
                      cadres=self.loadable("cadres") if paired or "cadres" in self.tables else None,
                      pairings=get("pairings"),
                      visits=self.loadable("visits") if paired or "visits" in self.tables else None)

    def rejected_count(self) -> int:
        return self._bad().height


# --- containers ----------------------------------------------------------------------------------

def _wide_known() -> set[str]:
    return {normalize_header(h) for h in (*S.WIDE_COLUMNS, "户编号", "household_id", "年度", "year")}


def _is_wide(headers: list[str]) -> bool:
    norm = {normalize_header(h) for h in headers}
    has_id = bool(norm & {normalize_header("户编号"), "household_id"})
    return has_id and bool(S.wide_columns(headers))


def _known(table: str) -> set[str]:
    known = set(S.header_index(table))
    # The flat 帮扶责任人 export (1.6) carries the pairing columns on the cadre sheet.
    return known | set(S.header_index("pairings")) if table == "cadres" else known


def is_flat_cadres(headers: list[str]) -> bool:
    """A 帮扶责任人 sheet with 户编号: the national flat export, split into cadres and pairings."""
    mapping, _u = S.match_headers("pairings", headers)
    return "household_id" in mapping.values()


def _read_xlsx(path: Path) -> list[Sheet]:
    scan, reader = containers.open_workbook(path)
    out: list[Sheet] = []
    taken: set[str] = set()
    for name in reader.sheet_names:
        if normalize_header(name) == normalize_header(UNKNOWN_COLUMNS_SHEET):
            continue
        table = S.table_of_name(name)
        if table and table not in taken:
            grid, cols = containers.load_grid(reader, path, name)
            frame, headers, extra, h, abs_map = containers._shape_sheet(grid, name, cols, _known(table))
            taken.add(table)
            out.append(Sheet(table, RawSheet(table, name, frame, headers, extra, columns_abs=abs_map, header_index=h)))
            continue
        if table:
            continue
        top, cols = containers.peek_grid(scan, name, reader)
        _f, headers, _e, _h, _a = containers._shape_sheet(top, name, cols, _wide_known())
        if not _is_wide(headers):
            continue
        grid, cols = containers.load_grid(reader, path, name)
        frame, headers, extra, h, abs_map = containers._shape_sheet(grid, name, cols, _wide_known())
        out.append(Sheet(WIDE, RawSheet(WIDE, name, frame, headers, extra, columns_abs=abs_map, header_index=h)))
    return out


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(enc).splitlines()[0] if head else ""
        except UnicodeDecodeError:
            continue
    return head.decode("utf-8", errors="replace").splitlines()[0]


def _stem(p: Path, suffix: str) -> str:
    return p.name[: -len(suffix)]


def _read_csv_folder(folder: Path) -> list[Sheet]:
    out: list[Sheet] = []
    taken: set[str] = set()
    for p in sorted(folder.iterdir()):
        if not p.name.lower().endswith(".csv"):
            continue
        stem = _stem(p, ".csv")
        table = S.table_of_name(stem)
        if table and table not in taken:
            raw = containers.read_csv(p, table)
            taken.add(table)
            out.append(Sheet(WIDE if table == "measures" and _wide_not_long(raw.headers) else table, raw))
            continue
        if table:
            continue
        line = _first_line(p)
        if any(col in line for col in S.WIDE_COLUMNS):
            raw = containers.read_csv(p, WIDE)
            if _is_wide(raw.headers):
                out.append(Sheet(WIDE, raw))
    return out


def _wide_not_long(headers: list[str]) -> bool:
    """A 帮扶措施 sheet in the wide layout: family columns and no 小类."""
    mapping, _u = S.match_headers("measures", headers)
    return _is_wide(headers) and "subtype" not in mapping.values()


def _read_parquet_folder(folder: Path) -> list[Sheet]:
    out: list[Sheet] = []
    taken: set[str] = set()
    for p in sorted(folder.iterdir()):
        if not p.name.lower().endswith(".parquet"):
            continue
        table = S.table_of_name(_stem(p, ".parquet"))
        if table in taken:
            continue
        if table is None:
            try:
                names = list(pl.scan_parquet(p / "**/*.parquet" if p.is_dir() else p).collect_schema())
            except (OSError, pl.exceptions.PolarsError):  # not ours, unreadable: the registry reader reports it
                names = []
            if not _is_wide(names):
                continue
            table = WIDE
        frame = containers.read_parquet(p)
        headers = list(frame.columns)
        text = frame.select([
            pl.col(c).dt.strftime("%Y-%m-%d").alias(c) if frame.schema[c] in (pl.Date, pl.Datetime) else
            pl.col(c).cast(pl.String) for c in headers
        ]).with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64), pl.lit(p.name).alias("_sheet"))
        text = text.select([*headers, "_sheet", "_row"])
        if table == "measures" and _wide_not_long(headers):
            table = WIDE
        taken.add(table)
        out.append(Sheet(table, RawSheet(table, p.name, text, headers, typed=True)))
    return out


def read_sheets(path) -> list[Sheet]:
    """The assistance sheets of a container (none is an empty list, not an error)."""
    path = Path(path)
    if not path.exists():
        raise ExchangeFormatError(f"找不到文件“{path}”。", f"file '{path}' not found")
    if path.is_dir():
        if any(p.name.lower().endswith(".parquet") for p in path.iterdir()):
            return _read_parquet_folder(path)
        return _read_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = containers.read_csv(path, WIDE)
        if _is_wide(raw.headers):
            return [Sheet(WIDE, raw)]
        table = S.table_of_name(path.stem)
        return [Sheet(table, containers.read_csv(path, table))] if table else []
    return _read_xlsx(path)


# --- parsing -------------------------------------------------------------------------------------

# One date parser for every sheet (the registry's 人员状态变动日期 too).
parse_date = parse.parse_date


def _parse_field(s: pl.Expr, f: Field, table: str) -> tuple[pl.Expr, pl.Expr]:
    if f.kind == "date":
        return parse_date(s)
    if f.kind == "region":
        lengths = (6, 9, 12) if table == "posts" else (9, 12)
        return parse.parse_region(s, lengths=lengths)
    if f.kind == "id_number":
        return s, pl.lit(None, dtype=pl.String)
    return parse.parse_field(s, f, table=table)


@dataclass
class _Parsed:
    frame: pl.DataFrame          # canonical columns + __e:<field> + _sheet + _row
    header_of: dict[str, str]    # field -> original header
    raw: RawSheet


def _parse(raw: RawSheet, table: str) -> _Parsed:
    headers = [h for h in raw.headers if not containers.header_is_ignored(h)]
    mapping, _unknown = S.match_headers(table, headers)
    header_of = {name: header for header, name in mapping.items()}
    exprs: list[pl.Expr] = []
    for f in S.fields(table):
        header = header_of.get(f.name)
        if header is None:
            exprs += [pl.lit(None, dtype=S.dtype(f)).alias(f.name), pl.lit(None, dtype=pl.String).alias(f"__e:{f.name}")]
            continue
        s = parse.clean(pl.nth(raw.frame.columns.index(header)))
        value, error = _parse_field(s, f, table)
        if f.required:
            error = pl.when(s.is_null()).then(pl.lit("E01")).otherwise(error)
        exprs += [value.cast(S.dtype(f)).alias(f.name), error.cast(pl.String).alias(f"__e:{f.name}")]
    frame = raw.frame.select([*exprs, pl.col("_sheet"), pl.col("_row")])
    return _Parsed(frame, header_of, raw)


def _normalize_ids(frame: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """ID numbers in canonical form where they parse (15 -> 18 digits, x -> X); kept as typed
    otherwise (A02 then names them)."""
    if frame.height == 0 or "id_number" not in frame.columns:
        return frame
    parsed = idnumber.parse(frame["id_number"], as_of=as_of)["id_number"]
    cleaned = frame["id_number"].str.replace_all(r"[\s\u3000]", "").str.to_uppercase()
    return frame.with_columns(id_number=pl.Series(parsed).fill_null(cleaned))


# --- the validator -------------------------------------------------------------------------------

def read_assistance(path, *, registry: RegistryRef, as_of: date | None = None, year: int | None = None,
                    catalogue: Catalogue | None = None) -> AssistanceFile:
    """Read and validate the assistance sheets of a container. ``as_of`` is the import date
    (A12; default today); ``year`` fills the wide layout's 年度 when the sheet has none."""
    return validate(read_sheets(path), registry=registry, as_of=as_of or date.today(), year=year,
                    catalogue=catalogue or Catalogue.default(), source=Path(path).name)


def validate(sheets: list[Sheet], *, registry: RegistryRef, as_of: date, year: int | None = None,
             catalogue: Catalogue | None = None, source: str | None = None) -> AssistanceFile:
    """Validate raw assistance sheets wherever they came from (see :func:`read_assistance`)."""
    return _Validator(registry, as_of, year, catalogue or Catalogue.default(), source).run(sheets)


class _Validator:
    def __init__(self, registry: RegistryRef, as_of: date, year: int | None, catalogue: Catalogue, source):
        self.registry = registry
        self.as_of = as_of
        self.year = year
        self.catalogue = catalogue
        self.source = source
        self.issues: list[pl.DataFrame] = []
        self.unknown: dict[str, list[str]] = {}

    # -- issues
    def issue(self, rows: pl.DataFrame, *, table: str, code: str, column: str | pl.Expr | None, value: pl.Expr,
              zh: pl.Expr, en: pl.Expr) -> None:
        if rows.height == 0:
            return
        if not isinstance(column, pl.Expr):
            column = pl.lit(column, dtype=pl.String)
        hid = pl.col("household_id") if "household_id" in rows.columns else pl.lit(None, dtype=pl.String)
        yr = pl.col("year") if "year" in rows.columns else pl.lit(None, dtype=pl.Int32)
        self.issues.append(rows.select(
            table=pl.lit(table), sheet=pl.col("_sheet"), row=pl.col("_row").cast(pl.Int64),
            column=column.cast(pl.String), value=value.cast(pl.String), code=pl.lit(code),
            severity=pl.lit(ASSIST_CODES[code][0]), message_zh=zh, message_en=en,
            household_id=hid.cast(pl.String), year=yr.cast(pl.Int32),
        ).cast(ISSUE_COLUMNS))

    def flag(self, p: _Parsed, table: str, cond: pl.Expr, code: str, name: str | None, zh: pl.Expr, en: pl.Expr,
             value: pl.Expr | None = None, column: pl.Expr | None = None) -> pl.DataFrame:
        rows = p.frame.filter(cond.fill_null(False))
        header = p.header_of.get(name, S.field_by_name(table, name).zh) if name else None
        self.issue(rows, table=table, code=code, column=column if column is not None else header,
                   value=value if value is not None else (pl.col(name).cast(pl.String) if name else pl.lit(None, dtype=pl.String)),
                   zh=zh, en=en)
        return rows

    def field_errors(self, p: _Parsed, table: str) -> None:
        raw_values = p.raw.frame.select("_sheet", "_row", *[pl.nth(p.raw.frame.columns.index(h)).alias(f"__raw:{n}")
                                                          for n, h in p.header_of.items()])
        for name, header in p.header_of.items():
            col = f"__e:{name}"
            bad = p.frame.filter(pl.col(col).is_not_null())
            if bad.height == 0:
                continue
            bad = bad.join(raw_values.select("_sheet", "_row", f"__raw:{name}"), on=["_sheet", "_row"], how="left")
            f = S.field_by_name(table, name)
            v = pl.col(f"__raw:{name}").fill_null("")
            for code in bad[col].unique().to_list():
                zh, en = _message(code, f, header, v, table)
                self.issue(bad.filter(pl.col(col) == code), table=table, code=code, column=header, value=pl.col(f"__raw:{name}"),
                           zh=zh, en=en)

    def duplicates(self, p: _Parsed, table: str, key: list[str], name: str, subset: pl.Expr | None = None) -> None:
        frame = p.frame if subset is None else p.frame.filter(subset.fill_null(False))
        if frame.height == 0:
            return
        dup = frame.filter(pl.struct(key).is_duplicated() & pl.all_horizontal([pl.col(k).is_not_null() for k in key[:1]]))
        if dup.height == 0:
            return
        header = p.header_of.get(name, S.field_by_name(table, name).zh)
        fields = [k.lstrip("_") for k in key]
        keys = "、".join(S.field_by_name(table, k).zh if k in _NAMES[table] else KEY_LABELS.get(k, k) for k in fields)
        self.issue(dup, table=table, code="E06", column=header, value=pl.col(name).cast(pl.String),
                   zh=pl.lit(f"同一文件中（{keys}）重复出现；同一记录只能有一行，请合并或删除重复行"),
                   en=pl.lit(f"duplicate key ({', '.join(fields)}) in one file; keep one row per record"))

    def household_checks(self, p: _Parsed, table: str, *, id_required: bool = False) -> None:
        """A01 and A02."""
        known = self.registry.households.get_column("household_id")
        hid = pl.col("household_id")
        self.flag(p, table, hid.is_not_null() & ~hid.is_in(known.implode()), "A01", "household_id",
                  pl.format("户编号 {} 在登记册任何年度中都不存在；请先导入该户，或核对户编号", hid),
                  pl.format("household {} is in no loaded year of the registry; import it first or check the number", hid))
        pairs = self.registry.members.select("household_id", "id_number", _member=pl.lit(True))
        frame = p.frame.join(pairs, on=["household_id", "id_number"], how="left")
        rows = frame.filter(pl.col("id_number").is_not_null() & hid.is_not_null() & hid.is_in(known.implode())
                            & pl.col("_member").is_null())
        header = p.header_of.get("id_number", "证件号码")
        self.issue(rows, table=table, code="A02", column=header, value=pl.col("id_number"),
                   zh=pl.format("证件号码 {} 不是户 {} 在任何年度的成员；请核对证件号码或户编号", pl.col("id_number"), hid),
                   en=pl.format("ID {} is not a member of household {} in any loaded year", pl.col("id_number"), hid))

    def end_before_start(self, p: _Parsed, table: str, start: str = "start", end: str = "end") -> None:
        self.flag(p, table, pl.col(end) < pl.col(start), "A04", end,
                  pl.format("结束日期 {} 早于开始日期 {}；请改正其中之一", pl.col(end), pl.col(start)),
                  pl.format("end date {} is before start date {}", pl.col(end), pl.col(start)))

    # -- orchestration
    def run(self, sheets: list[Sheet]) -> AssistanceFile:
        parsed: dict[str, _Parsed] = {}
        wide: list[RawSheet] = []
        flat: _Parsed | None = None
        for sheet in sheets:
            if sheet.table == WIDE:
                wide.append(sheet.raw)
                continue
            p = _parse(sheet.raw, sheet.table)
            taken = set(p.header_of.values())
            if sheet.table == "cadres" and is_flat_cadres(sheet.raw.headers):
                flat = _parse(sheet.raw, "pairings")
                taken |= set(flat.header_of.values())
            unknown = [h for h in sheet.raw.headers if h not in taken
                       and not containers.header_is_ignored(h)] + list(sheet.raw.unknown_extra)
            if unknown:
                self.unknown[sheet.raw.sheet] = list(dict.fromkeys(unknown))
            if "id_number" in p.frame.columns:
                p.frame = _normalize_ids(p.frame, self.as_of)
            parsed[sheet.table] = p
        out: dict[str, pl.DataFrame] = {}
        if "measure_catalogue" in parsed:
            out["measure_catalogue"] = self.catalogue_rows(parsed["measure_catalogue"])
        for table, method in (("income_projects", self.projects), ("posts", self.posts)):
            if table in parsed:
                out[table] = method(parsed[table])
        measures = [self.measures(parsed["measures"])] if "measures" in parsed else []
        measures += [self.wide(raw) for raw in wide]
        if measures:
            out["measures"] = pl.concat(measures, how="diagonal_relaxed")
        if "dividends" in parsed:
            out["dividends"] = self.dividends(parsed["dividends"], out.get("income_projects"))
        if "placements" in parsed:
            out["placements"] = self.placements(parsed["placements"], out.get("posts"))
        if "labour" in parsed:
            out["labour"] = self.labour(parsed["labour"])
        if "migration" in parsed:
            out["migration"] = self.migration(parsed["migration"])
        if "cadres" in parsed:
            out["cadres"] = self.cadres(parsed["cadres"], flat=flat is not None)
        known = self._known_cadres(out.get("cadres"))
        pairing_parts = [self.pairings(q, known) for q in (flat, parsed.get("pairings")) if q is not None]
        if pairing_parts:
            out["pairings"] = self.overlaps(pl.concat(pairing_parts, how="diagonal_relaxed"))
        if "visits" in parsed:
            out["visits"] = self.visits(parsed["visits"], known)
        issues = (pl.concat(self.issues, how="vertical") if self.issues else pl.DataFrame(schema=ISSUE_COLUMNS))
        issues = issues.unique(maintain_order=True).sort("sheet", "row", "code", nulls_last=True)
        final = {t: f.select([*[c for c in S.polars_schema(t) if c in f.columns], "_sheet", "_row"]) for t, f in out.items()}
        return AssistanceFile(final, issues, self.catalogue, sheets=sheets, unknown_columns=self.unknown)

    # -- tables
    def catalogue_rows(self, p: _Parsed) -> pl.DataFrame:
        table = "measure_catalogue"
        self.field_errors(p, table)
        self.duplicates(p, table, ["subtype"], "subtype")
        good = self._loadable(p.frame)
        rows = good.select([c for c in CATALOGUE_SCHEMA if c in good.columns])
        self.catalogue = self.catalogue.merged(rows, source=f"县级帮扶措施目录（{self.source or p.raw.sheet}）")
        return p.frame

    def _subtypes(self, p: _Parsed) -> pl.DataFrame:
        """Resolve 小类 (or 别名) through the catalogue: ``_subtype``, ``_family``, ``_active``."""
        names = self.catalogue.names().rename({"subtype": "_subtype", "family": "_family", "active": "_active"})
        keyed = p.frame.with_columns(_key=parse.normalize_code_expr(pl.col("subtype")))
        return keyed.join(names, left_on="_key", right_on="key", how="left").drop("_key")

    def measures(self, p: _Parsed) -> pl.DataFrame:
        table = "measures"
        self.field_errors(p, table)
        frame = self._subtypes(p)
        cat = self.catalogue.frame.select(_subtype="subtype", _unit="unit", _target="target")
        frame = frame.join(cat, on="_subtype", how="left")
        lists = self.catalogue.subtype_list_text()
        frame = frame.with_columns(_family_key=parse.normalize_code_expr(pl.col("family"))).join(
            lists.with_columns(_family_key=parse.normalize_code_expr(pl.col("family"))).select("_family_key", _listed="subtypes"),
            on="_family_key", how="left")
        p = _Parsed(frame, p.header_of, p.raw)
        sub, fam = pl.col("subtype"), pl.col("family")
        families = "、".join(self.catalogue.families())
        unknown = sub.is_not_null() & (pl.col("_subtype").is_null() | ~pl.col("_active").fill_null(False))
        self.flag(p, table, unknown, "A03", "subtype",
                  pl.when(pl.col("_listed").is_not_null()).then(
                      pl.format("小类“{}”不在帮扶措施目录中（或已停用）；“{}”的小类有：{}", sub, fam, pl.col("_listed")))
                  .otherwise(pl.format(f"小类“{{}}”不在帮扶措施目录中（或已停用）；请按目录填写，或先在“帮扶措施目录”表中增加。大类有：{families}", sub)),
                  pl.format("subtype '{}' is not an active entry of the measure catalogue; use a catalogue 小类 "
                            "(or add it in the 帮扶措施目录 sheet)", sub))
        disagree = ~unknown & fam.is_not_null() & pl.col("_subtype").is_not_null() & (
            parse.normalize_code_expr(fam) != parse.normalize_code_expr(pl.col("_family")))
        self.flag(p, table, disagree, "A03", "family",
                  pl.format("大类“{}”与小类“{}”不符（该小类属于“{}”）；“{}”的小类有：{}", fam, sub, pl.col("_family"), fam,
                            pl.col("_listed").fill_null("（目录中没有该大类）")),
                  pl.format("family '{}' disagrees with subtype '{}' (which belongs to '{}')", fam, sub, pl.col("_family")))
        self.flag(p, table, pl.col("start").is_null() & pl.col("__e:start").is_null() & pl.col("year").is_null()
                  & pl.col("__e:year").is_null(), "E01", "start",
                  pl.lit("“开始日期”和“年度”至少填一项：有具体日期填开始日期，只知道年度的填年度"),
                  pl.lit("give 开始日期 (start) or 年度 (year): one of the two is required"))
        self.household_checks(p, table)
        self.end_before_start(p, table)
        self.flag(p, table, (pl.col("_unit") == "元") & pl.col("amount").is_null() & pl.col("__e:amount").is_null(),
                  "A05", "amount",
                  pl.format("小类“{}”以元为单位，“金额”不能为空；请填写金额（元）", pl.col("_subtype")),
                  pl.format("subtype '{}' is counted in yuan: 金额 (amount) is required", pl.col("_subtype")))
        level = pl.col("id_number").is_not_null()
        self.flag(p, table, ((pl.col("_target") == S.HOUSEHOLD_TARGET) & level), "A11", "id_number",
                  pl.format("小类“{}”的对象是户，不应填写证件号码；请清空证件号码", pl.col("_subtype")),
                  pl.format("subtype '{}' is a household measure: leave 证件号码 empty", pl.col("_subtype")))
        self.flag(p, table, ((pl.col("_target") == S.PERSON_TARGET) & ~level & pl.col("household_id").is_not_null()),
                  "A11", "id_number",
                  pl.format("小类“{}”的对象是人，必须填写受益人的证件号码", pl.col("_subtype")),
                  pl.format("subtype '{}' is a personal measure: 证件号码 of the beneficiary is required", pl.col("_subtype")),
                  value=pl.lit(None, dtype=pl.String))
        with_id = pl.col("measure_id").is_not_null()
        self.duplicates(p, table, ["measure_id"], "measure_id", subset=with_id)
        self.duplicates(p, table, ["household_id", "id_number", "_subtype", "start", "year"], "subtype", subset=~with_id)
        return p.frame.with_columns(subtype=pl.coalesce(pl.col("_subtype"), pl.col("subtype")),
                                    family=pl.coalesce(pl.col("_family"), pl.col("family")), wide=pl.lit(False))

    def wide(self, raw: RawSheet) -> pl.DataFrame:
        """2.3: one year-level measure per value of a family cell; a row with one value that is
        not in the catalogue comes back whole (A03), with the others."""
        table = "measures"
        headers = [h for h in raw.headers if not containers.header_is_ignored(h)]
        fams = S.wide_columns(headers)
        mapping, _u = S.match_headers("measures", headers)
        header_of = {n: h for h, n in mapping.items()}
        unknown = [h for h in headers if h not in fams and mapping.get(h) not in ("household_id", "year", "id_number")]
        # Other columns (a flat export's member columns) are not unknown here: they are the
        # registry's. Only a standalone wide sheet reports its unknown headers.
        if unknown and S.table_of_name(raw.sheet) in ("measures", None) and not _registry_like(headers):
            self.unknown[raw.sheet] = unknown
        hid_h, year_h = header_of.get("household_id"), header_of.get("year")
        def col(h: str) -> pl.Expr:
            return pl.nth(raw.frame.columns.index(h))
        base = raw.frame.select(
            household_id=parse.clean(col(hid_h)),
            _year_raw=parse.clean(col(year_h)) if year_h else pl.lit(None, dtype=pl.String),
            _sheet=pl.col("_sheet"), _row=pl.col("_row"),
        )
        year_value, year_error = parse.parse_year(pl.col("_year_raw"))
        base = base.with_columns(
            year=pl.when(pl.col("_year_raw").is_null()).then(pl.lit(self.year, dtype=pl.Int32)).otherwise(year_value),
            **{"__e:year": year_error})
        cells = raw.frame.select("_sheet", "_row", *[col(h).alias(h) for h in fams])
        long = cells.unpivot(index=["_sheet", "_row"], on=list(fams), variable_name="_column", value_name="_cell").filter(
            parse.clean(pl.col("_cell")).is_not_null())
        values = long.with_columns(_value=pl.col("_cell").str.replace_all(S.LIST_SEPARATORS, "|").str.split("|")).explode(
            "_value").with_columns(_value=parse.clean(pl.col("_value"))).filter(pl.col("_value").is_not_null())
        values = values.with_columns(_family=pl.col("_column").replace_strict(fams, return_dtype=pl.String),
                                     _key=parse.normalize_code_expr(pl.col("_value")))
        names = self.catalogue.family_names().rename({"family": "_family", "subtype": "_subtype", "active": "_active"})
        values = values.join(names, left_on=["_family", "_key"], right_on=["_family", "key"], how="left")
        frame = values.join(base, on=["_sheet", "_row"], how="left")
        p = _Parsed(frame.with_columns(**{"__e:household_id": pl.lit(None, dtype=pl.String)}),
                    {"household_id": hid_h, **({"year": year_h} if year_h else {})}, raw)
        lists = self.catalogue.subtype_list_text().rename({"family": "_family"})
        p.frame = p.frame.join(lists, on="_family", how="left").with_columns(id_number=pl.lit(None, dtype=pl.String))
        # The issue's column is the cell's own column.
        self.flag(p, table, pl.col("_subtype").is_null() | ~pl.col("_active").fill_null(False), "A03", None,
                  pl.format("“{}”中的“{}”不是该大类的小类或别名；可填：{}、其他", pl.col("_column"), pl.col("_value"),
                            pl.col("subtypes")),
                  pl.format("'{}' in column {} is not a subtype or alias of that family", pl.col("_value"), pl.col("_column")),
                  value=pl.col("_value"), column=pl.col("_column"))
        self.flag(p, table, pl.col("household_id").is_null(), "E01", "household_id",
                  pl.lit("“户编号”为必填项，不能为空"), pl.lit("'户编号' (household_id) is required"))
        year_header = year_h or "年度"
        self.flag(p, table, pl.col("year").is_null() & pl.col("_year_raw").is_null(), "E01", None,
                  pl.lit("宽表需要“年度”（或导入时指定年度）"), pl.lit("the wide layout needs 年度 (or a year given)"),
                  value=pl.lit(None, dtype=pl.String), column=pl.lit(year_header))
        self.flag(p, table, pl.col("year").is_null() & pl.col("_year_raw").is_not_null(), "E05", None,
                  pl.format("“年度”的值“{}”不是有效年份，请写四位年份（如 2023）", pl.col("_year_raw")),
                  pl.format("'年度' (year): '{}' is not a year", pl.col("_year_raw")),
                  value=pl.col("_year_raw"), column=pl.lit(year_header))
        self.household_checks(p, table)
        out = p.frame.unique(["household_id", "year", "_subtype"], keep="first", maintain_order=True)
        return out.select(
            measure_id=pl.lit(None, dtype=pl.String), household_id="household_id", id_number="id_number",
            family=pl.coalesce(pl.col("_family")), subtype=pl.coalesce(pl.col("_subtype"), pl.col("_value")),
            year=pl.col("year").cast(pl.Int32), start=pl.lit(None, dtype=pl.Date), end=pl.lit(None, dtype=pl.Date),
            amount=pl.lit(None, dtype=pl.Float64), quantity=pl.lit(None, dtype=pl.Float64),
            fund_source=pl.lit(None, dtype=pl.String), responsible_unit=pl.lit(S.WIDE_UNIT),
            campaign=pl.lit(None, dtype=pl.String), status=pl.lit(S.WIDE_STATUS), note=pl.lit(None, dtype=pl.String),
            wide=pl.lit(True), _sheet="_sheet", _row="_row",
        )

    def projects(self, p: _Parsed) -> pl.DataFrame:
        table = "income_projects"
        self.field_errors(p, table)
        code = pl.col("region_code")
        towns = list(divisions.town_codes())
        self.flag(p, table, code.is_not_null() & ~(code.str.slice(0, 9) + "000").is_in(towns), "E08", "region_code",
                  pl.format("区划代码 {} 的前9位不是已知的乡镇（街道）代码；请核对", code),
                  pl.format("region code {}: its town part is not a known town", code))
        self.flag(p, table, pl.col("guaranteed_rate").is_not_null() & ~pl.col("guaranteed_rate").is_between(0, 1), "E02",
                  "guaranteed_rate", pl.format("保底收益率 {} 应在 0 到 1 之间（如 0.06 表示 6%）", pl.col("guaranteed_rate")),
                  pl.format("保底收益率 {} must lie between 0 and 1 (0.06 = 6%)", pl.col("guaranteed_rate")))
        self.flag(p, table, (pl.col("kind") == "股权量化") & pl.col("total_shares").is_null()
                  & pl.col("__e:total_shares").is_null(), "A09", "total_shares",
                  pl.lit("股权量化项目必须填写“总股数”"), pl.lit("a 股权量化 project needs 总股数 (total shares)"))
        self.end_before_start(p, table)
        self.duplicates(p, table, ["project_id"], "project_id")
        return p.frame

    def posts(self, p: _Parsed) -> pl.DataFrame:
        table = "posts"
        self.field_errors(p, table)
        self.flag(p, table, (pl.col("kind") == S.PUBLIC_POST) & pl.col("public_post_type").is_null()
                  & pl.col("__e:public_post_type").is_null(), "A10", "public_post_type",
                  pl.lit("公益性岗位必须填写“公益岗类型”：" + "、".join(S.PUBLIC_POST_TYPES)),
                  pl.lit("a 公益性岗位 needs its 公益岗类型"))
        self.end_before_start(p, table, "published_on", "closes_on")
        self.duplicates(p, table, ["post_id"], "post_id")
        return p.frame

    def dividends(self, p: _Parsed, projects: pl.DataFrame | None) -> pl.DataFrame:
        table = "dividends"
        self.field_errors(p, table)
        self.household_checks(p, table)
        known = set(self.registry.projects)
        project_rows = pl.DataFrame(schema={"project_id": pl.String, "kind": pl.String, "total_shares": pl.Float64})
        if projects is not None:
            good = self._loadable(projects)
            known |= set(good["project_id"].drop_nulls().to_list())
            project_rows = good.select("project_id", "kind", "total_shares")
        pid = pl.col("project_id")
        self.flag(p, table, pid.is_not_null() & ~pid.is_in(sorted(known)), "A08", "project_id",
                  pl.format("收益项目编号 {} 不存在；请先在“收益项目”表中登记该项目", pid),
                  pl.format("income project {} is unknown; add it to the 收益项目 sheet first", pid))
        totals = p.frame.filter(pl.col("shares").is_not_null()).group_by("project_id", "year").agg(
            _held=pl.col("shares").sum()).join(project_rows, on="project_id", how="inner").filter(
            pl.col("total_shares").is_not_null() & (pl.col("_held") > pl.col("total_shares")))
        frame = p.frame.join(totals.select("project_id", "year", "_held", "total_shares"), on=["project_id", "year"], how="left")
        q = _Parsed(frame, p.header_of, p.raw)
        self.flag(q, table, pl.col("_held").is_not_null(), "A09", "shares",
                  pl.format("项目 {} 在 {} 年分配的股数合计 {} 超过总股数 {}；请核对本项目本年度各户的持有股数", pid, pl.col("year"),
                            pl.col("_held"), pl.col("total_shares")),
                  pl.format("project {} year {}: shares total {}, above its {} shares", pid, pl.col("year"), pl.col("_held"),
                            pl.col("total_shares")))
        self.flag(p, table, pl.col("paid_on") > pl.lit(self.as_of), "A12", "paid_on",
                  pl.format(f"发放日期 {{}} 晚于导入日期 {self.as_of}；尚未发放的分红请在发放后再导入", pl.col("paid_on")),
                  pl.format(f"payment date {{}} is after the import date {self.as_of}", pl.col("paid_on")))
        self.duplicates(p, table, ["project_id", "household_id", "year", "paid_on"], "project_id")
        return p.frame

    def placements(self, p: _Parsed, posts: pl.DataFrame | None) -> pl.DataFrame:
        table = "placements"
        self.field_errors(p, table)
        self.household_checks(p, table)
        known = set(self.registry.posts)
        if posts is not None:
            known |= set(self._loadable(posts)["post_id"].drop_nulls().to_list())
        post = pl.col("post_id")
        self.flag(p, table, post.is_not_null() & ~post.is_in(sorted(known)), "A10", "post_id",
                  pl.format("岗位编号 {} 不存在；请先在“岗位”表中登记该岗位", post),
                  pl.format("post {} is unknown; add it to the 岗位 sheet first", post))
        for name, zh in (("employer", "用人单位"), ("place", "工作地类别")):
            self.flag(p, table, post.is_null() & pl.col(name).is_null() & pl.col(f"__e:{name}").is_null(), "E01", name,
                      pl.lit(f"没有岗位编号时“{zh}”为必填项"), pl.lit(f"'{zh}' ({name}) is required without a post"))
        self.end_before_start(p, table)
        self.duplicates(p, table, ["id_number", "start", "post_id", "employer"], "id_number")
        return p.frame

    def person_of_the_registry(self, p: _Parsed, table: str) -> None:
        """A02 for a row given by 证件号码 without 户编号: the person must be a member of the registry."""
        ids = self.registry.members.get_column("id_number")
        self.flag(p, table, pl.col("household_id").is_null() & pl.col("id_number").is_not_null()
                  & ~pl.col("id_number").is_in(ids.implode()), "A02", "id_number",
                  pl.format("证件号码 {} 不是登记册中任何户的成员", pl.col("id_number")),
                  pl.format("ID {} is not a member of any household of the registry", pl.col("id_number")))

    def labour(self, p: _Parsed) -> pl.DataFrame:
        table = "labour"
        self.field_errors(p, table)
        self.household_checks(p, table)
        self.person_of_the_registry(p, table)
        self.duplicates(p, table, ["id_number", "year"], "id_number")
        return p.frame

    def migration(self, p: _Parsed) -> pl.DataFrame:
        """1.11 务工动态: a person of the registry (A02 without 户编号), dated no later than the
        import (A12)."""
        table = "migration"
        self.field_errors(p, table)
        self.household_checks(p, table)
        self.person_of_the_registry(p, table)
        self.flag(p, table, pl.col("reported_on") > pl.lit(self.as_of), "A12", "reported_on",
                  pl.format(f"日期 {{}} 晚于导入日期 {self.as_of}；请核对日期", pl.col("reported_on")),
                  pl.format(f"date {{}} is after the import date {self.as_of}", pl.col("reported_on")))
        self.duplicates(p, table, ["id_number", "reported_on"], "id_number")
        return p.frame

    # -- 1.5–1.7: cadres, pairings, visits
    def cadres(self, p: _Parsed, *, flat: bool) -> pl.DataFrame:
        table = "cadres"
        self.field_errors(p, table)
        p.frame = p.frame.with_columns(
            cadre_id=S.cadre_key_expr(pl.col("cadre_id"), pl.col("name"), pl.col("phone")))
        phone = pl.col("phone").str.replace_all(r"[\s\u3000]", "")
        self.flag(p, table, pl.col("phone").is_not_null() & ~phone.str.contains(_PHONE), "W01", "phone",
                  pl.format("联系电话“{}”既不是11位手机号，也不是带区号的固定电话", pl.col("phone")),
                  pl.format("phone '{}' is neither an 11-digit mobile nor an area-code landline", pl.col("phone")))
        if flat:
            # The same cadre on several rows must read the same on each (else which is right?).
            differs = pl.struct(list(CADRE_COLUMNS)).n_unique().over("cadre_id") > 1
            self.flag(p, table, pl.col("cadre_id").is_not_null() & differs, "E12", "name",
                      pl.format("帮扶责任人{}（{}）在各行的信息（单位、职级、电话、离岗日期等）不一致；请统一后再导入",
                                pl.col("name"), pl.col("cadre_id")),
                      pl.format("cadre {} reads differently on its rows (unit, rank, phone, left date ...)",
                                pl.col("cadre_id")))
        else:
            self.duplicates(p, table, ["cadre_id"], "name")
        return p.frame

    def _known_cadres(self, cadres: pl.DataFrame | None) -> dict[str, bool]:
        """责任人编号 -> loads (True) or was rejected (False: its pairings and visits return, R00)."""
        known = dict.fromkeys(self.registry.cadres, True)
        if cadres is not None:
            good = set(self._loadable(cadres)["cadre_id"].drop_nulls().to_list())
            for cid in cadres["cadre_id"].drop_nulls().unique().to_list():
                known[cid] = known.get(cid, False) or cid in good
        return known

    def _cadre_checks(self, p: _Parsed, table: str, known: dict[str, bool], column: str) -> None:
        """A06 (责任人 unknown) and R00 (its cadre row did not load)."""
        cid = pl.col("cadre_id")
        ok = sorted(k for k, v in known.items() if v)
        rejected = sorted(k for k, v in known.items() if not v)
        header = p.header_of.get(column) or p.header_of.get("cadre_id") or "责任人编号"
        shown = pl.coalesce(pl.col("_cadre_shown"), cid)
        self.flag(p, table, cid.is_not_null() & cid.is_in(rejected), "R00", None,
                  pl.format("帮扶责任人 {} 的信息未通过校验，本行随之退回；改正责任人后一并重新导入", shown),
                  pl.format("cadre {} was rejected; this row returns with it", shown), value=shown,
                  column=pl.lit(header))
        self.flag(p, table, cid.is_not_null() & ~cid.is_in(ok) & ~cid.is_in(rejected), "A06", None,
                  pl.format("帮扶责任人 {} 不存在；请先在“帮扶责任人”表中登记（或核对编号、姓名和联系电话）", shown),
                  pl.format("cadre {} is unknown; add it to the 帮扶责任人 sheet first", shown), value=shown,
                  column=pl.lit(header))

    def pairings(self, p: _Parsed, known: dict[str, bool]) -> pl.DataFrame:
        table = "pairings"
        self.field_errors(p, table)
        given = pl.col("cadre_id")
        p.frame = p.frame.with_columns(
            _cadre_shown=pl.coalesce(given, pl.col("cadre_name")),
            cadre_id=S.cadre_key_expr(given, pl.col("cadre_name"), pl.col("cadre_phone")),
            id_number=pl.lit(None, dtype=pl.String))
        self.flag(p, table, given.is_null() & pl.col("cadre_name").is_null(), "E01", "cadre_id",
                  pl.lit("请填写“责任人编号”，或“责任人姓名”和“联系电话”"),
                  pl.lit("give 责任人编号 (cadre id), or the cadre's name and phone"))
        self._cadre_checks(p, table, known, "cadre_id")
        self.household_checks(p, table)
        self.end_before_start(p, table)
        self.duplicates(p, table, ["cadre_id", "household_id", "start"], "household_id")
        return p.frame.with_columns(_header_start=pl.lit(p.header_of.get("start", "开始日期")))

    def overlaps(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A07: two rows of the same cadre and household whose intervals overlap — the later
        row (by 开始日期, then by its place in the file) returns."""
        table = "pairings"
        keyed = pl.col("cadre_id").is_not_null() & pl.col("household_id").is_not_null() & pl.col("start").is_not_null()
        far = pl.lit(date(9999, 12, 31))
        ordered = frame.with_row_index("_i").sort("start", "_sheet", "_row")
        ordered = ordered.with_columns(
            _prev_end=pl.coalesce(pl.col("end"), far).cum_max().shift(1).over(["cadre_id", "household_id"]))
        p = _Parsed(ordered, {}, None)  # type: ignore[arg-type]
        self.flag(p, table, keyed & (pl.col("start") <= pl.col("_prev_end")), "A07", None,
                  pl.format("责任人 {} 与户 {} 的结对时间与前一行重叠；同一结对请只保留一行，或改正开始/结束日期",
                            pl.col("_cadre_shown"), pl.col("household_id")),
                  pl.format("pairing of cadre {} and household {} overlaps an earlier row", pl.col("_cadre_shown"),
                            pl.col("household_id")), value=pl.col("start").cast(pl.String),
                  column=pl.col("_header_start"))
        return ordered.sort("_i").drop("_i", "_prev_end")

    def visits(self, p: _Parsed, known: dict[str, bool]) -> pl.DataFrame:
        table = "visits"
        self.field_errors(p, table)
        p.frame = p.frame.with_columns(_cadre_shown=pl.col("cadre_id"), id_number=pl.lit(None, dtype=pl.String))
        self.flag(p, table, pl.col("cadre_id").is_null() & pl.col("visitor").is_null(), "E01", "visitor",
                  pl.lit("“责任人编号”和“走访人”至少填一项"), pl.lit("give 责任人编号 (cadre id) or 走访人 (visitor)"))
        self._cadre_checks(p, table, known, "cadre_id")
        self.household_checks(p, table)
        self.flag(p, table, pl.col("visited_on") > pl.lit(self.as_of), "A12", "visited_on",
                  pl.format(f"走访日期 {{}} 晚于导入日期 {self.as_of}；请核对日期", pl.col("visited_on")),
                  pl.format(f"visit date {{}} is after the import date {self.as_of}", pl.col("visited_on")))
        items = pl.col("items").str.replace_all(S.LIST_SEPARATORS, "|").str.split("|").list.eval(
            pl.element().str.strip_chars()).list.filter(pl.element() != "")
        p.frame = p.frame.with_columns(_items=items)
        p.frame = p.frame.with_columns(
            _bad_items=pl.col("_items").list.filter(~pl.element().is_in(list(S.VISIT_ITEMS))).list.join("、"),
            items=pl.col("_items").list.join("、"))
        self.flag(p, table, pl.col("_bad_items").fill_null("") != "", "E04", "items",
                  pl.format("“事项”中的“{}”不在可选值中；可填：" + "、".join(S.VISIT_ITEMS), pl.col("_bad_items")),
                  pl.format("事项 (items): '{}' not in the list", pl.col("_bad_items")), value=pl.col("_bad_items"))
        p.frame = p.frame.with_columns(_who=pl.coalesce(pl.col("cadre_id"), pl.col("visitor")))
        self.duplicates(p, table, ["household_id", "visited_on", "_who", "mode"], "household_id")
        return p.frame

    def _loadable(self, frame: pl.DataFrame) -> pl.DataFrame:
        if not self.issues:
            return frame
        bad = pl.concat(self.issues, how="vertical").filter(pl.col("severity") == ERROR).select(
            _sheet="sheet", _row="row").unique()
        return frame.join(bad, on=["_sheet", "_row"], how="anti")


def _registry_like(headers: list[str]) -> bool:
    norm = {normalize_header(h) for h in headers}
    return bool(norm & {normalize_header(x) for x in ("证件号码", "姓名", "区划代码", "与户主关系", "是否建档立卡")})


def _message(code: str, f: Field, header: str, v: pl.Expr, table: str) -> tuple[pl.Expr, pl.Expr]:
    if code in ("E01", "E02", "E03", "E04"):
        return field_message(code, f, header, table, v)  # the registry's wording, one copy
    if code == "E05":
        what = "日期" if f.kind == "date" else "年度"
        fmt = "YYYY-MM-DD（如 2023-05-16）" if f.kind == "date" else "四位年份（如 2023）"
        return (pl.format(f"“{header}”的值“{{}}”不是有效{what}，请写成 {fmt}", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a valid {'date (YYYY-MM-DD)' if f.kind == 'date' else 'year'}", v))
    if code == "E13":
        return (pl.format(f"“{header}”的值“{{}}”不是有效年份，应在 1900–2100 之间", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a year between 1900 and 2100", v))
    if code == "E08":
        lengths = "6、9或12位" if table == "posts" else "9或12位"
        return (pl.format(f"“{header}”的值“{{}}”无效：应为{lengths}数字的区划代码", v),
                pl.format(f"'{header}' ({f.name}): '{{}}' is not a {lengths.replace('或', '/').replace('、', '/')}-digit code", v))
    zh, en = ASSIST_CODES.get(code, (ERROR, code, code))[1:]
    return pl.format(f"“{header}”：{zh}（“{{}}”）", v), pl.format(f"'{header}': {en} ('{{}}')", v)


# --- rejects -------------------------------------------------------------------------------------

def rejected_rows(result: AssistanceFile) -> dict[str, pl.DataFrame]:
    """Sheet name of the rejects workbook -> the rejected original rows with the reason columns."""
    bad = result.issues.filter(pl.col("severity") == ERROR).select("sheet", "row").unique()
    reasons = reasons_by_row(result.issues.join(bad, on=["sheet", "row"]))
    out: dict[str, pl.DataFrame] = {}
    wide_n = 0
    for sheet in result.sheets:
        raw = sheet.raw
        if sheet.table == WIDE:
            wide_n += 1
            name = S.WIDE_SHEET_NAMES[0] + ("" if wide_n == 1 else str(wide_n))
        else:
            name = S.SHEET_NAMES[sheet.table][0]
        headers = [c for c in raw.frame.columns if c not in ("_sheet", "_row") and not containers.header_is_ignored(c)]
        rows = raw.frame.join(reasons, left_on=["_sheet", "_row"], right_on=["sheet", "row"], how="inner").sort("_row")
        if rows.height:
            out[name] = rows.select(*[pl.nth(rows.columns.index(h)).cast(pl.String).alias(h) for h in headers],
                                    pl.col("_sheet").alias(REJECT_COLUMNS[0]), pl.col("_row").alias(REJECT_COLUMNS[1]),
                                    *REJECT_COLUMNS[2:])
    return out


def write_rejects(result: AssistanceFile, path) -> int:
    """Write the rejects workbook (xlsx); returns the number of rejected rows."""
    sheets = rejected_rows(result)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = tables.open_workbook(path, constant_memory=True)
    bold = wb.add_format({"bold": True})
    bold_quoted = wb.add_format({"bold": True, "quote_prefix": True})
    note = wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
    text = wb.add_format({"num_format": "@"})
    total = 0
    try:
        for name, frame in sheets.items():
            ws = wb.add_worksheet(name[:31])
            cells = tables.SheetWriter(wb, ws)
            n_orig = len(frame.columns) - len(REJECT_COLUMNS)
            for i, h in enumerate(frame.columns):
                ws.write_string(0, i, h, note if i >= n_orig else bold_quoted if tables.looks_like_formula(h) else bold)
                if i < n_orig:
                    ws.set_column(i, i, 16, text)
            row_no = frame.columns.index(REJECT_COLUMNS[1])
            for r, values in enumerate(frame.iter_rows(), start=1):
                for c, v in enumerate(values):
                    if v is not None:
                        cells.write_cell(r, c, int(v) if c == row_no else v)
            ws.freeze_panes(1, 0)
            total += frame.height
        cells = tables.SheetWriter(wb, wb.add_worksheet(UNKNOWN_COLUMNS_SHEET))
        cells.write(["工作表", "未识别的列", "说明"], bold)
        for sheet, headers in result.unknown_columns.items():
            for h in headers:
                cells.write([sheet, h, "表头未能识别，该列未导入 / header not understood, column not imported"])
    finally:
        wb.close()
    return total


# --- writing -------------------------------------------------------------------------------------

def exchange_frame(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """A canonical frame as the exchange sheet shows it: Chinese headers, 是/否, dates YYYY-MM-DD."""
    out = []
    for f in S.fields(table):
        c = pl.col(f.name) if f.name in frame.columns else pl.lit(None, dtype=S.dtype(f))
        if f.kind == "yesno":
            c = pl.when(c).then(pl.lit("是")).when(~c).then(pl.lit("否"))
        elif f.kind == "date":
            c = c.dt.strftime("%Y-%m-%d")
        out.append(c.alias(f.zh))
    return frame.select(out)


def canonical(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Exactly the canonical columns of ``table`` (Parquet exchange: English names, typed)."""
    target = {f.name: S.dtype(f) for f in S.fields(table)}
    return frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                         for c, t in target.items()])


def workbook_sheets(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Sheet name -> exchange frame, for tables written into a registry workbook."""
    return {S.SHEET_NAMES[t][0]: exchange_frame(f, t) for t, f in frames.items()}


def write_folder(out, frames: Mapping[str, pl.DataFrame]) -> None:
    """Assistance tables into a CSV folder (Chinese headers, UTF-8 with BOM) or, when ``out``
    ends in .parquet, a Parquet folder (English names, typed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parquet = out.name.lower().endswith(".parquet")
    for table, frame in frames.items():
        name = S.SHEET_NAMES[table][1]
        if parquet:
            canonical(frame, table).write_parquet(out / f"{name}.parquet")
        else:
            tables.write_csv(exchange_frame(frame, table), out / f"{name}.csv", bom=True)


def write_workbook(out, frames: Mapping[str, pl.DataFrame]) -> Path:
    """Assistance tables as a workbook of their own (Chinese sheet names and headers)."""
    return tables.write_sheets(out, workbook_sheets(frames))
