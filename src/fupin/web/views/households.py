"""Household search and list, the household file (一户一档), edits, re-assessment, elimination.

Search terms (names, ID numbers, phones) travel only in POST bodies, never in a URL, so they
cannot end up in an access log; list filters that are not personal data may be in the URL.
Every view reads through the user's scope and writes through one use case of
:mod:`fupin.application`.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.models import SensitiveView
from fupin.application import assessment, monitoring
from fupin.application import policy as policy_provider
from fupin.application import registry as registry_use_cases
from fupin.assessments import selectors as assessment_selectors
from fupin.engine import facts, idnumber, schema
from fupin.engine import rules as R
from fupin.engine.explain import explain
from fupin.engine.policy import PolicyError
from fupin.monitoring.models import Lead, Purpose
from fupin.monitoring.workflow import currently_monitored
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Member, Region
from fupin.registry.services.edits import EditRejected, StaleEdit
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import int_or_none
from fupin.web.forms.registry import HouseholdForm, MemberForm

# The household's facts shown on its file (presentation: which fields, in which order).
HOUSEHOLD_FACTS = ("food_secure", "clothing_secure", "housing_grade", "water_safe", "poverty_status",
                   "monitoring_category")




@login_required
def household_list(request):
    scope = scope_to(request)
    params = request.POST if request.method == "POST" else request.GET
    year = int_or_none(params.get("year")) or assessment_selectors.latest_year(scope)
    region = (params.get("region") or "").strip()
    if region and (not region.isdigit() or len(region) > 12):
        raise Http404
    filters = assessment_selectors.HouseholdFilter(
        year=year,
        region=region or None,
        status=params.get("status") or None,
        category=params.get("category") or None,
        unmet=params.get("unmet") or None,
        # Personal search terms only from a POST body (never logged with the URL).
        q=(request.POST.get("q") or "").strip() or None if request.method == "POST" else None,
    )
    households = assessment_selectors.household_list(scope, filters)
    paginator = Paginator(households, assessment_selectors.PAGE_SIZE)
    # Paginator.count is a cached property: give it the precomputed total when there is one.
    paginator.__dict__["count"] = assessment_selectors.household_total(scope, filters, households)
    page = paginator.get_page(params.get("page"))
    rows = list(page.object_list)
    context = {
        "page": page, "rows": rows, "names": selectors.village_names(scope, [h.region_code for h in rows]),
        "filters": filters, "years": assessment_selectors.years(scope), "year": year,
        "regions": registry_selectors.subregion_choices(scope), "statuses": registry_selectors.registry_status_choices(),
        "categories": schema.MONITORING_CATEGORIES,
        "indicators": list(display.rule_labels("indicator").items()),
    }
    template = "fupin/web/partials/household_rows.html" if request.htmx else "fupin/web/household_list.html"
    return render(request, template, context)


def _member_ages(members: list[Member], year: int) -> dict[int, int | None]:
    """Whole years at the assessment date (31 December of the year), from the ID numbers."""
    if not members:
        return {}
    frame = pl.DataFrame({"pk": [m.pk for m in members], "id": [m.id_number for m in members]})
    valid = pl.col("id").str.contains(r"^\d{17}[\dX]$")
    birth = pl.when(valid).then(idnumber.birth_date_expr(pl.col("id")))
    ages = frame.select("pk", age=idnumber.age_expr(birth, date(year, 12, 31)))
    return dict(ages.iter_rows())


def _explanation(verdict) -> str:
    if verdict is None:
        return ""
    try:
        return explain(assessment.verdict_row(verdict), "en" if _english() else "zh")
    except (KeyError, TypeError, ValueError):
        return ""  # an older run without the detail columns: the verdict fields are shown instead


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _household_context(request, household_id: str, year: int | None):
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    members = list(household.members.all())
    ages = _member_ages(members, household.year)
    verdict = assessment_selectors.latest_verdict(scope, household.household_id, household.year)
    history = list(assessment_selectors.verdict_history(scope, household.household_id)[:30])
    incomes = [(display.field_label("households", n), getattr(household, n)) for n in facts.INCOME_ITEMS]
    indicators = []
    if verdict is not None:
        indicators = [(k, display.rule_label("indicator", k), getattr(verdict, k)) for k in R.INDICATORS]
    monitored = currently_monitored(household)
    elimination = (Lead.objects.within(scope).filter(household_id=household.household_id, year=household.year,
                                                      purpose=Purpose.ELIMINATION).order_by("-pk").first()
                   if monitored else None)
    return {
        "household": household,
        "members": [(m, ages.get(m.pk)) for m in members],
        "verdict": verdict,
        "indicators": indicators,
        "explanation": _explanation(verdict),
        "verdict_history": history,
        "changes": registry_selectors.field_history(household, limit=100, scope=scope),
        "years": registry_selectors.household_years(scope, household.household_id),
        "incomes": incomes,
        "household_facts": [(display.field_label("households", n), display.field_value(getattr(household, n)))
                            for n in HOUSEHOLD_FACTS],
        "village": Region.objects.within(scope).filter(code=household.region_code).only("name").first(),
        "can_edit": scope.can_edit,
        "can_see_sensitive": scope.can_see_sensitive,
        "monitored": monitored,
        "elimination_lead": elimination,
        "exit": monitoring.exit_status(scope, household) if household.registered else None,
    }


@login_required
def household_detail(request, household_id: str):
    context = _household_context(request, household_id, int_or_none(request.GET.get("year")))
    return render(request, "fupin/web/household_detail.html", context)


def log_sensitive(user, household, what: str) -> None:
    SensitiveView.objects.create(user=user, household_id=household.household_id, year=household.year,
                                 region_code=household.region_code, what=what)


@login_required
@require_POST
def reveal(request, household_id: str, year: int):
    """Full ID numbers and phone for roles that need them; every reveal is logged."""
    scope = scope_to(request)
    if not scope.can_see_sensitive:
        raise PermissionDenied
    household = registry_selectors.household_file(scope, household_id, year)
    members = list(household.members.all())
    log_sensitive(request.user, household, "id_number,phone")
    ages = _member_ages(members, household.year)
    return render(request, "fupin/web/partials/members.html", {
        "household": household, "members": [(m, ages.get(m.pk)) for m in members], "revealed": True,
        "can_edit": scope.can_edit, "can_see_sensitive": scope.can_see_sensitive,
    })


@login_required
def household_edit(request, household_id: str, year: int):
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)  # 404 first when out of scope
    if not scope.can_edit:
        raise PermissionDenied
    if request.method == "POST":
        form = HouseholdForm(request.POST, instance=household)
        if form.is_valid():
            try:
                outcome = registry_use_cases.edit_household(scope, household.pk, form.typed_data(),
                                                            version=form.cleaned_data["version"])
            except EditRejected as exc:
                form.show_issues(exc.result)
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                return render(request, "fupin/web/household_edit.html",
                              {"form": form, "household": household, "stale": True}, status=409)
            else:
                _saved_message(request, outcome)
                return redirect(_detail_url(household))
    else:
        form = HouseholdForm(instance=household)
        log_sensitive(request.user, household, "edit:phone")
    return render(request, "fupin/web/household_edit.html", {"form": form, "household": household})


@login_required
def member_edit(request, household_id: str, year: int, member_pk: int):
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    members = list(household.members.all())
    member = next((m for m in members if m.pk == member_pk), None)
    if member is None:
        raise Http404
    if not scope.can_edit:
        raise PermissionDenied
    index = members.index(member)
    if request.method == "POST":
        form = MemberForm(request.POST, instance=member)
        if form.is_valid():
            try:
                outcome = registry_use_cases.edit_member(scope, member.pk, form.typed_data(),
                                                         version=form.cleaned_data["version"])
            except EditRejected as exc:
                form.show_issues(exc.result, member_index=index)
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                return render(request, "fupin/web/member_edit.html",
                              {"form": form, "household": household, "member": member, "stale": True}, status=409)
            else:
                _saved_message(request, outcome)
                return redirect(_detail_url(household))
    else:
        form = MemberForm(instance=member)
        log_sensitive(request.user, household, "edit:id_number")
    return render(request, "fupin/web/member_edit.html", {"form": form, "household": household, "member": member})


def _detail_url(household) -> str:
    return reverse("web:household", args=[household.household_id]) + f"?year={household.year}"


def _saved_message(request, outcome) -> None:
    if outcome.changed:
        messages.success(request, _("Saved. Re-run the assessment to update the verdict."))
    else:
        messages.info(request, _("Nothing changed."))
    for warning in outcome.warnings:
        messages.warning(request, warning.message_en if _english() else warning.message_zh)


@login_required
@require_POST
def household_assess(request, household_id: str, year: int):
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    if not scope.can_edit:
        raise PermissionDenied
    try:
        # The household's village bounds what is read; only this household is assessed.
        outcome = assessment.assess_year(scope.narrow(household.region_code), policy_provider.current(),
                                         household.year, household_ids=[household.household_id])
    except (ValueError, PolicyError) as exc:  # e.g. a policy value missing for the year: it is named
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Assessment re-run."))
        if outcome.leads_created:
            messages.info(request, _("Monitoring leads created: %(n)s") % {"n": outcome.leads_created})
    return redirect(_detail_url(household))


@login_required
@require_POST
def household_elimination(request, household_id: str, year: int):
    """Start a risk elimination for a monitored household; its lead page takes the next steps."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    try:
        lead = monitoring.start_elimination(scope, policy_provider.current(), household.household_id)
    except (monitoring.IntakeError, PolicyError) as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(household))
    messages.success(request, _("Risk elimination started: verify at home, then review and give public notice."))
    return redirect("monitoring:detail", pk=lead.pk)


@login_required
@require_POST
def household_exit(request, household_id: str, year: int):
    """预退出: propose this household's exit; its case page takes the next steps."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, year)
    try:
        outcome = monitoring.propose_exits(scope, policy_provider.current(), year=household.year,
                                           household_ids=[household.household_id])
    except (monitoring.IntakeError, PolicyError) as exc:
        messages.error(request, display.bilingual(str(exc)))
        return redirect(_detail_url(household))
    if outcome.refused:
        messages.error(request, display.bilingual(outcome.refused[household.household_id]))
        return redirect(_detail_url(household))
    case = monitoring.exit_status(scope, household).case
    messages.success(request, _("Exit proposed: hold the village review and public notice, then have the household sign."))
    return redirect("monitoring:detail", pk=case.pk)
