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

import polars as pl

from fupin.engine import facts, idnumber, rules, schema
from fupin.engine.policy import PolicyMissing, PolicySet

KINDS = ("medical", "civil", "education", "housing", "employment", "disaster")


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str  # text | id_number | year | month | money | int | code
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
)

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
    if "year" not in mapping and "month" not in mapping:
        missing.append("年度 或 月份")
    if missing:
        found = "、".join(f"“{h}”" for h in headers) or "（无）"
        raise DepartmentFileError(
            f"文件“{source}”不是{layout.zh}数据的格式：缺少列 {'、'.join(missing)}。找到的列：{found}。"
            f"请按 docs/department-layouts.md 中“{layout.zh}”的格式改好表头后重新上传。",
            f"file '{source}' is not in the {layout.en} layout: missing column(s) {', '.join(missing)}; "
            f"found: {', '.join(headers) or 'none'}. Fix the headers as in docs/department-layouts.md and try again.",
        )
    return mapping, unknown


def _text(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


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


def _typed(raw: pl.DataFrame, layout: Layout, mapping: dict[str, str], year: int) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Parsed columns next to the originals, and the row-level issues found while parsing."""
    cols = {c.name: c for c in layout.columns}
    exprs: list[pl.Expr] = [pl.col("_sheet").cast(pl.String), pl.col("_row").cast(pl.Int64)]
    for name, header in mapping.items():
        exprs.append(pl.col(header).alias(f"raw_{name}"))
    frame = raw.select(exprs).with_columns(pl.col("raw_id_number").cast(pl.String))
    # A claims extract repeats each person many times: validate each distinct ID once.
    distinct = frame["raw_id_number"].unique()
    checked = pl.DataFrame({"raw_id_number": distinct}).hstack(
        idnumber.parse(distinct, as_of=None).select("id_number", "id_status"))
    frame = frame.join(checked, on="raw_id_number", how="left", nulls_equal=True)
    parsed: list[pl.Expr] = [_text(pl.col("raw_name")).alias("name")]
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
            # An extract holds a handful of distinct months over millions of rows: parse those.
            months = frame.select(source.cast(pl.String).unique().alias("_m"))
            groups = _text(pl.col("_m")).str.extract_groups(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?$")
            y = groups.struct.field("1").cast(pl.Int32, strict=False)
            m = groups.struct.field("2").cast(pl.Int32, strict=False)
            months = months.with_columns(
                pl.when(m.is_between(1, 12)).then(pl.format("{}-{}", y, m.cast(pl.String).str.zfill(2))).alias("_parsed"))
            lookup = dict(zip(months["_m"].to_list(), months["_parsed"].to_list(), strict=True))
            parsed.append(source.cast(pl.String).replace_strict(lookup, default=None, return_dtype=pl.String)
                          .alias(name))
        elif col.kind == "code":
            lookup = {schema.normalize_text(c): c for c in col.codes}
            parsed.append(_text(source).str.replace_all(r"\s", "").replace_strict(lookup, default=None).alias(name))
        else:
            parsed.append(_text(source).alias(name))
    frame = frame.with_columns(parsed)
    issues: list[pl.DataFrame] = []
    has = lambda n: n in mapping  # noqa: E731
    present = lambda n: _text(pl.col(f"raw_{n}")).is_not_null()  # noqa: E731
    value = lambda n: pl.col(f"raw_{n}").cast(pl.String)  # noqa: E731
    for name, col in cols.items():
        if not has(name):
            continue
        header = mapping[name]
        if col.required:
            issues.append(_issue(frame, ~present(name), "D01", header, value(name),
                                 f"“{header}”为空，请填写", f"'{header}' is empty; fill it in"))
        if col.kind == "id_number":
            msgs_zh = {k: v[0] for k, v in idnumber.MESSAGES.items()}
            msgs_en = {k: v[1] for k, v in idnumber.MESSAGES.items()}
            bad = ~pl.col("id_status").is_in(idnumber.LOADABLE) & present(name)
            issues.append(_issue(
                frame, bad, "D02", header, value(name),
                pl.col("id_status").replace_strict(msgs_zh, default="证件号码错误"),
                pl.col("id_status").replace_strict(msgs_en, default="invalid ID number"),
            ))
        elif col.kind in ("money", "int", "year"):
            bad = present(name) & pl.col(name).is_null()
            what_zh = "年度应为四位数字，如 2024" if col.kind == "year" else "应为数字（单位：元），不要写文字或单位以外的符号"
            what_en = "year must be four digits, e.g. 2024" if col.kind == "year" else "must be a number (yuan), no words"
            issues.append(_issue(frame, bad, "D05" if col.kind == "year" else "D03", header, value(name),
                                 f"“{header}”的值不是有效数字：{what_zh}", f"'{header}' is not a valid number: {what_en}"))
            if col.kind == "money":
                issues.append(_issue(frame, pl.col(name) < 0, "D11", header, value(name),
                                     f"“{header}”不能为负数", f"'{header}' must not be negative"))
        elif col.kind == "month":
            bad = present(name) & pl.col(name).is_null()
            issues.append(_issue(frame, bad, "D05", header, value(name),
                                 f"“{header}”应写成 YYYY-MM，如 2024-03", f"'{header}' must be YYYY-MM, e.g. 2024-03"))
        elif col.kind == "code":
            bad = present(name) & pl.col(name).is_null()
            issues.append(_issue(frame, bad, "D04", header, value(name),
                                 f"“{header}”只能填：{'、'.join(col.codes)}", f"'{header}' must be one of {', '.join(col.codes)}"))
    # The period: 月份 when given, else 年度; its year must be the matching year.
    period_year = pl.lit(None, dtype=pl.Int64)
    if has("month"):
        period_year = pl.col("month").str.slice(0, 4).cast(pl.Int64, strict=False)
    if has("year"):
        period_year = period_year.fill_null(pl.col("year"))
    period = pl.col("month") if has("month") else pl.lit(None, dtype=pl.String)
    if has("year"):
        period = period.fill_null(pl.col("year").cast(pl.String))
    frame = frame.with_columns(period_year=period_year, period=period)
    no_period = pl.col("period").is_null()
    if has("month"):
        no_period = no_period & ~present("month")
    if has("year"):
        no_period = no_period & ~present("year")
    period_header = mapping.get("month") or mapping.get("year")
    issues.append(_issue(frame, no_period, "D01", period_header, pl.lit(None, dtype=pl.String),
                         "年度和月份都为空，请至少填写一项", "both year and month are empty; fill in one"))
    wrong_year = pl.col("period_year").is_not_null() & (pl.col("period_year") != year)
    issues.append(_issue(frame, wrong_year, "D06", period_header, pl.col("period"),
                         pl.format("该行属于 {} 年，本次匹配的是 {} 年；请分年度上传", pl.col("period_year"), pl.lit(year)),
                         pl.format("the row is of year {}, this matching is for {}; upload each year separately",
                                   pl.col("period_year"), pl.lit(year))))
    return frame, issues


def _duplicates(valid: pl.DataFrame, measure_names: list[str]) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Drop repeated (ID, period) rows: identical copies after the first, conflicting ones all."""
    repeated = valid.select(pl.struct("id_number", "period").is_duplicated()).to_series()
    if not repeated.any():
        return valid, []
    # Only the rows whose key repeats need the closer look (a small share of a real extract).
    unique_rows, valid = valid.filter(~repeated), valid.filter(repeated)
    values = [pl.col(n) for n in ["name", *measure_names] if n in valid.columns]
    keyed = valid.with_columns(_fingerprint=pl.struct(values).hash())
    groups = keyed.group_by("id_number", "period").agg(
        _n=pl.len(), _distinct=pl.col("_fingerprint").n_unique(), _first=pl.col("_row").min(),
    ).filter(pl.col("_n") > 1)
    if groups.height == 0:
        return pl.concat([unique_rows, valid], how="vertical"), []
    keyed = keyed.join(groups, on=["id_number", "period"], how="left")
    conflict = pl.col("_distinct").fill_null(1) > 1
    repeat = (pl.col("_distinct").fill_null(1) == 1) & pl.col("_first").is_not_null() & (pl.col("_row") != pl.col("_first"))
    issues = [
        _issue(keyed, conflict, "D08", None, pl.col("period"),
               "同一证件号码、同一期间有多行且数值不同，无法判断哪一行正确；请核对后只保留一行",
               "several rows for one ID number and period with different values; keep the right one and upload again"),
        _issue(keyed, repeat, "D07", None, pl.col("period"),
               pl.format("与第 {} 行完全相同，已按一行计算", pl.col("_first")),
               pl.format("same as row {}; counted once", pl.col("_first"))),
    ]
    kept = keyed.filter(~conflict & ~repeat).drop("_fingerprint", "_n", "_distinct", "_first")
    return pl.concat([unique_rows, kept], how="vertical"), issues


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


def _household_measures(kind: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Per household: the measures the trigger reads."""
    # The list of periods is evidence, built later for the lead households only: a sorted list
    # per household over a 10M-row extract costs more than the whole match.
    measures = rules.trigger(kind).measures(set(rows.columns))
    return rows.group_by("household_id").agg(pl.len().alias("rows"), *measures)


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
    frame, issues = _typed(raw, layout, mapping, year)
    measure_names = [c.name for c in layout.measures if c.name in mapping]
    errors = pl.concat([i for i in issues if i.height], how="vertical") if any(i.height for i in issues) else pl.DataFrame(schema=ISSUE_SCHEMA)
    bad_rows = errors.select(_sheet="sheet", _row="row").unique()
    valid = frame.join(bad_rows, on=["_sheet", "_row"], how="anti")
    valid, dup_issues = _duplicates(valid, measure_names)
    issues.extend(dup_issues)

    registry_members = members.lazy().filter(pl.col("year") == year).select(
        "id_number", "household_id", registry_name="name")
    matched = valid.lazy().join(registry_members, on="id_number", how="left").collect()
    id_header = mapping["id_number"]
    issues.append(_issue(
        matched, pl.col("household_id").is_null(), "D09", id_header, pl.col("raw_id_number"),
        pl.format("证件号码 {} 在 {} 年的登记册（您的管辖范围内）中找不到；请核对号码，或先把该户录入登记册",
                  _mask(pl.col("id_number")), pl.lit(year)),
        pl.format("ID number {} is not in the registry of {} (within your region); check it or register the household first",
                  _mask(pl.col("id_number")), pl.lit(year)),
    ))
    matched = matched.filter(pl.col("household_id").is_not_null()).with_columns(
        name_differs=pl.col("name").is_not_null() & (pl.col("name") != pl.col("registry_name"))
    )
    issues.append(_issue(
        matched, pl.col("name_differs"), "D10", mapping["name"], pl.col("name"),
        pl.format("文件中的姓名与登记册（{}）不一致，已按证件号码匹配，请核实", pl.col("registry_name")),
        pl.format("the name differs from the registry ({}); matched by ID number, please check", pl.col("registry_name")),
        severity="warning",
    ))

    hh = households.lazy().filter(pl.col("year") == year).select(
        "household_id", "region_code", "registered", "poverty_status", "monitoring_category", "risk_eliminated",
    ).collect()
    per_household = _household_measures(kind, matched).join(hh, on="household_id", how="left")
    per_household = _policy_columns(policy, year, per_household, layout.parameters)
    # Leads go only to households that could become monitoring objects (rules.md section 2).
    eligible = ~facts.currently_monitored() & ~facts.in_poverty()
    trigger = layout.trigger
    evidence_cols = trigger.evidence()
    per_household = per_household.with_columns(triggered=trigger.expression().fill_null(False), eligible=eligible)
    lead_households = per_household.filter(pl.col("triggered") & pl.col("eligible"))
    periods = matched.join(lead_households.select("household_id"), on="household_id", how="semi").group_by(
        "household_id").agg(pl.col("period").unique().sort().alias("periods"))
    lead_households = lead_households.join(periods, on="household_id", how="left")

    measure_cols = [c for c in measure_names if c in matched.columns]
    persons = matched.join(lead_households.select("household_id"), on="household_id", how="semi").sort("_row").group_by(
        "household_id", maintain_order=True).agg(
        pl.struct(
            pl.col("registry_name").alias("name"), _mask(pl.col("id_number")).alias("id"), pl.col("period"),
            *[pl.col(c) for c in measure_cols], pl.col("name_differs"), pl.col("_row").alias("row"),
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
    issue_frame = issue_frame.sort("sheet", "row", "code")
    rejected = issue_frame.filter(pl.col("severity") == "error").select("sheet", "row").unique().height
    stats = {
        "rows": raw.height,
        "rejected": rejected,
        "invalid": bad_rows.height,
        "duplicates": sum(i.height for i in dup_issues),
        "unmatched": matched.height and 0,
        "matched_rows": matched.height,
        "households": per_household.height,
        "triggered": per_household.filter(pl.col("triggered")).height,
        "not_eligible": per_household.filter(pl.col("triggered") & ~pl.col("eligible")).height,
        "leads": leads.height,
        "name_warnings": matched.filter(pl.col("name_differs")).height,
    }
    stats["unmatched"] = issue_frame.filter(pl.col("code") == "D09").height
    return MatchResult(kind, year, leads, issue_frame, raw, unknown, stats)
