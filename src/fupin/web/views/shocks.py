"""Shock events' pages (issue 13 item 3): the events touching the user's region, and one event
with its exposed, listed and lead counts inside the region; a county creates the event's leads
(R8, idempotent) with one button.

Thin views: each goes through one use case of :mod:`fupin.application.shocks`; an event outside
the user's area is a 404.
"""

from __future__ import annotations

import base64
import logging
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import Capability
from fupin.application import policy as policy_provider
from fupin.application import shocks as use
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import XLSX
from fupin.web.forms.shocks import ShockUploadForm

log = logging.getLogger(__name__)
OUTSIDE_SHOWN = 50   # B18 rows listed on the page; the count says how many more


@login_required
def shock_list(request):
    scope = scope_to(request)
    return render(request, "shocks/list.html", {"events": use.list_events(scope),
                                                "can_import": scope.can(Capability.IMPORT),
                                                "form": ShockUploadForm()})


@login_required
@require_POST
def shock_import(request):
    """A shocks file (冲击事件 / 受灾户) into the events of the user's region; the result page
    gives the counts and the refused rows as a workbook to fix and upload again."""
    scope = scope_to(request, Capability.IMPORT)
    form = ShockUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("web:shocks")
    upload = form.cleaned_data["file"]
    name = Path(str(upload.name)).name
    with tempfile.TemporaryDirectory(prefix="fupin-shocks-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            outcome = use.import_shocks(scope, path, Path(folder) / "rejects.xlsx")
        except (use.ShockFileError, use.ShockRefused) as exc:
            log.info("shock upload refused: %s", type(exc).__name__)
            messages.error(request, _refusal(exc).replace(path.name, name))
            return redirect("web:shocks")
        rejects = outcome.rejects_path.read_bytes() if outcome.rejects_path else None
    shown = outcome.findings.head(OUTSIDE_SHOWN)
    return render(request, "shocks/imported.html", {
        "outcome": outcome, "name": name, "xlsx": XLSX,
        "rejects": base64.b64encode(rejects).decode() if rejects else "",
        "outside": shown.to_dicts(), "outside_more": outcome.findings.height - shown.height,
        "names": selectors.village_names(scope, shown["region_code"].unique().to_list()),
    })


def _refusal(exc: Exception) -> str:
    """The message of a file or request the importer refused, in the page's language."""
    if isinstance(exc, use.ShockFileError):
        return exc.message_en if display.lang() == "en" else exc.message_zh
    return display.bilingual(str(exc))


@login_required
def shock_event(request, event_id: str):
    scope = scope_to(request)
    summary = use.event_summary(scope, event_id)
    curve = use.return_curve(scope, event_id)
    charts = {}
    if curve.height and curve["out_last_year"].max():
        charts["return"] = {
            "grid": {"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis"},
            "xAxis": {"type": "category", "data": [d.isoformat() for d in curve["date"]]},
            "yAxis": {"type": "value", "name": _("Return-to-work rate")},
            "series": [{"name": _("Return-to-work rate"), "type": "line", "data": curve["rate"].to_list()}],
        }
    return render(request, "shocks/event.html", {"s": summary, "event": summary.event, "charts": charts,
                                                 "curve": curve.to_dicts(),
                                                 "can_create": scope.can(Capability.MATCH)})


@login_required
@require_POST
def shock_event_leads(request, event_id: str):
    scope = scope_to(request, Capability.MATCH)
    try:
        out = use.shock_leads(scope, policy_provider.current(), event_id)
    except use.ShockRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Shock leads: %(created)d created, %(existing)d already there, "
                                    "%(ineligible)d not eligible.") % {"created": out.created, "existing": out.existing,
                                                                       "ineligible": out.ineligible})
    return redirect("web:shock_event", event_id=event_id)
