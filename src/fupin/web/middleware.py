"""Request hygiene and response headers for every page, file and API answer.

- A NUL byte anywhere in the path, the query, the form or a cookie is a 400 before any view
  runs: PostgreSQL refuses NUL in text, so it would otherwise surface as a 500 deep in a query.
- A value the database cannot hold (a 25-digit year, an id past bigint) is a 400 too: the
  parameters are validated where they are parsed, this is the net under that.
- Every dynamic response is ``Cache-Control: no-store, private`` unless the view said
  otherwise: pages, exports and API answers carry personal data, and a shared or browser cache
  must not keep them after the user signs out. Static files (WhiteNoise) answer before this
  middleware and keep their long cache headers.
"""

from __future__ import annotations

import logging

from django.db import DataError
from django.http import HttpResponseBadRequest
from django.utils.cache import patch_cache_control

log = logging.getLogger(__name__)

BAD_REQUEST = "请求参数含有非法字符或超出范围，请检查后重试。(the request has an invalid or out-of-range value)"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    sources = [request.GET, request.COOKIES]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)
    for source in sources:
        items = source.lists() if hasattr(source, "lists") else ((k, [v]) for k, v in source.items())
        for key, values in items:
            if "\x00" in key or any("\x00" in v for v in values if isinstance(v, str)):
                return True
    return False


class RequestHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            log.warning("request refused: NUL byte in %s %s", request.method, request.path_info.replace("\x00", "\\0"))
            return HttpResponseBadRequest(BAD_REQUEST, content_type="text/plain; charset=utf-8")
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (DataError, OverflowError)):
            log.warning("request refused by the database: %s on %s", type(exception).__name__, request.path_info)
            return HttpResponseBadRequest(BAD_REQUEST, content_type="text/plain; charset=utf-8")
        return None
