"""Assistance ledger pages (issue 12 item 6): the household file's plan, measures, dividends and
coverage; recording a measure and marking a plan action done from a phone; the village list of
plan actions due; the coverage dashboard with its uncovered households and their Excel list.

Thin views: each reads through the user's scope (a household outside it is a 404 before any
right is checked, a role without EDIT gets a 403 on a write) and writes through one use case of
:mod:`fupin.application.assistance`. Labels only are decided here.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import (
    content_disposition_header,
    url_has_allowed_host_and_scheme,
)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from fupin import divisions
from fupin.accounts.scoping import Capability, Scope
from fupin.application import assistance as use
from fupin.application import cards_db
from fupin.application import policy as policy_provider
from fupin.application.files import NothingToAssess
from fupin.assessments import selectors as assessment_selectors
from fupin.assistance import web_selectors
from fupin.assistance.models import ActionState
from fupin.engine import idnumber
from fupin.engine.assistance import rules
from fupin.engine.policy import PolicyError
from fupin.io import report
from fupin.registry import selectors as registry_selectors
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import int_or_none, report_download
from fupin.web.forms.assistance import MEASURE_STATUS_LABELS, MeasureForm

# The coverage rules of the dashboard, in the report's order (3.11).
COVERAGE_RULES = rules.COVERAGE_RULES
HEADLINE_RULES = ("outlet", "income", "developmental", "safety_net")

# English names of the rules' statuses; the Chinese ones are the engine's (rules.STATUS_LABELS).
_STATUS_EN = {"covered": gettext_lazy("covered"), "uncovered": gettext_lazy("not covered"), "no_demand": gettext_lazy("no wish to work"),
              "met": gettext_lazy("in time"), "met_undated": gettext_lazy("in time (year record)"), "late": gettext_lazy("late"),
              "missing": gettext_lazy("overdue, none"), "pending": gettext_lazy("not yet due"), "none": gettext_lazy("no asset income")}
_RULE_EN_SHORT = {"outlet": gettext_lazy("A way to earn for everyone"), "income": gettext_lazy("Income for every household"),
                  "mechanism": gettext_lazy("Asset-income mechanism"), "developmental": gettext_lazy("Developmental measure in time"),
                  "safety_net": gettext_lazy("Safety net without labour")}
_ACTION_STATES = {ActionState.PLANNED: pgettext_lazy("plan action", "Planned"),
                  ActionState.IN_PROGRESS: pgettext_lazy("plan action", "In progress"),
                  ActionState.DONE: pgettext_lazy("plan action", "Done")}
_GOOD = {"covered", "met", "met_undated"}
_BAD = {"uncovered", "missing", "late", "none"}


def rule_label(rule: str) -> str:
    return rules.label(rule) if display.lang() == "zh" else str(_RULE_EN_SHORT.get(rule, rules.label(rule, "en")))


def status_label(status: str | None) -> str:
    if not status:
        return "—"
    if display.lang() == "zh":
        return rules.STATUS_LABELS.get(status, status)
    return str(_STATUS_EN.get(status, status))


def status_tone(status: str | None) -> str:
    return "good" if status in _GOOD else "bad" if status in _BAD else ""




def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


# --- the household file's section ---------------------------------------------------------------

def household_section(request, household) -> dict:
    """The context of the household file's assistance section (``assistance/household_section.html``);
    its coverage part is loaded by :func:`household_coverage` (the rules read the whole village)."""
    scope = Scope.of(request.user)
    ledger = web_selectors.household_ledger(scope, household.household_id, household.year)
    names = {m.id_number: m.name for m in household.members.all() if m.id_number}
    today = date.today()
    actions = [{"action": a, "reason": display.rule_label(a.kind, a.reason), "state": _ACTION_STATES[a.state],
                "overdue": a.state != ActionState.DONE and a.target_on < today} for a in ledger.actions]
    measures = [{"measure": m, "who": names.get(m.id_number, _("Whole household") if not m.id_number else
                                                  idnumber.mask(m.id_number)),
                 "status": MEASURE_STATUS_LABELS.get(m.status, m.status or "—")} for m in ledger.measures]
    return {"household": household, "plan": ledger.plan, "actions": actions, "measures": measures,
            "dividends": ledger.dividends, "can_edit": scope.can(Capability.EDIT), "today": today}


@login_required
def household_coverage(request, household_id: str, year: int):
    """The household's status under each coverage rule (R1 per member), a fragment of its file."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    rows, error = [], ""
    try:
        statuses = use.household_coverage(scope, policy_provider.current(), household.household_id, household.year)
    except (PolicyError, NothingToAssess) as exc:
        statuses, error = {}, display.bilingual(str(exc))
    for rule in ("income", "developmental", "safety_net"):
        if rule in statuses:
            rows.append({"rule": rule_label(rule), "who": "", "status": status_label(statuses[rule]),
                         "tone": status_tone(statuses[rule])})
    for key, status in statuses.items():
        if key.startswith("outlet:"):
            rows.append({"rule": rule_label("outlet"), "who": key.removeprefix("outlet:"),
                         "status": status_label(status), "tone": status_tone(status)})
    return render(request, "assistance/household_coverage.html", {"coverage": rows, "coverage_error": error})


@login_required
def household_card(request, household_id: str, year: int):
    """The household's 明白卡 (one A5 page, or A4 with ``?paper=A4``); the print is logged."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    paper = "A4" if request.GET.get("paper") == "A4" else "A5"
    try:
        result = cards_db.village_cards(scope, policy_provider.current(), village=household.region_code,
                                        year=household.year, paper=paper, household_id=household.household_id)
    except (cards_db.CardError, PolicyError) as exc:
        messages.error(request, display.bilingual(str(exc)))
        return redirect(_household_url(household))
    response = HttpResponse(result.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"card-{household.year}.pdf")
    return response


# --- recording a measure --------------------------------------------------------------------------

def _household_url(household) -> str:
    return reverse("web:household", args=[household.household_id]) + f"?year={household.year}"


@login_required
def measure_new(request, household_id: str, year: int):
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)  # 404 first when out of scope
    if not scope.can(Capability.EDIT):
        raise PermissionDenied
    members = list(household.members.all())
    kwargs = {"groups": web_selectors.catalogue_groups(scope), "members": [(m.pk, m.name) for m in members],
              "unit": web_selectors.last_responsible_unit(scope, request.user)}
    if request.method == "POST":
        form = MeasureForm(request.POST, **kwargs)
        if form.is_valid():
            ids = {str(m.pk): m.id_number or "" for m in members}
            outcome = use.record_measure(scope, household.household_id, form.measure_data(ids))
            if not outcome.errors:
                messages.success(request, _("Measure recorded: %(subtype)s") % {"subtype": outcome.measure.subtype})
                back = request.GET.get("next") or ""  # the page the form was opened from (a lead's page)
                if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                    back = _household_url(household) + "#measures"
                return redirect(back)
            form.show_errors(outcome.errors)
    else:
        form = MeasureForm(**kwargs)
    return render(request, "assistance/measure_form.html", {"form": form, "household": household})


@login_required
@require_POST
def action_done(request, household_id: str, action_id: int):
    """One tap: the plan action is done (on the date given, else today)."""
    scope = scope_to(request)
    action = web_selectors.plan_action(scope, household_id, action_id)
    if action is None:
        raise Http404
    if not scope.can(Capability.EDIT):
        raise PermissionDenied
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("web:household", args=[household_id]) + f"?year={action.plan.year}#plan"
    done_on = _date(request.POST.get("done_on")) if request.POST.get("done_on") else date.today()
    if done_on is None or done_on > date.today():
        messages.error(request, _("The date done must be a date no later than today (YYYY-MM-DD)."))
        return redirect(back)
    try:
        use.mark_action(scope, action.pk, ActionState.DONE, done_on)
    except use.StepRefused as exc:
        messages.error(request, display.bilingual(str(exc)))
    else:
        messages.success(request, _("Marked done: %(subtype)s") % {"subtype": action.subtype})
    return redirect(back)


# --- plan actions due ---------------------------------------------------------------------------

@login_required
def plans_due(request, code: str):
    scope = scope_to(request)
    scope.narrow(code)
    due = use.plans_due(scope, code)
    rows = due.rows
    overdue = int(rows["overdue"].sum()) if rows.height else 0
    show = request.GET.get("show") or "all"
    if show == "overdue":
        rows = rows.filter(pl.col("overdue"))
    page = Paginator(rows.to_dicts(), 30).get_page(request.GET.get("page"))
    names = selectors.village_names(scope, [r["region_code"] for r in page.object_list])
    cards = [{**r, "reason_label": display.rule_label(r["kind"], r["reason"]),
              "state_label": _ACTION_STATES.get(r["state"], r["state"]),
              "late_days": -r["days"] if r["days"] is not None and r["days"] < 0 else 0} for r in page.object_list]
    return render(request, "assistance/plans_due.html", {
        "code": divisions.pad12(code), "region": selectors.region_of(scope, code),
        "crumbs": selectors.breadcrumbs(scope, code), "due": due, "total": due.rows.height, "overdue": overdue,
        "show": show, "page": page, "rows": cards, "names": names, "can_edit": scope.can(Capability.EDIT),
        "today": date.today(), "here": request.get_full_path(),
    })


# --- coverage dashboard -------------------------------------------------------------------------

def _coverage_year(request, scope: Scope) -> int | None:
    year = int_or_none(request.GET.get("year"))
    return year if year is not None else assessment_selectors.latest_year(scope)


def _report(scope: Scope, code: str, year: int | None):
    """(report, error) — the error in words when the figures cannot be made."""
    if year is None:
        return None, _("No registry data yet.")
    try:
        return use.coverage_report(scope, policy_provider.current(), year=year, region=code), ""
    except (NothingToAssess, PolicyError) as exc:
        return None, display.bilingual(str(exc))


def _child_level(prefix: str) -> tuple[str, str]:
    """(own level, level below) of a region prefix, as the report names them."""
    lengths = dict(rules.LEVELS)
    own = next((lv for lv, n in rules.LEVELS if n >= len(prefix)), "village")
    below = next((lv for lv, n in rules.LEVELS if n > lengths[own]), own)
    return own, below


def _rate(row) -> str:
    return "—" if row is None or row["rate"] is None else f"{row['rate'] * 100:.1f}%"


@login_required
def coverage(request, code: str):
    scope = scope_to(request)
    area = scope.narrow(code)
    year = _coverage_year(request, scope)
    rule = request.GET.get("rule") or "outlet"
    if rule not in COVERAGE_RULES:
        raise Http404
    data, error = _report(scope, code, year)
    own_level, child_level = _child_level(area.prefix)
    context = {"code": divisions.pad12(code), "region": selectors.region_of(scope, code),
               "crumbs": selectors.breadcrumbs(scope, code), "year": year, "rule": rule, "error": error,
               "rules": [(r, rule_label(r)) for r in COVERAGE_RULES], "years": assessment_selectors.years(scope),
               "rule_label": rule_label(rule)}
    if data is not None:
        frame = data.coverage
        mine = {r["rule"]: r for r in frame.filter(pl.col("region_code") == divisions.pad12(area.prefix)).to_dicts()}
        children = frame.filter((pl.col("level") == child_level) & (pl.col("level") != own_level)
                                & pl.col("region_code").str.starts_with(area.prefix))
        by_child: dict[str, dict] = {}
        for r in children.to_dicts():
            by_child.setdefault(r["region_code"], {"code": r["region_code"], "name": r["region_name"] or r["region_code"],
                                                   "rules": {}})["rules"][r["rule"]] = r
        child_rows = [{**c, "cells": [(c["rules"].get(x), _rate(c["rules"].get(x))) for x in HEADLINE_RULES],
                       "url": reverse("web:assistance_coverage", args=[c["code"]]) + f"?year={year}&rule={rule}"}
                      for c in by_child.values()]
        listed = data.uncovered[rule]
        page = Paginator(listed.to_dicts(), 25).get_page(request.GET.get("page"))
        names = selectors.village_names(scope, [r["region_code"] for r in page.object_list])
        context.update({
            "kpis": [{"rule": r, "label": rule_label(r), "row": mine.get(r), "rate": _rate(mine.get(r)),
                      "url": f"?year={year}&rule={r}"} for r in COVERAGE_RULES],
            "children": child_rows, "child_rules": [rule_label(x) for x in HEADLINE_RULES],
            "uncovered_total": listed.height, "page": page, "names": names,
            "uncovered": [{**r, "status_label": status_label(r["status"])} for r in page.object_list],
            "as_of": frame["as_of"][0] if frame.height else None,
            "charts": {"rates": _chart(child_rows, rule)},
        })
    return render(request, "assistance/coverage.html", context)


def _chart(children: list[dict], rule: str) -> dict:
    """Bars of the chosen rule's rate (%) per subregion; a click opens the subregion."""
    values = [None if c["rules"].get(rule) is None or c["rules"][rule]["rate"] is None
              else round(c["rules"][rule]["rate"] * 100, 1) for c in children]
    return {"grid": {"left": 8, "right": 8, "top": 24, "bottom": 8, "containLabel": True}, "tooltip": {},
            "xAxis": {"type": "category", "data": [c["name"] for c in children],
                      "axisLabel": {"interval": 0, "rotate": 30}},
            "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": [{"type": "bar", "name": rule_label(rule), "data": values}],
            "drill": [c["url"] for c in children]}


UNCOVERED_COLUMNS = (
    report.Column("region_name", "村"), report.Column("hamlet", "自然村"), report.Column("household_id", "户编号", "code"),
    report.Column("head_name", "户主姓名"), report.Column("name", "成员姓名"), report.Column("id_number", "证件号码", "code"),
    report.Column("status_label", "原因"),
)


@login_required
def coverage_export(request, code: str):
    """The uncovered households of every rule as a workbook (one sheet per rule, IDs masked: a
    list handed on to people)."""
    scope = scope_to(request)
    area = scope.narrow(code)
    year = _coverage_year(request, scope)
    data, error = _report(scope, code, year)
    if data is None:
        messages.error(request, error)
        return redirect(reverse("web:assistance_coverage", args=[divisions.pad12(code)]))
    names = selectors.village_names(scope, data.uncovered["income"]["region_code"].unique().to_list()
                                    + data.uncovered["outlet"]["region_code"].unique().to_list())
    sheets = []
    for rule in COVERAGE_RULES:
        listed = data.uncovered[rule]
        frame = listed.with_columns(
            region_name=pl.col("region_code").replace_strict(names, default=pl.col("region_code"), return_dtype=pl.String),
            id_number=pl.col("id_number").map_elements(idnumber.mask, return_dtype=pl.String, skip_nulls=True),
            status_label=pl.col("status").replace_strict(rules.STATUS_LABELS, default=pl.col("status"),
                                                         return_dtype=pl.String))
        columns = UNCOVERED_COLUMNS if rule == "outlet" else tuple(
            c for c in UNCOVERED_COLUMNS if c.key not in ("name", "id_number"))
        title = f"{year}年度 {rules.label(rule)}：未覆盖{'人员' if rule == 'outlet' else '户'}"
        sheets.append(report.Sheet(rules.label(rule)[:31], frame, columns, title=title,
                                   count_unit="人" if rule == "outlet" else "户"))
    region = selectors.region_of(scope, code)
    heading = report.Heading("帮扶覆盖未覆盖清单", f"{region.name} {area.prefix}" if region else report.region_label(area.prefix),
                             date=data.coverage["as_of"][0] if data.coverage.height else None,
                             policy=display.policy_title(policy_provider.current().identity))
    return report_download(sheets, heading, f"coverage-uncovered-{area.prefix}-{year}.xlsx")
