"""Forms for editing a household or a member, built from ``fupin.engine.schema``.

Fields are typed strings, as in a spreadsheet: the importer's reader decides what is valid
(``services.validation``), so a form never has its own, different rule. Code lists and yes/no
fields are choices taken from the schema's code lists; the reader's findings are attached to
the field they concern with :meth:`ExchangeForm.show_issues`.
"""

from __future__ import annotations

from django import forms

from fupin.engine import facts, schema
from fupin.registry.models import exchange_fields
from fupin.registry.services.validation import ValidationResult, instance_texts

UNKNOWN = "未知（空）"

# Sections of the household form, so a long form reads well on a phone (presentation only).
HOUSEHOLD_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("基本信息", ("region_code", "hamlet", "registered", "poverty_status", "exit_year", "identified_year",
              "poverty_attribute", "main_cause", "other_causes", "phone")),
    ("监测", ("monitoring_category", "monitoring_since", "risk_eliminated", "risk_eliminated_at")),
    ("收入", (*facts.INCOME_ITEMS, "prior_net_income", "medical_out_of_pocket", "education_out_of_pocket", "disaster_loss")),
    ("两不愁三保障", ("food_secure", "clothing_secure", "housing_grade", "housing_renovation", "relocated")),
    ("饮水安全", ("water_litres_per_day", "water_scarce_area", "water_quality", "tap_water", "fetch_minutes",
              "fetch_horizontal_m", "fetch_vertical_m", "outage_days", "water_safe")),
    ("生产条件", ("farmland_mu", "forest_mu", "road_distance_km")),
)

_NUMERIC = {"int", "money", "number"}


def form_field(f: schema.Field) -> forms.Field:
    common = {"label": f.zh, "required": False}
    if f.kind == "yesno":
        return forms.ChoiceField(choices=[("", UNKNOWN), ("是", "是"), ("否", "否")], **common)
    if f.kind == "code":
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in f.codes)], **common)
    attrs = {"autocomplete": "off"}
    if f.kind in _NUMERIC:
        attrs["inputmode"] = "decimal" if f.kind != "int" else "numeric"
    if f.kind == "date":
        # The phone's date picker; it posts YYYY-MM-DD, which the reader parses like a file's cell.
        attrs["type"] = "date"
    help_text = ""
    if f.kind == "causes":
        help_text = "最多2项，用“、”分隔：" + "、".join(f.codes)
    elif f.kind == "month":
        help_text = "YYYY-MM"
    return forms.CharField(widget=forms.TextInput(attrs=attrs), help_text=help_text, **common)


class ExchangeForm(forms.Form):
    table = ""
    field_names: tuple[str, ...] = ()
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {**instance_texts(instance, self.table), "version": instance.version}
        super().__init__(*args, **kwargs)
        for name in self.field_names:
            self.fields[name] = form_field(schema.field_by_name(self.table, name))

    def typed_data(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.field_names}

    def show_issues(self, result: ValidationResult, *, member_index: int | None = None) -> None:
        """Put each error of the reader next to its field (Chinese message)."""
        for issue in result.errors:
            if issue.table == "members" and member_index is not None and issue.member_index not in (None, member_index):
                self.add_error(None, issue.message_zh)  # another member's problem: shown above the form
                continue
            target = issue.field if issue.field in self.fields and issue.table == self.table else None
            self.add_error(target, issue.message_zh)


class HouseholdForm(ExchangeForm):
    table = "households"
    field_names = tuple(f.name for f in exchange_fields("households"))

    def sections(self):
        out = [(title, [self[n] for n in names if n in self.fields]) for title, names in HOUSEHOLD_SECTIONS]
        placed = {n for _t, names in HOUSEHOLD_SECTIONS for n in names}
        rest = [self[n] for n in self.field_names if n not in placed]
        return out + ([("其他", rest)] if rest else [])


class MemberForm(ExchangeForm):
    """A member's fields; 人员状态变动日期 is shown only while 人员状态 is not 正常 (or a date is
    already stored): app.css hides it by the selected status, no script needed."""

    table = "members"
    field_names = ("name", "id_number", *(f.name for f in exchange_fields("members") if f.name != "name"))

    def sections(self):
        return [("", [self[n] for n in self.field_names])]
