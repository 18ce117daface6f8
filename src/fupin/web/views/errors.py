"""The 400, 403, 404 and 500 pages: in the workbench's layout, in the user's language, with a way back.

A 403 says why when the refusal names it (the capabilities table's reason, in the page's
language). The 500 page renders without the request's context (no database read, no menu):
whatever failed must not fail again while the error is shown.
"""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from fupin.web.display import bilingual


def _page(request, status: int, title: str, text: str, reason: str = ""):
    return render(request, "fupin/web/error.html",
                  {"status": status, "title": title, "text": text, "reason": reason}, status=status)


def bad_request(request, exception=None):
    """400: a request Django refused before any view (an upload over the limit, a malformed
    body); the reason when it is ours to tell."""
    from fupin.web.uploads import UploadTooLarge

    reason = bilingual(str(exception)) if isinstance(exception, UploadTooLarge) else ""
    return _page(request, 400, _("The request could not be accepted"),
                 _("Go back to the previous page and try again; if a file was being uploaded, check its size and type."),
                 reason)


def forbidden(request, exception=None):
    reason = bilingual(str(exception)) if exception and str(exception) not in ("", "not signed in") else ""
    return _page(request, 403, _("You may not open this page"),
                 _("Your role does not give access to this page. Use the menu to go to the pages of your work."),
                 reason)


def not_found(request, exception=None):
    return _page(request, 404, _("Page not found"),
                 _("This page does not exist, or what it shows is outside your region."))


def server_error(request):
    html = loader.get_template("fupin/web/error_500.html").render({})
    return HttpResponseServerError(html)
