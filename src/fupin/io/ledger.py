"""Ledger workbooks in and out (supervision-analytics.md B.1, B.5): problems read from .xlsx or
.csv with their row errors, and the rejects workbook in the importer's layout.

Headers are the Chinese names of B.1 or the field names. The workbook is checked before it is
opened and only the sheet naming the most ledger columns is loaded (as the department lists are:
:mod:`fupin.io.containers`); a CSV in UTF-8 or GB18030 is read as the registry's CSVs are. Every
row either parses or comes back with its reasons, worded as B.5 words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from fupin.engine import schema
from fupin.io import tables
from fupin.io.codes import REJECT_COLUMNS
from fupin.io.containers import (
    _shape_sheet,
    load_grid,
    open_workbook,
    peek_grid,
    read_csv,
)
from fupin.io.errors import ExchangeFormatError
from fupin.io.parse import parse_region, parse_yesno
from fupin.io.report import Column, Heading, Sheet, write_report

SOURCES = {
    "inspection": "巡视巡察", "assessment": "成效考核", "supervision": "督查暗访", "audit": "审计",
    "discipline": "纪检监察", "third_party": "第三方评估", "self_check": "自查排查", "data_quality": "数据质量",
    "monitoring_overdue": "监测超期",
}
CATEGORIES = {
    "food_clothing": "吃穿不愁", "education": "义务教育", "medical": "基本医疗", "housing": "住房安全",
    "water": "饮水安全", "income": "收入", "targeting": "精准识别与退出", "funds": "资金项目", "conduct": "作风",
    "data": "数据质量", "monitoring": "防返贫监测", "other": "其他",
}
# B.1's columns a ledger file may carry: field → Chinese header.
FIELDS = {
    "problem_id": "问题编号", "year": "年度", "source": "问题来源", "source_ref": "来源文件",
    "region_code": "责任区划", "category": "问题类别", "description": "问题描述", "household_id": "户编号",
    "finding_code": "问题代码", "lead_id": "线索", "lead_unit": "牵头单位", "responsible_unit": "责任单位",
    "responsible_person": "责任人", "received_on": "交办日期", "immediate": "立行立改", "deadline": "整改时限",
}
REQUIRED = ("source", "region_code", "category", "description", "received_on")
TEXT_LIMITS = {"problem_id": 100, "source_ref": 200, "household_id": 64, "finding_code": 8, "lead_unit": 100,
               "responsible_unit": 100, "responsible_person": 64, "description": 4000}
SHEET = "问题"
# ID numbers (15/18), mobile phones, bank accounts (16–19 digits) never go into a description (B.1).
PII_PATTERN = r"(^|\D)(\d{17}[\dXx]|\d{15}|1[3-9]\d{9}|\d{16,19})(\D|$)"


@dataclass
class LedgerFile:
    rows: pl.DataFrame                    # parsed good rows (fields of FIELDS + _sheet, _row)
    raw: pl.DataFrame                     # every row as read (original headers + _sheet, _row)
    errors: pl.DataFrame                  # _sheet, _row, column, value, message_zh, message_en
    unknown_columns: list[str] = field(default_factory=list)


def _known() -> dict[str, str]:
    index = {}
    for name, zh in FIELDS.items():
        for h in (name, zh):
            index[schema.normalize_header(h)] = name
    return index


def _code_lookup(labels: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, zh in labels.items():
        out[key] = key
        out[zh] = key
    return out


def read_frame(path) -> pl.DataFrame:
    """The rows of a ledger file as strings under their headers, plus ``_sheet``/``_row``."""
    path = Path(path)
    suffix = path.suffix.lower()
    known = set(_known())
    if suffix == ".xlsx":
        scan, reader = open_workbook(path)
        best, best_score = None, -1
        for name in reader.sheet_names:
            top, cols = peek_grid(scan, name, reader)
            _frame, headers, _extra, _h, _abs = _shape_sheet(top, name, cols, known)
            score = sum(1 for h in headers if schema.normalize_header(h) in known)
            if score > best_score:
                best, best_score = name, score
        if best is None:
            raise ExchangeFormatError(f"文件“{path.name}”没有工作表。", f"file '{path.name}' has no sheet")
        grid, cols = load_grid(reader, path, best)
        frame, _headers, _extra, _h, _abs = _shape_sheet(grid, best, cols, known)
        return frame
    if suffix in (".csv", ".txt"):
        return read_csv(path, kind="ledger").frame
    raise ExchangeFormatError(f"文件“{path.name}”的类型不支持：请提供 .xlsx 或 .csv 文件。",
                              f"file '{path.name}': unsupported type; give an .xlsx or .csv file")


def _date(s: pl.Expr) -> pl.Expr:
    t = (s.str.strip_chars().str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
         .str.replace_all(r"[年月/.]", "-").str.replace(r"日$", ""))
    compact = t.str.contains(r"^\d{8}$")
    t = pl.when(compact).then(t.str.slice(0, 4) + "-" + t.str.slice(4, 2) + "-" + t.str.slice(6, 2)).otherwise(t)
    return t.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def parse(frame: pl.DataFrame) -> LedgerFile:
    """Rows with their errors (B.5's words); good rows typed."""
    index = _known()
    headers = [c for c in frame.columns if c not in ("_sheet", "_row")]
    mapped = {h: index[schema.normalize_header(h)] for h in headers if schema.normalize_header(h) in index}
    ignored = {schema.normalize_header(r) for r in REJECT_COLUMNS}
    unknown = [h for h in headers if h not in mapped and schema.normalize_header(h) not in ignored]
    missing = [f for f in REQUIRED if f not in mapped.values()]
    if missing:
        names = "、".join(FIELDS[f] for f in missing)
        raise ExchangeFormatError(f"问题清单缺少列：{names}", f"the ledger file lacks the columns: {', '.join(missing)}")
    header_of = {v: k for k, v in mapped.items()}
    text = {f: (pl.col(header_of[f]).cast(pl.String).str.strip_chars() if f in header_of
                else pl.lit(None, dtype=pl.String)) for f in FIELDS}
    text = {f: pl.when(e != "").then(e) for f, e in text.items()}
    region, region_error = parse_region(text["region_code"], lengths=(2, 4, 6, 9, 12))
    immediate, immediate_error = parse_yesno(text["immediate"])
    received, deadline = _date(text["received_on"]), _date(text["deadline"])
    year = text["year"].str.replace(r"\.0*$", "").cast(pl.Int32, strict=False)
    lead = text["lead_id"].str.replace(r"\.0*$", "").cast(pl.Int64, strict=False)
    typed = frame.with_columns(
        _problem_id=text["problem_id"],
        _source=text["source"].replace_strict(_code_lookup(SOURCES), default=None, return_dtype=pl.String),
        _category=text["category"].replace_strict(_code_lookup(CATEGORIES), default=None, return_dtype=pl.String),
        _region_code=region, _received_on=received, _deadline=deadline, _immediate=immediate, _year=year,
        _lead_id=lead, **{f"_{f}": text[f] for f in ("source_ref", "description", "household_id", "finding_code",
                                                       "lead_unit", "responsible_unit", "responsible_person")},
    )

    def col(f):
        return pl.col(header_of[f]) if f in header_of else pl.lit(None, dtype=pl.String)

    def check(f: str, bad: pl.Expr, zh: pl.Expr | str, en: pl.Expr | str) -> pl.Expr:
        as_expr = (lambda v: pl.lit(v) if isinstance(v, str) else v)
        return pl.when(bad).then(pl.struct(
            column=pl.lit(FIELDS[f]), value=col(f).cast(pl.String), message_zh=as_expr(zh), message_en=as_expr(en)))

    rules = [
        check("source", pl.col("_source").is_null(), pl.format("问题来源无效：{}", text["source"].fill_null("")),
              pl.format("unknown source: {}", text["source"].fill_null(""))),
        check("category", pl.col("_category").is_null(), pl.format("问题类别无效：{}", text["category"].fill_null("")),
              pl.format("unknown category: {}", text["category"].fill_null(""))),
        check("region_code", region_error.is_not_null() | text["region_code"].is_null(),
              pl.format("责任区划代码无效：{}", text["region_code"].fill_null("")),
              pl.format("bad region code: {}", text["region_code"].fill_null(""))),
        check("description", text["description"].is_null(), "问题描述不能为空", "the description is empty"),
        check("description", text["description"].str.contains(PII_PATTERN).fill_null(False),
              "问题描述中不得包含身份证号、电话或银行账号", "no ID number, phone or bank account in the description"),
        check("received_on", pl.col("_received_on").is_null(),
              pl.format("交办日期无效：{}", text["received_on"].fill_null("")),
              pl.format("received date missing or not a date: {}", text["received_on"].fill_null(""))),
        check("deadline", text["deadline"].is_not_null() & pl.col("_deadline").is_null(),
              pl.format("整改时限无效：{}", text["deadline"].fill_null("")),
              pl.format("deadline is not a date: {}", text["deadline"].fill_null(""))),
        check("deadline", (pl.col("_deadline") < pl.col("_received_on")).fill_null(False),
              "整改时限早于交办日期", "the deadline is before the received date"),
        check("immediate", immediate_error.is_not_null(), pl.format("立行立改应为 是/否：{}", text["immediate"]),
              pl.format("immediate must be yes/no: {}", text["immediate"])),
        check("year", text["year"].is_not_null() & pl.col("_year").is_null(),
              pl.format("年度无效：{}", text["year"].fill_null("")), pl.format("bad year: {}", text["year"].fill_null(""))),
        check("lead_id", text["lead_id"].is_not_null() & pl.col("_lead_id").is_null(),
              pl.format("线索编号无效：{}", text["lead_id"].fill_null("")),
              pl.format("bad lead number: {}", text["lead_id"].fill_null(""))),
        *[check(f, (text[f].str.len_chars() > n).fill_null(False), f"{FIELDS[f]}不能超过 {n} 个字",
                f"{f} longer than {n} characters") for f, n in TEXT_LIMITS.items()],
    ]
    errors = (typed.select("_sheet", "_row", pl.concat_list(rules).list.drop_nulls().alias("_e"))
              .explode("_e").drop_nulls("_e").unnest("_e"))
    bad = errors.select("_sheet", "_row").unique()
    good = typed.join(bad, on=["_sheet", "_row"], how="anti")
    rows = good.select(
        "_sheet", "_row", *[pl.col(f"_{f}").alias(f) for f in FIELDS],
    ).with_columns(year=pl.coalesce("year", pl.col("received_on").dt.year()).cast(pl.Int32),
                   immediate=pl.col("immediate").fill_null(False))
    return LedgerFile(rows, frame, errors, unknown)


def read_ledger(path) -> LedgerFile:
    return parse(read_frame(path))


def reject_frame(raw: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """Each rejected row as it was, then 原工作表, 原行号, 问题列, 问题值, 问题说明, Problem."""
    reasons = errors.group_by("_sheet", "_row", maintain_order=True).agg(
        pl.col("column").unique(maintain_order=True).str.join("；").alias(REJECT_COLUMNS[2]),
        pl.col("value").drop_nulls().unique(maintain_order=True).str.join("；").alias(REJECT_COLUMNS[3]),
        pl.col("message_zh").str.join("；").alias(REJECT_COLUMNS[4]),
        pl.col("message_en").str.join("; ").alias(REJECT_COLUMNS[5]),
    )
    ignored = {schema.normalize_header(r) for r in REJECT_COLUMNS}
    headers = [c for c in raw.columns if c not in ("_sheet", "_row") and schema.normalize_header(c) not in ignored]
    return (raw.join(reasons, on=["_sheet", "_row"], how="inner").sort("_sheet", "_row")
            .select(*[pl.col(h).cast(pl.String) for h in headers], pl.col("_sheet").alias(REJECT_COLUMNS[0]),
                    pl.col("_row").cast(pl.Int64).alias(REJECT_COLUMNS[1]), *REJECT_COLUMNS[2:]))


def write_rejects(raw: pl.DataFrame, errors: pl.DataFrame, path) -> int:
    """The rejects workbook (sheet 问题): fix the rows in place and import it again."""
    frame = reject_frame(raw, errors)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_orig = len(frame.columns) - len(REJECT_COLUMNS)
    tables.write_frames_xlsx(path, {SHEET: frame},
                             header_styles={SHEET: ["bold"] * n_orig + ["note"] * len(REJECT_COLUMNS)})
    return frame.height


def category_label(key: str) -> str:
    return CATEGORIES.get(key, key)


def source_label(key: str) -> str:
    return "全部" if key == "all" else SOURCES.get(key, key)



# --- report workbooks (Chinese headers; CSV and Parquet keep the English keys) --------------------

def _c(key, header, kind="text", total=False):
    return Column(key, header, kind, total)


REPORT_SHEETS = {
    # name: (sheet title, [(key, header, kind, total)])
    "select": ("挂牌督战候选", [
        ("code", "区划代码", "code"), ("name", "名称"), ("level", "层级"), ("households", "户数", "count"),
        ("remaining_poor_people", "剩余贫困人口", "count"), ("registered_rural_population", "户籍人口", "count"),
        ("incidence", "贫困发生率", "rate"), ("projected_poor_people", "预计剩余贫困人口", "count"),
        ("projected_incidence", "预计贫困发生率", "rate"), ("poverty_county", "是否贫困县"),
        ("county_exit_year", "摘帽年度", "year"), ("deep_poverty", "是否深度贫困"), ("rank", "排名", "number"),
        ("reasons", "挂牌理由"), ("policy", "政策")]),
    "progress": ("挂牌督战进度", [
        ("listing_id", "督战编号"), ("code", "区划代码", "code"), ("name", "名称"), ("level", "层级"),
        ("listed_by", "挂牌层级"), ("reasons", "挂牌理由"), ("listed_on", "挂牌日期", "date"),
        ("target_on", "目标日期", "date"), ("status", "状态"), ("as_of", "统计日期", "date"),
        ("remaining_poor_people", "剩余贫困人口", "count", True), ("projected_poor_people", "预计剩余贫困人口", "count", True),
        ("guarantee_gap_households", "三保障及饮水未达标户", "count", True),
        ("unverified_households", "未核实户", "count", True), ("open_problems", "未销号问题", "count", True),
        ("overdue_problems", "超期问题", "count", True), ("conditions_failed", "未达条件"),
        ("cleared_on", "清零日期", "date"), ("days_to_target", "距目标天数", "number")]),
    "report": ("问题整改清零进度", [
        ("code", "区划代码", "code"), ("name", "名称"), ("level", "层级"), ("source", "问题来源"),
        ("total", "问题数", "count"), ("void", "已撤销", "count"), ("effective", "有效问题", "count"),
        ("closed", "已销号", "count"), ("closed_late", "超期销号", "count"), ("open", "未销号", "count"),
        ("overdue", "超期未销号", "count"), ("unclaimed_overdue", "超期未签收", "count"),
        ("escalated", "已上报上级", "count"), ("oldest_open_days", "最久未销号天数", "number"),
        ("clear_rate", "清零率", "rate"), ("cleared", "是否清零")]),
    "overdue": ("超期问题清单", [
        ("problem_id", "问题编号"), ("region_code", "责任区划", "code"), ("source", "问题来源"),
        ("category", "问题类别"), ("state", "状态"), ("deadline", "整改时限", "date"),
        ("days_overdue", "超期天数", "count"), ("escalation", "上报级数", "number"),
        ("escalated_to", "上报至", "code"), ("responsible_unit", "责任单位")]),
}
_YES_NO = ("poverty_county", "deep_poverty", "cleared")


def write_table(frame: pl.DataFrame, out, kind: str, *, region: str = "", date=None, policy: str = "") -> Path:
    """``frame`` to ``out``: .csv/.parquet with the English keys, .xlsx as a report for people."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        return tables.write_frame(frame, out, allowed=(".csv", ".parquet"))
    title, spec = REPORT_SHEETS[kind]
    shown = frame.with_columns([pl.col(c).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.String)
                                for c in _YES_NO if c in frame.columns])
    if "source" in shown.columns:
        shown = shown.with_columns(pl.col("source").replace_strict(
            {**SOURCES, "all": "全部"}, default=pl.col("source"), return_dtype=pl.String))
    if "category" in shown.columns:
        shown = shown.with_columns(pl.col("category").replace_strict(
            CATEGORIES, default=pl.col("category"), return_dtype=pl.String))
    columns = [_c(*s) for s in spec]
    return write_report(out, [Sheet(title, shown, columns, title=title)], Heading(title, region, date, policy))
