"""The public notice (公示) of a village: HTML and PDF, Chinese, no personal data beyond the
household head's name and group."""

from __future__ import annotations

from django.template.loader import render_to_string

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.monitoring import selectors
from fupin.registry.models import Region

# Debian's CJK fonts (fonts-wqy-microhei small, fonts-noto-cjk better); WeasyPrint picks the first present.
CJK_FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'


def notice_context(scope: Scope, village: str) -> dict:
    rows, start, end = selectors.notice_rows(scope, village)
    region = Region.objects.within(scope).filter(code=divisions.pad12(village)).select_related("parent").first()
    return {"rows": rows, "start": start, "end": end, "village": region, "village_code": village,
            "fonts": CJK_FONTS}


def render_html(scope: Scope, village: str) -> str:
    return render_to_string("monitoring/notice.html", notice_context(scope, village))


def render_pdf(scope: Scope, village: str) -> bytes:
    # WeasyPrint (and Pango under it) loads only when a PDF is asked for.
    from weasyprint import HTML

    return HTML(string=render_html(scope, village)).write_pdf()
