"""Files of the third-party assessment (spec part C): the sample, the surveyors' field forms, the
field results read back with their rejects.

The field form is the results file: one sheet per village with the sampled households and empty
columns under the headers of C.3, so a surveyor fills in the form and the office uploads it as it
is. Reading goes through the same bounded readers as the registry (:mod:`fupin.io.containers`,
:mod:`fupin.io.limits`); a row that cannot be used comes back with its row, column, value and
reason. No ID numbers or phones are ever written to a form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fupin.engine import schema
from fupin.engine.rules import INDICATORS, label
from fupin.engine.sampling import STRATUM_LABELS
from fupin.io import tables
from fupin.io.containers import (
    _shape_sheet,
    load_grid,
    open_workbook,
    peek_grid,
    read_csv,
    read_parquet,
)
from fupin.io.errors import ExchangeFormatError
from fupin.io.report import Column, Heading, Sheet, write_report

# C.3: field, 中文 header.
RESULT_FIELDS = (
    ("household_id", "户编号"), ("visit_status", "入户状态"), ("people", "实有人口"),
    ("wrong_exit", "是否错退"), ("wrong_exit_reasons", "错退原因"), ("missed", "是否漏评"),
    ("unregistered_members", "户内未纳入人口"), ("missed_members", "其中应纳未纳"),
    ("approval", "是否认可"), ("surveyor", "调查员"), ("visited_on", "调查日期"),
)
VISIT_STATUSES = {"完成": "completed", "未找到": "not_reached", "拒访": "refused",
                  "completed": "completed", "not_reached": "not_reached", "refused": "refused"}
REJECT_COLUMNS = ("sheet", "row", "column", "value", "reason")

SAMPLE_SHEETS = ("strata", "cells", "households")
SAMPLE_TITLES = {"strata": "分层与抽中村数", "cells": "抽中村各类户", "households": "样本户（正选与备选）"}


@dataclass
class FieldResults:
    rows: pl.DataFrame       # accepted rows, typed (household_id … visited_on) + household_stratum, role
    rejects: pl.DataFrame    # sheet, row, column, value, reason
    warnings: list[str]


def _header_index() -> dict[str, str]:
    index = {}
    for name, zh in RESULT_FIELDS:
        index[schema.normalize_header(zh)] = name
        index[schema.normalize_header(name)] = name
    return index


def _raw_frames(path: Path) -> list[pl.DataFrame]:
    """Every sheet (xlsx) or the file (csv, parquet) as strings under its headers, with _sheet/_row."""
    known = set(_header_index())
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        scan, reader = open_workbook(path)
        frames = []
        for name in reader.sheet_names:
            top, cols = peek_grid(scan, name, reader)
            _f, headers, _e, _h, _a = _shape_sheet(top, name, cols, known)
            if not any(schema.normalize_header(h) in known for h in headers):
                continue
            grid, cols = load_grid(reader, path, name)
            frame, _headers, _extra, _h, _abs = _shape_sheet(grid, name, cols, known)
            frames.append(frame)
        return frames
    if suffix in (".csv", ".txt"):
        return [read_csv(path).frame]
    if suffix == ".parquet":
        frame = read_parquet(path)
        return [frame.select(pl.all().cast(pl.String)).with_row_index("_row", offset=2).with_columns(
            pl.col("_row").cast(pl.Int64), pl.lit(path.name).alias("_sheet"))]
    raise ExchangeFormatError(f"调查结果文件应为 .xlsx、.csv 或 .parquet：{path.name}",
                              f"the results file must be .xlsx, .csv or .parquet: {path.name}")


def read_results(path, sample_households: pl.DataFrame) -> FieldResults:
    """The field results checked against the sample (C.3); ``sample_households`` has
    household_id, household_stratum, village_code, household_rank, role."""
    path = Path(path)
    if not path.is_file():
        raise ExchangeFormatError(f"找不到文件 {path}", f"file {path} not found")
    index = _header_index()
    parts = []
    for frame in _raw_frames(path):
        rename = {}
        for col in frame.columns:
            name = index.get(schema.normalize_header(col)) if not col.startswith("_") else None
            if name and name not in rename.values():
                rename[col] = name
        frame = frame.select("_sheet", "_row", *[pl.col(c).cast(pl.String).alias(n) for c, n in rename.items()])
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(f) for f, _zh in RESULT_FIELDS
                                    if f not in frame.columns])
        parts.append(frame.select("_sheet", "_row", *[f for f, _ in RESULT_FIELDS]))
    if not parts:
        raise ExchangeFormatError(f"文件 {path.name} 中没有找到“户编号”“入户状态”等表头",
                                  f"no 户编号/入户状态 header found in {path.name}")
    raw = pl.concat(parts).with_columns(
        [pl.col(f).str.strip_chars().replace("", None) for f, _ in RESULT_FIELDS])
    # A filled-in form still lists the households nobody visited: a row without 入户状态 is not a result.
    others = pl.any_horizontal([pl.col(f).is_not_null() for f, _ in RESULT_FIELDS if f != "household_id"])
    raw = raw.filter(pl.col("visit_status").is_not_null() | (pl.col("household_id").is_null() & others))
    return _validate(raw, sample_households)


def _yesno(col: str) -> tuple[pl.Expr, pl.Expr]:
    t = pl.col(col).str.to_lowercase()
    value = pl.when(t.is_in(list(schema.YES_WORDS))).then(True).when(t.is_in(list(schema.NO_WORDS))).then(False)
    bad = pl.col(col).is_not_null() & value.is_null()
    return value, bad


def _int(col: str) -> tuple[pl.Expr, pl.Expr]:
    value = pl.col(col).str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    return value, pl.col(col).is_not_null() & value.is_null()


def _reason_keys() -> dict[str, str]:
    keys = {k: k for k in INDICATORS}
    keys.update({label("indicator", k): k for k in INDICATORS})
    return keys


def _validate(raw: pl.DataFrame, sample: pl.DataFrame) -> FieldResults:
    s = sample.select("household_id", "household_stratum", "village_code", "household_rank", "role")
    x = raw.join(s, on="household_id", how="left")
    status = pl.col("visit_status").replace_strict(VISIT_STATUSES, default=None, return_dtype=pl.String)
    completed = status == "completed"
    people, people_bad = _int("people")
    unreg, unreg_bad = _int("unregistered_members")
    missed_m, missed_m_bad = _int("missed_members")
    wrong, wrong_bad = _yesno("wrong_exit")
    missed, missed_bad = _yesno("missed")
    approval, approval_bad = _yesno("approval")
    visited, visited_bad = (pl.col("visited_on").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
                            None)
    visited_bad = pl.col("visited_on").is_not_null() & visited.is_null()
    reasons_ok = pl.col("wrong_exit_reasons").str.split(";").list.eval(
        pl.element().str.strip_chars().is_in(list(_reason_keys()))).list.all()
    x = x.with_columns(
        _status=status, _completed=completed.fill_null(False), _people=people, _unreg=unreg, _missed_m=missed_m,
        _wrong=wrong, _missed=missed, _approval=approval, _visited=visited,
        _dup=pl.col("household_id").is_duplicated() & pl.col("household_id").is_not_null(),
    )
    c = pl.col
    exited = c("household_stratum") == "exited"
    general = c("household_stratum") == "general"
    registered = c("household_stratum").is_in(["exited", "poor"])
    checks: list[tuple[str, pl.Expr, str]] = [
        ("household_id", c("household_id").is_null(), "户编号为空 (empty household id)"),
        ("household_id", c("household_id").is_not_null() & c("household_stratum").is_null(), "不在样本中 (not in the sample)"),
        ("household_id", c("_dup"), "同一户出现多次 (household listed twice)"),
        ("visit_status", c("visit_status").is_null() | c("_status").is_null(),
         "入户状态应为 完成、未找到 或 拒访 (visit status must be 完成/未找到/拒访)"),
        ("people", people_bad | (c("_people") < 1).fill_null(False), "实有人口应为不小于1的整数 (people must be an integer ≥ 1)"),
        ("people", c("_completed") & c("people").is_null(), "入户完成的必须填写实有人口 (people required when completed)"),
        ("wrong_exit", wrong_bad, "是否错退应为 是 或 否 (yes or no)"),
        ("wrong_exit", c("_completed") & exited & c("wrong_exit").is_null(),
         "已脱贫户入户完成的必须填写是否错退 (required for a completed exited household)"),
        ("wrong_exit", ~exited.fill_null(False) & c("wrong_exit").is_not_null(), "只有已脱贫户填写是否错退 (exited households only)"),
        ("wrong_exit_reasons", c("_wrong").fill_null(False) & c("wrong_exit_reasons").is_null(),
         "错退的必须填写错退原因 (reasons required when 是)"),
        ("wrong_exit_reasons", c("wrong_exit_reasons").is_not_null() & ~reasons_ok.fill_null(False),
         f"错退原因应为 {'、'.join(INDICATORS)} 之一，多个用;分隔 (rules.md section 1 keys)"),
        ("wrong_exit_reasons", c("wrong_exit_reasons").is_not_null() & ~c("_wrong").fill_null(False),
         "未错退的不填错退原因 (reasons only when 是)"),
        ("missed", missed_bad, "是否漏评应为 是 或 否 (yes or no)"),
        ("missed", c("_completed") & general & c("missed").is_null(),
         "一般农户入户完成的必须填写是否漏评 (required for a completed general household)"),
        ("missed", ~general.fill_null(False) & c("missed").is_not_null(), "只有一般农户填写是否漏评 (general households only)"),
        ("unregistered_members", unreg_bad | (c("_unreg") < 0).fill_null(False), "应为不小于0的整数 (integer ≥ 0)"),
        ("unregistered_members", ~registered.fill_null(False) & c("unregistered_members").is_not_null(),
         "只有建档立卡户填写户内未纳入人口 (registered households only)"),
        ("missed_members", missed_m_bad | (c("_missed_m") < 0).fill_null(False), "应为不小于0的整数 (integer ≥ 0)"),
        ("missed_members", ~registered.fill_null(False) & c("missed_members").is_not_null(),
         "只有建档立卡户填写其中应纳未纳 (registered households only)"),
        ("missed_members", (c("_missed_m") > c("_unreg").fill_null(0)).fill_null(False),
         "应纳未纳人数不能多于户内未纳入人口 (missed ≤ unregistered)"),
        ("approval", approval_bad, "是否认可应为 是 或 否，未回答留空 (yes or no; empty = not answered)"),
        ("visited_on", visited_bad, "调查日期格式应为 YYYY-MM-DD (date)"),
    ]
    issue_frames = []
    for column, bad, reason in checks:
        issue_frames.append(x.filter(bad.fill_null(False)).select(
            pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), pl.lit(column).alias("column"),
            pl.col(column).cast(pl.String).alias("value"), pl.lit(reason).alias("reason")))
    rejects = pl.concat(issue_frames).sort("sheet", "row", maintain_order=True)
    bad_rows = rejects.select("sheet", "row").unique()
    good = x.join(bad_rows, left_on=["_sheet", "_row"], right_on=["sheet", "row"], how="anti")
    rows = good.select(
        "household_id", "village_code", "household_stratum", "household_rank", "role",
        pl.col("_status").alias("visit_status"), pl.col("_people").alias("people"),
        pl.col("_wrong").alias("wrong_exit"), "wrong_exit_reasons", pl.col("_missed").alias("missed"),
        pl.col("_unreg").alias("unregistered_members"), pl.col("_missed_m").alias("missed_members"),
        pl.col("_approval").alias("approval"), "surveyor", pl.col("_visited").alias("visited_on"),
    )
    return FieldResults(rows, rejects, _reserve_warnings(rows, sample))


def _reserve_warnings(rows: pl.DataFrame, sample: pl.DataFrame) -> list[str]:
    """A reserve completed while a household ranked before it in its cell has no result."""
    visited = sample.join(rows.select("household_id", pl.lit(True).alias("_seen")), on="household_id", how="left")
    first_unvisited = visited.filter(pl.col("_seen").is_null()).group_by("village_code", "household_stratum").agg(
        pl.col("household_rank").min().alias("_gap"))
    late = rows.filter((pl.col("role") == "reserve") & (pl.col("visit_status") == "completed")).join(
        first_unvisited, on=["village_code", "household_stratum"]).filter(pl.col("household_rank") > pl.col("_gap"))
    return [f"备选户 {h} 已完成调查，但同组排序在前的户尚未走访 (reserve used before a higher-ranked household was visited)"
            for h in late.sort("household_id")["household_id"].to_list()]


# --- the sample file --------------------------------------------------------------------------

SAMPLE_COLUMNS = {
    "strata": [Column("sample_id", "样本编号"), Column("seed", "随机种子", "code"), Column("year", "年度", "year"),
               Column("region", "区划", "code"), Column("purpose", "评估类型"), Column("frame_digest", "抽样框摘要"),
               Column("village_stratum", "村层"), Column("villages_in_stratum", "层内村数", "count", True),
               Column("villages_selected", "抽中村数", "count", True), Column("exited_since", "脱贫年度起", "year")],
    "cells": [Column("village_code", "村代码", "code"), Column("village_name", "村名"),
              Column("village_rank", "村抽样顺序", "count"), Column("household_stratum", "户类别"),
              Column("frame_households", "抽样框户数", "count", True), Column("allocated", "应抽户数", "count", True),
              Column("reserves", "备选户数", "count", True), Column("village_stratum", "村层")],
    "households": [Column("village_code", "村代码", "code"), Column("household_stratum", "户类别"),
                   Column("household_id", "户编号", "code"), Column("head_name", "户主姓名"), Column("hamlet", "自然村"),
                   Column("household_rank", "抽样顺序", "count"), Column("role", "正选/备选"),
                   Column("population", "人口", "count", True), Column("exit_year", "脱贫年度", "year")],
}


def write_sample(strata: pl.DataFrame, cells: pl.DataFrame, households: pl.DataFrame, out, heading: Heading,
                 *, fmt: str = "csv") -> Path:
    """The sample as .xlsx (sheets strata, cells, households) or, for any other ``out``, a folder
    of three ``fmt`` files (csv or parquet) with English keys."""
    out = Path(out)
    frames = {"strata": strata, "cells": cells, "households": households}
    if out.suffix.lower() == ".xlsx":
        return write_report(out, [Sheet(name, frames[name], SAMPLE_COLUMNS[name],
                                        title=f"第三方评估抽样：{SAMPLE_TITLES[name]}", totals=name != "households")
                                  for name in SAMPLE_SHEETS], heading)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if fmt == "parquet":
            frame.write_parquet(out / f"{name}.parquet")
        else:
            tables.write_csv(frame, out / f"{name}.csv")
    return out


def read_sample(path) -> dict[str, pl.DataFrame]:
    """The three tables of a sample written by :func:`write_sample`."""
    path = Path(path)
    if not path.exists():
        raise ExchangeFormatError(f"找不到样本文件 {path}", f"sample file {path} not found")
    keys = {c.header: c.key for cols in SAMPLE_COLUMNS.values() for c in cols}
    out: dict[str, pl.DataFrame] = {}
    if path.is_file() and path.suffix.lower() == ".xlsx":
        _scan, reader = open_workbook(path)
        for name in SAMPLE_SHEETS:
            if name not in reader.sheet_names:
                raise ExchangeFormatError(f"样本文件缺少工作表 {name}", f"the sample file has no sheet {name}")
            grid, cols = load_grid(reader, path, name)
            known = {schema.normalize_header(c.header) for c in SAMPLE_COLUMNS[name]}
            frame, _h, _e, _i, _a = _shape_sheet(grid, name, cols, known)
            frame = frame.rename({c: keys[c] for c in frame.columns if c in keys})
            if name != "households":  # the 合计 row
                first = SAMPLE_COLUMNS[name][0].key
                frame = frame.filter(pl.col(first).is_not_null() & (pl.col(first) != "合计"))
            out[name] = frame.drop("_sheet", "_row", strict=False)
    else:
        folder = path
        for name in SAMPLE_SHEETS:
            csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
            if parquet.exists():
                out[name] = read_parquet(parquet).select(pl.all().cast(pl.String))
            elif csv.exists():
                out[name] = pl.read_csv(csv, infer_schema=False)
            else:
                raise ExchangeFormatError(f"样本文件夹 {folder} 缺少 {name}", f"sample folder {folder} has no {name}")
    ints = ("villages_in_stratum", "villages_selected", "year", "exited_since", "village_rank", "frame_households", "allocated",
            "reserves", "household_rank", "population", "exit_year")
    return {n: f.with_columns([pl.col(c).cast(pl.Float64, strict=False).cast(pl.Int64) for c in ints
                               if c in f.columns]) for n, f in out.items()}


# --- field forms ------------------------------------------------------------------------------

def write_field_forms(out, households: pl.DataFrame, cells: pl.DataFrame, heading: Heading) -> Path:
    """One sheet per selected village for the surveyors: the sampled households (primaries, then
    reserves, by rank) and empty columns under the results headers. No ID numbers or phones."""
    names = dict(cells.select("village_code", "village_name").unique("village_code").iter_rows())
    columns = [Column("household_id", "户编号", "code"), Column("head_name", "户主姓名"), Column("hamlet", "自然村"),
               Column("stratum_label", "户类别"), Column("role_label", "正选/备选"),
               Column("household_rank", "抽样顺序", "count"), Column("population", "人口", "count"),
               Column("exit_year", "脱贫年度", "year"),
               *[Column(f, zh, width=10) for f, zh in RESULT_FIELDS if f != "household_id"]]
    sheets = []
    order = pl.col("household_stratum").replace_strict({"exited": 0, "poor": 1, "general": 2}, return_dtype=pl.Int8)
    for code in sorted(households["village_code"].unique().to_list()):
        rows = households.filter(pl.col("village_code") == code).with_columns(
            stratum_label=pl.col("household_stratum").replace_strict(STRATUM_LABELS, default=None),
            role_label=pl.when(pl.col("role") == "primary").then(pl.lit("正选")).otherwise(pl.lit("备选")),
            _o=order, _r=pl.col("role") != "primary",
        ).sort("_r", "_o", "household_rank")
        name = names.get(code) or ""
        sheets.append(Sheet(f"{code}"[:31], rows, columns, title=f"第三方评估入户调查表 {name} {code}".strip(),
                            totals=False,
                            notes=[("入户状态填 完成/未找到/拒访；是否错退只填已脱贫户，是否漏评只填一般农户；"
                                    "错退原因填指标：income food clothing education medical housing water（;分隔）"),
                                   "正选户未找到或拒访时，按抽样顺序依次启用同一户类别的备选户。"]))
    return write_report(out, sheets, heading)


def write_results_rejects(rejects: pl.DataFrame, out, heading: Heading) -> Path:
    columns = [Column("sheet", "工作表"), Column("row", "行号", "count"), Column("column", "列"),
               Column("value", "值"), Column("reason", "原因")]
    return write_report(out, [Sheet("退回", rejects, columns, title="调查结果退回行", totals=False)], heading)
