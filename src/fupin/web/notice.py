"""The public notice (公示) of a village: HTML and PDF, Chinese, no personal data beyond the
household head's name and group."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

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


class NoChineseFont(RuntimeError):
    """No CJK font on the server: every character of the PDF would print as an empty box."""

    message = ("服务器未安装中文字体，无法生成 PDF 公示（汉字会显示为方框）。请管理员安装 fonts-wqy-microhei "
               "或 fonts-noto-cjk；在此之前可打开网页版公示直接打印。")


@lru_cache(maxsize=1)
def chinese_font_installed() -> bool:
    """Whether fontconfig (which Pango, under WeasyPrint, uses) knows a font covering Chinese."""
    if shutil.which("fc-list") is None:
        return False
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(listed.stdout.strip())


def render_pdf(scope: Scope, village: str) -> bytes:
    if not chinese_font_installed():
        raise NoChineseFont(NoChineseFont.message)
    # WeasyPrint (and Pango under it) loads only when a PDF is asked for.
    from weasyprint import HTML

    return HTML(string=render_html(scope, village)).write_pdf()
