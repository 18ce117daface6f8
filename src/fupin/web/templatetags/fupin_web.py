"""Display helpers: masking, rule labels, numbers. No business logic here."""

from __future__ import annotations

from django import template

from fupin.engine import idnumber
from fupin.engine import rules as R
from fupin.web import display

register = template.Library()


def _lang() -> str:
    return display.lang()


@register.filter
def bi(value) -> str:
    """The half of a "中文 (English)" text in the page's language."""
    return display.bilingual(value)


@register.filter
def step_name(action) -> str:
    return display.step_label(action)


@register.filter
def lead_state(state, purpose: str = "") -> str:
    """``{{ lead|lead_state }}`` (a lead: its state in its purpose's words) or ``{{ state|lead_state:purpose }}``."""
    if hasattr(state, "purpose"):
        return display.state_label(state.state, state.purpose)
    return display.state_label(state, purpose)


@register.filter
def quality_label(code) -> str:
    return display.quality_label(code)


@register.filter
def actor(who) -> str:
    return display.actor_label(who)


@register.filter
def named_parameters(text) -> str:
    return display.name_parameters(text)


@register.filter
def region_name(code, names):
    """A region's name from a {code: name} mapping (the code when it has none)."""
    if not code:
        return "—"
    return (names or {}).get(code) or code


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
        return (value or "").replace("_", " ")
    return R.VALUE_LABELS["elimination"].get(value, value)


@register.filter
def yesno_zh(value) -> str:
    if value is None:
        return "—"
    if _lang() == "en":
        return "yes" if value else "no"
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


@register.filter
def department(kind) -> str:
    return display.department_label(kind)


@register.filter
def finding_message(finding) -> str:
    """A data-quality finding's message in the page's language (Chinese when it has no English)."""
    if _lang() == "en" and getattr(finding, "message_en", ""):
        return finding.message_en
    return finding.message_zh


@register.filter
def policy_title(name) -> str:
    return display.policy_title(name)


@register.filter
def status_label(status) -> str:
    return display.status_label(status)


@register.filter
def category_code_label(code) -> str:
    return display.category_code_label(code)
