"""Labels of the ledger and the listings in the page's language (presentation only).

The Chinese labels are the ones the ledger already holds (io.ledger's sources and categories, the
models' states, the workflow's ACTIONS); this module adds only their English, and the words of the
listing reasons and failed conditions, which no table names yet.
"""

from __future__ import annotations

from django import template

from fupin.io import ledger as ledger_io
from fupin.supervision.ledger_workflow import ACTIONS
from fupin.supervision.models import ListingStatus, State
from fupin.web import display

register = template.Library()

SOURCE_EN = {
    "inspection": "inspection tour", "assessment": "annual assessment", "supervision": "supervision visit",
    "audit": "audit", "discipline": "discipline inspection", "third_party": "third-party assessment",
    "self_check": "own check", "data_quality": "data quality", "monitoring_overdue": "monitoring overdue",
    "all": "all sources",
}
CATEGORY_EN = {
    "food_clothing": "food and clothing", "education": "education", "medical": "medical care",
    "housing": "housing safety", "water": "drinking water", "income": "income", "targeting": "targeting and exit",
    "funds": "funds and projects", "conduct": "conduct", "data": "data quality", "monitoring": "monitoring",
    "other": "other",
}
STATE_EN = {"new": "to claim", "claimed": "claimed", "rectifying": "rectifying", "pending": "to verify",
            "closed": "closed", "void": "void"}
LISTING_EN = {"listed": "listed", "cleared": "cleared", "delisted": "delisted"}
REASONS = {
    "poor_people": ("贫困人口多", "many poor people"), "incidence": ("贫困发生率高", "high incidence"),
    "not_exited": ("贫困县未摘帽", "county not exited"), "deep_poverty": ("深度贫困", "deep poverty"),
    "ranking": ("考核排名靠后", "ranked low"), "manual": ("人工挂牌", "listed by hand"),
}
CONDITIONS = {
    "poor": ("仍有贫困人口", "poor people left"), "guarantee": ("三保障及饮水未达标", "guarantees unmet"),
    "verified": ("有未核实户", "households unverified"), "problems": ("问题未清零", "problems open"),
    "exit": ("未摘帽", "county not exited"),
}
LEVELS = {"province": ("省", "province"), "city": ("市", "city"), "county": ("区县", "county"),
          "town": ("乡镇", "town"), "village": ("村", "village")}


def _pick(zh: str, en: str) -> str:
    return en if display.lang() == "en" else zh


@register.filter
def problem_state(key) -> str:
    return _pick(State(key).label if key in State.values else str(key), STATE_EN.get(key, str(key)))


@register.filter
def problem_source(key) -> str:
    return _pick(ledger_io.source_label(key), SOURCE_EN.get(key, str(key)))


@register.filter
def problem_category(key) -> str:
    return _pick(ledger_io.category_label(key), CATEGORY_EN.get(key, str(key)))


@register.filter
def action_label(key) -> str:
    if key == "create":
        return _pick("登记问题", "recorded")
    action = ACTIONS.get(key)
    return _pick(action.zh, action.en) if action else str(key)


@register.filter
def listing_status(key) -> str:
    return _pick(ListingStatus(key).label if key in ListingStatus.values else str(key), LISTING_EN.get(key, str(key)))


def _keys(value, table) -> list[str]:
    keys = [k for k in str(value or "").split(";") if k]
    return [_pick(*table[k]) if k in table else k for k in keys]


@register.filter
def listing_reasons(value) -> list[str]:
    return _keys(value, REASONS)


@register.filter
def failed_conditions(value) -> list[str]:
    return _keys(value, CONDITIONS)


@register.filter
def level_label(key) -> str:
    return _pick(*LEVELS[key]) if key in LEVELS else str(key or "")
