"""The exchange schema: every field of ``spec/exchange-format.md``, defined once.

The importer, the models, the forms, the exports and the synthetic generator all read the
field lists and code lists from here, so a code list exists in one place only.

Canonical tables are Polars frames with the English field names and these dtypes:

* ``text``, ``code``, ``month``, ``region``, ``id_number`` -> ``pl.String``
  (codes keep their Chinese value, months are ``YYYY-MM``, region codes are 12 digits)
* ``int`` -> ``pl.Int32``; ``money`` and ``number`` -> ``pl.Float64``
* ``yesno`` -> ``pl.Boolean`` (null = unknown, never "no")
* ``causes`` -> ``pl.String``, the causes joined with ``、``
* ``date`` -> ``pl.Date`` (``YYYY-MM-DD``)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Kind = Literal[
    "text", "int", "money", "number", "yesno", "code", "month", "region", "id_number", "causes", "date"
]

# --- code lists -----------------------------------------------------------------------

POVERTY_STATUSES = ("未脱贫", "已脱贫", "返贫")
POVERTY_ATTRIBUTES = ("一般贫困户", "低保贫困户", "特困供养贫困户")
CAUSES = (
    "因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金",
    "交通条件落后", "自身发展动力不足", "其他",
)
# 监测对象类别: the key the engine and the leads use for each category, and the exchange
# format's code the registry stores for it.
MONITORING_CATEGORY_CODES = {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden": "突发严重困难户"}
MONITORING_CATEGORIES = tuple(MONITORING_CATEGORY_CODES.values())
HOUSING_GRADES = ("A", "B", "C", "D")
HOUSING_RENOVATION = ("无需", "未改造", "改造中", "已完成")
WATER_QUALITY = ("达标", "基本达标", "不达标")
SEXES = ("男", "女")
RELATIONSHIPS = (
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之外孙子", "之外孙女",
    "之父", "之母", "之岳父", "之岳母", "之公公", "之婆婆", "之祖父", "之祖母", "之兄弟姐妹", "其他",
)
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族",
    "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)
EDUCATION_LEVELS = ("文盲或半文盲", "小学", "初中", "高中", "大专及以上", "学龄前儿童")
SCHOOL_STATUSES = (
    "学前教育", "小学", "初中", "高中", "中职", "高职", "技工", "大专", "本科", "硕士及以上", "非在校生",
)
DROPOUT_REASONS = ("身体原因", "其他")
HEALTH = ("健康", "长期慢性病", "患有大病", "残疾")
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
WORK_LOCATIONS = ("乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工", "其他")
MEDICAL_INSURANCE = ("城乡居民", "职工", "未参保")
MEMBER_STATUSES = ("正常", "死亡", "迁出", "婚出", "服刑", "其他减少")
ZONES = ("西部", "中部", "东部")
HOUSEHOLD_TYPES = ("贫困户", "脱贫户", "一般农户")

# Values the national system writes that map onto the code lists above.  Keys are compared
# after ``normalize_text`` (full-width folded, spaces removed).
SCHOOL_STATUS_ALIASES: dict[str, str] = {
    **{f"{n}年级": "小学" for n in "一二三四五六"},
    **{f"{n}年级": "初中" for n in "七八九"},
    "高一": "高中", "高二": "高中", "高三": "高中",
    **{f"中职{n}年级": "中职" for n in "一二三"},
    **{f"高职{n}年级": "高职" for n in "一二三"},
    **{f"技工{n}年级": "技工" for n in "一二三"},
    **{f"大专{n}年级": "大专" for n in "一二三"},
    **{f"本科{n}年级": "本科" for n in "一二三四五"},
    "学前": "学前教育", "幼儿园": "学前教育", "硕士": "硕士及以上", "博士": "硕士及以上",
    "研究生": "硕士及以上", "非在校": "非在校生",
}
MEDICAL_INSURANCE_ALIASES = {"是": "城乡居民", "否": "未参保"}
WORK_LOCATION_ALIASES = {
    "乡(镇)内务工": "乡（镇）内务工", "乡(镇)外县内务工": "乡（镇）外县内务工",
    "乡镇内务工": "乡（镇）内务工", "乡镇外县内务工": "乡（镇）外县内务工",
}
MEMBER_STATUS_ALIASES = {"": "正常"}

YES_WORDS = ("是", "y", "yes", "true", "1", "t")
NO_WORDS = ("否", "n", "no", "false", "0", "f")


@dataclass(frozen=True)
class Field:
    """One column of an exchange table."""

    name: str
    zh: str
    kind: Kind
    codes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    code_aliases: dict[str, str] = field(default_factory=dict)
    required: bool = False
    # A field only national exports carry; never written by export.
    import_only: bool = False
    en_label: str = ""

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this field (normalized)."""
        return tuple(normalize_header(h) for h in (self.zh, self.name, *self.aliases))


DTYPES: dict[str, pl.DataType] = {
    "text": pl.String(), "code": pl.String(), "month": pl.String(), "region": pl.String(),
    "id_number": pl.String(), "causes": pl.String(), "int": pl.Int32(),
    "money": pl.Float64(), "number": pl.Float64(), "yesno": pl.Boolean(), "date": pl.Date(),
}


def F(name, zh, kind, codes=(), aliases=(), code_aliases=None, required=False, import_only=False):
    return Field(name, zh, kind, tuple(codes), tuple(aliases), dict(code_aliases or {}),
                 required, import_only)


HOUSEHOLD_FIELDS: tuple[Field, ...] = (
    F("household_id", "户编号", "text", required=True),
    F("year", "年度", "int", required=True),
    F("region_code", "区划代码", "region", required=True, aliases=("行政区划代码",)),
    F("hamlet", "自然村", "text", aliases=("组",)),
    F("registered", "是否建档立卡", "yesno", required=True),
    F("poverty_status", "脱贫状态", "code", POVERTY_STATUSES),
    F("exit_year", "脱贫年度", "int", aliases=("脱贫年份",)),
    F("identified_year", "首次识别年度", "int", aliases=("首次识别时间",)),
    F("poverty_attribute", "贫困户属性", "code", POVERTY_ATTRIBUTES),
    F("main_cause", "主要致贫原因", "code", CAUSES, aliases=("致贫原因1", "致贫原因")),
    F("other_causes", "其他致贫原因", "causes", CAUSES),
    F("monitoring_category", "监测对象类别", "code", MONITORING_CATEGORIES,
      aliases=("易返贫致贫户(监测对象)类型", "监测对象类型")),
    F("monitoring_since", "识别监测时间", "month", aliases=("风险识别时间",)),
    F("risk_eliminated", "风险是否已消除", "yesno", aliases=("风险是否消除",)),
    F("risk_eliminated_at", "风险消除时间", "month"),
    F("phone", "联系电话", "text", aliases=("户联系电话",)),
    F("wage_income", "工资性收入", "money"),
    F("business_income", "生产经营性收入", "money"),
    F("property_income", "财产性收入", "money"),
    F("transfer_income", "转移性收入", "money"),
    F("business_expense", "生产经营性支出", "money"),
    F("prior_net_income", "上年家庭纯收入", "money"),
    F("medical_out_of_pocket", "合规自付医疗费用", "money"),
    F("education_out_of_pocket", "非义务教育自付费用", "money"),
    F("disaster_loss", "灾害事故损失", "money"),
    F("food_secure", "不愁吃", "yesno"),
    F("clothing_secure", "不愁穿", "yesno"),
    F("housing_grade", "住房安全等级", "code", HOUSING_GRADES),
    F("housing_renovation", "危房改造状态", "code", HOUSING_RENOVATION),
    F("relocated", "易地扶贫搬迁", "yesno"),
    F("water_litres_per_day", "人均日供水量", "number"),
    F("water_scarce_area", "是否缺水地区", "yesno"),
    F("water_quality", "水质", "code", WATER_QUALITY),
    F("tap_water", "自来水入户", "yesno"),
    F("fetch_minutes", "取水往返时间", "number"),
    F("fetch_horizontal_m", "取水水平距离", "number"),
    F("fetch_vertical_m", "取水垂直高差", "number"),
    F("outage_days", "年断水天数", "number"),
    F("water_safe", "饮水是否安全", "yesno", aliases=("是否解决安全饮用水",)),
    F("farmland_mu", "耕地面积", "number"),
    F("forest_mu", "林地面积", "number"),
    F("road_distance_km", "与村主干路距离", "number"),
    # Fields of the flat national-export layout (import only, see exchange-format.md).
    F("county_name", "县", "text", aliases=("区县", "县(市、区)"), import_only=True),
    F("town_name", "乡(镇)", "text", aliases=("乡镇", "乡(镇、街道)"), import_only=True),
    F("village_name", "行政村", "text", aliases=("村",), import_only=True),
    F("household_size", "人数", "int", aliases=("家庭人口数", "户人数"), import_only=True),
    F("household_type", "户类型", "code", HOUSEHOLD_TYPES, import_only=True),
    F("reported_per_capita_income", "人均纯收入", "money", import_only=True),
    F("dilapidated", "危房户", "yesno", aliases=("是否危房户",), import_only=True),
)

MEMBER_FIELDS: tuple[Field, ...] = (
    F("household_id", "户编号", "text", required=True),
    F("year", "年度", "int"),
    F("name", "姓名", "text", required=True),
    F("id_number", "证件号码", "id_number", required=True, aliases=("身份证号码", "身份证号", "公民身份号码")),
    F("sex", "性别", "code", SEXES),
    F("relationship", "与户主关系", "code", RELATIONSHIPS, required=True),
    F("ethnicity", "民族", "code", ETHNICITIES),
    F("education_level", "文化程度", "code", EDUCATION_LEVELS),
    F("school_status", "在校生状况", "code", SCHOOL_STATUSES, code_aliases=SCHOOL_STATUS_ALIASES),
    F("dropout_reason", "失学辍学原因", "code", DROPOUT_REASONS),
    F("home_schooling", "送教上门", "yesno"),
    F("health", "健康状况", "code", HEALTH),
    F("disability_grade", "残疾等级", "code", DISABILITY_GRADES),
    F("labour", "劳动技能", "code", LABOUR),
    F("work_location", "务工状况", "code", WORK_LOCATIONS, code_aliases=WORK_LOCATION_ALIASES),
    F("work_months", "务工时间", "int", aliases=("务工时间(月)",)),
    F("medical_insurance", "基本医疗保险", "code", MEDICAL_INSURANCE,
      aliases=("是否参加城乡居民基本医疗保险",), code_aliases=MEDICAL_INSURANCE_ALIASES),
    F("critical_illness_insurance", "是否参加大病保险", "yesno"),
    F("pension_insurance", "是否参加基本养老保险", "yesno",
      aliases=("是否参加城乡居民基本养老保险",)),
    F("dibao", "是否享受低保", "yesno"),
    F("tekun", "是否特困供养", "yesno"),
    F("member_status", "人员状态", "code", MEMBER_STATUSES),
    # assistance.md 1.8: the date 人员状态 changed (死亡, 迁出 …); empty while 正常 (quality W02).
    F("status_changed_on", "人员状态变动日期", "date", aliases=("状态变动日期", "人员状态变更日期")),
)

REGION_FIELDS: tuple[Field, ...] = (
    F("region_code", "区划代码", "text", required=True),
    F("name", "名称", "text", aliases=("区划名称",)),
    F("registered_rural_population", "户籍人口", "int", aliases=("农村户籍人口",)),
    F("zone", "区域", "code", ZONES),
    F("poverty_county", "是否贫困县", "yesno"),
    F("county_exit_year", "摘帽年度", "int"),
    F("poor_village", "是否贫困村", "yesno"),
    F("deep_poverty", "是否深度贫困", "yesno"),
)

TABLES: dict[str, tuple[Field, ...]] = {
    "households": HOUSEHOLD_FIELDS,
    "members": MEMBER_FIELDS,
    "regions": REGION_FIELDS,
}
# Sheet names accepted for each table (xlsx) and the Chinese name used on export.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "households": ("户", "households"),
    "members": ("人", "members"),
    "regions": ("区划", "regions"),
}
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "households": ("household_id", "year"),
    "members": ("id_number", "year"),
    "regions": ("region_code",),
}


def fields(table: str, *, exchange_only: bool = False) -> tuple[Field, ...]:
    fs = TABLES[table]
    return tuple(f for f in fs if not (exchange_only and f.import_only))


def field_by_name(table: str, name: str) -> Field:
    for f in TABLES[table]:
        if f.name == name:
            return f
    raise KeyError(f"{table}.{name}")


def polars_schema(table: str, *, exchange_only: bool = True) -> dict[str, pl.DataType]:
    """The canonical dtypes of a table, in the spec's column order."""
    return {f.name: f.dtype for f in fields(table, exchange_only=exchange_only)}


def empty_frame(table: str, *, exchange_only: bool = True) -> pl.DataFrame:
    return pl.DataFrame(schema=polars_schema(table, exchange_only=exchange_only))


# --- header matching ------------------------------------------------------------------

def normalize_text(value: str) -> str:
    """Fold full-width forms (（）→ (), ＡＢ → AB), strip spaces; used for headers and codes."""
    return unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("\u3000", "")


def normalize_header(value: str) -> str:
    return normalize_text(str(value)).lower()


def index_headers(fields_: tuple[Field, ...]) -> dict[str, str]:
    """Normalized header -> field name over any field list (the registry's or another sheet's)."""
    index: dict[str, str] = {}
    for f in fields_:
        for h in f.headers:
            index.setdefault(h, f.name)
    return index


def header_index(table: str) -> dict[str, str]:
    """Normalized header -> field name, for one table."""
    return index_headers(TABLES[table])


def match_headers(table: str, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map raw headers to field names; return (raw header -> field, unknown raw headers).

    A field matched by two headers keeps the first; the second is reported as unknown.
    """
    return match_to_index(header_index(table), headers)


def match_to_index(index: dict[str, str], headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """:func:`match_headers` against a prepared :func:`index_headers`."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    unknown: list[str] = []
    for raw in headers:
        name = index.get(normalize_header(raw))
        if name is None or name in taken:
            unknown.append(raw)
        else:
            mapping[raw] = name
            taken.add(name)
    return mapping, unknown


def code_lookup(f: Field) -> dict[str, str]:
    """Normalized spelling -> canonical code, including national aliases."""
    lookup = {normalize_text(c): c for c in f.codes}
    for alias, code in f.code_aliases.items():
        lookup.setdefault(normalize_text(alias), code)
    return lookup
