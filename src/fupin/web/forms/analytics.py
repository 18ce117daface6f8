"""Forms of the analysis pages: report tables, scenarios, the MPI, the sample draw and results.

Only the shape of the input is checked here; what a value means (a parameter name, a seed's
range, a month) is the use cases' to refuse, in their words.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SEED_MAX = 2**64
LEVELS = (("town", _("Town")), ("village", _("Village")), ("county", _("County")))
UNKNOWN = (("exclude", _("Leave the household out")), ("not_deprived", _("Count as not deprived")),
           ("deprived", _("Count as deprived")))
PURPOSES = (("exit", _("Exit assessment")), ("annual", _("Annual evaluation")))
BASES = (("sample", _("Sample ratio (the official formula)")), ("weighted", _("Weighted estimate")))


def _region(value: str) -> str:
    value = (value or "").strip()
    if value and (not value.isdigit() or not 2 <= len(value) <= 12):
        raise forms.ValidationError(_("A region code is 2 to 12 digits."))
    return value


class _RegionForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    region = forms.CharField(label=_("Region code (empty: your whole region)"), required=False, max_length=12)

    def clean_region(self):
        return _region(self.cleaned_data.get("region"))


class ReportForm(_RegionForm):
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)


class ScenarioForm(_RegionForm):
    """Up to three PARAMETER = VALUE rows (the parameter chosen by its name, not typed as a key)."""

    ROWS = 3
    level = forms.ChoiceField(label=_("Compare by"), choices=LEVELS, initial="town")
    where = forms.CharField(label=_("Apply only under region (empty: everywhere)"), required=False, max_length=12)

    def __init__(self, *args, parameters=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *parameters]
        for i in range(1, self.ROWS + 1):
            self.fields[f"p{i}"] = forms.ChoiceField(label=_("Parameter"), choices=choices, required=False)
            self.fields[f"v{i}"] = forms.CharField(label=_("New value"), required=False, max_length=32)

    def rows(self):
        return [(self[f"p{i}"], self[f"v{i}"]) for i in range(1, self.ROWS + 1)]

    def clean_where(self):
        return _region(self.cleaned_data.get("where"))

    def clean(self):
        data = super().clean()
        sets = []
        for i in range(1, self.ROWS + 1):
            parameter, value = data.get(f"p{i}") or "", (data.get(f"v{i}") or "").strip()
            if parameter and not value:
                self.add_error(f"v{i}", _("Give the new value."))
            elif parameter:
                sets.append(f"{parameter}={value}")
        if not sets and not self.errors:
            raise forms.ValidationError(_("Choose at least one parameter and its new value."))
        data["sets"] = sets
        return data


class MpiForm(_RegionForm):
    k = forms.CharField(label=_("Cut-off k (empty: the policy's)"), required=False, max_length=16)
    unknown = forms.ChoiceField(label=_("A household with an unverified indicator"), choices=UNKNOWN,
                                initial="exclude")


class DrawForm(_RegionForm):
    region = forms.CharField(label=_("County code"), max_length=12)
    seed = forms.IntegerField(label=_("Random seed"), min_value=0, max_value=SEED_MAX - 1)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES, initial="exit")
    exited_since = forms.IntegerField(label=_("Exited since year (empty: all exited)"), required=False,
                                      min_value=2000, max_value=2100)

    def clean_region(self):
        value = _region(self.cleaned_data.get("region"))
        if not value:
            raise forms.ValidationError(_("Give the county to sample."))
        return value


class ResultsForm(forms.Form):
    sample = forms.FileField(label=_("Sample workbook (.xlsx, as drawn)"))
    results = forms.FileField(label=_("Field results (the filled-in forms, .xlsx or .csv)"))
    basis = forms.ChoiceField(label=_("Decide on"), choices=BASES, initial="sample")
