"""Workbench pages of the monitoring workflow. Thin: selectors read, services write."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fupin.accounts import scoping
from fupin.engine import matching
from fupin.engine.policy import PolicyMissing
from fupin.monitoring import clock, deadlines, intake, notice, selectors, workflow
from fupin.monitoring.forms import AssistanceForm, BulkForm, CadreLeadForm, MatchUploadForm, StepForm
from fupin.monitoring.models import Channel, Purpose, State


@login_required
def lead_list(request):
    f = selectors.LeadFilter(
        region=request.GET.get("region") or None, state=request.GET.get("state") or "open",
        channel=request.GET.get("channel") or None, purpose=request.GET.get("purpose") or None,
        overdue=request.GET.get("overdue") == "1",
    )
    qs = selectors.lead_list(request.user, f)
    page = Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    leads = selectors.decorate(page.object_list)
    return render(request, "monitoring/list.html", {
        "page": page, "leads": leads, "filter": f, "states": State.choices, "channels": Channel.choices,
        "purposes": Purpose.choices, "actions": workflow.STEPS.values(), "step_form": BulkForm(),
    })


@login_required
def lead_detail(request, pk: int):
    lead = selectors.lead_detail(request.user, pk)
    lead.clock = deadlines.clock_of(lead)
    return render(request, "monitoring/detail.html", {
        "lead": lead, "steps": selectors.lead_steps(lead), "assistance": selectors.lead_assistance(request.user, lead),
        "allowed": [workflow.STEPS[a] for a in workflow.allowed_actions(request.user, lead)],
        "form": StepForm(), "assistance_form": AssistanceForm(initial={"date": clock.today()}),
        "can_edit": scoping.can_edit(request.user), "purpose_identification": lead.purpose == Purpose.IDENTIFICATION,
    })


@login_required
@require_POST
def lead_step(request, pk: int):
    selectors.lead_detail(request.user, pk)  # 404 outside the region before anything else
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "输入有误 (invalid input)：" + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("monitoring:detail", pk=pk)
    try:
        workflow.apply_step(request.user, pk, form.cleaned_data["action"], **form.params())
        messages.success(request, "已办理 (done)")
    except workflow.StepRefused as exc:
        messages.error(request, str(exc))
    return redirect("monitoring:detail", pk=pk)


@login_required
@require_POST
def bulk_step(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择线索和操作 (choose leads and a step)")
        return redirect("monitoring:list")
    result = workflow.apply_bulk(request.user, form.lead_ids(), form.cleaned_data["action"], **form.params())
    if result.ok:
        messages.success(request, f"已办理 {len(result.applied)} 条 (done for {len(result.applied)} leads)")
        return redirect("monitoring:list")
    return render(request, "monitoring/bulk_refused.html", {"refused": sorted(result.refused.items())}, status=409)


@login_required
def cadre_new(request):
    if not scoping.can_edit(request.user):
        raise PermissionDenied
    villages = selectors.villages_in_scope(request.user)
    form = CadreLeadForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            lead = intake.record_cadre_lead(request.user, village_code=d["village"], name=d["name"],
                                            id_number=d["id_number"], phone=d["phone"],
                                            hardship_type=d["hardship_type"], text=d["text"])
            return redirect("monitoring:detail", pk=lead.pk)
        except intake.IntakeError as exc:
            form.add_error(None, str(exc))
    return render(request, "monitoring/cadre_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def assistance_add(request, pk: int):
    lead = selectors.lead_detail(request.user, pk)
    form = AssistanceForm(request.POST)
    if form.is_valid():
        try:
            workflow.record_assistance(request.user, household_id=lead.household_id, type=form.cleaned_data["type"],
                                       description=form.cleaned_data["description"], on=form.cleaned_data["date"],
                                       lead_id=lead.pk)
            messages.success(request, "已登记帮扶措施 (assistance recorded)")
        except workflow.StepRefused as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "帮扶措施填写不完整 (incomplete assistance)")
    return redirect("monitoring:detail", pk=pk)


@login_required
def overdue(request):
    rows = selectors.overdue_by_region(request.user, region=request.GET.get("region") or None)
    return render(request, "monitoring/overdue.html", {"rows": rows})


@login_required
def notice_html(request, village: str):
    return HttpResponse(notice.render_html(request.user, village))


@login_required
def notice_pdf(request, village: str):
    pdf = notice.render_pdf(request.user, village)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{village}.pdf"'
    return response


@login_required
def match_upload(request):
    if not scoping.can_run_jobs(request.user):
        raise PermissionDenied
    form = MatchUploadForm(request.POST or None, request.FILES or None)
    outcome, error = None, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with open(path, "wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                outcome = intake.run_match(path, kind=form.cleaned_data["kind"], year=form.cleaned_data["year"],
                                           user=request.user, source_name=upload.name)
            except matching.DepartmentFileError as exc:
                error = str(exc)
            except PolicyMissing as exc:
                error = str(exc)
            except intake.IntakeError as exc:
                error = str(exc)
    return render(request, "monitoring/match.html", {
        "form": form, "outcome": outcome, "error": error, "batches": selectors.match_batches(request.user),
        "layouts": [matching.LAYOUTS[k] for k in matching.KINDS],
    }, status=400 if error else 200)


@login_required
def match_rejects(request, pk: int):
    from fupin.monitoring.models import MatchBatch

    batch = scoping.get_scoped(MatchBatch.objects.all(), request.user, pk=pk)
    if not batch.rejects:
        return HttpResponse("没有退回行 (no rejected rows)", status=404)
    response = HttpResponse(bytes(batch.rejects),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="match-{pk}-rejects.xlsx"'
    return response
