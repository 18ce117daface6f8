"""The rule registry: every rule of ``spec/rules.md`` once, with its labels and its expression.

``RULES`` holds every indicator, risk factor, monitoring category, elimination condition, the
quick-elimination review flag, the data-quality checks Q01–Q26 and the department triggers. The
CLI, the Excel writers, :mod:`fupin.engine.explain`, the web pages and the workflow read labels
and rule definitions only from here, by ``(kind, key)``.

The expressions themselves live in the section modules, re-exported here so that callers write
``rules.income()``:

* :mod:`~fupin.engine.rules.standard` — section 1, the standard (两不愁三保障, water, income);
* :mod:`~fupin.engine.rules.monitoring` — sections 2–3, leads and risk elimination;
* :mod:`~fupin.engine.rules.checks` — section 5, data quality;
* :mod:`~fupin.engine.rules.triggers` — the departments' screening triggers.

Facts that several of them read (living members, net income, in poverty, currently monitored …)
are in :mod:`fupin.engine.facts`.
"""

from __future__ import annotations

from fupin.engine.rules import checks, monitoring, standard, triggers
from fupin.engine.rules.base import ERROR, WARNING, Check, Finding, Rule, Trigger
from fupin.engine.rules.monitoring import (
    ASSISTED_ELIMINATION,
    CATEGORIES,
    ELIMINATION_BLOCKING_RISKS,
    ELIMINATION_CONDITIONS,
    ELIMINATION_TYPES,
    LEAD_CATEGORIES,
    NATURAL_ELIMINATION,
    RISK_FACTORS,
    RISK_RULES,
    WORK_LIST_CATEGORIES,
    allowed_categories,
    any_risk,
    category,
    currently_monitored,
    elimination,
    elimination_failed,
    elimination_failed_flags,
    in_poverty,
    income_drop_limit,
    medical_cost_limit,
    monitoring_applies,
    months_since,
    quick_elimination,
    rigid_expenses,
    risk_factors,
)
from fupin.engine.rules.standard import (
    GUARANTEE_INDICATORS,
    INCOME_ITEMS,
    INDICATORS,
    MEMBER_FLAGS,
    UNSAFE_HOUSING_GRADES,
    WATER_DETAIL_FIELDS,
    WATER_SUB_COLUMNS,
    age,
    clothing,
    education,
    food,
    housing,
    income,
    key_list,
    living,
    medical,
    meets_standard,
    member_facts,
    net_income,
    no_labour_member,
    per_capita_net_income,
    state,
    tri,
    unknown,
    unmet,
    water,
    water_sub_indicators,
)
from fupin.engine.schema import MONITORING_CATEGORY_CODES

_S, _M = standard, monitoring

STANDARD: tuple[Rule, ...] = (
    Rule("income", "indicator", "收入", "income", "1", _S.income),
    Rule("food", "indicator", "不愁吃", "enough to eat", "1", _S.food),
    Rule("clothing", "indicator", "不愁穿", "enough to wear", "1", _S.clothing),
    Rule("education", "indicator", "义务教育", "compulsory education", "1", _S.education),
    Rule("medical", "indicator", "基本医疗", "basic medical insurance", "1", _S.medical),
    Rule("housing", "indicator", "住房安全", "safe housing", "1", _S.housing),
    Rule("water", "indicator", "饮水安全", "safe drinking water", "1", _S.water),
)
MONITORING: tuple[Rule, ...] = (
    Rule("medical_cost", "risk", "医疗支出大", "high medical costs", "2", _M.medical_cost),
    Rule("education_cost", "risk", "教育支出大", "high education costs", "2", _M.education_cost),
    Rule("disaster", "risk", "灾害事故损失", "disaster or accident loss", "2", _M.disaster),
    Rule("income_drop", "risk", "收入大幅缩减", "large income drop", "2", _M.income_drop),
    Rule("serious_illness", "risk", "家庭成员患大病", "serious illness in the family", "2", _M.serious_illness),
    Rule("severe_disability", "risk", "家庭成员重度残疾", "severe disability in the family", "2", _M.severe_disability),
    Rule("no_labour", "risk", "无劳动能力", "no labour capacity", "2", _M.no_labour),
    Rule("guarantee_gap", "risk", "“三保障”或饮水安全未达标", "education/medical/housing/water gap", "2",
         _M.guarantee_gap),
    Rule("unstable", "category", MONITORING_CATEGORY_CODES["unstable"], "unstable exited household", "2",
         _M.category),
    Rule("marginal", "category", MONITORING_CATEGORY_CODES["marginal"], "marginal household at risk", "2",
         _M.category),
    Rule("sudden", "category", MONITORING_CATEGORY_CODES["sudden"], "household in sudden severe hardship", "2",
         _M.category),
    Rule("none", "category", "无风险", "no risk", "2"),
    Rule("unknown", "category", "收入不详，需入户核实", "income unknown, visit needed", "2", _M.category),
    Rule("monitored", "category", "已纳入监测", "currently monitored", "2", _M.currently_monitored),
    # Elimination conditions are keyed without this suffix in outputs (spec: income standard
    # risk months no_labour); the suffix only keeps the registry's keys unique.
    Rule("income_elim", "elimination", "人均纯收入达到监测线", "income at or above the monitoring line", "3",
         lambda: _M.elimination_failed_flags()["income"]),
    Rule("standard_elim", "elimination", "“两不愁三保障”及饮水安全全部达标", "every indicator met", "3",
         lambda: _M.elimination_failed_flags()["standard"]),
    Rule("risk_elim", "elimination", "医疗、教育、灾害、收入缩减风险已消除", "no cost, disaster or income-drop risk", "3",
         lambda: _M.elimination_failed_flags()["risk"]),
    Rule("months_elim", "elimination", "监测时间满规定月数", "monitored long enough", "3",
         lambda: _M.elimination_failed_flags()["months"]),
    Rule("no_labour_elim", "elimination", "有劳动能力", "labour capacity present", "3",
         lambda: _M.elimination_failed_flags()["no_labour"]),
    Rule("quick_elimination", "flag", "识别监测后短期内即帮扶消除，需复核是否为“纸面消除”",
         "eliminated through assistance soon after identification; check it is not a paper elimination", "3",
         _M.quick_elimination),
)

RULES: tuple[Rule, ...] = (*STANDARD, *MONITORING, *checks.CHECKS, *triggers.TRIGGERS)
_ELIM_SUFFIX = "_elim"
_BY_KIND_KEY = {(r.kind, r.key): r for r in RULES}
if len(_BY_KIND_KEY) != len(RULES):  # pragma: no cover - a duplicate key is a programming error
    raise RuntimeError("duplicate (kind, key) in the rule registry")

QUALITY_CODES = tuple(c.key for c in checks.CHECKS)
SEVERITY = checks.SEVERITY

VALUE_LABELS: dict[str, dict[str, str]] = {
    "indicator": {"met": "达标", "unmet": "未达标", "unknown": "不详"},
    "meets_standard": {"yes": "达标", "no": "未达标", "unverified": "待核实", "error": "数据错误"},
    "elimination": {"ready": "可消除风险", "not_ready": "暂不具备消除条件"},
    "water_sub": {"met": "达标", "unmet": "未达标", "unknown": "不详"},
    "severity": {ERROR: "错误", WARNING: "提示"},
}

WATER_SUBINDICATORS: dict[str, tuple[str, str]] = {
    "quantity": ("水量", "quantity"),
    "quality": ("水质", "quality"),
    "convenience": ("用水方便程度", "convenience"),
    "guarantee": ("供水保证率", "guarantee"),
}

COLUMN_LABELS: dict[str, str] = {
    "household_id": "户编号", "year": "年度", "region_code": "区划代码", "population": "人口数",
    "net_income": "家庭纯收入", "per_capita_net_income": "人均纯收入",
    **{r.key: r.zh for r in STANDARD},
    "meets_standard": "是否达标", "unmet": "未达标指标", "unknown": "不详指标",
    "monitoring_category": "监测类别", "risk_factors": "风险因素", "elimination": "风险消除",
    "elimination_failed": "未满足的消除条件", "errors": "数据错误", "policy": "政策文件",
}

_KEYS = {"indicator": INDICATORS, "risk": RISK_FACTORS, "category": CATEGORIES,
         "elimination": ELIMINATION_CONDITIONS, "quality": QUALITY_CODES,
         "trigger": tuple(t.key for t in triggers.TRIGGERS)}


def rule(kind: str, key: str) -> Rule:
    if kind == "elimination":
        key = key + _ELIM_SUFFIX
    return _BY_KIND_KEY[(kind, key)]


def label(kind: str, key: str, lang: str = "zh") -> str:
    r = rule(kind, key)
    return r.zh if lang == "zh" else r.en


def labels(kind: str, lang: str = "zh") -> dict[str, str]:
    return {k: label(kind, k, lang) for k in _KEYS[kind]}


def check(code: str) -> Check:
    return _BY_KIND_KEY[("quality", code)]  # type: ignore[return-value]


def trigger(kind: str) -> Trigger:
    return _BY_KIND_KEY[("trigger", kind)]  # type: ignore[return-value]


def category_code(key: str) -> str:
    """The exchange format's 监测对象类别 of a lead category key (what the registry stores)."""
    return MONITORING_CATEGORY_CODES[key]


def category_key(code: str | None) -> str | None:
    """The lead category key of a registry 监测对象类别 value (None when empty or unknown)."""
    return {v: k for k, v in MONITORING_CATEGORY_CODES.items()}.get(code or "")


__all__ = [
    "ERROR", "WARNING", "Check", "Finding", "Rule", "Trigger", "RULES", "SEVERITY", "QUALITY_CODES",
    "VALUE_LABELS", "WATER_SUBINDICATORS", "COLUMN_LABELS", "rule", "label", "labels", "check", "trigger",
    "category_code", "category_key", "checks", "monitoring", "standard", "triggers",
    "ASSISTED_ELIMINATION", "CATEGORIES", "ELIMINATION_BLOCKING_RISKS", "ELIMINATION_CONDITIONS",
    "ELIMINATION_TYPES", "LEAD_CATEGORIES", "NATURAL_ELIMINATION", "RISK_FACTORS", "RISK_RULES",
    "WORK_LIST_CATEGORIES", "allowed_categories", "any_risk", "category", "currently_monitored", "elimination",
    "elimination_failed", "elimination_failed_flags", "in_poverty", "income_drop_limit", "medical_cost_limit",
    "monitoring_applies", "months_since", "quick_elimination", "rigid_expenses", "risk_factors",
    "GUARANTEE_INDICATORS", "INCOME_ITEMS", "INDICATORS", "MEMBER_FLAGS", "UNSAFE_HOUSING_GRADES",
    "WATER_DETAIL_FIELDS", "WATER_SUB_COLUMNS", "age", "clothing", "education", "food", "housing", "income",
    "key_list", "living", "medical", "meets_standard", "member_facts", "net_income", "no_labour_member",
    "per_capita_net_income", "state", "tri", "unknown", "unmet", "water", "water_sub_indicators",
]
