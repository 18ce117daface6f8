"""What a person reads instead of a key: labels in the page's language, taken from the tables
that already hold them (the rule registry, the workflow's STEPS, the model choices, the policy's
parameter labels). Presentation only — nothing here decides anything.

Model choices and use-case messages are written "中文 (English)"; :func:`bilingual` keeps the
half of the page's language, so the Chinese interface never shows an English bracket and the
English one never shows the Chinese when an English text exists.
"""

from __future__ import annotations

import re

from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fupin.engine import facts
from fupin.engine import policy as engine_policy
from fupin.engine import rules as R

# An English bracket: " (some english)" / "（some english）" whose content is plain ASCII text.
_EN_BRACKET = re.compile(r"\s*[（(]([A-Za-z][\x20-\x7e]*)[)）]")
# A snake_case key as the rule registry and the policy write them.
SNAKE_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_IMPORT_BATCH = re.compile(r"^import batch (\d+)$")


def lang() -> str:
    """'en' or 'zh': the rule registry's language of the current request."""
    return "en" if (get_language() or "").startswith("en") else "zh"


def _final_bracket(text: str) -> tuple[str, str] | None:
    """(Chinese part, English part) when ``text`` ends with an English bracket, else None."""
    text = text.rstrip()
    if not text or text[-1] not in ")）":
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch in ")）":
            depth += 1
        elif ch in "(（":
            depth -= 1
            if depth == 0:
                inner = text[i + 1:-1]
                if inner and inner[0].isascii() and inner[0].isalpha() and not re.search(r"[\u3400-\u9fff]", inner):
                    return text[:i].rstrip(), inner
                return None
    return None


def bilingual(text, language: str | None = None) -> str:
    """The half of a "中文 (English)" text in the page's language (the whole text otherwise)."""
    if text is None:
        return ""
    text = str(text)
    language = language or lang()
    parts = _final_bracket(text)
    if parts is None:
        return _EN_BRACKET.sub("", text) if language == "zh" else text
    zh, en = parts
    if language == "en":
        return en
    return _EN_BRACKET.sub("", zh)


bilingual_lazy = lazy(bilingual, str)


def choices(pairs) -> list[tuple[str, str]]:
    """Model/form choices with labels in the page's language (evaluated when rendered)."""
    return [(value, bilingual_lazy(label)) for value, label in pairs]


def rule_label(kind: str, key: str | None) -> str:
    if not key:
        return ""
    try:
        return R.label(kind, key, lang())
    except KeyError:
        return key


def rule_labels(kind: str) -> dict[str, str]:
    return R.labels(kind, lang())


def quality_label(code: str) -> str:
    """A data-quality finding's label (its code stays in a tooltip)."""
    try:
        return R.label("quality", code, lang())
    except KeyError:
        return code


def parameter_label(key: str) -> str:
    pair = engine_policy.PARAMETER_LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if lang() == "en" else pair[0]


def name_parameters(text: str) -> str:
    """Policy parameter keys inside a rule's text replaced by their labels."""
    return SNAKE_KEY.sub(lambda m: parameter_label(m.group(0)), text or "")


def step_label(action: str) -> str:
    """A workflow action (``verify`` …) by its label in the workflow's STEPS table."""
    from fupin.monitoring import workflow

    step = workflow.STEPS.get(action)
    if step is None:
        return {"created": _("Lead received"), "redeclared": _("Declared again")}.get(action, action)
    return step.en if lang() == "en" else step.zh


# The registry's statuses are Chinese code values of the exchange format; English pages name them.
_STATUS_EN = {"未脱贫": "not yet out of poverty", "已脱贫": "out of poverty", "返贫": "returned to poverty",
              facts.GENERAL_HOUSEHOLD: "general household", facts.STATUS_NOT_GIVEN: "not given"}


def status_label(status: str | None) -> str:
    """A registry status (脱贫状态 or 一般农户) in the page's language."""
    if not status:
        return "—"
    return _STATUS_EN.get(status, status) if lang() == "en" else status


def category_code_label(code: str | None) -> str:
    """A registry 监测对象类别 code (脱贫不稳定户 …) by its lead category's label."""
    key = R.category_key(code)
    return rule_label("category", key) if key else (code or "")


def state_label(state: str, purpose: str = "") -> str:
    """A lead state (``new`` …) by the label of its choice, in the words of the lead's purpose."""
    from fupin.monitoring.models import state_label as label

    if not state:
        return "—"
    return bilingual(label(state, purpose))


def actor_label(who: str) -> str:
    """Who made a change: a user name as is, the importer's batch in words."""
    m = _IMPORT_BATCH.match(who or "")
    if m:
        return _("Import batch %(n)s") % {"n": m.group(1)}
    if who == "command line":
        return _("Command line")
    if who == "web edit":
        return _("Edited on the workbench")
    return bilingual(who) if who else "—"


def _evidence_names() -> dict[str, str]:
    from fupin.engine import matching

    names = {c.name: c.zh for layout in matching.LAYOUTS.values() for c in layout.columns}
    names.update(R.COLUMN_LABELS)
    return names


_EVIDENCE_WEB = {
    "declared": _lazy("Declared by the household"), "visit": _lazy("Found at a visit"),
    "registry_match": _lazy("Found in the registry"), "run": _lazy("Assessment run"), "year": _lazy("Year"),
    "periods": _lazy("Periods"), "persons": _lazy("Persons"), "rule": _lazy("Rule"),
    "monitoring_category": _lazy("Monitoring category"), "risk_factors": _lazy("Risk factors"),
    "unmet": _lazy("Unmet indicators"), "per_capita_net_income": _lazy("Per-capita net income"),
    "elimination": _lazy("Risk elimination"), "elimination_failed": _lazy("Unmet elimination conditions"),
    "policy": _lazy("Policy"),
}
_EVIDENCE_KINDS = {"monitoring_category": "category", "risk_factors": "risk", "unmet": "indicator",
                   "elimination_failed": "elimination"}


def _evidence_value(key: str, value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    kind = _EVIDENCE_KINDS.get(key)
    if kind and isinstance(value, str):
        return "、".join(rule_label(kind, k) for k in value.split(";") if k) or "—"
    if key == "policy" and isinstance(value, str):
        return policy_title(value)
    if key == "elimination" and isinstance(value, str):
        return R.VALUE_LABELS["elimination"].get(value, value) if lang() == "zh" else value
    if isinstance(value, list):
        return "、".join(_evidence_value("", v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{_evidence_value('', k)}：{_evidence_value('', v)}" for k, v in value.items())
    return bilingual(name_parameters(str(value)))


def evidence_rows(evidence) -> list[tuple[str, str]]:
    """A lead's evidence (JSON from the engine or a department match) as labelled lines."""
    if not isinstance(evidence, dict):
        return []
    names = _evidence_names()
    rows = []
    for key, value in evidence.items():
        label = _EVIDENCE_WEB.get(key)
        label = str(label) if label is not None else (names.get(key, key.replace("_", " ")) if lang() == "zh"
                                                       else key.replace("_", " "))
        rows.append((label, _evidence_value(key, value)))
    return rows


def department_label(kind: str) -> str:
    """A department list's kind (``medical`` …) by its layout's name."""
    from fupin.engine import matching

    layout = matching.LAYOUTS.get(kind or "")
    if layout is None:
        return kind or ""
    return layout.en if lang() == "en" else layout.zh


def layout_view(layout) -> dict:
    """What the department-data page says of a layout: its name, columns and trigger, as words."""
    english = lang() == "en"
    trigger = layout.trigger
    return {
        "kind": layout.kind, "name": layout.en if english else layout.zh, "department": layout.department,
        "columns": [(c.zh, c.required) for c in layout.columns],
        "trigger": name_parameters(trigger.en if english else trigger.zh),
    }


def field_label(table: str, name: str) -> str:
    """An exchange-format field by its label (the schema's; its English one on English pages)."""
    from fupin.engine import schema

    f = schema.field_by_name(table, name)
    return (f.en_label or f.zh) if lang() == "en" else f.zh


def field_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def policy_title(name: str) -> str:
    """A policy file by its title (全国默认政策参数) instead of its file name (national)."""
    from fupin.application import policy as policy_provider

    if not name:
        return "—"
    titles = {f.name: f.title or f.name for f in policy_provider.current().files}
    out = []
    for part in str(name).replace(",", " ").split():  # "national@1.0", "national.toml"
        file, _at, version = part.partition("@")
        title = titles.get(file.removesuffix(".toml"), file)
        out.append(f"{title} {version}" if version else title)
    return "、".join(out)
