"""The policy in force: every value with the file that set it and its source (analysts, admins)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from fupin.accounts.scoping import Capability
from fupin.application import policy as policy_provider
from fupin.web.access import scope_to


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
def policy_page(request):
    scope = scope_to(request, Capability.POLICY)
    policy = policy_provider.current()
    year = _int(request.GET.get("year"), timezone.localdate().year)
    region = scope.narrow((request.GET.get("region") or "").strip() or None).prefix
    return render(request, "fupin/web/policy.html", {
        "policy": policy, "year": year, "region": region, "rows": policy_provider.values(policy, year, region),
        "files": policy.files,
    })
