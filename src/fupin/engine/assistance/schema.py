"""The assistance sheets of ``spec/assistance.md`` section 1, defined once: fields, code lists,
aliases, keys, sheet names and the columns of the national wide layout (section 2.3).

The importer (:mod:`fupin.io.assistance`), the rules (:mod:`fupin.engine.assistance.rules`), the
synthetic generator (:mod:`fupin.synth.assistance`) and — later — the Django models read the
fields from here. Fields reuse :class:`fupin.engine.schema.Field` (headers matched the same
way, ``normalize_header``); the one kind the registry does not have is ``date``.

Canonical frames (English field names) have these dtypes:

* ``text``, ``code``, ``region``, ``id_number`` -> ``pl.String`` (codes keep their Chinese value,
  region codes are padded to 12 digits, ID numbers are the canonical 18 characters)
* ``date`` -> ``pl.Date``; ``int`` -> ``pl.Int32``; ``money``, ``number`` -> ``pl.Float64``
* ``yesno`` -> ``pl.Boolean`` (null = unknown, never "no")

Extra columns of the canonical measures frame: ``wide`` (Boolean: the row came from a wide
layout, so the rule "counts" does not ask for an amount) and, straight from the reader,
``_sheet`` / ``_row`` (where the row came from).
"""

from __future__ import annotations

import polars as pl

from fupin.engine.schema import (
    DTYPES,
    Field,
    index_headers,
    match_to_index,
    normalize_header,
    normalize_text,
)

F = Field

# --- code lists (section 1) -------------------------------------------------------------------

MODES = ("开发式", "保障式")
UNITS = ("元", "人", "户", "次", "人次", "项")
DURATIONS = ("一次性", "持续")
ONE_OFF, CONTINUING = DURATIONS
INCOME_SOURCES = ("工资性", "生产经营性", "财产性", "转移性", "无")
TARGETS = ("户", "人", "户或人")
HOUSEHOLD_TARGET, PERSON_TARGET, EITHER_TARGET = TARGETS
FUND_SOURCES = (
    "财政衔接资金", "财政专项扶贫资金", "行业部门资金", "东西部协作资金", "定点帮扶资金", "社会帮扶资金",
    "信贷资金", "村集体", "企业", "其他",
)
MEASURE_STATUSES = ("计划", "实施中", "已落实", "已取消")
COUNTING_STATUSES = ("实施中", "已落实")
PROJECT_KINDS = ("资产收益", "代养", "股权量化", "光伏", "其他")
PROJECT_OWNERS = ("村集体", "合作社", "企业", "乡镇", "其他")
# 1.4: the card names a dividend after its project's 类型.
DIVIDEND_LABELS = {"资产收益": "资产收益分红", "代养": "代养收益", "股权量化": "股权量化分红",
                   "光伏": "光伏收益分配", "其他": "其他资产收益"}
POST_KINDS = ("公益性岗位", "帮扶车间", "企业岗位", "以工代赈", "其他")
PUBLIC_POST = POST_KINDS[0]
PUBLIC_POST_TYPES = ("保洁员", "护林员", "护路员", "护水员", "护边员", "护草员", "护理员", "治安协管员", "其他")
WORKPLACES = ("乡镇内", "乡镇外县内", "县外省内", "省外")
POST_CHANNELS = ("送工送岗", "招聘会", "东西部协作", "定点帮扶", "其他")
PLACEMENT_MODES = ("公益性岗位", "帮扶车间", "转移就业", "就近就业", "自主创业", "灵活就业")
PLACEMENT_SERVICES = ("送工送岗", "点对点输送", "自主", "其他")
WILLINGNESS = ("有", "无")
AWAY_WILLINGNESS = ("外出", "本地", "均可")
EMPLOYMENT_STATES = ("已就业", "未就业", "务农", "灵活就业")
IDLE_REASONS = ("照料家人", "健康原因", "缺技能", "无合适岗位", "其他")
# 1.11 务工动态.
MIGRATION_STATES = ("在外务工", "已返岗", "返乡未外出", "本地就业", "不外出")
# 1.5–1.7: cadres, pairings, visits.
UNIT_LEVELS = ("中央单位", "省直", "市直", "县直", "乡镇", "村级", "东西协作", "企业", "其他")
RANKS = ("厅级", "正处", "副处", "正科", "副科", "一般干部", "村干部", "其他")
CADRE_ROLES = ("第一书记", "驻村工作队员", "帮扶责任人", "村干部", "其他")
PAIRING_ORDERS = ("第一", "第二")
FIRST_PAIRING = PAIRING_ORDERS[0]
VISIT_MODES = ("入户走访", "电话", "视频", "集中座谈", "其他")
HOME_VISIT = VISIT_MODES[0]
VISIT_ITEMS = ("政策宣传", "收入核实", "两不愁三保障核实", "风险排查", "帮办实事", "其他")

# The family every 综合保障 measure belongs to (R4) and the 资产收益 family (R2 mechanism).
SAFETY_NET_FAMILY = "综合保障"
ASSET_INCOME_FAMILY = "资产收益"
PUBLIC_POST_FAMILY = "公益岗位帮扶"
EMPLOYMENT_FAMILY = "就业帮扶"  # where a placement off a 公益性岗位 goes on the 明白卡
OTHER_PREFIX = "其他"  # the implicit 小类 其他<大类>

# The registry income item each 收入归类 feeds (R9, the card).
INCOME_COLUMN = {"工资性": "wage_income", "生产经营性": "business_income", "财产性": "property_income",
                 "转移性": "transfer_income"}

# --- the national wide layout (2.3) -------------------------------------------------------------
# Column -> 大类 (the 2023 national form's families, code-seen, M). 搬迁 is 大类 搬迁后续扶持.
WIDE_COLUMNS: dict[str, str] = {
    "产业帮扶": "产业帮扶", "就业帮扶": "就业帮扶", "金融帮扶": "金融帮扶", "公益岗位帮扶": "公益岗位帮扶",
    "健康帮扶": "健康帮扶", "义务教育保障": "义务教育保障", "其他教育帮扶": "其他教育帮扶",
    "住房安全保障": "住房安全保障", "饮水安全保障": "饮水安全保障", "综合保障": "综合保障",
    "社会帮扶": "社会帮扶", "搬迁": "搬迁后续扶持", "生产生活条件改善": "生产生活条件改善",
}
WIDE_UNIT = "（系统导出）"   # 责任单位 of a wide-layout measure
WIDE_STATUS = "已落实"
LIST_SEPARATORS = r"[、,，;；]+"


def _f(name, zh, kind, codes=(), aliases=(), required=False) -> Field:
    return Field(name, zh, kind, tuple(codes), tuple(aliases), {}, required)


CATALOGUE_FIELDS: tuple[Field, ...] = (
    _f("family", "大类", "text", required=True),
    _f("subtype", "小类", "text", required=True),
    _f("aliases", "别名", "text"),
    _f("mode", "方式", "code", MODES, required=True),
    _f("unit", "单位", "code", UNITS, required=True),
    _f("duration", "持续性", "code", DURATIONS, required=True),
    _f("income_measure", "收益类", "yesno", required=True),
    _f("outlet", "出路类", "yesno", required=True),
    _f("income_source", "收入归类", "code", INCOME_SOURCES, required=True),
    _f("target", "对象", "code", TARGETS, required=True),
    _f("card_label", "明白卡显示", "text"),
    _f("sensitive", "敏感", "yesno", required=True),
    _f("active", "启用", "yesno", required=True),
)

MEASURE_FIELDS: tuple[Field, ...] = (
    _f("measure_id", "措施编号", "text"),
    _f("household_id", "户编号", "text", required=True),
    _f("id_number", "证件号码", "id_number", aliases=("身份证号码", "身份证号", "公民身份号码")),
    _f("family", "大类", "text", aliases=("帮扶大类", "措施大类")),
    _f("subtype", "小类", "text", aliases=("帮扶措施", "措施名称", "措施小类"), required=True),
    _f("year", "年度", "int"),
    _f("start", "开始日期", "date", aliases=("实施日期", "开始时间")),
    _f("end", "结束日期", "date", aliases=("结束时间",)),
    _f("amount", "金额", "money", aliases=("帮扶金额", "金额(元)")),
    _f("quantity", "数量", "number"),
    _f("fund_source", "资金来源", "code", FUND_SOURCES),
    _f("responsible_unit", "责任单位", "text", required=True),
    _f("campaign", "专项行动", "text"),
    _f("status", "状态", "code", MEASURE_STATUSES, aliases=("落实状态",), required=True),
    _f("note", "说明", "text", aliases=("备注",)),
)

PROJECT_FIELDS: tuple[Field, ...] = (
    _f("project_id", "项目编号", "text", required=True),
    _f("name", "项目名称", "text", required=True),
    _f("kind", "类型", "code", PROJECT_KINDS, aliases=("项目类型",), required=True),
    _f("region_code", "区划代码", "region"),
    _f("owner", "资产所有者", "code", PROJECT_OWNERS),
    _f("operator", "经营主体", "text"),
    _f("asset_value", "资产原值", "money"),
    _f("fiscal_value", "其中财政资金", "money"),
    _f("total_shares", "总股数", "number"),
    _f("guaranteed_rate", "保底收益率", "number"),
    _f("start", "开始日期", "date", required=True),
    _f("end", "结束日期", "date"),
)

DIVIDEND_FIELDS: tuple[Field, ...] = (
    _f("project_id", "项目编号", "text", required=True),
    _f("household_id", "户编号", "text", required=True),
    _f("id_number", "证件号码", "id_number", aliases=("身份证号码", "身份证号")),
    _f("year", "年度", "int", required=True),
    _f("shares", "持有股数", "number"),
    _f("amount", "分红金额", "money", required=True),
    _f("paid_on", "发放日期", "date"),
)

POST_FIELDS: tuple[Field, ...] = (
    _f("post_id", "岗位编号", "text", required=True),
    _f("name", "岗位名称", "text", required=True),
    _f("kind", "类别", "code", POST_KINDS, required=True),
    _f("public_post_type", "公益岗类型", "code", PUBLIC_POST_TYPES),
    _f("employer", "用人单位", "text", required=True),
    _f("region_code", "工作地区划", "region"),
    _f("place", "工作地类别", "code", WORKPLACES, required=True),
    _f("monthly_pay", "月薪酬", "money", required=True),
    _f("accident_insurance", "意外伤害保险", "yesno"),
    _f("injury_insurance", "工伤保险", "yesno"),
    _f("planned", "计划人数", "int", required=True),
    _f("published_on", "发布日期", "date", required=True),
    _f("closes_on", "截止日期", "date"),
    _f("channel", "来源", "code", POST_CHANNELS),
)

PLACEMENT_FIELDS: tuple[Field, ...] = (
    _f("id_number", "证件号码", "id_number", aliases=("身份证号码", "身份证号"), required=True),
    _f("household_id", "户编号", "text", required=True),
    _f("post_id", "岗位编号", "text"),
    _f("employer", "用人单位", "text"),
    _f("place", "工作地类别", "code", WORKPLACES),
    _f("start", "开始日期", "date", required=True),
    _f("end", "结束日期", "date"),
    _f("monthly_income", "月收入", "money"),
    _f("mode", "就业方式", "code", PLACEMENT_MODES),
    _f("service", "服务方式", "code", PLACEMENT_SERVICES),
)

LABOUR_FIELDS: tuple[Field, ...] = (
    _f("id_number", "证件号码", "id_number", aliases=("身份证号码", "身份证号"), required=True),
    _f("year", "年度", "int", required=True),
    _f("household_id", "户编号", "text"),
    _f("willing", "就业意愿", "code", WILLINGNESS),
    _f("away", "外出意愿", "code", AWAY_WILLINGNESS),
    _f("training", "培训意愿", "yesno"),
    _f("employment", "就业状态", "code", EMPLOYMENT_STATES),
    _f("idle_reason", "未就业原因", "code", IDLE_REASONS),
    _f("skills", "技能", "text"),
)

MIGRATION_FIELDS: tuple[Field, ...] = (
    _f("id_number", "证件号码", "id_number", aliases=("身份证号码", "身份证号"), required=True),
    _f("household_id", "户编号", "text"),
    _f("reported_on", "日期", "date", aliases=("登记日期",), required=True),
    _f("state", "状态", "code", MIGRATION_STATES, aliases=("务工状态",), required=True),
    _f("place", "务工地类别", "code", WORKPLACES, aliases=("工作地类别",)),
    _f("returned_on", "返乡日期", "date"),
    _f("back_on", "返岗日期", "date"),
)

CADRE_FIELDS: tuple[Field, ...] = (
    _f("cadre_id", "责任人编号", "text", aliases=("帮扶责任人编号",)),
    _f("name", "姓名", "text", aliases=("责任人姓名", "帮扶责任人姓名", "帮扶责任人"), required=True),
    _f("sex", "性别", "code", ("男", "女"), aliases=("责任人性别",)),
    _f("id_number", "证件号码", "id_number", aliases=("责任人证件号码", "身份证号码", "身份证号")),
    _f("unit", "帮扶单位", "text", aliases=("帮扶(选派)单位名称", "帮扶（选派）单位名称", "帮扶单位名称", "选派单位"),
       required=True),
    _f("unit_level", "单位隶属", "code", UNIT_LEVELS, aliases=("单位隶属关系", "帮扶单位隶属")),
    _f("rank", "职级", "code", RANKS, aliases=("责任人职级",), required=True),
    _f("role", "身份", "code", CADRE_ROLES, aliases=("责任人身份",)),
    _f("phone", "联系电话", "text", aliases=("责任人联系电话", "手机号码", "帮扶责任人联系电话"), required=True),
    _f("left_on", "离岗日期", "date", aliases=("离岗时间",)),
)

PAIRING_FIELDS: tuple[Field, ...] = (
    _f("cadre_id", "责任人编号", "text", aliases=("帮扶责任人编号",)),
    _f("cadre_name", "责任人姓名", "text", aliases=("帮扶责任人姓名", "帮扶责任人", "姓名")),
    _f("cadre_phone", "责任人联系电话", "text", aliases=("帮扶责任人联系电话", "联系电话")),
    _f("household_id", "户编号", "text", required=True),
    _f("start", "开始日期", "date", aliases=("帮扶开始时间", "帮扶开始日期", "结对开始日期"), required=True),
    _f("end", "结束日期", "date", aliases=("帮扶结束时间", "帮扶结束日期", "结对结束日期")),
    _f("order", "序位", "code", PAIRING_ORDERS, aliases=("帮扶序位",)),
)

VISIT_FIELDS: tuple[Field, ...] = (
    _f("household_id", "户编号", "text", required=True),
    _f("cadre_id", "责任人编号", "text", aliases=("帮扶责任人编号",)),
    _f("visitor", "走访人", "text", aliases=("走访人姓名",)),
    _f("visited_on", "走访日期", "date", aliases=("走访时间",), required=True),
    _f("mode", "方式", "code", VISIT_MODES, aliases=("走访方式",), required=True),
    _f("items", "事项", "text", aliases=("走访事项",)),
    _f("found_problem", "发现问题", "yesno", aliases=("是否发现问题",)),
    _f("problem", "问题描述", "text"),
    _f("content", "内容", "text", aliases=("走访内容",)),
)
# 1.6 flat layout: the national 帮扶责任人 export has one row per (cadre, household).
FLAT_PAIRING_HEADERS = ("帮扶开始时间", "帮扶结束时间", "开始日期", "结束日期")

TABLES: dict[str, tuple[Field, ...]] = {
    "measure_catalogue": CATALOGUE_FIELDS,
    "measures": MEASURE_FIELDS,
    "income_projects": PROJECT_FIELDS,
    "dividends": DIVIDEND_FIELDS,
    "posts": POST_FIELDS,
    "placements": PLACEMENT_FIELDS,
    "labour": LABOUR_FIELDS,
    "migration": MIGRATION_FIELDS,
    "cadres": CADRE_FIELDS,
    "pairings": PAIRING_FIELDS,
    "visits": VISIT_FIELDS,
}
# Sheet names (xlsx) — Chinese first, it is the one written back — and file names (CSV/Parquet).
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "measure_catalogue": ("帮扶措施目录", "measure_catalogue"),
    "measures": ("帮扶措施", "measures"),
    "income_projects": ("收益项目", "income_projects"),
    "dividends": ("收益分配", "dividends"),
    "posts": ("岗位", "posts"),
    "placements": ("就业", "placements"),
    "labour": ("劳动力", "labour"),
    "migration": ("务工动态", "migration"),
    "cadres": ("帮扶责任人", "cadres"),
    "pairings": ("结对帮扶", "pairings"),
    "visits": ("走访记录", "visits"),
}
WIDE_SHEET_NAMES = ("帮扶措施（宽表）", "measures_wide")
# Natural keys (section 1); measures: 措施编号, else (户编号, 证件号码, 小类, 开始日期 or 年度).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "measure_catalogue": ("subtype",),
    "measures": ("household_id", "id_number", "subtype", "start", "year"),
    "income_projects": ("project_id",),
    "dividends": ("project_id", "household_id", "year", "paid_on"),
    "posts": ("post_id",),
    "placements": ("id_number", "start", "post_id", "employer"),
    "labour": ("id_number", "year"),
    "migration": ("id_number", "reported_on"),
    "cadres": ("cadre_id",),   # else (name, phone): see cadre_key
    "pairings": ("cadre_id", "household_id", "start"),
    "visits": ("household_id", "visited_on", "cadre_id", "visitor", "mode"),
}

ASSIST_DTYPES: dict[str, pl.DataType] = {**DTYPES, "date": pl.Date()}


def dtype(f: Field) -> pl.DataType:
    return ASSIST_DTYPES[f.kind]


def fields(table: str) -> tuple[Field, ...]:
    return TABLES[table]


def field_by_name(table: str, name: str) -> Field:
    for f in TABLES[table]:
        if f.name == name:
            return f
    raise KeyError(f"{table}.{name}")


def polars_schema(table: str) -> dict[str, pl.DataType]:
    """Canonical dtypes of an assistance table, in the spec's column order."""
    out = {f.name: dtype(f) for f in TABLES[table]}
    if table == "measures":
        out["wide"] = pl.Boolean()
    return out


def empty_frame(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table))


def header_index(table: str) -> dict[str, str]:
    return index_headers(TABLES[table])


def match_headers(table: str, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """(raw header -> field, unknown raw headers); a field named twice keeps the first."""
    return match_to_index(header_index(table), headers)


def table_of_name(name: str) -> str | None:
    """The assistance table a sheet or file (without suffix) is named after."""
    key = normalize_header(name)
    for table, names in SHEET_NAMES.items():
        if key in {normalize_header(n) for n in names}:
            return table
    return None


def wide_columns(headers: list[str]) -> dict[str, str]:
    """Raw header -> 大类 for the wide-layout columns among ``headers``."""
    index = {normalize_header(k): v for k, v in WIDE_COLUMNS.items()}
    return {h: index[normalize_header(h)] for h in headers if normalize_header(h) in index}


def cadre_key(name: str | None, phone: str | None) -> str:
    """The 责任人编号 a cadre without one is known by (1.5: key (姓名, 联系电话)): a short digest,
    so that the phone never travels as an identifier (URLs, CSV outputs)."""
    import hashlib

    text = f"{normalize_text(name or '')}|{(phone or '').replace(' ', '').replace('-', '')}"
    return "C-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def cadre_key_expr(cadre_id: pl.Expr, name: pl.Expr, phone: pl.Expr) -> pl.Expr:
    """``cadre_id`` where given, else :func:`cadre_key` of (name, phone) (null without a name)."""
    derived = pl.struct(n=name, p=phone).map_elements(
        lambda r: cadre_key(r["n"], r["p"]) if r["n"] else None, return_dtype=pl.String)
    return pl.coalesce(cadre_id, derived)


def other_subtype(family: str) -> str:
    """The implicit 小类 of a 大类: ``其他<大类>``."""
    return f"{OTHER_PREFIX}{family}"


def code_key(text: str) -> str:
    """How 小类 / 别名 / 大类 are compared: NFKC-folded, spaces removed."""
    return normalize_text(text)


def conformed(frame: pl.DataFrame | None, table: str) -> pl.LazyFrame:
    """``frame`` (or nothing) as a lazy frame with exactly ``table``'s columns and types, a missing
    column as nulls: what every rule reads, whether the rows came from a file or the database."""
    target = polars_schema(table)
    if frame is None:
        return pl.LazyFrame(schema=target)
    return frame.lazy().select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                                for c, t in target.items()])
