"""Workbench pages of the monitoring workflow. Thin: selectors read, use cases write.

A lead's page shows its household's measures from the assistance ledger and links to the
household's own "登记帮扶措施" form (same use case, checks and messages), which comes back here.

Department matching from the web runs as a background job (it reads a whole county's registry
and a file of any size); the page queues it and sends the user to the job's page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import Capability
from fupin.application import jobs as job_use_cases
from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.engine import matching
from fupin.engine.policy import PolicyError
from fupin.monitoring import deadlines, selectors, workflow
from fupin.monitoring.models import Channel, Purpose, State
from fupin.web import display, notice
from fupin.web import selectors as web_selectors
from fupin.web.access import scope_to
from fupin.web.forms.monitoring import (
    BulkForm,
    CadreLeadForm,
    MatchUploadForm,
    StepForm,
)
from fupin.web.views import assistance as assistance_views


@login_required
def lead_list(request):
    scope = scope_to(request)
    f = selectors.LeadFilter(
        region=request.GET.get("region") or None, state=request.GET.get("state") or "open",
        channel=request.GET.get("channel") or None, purpose=request.GET.get("purpose") or None,
        overdue=request.GET.get("overdue") == "1",
    )
    qs = selectors.lead_list(scope, f)
    page = Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    leads = selectors.decorate(page.object_list)
    return render(request, "monitoring/list.html", {
        "page": page, "leads": leads, "filter": f, "states": display.choices(State.choices),
        "channels": display.choices(Channel.choices), "purposes": display.choices(Purpose.choices),
        "actions": workflow.STEPS.values(), "step_form": BulkForm(),
        "names": web_selectors.village_names(scope, [lead.region_code for lead in leads]),
        "exit_year": job_use_cases.default_year(scope) if f.purpose == Purpose.EXIT else None,
    })


@login_required
def lead_detail(request, pk: int):
    scope = scope_to(request)
    lead = selectors.lead_detail(scope, pk)
    lead.clock = deadlines.clock_of(lead)
    household = selectors.lead_household(scope, lead)
    ledger = assistance_views.household_section(request, household) if household is not None else {}
    return render(request, "monitoring/detail.html", {
        "lead": lead, "steps": selectors.lead_steps(lead), "assistance": selectors.lead_assistance(scope, lead),
        "household": household, "measures": ledger.get("measures", []),
        "allowed": [workflow.STEPS[a] for a in workflow.allowed_actions(scope, lead)],
        "form": StepForm(), "can_edit": scope.can_edit, "purpose_identification": lead.purpose == Purpose.IDENTIFICATION,
        "purpose_exit": lead.purpose == Purpose.EXIT,
        "village_name": web_selectors.village_names(scope, [lead.region_code]).get(lead.region_code, lead.region_code),
        "department": display.department_label(lead.kind), "evidence": display.evidence_rows(lead.evidence),
    })


@login_required
@require_POST
def lead_step(request, pk: int):
    scope = scope_to(request)
    selectors.lead_detail(scope, pk)  # 404 outside the region before anything else
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Invalid input: %(errors)s") % {"errors": "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}" for k, v in form.errors.items())})
        return redirect("monitoring:detail", pk=pk)
    try:
        monitoring.take_step(scope, policy_provider.current(), pk, form.cleaned_data["action"], **form.params())
        messages.success(request, _("Done."))
    except (monitoring.StepRefused, PolicyError) as exc:
        messages.error(request, str(exc))
    return redirect("monitoring:detail", pk=pk)


@login_required
@require_POST
def bulk_step(request):
    scope = scope_to(request)
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the leads and a step."))
        return redirect("monitoring:list")
    result = monitoring.take_bulk_step(scope, policy_provider.current(), form.lead_ids(),
                                       form.cleaned_data["action"], **form.params())
    if result.ok:
        messages.success(request, _("Done for %(n)s leads.") % {"n": len(result.applied)})
        return redirect("monitoring:list")
    refused = [(pk, display.bilingual(why)) for pk, why in sorted(result.refused.items())]
    return render(request, "monitoring/bulk_refused.html", {"refused": refused}, status=409)


@login_required
def cadre_new(request):
    scope = scope_to(request)
    if not scope.can_edit:
        raise PermissionDenied
    form = CadreLeadForm(request.POST or None, villages=selectors.villages_in_scope(scope))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            lead = monitoring.record_cadre_lead(scope, policy_provider.current(), village_code=d["village"],
                                                name=d["name"], id_number=d["id_number"], phone=d["phone"],
                                                hardship_type=d["hardship_type"], text=d["text"])
            return redirect("monitoring:detail", pk=lead.pk)
        except (monitoring.IntakeError, PolicyError) as exc:
            form.add_error(None, display.bilingual(str(exc)))
    return render(request, "monitoring/cadre_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def overdue(request):
    rows = selectors.overdue_by_region(scope_to(request), region=request.GET.get("region") or None)
    return render(request, "monitoring/overdue.html", {"rows": rows})


@login_required
def notice_html(request, village: str):
    return HttpResponse(notice.render_html(scope_to(request), village))


@login_required
def notice_pdf(request, village: str):
    try:
        pdf = notice.render_pdf(scope_to(request), village)
    except notice.NoChineseFont as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    # The village is twelve digits (the URL converter); the header is still built by Django's
    # encoder, never by formatting a path segment into it.
    response["Content-Disposition"] = content_disposition_header(False, f"notice-{village}.pdf")
    return response


@login_required
def match_upload(request):
    """A department's list: queued as a matching job, followed on the job's page."""
    scope = scope_to(request, Capability.MATCH)
    form = MatchUploadForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            job = job_use_cases.start_match(scope, form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                                            year=form.cleaned_data["year"])
        except job_use_cases.JobInputError as exc:
            error = display.bilingual(str(exc))
        else:
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "monitoring/match.html", {
        "form": form, "error": error, "batches": selectors.match_batches(scope),
        "layouts": [display.layout_view(matching.LAYOUTS[k]) for k in matching.KINDS],
    }, status=400 if error or form.errors else 200)


@login_required
def match_rejects(request, pk: int):
    rejects = monitoring.match_rejects(scope_to(request, Capability.MATCH), pk)
    if not rejects:
        return HttpResponse(_("No rejected rows."), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(rejects, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"match-{int(pk)}-rejects.xlsx")
    return response


@login_required
def exit_lists(request, year: int):
    """The exit lists (贫困户退出名单) of the user's region, or of ``?region=`` inside it, as Excel."""
    scope = scope_to(request).narrow(request.GET.get("region") or None)
    with tempfile.TemporaryDirectory(prefix="fupin-exits-") as folder:
        try:
            path = monitoring.exit_lists(scope, year=year, out=Path(folder) / "exits.xlsx")
        except monitoring.ExitListEmpty as exc:
            messages.error(request, display.bilingual(str(exc)))
            return redirect(f"{reverse('monitoring:list')}?purpose=exit")
        content = path.read_bytes()
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"exits-{year}.xlsx")
    return response
