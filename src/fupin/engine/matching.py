"""Department screening (部门筛查预警): a department's list matched against the registry.

A department (medical insurance, civil affairs, education, housing, employment, emergency
management) sends one row per person and period. :func:`match_department` validates every row,
joins the valid rows to the registry members of the year by ID number — one set-based join, no
loop — aggregates per household and applies the department's trigger with the policy
thresholds of the household's year and province. It returns the leads (one per household, with
the matched facts as evidence), the rejected rows with their reasons, and counts.

Readings (documented in ``docs/department-layouts.md``):

* One row per person and period (年度 or 月份). Two rows with the same ID number and period are
  duplicates: identical copies are returned except the first; copies that disagree are all
  returned (which one is right cannot be known).
* Or one row per claim (settlement level): a list with a 结算日期 or 单据号 column. Several claims
  of one person in one period are normal, not duplicates: they are summed per person and period
  (the lead's evidence lists the sums and the number of claims). A duplicate is then the same
  单据号 twice: identical copies count once, copies that disagree are all returned. The period
  is 月份, else 年度, else the month of 结算日期.
* The household is the unit of monitoring: members of one household in the same list give one
  lead, and a household gets at most one lead per department kind and year. The natural key is
  ``department:<kind>:<household_id>:<year>``, so matching the same file twice, or a later
  monthly list of the same year, creates no second lead.
* Medical: the household's 合规自付医疗费用 is the sum over its members and the periods of the
  year in the file; a lead when it is strictly above ``medical_share_registered`` × D for a
  registered household, ``medical_share_general`` × D otherwise (rules.md section 2, D =
  ``rural_income_prev_year`` of the year and the household's province).
* Leads go only to households that could become monitoring objects (rules.md section 2): not
  currently monitored and not on the poverty list (脱贫状态 未脱贫 or 返贫). Matched rows of
  other households are counted, not returned: nothing is wrong with them.
* A matched person whose 姓名 differs from the registry is still matched (the ID number
  decides) and the lead's evidence says so.

This module never imports Django or reads files: the file is read by
:func:`fupin.io.department.read_department_file`, the registry by the application layer, and both
come in as frames. Each department's trigger is a rule of the registry
(:mod:`fupin.engine.rules.triggers`); who may become a lead is :mod:`fupin.engine.facts`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fupin.engine import facts, idnumber, rules, schema
from fupin.engine.policy import PolicyMissing, PolicySet

KINDS = ("medical", "civil", "education", "housing", "employment", "disaster")


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str  # text | id_number | year | month | date | document | money | int | code
    required: bool = False
    codes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(schema.normalize_header(h) for h in (self.zh, self.name, *self.aliases))


COMMON_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "text", True),
    Column("id_number", "证件号码", "id_number", True, aliases=("身份证号码", "身份证号", "公民身份号码")),
    Column("year", "年度", "year", aliases=("年份",)),
    Column("month", "月份", "month", aliases=("年月", "所属月份")),
    # Either column marks a list at settlement level (one row per claim), see the module doc.
    Column("settled_on", "结算日期", "date", aliases=("结算时间", "费用结算日期", "结算日")),
    Column("document_no", "单据号", "document", aliases=("单据编号", "结算单据号", "结算单号", "结算流水号", "结算编号")),
)
CLAIM_COLUMNS = ("settled_on", "document_no")

CIVIL_ASSISTANCE = ("低保", "特困供养", "临时救助")
SCHOOL_STATES = ("辍学", "失学", "在校")
EMPLOYMENT_STATES = ("失业", "务工受阻", "返乡未就业")


@dataclass(frozen=True)
class Layout:
    kind: str
    zh: str
    en: str
    department: str
    measures: tuple[Column, ...]

    @property
    def columns(self) -> tuple[Column, ...]:
        return COMMON_COLUMNS + self.measures

    @property
    def trigger(self) -> rules.Trigger:
        return rules.trigger(self.kind)

    @property
    def trigger_zh(self) -> str:
        return self.trigger.zh

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.trigger.parameters


LAYOUTS: dict[str, Layout] = {
    "medical": Layout(
        "medical", "医保", "medical insurance", "医疗保障局",
        (
            Column("out_of_pocket", "合规自付医疗费用", "money", True, aliases=("合规自付费用", "个人合规自付费用")),
            Column("total_cost", "医疗总费用", "money"),
            Column("reimbursed", "医保报销金额", "money", aliases=("报销金额",)),
        ),
    ),
    "civil": Layout(
        "civil", "民政", "civil affairs", "民政局",
        (
            Column("assistance_type", "救助类型", "code", True, CIVIL_ASSISTANCE),
            Column("amount", "救助金额", "money"),
        ),
    ),
    "education": Layout(
        "education", "教育", "education", "教育局",
        (
            Column("school_state", "学生状态", "code", True, SCHOOL_STATES, aliases=("在校状态",)),
            Column("education_cost", "非义务教育自付费用", "money"),
        ),
    ),
    "housing": Layout(
        "housing", "住建", "housing", "住房和城乡建设局",
        (
            Column("housing_grade", "住房安全等级", "code", True, schema.HOUSING_GRADES, aliases=("鉴定等级",)),
            Column("appraised_on", "鉴定日期", "text"),
        ),
    ),
    "employment": Layout(
        "employment", "人社", "employment", "人力资源和社会保障局",
        (
            Column("employment_state", "就业状态", "code", True, EMPLOYMENT_STATES),
            Column("months_unemployed", "失业月数", "int"),
        ),
    ),
    "disaster": Layout(
        "disaster", "应急", "disaster", "应急管理局",
        (
            Column("disaster_loss", "灾害事故损失", "money", True),
            Column("disaster_type", "灾害类型", "text"),
        ),
    ),
}

ISSUE_SCHEMA = {
    "sheet": pl.String, "row": pl.Int64, "code": pl.String, "severity": pl.String,
    "column": pl.String, "value": pl.String, "message_zh": pl.String, "message_en": pl.String,
}
# Issue codes of department matching (the rejects workbook shows them in brackets).
CODES: dict[str, tuple[str, str]] = {
    "D01": ("必填项为空", "required value missing"),
    "D02": ("证件号码错误", "ID number invalid"),
    "D03": ("不是有效数字", "not a valid number"),
    "D04": ("取值不在代码表中", "value not in the code list"),
    "D05": ("年度或月份不对", "year or month not understood"),
    "D06": ("年度与本次匹配年度不符", "year differs from the matching year"),
    "D07": ("重复行", "duplicate row"),
    "D08": ("同一人同一期间多行且数值不同", "conflicting rows for one person and period"),
    "D09": ("登记册中找不到此人", "person not in the registry"),
    "D10": ("姓名与登记册不一致", "name differs from the registry"),
    "D11": ("金额为负数", "negative amount"),
    "D12": ("单据号重复", "same document number twice"),
    "D13": ("同一单据号多行且内容不同", "conflicting rows for one document number"),
}
LEAD_KEY_PREFIX = "department"


class DepartmentFileError(Exception):
    """The file as a whole cannot be matched (unreadable, wrong columns): nothing was done."""

    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh}\n{message_en}")


@dataclass
class MatchResult:
    kind: str
    year: int
    leads: pl.DataFrame                 # one row per household: see LEAD_COLUMNS
    issues: pl.DataFrame                # ISSUE_SCHEMA; severity error = row returned
    raw: pl.DataFrame                   # the rows as read (original headers, _sheet, _row)
    unknown_columns: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    claim_level: bool = False           # one row per claim, summed per person and period

    @property
    def rejected_rows(self) -> int:
        return self.issues.filter(pl.col("severity") == "error").select(pl.struct("sheet", "row").n_unique()).item()


LEAD_COLUMNS = ("natural_key", "household_id", "year", "region_code", "name", "id_number", "evidence")


def known_headers(kind: str) -> set[str]:
    """Every normalized header of ``kind``'s layout (the reader picks the sheet naming most)."""
    return {h for c in LAYOUTS[kind].columns for h in c.headers}


# --- validation ------------------------------------------------------------------------------

def _map_headers(frame: pl.DataFrame, layout: Layout, source: str) -> tuple[dict[str, str], list[str]]:
    """Field name -> original header; unknown headers. Raises when a required column is missing."""
    headers = [c for c in frame.columns if c not in ("_sheet", "_row")]
    by_header = {h: c for c in layout.columns for h in c.headers}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for h in headers:
        col = by_header.get(schema.normalize_header(h))
        if col is None or col.name in mapping:
            unknown.append(h)
        else:
            mapping[col.name] = h
    missing = [c.zh for c in layout.columns if c.required and c.name not in mapping]
    if not {"year", "month", "settled_on"} & mapping.keys():
        missing.append("年度 或 月份（或 结算日期）")
    if missing:
        found = "、".join(f"“{h}”" for h in headers) or "（无）"
        missing_en = [m.replace("（或 结算日期）", " (or 结算日期)") for m in missing]
        raise DepartmentFileError(
            f"文件“{source}”不是{layout.zh}数据的格式：缺少列 {'、'.join(missing)}。找到的列：{found}。"
            f"请按 docs/department-layouts.md 中“{layout.zh}”的格式改好表头后重新上传。",
            f"file '{source}' is not in the {layout.en} layout: missing column(s) {', '.join(missing_en)}; "
            f"found: {', '.join(headers) or 'none'}. Fix the headers as in docs/department-layouts.md and try again.",
        )
    return mapping, unknown


def _text(expr: pl.Expr) -> pl.Expr:
    """The cell's text without surrounding white space; null when nothing is left."""
    return expr.cast(pl.String).str.strip_chars().replace("", None)


def _money(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Yuan as a float; thousands separators, spaces and a trailing 元 are accepted."""
    if dtype.is_numeric():
        return expr.cast(pl.Float64)
    cleaned = _text(expr).str.replace_all(r"[,，\s]", "").str.replace(r"元$", "")
    return cleaned.cast(pl.Float64, strict=False)


def _issue(frame: pl.DataFrame, condition: pl.Expr, code: str, column: str | None, value: pl.Expr,
           zh: pl.Expr | str, en: pl.Expr | str, severity: str = "error") -> pl.DataFrame:
    title_zh, title_en = CODES[code]
    zh_expr = zh if isinstance(zh, pl.Expr) else pl.lit(zh)
    en_expr = en if isinstance(en, pl.Expr) else pl.lit(en)
    return frame.filter(condition).select(
        sheet=pl.col("_sheet").cast(pl.String), row=pl.col("_row").cast(pl.Int64), code=pl.lit(code),
        severity=pl.lit(severity), column=pl.lit(column, dtype=pl.String), value=value.cast(pl.String),
        message_zh=pl.lit(f"{title_zh}：") + zh_expr, message_en=pl.lit(f"{title_en}: ") + en_expr,
    )


@dataclass(frozen=True)
class _Check:
    """One row-level check: its flag is computed with all the others in one pass over the rows,
    its issue rows are then taken from the (few) flagged rows only."""

    code: str
    column: str | None
    condition: pl.Expr
    value: pl.Expr
    zh: pl.Expr | str
    en: pl.Expr | str


def _by_distinct(frame: pl.DataFrame, source: str, parse, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """``parse`` and the emptiness test applied to each distinct value of ``source`` once (a
    list holds few distinct months or dates over many rows): the parsed value and whether the
    cell is filled in (``_text`` not null), as expressions over the rows.

    The rows look their value up (no join: the frame is not copied and keeps its order); a cell
    is empty when null or when its text is one of the blank distinct values.
    """
    text = pl.col(source).cast(pl.String)
    table = frame.select(text.unique().drop_nulls().alias("_v")).with_columns(
        parse(pl.col("_v")).alias("_parsed"), _text(pl.col("_v")).is_null().alias("_blank"))
    parsed = text.replace_strict(table["_v"], table["_parsed"], default=None, return_dtype=dtype)
    blanks = table.filter(pl.col("_blank"))["_v"]
    present = pl.col(source).is_not_null()
    return parsed, (present & ~text.is_in(blanks.implode()) if blanks.len() else present)


def _months_by_distinct(frame: pl.DataFrame, source: str, name: str) -> tuple[pl.Expr, list[pl.Expr]]:
    """A month column parsed per distinct value: the expression of each row's place among the
    distinct values (a cast to an Enum of them, a third of a ``replace_strict``), to be computed
    as ``_{name}_place``, and the expressions that then take ``name`` ("2024-03" or null),
    ``_{name}_filled`` (the cell is not empty) and ``_{name}_year`` from the small table of
    distinct values by that place."""
    text = pl.col(source).cast(pl.String)
    distinct = frame.select(text.unique().drop_nulls()).to_series()
    table = pl.DataFrame({"_v": distinct}).with_columns(_parsed=_parse_month(pl.col("_v"))).with_columns(
        _filled=_text(pl.col("_v")).is_not_null(), _year=pl.col("_parsed").str.slice(0, 4).cast(pl.Int64, strict=False))
    place = pl.col(f"_{name}_place")
    return text.cast(pl.Enum(distinct)).to_physical().alias(f"_{name}_place"), [
        pl.lit(table["_parsed"]).gather(place).alias(name),
        pl.lit(table["_filled"]).gather(place).fill_null(False).alias(f"_{name}_filled"),
        pl.lit(table["_year"]).gather(place).alias(f"_{name}_year"),
    ]


def _parse_month(text: pl.Expr) -> pl.Expr:
    """2024-03, 2024/3, 2024.03, 202403, 2024年3月 → "2024-03"; anything else null."""
    groups = _text(text).str.extract_groups(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?$")
    y = groups.struct.field("1").cast(pl.Int32, strict=False)
    m = groups.struct.field("2").cast(pl.Int32, strict=False)
    return pl.when(m.is_between(1, 12)).then(pl.format("{}-{}", y, m.cast(pl.String).str.zfill(2)))


_DATE = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?$"


def _parse_date(expr: pl.Expr) -> pl.Expr:
    """2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日, 20240315; a time after it is ignored."""
    text = _text(expr)
    parts = text.str.extract_groups(_DATE)
    compact = text.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})$")
    y, m, d = (pl.coalesce(parts.struct.field(str(i)), compact.struct.field(str(i))) for i in (1, 2, 3))
    return pl.format("{}-{}-{}", y, m.str.zfill(2), d.str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)


def _typed(raw: pl.DataFrame, layout: Layout, mapping: dict[str, str], year: int) -> tuple[pl.DataFrame, list[_Check]]:
    """Parsed columns next to the originals, and the row-level checks (the ID number's status
    comes later, from :func:`_resolve_ids`)."""
    cols = {c.name: c for c in layout.columns}
    exprs: list[pl.Expr] = [pl.col("_sheet").cast(pl.String), pl.col("_row").cast(pl.Int64)]
    for name, header in mapping.items():
        exprs.append(pl.col(header).alias(f"raw_{name}"))
    frame = raw.select(exprs).with_columns(pl.col("raw_id_number").cast(pl.String))
    parsed: list[pl.Expr] = [_text(pl.col("raw_name")).alias("name")]
    # Whether a cell is filled in, where it is cheaper than ``_text`` over every row: a column
    # parsed as ``_text`` itself is filled in where it is not null; a column parsed per
    # distinct value has the test done on those.
    filled: dict[str, pl.Expr] = {"name": pl.col("name").is_not_null()}
    then: list[pl.Expr] = []  # computed from ``parsed`` (one with_columns each: their expressions run in parallel)
    for name, col in cols.items():
        if name not in mapping or col.kind in ("id_number",) or name == "name":
            continue
        source = pl.col(f"raw_{name}")
        dtype = frame.schema[f"raw_{name}"]
        if col.kind == "money":
            parsed.append(_money(source, dtype).alias(name))
        elif col.kind in ("int", "year"):
            number = _money(source, dtype)
            whole = pl.when(number == number.floor()).then(number.cast(pl.Int64))
            parsed.append((source.cast(pl.Int64) if dtype.is_integer() else whole).alias(name))
        elif col.kind == "month":
            # An extract holds a handful of distinct months over millions of rows: each is parsed
            # once, and every row takes its own by the value's place among the distinct ones.
            place, from_place = _months_by_distinct(frame, f"raw_{name}", name)
            parsed.append(place)
            then.extend(from_place)
            filled[name] = pl.col(f"_{name}_filled")
        elif col.kind == "code":
            lookup = {schema.normalize_text(c): c for c in col.codes}
            parsed.append(_text(source).str.replace_all(r"\s", "").replace_strict(lookup, default=None).alias(name))
        elif col.kind == "date":
            if dtype in (pl.Date, pl.Datetime):
                parsed.append(source.cast(pl.Date).alias(name))
            else:
                date, filled[name] = _by_distinct(frame, f"raw_{name}", _parse_date, pl.Date)
                parsed.append(date.alias(name))
        else:
            parsed.append(_text(source).alias(name))
            filled[name] = pl.col(name).is_not_null()
    frame = frame.with_columns(parsed)
    if then:
        frame = frame.with_columns(then)
    checks: list[_Check] = []
    has = lambda n: n in mapping  # noqa: E731
    def present(n: str) -> pl.Expr:
        # A number is there when it is not null: no need to write millions of them as text.
        raw_col = pl.col(f"raw_{n}")
        if frame.schema[f"raw_{n}"].is_numeric():
            return raw_col.is_not_null()
        if n == "id_number":
            return ~pl.col("_id_empty")  # tested on the rows not in the registry, by _resolve_ids
        return filled[n] if n in filled else _text(raw_col).is_not_null()

    value = lambda n: pl.col(f"raw_{n}").cast(pl.String)  # noqa: E731
    for name, col in cols.items():
        if not has(name):
            continue
        header = mapping[name]
        if col.required or col.kind == "document":
            # A claim without its document number could be counted twice (or be a subtotal row).
            why_zh = "按结算单据上报时每行都要有单据号，否则无法判断是否重复" if col.kind == "document" else "请填写"
            why_en = "a claim list needs the document number on every row to tell duplicates" \
                if col.kind == "document" else "fill it in"
            checks.append(_Check("D01", header, ~present(name), value(name),
                                 f"“{header}”为空，{why_zh}", f"'{header}' is empty; {why_en}"))
        if col.kind == "id_number":
            msgs_zh = {k: v[0] for k, v in idnumber.MESSAGES.items()}
            msgs_en = {k: v[1] for k, v in idnumber.MESSAGES.items()}
            bad = pl.col("_id_invalid")  # not loadable and not empty, from _resolve_ids
            checks.append(_Check(
                "D02", header, bad, value(name),
                pl.col("id_status").cast(pl.String).replace_strict(msgs_zh, default="证件号码错误"),
                pl.col("id_status").cast(pl.String).replace_strict(msgs_en, default="invalid ID number"),
            ))
        elif col.kind in ("money", "int", "year"):
            bad = present(name) & pl.col(name).is_null()
            what_zh = "年度应为四位数字，如 2024" if col.kind == "year" else "应为数字（单位：元），不要写文字或单位以外的符号"
            what_en = "year must be four digits, e.g. 2024" if col.kind == "year" else "must be a number (yuan), no words"
            checks.append(_Check("D05" if col.kind == "year" else "D03", header, bad, value(name),
                                 f"“{header}”的值不是有效数字：{what_zh}", f"'{header}' is not a valid number: {what_en}"))
            if col.kind == "money":
                checks.append(_Check("D11", header, pl.col(name) < 0, value(name),
                                     f"“{header}”不能为负数", f"'{header}' must not be negative"))
        elif col.kind == "month":
            bad = present(name) & pl.col(name).is_null()
            checks.append(_Check("D05", header, bad, value(name),
                                 f"“{header}”应写成 YYYY-MM，如 2024-03", f"'{header}' must be YYYY-MM, e.g. 2024-03"))
        elif col.kind == "date":
            bad = present(name) & pl.col(name).is_null()
            checks.append(_Check("D05", header, bad, value(name),
                                 f"“{header}”应写成 YYYY-MM-DD，如 2024-03-15", f"'{header}' must be YYYY-MM-DD, e.g. 2024-03-15"))
        elif col.kind == "code":
            bad = present(name) & pl.col(name).is_null()
            checks.append(_Check("D04", header, bad, value(name),
                                 f"“{header}”只能填：{'、'.join(col.codes)}", f"'{header}' must be one of {', '.join(col.codes)}"))
    # The period: 月份 when given, else 年度, else the month of 结算日期; its year must be the
    # matching year.
    period_year = pl.lit(None, dtype=pl.Int64)
    period = pl.lit(None, dtype=pl.String)
    if has("month"):
        period_year = pl.col("_month_year")
        period = pl.col("month")
    if has("year"):
        period_year = period_year.fill_null(pl.col("year"))
        period = period.fill_null(pl.col("year").cast(pl.String))
    if has("settled_on"):
        period_year = period_year.fill_null(pl.col("settled_on").dt.year().cast(pl.Int64))
        period = period.fill_null(pl.col("settled_on").dt.strftime("%Y-%m"))
    frame = frame.with_columns(period_year=period_year, period=period)
    no_period = pl.col("period").is_null()
    for name in ("month", "year", "settled_on"):
        if has(name):
            no_period = no_period & ~present(name)
    period_header = mapping.get("month") or mapping.get("year") or mapping.get("settled_on")
    if has("settled_on"):
        empty_zh, empty_en = "年度、月份和结算日期都为空，请至少填写一项", "year, month and settlement date are all empty; fill in one"
    else:
        empty_zh, empty_en = "年度和月份都为空，请至少填写一项", "both year and month are empty; fill in one"
    checks.append(_Check("D01", period_header, no_period, pl.lit(None, dtype=pl.String), empty_zh, empty_en))
    wrong_year = pl.col("period_year").is_not_null() & (pl.col("period_year") != year)
    checks.append(_Check("D06", period_header, wrong_year, pl.col("period"),
                         pl.format("该行属于 {} 年，本次匹配的是 {} 年；请分年度上传", pl.col("period_year"), pl.lit(year)),
                         pl.format("the row is of year {}, this matching is for {}; upload each year separately",
                                   pl.col("period_year"), pl.lit(year))))
    return frame, checks


def _resolve_ids(frame: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """Every row's canonical ``id_number``, its ``id_status`` and its registry person
    ``_member`` (the person's position in ``registry``; null when not in it) with the person's
    ``registry_name``, and the two ID checks' flags: ``_id_empty`` (D01) and ``_id_invalid``
    (D02: not loadable, not empty).

    The registry holds only canonical, valid ID numbers (the importer keeps an ID only when it
    loads, :mod:`fupin.io.reader`), so a row whose text is exactly a registry ID is valid as it
    is: one join of the ID column alone settles most rows, and only the rest (not in the
    registry, or written another way: 15 digits, a lower-case x, spaces) is parsed, each
    distinct value once, and written into its rows' places. The frame itself is never joined
    (a join copies every column); the name comes with the join (in parallel, where a gather
    afterwards would take a core alone), the household is taken by ``_member`` where needed.
    """
    n = frame.height
    exact = registry.select("_member", "registry_name", raw_id_number="id_number")
    blank = exact["raw_id_number"].str.contains(r"^\s*$")
    if blank.any():
        # A registry ID that is blank is no match: the row's empty ID is reported (D01).
        exact = exact.filter(~blank)
    # Row order is kept: the sums per household add the amounts in the file's order.
    keys = frame.select("raw_id_number").join(exact, on="raw_id_number", how="left", maintain_order="left")
    if keys.height != n:  # an ID held by two registry persons: the positions are needed below
        keys = frame.select("raw_id_number").with_row_index("_pos").join(
            exact, on="raw_id_number", how="left", maintain_order="left")
    else:
        keys = keys.with_columns(_pos=pl.int_range(n, dtype=pl.UInt32))
    found = keys["_member"].is_not_null()
    rest = keys.filter(~found).select("_pos", "raw_id_number")
    distinct = rest["raw_id_number"].unique()
    parsed = idnumber.parse(distinct, as_of=None)
    checked = pl.DataFrame({"raw_id_number": distinct, "_id": parsed["id_number"], "_status": parsed["id_status"]})
    checked = checked.with_columns(_empty=_text(pl.col("raw_id_number")).is_null()).with_columns(
        _invalid=~pl.col("_status").is_in(idnumber.LOADABLE) & ~pl.col("_empty"),
    )
    # Only a number written another way (its canonical form is not its text) can still be a
    # registry ID, the text itself was none: those few are looked up, not the whole registry.
    other = checked.filter(pl.col("_id").is_not_null() & (pl.col("_id") != pl.col("raw_id_number")))
    people = registry.select("_member", "registry_name", _id="id_number")
    people = people.join(other.select("_id").unique(), on="_id", how="semi") if other.height else people.clear()
    checked = checked.join(people, on="_id", how="left", maintain_order="left")
    rest = rest.join(checked, on="raw_id_number", how="left", nulls_equal=True, maintain_order="left")
    if keys.height == n and rest.height == n - found.sum():
        status = pl.Enum(sorted({idnumber.OK, *rest["_status"].drop_nulls().unique()}))
        # Each row one registry person at most (always, for a registry of unique ID numbers).
        pos = rest["_pos"]
        resolved = pl.DataFrame([
            keys["_member"].scatter(pos, rest["_member"]),
            keys["registry_name"].scatter(pos, rest["registry_name"]),
            frame["raw_id_number"].alias("id_number").scatter(pos, rest["_id"]),
            # A category per row, not a text: only the rows with a D02 read it, for the message.
            pl.Series("id_status", [idnumber.OK], status).new_from_index(0, n).scatter(pos, rest["_status"].cast(status)),
            pl.Series("_id_empty", [False]).new_from_index(0, n).scatter(pos, rest["_empty"]),
            pl.Series("_id_invalid", [False]).new_from_index(0, n).scatter(pos, rest["_invalid"]),
        ])
        return frame.hstack(resolved)
    # An ID number held by two registry persons: the row counts for each, as a join would.
    matches = pl.concat([
        keys.filter(found).select("_pos", "_member", "registry_name", id_number="raw_id_number",
                                  id_status=pl.lit(idnumber.OK), _id_empty=pl.lit(False), _id_invalid=pl.lit(False)),
        rest.select("_pos", "_member", "registry_name", id_number="_id", id_status="_status", _id_empty="_empty",
                    _id_invalid="_invalid"),
    ], how="vertical_relaxed").sort("_pos", maintain_order=True)
    return frame[matches["_pos"]].hstack(matches.drop("_pos"))


def _repeated_person_periods(valid: pl.DataFrame) -> pl.Series:
    """Rows whose (ID number, period) may occur twice: exact for registry persons, by the key
    itself for the others; the caller then groups these candidates exactly.

    Per registry person, the sum of 2**period over the rows has as many one-bits as there are
    rows only when no period repeats (two equal powers of two carry). Two sums by the person's
    position replace a hash table of every (person, period) key, the slowest step of a large
    list. With at most 40 periods the sums are exact (a person with more rows than 2**13 has a
    repeat whatever the rounding).
    """
    periods = valid["period"].unique().drop_nulls().sort()
    if periods.len() > 40 or valid.height == 0:
        return valid.select(pl.struct("id_number", "period").is_duplicated()).to_series()
    # Each period's place among the distinct ones (a cast to an Enum of them: a third of a
    # replace_strict over a 10M-row list).
    code = valid["period"].cast(pl.Enum(periods)).to_physical().fill_null(0)
    member = valid["_member"]
    known = member.is_not_null().to_numpy()
    # The rows of no registry person are counted in a bin of their own (not copied out first);
    # their answer is the exact grouping below.
    outside_bin = int(member.max() or 0) + 1
    index = member.fill_null(outside_bin).to_numpy()
    bits = np.ldexp(1.0, code.to_numpy().astype(np.int32))
    total = np.bincount(index, weights=bits, minlength=outside_bin + 1)
    count = np.bincount(index, minlength=outside_bin + 1)
    repeated_person = np.bitwise_count(total.astype(np.uint64)) != count
    candidate = repeated_person[index]
    if not known.all():
        outside = valid.filter(pl.Series(~known)).select(pl.struct("id_number", "period").is_duplicated())
        candidate[~known] = outside.to_series().to_numpy()
    return pl.Series(candidate)


def _duplicates(valid: pl.DataFrame, keys: list[str], values: list[str], *, identical: str, conflicting: str,
                column: str | None, value: pl.Expr, candidates: pl.Series | None = None,
                ) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Drop repeated ``keys``: identical copies after the first (``identical``), conflicting ones
    all (``conflicting``). ``candidates`` (rows whose key may repeat) spares the full check."""
    repeated = valid.select(pl.struct(keys).is_duplicated()).to_series() if candidates is None else candidates
    if not repeated.any():
        return valid, []
    # Only the rows whose key repeats need the closer look (a small share of a real extract).
    unique_rows, valid = valid.filter(~repeated), valid.filter(repeated)
    fingerprint = [pl.col(n) for n in values if n in valid.columns]
    keyed = valid.with_columns(_fingerprint=pl.struct(fingerprint).hash())
    groups = keyed.group_by(keys).agg(
        _n=pl.len(), _distinct=pl.col("_fingerprint").n_unique(), _first=pl.col("_row").min(),
    ).filter(pl.col("_n") > 1)
    if groups.height == 0:
        return pl.concat([unique_rows, valid], how="vertical"), []
    keyed = keyed.join(groups, on=keys, how="left")
    conflict = pl.col("_distinct").fill_null(1) > 1
    repeat = (pl.col("_distinct").fill_null(1) == 1) & pl.col("_first").is_not_null() & (pl.col("_row") != pl.col("_first"))
    zh_conflict, en_conflict, zh_same, en_same = DUPLICATE_MESSAGES[(identical, conflicting)]
    issues = [
        _issue(keyed, conflict, conflicting, column, value, zh_conflict, en_conflict),
        _issue(keyed, repeat, identical, column, value, pl.format(zh_same, pl.col("_first")),
               pl.format(en_same, pl.col("_first"))),
    ]
    kept = keyed.filter(~conflict & ~repeat).drop("_fingerprint", "_n", "_distinct", "_first")
    return pl.concat([unique_rows, kept], how="vertical"), issues


DUPLICATE_MESSAGES = {
    ("D07", "D08"): (
        "同一证件号码、同一期间有多行且数值不同，无法判断哪一行正确；请核对后只保留一行",
        "several rows for one ID number and period with different values; keep the right one and upload again",
        "与第 {} 行完全相同，已按一行计算", "same as row {}; counted once",
    ),
    ("D12", "D13"): (
        "同一单据号有多行且内容（证件号码、日期或金额）不同，无法判断哪一行正确；请核对后只保留一行",
        "several rows for one document number with different contents (ID number, date or amounts); "
        "keep the right one and upload again",
        "与第 {} 行单据号相同、内容相同，是同一笔结算，已按一笔计算", "same document and contents as row {}; counted once",
    ),
}


# --- matching --------------------------------------------------------------------------------

def _mask(expr: pl.Expr) -> pl.Expr:
    return expr.str.slice(0, 4) + pl.lit("*" * 10) + expr.str.slice(14, 4)


def _policy_columns(policy: PolicySet, year: int, households: pl.DataFrame, params: tuple[str, ...]) -> pl.DataFrame:
    if not params:
        return households
    if households.height == 0:
        return households.with_columns(
            pl.lit(None, dtype=pl.String).alias("policy"),
            *[pl.lit(None, dtype=pl.Float64).alias(p) for p in params],
            *[pl.lit(None, dtype=pl.String).alias(f"source_{p}") for p in params],
        )
    table = policy.frame(year, households["region_code"].unique().to_list(), needed=params, parameters=params)
    return households.with_columns(policy.policy_key_expr(pl.col("region_code"))).join(
        table.select("policy_key", "policy", *params, *[f"source_{p}" for p in params]), on="policy_key", how="left"
    )


def _household_codes(household_id: pl.Series) -> tuple[pl.Series, pl.Series]:
    """One number per registry member's household (null where there is none), and the
    households by number: grouping a list's rows by the number costs half of grouping them by
    the household's text. The registry read from the database comes sorted by household, where
    the number is the run's; otherwise the household's place among the distinct ones (an Enum of
    this registry's own: nothing is added to a process-wide cache)."""
    if household_id.is_sorted():
        codes, by_code = household_id.rle_id(), household_id.rle().struct.field("value")
    else:
        by_code = household_id.unique().drop_nulls()
        codes = household_id.cast(pl.Enum(by_code)).to_physical()
    codes = pl.select(pl.when(household_id.is_not_null()).then(codes.cast(pl.UInt32))).to_series().alias("_hh")
    return codes, by_code.alias("household_id")


def _with_households(per_household: pl.DataFrame, hh: pl.DataFrame, by_code: pl.Series) -> pl.DataFrame:
    """The households' columns next to their sums. The registry from the database gives the
    households and the members both sorted by household: when the households are exactly the
    numbered ones, household ``_hh`` is row ``_hh`` and no join is needed."""
    if hh.height == by_code.len() and hh["household_id"].equals(by_code, check_names=False):
        return per_household.with_columns(hh.drop("household_id")[per_household["_hh"]])
    return per_household.join(hh, on="household_id", how="left")


def _household_measures(kind: str, rows: pl.DataFrame, by_code: pl.Series) -> pl.DataFrame:
    """Per household (``_hh``, and its ``household_id``): the measures the trigger reads, summed
    in the rows' order."""
    # The list of periods is evidence, built later for the lead households only: a sorted list
    # per household over a 10M-row extract costs more than the whole match.
    measures = rules.trigger(kind).measures(set(rows.columns))
    per = rows.group_by("_hh").agg(*(measures or [pl.len().alias("rows")]))
    return per.with_columns(household_id=by_code.gather(per["_hh"]))


def match_department(raw: pl.DataFrame, *, kind: str, year: int, members: pl.DataFrame,
                     households: pl.DataFrame, policy: PolicySet, source: str = "") -> MatchResult:
    """Validate, match and apply the trigger; see the module docstring for the readings.

    ``members`` needs ``household_id, year, id_number, name, relationship``;
    ``households`` needs ``household_id, year, region_code, registered, poverty_status,
    monitoring_category, risk_eliminated`` — the registry of ``year`` (or more years: other
    years are ignored).
    """
    if kind not in LAYOUTS:
        raise DepartmentFileError(f"未知的部门类型 {kind}，可选：{'、'.join(KINDS)}",
                                  f"unknown department kind {kind}; use one of {', '.join(KINDS)}")
    layout = LAYOUTS[kind]
    for parameter in layout.parameters:
        # A threshold that no policy file gives for the year is an error before any row is read.
        if all(policy.lookup(parameter, year, f.region or None) is None for f in policy.files):
            raise PolicyMissing(parameter, year, None)
    mapping, unknown = _map_headers(raw, layout, source or "上传文件")
    claim_level = any(c in mapping for c in CLAIM_COLUMNS)
    frame, checks = _typed(raw, layout, mapping, year)
    measure_names = [c.name for c in layout.measures if c.name in mapping]
    registry_members = members.filter(pl.col("year") == year).select(
        "id_number", "household_id", registry_name="name").with_row_index("_member")
    frame = _resolve_ids(frame, registry_members)
    # The person's household is taken by position where needed (no join).
    registry_household = registry_members["household_id"]

    # Every check's flag in one pass; the issues are then built from the flagged rows alone.
    flags = [f"_check{i}" for i in range(len(checks))]
    frame = frame.with_columns(
        *[c.condition.fill_null(False).alias(f) for c, f in zip(checks, flags, strict=True)],
    ).with_columns(_bad=pl.any_horizontal(flags))
    flagged = frame.filter(pl.col("_bad"))
    issues = [_issue(flagged, pl.col(f), c.code, c.column, c.value, c.zh, c.en) for c, f in zip(checks, flags, strict=True)]
    # Only the columns read from here on go through the filter (the raw text of the ID and of the
    # document number for the issues; the parsed values; the person).
    keep = ["_sheet", "_row", "raw_id_number", *(["raw_document_no"] if "document_no" in mapping else []),
            "name", "id_number", "period", *[c for c in ("settled_on", "document_no") if c in mapping],
            *measure_names, "_member", "registry_name"]
    valid = frame.select(*keep, "_bad")
    valid = valid.filter(~pl.col("_bad")).drop("_bad") if flagged.height else valid.drop("_bad")
    household_codes, households_by_code = _household_codes(registry_household)
    valid = valid.with_columns(_hh=household_codes.gather(valid["_member"]))

    if claim_level:
        if "document_no" in mapping:
            values = ["name", "id_number", "period", "settled_on", *measure_names]
            valid, dup_issues = _duplicates(valid, ["document_no"], values, identical="D12", conflicting="D13",
                                            column=mapping["document_no"], value=pl.col("raw_document_no"))
        else:
            dup_issues = []  # without a document number every claim counts (nothing tells two apart)
    else:
        valid, dup_issues = _duplicates(valid, ["id_number", "period"], ["name", *measure_names], identical="D07",
                                        conflicting="D08", column=None, value=pl.col("period"),
                                        candidates=_repeated_person_periods(valid))
    issues.extend(dup_issues)

    id_header = mapping["id_number"]
    unmatched = pl.col("_hh").is_null()
    issues.append(_issue(
        valid, unmatched, "D09", id_header, pl.col("raw_id_number"),
        pl.format("证件号码 {} 在 {} 年的登记册（您的管辖范围内）中找不到；请核对号码，或先把该户录入登记册",
                  _mask(pl.col("id_number")), pl.lit(year)),
        pl.format("ID number {} is not in the registry of {} (within your region); check it or register the household first",
                  _mask(pl.col("id_number")), pl.lit(year)),
    ))
    # The valid rows are not copied into a frame of the matched ones (a tenth of the time over a
    # large list): the unmatched rows (household number null) stay, their name_differs is null
    # (no D10), their group is dropped after the sums and no lead takes them.
    matched = valid.with_columns(
        name_differs=pl.col("name").is_not_null() & (pl.col("name") != pl.col("registry_name"))
    )
    matched_rows = matched.height - matched.select(unmatched.sum()).item()
    issues.append(_issue(
        matched, pl.col("name_differs"), "D10", mapping["name"], pl.col("name"),
        pl.format("文件中的姓名与登记册（{}）不一致，已按证件号码匹配，请核实", pl.col("registry_name")),
        pl.format("the name differs from the registry ({}); matched by ID number, please check", pl.col("registry_name")),
        severity="warning",
    ))

    hh = households.lazy().filter(pl.col("year") == year).select(
        "household_id", "region_code", "registered", "poverty_status", "monitoring_category", "risk_eliminated",
    ).collect()
    per_household = _household_measures(kind, matched, households_by_code).filter(pl.col("_hh").is_not_null())
    per_household = _with_households(per_household, hh, households_by_code)
    per_household = _policy_columns(policy, year, per_household, layout.parameters)
    # Leads go only to households that could become monitoring objects (rules.md section 2).
    eligible = ~facts.currently_monitored() & ~facts.in_poverty()
    trigger = layout.trigger
    evidence_cols = trigger.evidence()
    per_household = per_household.with_columns(triggered=trigger.expression().fill_null(False), eligible=eligible)
    lead_households = per_household.filter(pl.col("triggered") & pl.col("eligible"))
    # The lead households' rows, by their numbers (a mask, not a join over every matched row).
    none = households_by_code.len()  # the unmatched rows' place: never a lead
    is_lead = np.zeros(none + 1, dtype=bool)
    is_lead[lead_households["_hh"].to_numpy()] = True
    lead_rows = matched.filter(pl.Series(is_lead[matched["_hh"].fill_null(none).to_numpy()]))
    lead_rows = lead_rows.with_columns(household_id=registry_household.gather(lead_rows["_member"]))
    periods = lead_rows.group_by("household_id").agg(pl.col("period").unique().sort().alias("periods"))
    lead_households = lead_households.join(periods, on="household_id", how="left")

    measure_cols = [c for c in measure_names if c in matched.columns]
    extra: list[pl.Expr] = []
    if claim_level:
        lead_rows, extra = _claims_per_person_and_period(lead_rows, layout, measure_cols), [pl.col("claims")]
    persons = lead_rows.sort("_row").group_by("household_id", maintain_order=True).agg(
        pl.struct(
            pl.col("registry_name").alias("name"), _mask(pl.col("id_number")).alias("id"), pl.col("period"),
            *[pl.col(c) for c in measure_cols], pl.col("name_differs"), pl.col("_row").alias("row"), *extra,
        ).alias("persons"),
        pl.col("id_number").first().alias("id_number"),
        pl.col("registry_name").first().alias("name"),
    )
    leads = lead_households.join(persons, on="household_id", how="left").with_columns(
        natural_key=pl.format("{}:{}:{}:{}", pl.lit(LEAD_KEY_PREFIX), pl.lit(kind), pl.col("household_id"), pl.lit(year)),
        year=pl.lit(year, dtype=pl.Int32),
    )
    evidence = pl.struct(
        pl.lit(kind).alias("kind"), pl.lit(layout.zh).alias("department"), pl.lit(source).alias("source"),
        pl.lit(year).alias("year"), pl.col("periods"), pl.col("persons"), *evidence_cols,
        pl.lit(layout.trigger_zh).alias("rule"),
        *([pl.col("policy")] if layout.parameters else []),
    ).struct.json_encode().alias("evidence")
    leads = leads.select(
        "natural_key", "household_id", "year", "region_code", "name", "id_number", evidence,
    ).sort("region_code", "household_id")

    all_issues = [i for i in issues if i.height]
    issue_frame = (pl.concat(all_issues, how="vertical") if all_issues else pl.DataFrame(schema=ISSUE_SCHEMA))
    issue_frame = issue_frame.sort("sheet", "row", "code", maintain_order=True)
    rejected = issue_frame.filter(pl.col("severity") == "error").select("sheet", "row").unique().height
    stats = {
        "rows": raw.height,
        "rejected": rejected,
        "invalid": flagged.height,
        "duplicates": sum(i.height for i in dup_issues),
        "unmatched": issue_frame.select((pl.col("code") == "D09").sum()).item(),
        "matched_rows": matched_rows,
        "households": per_household.height,
        "triggered": per_household.select(pl.col("triggered").sum()).item(),
        "not_eligible": per_household.select((pl.col("triggered") & ~pl.col("eligible")).sum()).item(),
        "leads": leads.height,
        "name_warnings": matched.select(pl.col("name_differs").sum()).item(),
    }
    return MatchResult(kind, year, leads, issue_frame, raw, unknown, stats, claim_level)


def _claims_per_person_and_period(rows: pl.DataFrame, layout: Layout, measure_cols: list[str]) -> pl.DataFrame:
    """A settlement-level list's claims as one entry per person and period: amounts summed, the
    other measures (a code, a grade, a text) kept apart so that no value is lost."""
    kinds = {c.name: c.kind for c in layout.measures}
    amounts = [c for c in measure_cols if kinds[c] == "money"]
    keys = ["household_id", "id_number", "period", *[c for c in measure_cols if c not in amounts]]
    return rows.group_by(keys).agg(
        pl.col("registry_name").first(),
        # An amount nobody filled in stays empty rather than becoming 0.
        *[pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()).alias(c) for c in amounts],
        pl.col("name_differs").any(), pl.col("_row").min(), claims=pl.len(),
    )
