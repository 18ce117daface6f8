"""The log of sensitive views and downloads (full ID numbers, phones, exports, rejects): admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from fupin.accounts import selectors
from fupin.accounts.scoping import Capability
from fupin.web import selectors as web_selectors
from fupin.web.access import scope_to

PAGE_SIZE = 50


@login_required
def audit_log(request):
    scope = scope_to(request, Capability.AUDIT)
    page = Paginator(selectors.sensitive_views(scope), PAGE_SIZE).get_page(request.GET.get("page"))
    names = web_selectors.region_names(scope, [v.region_code for v in page.object_list])
    return render(request, "fupin/web/audit.html", {"page": page, "names": names})
