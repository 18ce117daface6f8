"""The 明白卡 as data (spec/assistance.md section 5), on small hand-made households: each
section's rule, the limits, the money in integer fen (R9's), and the readings the spec leaves
open (named ``test_reading_…``)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine.assistance import card as C
from fupin.engine.assistance.rules import Ledger
from fupin.engine.policy import load_policies
from tests.engine.assistance.assist_helpers import (
    REGION,
    YEAR,
    hh,
    measure,
    person,
    table,
)
from tests.engine.engine_helpers import frame

NAMES = {REGION: "小林村", REGION[:9] + "000": "龙都街道", REGION[:6] + "000000": "万州区"}


def cards(households, members, *, measures=(), dividends=(), placements=(), posts=(), projects=None, paper="A5",
          all_households=False, pairings=None, cadres=None, as_of=None, village=REGION) -> list[C.Card]:
    ledger = Ledger(measures=table("measures", list(measures)), dividends=table("dividends", list(dividends)),
                    placements=table("placements", list(placements)), posts=table("posts", list(posts)),
                    projects=table("income_projects", list(projects or [])))
    return C.village_cards(frame("households", households), frame("members", members), ledger, village=village,
                           year=YEAR, policy=load_policies(), as_of=as_of, paper=paper,
                           all_households=all_households, pairings=pairings, cadres=cadres, region_names=NAMES)


def one(*args, **kwargs) -> C.Card:
    got = cards(*args, **kwargs)
    assert len(got) == 1, got
    return got[0]


# --- 1 header, scope and order ---------------------------------------------------------------

def test_header_names_the_year_the_places_and_the_head():
    c = one([hh(hamlet="3组")], [person(name="赵坤"), person(name="金静", relationship="配偶")])
    assert c.title == f"{YEAR}年度帮扶明白卡"
    assert (c.county, c.town, c.village, c.hamlet) == ("万州区", "龙都街道", "小林村", "3组")
    assert (c.household_id, c.head_name, c.population) == ("H1", "赵坤", 2)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"monitoring_category": "边缘易致贫户"}, "监测对象（边缘易致贫户）"),
    ({"registered": False, "poverty_status": None, "monitoring_category": "突发严重困难户"}, "监测对象（突发严重困难户）"),
    ({}, "已脱贫户"),
    ({"poverty_status": "未脱贫"}, "未脱贫户"),
    ({"poverty_status": "返贫"}, "返贫户"),
    ({"monitoring_category": "脱贫不稳定户", "risk_eliminated": True}, "已脱贫户"),
    ({"poverty_status": None}, "建档立卡户"),  # reading 5: a Q07 error still gets a card
])
def test_household_type_monitored_then_registered_status(fields, expected):
    assert one([hh(**fields)], [person()]).household_type == expected


def test_general_household_only_with_all_and_typed_一般农户():
    rows = [hh("H1"), hh("H2", registered=False, poverty_status=None)]
    people = [person("H1"), person("H2")]
    assert [c.household_id for c in cards(rows, people)] == ["H1"]
    got = cards(rows, people, all_households=True)
    assert [(c.household_id, c.household_type) for c in got] == [("H1", "已脱贫户"), ("H2", "一般农户")]


def test_reading_cards_sort_by_hamlet_number_then_household_id_1组_2组_10组():
    rows = [hh("H4", hamlet="10组"), hh("H3", hamlet="2组"), hh("H2", hamlet="1组"), hh("H1", hamlet="2组")]
    got = cards(rows, [person(h["household_id"]) for h in rows])
    assert [(c.hamlet, c.household_id) for c in got] == [("1组", "H2"), ("2组", "H1"), ("2组", "H3"), ("10组", "H4")]


def test_other_villages_are_not_printed():
    rows = [hh("H1"), hh("H2", region_code=REGION[:9] + "202")]
    assert [c.household_id for c in cards(rows, [person("H1"), person("H2")])] == ["H1"]


# --- 2 家庭成员 --------------------------------------------------------------------------------

def test_nine_members_show_eight_then_等_1_人_and_a4_shows_all():
    people = [person(name="户主甲")] + [person(name=f"子{i}", relationship="之子", birth=date(2000 + i, 1, 1))
                                       for i in range(8)]
    c = one([hh()], people)
    assert len(c.members) == 8 and c.more_members == 1 and c.more_members_text == "等 1 人"
    assert c.population == 9
    a4 = one([hh()], people, paper="A4")
    assert len(a4.members) == 9 and a4.more_members_text is None


def test_members_are_living_head_first_with_age_at_as_of():
    people = [person(name="子", relationship="之子", birth=date(2010, 7, 1)), person(name="主", birth=date(1970, 12, 31)),
              person(name="故", relationship="之父", birth=date(1940, 1, 1), member_status="死亡")]
    c = one([hh()], people, as_of=date(YEAR, 6, 30))
    assert [(m.name, m.relationship, m.age) for m in c.members] == [("主", "户主", 51), ("子", "之子", 11)]
    assert c.population == 2


# --- 3 享受政策 ------------------------------------------------------------------------------

def test_thirteen_measures_show_twelve_then_另有_1_项_with_their_money():
    ms = [measure(start=date(YEAR, 1, d), amount=100.0) for d in range(1, 14)]
    c = one([hh()], [person()], measures=ms)
    assert len(c.items) == 12 and c.more_items == 1
    assert c.more_items_text == "另有 1 项（合计 100.00 元）"
    assert c.total_fen == 1300_00
    assert len(one([hh()], [person()], measures=ms, paper="A4").items) == 13


def test_loan_is_listed_with_its_amount_but_not_summed():
    c = one([hh()], [person()], measures=[measure(subtype="小额信贷", amount=50000.0), measure(amount=800.0)])
    assert {i.label: i.amount for i in c.items} == {"产业奖补": "800.00 元", "小额信贷": "50,000.00 元"}
    assert {i.label: i.fen for i in c.items} == {"产业奖补": 800_00, "小额信贷": 0}
    assert c.total_text == "800.00 元"


def test_continuing_money_measure_shows_每月_and_adds_the_months_of_the_window():
    c = one([hh()], [person()], measures=[measure(subtype="低保", start=date(YEAR, 5, 1), amount=300.0)])
    (item,) = c.items
    assert (item.amount, item.when, item.fen) == ("每月 300.00 元", f"{YEAR}-05-01 起", 8 * 300_00)
    assert {line.label: line.assisted for line in c.income}["转移性收入"] == "2,400.00"


def test_ended_continuing_measure_shows_start_至_end():
    c = one([hh()], [person()], measures=[measure(subtype="低保", start=date(YEAR, 1, 1), end=date(YEAR, 3, 31),
                                                  amount=300.0)])
    assert c.items[0].when == f"{YEAR}-01-01 至 03-31" and c.total_fen == 900_00
    across = one([hh()], [person()], measures=[measure(subtype="低保", start=date(YEAR - 1, 7, 1),
                                                       end=date(YEAR + 1, 6, 30), amount=300.0)])
    assert across.items[0].when == f"{YEAR - 1}-07-01 至 {YEAR + 1}-06-30" and across.total_fen == 12 * 300_00


def test_sensitive_subtypes_are_shown_by_their_family_only():
    p = person(name="李四")
    ms = [measure(subtype="残疾人两项补贴", amount=100.0, id_number=p["id_number"]),
          measure(subtype="家庭医生签约服务", amount=None, id_number=p["id_number"]),
          measure(subtype="大病专项救治", amount=None, id_number=p["id_number"])]
    labels = [i.label for i in one([hh()], [p], measures=ms).items]
    assert labels == ["健康帮扶", "健康帮扶", "综合保障"]


def test_items_by_family_in_catalogue_order_then_start_date():
    ms = [measure(subtype="低保", start=date(YEAR, 2, 1), amount=300.0), measure(start=date(YEAR, 9, 1)),
          measure(subtype="到户产业项目", start=date(YEAR, 4, 1)), measure(subtype="参保资助", amount=200.0)]
    assert [i.label for i in one([hh()], [person()], measures=ms).items] == ["到户产业项目", "产业奖补", "参保资助", "低保"]


def test_beneficiary_is_the_member_or_全户_and_year_level_dates_say_年度():
    p = person(name="王五")
    ms = [measure(subtype="技能培训", amount=None, id_number=p["id_number"]),
          measure(subtype="危房改造", start=None, year=YEAR, amount=5000.0)]
    got = {i.label: (i.beneficiary, i.when) for i in one([hh()], [p], measures=ms).items}
    assert got == {"技能培训": ("王五", f"{YEAR}-03-01"), "危房改造": ("全户", f"{YEAR}年度")}


def test_records_that_do_not_count_or_lie_outside_the_window_are_not_listed():
    ms = [measure(status="计划"), measure(amount=0.0), measure(start=date(YEAR - 1, 12, 31)),
          measure(start=date(YEAR, 11, 1))]
    assert one([hh()], [person()], measures=ms, as_of=date(YEAR, 10, 31)).items == ()


def test_dividend_named_after_its_project_kind_and_counted_as_property_income():
    projects = [{"project_id": "P1", "name": "村级光伏电站", "kind": "光伏", "owner": "村集体", "start": date(2018, 1, 1)}]
    dividends = [{"project_id": "P1", "household_id": "H1", "year": YEAR, "amount": 859.0, "paid_on": date(YEAR, 8, 16)}]
    c = one([hh()], [person()], dividends=dividends, projects=projects)
    (item,) = c.items
    assert (item.label, item.unit, item.amount) == ("光伏收益分配（村级光伏电站）", "村集体", "859.00 元")
    assert {line.label: line.assisted for line in c.income}["财产性收入"] == "859.00"


def test_placements_show_monthly_pay_and_employer_only_public_posts_add_money():
    p = person(name="刘六")
    posts = [{"post_id": "G1", "name": "保洁", "kind": "公益性岗位", "public_post_type": "保洁员", "employer": "村委会",
              "place": "乡镇内", "monthly_pay": 500.0, "planned": 1, "published_on": date(YEAR, 1, 1)}]
    placements = [
        {"id_number": p["id_number"], "household_id": "H1", "post_id": "G1", "start": date(YEAR, 10, 1)},
        {"id_number": p["id_number"], "household_id": "H1", "employer": "某电子厂", "place": "省外",
         "start": date(YEAR, 2, 1), "end": date(YEAR, 6, 30), "monthly_income": 4000.0, "mode": "转移就业"}]
    c = one([hh()], [p], placements=placements, posts=posts)
    got = {i.label: (i.beneficiary, i.amount, i.unit, i.fen) for i in c.items}
    assert got == {"转移就业": ("刘六", "每月 4,000.00 元", "某电子厂", 0),
                   "公益性岗位（保洁员）": ("刘六", "每月 500.00 元", "村委会", 3 * 500_00)}
    assert c.total_fen == 1500_00


def test_a_persons_record_follows_the_person_to_the_household_listing_him():
    # Edge case 4: B split from A; B's card shows only what belongs to B.
    moved = person("B", name="分户人")
    ms = [measure("A", subtype="技能培训", amount=None, id_number=moved["id_number"]), measure("A", amount=700.0)]
    got = {c.household_id: [i.label for i in c.items] for c in cards([hh("A"), hh("B")], [person("A"), moved],
                                                                     measures=ms)}
    assert got == {"A": ["产业奖补"], "B": ["技能培训"]}


# --- money: integer fen, half to even, R9's sums ------------------------------------------------

def test_money_is_integer_fen_rounded_half_to_even_then_summed():
    ms = [measure(amount=0.125), measure(amount=0.135, start=date(YEAR, 3, 2)), measure(amount=1.005, start=date(YEAR, 3, 3)),
          measure(amount=1.015, start=date(YEAR, 3, 4))]
    c = one([hh()], [person()], measures=ms)
    assert [i.fen for i in c.items] == [12, 14, 100, 102]
    assert c.total_fen == 228 and c.total_text == "2.28 元"


def test_total_is_the_sum_of_the_four_其中帮扶_figures():
    ms = [measure(amount=1000.0), measure(subtype="以工代赈务工", amount=2000.0), measure(subtype="低保", amount=100.0),
          measure(subtype="小额信贷", amount=30000.0)]
    c = one([hh()], [person()], measures=ms)
    assisted = {line.label: line.assisted for line in c.income if line.assisted is not None}
    assert assisted == {"工资性收入": "2,000.00", "生产经营性收入": "1,000.00", "财产性收入": "0.00",
                        "转移性收入": "1,000.00"}
    assert c.total_text == "4,000.00 元"


def test_yuan_formats_fen_with_two_decimals_and_separators():
    assert [C.yuan(f) for f in (0, 5, 123456, -1999)] == ["0.00", "0.05", "1,234.56", "-19.99"]


# --- 4 收入情况 -------------------------------------------------------------------------------

def test_empty_income_items_are_未填报_and_net_income_follows_them():
    c = one([hh(wage_income=None, business_income=None, property_income=None, transfer_income=None,
                business_expense=None)], [person()])
    values = {line.label: line.value for line in c.income}
    assert set(values.values()) == {C.NOT_REPORTED}
    full = one([hh(wage_income=12000.0, business_income=3000.0, business_expense=1000.0)],
               [person(), person(relationship="配偶")])
    values = {line.label: line.value for line in full.income}
    assert values["家庭纯收入"] == "14,000.00" and values["人均纯收入"] == "7,000.00"


# --- 5 帮扶责任人 ----------------------------------------------------------------------------

def test_no_pairing_says_暂无请联系村委会():
    assert one([hh()], [person()]).cadres == ()
    assert C.NO_CADRE == "暂无，请联系村委会"


def test_cadres_active_on_as_of_first_before_second_and_leaving_ends_a_pairing():
    cadres = pl.DataFrame({"cadre_id": ["c1", "c2", "c3", "c4"], "name": ["甲", "乙", "丙", "丁"],
                           "unit": ["县教委", "县医保局", "县民政局", "县林业局"],
                           "phone": ["13800000001", "13800000002", "13800000003", "13800000004"],
                           "left_on": [None, None, date(YEAR, 6, 1), None]})
    pairings = pl.DataFrame({
        "cadre_id": ["c1", "c2", "c3", "c4"], "household_id": ["H1"] * 4,
        "start": [date(YEAR, 3, 1), date(YEAR, 1, 1), date(YEAR, 1, 1), date(YEAR, 1, 1)],
        "end": [None, None, None, date(YEAR, 5, 1)], "order": ["第二", None, "第一", "第一"]})
    c = one([hh()], [person()], pairings=pairings, cadres=cadres, as_of=date(YEAR, 9, 30))
    assert [(x.name, x.unit, x.phone) for x in c.cadres] == [("乙", "县医保局", "13800000002"),
                                                            ("甲", "县教委", "13800000001")]


# --- 6 and 7 ------------------------------------------------------------------------------------

def test_hotline_national_12317_with_its_name_and_the_invitation_to_report():
    c = one([hh()], [person()])
    assert c.hotlines == ("全国防止返贫监测和乡村振兴咨询服务热线：12317", "家庭遇到困难可随时申报")
    assert c.footer == f"数据截至 {YEAR}-12-31　政策 全国默认政策参数 1.0 版"


def test_footer_names_the_policy_file_by_its_title_and_version_not_its_key():
    # spec 5.7 "policy file and version": the card is read by the household, so the file's title.
    c = one([hh()], [person()])
    assert "national@" not in c.footer and "1.0 版" in c.footer
