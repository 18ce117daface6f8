"""Cadres' pages (issue 13 item 1): 我的帮扶户 on a phone — the households paired with the
signed-in user's cadre record, overdue first, one tap to record a home visit today or a form with
the details (a hardship found can raise a monitoring lead in the same step) — and the town and
county table of overdue visits by cadre and unit, with its Excel download.

Thin views: each reads and writes through one use case of
:mod:`fupin.application.assistance_pairing`; a household outside the scope is a 404 before any
right is checked. Visit contents (内容, 问题描述) are shown nowhere here but on the form the
cadre fills in.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin import divisions
from fupin.accounts.scoping import Capability
from fupin.application import assistance_pairing as use
from fupin.application import policy as policy_provider
from fupin.engine.assistance import pairing as P
from fupin.engine.assistance import schema as S
from fupin.io import report
from fupin.monitoring.models import HARDSHIP_TYPES
from fupin.registry import selectors as registry_selectors
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import report_download

GROUP_LABELS = {"monitored": gettext_lazy("Monitored household"), "poor": gettext_lazy("Household in poverty"),
                "exited": gettext_lazy("Exited household")}
STATUS_LABELS = {"overdue": gettext_lazy("Visit overdue"), "ok": gettext_lazy("Visited in time"),
                 "unpaired": gettext_lazy("Not paired")}


class VisitForm(forms.Form):
    """One 走访记录 (spec 1.7); the values go through the import's checks in the use case."""

    visited_on = forms.DateField(label=gettext_lazy("Visit date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=[(m, m) for m in S.VISIT_MODES], initial=S.HOME_VISIT)
    items = forms.MultipleChoiceField(label=gettext_lazy("Items"), required=False, choices=[(i, i) for i in S.VISIT_ITEMS],
                                      widget=forms.CheckboxSelectMultiple)
    content = forms.CharField(label=gettext_lazy("What was done"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    found_problem = forms.BooleanField(label=gettext_lazy("A problem was found"), required=False)
    problem = forms.CharField(label=gettext_lazy("Problem found"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    hardship_type = forms.ChoiceField(
        label=gettext_lazy("Raise a monitoring lead"), required=False,
        choices=[("", gettext_lazy("No lead"))] + [(k, v) for k, v in HARDSHIP_TYPES],
        help_text=gettext_lazy("A hardship that may bring the household back into poverty: the lead goes to the "
                               "village for verification."))

    def visit_data(self) -> dict[str, str]:
        d = self.cleaned_data
        return {"visited_on": d["visited_on"].isoformat(), "mode": d["mode"], "items": "、".join(d["items"]),
                "content": d["content"], "found_problem": "是" if d["found_problem"] else "否",
                "problem": d["problem"]}

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@login_required
def my_households(request):
    """我的帮扶户: the cadre's households, overdue first."""
    scope = scope_to(request)
    mine = use.my_households(scope, policy_provider.current(), request.user)
    rows = [{**r, "status_label": _status_label(r["status"]), "group_label": GROUP_LABELS.get(r["group"], ""),
             "overdue": r["status"] == "overdue"} for r in mine.rows]
    names = selectors.village_names(scope, [r["region_code"] for r in rows])
    return render(request, "pairing/my_households.html", {
        "mine": mine, "rows": rows, "names": names, "today": date.today(),
        "can_edit": scope.can(Capability.EDIT)})


@login_required
def record_visit(request, household_id: str):
    """The visit form (GET) and its save (POST); ``quick=1`` records a home visit today in one tap."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, None)  # 404 first when out of scope
    if not scope.can(Capability.EDIT):
        raise PermissionDenied
    policy = policy_provider.current()
    if request.method == "POST" and request.POST.get("quick") == "1":
        out = use.record_visit(scope, policy, household_id,
                               {"visited_on": date.today().isoformat(), "mode": S.HOME_VISIT}, user=request.user)
        if out.errors:
            for message in out.errors.values():
                messages.error(request, message)
        else:
            messages.success(request, _("Home visit recorded for today."))
        return redirect(reverse("web:my_households") + f"#h-{household_id}")
    if request.method == "POST":
        form = VisitForm(request.POST)
        if form.is_valid():
            out = use.record_visit(scope, policy, household_id, form.visit_data(), user=request.user,
                                   hardship_type=form.cleaned_data["hardship_type"])
            if not out.errors:
                messages.success(request, _("Visit recorded.") + (" " + _("A monitoring lead was raised.")
                                                                  if out.lead_id else ""))
                return redirect(reverse("web:my_households") + f"#h-{household_id}")
            form.show_errors(out.errors)
    else:
        form = VisitForm(initial={"visited_on": date.today(), "mode": S.HOME_VISIT})
    recent = use.visits_of(scope, household_id, limit=5)
    return render(request, "pairing/visit_form.html", {"form": form, "household": household, "recent": recent})


def _overdue(request, code: str):
    scope = scope_to(request)
    report_ = use.overdue_by_cadre(scope, policy_provider.current(), region=code)
    return scope, report_


@login_required
def overdue(request, code: str):
    """Town and county: overdue visits by cadre and unit."""
    scope, data = _overdue(request, code)
    names = selectors.village_names(scope, data.overdue["region_code"].unique().to_list())
    households = [{**r, "group_label": GROUP_LABELS.get(r["group"], "")} for r in data.overdue.head(200).to_dicts()]
    return render(request, "pairing/overdue.html", {
        "code": divisions.pad12(code), "region": selectors.region_of(scope, code), "data": data,
        "cadres": data.cadres.to_dicts(), "units": data.by_unit.to_dicts(), "households": households,
        "more": max(data.overdue.height - 200, 0), "names": names,
        "crumbs": selectors.breadcrumbs(scope, code)})


CADRE_COLUMNS = (report.Column("name", "姓名"), report.Column("unit", "帮扶单位"), report.Column("rank", "职级", "code"),
                 report.Column("households", "结对户数", "count", total=True), report.Column("limit", "上限", "count"),
                 report.Column("over_label", "超过上限", "code"),
                 report.Column("overdue", "走访超期户数", "count", total=True))
UNIT_COLUMNS = (report.Column("unit", "帮扶单位"), report.Column("cadres", "帮扶责任人数", "count", total=True),
                report.Column("households", "结对户数", "count", total=True),
                report.Column("overdue", "走访超期户数", "count", total=True))
HOUSEHOLD_COLUMNS = (report.Column("household_id", "户编号", "code"), report.Column("village", "村"),
                     report.Column("hamlet", "自然村"), report.Column("head_name", "户主姓名"),
                     report.Column("group_label", "类别"), report.Column("max_days", "走访间隔上限（天）", "count"),
                     report.Column("last_visit", "最近入户走访", "date"),
                     report.Column("days_since", "距今天数", "count"), report.Column("cadres", "帮扶责任人编号"))


@login_required
def overdue_export(request, code: str):
    scope, data = _overdue(request, code)
    import polars as pl

    names = selectors.village_names(scope, data.overdue["region_code"].unique().to_list())
    cadres = data.cadres.with_columns(over_label=pl.when(pl.col("over")).then(pl.lit("是")).otherwise(pl.lit("否")))
    households = data.overdue.with_columns(
        village=pl.col("region_code").replace_strict(names, default=pl.col("region_code"), return_dtype=pl.String),
        group_label=pl.col("group").replace_strict(P.GROUP_LABELS, default=None, return_dtype=pl.String))
    sheets = [report.Sheet("按责任人", cadres, CADRE_COLUMNS, title="走访超期：按帮扶责任人", count_unit="人"),
              report.Sheet("按单位", data.by_unit, UNIT_COLUMNS, title="走访超期：按帮扶单位", count_unit="个单位"),
              report.Sheet("超期户", households, HOUSEHOLD_COLUMNS, title="走访超期户清单", count_unit="户")]
    region = selectors.region_of(scope, code)
    heading = report.Heading("走访超期情况", f"{region.name} {data.region}" if region else report.region_label(data.region),
                             date=data.as_of, policy=display.policy_title(policy_provider.current().identity))
    return report_download(sheets, heading, f"visits-overdue-{data.region}.xlsx")


@login_required
def cadre_page(request, pk: int):
    """One cadre: who he is, his households inside the scope with R6's status, and — for the
    office that imported him — the account that signs in as him (linked here)."""
    from fupin.assistance.services import LinkRefused

    scope = scope_to(request)
    mine = use.cadre_households(scope, policy_provider.current(), pk)  # 404 outside the scope
    cadre = mine.cadre
    may_link = use.may_link(scope, cadre)
    if request.method == "POST":
        if not may_link:
            raise PermissionDenied
        try:
            use.link_account(scope, pk, request.POST.get("username", ""))
        except LinkRefused as exc:
            messages.error(request, str(exc).split(" (")[0])
        else:
            cadre.refresh_from_db()
            messages.success(request, _("Account linked.") if cadre.user_id else _("Account unlinked."))
            return redirect("web:cadre", pk=pk)
    rows = [{**r, "status_label": _status_label(r["status"]), "group_label": GROUP_LABELS.get(r["group"], ""),
             "overdue": r["status"] == "overdue"} for r in mine.rows]
    names = selectors.village_names(scope, [r["region_code"] for r in rows])
    return render(request, "pairing/cadre.html", {"mine": mine, "cadre": cadre, "rows": rows, "names": names,
                                                   "may_link": may_link})
