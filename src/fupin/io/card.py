"""The 明白卡 as HTML and PDF: one page per :class:`~fupin.engine.assistance.card.Card`.

Cards hang on a household's wall, so the type is large, the tables have clear lines, and there
are lines to sign on. The PDF is drawn by WeasyPrint with the font bundled in ``fupin/io/fonts``
(a subset of Noto Sans SC, SIL OFL 1.1; docs/decisions/0007-assistance.md "明白卡"), loaded by
``@font-face`` so a server without any Chinese font still prints characters, not boxes.

No Django here (io imports no app): the HTML is built with :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from fupin.engine.assistance.card import NO_CADRE, PAPERS, Card

FONT_FAMILY = "FupinCard"
FONT_FILES = {"normal": "NotoSansSC-Regular-subset.woff", "bold": "NotoSansSC-Bold-subset.woff"}


def font_path(weight: str = "normal") -> Path:
    return Path(str(resources.files("fupin.io").joinpath("fonts", FONT_FILES[weight])))


def _font_faces() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("{font_path(weight).as_uri()}") format("woff"); }}'
        for weight in FONT_FILES)


# Sizes per paper: A5 is the default card; A4 carries the larger limits at a larger size. A card
# that does not fit on its page at the first size is drawn again at the next (DENSER).
_SIZES = {
    "A5": {"base": "10.5pt", "title": "18pt", "small": "8.5pt", "margin": "8mm 9mm 7mm 9mm",
           "denser": ("9.5pt", "8.5pt")},
    "A4": {"base": "15pt", "title": "26pt", "small": "10.5pt", "margin": "12mm 13mm 10mm 13mm",
           "denser": ("13pt", "11pt")},
}
LEVELS = 3  # the first size and the two denser ones


def _css(paper: str) -> str:
    z = _SIZES[paper]
    return _font_faces() + f"""
@page {{ size: {paper} portrait; margin: {z['margin']}; }}
@page tight {{ size: {paper} portrait; margin: 5mm 7mm 4mm 7mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "{FONT_FAMILY}", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
        font-size: {z['base']}; line-height: 1.25; color: #000; margin: 0; }}
.card {{ page-break-after: always; break-after: page; }}
.card:last-child {{ page-break-after: auto; break-after: auto; }}
h1 {{ font-size: {z['title']}; text-align: center; margin: 0 0 1.2mm 0; letter-spacing: 0.12em; }}
.place {{ text-align: center; margin: 0 0 1.5mm 0; }}
h2 {{ font-size: 1em; font-weight: bold; margin: 1.8mm 0 0.6mm 0; padding-left: 1.5mm;
      border-left: 1.2mm solid #000; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
th, td {{ border: 0.35mm solid #000; padding: 0.5mm 1mm; vertical-align: middle; overflow-wrap: anywhere; }}
th {{ background: #e6e6e6; font-weight: bold; text-align: center; font-size: 0.95em; }}
td.num, th.num {{ text-align: right; }}
td.money {{ white-space: nowrap; }}
td.c {{ text-align: center; }}
td.label {{ background: #f2f2f2; font-weight: bold; white-space: nowrap; }}
tr.more td {{ text-align: center; }}
tr.total td {{ font-weight: bold; }}
.l1 {{ font-size: {z['denser'][0]}; line-height: 1.18; }}
.l1 th, .l1 td {{ padding: 0.3mm 0.8mm; }}
.l1 h2 {{ margin-top: 1.2mm; }}
.l2 {{ font-size: {z['denser'][1]}; line-height: 1.08; page: tight; }}
.l2 th, .l2 td {{ padding: 0.1mm 0.6mm; }}
.l2 h1 {{ font-size: 13pt; margin-bottom: 0.5mm; }}
.l2 h2 {{ margin: 0.8mm 0 0.3mm 0; }}
.l2 .place {{ margin-bottom: 0.6mm; }}
.l2 .sign {{ margin-top: 1.2mm; }}
.l2 .footer {{ margin-top: 0.6mm; }}
.hotline p {{ margin: 0.3mm 0; }}
.hotline .big {{ font-weight: bold; }}
.sign {{ margin-top: 3mm; display: flex; justify-content: space-between; }}
.sign .line {{ display: inline-block; width: 20mm; border-bottom: 0.3mm solid #000; height: 1em; }}
.note {{ font-size: 0.8em; font-weight: normal; }}
.footer {{ font-size: {z['small']}; text-align: right; margin-top: 1.5mm; color: #222; }}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _header(card: Card) -> str:
    place = "　".join(p for p in (card.county, card.town, card.village, card.hamlet) if p)
    return (
        f"<h1>{_e(card.title)}</h1>"
        f'<p class="place">{_e(place)}</p>'
        "<table><colgroup><col style='width:15%'><col style='width:33%'><col style='width:15%'>"
        "<col style='width:37%'></colgroup>"
        f"<tr><td class='label'>户主姓名</td><td>{_e(card.head_name)}</td>"
        f"<td class='label'>家庭人口</td><td>{card.population} 人</td></tr>"
        f"<tr><td class='label'>户编号</td><td>{_e(card.household_id)}</td>"
        f"<td class='label'>户类型</td><td>{_e(card.household_type)}</td></tr>"
        "</table>"
    )


def _members(card: Card) -> str:
    """Two people per table row, so that 8 (A5) fit in four rows."""
    people = list(card.members)
    cells = [(m.name, m.relationship, "" if m.age is None else f"{m.age}") for m in people]
    if len(cells) % 2:
        cells.append(("", "", ""))
    rows = []
    for i in range(0, len(cells), 2):
        left, right = cells[i], cells[i + 1]
        rows.append("<tr>" + "".join(
            f"<td>{_e(n)}</td><td class='c'>{_e(r)}</td><td class='c'>{_e(a)}</td>" for n, r, a in (left, right))
            + "</tr>")
    if card.more_members_text:
        rows.append(f"<tr class='more'><td colspan='6'>{_e(card.more_members_text)}</td></tr>")
    if not people:
        rows.append("<tr class='more'><td colspan='6'>无</td></tr>")
    head = "<th>姓名</th><th>与户主关系</th><th>年龄</th>" * 2
    cols = "<col style='width:20%'><col style='width:19%'><col style='width:11%'>" * 2
    return f"<h2>家庭成员</h2><table><colgroup>{cols}</colgroup><tr>{head}</tr>{''.join(rows)}</table>"


def _items(card: Card) -> str:
    rows = [
        f"<tr><td>{_e(i.label)}</td><td class='c'>{_e(i.beneficiary)}</td><td class='c'>{_e(i.when)}</td>"
        f"<td class='num'>{_e(i.amount)}</td><td>{_e(i.unit)}</td></tr>"
        for i in card.items]
    if not rows:
        rows.append("<tr class='more'><td colspan='5'>本年度暂无帮扶记录</td></tr>")
    if card.more_items_text:
        rows.append(f"<tr class='more'><td colspan='5'>{_e(card.more_items_text)}</td></tr>")
    rows.append("<tr class='total'><td colspan='3'>帮扶资金合计 <span class='note'>（贷款及不计收入的项目不计入）</span></td>"
                f"<td class='num money'>{_e(card.total_text)}</td><td></td></tr>")
    cols = ("<col style='width:28%'><col style='width:10%'><col style='width:24%'>"
            "<col style='width:18%'><col style='width:20%'>")
    return (f"<h2>享受政策</h2><table><colgroup>{cols}</colgroup>"
            "<tr><th>项目</th><th>受益人</th><th>日期</th><th class='num'>金额</th><th>责任单位</th></tr>"
            f"{''.join(rows)}</table>")


def _income(card: Card) -> str:
    """The four sources with "其中帮扶" under them, then expenses, net and per-capita income."""
    sources = [line for line in card.income if line.assisted is not None]
    others = [line for line in card.income if line.assisted is None]

    def heads(lines) -> str:
        return "".join(f"<th>{_e(line.label)}</th>" for line in lines)

    def cells(values) -> str:
        return "".join(f"<td class='num money'>{_e(v)}</td>" for v in values)

    other_cols = "<col style='width:14%'>" + f"<col style='width:{86 / len(others):.2f}%'>" * len(others)
    return (
        f"<h2>收入情况（{card.year}年，元）</h2>"
        "<table><colgroup><col style='width:14%'><col style='width:21.5%'><col style='width:21.5%'>"
        "<col style='width:21.5%'><col style='width:21.5%'></colgroup>"
        f"<tr><th></th>{heads(sources)}</tr>"
        f"<tr><td class='label'>登记收入</td>{cells(line.value for line in sources)}</tr>"
        f"<tr><td class='label'>其中帮扶</td>{cells(line.assisted for line in sources)}</tr></table>"
        f"<table style='margin-top:-0.35mm'><colgroup>{other_cols}</colgroup>"
        f"<tr><th></th>{heads(others)}</tr>"
        f"<tr><td class='label'>登记</td>{cells(line.value for line in others)}</tr></table>"
    )


def _cadres(card: Card) -> str:
    if not card.cadres:
        return f"<h2>帮扶责任人</h2><table><tr><td class='c'>{_e(NO_CADRE)}</td></tr></table>"
    rows = "".join(f"<tr><td>{_e(c.name)}</td><td>{_e(c.unit)}</td><td class='c'>{_e(c.phone)}</td></tr>"
                   for c in card.cadres)
    return ("<h2>帮扶责任人</h2><table><colgroup><col style='width:22%'><col style='width:48%'>"
            "<col style='width:30%'></colgroup><tr><th>姓名</th><th>帮扶单位</th><th>联系电话</th></tr>"
            f"{rows}</table>")


def _help(card: Card) -> str:
    lines = "".join(f"<p class='{'big' if i < len(card.hotlines) - 1 else ''}'>{_e(t)}</p>"
                    for i, t in enumerate(card.hotlines))
    return f"<h2>监督与求助</h2><div class='hotline'>{lines}</div>"


def _sign(card: Card) -> str:
    line = "<span class='line'></span>"
    return (f"<div class='sign'><span>户主签字：{line}</span><span>帮扶责任人签字：{line}</span>"
            f"<span>日期：{line}</span></div>"
            f"<div class='footer'>{_e(card.footer)}</div>")


def card_html(card: Card, level: int = 0, anchor: str = "") -> str:
    ident = f" id='{anchor}'" if anchor else ""
    return (f"<section class='card l{level}'{ident}>" + _header(card) + _members(card) + _items(card) + _income(card)
            + _cadres(card) + _help(card) + _sign(card) + "</section>")


def cards_html(cards: list[Card], paper: str = "A5", title: str = "帮扶明白卡", level: int | list[int] = 0) -> str:
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    levels = level if isinstance(level, list) else [level] * len(cards)
    body = "".join(card_html(c, lv, f"card-{i}") for i, (c, lv) in enumerate(zip(cards, levels, strict=True)))
    return (f"<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{_css(paper)}</style></head><body>{body}</body></html>")


def _pages_by_card(document, n: int) -> list[list]:
    """The pages each card took (a card begins a page; a page without a card's anchor continues
    the one before)."""
    out: list[list] = [[] for _ in range(n)]
    current = -1
    for page in document.pages:
        starts = [int(a.split("-")[1]) for a in page.anchors if a.startswith("card-")]
        if starts:
            current = min(starts)
        if current >= 0:
            out[current].append(page)
    return out


def render_pdf(cards: list[Card], paper: str = "A5", title: str = "帮扶明白卡") -> bytes:
    """The PDF of ``cards``, one page each: a card that does not fit at the first size is drawn
    again smaller (:data:`LEVELS`), and only one that fits at none keeps a second page."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is asked for

    base = str(font_path().parent)
    if not cards:
        return HTML(string=cards_html([], paper, title), base_url=base).write_pdf()
    final: list[list] = [[] for _ in cards]
    pending = list(range(len(cards)))
    first = None
    for level in range(LEVELS):
        batch = [cards[i] for i in pending]
        document = HTML(string=cards_html(batch, paper, title, level), base_url=base).render()
        first = first or document
        retry = []
        for i, pages in zip(pending, _pages_by_card(document, len(batch)), strict=True):
            final[i] = pages
            if len(pages) > 1 and level < LEVELS - 1:
                retry.append(i)
        pending = retry
        if not pending:
            break
    return first.copy([page for pages in final for page in pages]).write_pdf()
