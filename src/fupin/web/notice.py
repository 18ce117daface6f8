"""The public notice (公示) of a village: HTML and PDF, Chinese, no personal data beyond the
household head's name and group."""

from __future__ import annotations

from django.template.loader import render_to_string

from fupin.monitoring import selectors

# Debian's CJK fonts (fonts-wqy-microhei small, fonts-noto-cjk better); WeasyPrint picks the first present.
CJK_FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'


def notice_context(user, village: str) -> dict:
    from fupin.registry.models import Region

    rows, start, end = selectors.notice_rows(user, village)
    region = Region.objects.filter(code=village).select_related("parent").first()
    return {"rows": rows, "start": start, "end": end, "village": region, "village_code": village,
            "fonts": CJK_FONTS}


def render_html(user, village: str) -> str:
    return render_to_string("monitoring/notice.html", notice_context(user, village))


def render_pdf(user, village: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(user, village)).write_pdf()
