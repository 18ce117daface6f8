"""The ledger in the database: import as one idempotent upsert with history, scope checks S01 and
S02, and a read that gives the rules exactly the file's frames."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest
from django.core.exceptions import PermissionDenied

from fupin.accounts.scoping import Scope, UnscopedQuery
from fupin.application.assistance import import_assistance
from fupin.assistance.bulk import read_ledger
from fupin.assistance.models import Dividend, IncomeProject, Measure
from fupin.io.assistance import RegistryRef, read_assistance
from tests.assistance.ledger_helpers import (
    YEAR,
    dividend,
    measure,
    project,
    store_registry,
    workbook,
)
from tests.regions import COUNTY, VILLAGE_A
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def history_rows() -> int:
    return sum(m.history.model.objects.count() for m in (Measure, IncomeProject, Dividend))


def test_import_loads_every_sheet_and_a_second_import_of_the_same_file_writes_nothing(tmp_path):
    ids = store_registry()
    path = workbook(tmp_path / "a.xlsx", projects=[project()], dividends=[dividend()],
                    measures=[measure(), measure("H2", "小额信贷", amount=20000.0),
                              measure("H1", "转移就业", amount=None, id_number=ids["H1"][1], start=date(YEAR, 2, 1))])
    first = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    assert {t: (c.new, c.changed, c.unchanged, c.rejected) for t, c in first.counts.items()} == {
        "income_projects": (1, 0, 0, 0), "measures": (3, 0, 0, 0), "dividends": (1, 0, 0, 0)}
    assert first.rejects_path is None
    written = history_rows()
    assert written == 5
    again = import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    assert {t: (c.new, c.changed, c.unchanged) for t, c in again.counts.items()} == {
        "income_projects": (0, 0, 1), "measures": (0, 0, 3), "dividends": (0, 0, 1)}
    assert history_rows() == written
    assert "帮扶措施：新增 0，更新 0，未变 3，退回 0" in again.summary_zh()


def test_a_changed_amount_updates_the_row_by_its_natural_key_with_one_history_row(tmp_path):
    store_registry()
    import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", measures=[measure(amount=1000.0)]), None)
    out = import_assistance(EVERYWHERE, workbook(tmp_path / "b.xlsx", measures=[measure(amount=1500.0)]), None)
    assert (out.counts["measures"].new, out.counts["measures"].changed) == (0, 1)
    stored = Measure.objects.within(EVERYWHERE).get()
    assert (stored.amount, stored.version) == (1500.0, 2)
    assert [h.history_type for h in stored.history.order_by("history_id")] == ["+", "~"]


def test_rows_of_a_household_outside_the_importers_county_are_returned_s01(tmp_path, county_user):
    store_registry()
    path = workbook(tmp_path / "a.xlsx", measures=[measure("H1"), measure("HX")])
    out = import_assistance(Scope.of(county_user), path, tmp_path / "r.xlsx")
    assert (out.counts["measures"].new, out.counts["measures"].rejected) == (1, 1)
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["帮扶措施"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1][1] == "HX" and any("[S01]" in str(v) for v in values[1])
    assert Measure.objects.within(EVERYWHERE).get().household_id == "H1"


def test_a_measure_id_stored_for_another_county_is_returned_s02_and_not_overwritten(tmp_path, county_user):
    store_registry()
    import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", measures=[measure("HX", measure_id="M-1")]), None)
    out = import_assistance(Scope.of(county_user), workbook(tmp_path / "b.xlsx", measures=[
        measure("H1", measure_id="M-1", amount=5.0)]), tmp_path / "r.xlsx")
    assert out.counts["measures"].rejected == 1
    rows = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["帮扶措施"].iter_rows(values_only=True))
    assert any("[S02]" in str(v) for v in rows[1])
    assert Measure.objects.within(EVERYWHERE).get().household_id == "HX"


def test_a_household_in_no_year_of_the_stored_registry_is_a01_and_its_row_returns(tmp_path):
    store_registry()
    out = import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", measures=[measure("NOPE")]), tmp_path / "r.xlsx")
    assert out.counts["measures"].rejected == 1 and out.rejects_path
    rows = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["帮扶措施"].iter_rows(values_only=True))
    assert any("[A01]" in str(v) for v in rows[1])


def test_a_fixed_rejects_workbook_imports_on_its_own(tmp_path):
    store_registry()
    out = import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", measures=[measure(amount=None)]),
                            tmp_path / "r.xlsx")
    assert out.counts["measures"].rejected == 1  # A05: 元 without 金额
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = wb["帮扶措施"]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index("金额") + 1, 800)
    wb.save(tmp_path / "fixed.xlsx")
    again = import_assistance(EVERYWHERE, tmp_path / "fixed.xlsx", tmp_path / "r2.xlsx")
    assert (again.counts["measures"].new, again.counts["measures"].rejected) == (1, 0)


def test_a_role_without_import_may_not_import(tmp_path, village_user):
    with pytest.raises(PermissionDenied):
        import_assistance(Scope.of(village_user), tmp_path / "a.xlsx")


def test_read_ledger_gives_the_same_frames_as_the_file(tmp_path):
    ids = store_registry()
    path = workbook(tmp_path / "a.xlsx", projects=[project(), project("P2", kind="股权量化", total_shares=100.0)],
                    dividends=[dividend(), dividend("H2", "P2", shares=10.0, paid_on=None)],
                    measures=[measure(), measure("H1", "乡村公益性岗位", amount=600.0, id_number=ids["H1"][0],
                                                 start=date(2021, 5, 1), end=None, measure_id="M9"),
                              measure("H3", "低保", amount=None, start=None, year=YEAR, status="实施中")])
    import_assistance(EVERYWHERE, path, tmp_path / "r.xlsx")
    households = pl.DataFrame({"household_id": ["H1", "H2", "H3", "HX"]})
    members = pl.DataFrame({"household_id": ["H1"], "id_number": [ids["H1"][0]]})
    file_ledger = read_assistance(path, registry=RegistryRef.of(households, members)).ledger()
    stored = read_ledger(EVERYWHERE, year=YEAR)
    for table in ("measures", "dividends"):
        mine = getattr(stored, table)
        theirs = getattr(file_ledger, table).select(mine.columns)
        assert mine.schema == theirs.schema
        key = [c for c in mine.columns if c not in ("amount", "end", "quantity")][:5]
        assert mine.sort(key, nulls_last=True).equals(theirs.sort(key, nulls_last=True))
    assert stored.catalogue.frame.equals(file_ledger.catalogue.frame)


def test_stored_ledger_rows_are_read_only_through_a_scope(tmp_path, village_user):
    store_registry()
    import_assistance(EVERYWHERE, workbook(tmp_path / "a.xlsx", measures=[measure("H1"), measure("H3")]), None)
    with pytest.raises(UnscopedQuery):
        list(Measure.objects.all())
    assert [m.household_id for m in Measure.objects.within(Scope.of(village_user))] == ["H1"]
    assert read_ledger(Scope.of(village_user)).measures["household_id"].to_list() == ["H1"]
    assert Measure.objects.within(Scope.system(COUNTY)).count() == 2
    assert Measure.objects.within(EVERYWHERE).get(household_id="H1").region_code == VILLAGE_A
