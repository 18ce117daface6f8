"""Shock files in (assistance.md 1.12 冲击事件, 1.13 受灾户, section 2): rows parsed, or returned
with their reasons; and the rejects workbook.

An .xlsx holds either sheet or both, found by its name (Chinese or English) or, failing that, by
its header; a .csv holds one, told apart by its header (a 户编号 column: 受灾户). Headers are the
Chinese names or the field names. The workbook is checked before it is opened
(:mod:`fupin.io.limits` through :func:`containers.open_workbook`), each sheet loaded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fupin.engine import schema
from fupin.engine.shocks import EVENT_TYPES, IMPACT_TYPES
from fupin.io import tables
from fupin.io.assistance import parse_date
from fupin.io.codes import REJECT_COLUMNS
from fupin.io.containers import (
    _shape_sheet,
    load_grid,
    open_workbook,
    peek_grid,
    read_csv,
    read_parquet,
)
from fupin.io.errors import ExchangeFormatError
from fupin.io.ledger import reject_frame
from fupin.io.parse import parse_money

EVENTS, HOUSEHOLDS = "shocks", "shock_households"
SHEET_NAMES = {EVENTS: "冲击事件", HOUSEHOLDS: "受灾户"}
FIELDS = {
    EVENTS: {"event_id": "事件编号", "name": "名称", "type": "类型", "regions": "区划范围",
             "start_date": "开始日期", "end_date": "结束日期"},
    HOUSEHOLDS: {"event_id": "事件编号", "household_id": "户编号", "impacts": "影响类型", "loss": "损失金额",
                 "verified_on": "核实日期"},
}
REQUIRED = {EVENTS: ("event_id", "name", "type", "regions", "start_date"),
            HOUSEHOLDS: ("event_id", "household_id")}
TEXT_LIMITS = {"event_id": 64, "name": 200, "household_id": 64, "regions": 2000}
PREFIX_LENGTHS = (2, 4, 6, 9, 12)
ERROR_SCHEMA = {"_sheet": pl.String, "_row": pl.Int64, "column": pl.String, "value": pl.String,
                "message_zh": pl.String, "message_en": pl.String}


@dataclass
class ShockFile:
    events: pl.DataFrame          # _sheet, _row, event_id, name, type, regions (";"-joined), start_date, end_date
    households: pl.DataFrame      # _sheet, _row, event_id, household_id, impacts ("、"-joined), loss, verified_on
    raw: dict[str, pl.DataFrame] = field(default_factory=dict)     # table -> rows as read
    errors: dict[str, pl.DataFrame] = field(default_factory=dict)  # table -> row errors (ERROR_SCHEMA)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(e.select("_sheet", "_row").unique().height for e in self.errors.values())


def _index(table: str) -> dict[str, str]:
    return {schema.normalize_header(h): name for name, zh in FIELDS[table].items() for h in (name, zh)}


def _table_of_headers(headers: list[str]) -> str | None:
    normalized = {schema.normalize_header(h) for h in headers}
    if not {"事件编号", "event_id"} & normalized:  # a registry or ledger sheet with 户编号 is not ours
        return None
    return HOUSEHOLDS if {"户编号", "household_id"} & normalized else EVENTS


def _table_of_sheet(name: str) -> str | None:
    key = schema.normalize_header(name)
    for table, zh in SHEET_NAMES.items():
        if key in (schema.normalize_header(table), schema.normalize_header(zh)):
            return table
    return None


def read_frames(path) -> dict[str, pl.DataFrame]:
    """Each table's rows as strings under their headers, plus ``_sheet``/``_row``."""
    path = Path(path)
    if not path.exists():
        raise ExchangeFormatError(f"找不到文件“{path}”。", f"file '{path}' not found")
    suffix = path.suffix.lower()
    known = set(_index(EVENTS)) | set(_index(HOUSEHOLDS))
    out: dict[str, pl.DataFrame] = {}
    if path.is_dir():
        out = _read_folder(path)
    elif suffix == ".xlsx":
        scan, reader = open_workbook(path)
        # Sheets named 冲击事件 / 受灾户 first, then any other sheet by its header.
        names = sorted(reader.sheet_names, key=lambda name: _table_of_sheet(name) is None)
        for name in names:
            table = _table_of_sheet(name)
            if table is None:
                top, cols = peek_grid(scan, name, reader)
                _f, headers, _e, _h, _a = _shape_sheet(top, name, cols, known)
                table = _table_of_headers(headers)
            if table is None or table in out:
                continue
            grid, cols = load_grid(reader, path, name)
            out[table] = _shape_sheet(grid, name, cols, known)[0]
    elif suffix in (".csv", ".txt"):
        frame = read_csv(path, kind="ledger").frame
        table = _table_of_headers(frame.columns)
        if table is not None:
            out[table] = frame
    else:
        raise ExchangeFormatError(f"文件“{path.name}”的类型不支持：请提供 .xlsx 或 .csv 文件。",
                                  f"file '{path.name}': unsupported type; give an .xlsx or .csv file")
    if not out:
        raise ExchangeFormatError(
            f"文件“{path.name}”中没有“冲击事件”或“受灾户”表（表头须含 事件编号）。",
            f"file '{path.name}' has no 冲击事件 (shocks) or 受灾户 (shock_households) sheet (the header needs 事件编号)")
    return out


def _read_folder(folder: Path) -> dict[str, pl.DataFrame]:
    """A CSV or Parquet folder (section 2.1): ``shocks`` / ``shock_households`` files by their
    English or Chinese names; other files are the registry's or the ledger's."""
    out: dict[str, pl.DataFrame] = {}
    for p in sorted(folder.iterdir()):
        suffix = next((s for s in (".csv", ".parquet") if p.name.lower().endswith(s)), None)
        table = _table_of_sheet(p.name[: -len(suffix)]) if suffix else None
        if table is None or table in out:
            continue
        if suffix == ".csv":
            out[table] = read_csv(p, kind="ledger").frame
            continue
        frame = read_parquet(p)
        headers = list(frame.columns)
        out[table] = frame.select([
            pl.col(c).dt.strftime("%Y-%m-%d") if frame.schema[c] in (pl.Date, pl.Datetime) else pl.col(c).cast(pl.String)
            for c in headers
        ]).with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64), _sheet=pl.lit(p.name))
    return out


def _text(frame: pl.DataFrame, header_of: dict[str, str], f: str) -> pl.Expr:
    if f not in header_of:
        return pl.lit(None, dtype=pl.String)
    e = pl.col(header_of[f]).cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")
    return pl.when(e != "").then(e)


def _check(table: str, header_of: dict[str, str], f: str, bad: pl.Expr, zh, en) -> pl.Expr:
    as_expr = (lambda v: pl.lit(v) if isinstance(v, str) else v)
    value = pl.col(header_of[f]).cast(pl.String) if f in header_of else pl.lit(None, dtype=pl.String)
    return pl.when(bad.fill_null(False)).then(pl.struct(
        column=pl.lit(FIELDS[table][f]), value=value, message_zh=as_expr(zh), message_en=as_expr(en)))


def _map(frame: pl.DataFrame, table: str, unknown: list[str]) -> dict[str, str]:
    index = _index(table)
    ignored = {schema.normalize_header(r) for r in REJECT_COLUMNS}
    headers = [c for c in frame.columns if c not in ("_sheet", "_row")]
    mapped = {h: index[schema.normalize_header(h)] for h in headers if schema.normalize_header(h) in index}
    unknown.extend(h for h in headers if h not in mapped and schema.normalize_header(h) not in ignored)
    missing = [f for f in REQUIRED[table] if f not in mapped.values()]
    if missing:
        names = "、".join(FIELDS[table][f] for f in missing)
        raise ExchangeFormatError(f"“{SHEET_NAMES[table]}”表缺少列：{names}",
                                  f"the {table} sheet lacks the columns: {', '.join(missing)}")
    return {v: k for k, v in mapped.items()}


def _split(s: pl.Expr) -> pl.Expr:
    return s.fill_null("").str.replace_all(r"[、,，;；/\s]+", ";").str.strip_chars(";").str.split(";")


def _parse_events(frame: pl.DataFrame, unknown: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = _map(frame, EVENTS, unknown)
    t = {f: _text(frame, h, f) for f in FIELDS[EVENTS]}
    start, start_error = parse_date(t["start_date"])
    end, end_error = parse_date(t["end_date"])
    prefixes = _split(t["regions"])
    bad_prefix = prefixes.list.eval(
        ~pl.element().str.contains(r"^\d+$") | ~pl.element().str.len_chars().is_in(list(PREFIX_LENGTHS))).list.any()
    typed = frame.with_columns(
        _event_id=t["event_id"], _name=t["name"], _type=t["type"], _regions=prefixes.list.join(";"),
        _start_date=start, _end_date=end,
    )

    def check(f, bad, zh, en):
        return _check(EVENTS, h, f, bad, zh, en)

    rules = [
        *[check(f, t[f].is_null(), f"{FIELDS[EVENTS][f]}不能为空", f"{f} is empty") for f in REQUIRED[EVENTS]],
        check("type", t["type"].is_not_null() & ~t["type"].is_in(EVENT_TYPES),
              pl.format("类型无效：{}，可选：{}", t["type"], pl.lit("、".join(EVENT_TYPES))),
              pl.format("unknown event type: {}", t["type"])),
        check("regions", t["regions"].is_not_null() & bad_prefix,
              "区划范围须为 2、4、6、9 或 12 位区划代码，以 ; 分隔",
              "区划范围 must be division-code prefixes of 2, 4, 6, 9 or 12 digits separated by ;"),
        check("start_date", start_error.is_not_null(), pl.format("开始日期无效：{}", t["start_date"]),
              pl.format("start date is not a date: {}", t["start_date"])),
        check("end_date", end_error.is_not_null(), pl.format("结束日期无效：{}", t["end_date"]),
              pl.format("end date is not a date: {}", t["end_date"])),
        check("end_date", end < start, "结束日期早于开始日期", "the end date is before the start date"),
        *[check(f, (t[f].str.len_chars() > n), f"{FIELDS[EVENTS][f]}不能超过 {n} 个字", f"{f} longer than {n} characters")
          for f, n in TEXT_LIMITS.items() if f in FIELDS[EVENTS]],
    ]
    return _split_good(typed, rules, ["event_id", "name", "type", "regions", "start_date", "end_date"], "event_id",
                       EVENTS, h)


def _parse_households(frame: pl.DataFrame, unknown: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = _map(frame, HOUSEHOLDS, unknown)
    t = {f: _text(frame, h, f) for f in FIELDS[HOUSEHOLDS]}
    loss, loss_error = parse_money(t["loss"])
    verified, verified_error = parse_date(t["verified_on"])
    impacts = _split(t["impacts"]).list.filter(pl.element() != "")
    bad_impact = impacts.list.eval(~pl.element().is_in(IMPACT_TYPES)).list.any()
    typed = frame.with_columns(
        _event_id=t["event_id"], _household_id=t["household_id"], _impacts=impacts.list.join("、"),
        _loss=loss.fill_null(0).cast(pl.Float64), _verified_on=verified,
    )

    def check(f, bad, zh, en):
        return _check(HOUSEHOLDS, h, f, bad, zh, en)

    rules = [
        *[check(f, t[f].is_null(), f"{FIELDS[HOUSEHOLDS][f]}不能为空", f"{f} is empty")
          for f in REQUIRED[HOUSEHOLDS]],
        check("impacts", bad_impact, pl.format("影响类型无效：{}，可选：{}", t["impacts"], pl.lit("、".join(IMPACT_TYPES))),
              pl.format("unknown impact type: {}", t["impacts"])),
        check("loss", loss_error.is_not_null(), pl.format("损失金额应为不小于 0 的金额：{}", t["loss"]),
              pl.format("loss must be a non-negative amount: {}", t["loss"])),
        check("verified_on", verified_error.is_not_null(), pl.format("核实日期无效：{}", t["verified_on"]),
              pl.format("verification date is not a date: {}", t["verified_on"])),
        *[check(f, (t[f].str.len_chars() > n), f"{FIELDS[HOUSEHOLDS][f]}不能超过 {n} 个字",
                f"{f} longer than {n} characters") for f, n in TEXT_LIMITS.items() if f in FIELDS[HOUSEHOLDS]],
    ]
    return _split_good(typed, rules, ["event_id", "household_id", "impacts", "loss", "verified_on"],
                       ["event_id", "household_id"], HOUSEHOLDS, h)


def _split_good(typed: pl.DataFrame, rules: list[pl.Expr], fields: list[str], key, table: str,
                header_of: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    errors = (typed.select("_sheet", pl.col("_row").cast(pl.Int64), pl.concat_list(rules).list.drop_nulls().alias("_e"))
              .explode("_e").drop_nulls("_e").unnest("_e"))
    keys = [key] if isinstance(key, str) else key
    good = typed.join(errors.select("_sheet", "_row").unique(), on=["_sheet", "_row"], how="anti")
    # A key twice in one file: the later row is refused (which one holds is not for us to guess).
    repeated = good.filter(pl.struct([f"_{k}" for k in keys]).is_duplicated()
                           & ~pl.struct([f"_{k}" for k in keys]).is_first_distinct())
    first = keys[0]
    dup_errors = repeated.select(
        "_sheet", pl.col("_row").cast(pl.Int64), column=pl.lit(FIELDS[table][first]),
        value=pl.col(f"_{first}"), message_zh=pl.lit(f"{'、'.join(FIELDS[table][k] for k in keys)}在文件中重复，后一行未导入"),
        message_en=pl.lit(f"{', '.join(keys)} repeated in the file; the later row is not loaded"))
    errors = pl.concat([errors.select(list(ERROR_SCHEMA)).cast(ERROR_SCHEMA), dup_errors.cast(ERROR_SCHEMA)])
    good = good.join(repeated.select("_sheet", "_row"), on=["_sheet", "_row"], how="anti")
    return good.select("_sheet", "_row", *[pl.col(f"_{f}").alias(f) for f in fields]), errors


def parse(frames: dict[str, pl.DataFrame]) -> ShockFile:
    unknown: list[str] = []
    empty_events = pl.DataFrame(schema={"_sheet": pl.String, "_row": pl.Int64, "event_id": pl.String,
                                        "name": pl.String, "type": pl.String, "regions": pl.String,
                                        "start_date": pl.Date, "end_date": pl.Date})
    empty_households = pl.DataFrame(schema={"_sheet": pl.String, "_row": pl.Int64, "event_id": pl.String,
                                            "household_id": pl.String, "impacts": pl.String, "loss": pl.Float64,
                                            "verified_on": pl.Date})
    out = ShockFile(empty_events, empty_households, dict(frames), unknown_columns=unknown)
    if EVENTS in frames:
        out.events, out.errors[EVENTS] = _parse_events(frames[EVENTS], unknown)
    if HOUSEHOLDS in frames:
        out.households, out.errors[HOUSEHOLDS] = _parse_households(frames[HOUSEHOLDS], unknown)
    return out


def read_shocks(path) -> ShockFile:
    return parse(read_frames(path))


def write_rejects(shock_file: ShockFile, path) -> int:
    """The rejected rows as they were, with why (one sheet per table): fix them and import again."""
    sheets, styles = {}, {}
    for table, errors in shock_file.errors.items():
        if errors.height == 0:
            continue
        frame = reject_frame(shock_file.raw[table], errors)
        sheets[SHEET_NAMES[table]] = frame
        n = len(frame.columns) - len(REJECT_COLUMNS)
        styles[SHEET_NAMES[table]] = ["bold"] * n + ["note"] * len(REJECT_COLUMNS)
    if not sheets:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tables.write_frames_xlsx(path, sheets, header_styles=styles)
    return sum(f.height for f in sheets.values())


def exchange_frames(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Sheet name -> the table as its exchange sheet shows it (Chinese headers, dates YYYY-MM-DD),
    for ``frames`` keyed ``shocks`` / ``shock_households`` with the field names of :data:`FIELDS`."""
    out = {}
    for table, frame in frames.items():
        out[SHEET_NAMES[table]] = frame.select([
            (pl.col(f).dt.strftime("%Y-%m-%d") if frame.schema[f] == pl.Date else pl.col(f)).alias(zh)
            for f, zh in FIELDS[table].items()])
    return out


def write_folder(out, frames: dict[str, pl.DataFrame]) -> None:
    """The tables into a CSV folder (``shocks.csv`` …, Chinese headers, UTF-8 with BOM) or, when
    ``out`` ends in .parquet, a Parquet folder (English names, typed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parquet = out.name.lower().endswith(".parquet")
    sheets = exchange_frames(frames)
    for table, frame in frames.items():
        if parquet:
            frame.select(list(FIELDS[table])).write_parquet(out / f"{table}.parquet")
        else:
            tables.write_csv(sheets[SHEET_NAMES[table]].select(pl.all().cast(pl.String)), out / f"{table}.csv", bom=True)
