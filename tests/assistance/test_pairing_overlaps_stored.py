"""A07 across imports (spec/assistance.md 1.6, edge case 6): a pairing imported today that
overlaps a stored pairing of the same cadre and household — from an earlier import — returns
with A07 as an overlap inside one file does; the same row imported again writes nothing."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application.assistance import import_assistance
from fupin.assistance.models import Pairing
from tests.assistance.ledger_helpers import YEAR, store_registry
from tests.assistance.test_pairing import cadre, counts, pairing, workbook
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
TODAY = date(YEAR + 1, 1, 5)


@pytest.fixture
def stored(tmp_path):
    """C1 paired with H1 from 2021-01-01 to 2021-12-31, from an earlier file."""
    store_registry()
    first = import_assistance(EVERYWHERE, workbook(tmp_path / "first.xlsx", cadres=[cadre("C1"), cadre("C2")],
                                                   pairings=[pairing("C1", "H1", end=date(2021, 12, 31))]),
                              None, today=TODAY)
    assert counts(first)["pairings"] == (1, 0, 0, 0)
    return tmp_path


def _reasons(path) -> list[tuple[str, str]]:
    ws = openpyxl.load_workbook(path)["结对帮扶"]
    header = [c.value for c in ws[1]]
    at = header.index("问题说明")
    return [(row[header.index("户编号")], row[at]) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_a07_a_later_file_overlapping_a_stored_pairing_of_the_same_cadre_and_household_returns(stored):
    rejects = stored / "r.xlsx"
    out = import_assistance(EVERYWHERE, workbook(stored / "later.xlsx", pairings=[
        pairing("C1", "H1", start=date(2021, 7, 1), end=date(2021, 12, 31)),  # overlaps the stored row: A07
        pairing("C1", "H1", start=date(2022, 1, 1)),                        # starts after it ended: loads
        pairing("C2", "H1", start=date(2021, 7, 1)),                        # another cadre: B15's, not A07
        pairing("C1", "H2", start=date(2021, 7, 1))]),                      # another household: loads
        rejects, today=TODAY)
    assert counts(out)["pairings"] == (3, 0, 0, 1)
    reasons = _reasons(rejects)
    assert len(reasons) == 1 and reasons[0][0] == "H1"
    assert "已导入的结对" in reasons[0][1] and "2021-01-01" in reasons[0][1]
    assert Pairing.objects.within(Scope.system()).filter(cadre_id="C1", household_id="H1").count() == 2


def test_a07_an_open_ended_stored_pairing_overlaps_every_later_start(stored):
    store_open = import_assistance(EVERYWHERE, workbook(stored / "open.xlsx", pairings=[
        pairing("C2", "H2", start=date(2021, 3, 1))]), None, today=TODAY)
    assert counts(store_open)["pairings"] == (1, 0, 0, 0)
    out = import_assistance(EVERYWHERE, workbook(stored / "later.xlsx", pairings=[
        pairing("C2", "H2", start=date(2023, 3, 1))]), stored / "r.xlsx", today=TODAY)
    assert counts(out)["pairings"] == (0, 0, 0, 1)


def test_a07_not_when_the_new_pairing_ends_the_day_before_the_stored_one_starts(stored):
    out = import_assistance(EVERYWHERE, workbook(stored / "before.xlsx", pairings=[
        pairing("C1", "H1", start=date(2020, 1, 1), end=date(2020, 12, 31))]), None, today=TODAY)
    assert counts(out)["pairings"] == (1, 0, 0, 0)


def test_the_same_pairing_imported_again_writes_nothing_and_a_corrected_end_updates_it(stored):
    same = import_assistance(EVERYWHERE, workbook(stored / "same.xlsx", pairings=[
        pairing("C1", "H1", end=date(2021, 12, 31))]), None, today=TODAY)
    assert counts(same)["pairings"] == (0, 0, 1, 0)
    corrected = import_assistance(EVERYWHERE, workbook(stored / "corrected.xlsx", pairings=[
        pairing("C1", "H1", end=date(2022, 6, 30))]), None, today=TODAY)
    assert counts(corrected)["pairings"] == (0, 1, 0, 0)
