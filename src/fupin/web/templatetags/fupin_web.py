"""Display helpers: masking, rule labels, numbers. No business logic here."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from fupin.engine import idnumber
from fupin.engine import rules as R

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@register.filter
def masked(value) -> str:
    return idnumber.mask(value or "")


@register.filter
def indicator_label(key) -> str:
    try:
        return R.label("indicator", key, _lang())
    except KeyError:
        return key


@register.filter
def category_label(key) -> str:
    try:
        return R.label("category", key, _lang()) if key else ""
    except KeyError:
        return key


@register.filter
def risk_label(key) -> str:
    try:
        return R.label("risk", key, _lang())
    except KeyError:
        return key


@register.filter
def keys(value) -> list[str]:
    return [k for k in (value or "").split(";") if k]


@register.filter
def verdict_label(value) -> str:
    if _lang() == "en":
        return value or ""
    return R.VALUE_LABELS["meets_standard"].get(value, value or "")


@register.filter
def state_label(value) -> str:
    if _lang() == "en":
        return value or ""
    return R.VALUE_LABELS["indicator"].get(value, value or "")


@register.filter
def elimination_label(value) -> str:
    if _lang() == "en" or not value:
        return value or ""
    return R.VALUE_LABELS["elimination"].get(value, value)


@register.filter
def yesno_zh(value) -> str:
    if value is None:
        return "—"
    return "是" if value else "否"


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    f = float(value)
    return f"{f:,.0f}" if f == int(f) else f"{f:,.2f}"


@register.filter
def pct(value) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.2f}%"


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)
