"""Household search and list, the household file (一户一档), edits and re-assessment.

Search terms (names, ID numbers, phones) travel only in POST bodies, never in a URL, so they
cannot end up in an access log; list filters that are not personal data may be in the URL.
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin import divisions
from fupin.accounts import scoping
from fupin.accounts.models import SensitiveView
from fupin.assessments import selectors as assessment_selectors
from fupin.engine import idnumber, schema
from fupin.engine import rules as R
from fupin.registry import selectors as registry_selectors
from fupin.registry.forms import HouseholdForm, MemberForm
from fupin.registry.models import Member, Region
from fupin.registry.services.edits import EditRejected, StaleEdit, edit_household, edit_member
from fupin.web import selectors

STATUS_CHOICES = [(s, s) for s in schema.POVERTY_STATUSES] + [("general", "一般农户")]
INCOME_FIELDS = ("wage_income", "business_income", "property_income", "transfer_income", "business_expense")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _region_choices(user) -> list[tuple[str, str]]:
    """Towns of a county scope, villages of a town scope, for the list filter (one query)."""
    prefix = scoping.scope_of(user) or ""
    level = divisions.level_of(divisions.pad12(prefix)) if prefix else "province"
    if level == "village":
        return []
    child_level = {"county": "town", "town": "village"}.get(level)
    if child_level is None:
        return []
    regions = scoping.restrict(Region.objects.filter(level=child_level), user).order_by("code")
    return [(divisions.scope_prefix(r.code), r.name) for r in regions.only("code", "name")[:500]]


@login_required
def household_list(request):
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    year = _int(params.get("year")) or registry_selectors.latest_year(user)
    region = (params.get("region") or "").strip()
    if region and (not region.isdigit() or len(region) > 12):
        raise Http404
    filters = registry_selectors.HouseholdFilter(
        year=year,
        region=region or None,
        status=params.get("status") or None,
        category=params.get("category") or None,
        unmet=params.get("unmet") or None,
        # Personal search terms only from a POST body (never logged with the URL).
        q=(request.POST.get("q") or "").strip() or None if request.method == "POST" else None,
    )
    households = registry_selectors.household_list(user, filters)
    paginator = Paginator(households, registry_selectors.PAGE_SIZE)
    # Paginator.count is a cached property: give it the precomputed total when there is one.
    paginator.__dict__["count"] = registry_selectors.household_total(user, filters, households)
    page = paginator.get_page(params.get("page"))
    rows = list(page.object_list)
    names = selectors.village_names(user, [h.region_code for h in rows])
    context = {
        "page": page, "rows": rows, "names": names, "filters": filters,
        "years": registry_selectors.years(user), "year": year,
        "regions": _region_choices(user), "statuses": STATUS_CHOICES,
        "categories": schema.MONITORING_CATEGORIES,
        "indicators": list(R.labels("indicator").items()),
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


def _verdict_row(verdict) -> dict:
    row = {f.name: getattr(verdict, f.name) for f in verdict._meta.concrete_fields if f.name != "details"}
    row.update(verdict.details or {})
    return row


def _explanation(verdict) -> str:
    if verdict is None:
        return ""
    try:
        from fupin.engine.explain import explain
    except ImportError:
        return ""
    try:
        lang = "en" if (request_language() or "").startswith("en") else "zh"
        return explain(_verdict_row(verdict), lang)
    except (KeyError, TypeError, ValueError):
        return ""  # an older run without the detail columns: the verdict fields are shown instead


def request_language() -> str:
    from django.utils.translation import get_language

    return get_language() or ""


def _household_context(request, household_id: str, year: int | None):
    user = request.user
    household = registry_selectors.household_file(user, household_id, year)
    members = list(household.members.all())
    ages = _member_ages(members, household.year)
    verdict = assessment_selectors.latest_verdict(user, household.household_id, household.year)
    history = list(assessment_selectors.verdict_history(user, household.household_id)[:30])
    incomes = [(schema.field_by_name("households", n).zh, getattr(household, n)) for n in INCOME_FIELDS]
    indicators = []
    if verdict is not None:
        indicators = [(k, R.label("indicator", k), getattr(verdict, k)) for k in R.INDICATORS]
    return {
        "household": household,
        "members": [(m, ages.get(m.pk)) for m in members],
        "verdict": verdict,
        "indicators": indicators,
        "explanation": _explanation(verdict),
        "verdict_history": history,
        "changes": registry_selectors.field_history(household, limit=100),
        "years": registry_selectors.household_years(user, household.household_id),
        "incomes": incomes,
        "village": Region.objects.filter(code=household.region_code).only("name").first(),
        "can_edit": scoping.can_edit(user),
        "can_see_sensitive": scoping.can_see_sensitive(user),
    }


@login_required
def household_detail(request, household_id: str):
    context = _household_context(request, household_id, _int(request.GET.get("year")))
    return render(request, "fupin/web/household_detail.html", context)


def log_sensitive(user, household, what: str) -> None:
    SensitiveView.objects.create(user=user, household_id=household.household_id, year=household.year, what=what)


@login_required
@require_POST
def reveal(request, household_id: str, year: int):
    """Full ID numbers and phone for roles that need them; every reveal is logged."""
    if not scoping.can_see_sensitive(request.user):
        raise PermissionDenied
    household = registry_selectors.household_file(request.user, household_id, year)
    members = list(household.members.all())
    log_sensitive(request.user, household, "id_number,phone")
    ages = _member_ages(members, household.year)
    return render(request, "fupin/web/partials/members.html", {
        "household": household, "members": [(m, ages.get(m.pk)) for m in members], "revealed": True,
        "can_edit": scoping.can_edit(request.user),
    })


def _edit_response(request, template, context, status=200):
    return render(request, template, context, status=status)


@login_required
def household_edit(request, household_id: str, year: int):
    user = request.user
    if not scoping.can_edit(user):
        registry_selectors.household_file(user, household_id, year)  # 404 first when out of scope
        raise PermissionDenied
    household = registry_selectors.household_file(user, household_id, year)
    if request.method == "POST":
        form = HouseholdForm(request.POST, instance=household)
        if form.is_valid():
            try:
                outcome = edit_household(user, household.pk, form.typed_data(),
                                         version=form.cleaned_data["version"])
            except EditRejected as exc:
                form.show_issues(exc.result)
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                return _edit_response(request, "fupin/web/household_edit.html",
                                      {"form": form, "household": household, "stale": True}, status=409)
            else:
                _saved_message(request, outcome)
                return redirect(_detail_url(household))
    else:
        form = HouseholdForm(instance=household)
        log_sensitive(user, household, "edit:phone")
    return _edit_response(request, "fupin/web/household_edit.html", {"form": form, "household": household})


@login_required
def member_edit(request, household_id: str, year: int, member_pk: int):
    user = request.user
    household = registry_selectors.household_file(user, household_id, year)
    member = next((m for m in household.members.all() if m.pk == member_pk), None)
    if member is None:
        raise Http404
    if not scoping.can_edit(user):
        raise PermissionDenied
    members = list(household.members.all())
    index = members.index(member)
    if request.method == "POST":
        form = MemberForm(request.POST, instance=member)
        if form.is_valid():
            try:
                outcome = edit_member(user, member.pk, form.typed_data(), version=form.cleaned_data["version"])
            except EditRejected as exc:
                form.show_issues(exc.result, member_index=index)
            except StaleEdit as exc:
                form.add_error(None, str(exc))
                return _edit_response(request, "fupin/web/member_edit.html",
                                      {"form": form, "household": household, "member": member, "stale": True},
                                      status=409)
            else:
                _saved_message(request, outcome)
                return redirect(_detail_url(household))
    else:
        form = MemberForm(instance=member)
        log_sensitive(user, household, "edit:id_number")
    return _edit_response(request, "fupin/web/member_edit.html",
                          {"form": form, "household": household, "member": member})


def _detail_url(household) -> str:
    return reverse("web:household", args=[household.household_id]) + f"?year={household.year}"


def _saved_message(request, outcome) -> None:
    if outcome.changed:
        messages.success(request, _("Saved. Re-run the assessment to update the verdict."))
    else:
        messages.info(request, _("Nothing changed."))
    for warning in outcome.warnings:
        messages.warning(request, warning.message_zh)


@login_required
@require_POST
def household_assess(request, household_id: str, year: int):
    user = request.user
    household = registry_selectors.household_file(user, household_id, year)
    if not scoping.can_edit(user):
        raise PermissionDenied
    try:
        from fupin.assessments.services import run_assessment
    except ImportError:
        messages.error(request, _("The assessment service is not available."))
        return redirect(_detail_url(household))
    from fupin.engine.policy import PolicyError

    try:
        # The household's village bounds what is read; only this household is assessed.
        run_assessment(household.year, region=household.region_code, household_ids=[household.household_id],
                       user=user)
    except (ValueError, PolicyError) as exc:  # e.g. a policy value missing for the year: it is named
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Assessment re-run."))
    return redirect(_detail_url(household))
