"""The form a village cadre fills on a phone to record one measure (帮扶措施) of a household.

Values are typed strings, as in a 帮扶措施 sheet: the use case validates them with the import's
own checks (A03 小类, A05 金额, A11 对象 …), so the form has no rule of its own; the use case's
Chinese messages come back beside the field they concern (:meth:`MeasureForm.show_errors`).
The beneficiary is chosen by member, never by typing an ID number: the page carries the row's
number, the ID is looked up on the server.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.engine.assistance import schema as S

# 状态 values with their label in the page's language (the value stays the exchange code).
MEASURE_STATUS_LABELS = {"计划": _("Planned"), "实施中": _("Under way"), "已落实": _("Delivered"),
                         "已取消": _("Cancelled")}
DEFAULT_STATUS = "已落实"  # a cadre records what was done; a plan is the 一户一策's business
WHOLE_HOUSEHOLD = ""

# The use case's field names that are not a field of this form: where their message is shown.
ERROR_FIELD = {"id_number": "member", "year": "start", "household_id": None, "family": "subtype"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeasureForm(forms.Form):
    subtype = forms.ChoiceField(label=_("Measure"), choices=())
    member = forms.ChoiceField(label=_("Beneficiary"), required=False, choices=())
    start = forms.CharField(label=_("Start date"), required=False, widget=_date_input())
    amount = forms.CharField(label=_("Amount (yuan)"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                             help_text=_("Needed when the measure is counted in yuan."))
    status = forms.ChoiceField(label=_("Status"), choices=(), initial=DEFAULT_STATUS)
    responsible_unit = forms.CharField(label=_("Responsible unit"), required=False, max_length=200)
    # Less frequent details, folded away on the page.
    end = forms.CharField(label=_("End date"), required=False, widget=_date_input(),
                          help_text=_("Only for a continuing measure."))
    quantity = forms.CharField(label=_("Quantity"), required=False,
                               widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    fund_source = forms.ChoiceField(label=_("Source of funds"), required=False, choices=())
    campaign = forms.CharField(label=_("Special action"), required=False, max_length=200)

    MORE = ("end", "quantity", "fund_source", "campaign")

    def __init__(self, *args, groups, members, today: date | None = None, unit: str = "", **kwargs):
        """``groups``: [(大类, [(小类, 对象), …])]; ``members``: [(row id, name)]."""
        initial = {"start": (today or date.today()).isoformat(), "status": DEFAULT_STATUS, "responsible_unit": unit,
                   **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["subtype"].choices = [("", "—")] + [(family, [(s, s) for s, _t in items]) for family, items in groups]
        self.fields["member"].choices = [(WHOLE_HOUSEHOLD, _("Whole household"))] + [(str(pk), name) for pk, name in members]
        self.fields["status"].choices = list(MEASURE_STATUS_LABELS.items())
        self.fields["fund_source"].choices = [("", "—")] + [(c, c) for c in S.FUND_SOURCES]

    def main_fields(self):
        return [self[n] for n in self.fields if n not in self.MORE]

    def more_fields(self):
        return [self[n] for n in self.MORE]

    def measure_data(self, member_ids: dict[str, str]) -> dict[str, str]:
        """The 帮扶措施 row as the use case takes it (``member_ids``: row id -> ID number)."""
        data = {k: (v or "").strip() for k, v in self.cleaned_data.items() if k != "member"}
        member = self.cleaned_data.get("member") or WHOLE_HOUSEHOLD
        data["id_number"] = member_ids.get(member, "") if member != WHOLE_HOUSEHOLD else ""
        return data

    def show_errors(self, errors: dict[str, str]) -> None:
        """The use case's messages (field name -> Chinese text) beside the fields they concern."""
        for name, message in errors.items():
            target = ERROR_FIELD.get(name, name)
            self.add_error(target if target in self.fields else None, message)
