from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx, flat .csv, or .zip of a CSV/Parquet folder)"))
    year = forms.IntegerField(label=_("Year (when the file has none)"), required=False, min_value=2000, max_value=2100)


class YearRegionForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    region = forms.CharField(label=_("Region code (empty: your whole region)"), required=False, max_length=12)

    def clean_region(self):
        region = (self.cleaned_data.get("region") or "").strip()
        if region and (not region.isdigit() or len(region) < 2):
            raise forms.ValidationError(_("A region code is 2 to 12 digits."))
        return region


class CardsForm(forms.Form):
    village = forms.RegexField(regex=r"^\d{12}$", label=_("Village"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    paper = forms.ChoiceField(label=_("Paper"), choices=[("A5", "A5"), ("A4", "A4")], initial="A5")
    all = forms.BooleanField(label=_("Every household (not only registered and monitored ones)"), required=False)
