"""The farmer's pages: declare a hardship, look a receipt up. No login; POST only for data.

Nothing personal goes into a URL or a log line: the form and the lookup are POSTed, the receipt
is shown in the response, and log lines name only the lead id and the village.
"""

from __future__ import annotations

import logging

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.engine.policy import PolicyError
from fupin.monitoring import selectors, throttle
from fupin.web.display import bilingual
from fupin.web.forms.monitoring import DeclarationForm, LookupForm

log = logging.getLogger(__name__)


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _form_page(request, form, status=200, error=""):
    return render(request, "monitoring/declare.html",
                  {"form": form, "towns": selectors.public_towns_and_villages(), "error": error}, status=status)


@require_http_methods(["GET", "POST"])
def declare(request):
    if request.method == "GET":
        return _form_page(request, DeclarationForm())
    form = DeclarationForm(request.POST)
    if request.POST.get("website"):
        log.warning("declaration refused: honeypot field filled")
        return _form_page(request, DeclarationForm(), 400, _("The submission was refused; please try again later."))
    if not throttle.allow("declare_ip", _ip(request)):
        return _form_page(request, form, 429, _("Too many submissions; try again in an hour."))
    if not form.is_valid():
        return _form_page(request, form, 400)
    data = form.cleaned_data
    if not throttle.allow("declare_id", data["id_number"]):
        return _form_page(request, form, 429, _("Too many declarations for this ID number today; try again "
                                                "tomorrow or contact the village cadre."))
    try:
        lead, created = monitoring.declare(
            policy_provider.current(), name=data["name"], phone=data["phone"], id_number=data["id_number"],
            village_code=data["village"], hardship_type=data["hardship_type"], text=data["text"],
            consent=data["consent"],
        )
    except (monitoring.IntakeError, PolicyError) as exc:
        form.add_error(None, bilingual(str(exc)))
        return _form_page(request, form, 400)
    # An ID number that already has an open declaration gets no receipt back: whoever typed it
    # may not be that person (the village is told through a step on the open lead).
    return render(request, "monitoring/declare_done.html", {"receipt": lead.receipt if created else "",
                                                            "created": created})


@require_http_methods(["GET", "POST"])
def lookup(request):
    if request.method == "GET":
        return render(request, "monitoring/lookup.html", {"form": LookupForm()})
    form = LookupForm(request.POST)
    if not throttle.allow("lookup_ip", _ip(request)):
        return render(request, "monitoring/lookup.html",
                      {"form": form, "error": _("Too many lookups; please try again later.")}, status=429)
    status = None
    if form.is_valid():
        status = selectors.public_status(form.cleaned_data["receipt"])
        if status is None:
            form.add_error("receipt", _("No such receipt number; please check it."))
    return render(request, "monitoring/lookup.html", {"form": form, "status": status},
                  status=200 if status else 400 if request.method == "POST" and not form.is_valid() else 200)
