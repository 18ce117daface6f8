"""Cadres, pairings and visits in the database: `assist import` (also the flat national export),
idempotent with history, scope checks, the read that gives the rules the file's frames, a visit
recorded by a cadre (with a lead in the same step), 我的帮扶户 and overdue visits by cadre."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import assistance_pairing as use
from fupin.application.assistance import import_assistance
from fupin.assistance.bulk import read_ledger
from fupin.assistance.models import Cadre, Pairing, Visit
from fupin.engine.assistance import schema as S
from fupin.engine.policy import load_policies
from fupin.io import tables
from fupin.io.assistance import RegistryRef, read_assistance, write_workbook
from fupin.monitoring.models import Lead
from tests.assistance.ledger_helpers import YEAR, rows, store_registry
from tests.regions import COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
AS_OF = date(YEAR, 12, 31)
POLICY = load_policies()


def cadre(cid: str = "C1", **over) -> dict:
    return {"cadre_id": cid, "name": f"干部{cid}", "unit": over.pop("unit", "县财政局"), "rank": "正科",
            "phone": "13900001111", **over}


def pairing(cid: str = "C1", hid: str = "H1", start: date = date(2021, 1, 1), **over) -> dict:
    return {"cadre_id": cid, "household_id": hid, "start": start, **over}


def visit(hid: str = "H1", on: date = date(YEAR, 12, 20), cid: str = "C1", mode: str = "入户走访", **over) -> dict:
    return {"household_id": hid, "cadre_id": cid, "visited_on": on, "mode": mode, "items": "政策宣传",
            "content": "了解生产情况", **over}


def workbook(path, *, cadres=(), pairings=(), visits=()):
    frames = {}
    for table, items in (("cadres", cadres), ("pairings", pairings), ("visits", visits)):
        if items:
            frames[table] = rows(table, list(items))
    return write_workbook(path, frames)


def counts(outcome):
    return {t: (c.new, c.changed, c.unchanged, c.rejected) for t, c in outcome.counts.items()}


def test_import_stores_cadres_pairings_visits_and_a_second_import_writes_nothing(tmp_path):
    store_registry()
    path = workbook(tmp_path / "a.xlsx", cadres=[cadre("C1"), cadre("C2")],
                    pairings=[pairing("C1", "H1"), pairing("C2", "H2")], visits=[visit()])
    first = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx", today=date(YEAR + 1, 1, 5))
    assert counts(first) == {"cadres": (2, 0, 0, 0), "pairings": (2, 0, 0, 0), "visits": (1, 0, 0, 0)}
    history = sum(m.history.model.objects.count() for m in (Cadre, Pairing, Visit))
    assert history == 5
    again = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx", today=date(YEAR + 1, 1, 5))
    assert counts(again) == {"cadres": (0, 0, 2, 0), "pairings": (0, 0, 2, 0), "visits": (0, 0, 1, 0)}
    assert sum(m.history.model.objects.count() for m in (Cadre, Pairing, Visit)) == history
    assert "结对帮扶：新增 0，更新 0，未变 2，退回 0" in again.summary_zh()
    stored = Pairing.objects.within(Scope.system(TOWN)).get(household_id="H1")
    assert stored.region_code.startswith(TOWN) and stored.key == "C1|H1|2021-01-01"


def test_pairings_of_a_stored_cadre_load_from_a_later_file_and_an_unknown_cadre_is_a06(tmp_path):
    store_registry()
    import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", cadres=[cadre("C1")]), None)
    out = import_assistance(EVERYWHERE, workbook(tmp_path / "b.xlsx", pairings=[pairing("C1"), pairing("C9", "H2")]),
                            tmp_path / "r.xlsx")
    assert counts(out)["pairings"] == (1, 0, 0, 1)
    assert out.rejects_path is not None


def test_the_flat_national_export_imports_as_cadres_and_pairings(tmp_path):
    store_registry()
    flat = [{"户编号": h, "帮扶责任人姓名": "王五", "帮扶(选派)单位名称": "县财政局", "职级": "正科", "联系电话": "13900001111",
             "帮扶开始时间": "2021-03-01"} for h in ("H1", "H2")]
    path = tmp_path / "flat.xlsx"
    tables.write_sheets(path, {"帮扶责任人": pl.DataFrame(flat)})
    out = import_assistance(EVERYWHERE, path, None)
    assert counts(out) == {"cadres": (1, 0, 0, 0), "pairings": (2, 0, 0, 0)}
    assert Cadre.objects.within(EVERYWHERE).get().cadre_id == S.cadre_key("王五", "13900001111")


def test_a_county_cannot_import_pairings_of_another_countys_household_s01(tmp_path):
    store_registry()
    path = workbook(tmp_path / "a.xlsx", cadres=[cadre()], pairings=[pairing(hid="H1"), pairing(hid="HX")])
    out = import_assistance(Scope.system(COUNTY), path, tmp_path / "r.xlsx")
    assert counts(out)["pairings"] == (1, 0, 0, 1)
    assert Cadre.objects.within(Scope.system(COUNTY)).get().region_code == COUNTY


def test_read_ledger_gives_the_rules_the_frames_of_the_file(tmp_path):
    ids = store_registry()
    path = workbook(tmp_path / "a.xlsx", cadres=[cadre("C1", left_on=date(YEAR, 10, 1)), cadre("C2")],
                    pairings=[pairing("C1", "H1"), pairing("C2", "H2", order="第二")], visits=[visit("H2", cid="C2")])
    import_assistance(EVERYWHERE, path, None, today=date(YEAR + 1, 1, 5))
    households, members = pl.DataFrame({"household_id": ["H1", "H2", "H3", "HX"]}), pl.DataFrame(
        {"household_id": [h for h in ids for _ in ids[h]], "id_number": [i for h in ids for i in ids[h]]})
    file = read_assistance(path, registry=RegistryRef.of(households, members), as_of=date(YEAR + 1, 1, 5)).ledger()
    db = read_ledger(EVERYWHERE)
    for name in ("cadres", "pairings", "visits"):
        mine = getattr(file, name).drop("_sheet", "_row", "cadre_name", "cadre_phone", "problem", "content",
                                        strict=False)
        theirs = getattr(db, name).select(mine.columns)
        assert theirs.sort(mine.columns[:3]).equals(mine.sort(mine.columns[:3])), name


def test_without_any_stored_pairing_the_ledger_has_none_and_r5_is_not_reported():
    store_registry()
    ledger = read_ledger(EVERYWHERE)
    assert (ledger.cadres, ledger.pairings, ledger.visits) == (None, None, None)


# --- a visit recorded by a cadre ----------------------------------------------------------------------

@pytest.fixture
def paired(tmp_path, village_user):
    """C1 is the village user's cadre record (username = 责任人编号 fallback is not used: FK)."""
    store_registry()
    path = workbook(tmp_path / "a.xlsx", cadres=[cadre("C1")], pairings=[pairing("C1", "H1"), pairing("C1", "H2")],
                    visits=[visit("H2", on=date(YEAR, 12, 1))])
    import_assistance(EVERYWHERE, path, None, today=date(YEAR + 1, 1, 5))
    Cadre.objects.within(EVERYWHERE).filter(cadre_id="C1").update(user=village_user)
    return village_user


def test_my_households_lists_the_cadres_households_overdue_first(paired):
    mine = use.my_households(Scope.of(paired), POLICY, paired, as_of=AS_OF)
    assert mine.cadre.cadre_id == "C1"
    assert [(r["household_id"], r["status"]) for r in mine.rows] == [("H1", "overdue"), ("H2", "ok")]
    assert mine.overdue == 1


def test_reading_a_user_named_like_a_cadre_id_is_that_cadre(tmp_path, make_user):
    store_registry()
    import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", cadres=[cadre("C5")], pairings=[pairing("C5")]), None)
    user = make_user("C5", "village", "500101102201")
    assert use.my_households(Scope.of(user), POLICY, user, as_of=AS_OF).cadre.cadre_id == "C5"


def test_recording_a_visit_resets_the_clock_and_twice_changes_nothing(paired):
    scope = Scope.of(paired)
    data = {"visited_on": "2022-12-30", "mode": "入户走访", "items": "风险排查", "content": "家中正常"}
    out = use.record_visit(scope, POLICY, "H1", data, user=paired, today=AS_OF)
    assert out.errors == {} and out.visit.cadre_id == "C1"
    use.record_visit(scope, POLICY, "H1", data, user=paired, today=AS_OF)
    assert Visit.objects.within(scope).filter(household_id="H1").count() == 1
    mine = use.my_households(scope, POLICY, paired, as_of=AS_OF)
    assert {r["household_id"]: r["status"] for r in mine.rows} == {"H1": "ok", "H2": "ok"}


def test_a_visit_that_finds_a_hardship_raises_a_lead_in_the_same_step(paired):
    scope = Scope.of(paired)
    out = use.record_visit(scope, POLICY, "H1", {"visited_on": "2022-12-30", "mode": "入户走访", "found_problem": "是",
                                                 "problem": "户主住院，医疗费用高"}, user=paired,
                           hardship_type="illness", today=AS_OF)
    assert out.errors == {} and out.lead_id is not None
    lead = Lead.objects.within(scope).get(pk=out.lead_id)
    assert lead.household_id == "H1" and lead.hardship_type == "illness"
    assert out.visit.lead_id == lead.pk


def test_a_bad_visit_is_refused_with_chinese_messages_and_raises_no_lead(paired):
    scope = Scope.of(paired)
    out = use.record_visit(scope, POLICY, "H1", {"visited_on": "2030-01-01", "mode": "入户走访", "found_problem": "是",
                                                 "problem": "x"}, user=paired, hardship_type="illness", today=AS_OF)
    assert "visited_on" in out.errors and "晚于" in out.errors["visited_on"]
    assert Lead.objects.within(scope).count() == 0
    assert Visit.objects.within(scope).filter(household_id="H1").count() == 0


def test_a_household_outside_the_cadres_region_is_404(paired):
    with pytest.raises(Http404):
        use.record_visit(Scope.of(paired), POLICY, "H3", {"visited_on": "2022-12-30", "mode": "入户走访"},
                         user=paired, today=AS_OF)


def test_overdue_by_cadre_and_unit_for_the_town(paired, town_user):
    report = use.overdue_by_cadre(Scope.of(town_user), POLICY, as_of=AS_OF)
    assert report.cadres.select("cadre_id", "households", "overdue").rows() == [("C1", 2, 1)]
    assert report.overdue["household_id"].to_list() == ["H1"]
    assert report.by_unit.rows() == [("县财政局", 1, 2, 1)]


def test_cadre_households_of_a_cadre_the_scope_does_not_see_is_404(paired, other_county_user):
    pk = Cadre.objects.within(EVERYWHERE).get(cadre_id="C1").pk
    with pytest.raises(Http404):
        use.cadre_households(Scope.of(other_county_user), POLICY, pk, as_of=AS_OF)


# --- the card's section 5 ------------------------------------------------------------------------------

def _card_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_card_from_the_database_shows_the_cadres_name_unit_and_work_phone_never_the_visit(tmp_path):
    from fupin.application import cards_db
    from tests.regions import VILLAGE_A

    store_registry()
    path = workbook(tmp_path / "a.xlsx", cadres=[cadre("C1", unit="县财政局", phone="13912345678"),
                                                 cadre("C2", unit="县教委", left_on=date(YEAR, 6, 1))],
                    pairings=[pairing("C1", "H1"), pairing("C2", "H2")],
                    visits=[visit("H1", content="秘密走访内容", problem="秘密问题描述", found_problem=True)])
    import_assistance(Scope.system(COUNTY), path, None, today=date(YEAR + 1, 1, 5))
    result = cards_db.village_cards(EVERYWHERE, POLICY, village=VILLAGE_A, year=YEAR, as_of=AS_OF)
    text = _card_text(result.pdf)
    assert "干部C1" in text and "县财政局" in text and "13912345678" in text
    assert "干部C2" not in text  # left before as_of: H2's card says 暂无
    assert "暂无，请联系村委会" in text
    assert "秘密走访内容" not in text and "秘密问题描述" not in text


def test_card_from_a_file_shows_the_active_cadre(tmp_path):
    from fupin.application import cards
    from fupin.io.assistance import workbook_sheets
    from fupin.io.writer import write_registry
    from tests.engine.engine_helpers import frame, household, member
    from tests.regions import VILLAGE_A

    hh = frame("households", [household(household_id="H1", year=YEAR, region_code=VILLAGE_A, registered=True,
                                        poverty_status="已脱贫", exit_year=2019)])
    mm = frame("members", [member(household_id="H1", year=YEAR)])
    path = tmp_path / "reg.xlsx"
    write_registry(path, hh, mm, None, extra_sheets=workbook_sheets({
        "cadres": rows("cadres", [cadre("C1", phone="13987654321")]), "pairings": rows("pairings", [pairing()])}))
    result = cards.village_cards_from_file(path, village=VILLAGE_A, year=YEAR, as_of=AS_OF, policy=POLICY)
    assert "13987654321" in _card_text(result.pdf)
