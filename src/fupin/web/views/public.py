"""The farmer's pages: declare a hardship, look a receipt up. No login; POST only for data.

Nothing personal goes into a URL or a log line: the form and the lookup are POSTed, the receipt
is shown in the response, and log lines name only the lead id and the village.
"""

from __future__ import annotations

import logging

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.engine.policy import PolicyError
from fupin.monitoring import selectors, throttle
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
        return _form_page(request, DeclarationForm(), 400, "提交失败，请稍后重试。(submission refused)")
    if not throttle.allow("declare_ip", _ip(request)):
        return _form_page(request, form, 429, "提交过于频繁，请一小时后再试。(too many submissions; try again in an hour)")
    if not form.is_valid():
        return _form_page(request, form, 400)
    data = form.cleaned_data
    if not throttle.allow("declare_id", data["id_number"]):
        return _form_page(request, form, 429, "该证件号码今天提交次数过多，请明天再试或联系村干部。"
                                              "(too many declarations for this ID today)")
    try:
        lead, created = monitoring.declare(
            policy_provider.current(), name=data["name"], phone=data["phone"], id_number=data["id_number"],
            village_code=data["village"], hardship_type=data["hardship_type"], text=data["text"],
            consent=data["consent"],
        )
    except (monitoring.IntakeError, PolicyError) as exc:
        form.add_error(None, str(exc))
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
                      {"form": form, "error": "查询过于频繁，请稍后再试。(too many lookups)"}, status=429)
    status = None
    if form.is_valid():
        status = selectors.public_status(form.cleaned_data["receipt"])
        if status is None:
            form.add_error("receipt", "没有找到该回执编号，请核对。(no such receipt number)")
    return render(request, "monitoring/lookup.html", {"form": form, "status": status},
                  status=200 if status else 400 if request.method == "POST" and not form.is_valid() else 200)
