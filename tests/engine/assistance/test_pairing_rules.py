"""R5 (pairing) and R6 (visits) of spec/assistance.md, with edge cases 4–7 of section 6 and the
findings B08, B09, B15, B16 (3.12)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from fupin.engine.assistance import schema as S
from fupin.engine.assistance.rules import Ledger, coverage, evaluate, uncovered
from fupin.engine.policy import load_policies
from tests.engine.assistance.assist_helpers import REGION, YEAR, hh, person, table
from tests.engine.engine_helpers import frame

AS_OF = date(YEAR, 12, 31)


def cadre(cid: str = "C1", rank: str = "一般干部", **fields) -> dict:
    return {"cadre_id": cid, "name": fields.pop("name", f"干部{cid}"), "unit": fields.pop("unit", "县财政局"),
            "rank": rank, "phone": fields.pop("phone", "13800000000"), **fields}


def pairing(cid: str = "C1", hid: str = "H1", start: date = date(2020, 1, 1), **fields) -> dict:
    return {"cadre_id": cid, "household_id": hid, "start": start, **fields}


def visit(hid: str = "H1", on: date = date(YEAR, 12, 20), mode: str = "入户走访", cid: str | None = "C1",
          **fields) -> dict:
    return {"household_id": hid, "visited_on": on, "mode": mode, "cadre_id": cid, **fields}


def run(households, members, *, cadres=(), pairings=(), visits=(), year=YEAR, as_of=AS_OF, region=None):
    ledger = Ledger(cadres=table("cadres", list(cadres)), pairings=table("pairings", list(pairings)),
                    visits=table("visits", list(visits)))
    return evaluate(frame("households", households), frame("members", members), ledger, year=year,
                    policy=load_policies(), as_of=as_of, region=region)


def status(out, rule: str, hid: str = "H1"):
    rows = getattr(out, rule).filter(pl.col("household_id") == hid)
    return rows["status"][0] if rows.height else None


# --- R5 ---------------------------------------------------------------------------------------------

def test_r5_a_household_with_an_active_pairing_is_paired_else_unpaired():
    out = run([hh("H1"), hh("H2")], [person("H1"), person("H2")], cadres=[cadre()], pairings=[pairing()],
              visits=[visit()])
    assert status(out, "pairing", "H1") == "paired"
    assert status(out, "pairing", "H2") == "unpaired"
    assert out.pairing.filter(pl.col("household_id") == "H1")["cadres"][0] == "C1"


def test_r5_a_pairing_ended_before_as_of_or_starting_after_it_is_not_active():
    out = run([hh("H1"), hh("H2")], [person("H1"), person("H2")], cadres=[cadre()],
              pairings=[pairing(hid="H1", end=date(YEAR, 6, 30)), pairing(hid="H2", start=date(YEAR + 1, 1, 1))])
    assert status(out, "pairing", "H1") == "unpaired"
    assert status(out, "pairing", "H2") == "unpaired"


def test_r5_caseload_limit_by_rank_gives_over_and_b08():
    households = [hh(f"H{i}") for i in range(6)]
    members = [person(f"H{i}") for i in range(6)]
    pairs = [pairing("C1", f"H{i}") for i in range(5)] + [pairing("C2", f"H{i}") for i in range(6)]
    out = run(households, members, cadres=[cadre("C1", "一般干部"), cadre("C2", "正处")], pairings=pairs)
    load = {r["cadre_id"]: r for r in out.cadre_load.to_dicts()}
    assert (load["C1"]["households"], load["C1"]["limit"], load["C1"]["over"]) == (5, 4, True)
    assert (load["C2"]["households"], load["C2"]["limit"], load["C2"]["over"]) == (6, 8, False)
    b08 = out.findings.filter(pl.col("code") == "B08")
    assert b08["ref"].to_list() == ["C1"]


def test_r5_a_rank_not_in_the_table_takes_the_default_limit():
    out = run([hh("H1")], [person("H1")], cadres=[cadre("C1", "村干部")], pairings=[pairing()])
    assert out.cadre_load["limit"][0] == 5


def test_b09_a_cadre_who_is_a_member_of_a_registered_household_is_reported_masked():
    p = person("H1")
    out = run([hh("H1")], [p], cadres=[cadre(id_number=p["id_number"])], pairings=[pairing()])
    b09 = out.findings.filter(pl.col("code") == "B09")
    assert b09.height == 1
    assert b09["id_number"][0] == p["id_number"][:4] + "*" * 10 + p["id_number"][-4:]


# --- R6 ---------------------------------------------------------------------------------------------

def test_edge7_last_visit_n_days_before_as_of_is_ok_n_plus_one_is_overdue():
    n = 90  # an exited registered household: visit_max_days_exited
    ok = run([hh("H1")], [person("H1")], cadres=[cadre()], pairings=[pairing()],
             visits=[visit(on=AS_OF - timedelta(days=n))])
    late = run([hh("H1")], [person("H1")], cadres=[cadre()], pairings=[pairing()],
               visits=[visit(on=AS_OF - timedelta(days=n + 1))])
    assert ok.visit.row(0, named=True)["group"] == "exited"
    assert (status(ok, "visit"), ok.visit["days_since"][0], ok.visit["max_days"][0]) == ("ok", n, n)
    assert status(late, "visit") == "overdue"


def test_edge7_never_visited_pairing_started_n_plus_one_days_before_is_overdue():
    n = 15  # 未脱贫: visit_max_days_poor
    poor = hh("H1", poverty_status="未脱贫")
    late = run([poor], [person("H1")], cadres=[cadre()], pairings=[pairing(start=AS_OF - timedelta(days=n + 1))])
    ok = run([poor], [person("H1")], cadres=[cadre()], pairings=[pairing(start=AS_OF - timedelta(days=n))])
    assert late.visit.row(0, named=True)["group"] == "poor"
    assert late.visit["last_visit"][0] is None
    assert status(late, "visit") == "overdue"
    assert status(ok, "visit") == "ok"


def test_edge7_a_phone_call_alone_does_not_reset_the_clock():
    out = run([hh("H1")], [person("H1")], cadres=[cadre()], pairings=[pairing()],
              visits=[visit(on=AS_OF - timedelta(days=200)), visit(on=AS_OF - timedelta(days=1), mode="电话")])
    assert out.visit["last_visit"][0] == AS_OF - timedelta(days=200)
    assert status(out, "visit") == "overdue"


def test_r6_a_monitored_household_takes_the_smallest_limit_of_its_groups():
    monitored = hh("H1", poverty_status="未脱贫", monitoring_category="脱贫不稳定户", monitoring_since="2022-01")
    out = run([monitored], [person("H1")], cadres=[cadre()], pairings=[pairing()],
              visits=[visit(on=AS_OF - timedelta(days=20))])
    row = out.visit.row(0, named=True)
    assert (row["group"], row["max_days"], row["status"]) == ("monitored", 15, "overdue")


def test_r6_a_visit_after_as_of_is_not_known_at_as_of():
    out = run([hh("H1")], [person("H1")], cadres=[cadre()], pairings=[pairing()],
              visits=[visit(on=AS_OF - timedelta(days=100)), visit(on=AS_OF + timedelta(days=1))])
    assert status(out, "visit") == "overdue"


# --- edge cases 4–6 ------------------------------------------------------------------------------------

def test_edge4_household_split_the_new_household_is_unpaired_and_not_in_r6():
    nxt = YEAR + 1
    a_old, b_person = person("A", year=YEAR), person("A", year=YEAR, relationship="之子", name="张小")
    households = [hh("A"), hh("A", year=nxt), hh("B", year=nxt)]
    members = [a_old, b_person, person("A", year=nxt, id_number=a_old["id_number"]),
               person("B", year=nxt, id_number=b_person["id_number"])]
    out = run(households, members, cadres=[cadre()], pairings=[pairing(hid="A")],
              visits=[visit(hid="A", on=date(nxt, 12, 1))], year=nxt, as_of=date(nxt, 12, 31))
    assert status(out, "pairing", "A") == "paired"
    assert status(out, "pairing", "B") == "unpaired"
    assert out.visit["household_id"].to_list() == ["A"]


def test_edge5_a_cadre_who_left_ends_his_pairings_b16_for_later_visits_which_still_count():
    left = date(YEAR, 9, 30)
    out = run([hh("H1"), hh("H2")], [person("H1"), person("H2")],
              cadres=[cadre("C1", left_on=left), cadre("C2")],
              pairings=[pairing("C1", "H1"), pairing("C1", "H2"), pairing("C2", "H2")],
              visits=[visit("H2", on=date(YEAR, 12, 20), cid="C1")])
    assert status(out, "pairing", "H1") == "unpaired"
    assert status(out, "pairing", "H2") == "paired"
    assert out.pairing.filter(pl.col("household_id") == "H2")["cadres"][0] == "C2"
    assert out.visit.filter(pl.col("household_id") == "H2")["last_visit"][0] == date(YEAR, 12, 20)
    assert status(out, "visit", "H2") == "ok"
    b16 = out.findings.filter(pl.col("code") == "B16")
    assert b16["household_id"].to_list() == ["H2"] and b16["ref"].to_list() == ["C1"]
    load = {r["cadre_id"]: r["households"] for r in out.cadre_load.to_dicts()}
    assert load == {"C1": 0, "C2": 1}


def test_edge6_two_first_cadres_overlapping_paired_b15_each_in_his_own_load():
    out = run([hh("H1")], [person("H1")], cadres=[cadre("C1"), cadre("C2")],
              pairings=[pairing("C1", "H1"), pairing("C2", "H1", start=date(2021, 5, 1))])
    assert status(out, "pairing") == "paired"
    assert out.pairing["cadres"][0] == "C1;C2"
    b15 = out.findings.filter(pl.col("code") == "B15")
    assert b15.height == 1 and b15["household_id"][0] == "H1"
    assert {r["cadre_id"]: r["households"] for r in out.cadre_load.to_dicts()} == {"C1": 1, "C2": 1}


def test_b15_is_not_raised_for_a_first_and_a_second_cadre():
    out = run([hh("H1")], [person("H1")], cadres=[cadre("C1"), cadre("C2")],
              pairings=[pairing("C1", "H1"), pairing("C2", "H1", order="第二")])
    assert out.findings.filter(pl.col("code") == "B15").height == 0


# --- coverage 3.11 ------------------------------------------------------------------------------------

def test_coverage_gains_pairing_and_visit_with_their_uncovered_lists():
    out = run([hh("H1"), hh("H2")], [person("H1"), person("H2")], cadres=[cadre()], pairings=[pairing()])
    cov = coverage(out)
    village = cov.filter(pl.col("region_code") == REGION)
    rows = {r["rule"]: (r["numerator"], r["denominator"]) for r in village.to_dicts()}
    assert rows["pairing"] == (1, 2)
    assert rows["visit"] == (0, 1)
    lists = uncovered(out)
    assert lists["pairing"]["household_id"].to_list() == ["H2"]
    assert lists["visit"]["status"].to_list() == ["overdue"]


def test_reading_without_a_pairing_sheet_r5_and_r6_are_not_reported():
    out = evaluate(frame("households", [hh("H1")]), frame("members", [person("H1")]), Ledger(), year=YEAR,
                   policy=load_policies())
    assert out.pairing is None
    assert set(coverage(out)["rule"].unique()) == {"outlet", "income", "mechanism", "developmental", "safety_net"}
    assert uncovered(out)["pairing"].height == 0


def test_reading_cadre_rows_with_a_region_are_the_cadres_paired_inside_it():
    other = hh("H9", region_code="500101001202")
    out = run([hh("H1"), other], [person("H1"), person("H9")], cadres=[cadre("C1"), cadre("C9"), cadre("C0")],
              pairings=[pairing("C1", "H1"), pairing("C9", "H9")], region=REGION)
    assert out.cadre_load["cadre_id"].to_list() == ["C1"]
    everywhere = run([hh("H1"), other], [person("H1"), person("H9")], cadres=[cadre("C1"), cadre("C9"), cadre("C0")],
                     pairings=[pairing("C1", "H1"), pairing("C9", "H9")])
    assert everywhere.cadre_load["cadre_id"].to_list() == ["C0", "C1", "C9"]


def test_cadre_key_of_name_and_phone_is_stable_and_carries_no_phone():
    key = S.cadre_key("王五", "13900001111")
    assert key == S.cadre_key(" 王五", "139-0000-1111") and "1390" not in key and key.startswith("C-")
