"""Forms of the 问题清单 pages: what a person types for an action on a problem of the ledger.

The form only checks the shape of the input (dates are dates, the action is one of the table's);
whether the action may be taken now, and what it requires, is the workflow's ``refusal`` and its
handlers (fupin.supervision.ledger_workflow), reached through the application layer.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import pgettext_lazy

from fupin.supervision.ledger_workflow import USER_ACTIONS

# Evidence has its own form (a file): every other user action posts here.
FORM_ACTIONS = tuple(k for k in USER_ACTIONS if k != "add_evidence")
PARAMS = ("note", "reason", "text", "due", "done_on", "measure", "deadline")


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(k, k) for k in FORM_ACTIONS])
    note = forms.CharField(label=pgettext_lazy("ledger", "Note"), required=False, max_length=2000)
    reason = forms.CharField(label=pgettext_lazy("ledger", "Reason"), required=False, max_length=2000)
    text = forms.CharField(label=pgettext_lazy("ledger", "Measure"), required=False, max_length=2000)
    due = forms.DateField(label=pgettext_lazy("ledger", "Due by"), required=False)
    done_on = forms.DateField(label=pgettext_lazy("ledger", "Done on"), required=False)
    measure = forms.IntegerField(label=pgettext_lazy("ledger", "Measure number"), required=False, min_value=1)
    deadline = forms.DateField(label=pgettext_lazy("ledger", "New deadline"), required=False)

    def params(self) -> dict:
        """The filled-in fields, as the use case takes them (dates as dates)."""
        return {k: self.cleaned_data[k] for k in PARAMS if self.cleaned_data.get(k) not in (None, "")}


class EvidenceForm(forms.Form):
    file = forms.FileField(label=pgettext_lazy("ledger", "File"))
    note = forms.CharField(label=pgettext_lazy("ledger", "Note"), required=False, max_length=2000)
