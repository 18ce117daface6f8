"""``fupin card --db``: the cards of a village, or of one household, from the stored registry and
assistance ledger; the same PDF pages as from the file; every print in the audit log."""

from __future__ import annotations

import io
import sqlite3

import pytest
from pypdf import PdfReader

from tests.cli.test_registry_cli import fupin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cards")
    assert fupin("generate", "--households", "60", "--year", "2021", "--seed", "5", "--out", "g.xlsx",
                 cwd=folder).returncode == 0
    db = f"sqlite:///{folder / 'c.sqlite3'}"
    assert fupin("import", "g.xlsx", "--db", db, cwd=folder).returncode == 0
    imported = fupin("assist", "import", "g.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    connection = sqlite3.connect(folder / "c.sqlite3")
    village, household = connection.execute(
        "SELECT region_code, MIN(household_id) FROM registry_household WHERE registered = 1 "
        "GROUP BY region_code ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    connection.close()
    return folder, db, village, household


def _pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_village_cards_from_the_database_match_the_cards_from_the_file(stored):
    folder, db, village, _ = stored
    from_db = fupin("card", "--village", village, "--year", "2021", "--db", db, "--out", "db.pdf", cwd=folder)
    from_file = fupin("card", "--village", village, "--year", "2021", "--input", "g.xlsx", "--out", "file.pdf",
                      cwd=folder)
    assert from_db.returncode == 0 and from_file.returncode == 0, from_db.stderr + from_file.stderr
    db_pages, file_pages = _pages(folder / "db.pdf"), _pages(folder / "file.pdf")
    assert len(db_pages) == len(file_pages) > 1
    # Same households, same measures and sums; only the footer's source line may differ.
    assert [p.split("数据截至")[0] for p in db_pages] == [p.split("数据截至")[0] for p in file_pages]


def test_one_household_card_and_every_print_is_logged(stored):
    folder, db, village, household = stored
    result = fupin("card", "--village", village, "--year", "2021", "--db", db, "--household", household,
                   "--out", "one.pdf", cwd=folder)
    assert result.returncode == 0, result.stderr
    pages = _pages(folder / "one.pdf")
    assert len(pages) == 1 and household in pages[0]
    connection = sqlite3.connect(folder / "c.sqlite3")
    logged = connection.execute("SELECT household_id, region_code, what FROM accounts_sensitiveview "
                                "WHERE what LIKE 'print:card%'").fetchall()
    connection.close()
    assert (household, village, "print:card×1") in logged


def test_a_town_code_and_a_household_without_db_are_one_line_errors(stored):
    folder, db, village, household = stored
    town = fupin("card", "--village", village[:9], "--year", "2021", "--db", db, "--out", "t.pdf", cwd=folder)
    assert town.returncode == 2 and "不是村级区划代码" in town.stderr
    file_household = fupin("card", "--village", village, "--year", "2021", "--input", "g.xlsx",
                           "--household", household, "--out", "x.pdf", cwd=folder)
    assert file_household.returncode == 2 and "--household 需与 --db 同用" in file_household.stderr
