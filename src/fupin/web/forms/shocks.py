"""The upload of a shocks file (冲击事件 / 受灾户, assistance.md 1.12–1.13) on the shock events page.

The form checks the shape of the upload only — a workbook or a CSV, not larger than
:data:`MAX_UPLOAD_BYTES` — before the view copies it anywhere; what is inside is read and checked
by the importer (:func:`fupin.application.shocks.import_shocks`, with the bounds of
:mod:`fupin.io.limits` before any parser opens the workbook: sheet extents, zip ratios, line
lengths). The request body itself is parsed by Django before any view runs (the request-hygiene
middleware reads every form), so a bound on the body while it arrives belongs in the settings'
upload handlers, not here.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# One epidemic over a province lists a few hundred thousand households: tens of MB as .xlsx.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
SUFFIXES = (".xlsx", ".csv")


def too_large_message() -> str:
    return str(_("The file is larger than %(limit)d MB. Split it into several files and upload them one by one.")
               % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)})


class ShockUploadForm(forms.Form):
    file = forms.FileField(label=pgettext_lazy("shock", "Shocks file (.xlsx or .csv)"),
                           error_messages={"required": _("Choose a shocks workbook (.xlsx) or a .csv file."),
                                           "empty": _("The file is empty.")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = Path(str(upload.name or "")).name
        if Path(name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Choose a shocks workbook (.xlsx) or a .csv file."))
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(too_large_message())
        return upload
