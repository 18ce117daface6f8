"""The 帮扶责任人 / 结对帮扶 / 走访记录 sheets in (spec/assistance.md 1.5–1.7, 2): A06, A07, A12,
R00, E12 and W01, and the national flat 帮扶责任人 export split into cadres and pairings."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl

from fupin.engine.assistance import schema as S
from fupin.io import tables
from fupin.io.assistance import RegistryRef, read_assistance, write_rejects

TODAY = date(2023, 1, 10)
REGISTRY = RegistryRef.of(pl.DataFrame({"household_id": ["H1", "H2"]}),
                          pl.DataFrame({"household_id": ["H1"], "id_number": ["X"]}))


def cadre(**over) -> dict:
    row = {"责任人编号": "C1", "姓名": "王五", "帮扶单位": "县财政局", "职级": "正科", "联系电话": "13900001111",
           "离岗日期": None}
    return {**row, **over}


def pairing(**over) -> dict:
    return {"责任人编号": "C1", "户编号": "H1", "开始日期": "2021-03-01", "结束日期": None, "序位": None, **over}


def visit(**over) -> dict:
    return {"户编号": "H1", "责任人编号": "C1", "走访人": None, "走访日期": "2022-12-01", "方式": "入户走访",
            "事项": "政策宣传、收入核实", "发现问题": "否", "问题描述": None, "内容": "了解收入", **over}


def read(tmp_path, sheets: dict[str, list[dict]], registry=REGISTRY):
    path = tmp_path / "a.xlsx"
    tables.write_sheets(path, {n: pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) for n, rows in sheets.items()})
    return read_assistance(path, registry=registry, as_of=TODAY)


def codes(result, table: str | None = None) -> list[str]:
    issues = result.issues if table is None else result.issues.filter(pl.col("table") == table)
    return sorted(issues["code"].to_list())


def test_sound_cadres_pairings_and_visits_load_into_the_ledger(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre()], "结对帮扶": [pairing()], "走访记录": [visit(事项="政策宣传，收入核实")]})
    assert codes(r) == []
    ledger = r.ledger()
    assert ledger.cadres["cadre_id"].to_list() == ["C1"] and ledger.cadres["rank"].to_list() == ["正科"]
    assert ledger.pairings.row(0, named=True)["start"] == date(2021, 3, 1)
    v = ledger.visits.row(0, named=True)
    assert (v["mode"], v["items"], v["found_problem"]) == ("入户走访", "政策宣传、收入核实", False)


def test_a06_unknown_cadre_and_a_cadre_known_by_name_and_phone(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre(责任人编号=None)],
                        "结对帮扶": [pairing(责任人编号=None, 责任人姓名="王五", 责任人联系电话="13900001111"),
                                   pairing(责任人编号="C9", 户编号="H2")]})
    assert codes(r) == ["A06"]
    assert r.ledger().pairings["cadre_id"].to_list() == [S.cadre_key("王五", "13900001111")]


def test_a06_is_not_raised_for_a_cadre_stored_in_the_database(tmp_path):
    stored = RegistryRef.of(REGISTRY.households, REGISTRY.members, cadres=frozenset({"C7"}))
    r = read(tmp_path, {"结对帮扶": [pairing(责任人编号="C7")]}, registry=stored)
    assert codes(r) == []


def test_r00_a_rejected_cadre_returns_its_pairings_and_visits(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre(职级="部长")], "结对帮扶": [pairing()], "走访记录": [visit()]})
    assert codes(r, "cadres") == ["E04"]
    assert codes(r, "pairings") == ["R00"] and codes(r, "visits") == ["R00"]
    assert r.ledger().pairings.height == 0


def test_edge6_one_cadre_twice_overlapping_a07_on_the_later_row(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre()],
                        "结对帮扶": [pairing(开始日期="2022-05-01", 结束日期="2022-06-15"), pairing(开始日期="2021-01-01", 结束日期="2022-06-30"),
                                   pairing(开始日期="2022-07-01", 户编号="H1")]})
    a07 = r.issues.filter(pl.col("code") == "A07")
    assert a07["row"].to_list() == [2]  # the 2022-05-01 row: it starts inside the 2021 one
    assert r.ledger().pairings["start"].sort().to_list() == [date(2021, 1, 1), date(2022, 7, 1)]


def test_a04_a12_e01_and_e04_on_visits_and_pairings(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre()],
                        "结对帮扶": [pairing(结束日期="2020-01-01")],
                        "走访记录": [visit(走访日期="2023-02-01"), visit(责任人编号=None, 走访日期="2022-11-01"),
                                   visit(事项="聊天", 走访日期="2022-10-01"), visit(方式="上门", 走访日期="2022-09-01")]})
    assert codes(r, "pairings") == ["A04"]
    assert codes(r, "visits") == ["A12", "E01", "E04", "E04"]


def test_w01_an_odd_cadre_phone_is_a_warning_and_the_cadre_loads(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre(联系电话="12345")]})
    assert codes(r) == ["W01"]
    assert r.ledger().cadres.height == 1


def test_flat_national_export_is_split_into_cadres_and_pairings(tmp_path):
    flat = [{"户编号": "H1", "帮扶责任人姓名": "王五", "帮扶(选派)单位名称": "县财政局", "职级": "正科", "联系电话": "13900001111",
             "帮扶开始时间": "2021-03-01", "帮扶结束时间": None},
            {"户编号": "H2", "帮扶责任人姓名": "王五", "帮扶(选派)单位名称": "县财政局", "职级": "正科", "联系电话": "13900001111",
             "帮扶开始时间": "2021-04-01", "帮扶结束时间": None}]
    r = read(tmp_path, {"帮扶责任人": flat})
    assert codes(r) == []
    ledger = r.ledger()
    assert ledger.cadres.height == 1 and ledger.cadres["unit"][0] == "县财政局"
    assert sorted(ledger.pairings["household_id"].to_list()) == ["H1", "H2"]
    assert set(ledger.pairings["cadre_id"]) == {S.cadre_key("王五", "13900001111")}


def test_e12_flat_export_cadre_fields_differing_between_rows_return_every_row(tmp_path):
    flat = [{"户编号": "H1", "姓名": "王五", "帮扶单位": "县财政局", "职级": "正科", "联系电话": "13900001111",
             "帮扶开始时间": "2021-03-01"},
            {"户编号": "H2", "姓名": "王五", "帮扶单位": "县财政局", "职级": "副科", "联系电话": "13900001111",
             "帮扶开始时间": "2021-04-01"}]
    r = read(tmp_path, {"帮扶责任人": flat})
    assert codes(r, "cadres") == ["E12", "E12"]
    assert r.ledger().pairings.height == 0


def test_rejects_workbook_of_pairings_reimports_once_fixed(tmp_path):
    r = read(tmp_path, {"帮扶责任人": [cadre()], "结对帮扶": [pairing(户编号="H9")]})
    out = tmp_path / "rejects.xlsx"
    assert write_rejects(r, out) == 1
    wb = openpyxl.load_workbook(out)
    ws = wb["结对帮扶"]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index("户编号") + 1, "H2")
    wb.save(out)
    again = read_assistance(out, registry=RegistryRef.of(REGISTRY.households, REGISTRY.members,
                                                         cadres=frozenset({"C1"})), as_of=TODAY)
    assert codes(again) == [] and again.ledger().pairings["household_id"].to_list() == ["H2"]
