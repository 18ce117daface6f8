"""Forms of the monitoring pages: validation of what people type, in Chinese and English."""

from __future__ import annotations

import re

import polars as pl
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from fupin.engine import idnumber, matching, rules
from fupin.monitoring.models import (
    ELIMINATION_TYPES,
    HARDSHIP_TYPES,
)
from fupin.web import display

_rule_label = lazy(display.rule_label, str)


def _layout_label(kind: str) -> str:
    layout = matching.LAYOUTS[kind]
    return layout.en if display.lang() == "en" else layout.zh


_layout_label_lazy = lazy(_layout_label, str)

PHONE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•\s]{2,30}$")


def clean_id(value: str) -> str:
    value = (value or "").strip().upper().replace(" ", "")
    status = idnumber.parse(pl.Series([value]))["id_status"][0]
    if status != idnumber.OK:
        zh, en = idnumber.MESSAGES.get(status, ("证件号码不正确", "invalid ID number"))
        raise forms.ValidationError(en if display.lang() == "en" else zh)
    return value


def clean_phone(value: str, required: bool = True) -> str:
    value = (value or "").strip().replace(" ", "")
    if not value and not required:
        return ""
    if not PHONE.match(value):
        raise forms.ValidationError(_("A mobile number has 11 digits (e.g. 13812345678); a landline needs its "
                                      "area code."))
    return value


def clean_name(value: str) -> str:
    value = (value or "").strip()
    if not NAME.match(value):
        raise forms.ValidationError(_("Give the full name (2–30 characters or letters)."))
    return value


class DeclarationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=30)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    id_number = forms.CharField(label=_("ID number"), max_length=20)
    town = forms.CharField(label=_("Town"), max_length=12)
    village = forms.CharField(label=_("Village"), max_length=12)
    hardship_type = forms.ChoiceField(label=_("Hardship"), choices=display.choices(HARDSHIP_TYPES))
    text = forms.CharField(label=_("What happened"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    consent = forms.BooleanField(label=_("I authorise the check of my family's finances"), required=True,
                                 error_messages={"required": _("The authorisation is required to submit.")})
    # Honeypot: hidden from people by CSS; bots fill every field.
    website = forms.CharField(required=False, label="website")

    def clean_name(self):
        return clean_name(self.cleaned_data["name"])

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean_id_number(self):
        return clean_id(self.cleaned_data["id_number"])

    def clean(self):
        data = super().clean()
        town, village = data.get("town") or "", data.get("village") or ""
        if village and (len(village) != 12 or not village.isdigit() or not village.startswith(town[:9]) or not town):
            self.add_error("village", _("Pick the town, then a village of it."))
        return data


class LookupForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt number"), max_length=20)


class CadreLeadForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    name = forms.CharField(label=_("Name"), max_length=30)
    id_number = forms.CharField(label=_("ID number"), max_length=20)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    hardship_type = forms.ChoiceField(label=_("Hardship"), choices=display.choices(HARDSHIP_TYPES))
    text = forms.CharField(label=_("What the visit found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, villages=(), **kwargs):
        """``villages``: (code, "town · village") pairs, each village once."""
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = list(villages)

    def clean_name(self):
        return clean_name(self.cleaned_data["name"])

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"], required=False)

    def clean_id_number(self):
        return clean_id(self.cleaned_data["id_number"])


RISK_CHOICES = [(k, _rule_label("risk", k)) for k in rules.RISK_FACTORS]
CATEGORY_CHOICES = [(k, _rule_label("category", k)) for k in rules.LEAD_CATEGORIES]


class StepForm(forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    authorisation_signed = forms.BooleanField(label=_("Signed authorisation received"), required=False)
    household_id = forms.CharField(label=_("Household number"), required=False, max_length=64)
    notice_start = forms.DateField(label=_("Notice starts"), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *CATEGORY_CHOICES], required=False)
    risk_types = forms.MultipleChoiceField(label=_("Risk types"), choices=RISK_CHOICES, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    elimination_type = forms.ChoiceField(label=_("Elimination type"), choices=[("", "—"), *display.choices(ELIMINATION_TYPES)],
                                         required=False)
    eliminated_on = forms.DateField(label=_("Eliminated on"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    signed = forms.BooleanField(label=_("The household has signed its agreement to exit"), required=False)
    confirmed_on = forms.DateField(label=_("Signed on"), required=False)

    def params(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("action", None)
        return {k: v for k, v in data.items() if v not in (None, "", [])}


class BulkForm(StepForm):
    leads = forms.CharField()  # comma-separated ids; checkboxes post several values

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            data = data.copy()
            data["leads"] = ",".join(data.getlist("leads"))
        super().__init__(data, *args, **kwargs)

    def lead_ids(self) -> list[int]:
        return [int(x) for x in self.cleaned_data["leads"].split(",") if x.strip().isdigit()]

    def params(self) -> dict:
        data = super().params()
        data.pop("leads", None)
        return data


class MatchUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Department"), choices=[(k, _layout_label_lazy(k)) for k in matching.KINDS])
    year = forms.IntegerField(label=_("Year"), min_value=2014, max_value=2100)
    file = forms.FileField(label=_("File (.xlsx, .csv or .parquet)"))
