"""The 明白卡 PDF (spec/assistance.md section 5): one page per card on A5 and A4, the bundled font,
and the "never on the card" test — edge households whose input carries ID numbers, phones, bank
accounts, health, disability, labour capacity, risk causes and sensitive measures are rendered,
the text is extracted from the PDF, and any of those found fails."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from fupin.engine.assistance import card as C
from fupin.engine.assistance.catalogue import Catalogue
from fupin.engine.assistance.rules import Ledger
from fupin.engine.policy import load_policies
from fupin.engine.schema import CAUSES
from fupin.io import card as io_card
from tests.engine.assistance.assist_helpers import (
    REGION,
    YEAR,
    hh,
    measure,
    person,
    table,
)
from tests.engine.engine_helpers import frame

BANK_ACCOUNT = "6228480402564890018"   # 19 digits, in a measure's 说明
HOUSEHOLD_PHONE = "13912345678"
FORBIDDEN_WORDS = ("长期慢性病", "患有大病", "残疾", "丧失劳动力")


def _edge_registry():
    """H1 monitored with every sensitive fact; H2 with 9 members and 13 measures; H3 with nothing."""
    households = [
        hh("5001010012010001", hamlet="1组", monitoring_category="边缘易致贫户", main_cause="因病",
           other_causes="因残;因学", phone=HOUSEHOLD_PHONE, wage_income=None),
        hh("5001010012010002", hamlet="2组"),
        hh("5001010012010003", hamlet="2组", poverty_status="未脱贫"),
    ]
    h1, h2, h3 = (h["household_id"] for h in households)
    members = [
        person(h1, name="病甲", health="长期慢性病", labour="丧失劳动力"),
        person(h1, name="病乙", relationship="配偶", health="患有大病", labour="弱劳动力或半劳动力", sex="女"),
        person(h1, name="残丙", relationship="之子", health="残疾", disability_grade="二级", labour="无劳动力",
               birth=date(2001, 2, 3)),
        person(h2, name="户主丁"),
        *[person(h2, name=f"成员{i}", relationship="之女", sex="女", birth=date(1990 + i, 5, 5)) for i in range(8)],
        person(h3, name="户主戊"),
    ]
    sick, wife, son = (m["id_number"] for m in members[:3])
    measures = [
        measure(h1, "大病专项救治", amount=None, id_number=sick, note=f"银行账号 {BANK_ACCOUNT}，电话 {HOUSEHOLD_PHONE}"),
        measure(h1, "家庭医生签约服务", amount=None, id_number=wife),
        measure(h1, "残疾人两项补贴", amount=90.0, id_number=son),
        measure(h1, "送教上门", amount=None, id_number=son),
        measure(h1, "医疗救助", amount=3000.0, id_number=sick, note=f"身份证 {sick}"),
        measure(h1, "小额信贷", amount=50000.0),
        *[measure(h2, "产业技术服务", amount=None, start=date(YEAR, 1, d)) for d in range(1, 13)],
        measure(h2, "消费帮扶销售", amount=1234.5, start=date(YEAR, 6, 1)),
    ]
    return households, members, measures


def _cards(paper: str) -> list[C.Card]:
    households, members, measures = _edge_registry()
    ledger = Ledger(measures=table("measures", measures))
    return C.village_cards(frame("households", households), frame("members", members), ledger, village=REGION,
                           year=YEAR, policy=load_policies(), paper=paper, region_names={REGION: "小林村"})


@pytest.fixture(scope="module")
def a5() -> tuple[list[C.Card], bytes]:
    cards = _cards("A5")
    return cards, io_card.render_pdf(cards, "A5")


@pytest.fixture(scope="module")
def a4() -> tuple[list[C.Card], bytes]:
    cards = _cards("A4")
    return cards, io_card.render_pdf(cards, "A4")


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def _sensitive_subtypes() -> list[str]:
    frame = Catalogue.default().frame
    return frame.filter(frame["sensitive"])["subtype"].to_list()


@pytest.mark.parametrize("paper", ["A5", "A4"])
def test_one_page_per_card_in_the_paper_size(paper, a5, a4):
    cards, pdf = a5 if paper == "A5" else a4
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == len(cards) == 3
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    assert round(width_mm) == (148 if paper == "A5" else 210)
    for card, text in zip(cards, _pages(pdf), strict=True):
        assert card.household_id in text and card.head_name in text


@pytest.mark.parametrize("paper", ["A5", "A4"])
def test_never_on_the_card(paper, a5, a4):
    cards, pdf = a5 if paper == "A5" else a4
    html = io_card.cards_html(cards, paper)
    forbidden = [*FORBIDDEN_WORDS, *_sensitive_subtypes(), *(c for c in CAUSES if c != "其他"), HOUSEHOLD_PHONE,
                 "银行", "身份证", "二级"]
    for card, text in zip(cards, _pages(pdf), strict=True):
        flat = re.sub(r"\s+", "", text)
        for word in forbidden:
            assert word not in flat, (card.household_id, word)
        for run in re.findall(r"\d+", flat):
            assert len(run) not in (15, 18), (card.household_id, run)
            assert not 16 <= len(run) <= 19 or run == card.household_id, (card.household_id, run)
        assert not re.search(r"\d{17}[Xx]", flat)
        assert not re.search(r"\d{3,6}\*{4,}", flat)  # masked IDs are IDs too
    for word in forbidden:
        assert word not in html, word


def test_edge_cards_say_what_they_should(a5):
    pdf = a5[1]
    sick, big, empty = (re.sub(r"\s+", "", t) for t in _pages(pdf))
    assert "监测对象（边缘易致贫户）" in sick and "健康帮扶" in sick and "综合保障" in sick
    assert "小额信贷" in sick and "50,000.00元" in sick and "未填报" in sick
    assert "等1人" in big and "另有1项（合计1,234.50元）" in big and "帮扶资金合计" in big
    assert "本年度暂无帮扶记录" in empty and "暂无，请联系村委会" in empty
    for page in (sick, big, empty):
        assert "12317" in page and "户主签字" in page and f"数据截至{YEAR}-12-31" in page


def test_the_bundled_font_is_embedded_not_a_system_one(a5):
    pdf = a5[1]
    fonts = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all(io_card.FONT_FAMILY in f for f in fonts), fonts
    assert io_card.font_path("normal").stat().st_size < 2_000_000


def test_every_character_of_a_card_is_in_the_bundled_font(a5):
    from fontTools.ttLib import TTFont

    cmap = TTFont(io_card.font_path("normal")).getBestCmap()
    cards, _pdf = a5
    text = re.sub(r"<[^>]+>", "", io_card.cards_html(cards, "A5").split("</style>")[1])
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}
    assert not missing


def test_html_escapes_what_the_registry_holds():
    households, members, _ = _edge_registry()
    members[3]["name"] = "<b>户主丁</b>"
    ledger = Ledger(measures=table("measures", []))
    cards = C.village_cards(frame("households", households), frame("members", members), ledger, village=REGION,
                            year=YEAR, policy=load_policies())
    html = io_card.cards_html(cards)
    assert "<b>户主丁" not in html and "&lt;b&gt;户主丁&lt;/b&gt;" in html


def test_a_full_a5_card_still_fits_one_page():
    long = "带动主体联结（订单、托管、入社）"
    households = [hh("5001010012010009", hamlet="十分长的自然村名称第九组")]
    members = [person("5001010012010009", name="欧阳某某")] + [
        person("5001010012010009", name=f"欧阳成员{i}", relationship="之孙子", birth=date(2005, 1, i + 1))
        for i in range(8)]
    measures = [measure("5001010012010009", "带动主体联结（订单、托管、入社）", amount=None, start=date(YEAR, 1, d),
                        end=date(YEAR, 12, 31), responsible_unit="县农业农村委") for d in range(1, 16)]
    ledger = Ledger(measures=table("measures", measures))
    cards = C.village_cards(frame("households", households), frame("members", members), ledger, village=REGION,
                            year=YEAR, policy=load_policies())
    assert long in io_card.cards_html(cards)
    assert len(PdfReader(BytesIO(io_card.render_pdf(cards, "A5"))).pages) == 1
