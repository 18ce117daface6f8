"""Posts, placements, labour and 务工动态 in the database (issue 13): stored by ``fupin assist
import`` as one idempotent upsert with history, read back by ``read_ledger`` exactly as the file
gives them, so the rules and ``fupin employment`` give the same answer with --db as with --input."""

from __future__ import annotations

from argparse import Namespace
from datetime import date

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application.assistance import import_assistance, stored_employment_inputs
from fupin.application.assistance_files import AssistanceInput
from fupin.application.employment import offers_report, return_rate_report
from fupin.assistance.bulk import read_ledger
from fupin.assistance.models import LabourRecord, MigrationRecord, Placement, Post
from fupin.cli import employment_db
from fupin.engine.policy import load_policies
from fupin.io.assistance import RegistryRef, read_assistance, write_workbook
from tests.assistance.ledger_helpers import YEAR, rows, store_registry
from tests.regions import COUNTY, VILLAGE_A
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
TABLES = ("posts", "placements", "labour", "migration")


def employment_workbook(path, ids):
    return write_workbook(path, {
        "posts": rows("posts", [
            {"post_id": "G1", "name": "保洁员", "kind": "公益性岗位", "public_post_type": "保洁员", "employer": "镇政府",
             "region_code": VILLAGE_A, "place": "乡镇内", "monthly_pay": 600.0, "accident_insurance": True,
             "planned": 2, "published_on": date(YEAR, 1, 1)},
            {"post_id": "F1", "name": "普工", "kind": "企业岗位", "employer": "深圳某厂", "region_code": "440300000000",
             "place": "省外", "monthly_pay": 5000.0, "planned": 10, "published_on": date(YEAR, 1, 1)}]),
        "placements": rows("placements", [
            {"id_number": ids["H1"][1], "household_id": "H1", "post_id": "G1", "start": date(YEAR, 3, 1)},
            {"id_number": ids["H2"][0], "household_id": "H2", "employer": "本地厂", "place": "乡镇外县内",
             "start": date(YEAR, 4, 1), "end": date(YEAR, 9, 30), "monthly_income": 3000.0}]),
        "labour": rows("labour", [{"id_number": ids["H3"][0], "year": YEAR, "willing": "有", "away": "均可"}]),
        "migration": rows("migration", [
            {"id_number": ids["H1"][0], "household_id": "H1", "reported_on": date(YEAR, 2, 1), "state": "返乡未外出"},
            {"id_number": ids["H1"][0], "reported_on": date(YEAR, 3, 10), "state": "已返岗", "place": "省外"}]),
    })


def history_rows() -> int:
    return sum(m.history.model.objects.count() for m in (Post, Placement, LabourRecord, MigrationRecord))


def test_import_stores_employment_sheets_once_and_a_second_import_writes_nothing(tmp_path):
    ids = store_registry()
    path = employment_workbook(tmp_path / "e.xlsx", ids)
    first = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    assert {t: (c.new, c.rejected) for t, c in first.counts.items()} == {
        "posts": (2, 0), "placements": (2, 0), "labour": (1, 0), "migration": (2, 0)}
    assert first.not_stored == [] and "务工动态：新增 2" in first.summary_zh()
    written = history_rows()
    assert written == 7
    again = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    assert {t: c.unchanged for t, c in again.counts.items()} == {"posts": 2, "placements": 2, "labour": 1,
                                                                  "migration": 2}
    assert history_rows() == written


def test_read_ledger_gives_the_employment_frames_of_the_file(tmp_path):
    ids = store_registry()
    path = employment_workbook(tmp_path / "e.xlsx", ids)
    import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    households = pl.DataFrame({"household_id": ["H1", "H2", "H3", "HX"]})
    members = pl.DataFrame({"household_id": [h for h, v in ids.items() for _ in v],
                            "id_number": [i for v in ids.values() for i in v]})
    file_ledger = read_assistance(path, registry=RegistryRef.of(households, members)).ledger()
    stored = read_ledger(EVERYWHERE, year=YEAR)
    for table in TABLES:
        mine = getattr(stored, table)
        theirs = getattr(file_ledger, table).select(mine.columns)
        assert mine.schema == theirs.schema, table
        assert mine.sort(mine.columns, nulls_last=True).equals(theirs.sort(mine.columns, nulls_last=True)), table


def test_a_county_sees_its_partner_city_post_and_a_village_its_countys(tmp_path):
    ids = store_registry()
    import_assistance(Scope.system(COUNTY), employment_workbook(tmp_path / "e.xlsx", ids), tmp_path / "r.xlsx")
    assert sorted(read_ledger(Scope.system(COUNTY)).posts["post_id"]) == ["F1", "G1"]
    assert sorted(read_ledger(Scope.system(VILLAGE_A)).posts["post_id"]) == ["F1", "G1"]
    assert read_ledger(Scope.system("500102")).posts.height == 0


def test_employment_offers_and_return_rate_with_db_equal_the_files_frames(tmp_path):
    ids = store_registry()
    path = employment_workbook(tmp_path / "e.xlsx", ids)
    import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    stored = stored_employment_inputs(EVERYWHERE, year=YEAR)
    ref = RegistryRef.of(stored.registry.households, stored.registry.members)
    from_file = AssistanceInput(stored.registry, read_assistance(path, registry=ref).ledger(), stored.issues, None)
    policy = load_policies()
    db_offers = offers_report(policy, stored, year=YEAR).offers
    assert db_offers.equals(offers_report(policy, from_file, year=YEAR).offers)
    assert set(db_offers["post_id"].drop_nulls()) <= {"G1", "F1"} and db_offers.height >= 1
    on = date(YEAR, 3, 31)
    assert return_rate_report(stored, year=YEAR, on=on, level="town").equals(
        return_rate_report(from_file, year=YEAR, on=on, level="town"))


def test_employment_command_with_db_writes_the_return_rate(tmp_path):
    ids = store_registry()
    import_assistance(EVERYWHERE, employment_workbook(tmp_path / "e.xlsx", ids), tmp_path / "r.xlsx")
    out = tmp_path / "rate.parquet"
    args = Namespace(action="return-rate", year=YEAR, date=f"{YEAR}-03-31", level="county", region=COUNTY,
                     as_of=None, out=str(out), input=None, assistance=None, db="default")
    assert employment_db.employment_command(args) == 0
    rate = pl.read_parquet(out)
    # No year-(Y−1) members stored: nobody was out last year; H1's member is out again (edge case 15).
    assert rate.select("out_last_year", "out_now", "returned_idle").row(0) == (0, 1, 0)
