"""The forms of the employment pages: list a post (岗位) and record a placement (就业).

Values are typed strings, as in the 岗位 and 就业 sheets: the use case validates them with the
import's own checks (E01 required, E05 dates, A04, A10 …), so these forms hold no rule of their
own; the use case's Chinese messages come back beside the field they concern
(:meth:`_Shown.show_errors`). The person placed is chosen by member, never by typing an ID
number: the page carries the member row's number, the ID is looked up on the server.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fupin.engine.assistance import schema as S

YES_NO = [("", "—"), ("是", pgettext_lazy("yes or no", "Yes")), ("否", pgettext_lazy("yes or no", "No"))]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_input(mode: str = "decimal") -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"})


def _codes(values, blank: bool = True) -> list[tuple[str, str]]:
    return ([("", "—")] if blank else []) + [(v, v) for v in values]


class _Shown(forms.Form):
    # The use case's field names that are not a field of the form: where their message is shown.
    ERROR_FIELD: ClassVar[dict[str, str | None]] = {}

    def show_errors(self, errors: dict[str, str]) -> None:
        """The use case's messages (field name -> Chinese text) beside the fields they concern."""
        for name, message in errors.items():
            target = self.ERROR_FIELD.get(name, name)
            self.add_error(target if target in self.fields else None, message)

    def values(self) -> dict[str, str]:
        return {k: ("" if v is None else str(v)).strip() for k, v in self.cleaned_data.items()}


class PostForm(_Shown):
    """One 岗位 (spec 1.9)."""

    ERROR_FIELD: ClassVar[dict[str, str | None]] = {"region_code": "work_region"}

    post_id = forms.CharField(label=_("Post number"), max_length=64)
    name = forms.CharField(label=_("Post name"), max_length=64)
    kind = forms.ChoiceField(label=pgettext_lazy("post", "Kind"), choices=_codes(S.POST_KINDS))
    public_post_type = forms.ChoiceField(label=_("Public-welfare post type"), required=False,
                                         choices=_codes(S.PUBLIC_POST_TYPES),
                                         help_text=_("Needed for a public-welfare post."))
    employer = forms.CharField(label=_("Employer"), max_length=64)
    place = forms.ChoiceField(label=_("Place of work"), choices=_codes(S.WORKPLACES))
    work_region = forms.CharField(label=_("Work region code"), required=False, max_length=12,
                                  widget=_number_input("numeric"),
                                  help_text=_("6, 9 or 12 digits: county, town or village."))
    monthly_pay = forms.CharField(label=_("Monthly pay (yuan)"), max_length=20, widget=_number_input())
    planned = forms.CharField(label=_("Planned holders"), max_length=9, widget=_number_input("numeric"))
    published_on = forms.CharField(label=_("Published on"), widget=_date_input())
    closes_on = forms.CharField(label=_("Closes on"), required=False, widget=_date_input())
    accident_insurance = forms.ChoiceField(label=_("Accident insurance"), required=False, choices=YES_NO)
    injury_insurance = forms.ChoiceField(label=_("Work-injury insurance"), required=False, choices=YES_NO)
    channel = forms.ChoiceField(label=_("Source of the post"), required=False, choices=_codes(S.POST_CHANNELS))

    def __init__(self, *args, today: date | None = None, **kwargs):
        initial = {"published_on": (today or date.today()).isoformat(), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)

    def post_data(self) -> dict[str, str]:
        """The 岗位 row as the use case takes it (工作地区划 is the sheet's ``region_code``)."""
        data = self.values()
        data["region_code"] = data.pop("work_region", "")
        return data


class PlacementForm(_Shown):
    """One 就业 (spec 1.10) of a member of the household."""

    ERROR_FIELD: ClassVar[dict[str, str | None]] = {"id_number": "member", "household_id": None, "post_id": "post"}
    NO_POST = ""

    member = forms.ChoiceField(label=_("Person placed"), choices=())
    post = forms.ChoiceField(label=_("Post"), required=False, choices=(),
                             help_text=_("Open posts with places left; leave empty for other work and give the "
                                         "employer and place below."))
    start = forms.CharField(label=_("Start date"), widget=_date_input())
    monthly_income = forms.CharField(label=_("Monthly income (yuan)"), required=False, max_length=20,
                                     widget=_number_input(), help_text=_("Empty: the post's monthly pay."))
    mode = forms.ChoiceField(label=_("Way of employment"), required=False, choices=_codes(S.PLACEMENT_MODES))
    service = forms.ChoiceField(label=_("Way of service"), required=False, choices=_codes(S.PLACEMENT_SERVICES))
    employer = forms.CharField(label=_("Employer"), required=False, max_length=64)
    place = forms.ChoiceField(label=_("Place of work"), required=False, choices=_codes(S.WORKPLACES))
    end = forms.CharField(label=_("End date"), required=False, widget=_date_input())

    MORE = ("employer", "place", "end")

    def __init__(self, *args, members, posts, today: date | None = None, **kwargs):
        """``members``: [(row id, label)]; ``posts``: [(岗位编号, label)]."""
        initial = {"start": (today or date.today()).isoformat(), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["member"].choices = [("", "—")] + [(str(pk), label) for pk, label in members]
        self.fields["post"].choices = [(self.NO_POST, _("No post: other work"))] + list(posts)

    def main_fields(self):
        return [self[n] for n in self.fields if n not in self.MORE]

    def more_fields(self):
        return [self[n] for n in self.MORE]

    def placement_data(self, member_ids: dict[str, str]) -> dict[str, str]:
        """The 就业 row as the use case takes it (``member_ids``: row id -> ID number)."""
        data = self.values()
        data["id_number"] = member_ids.get(data.pop("member", ""), "")
        data["post_id"] = data.pop("post", "")
        return data
