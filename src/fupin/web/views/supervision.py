"""Pages of the rectification ledger (问题清单, 清零进度) and of listed supervision (挂牌督战).

Thin: a scoped selector reads, one use case of :mod:`fupin.application.supervision` writes or
computes; which action a user may take is the workflow's one ``refusal`` (the buttons shown are
``allowed_actions``, and the use case checks again on the post). No rule lives here.
"""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin import divisions
from fupin.accounts.scoping import Capability
from fupin.application import policy as policy_provider
from fupin.application import supervision
from fupin.engine.policy import PolicyError
from fupin.io import ledger as ledger_io
from fupin.monitoring import clock
from fupin.supervision import ledger_workflow, selectors
from fupin.supervision.models import SOURCE_CHOICES, State
from fupin.web import display
from fupin.web import selectors as web_selectors
from fupin.web.access import scope_to
from fupin.web.downloads import XLSX, int_or_none
from fupin.web.forms.supervision import ActionForm, EvidenceForm

PAGE_SIZE = 25
# The report's rows one level below the region shown (a village shows its own row).
CHILD_LEVEL = {0: "county", 2: "county", 4: "county", 6: "town", 9: "village", 12: "village"}




def _region(request, scope):
    """The scope narrowed to ``?region=`` (404 outside it) and the region's 12-digit code."""
    area = scope.narrow(request.GET.get("region") or None)
    return area, divisions.pad12(area.prefix) if area.prefix else ""


# --- 问题清单 ------------------------------------------------------------------------------------

@login_required
def problem_list(request):
    scope = scope_to(request)
    area, code = _region(request, scope)
    state = request.GET.get("state") or "open"
    if state not in ("open", "all", *State.values):
        state = "open"
    source = request.GET.get("source") or ""
    if source not in dict(SOURCE_CHOICES):
        source = ""
    overdue = request.GET.get("overdue") == "1"
    year = int_or_none(request.GET.get("year"))
    rows = selectors.problem_list(area, policy_provider.current(), as_of=clock.today(), year=year,
                                  state=None if state == "all" else state, source=source or None, overdue=overdue)
    page = Paginator(rows.to_dicts(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "supervision/list.html", {
        "page": page, "problems": page.object_list, "total": rows.height, "query": query.urlencode(),
        "filter": {"state": state, "source": source, "overdue": overdue, "year": year, "region": code},
        "states": State.values, "sources": [k for k, _label in SOURCE_CHOICES],
        "names": web_selectors.region_names(scope, [p["region_code"] for p in page.object_list]),
        "region": web_selectors.region_names(scope, [code]).get(code, "") if code else "",
        "can_import": scope.can(Capability.IMPORT),
    })


@login_required
def problem_detail(request, pk: int):
    scope = scope_to(request)
    problem = selectors.problem(scope, pk)
    allowed = ledger_workflow.allowed_actions(scope, problem)
    measures = [{"n": i, **m} for i, m in enumerate(problem.measures, start=1)]
    problem_clock = supervision.problem_clock(policy_provider.current(), problem)
    return render(request, "supervision/detail.html", {
        "problem": problem, "clock": problem_clock,
        "measures": measures, "open_measures": [m for m in measures if not m.get("done_on")],
        "evidence": list(problem.evidence.all()), "history": list(problem.actions.all()),
        "allowed": allowed, "today": clock.today(),
        # The level a problem escalated to is usually above the user's scope: its official name.
        "names": {**({problem_clock["escalated_to"]: divisions.names().get(problem_clock["escalated_to"])}
                     if problem_clock["escalated_to"] else {}),
                  **web_selectors.region_names(scope, [problem.region_code])},
        "evidence_form": EvidenceForm(),
    })


def _refused(request, text: str) -> None:
    messages.error(request, display.bilingual(text))


@login_required
@require_POST
def problem_act(request, pk: int):
    scope = scope_to(request)
    selectors.problem(scope, pk)  # 404 outside the region before anything else
    form = ActionForm(request.POST)
    if not form.is_valid():
        _refused(request, _("Invalid input: %(errors)s") % {"errors": "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}" for k, v in form.errors.items())})
        return redirect("web:problem", pk=pk)
    action = form.cleaned_data["action"]
    try:
        supervision.take_action(scope, pk, action, **form.params())
    except supervision.ActionRefused as exc:
        _refused(request, str(exc))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": display.bilingual(
            f"{ledger_workflow.ACTIONS[action].zh} ({ledger_workflow.ACTIONS[action].en})")})
    return redirect("web:problem", pk=pk)


@login_required
@require_POST
def evidence_upload(request, pk: int):
    scope = scope_to(request)
    selectors.problem(scope, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        _refused(request, _("Choose a file to upload."))
        return redirect("web:problem", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        supervision.add_evidence(scope, pk, upload.name, upload.chunks(), note=form.cleaned_data["note"])
    except supervision.ActionRefused as exc:
        _refused(request, str(exc))
    else:
        messages.success(request, _("The file is kept as evidence."))
    return redirect("web:problem", pk=pk)


@login_required
def evidence_download(request, pk: int):
    item, path = supervision.evidence_file(scope_to(request), pk)
    if not path.is_file():
        raise Http404("文件不存在 (file missing)")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=item.file_name)


# --- 清零 report ---------------------------------------------------------------------------------

def _report(request):
    """(scope of the region, its code, year, level, report frame) of the request."""
    scope = scope_to(request)
    area, code = _region(request, scope)
    years = selectors.problem_years(area)
    year = int_or_none(request.GET.get("year")) or (years[0] if years else clock.today().year)
    level = CHILD_LEVEL[len(area.prefix)]
    frame = supervision.ledger_report(area, policy_provider.current(), year=year, level=level, as_of=clock.today())
    return scope, area, code, year, years, level, frame


@login_required
def ledger_report(request):
    scope, area, code, year, years, level, frame = _report(request)
    source = request.GET.get("source") or "all"
    if source not in ("all", *dict(SOURCE_CHOICES)):
        source = "all"
    depth = len(area.prefix)
    rows = []
    for row in frame.filter(frame["source"] == source).to_dicts():
        prefix = divisions.scope_prefix(row["code"])
        drill = len(prefix) > depth and row["level"] in ("county", "town")
        row["drill"] = (f"{reverse('web:ledger_report')}?region={row['code']}&year={year}&source={source}"
                        if drill else None)
        row["problems"] = f"{reverse('web:problems')}?region={row['code']}&year={year}&state=all"
        rows.append(row)
    crumbs = web_selectors.breadcrumbs(scope, code) if code else []
    return render(request, "supervision/report.html", {
        "rows": rows, "year": year, "years": years, "level": level, "source": source, "code": code,
        "sources": ["all", *dict(SOURCE_CHOICES)], "crumbs": crumbs,
        "region": web_selectors.region_names(scope, [code]).get(code, "") if code else "",
        "cleared": sum(1 for r in rows if r["cleared"]),
        "can_sync": scope.can(Capability.ASSESS),
    })


@login_required
def ledger_report_export(request):
    scope, area, code, year, _years, _level, frame = _report(request)
    name = web_selectors.region_names(scope, [code]).get(code, "") if code else ""
    policy = policy_provider.current()
    with tempfile.TemporaryDirectory(prefix="fupin-ledger-") as folder:
        path = ledger_io.write_table(frame, Path(folder) / "report.xlsx", "report",
                                     region=f"{name} {area.prefix}".strip(), date=clock.today(),
                                     policy=policy.title_for(area.prefix or None))
        content = path.read_bytes()
    response = FileResponse(iter([content]), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"ledger-{year}-{area.prefix or 'all'}.xlsx")
    return response


# --- 挂牌督战 ------------------------------------------------------------------------------------

def _chart(rows) -> dict:
    names = [r["name"] or r["code"] for r in rows]
    return {"progress": {
        "grid": {"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("Remaining poor people"), "type": "bar", "data": [r["remaining_poor_people"] for r in rows]},
            {"name": _("Open problems"), "type": "bar", "data": [r["open_problems"] for r in rows]},
        ],
    }}


@login_required
def listings(request):
    """The listings of the user's region with their progress evaluated today; looking changes
    nothing (``fupin supervise progress`` and the ledger's own steps store the statuses)."""
    scope = scope_to(request, Capability.READ)
    years = selectors.listing_years(scope)
    year = int_or_none(request.GET.get("year")) or (years[0] if years else clock.today().year)
    error = ""
    try:
        frame = supervision.progress(scope, policy_provider.current(), year=year, as_of=clock.today(), store=False)
        rows = frame.to_dicts()
    except PolicyError as exc:
        rows, error = [], display.bilingual(str(exc))
    return render(request, "supervision/listings.html", {
        "rows": rows, "year": year, "years": years, "error": error, "charts": _chart(rows),
        # Listing is the county's (or a wider region's) decision; the use case checks again.
        "can_list": scope.can_edit and len(scope.prefix) <= 6,
    })


# --- the county's writes: list areas, import feedback, sync the data problems ---------------------

@login_required
@require_POST
def listings_add(request):
    """List areas for supervision: one by hand (code, note, target) or every region the A.1 rules
    select at a level. The use case refuses roles below the county."""
    scope = scope_to(request, Capability.EDIT)
    year = int_or_none(request.POST.get("year")) or clock.today().year
    target = request.POST.get("target") or None
    try:
        target_on = date.fromisoformat(target) if target else None
        if request.POST.get("level"):
            selected = supervision.select_db(scope, policy_provider.current(), year=year,
                                             level=request.POST["level"])
            rows = selected.select("code", "reasons").to_dicts()
        else:
            rows = [{"code": request.POST.get("code", ""), "note": request.POST.get("note", "")}]
        outcome = supervision.list_regions(scope, year=year, rows=rows, target_on=target_on)
    except ValueError as exc:  # LedgerError, PolicyMissing, a malformed date
        messages.error(request, display.bilingual(str(exc)))
    except PermissionDenied as exc:
        messages.error(request, display.bilingual(str(exc)))
    else:
        messages.success(request, _("Listed: %(new)s new, %(old)s already listed.") % {
            "new": len(outcome.created), "old": len(outcome.existing)})
    return redirect(f"{reverse('web:listings')}?year={year}")


@login_required
@require_POST
def ledger_import(request):
    """A workbook of problems (巡视/考核/审计 feedback) into the ledger; the rows refused come back
    as a workbook to download from the result page."""
    scope = scope_to(request, Capability.IMPORT)
    upload = request.FILES.get("file")
    if upload is None or not upload.name.lower().endswith((".xlsx", ".csv")):
        messages.error(request, _("Choose a problem list workbook (.xlsx or .csv)."))
        return redirect("web:problems")
    with tempfile.TemporaryDirectory(prefix="fupin-ledger-") as folder:
        path = Path(folder) / Path(upload.name).name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            outcome = supervision.import_ledger(scope, policy_provider.current(), path,
                                                rejects_path=Path(folder) / "rejects.xlsx")
        except (ValueError, PolicyError) as exc:  # ExchangeFormatError: a file that cannot be read
            messages.error(request, display.bilingual(str(exc)))
            return redirect("web:problems")
        rejects = outcome.rejects_path.read_bytes() if outcome.rejects_path else None
    return render(request, "supervision/imported.html", {
        "outcome": outcome, "name": upload.name,
        "rejects": base64.b64encode(rejects).decode() if rejects else "", "xlsx": XLSX,
    })


@login_required
@require_POST
def ledger_sync(request):
    """B.4 for the user's region: problems raised from the data-quality errors and overdue leads,
    closed when they are gone, reopened when they come back."""
    scope = scope_to(request, Capability.ASSESS)
    year = int_or_none(request.POST.get("year")) or clock.today().year
    try:
        counts = supervision.sync_ledger(scope, policy_provider.current(), year=year)
    except (ValueError, PolicyError) as exc:
        messages.error(request, display.bilingual(str(exc)))
    else:
        messages.success(request, _("Data problems synchronised: %(created)s new, %(closed)s closed, "
                                    "%(reopened)s reopened, %(unchanged)s unchanged.") % {
            "created": counts.created, "closed": counts.closed, "reopened": counts.reopened,
            "unchanged": counts.unchanged})
    return redirect(f"{reverse('web:ledger_report')}?year={year}")
