"""docs/exchange-format.md is written from the schema: it must say what the importer accepts."""

from __future__ import annotations

from pathlib import Path

from fupin.engine import schema
from fupin.io import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "exchange-format.md"


def test_exchange_format_doc_is_what_the_schema_writes():
    assert DOC.read_text(encoding="utf-8") == reference.render(), (
        "docs/exchange-format.md is out of date: run python -m fupin.io.reference > docs/exchange-format.md")


def test_exchange_format_doc_lists_every_field_and_alias_of_every_table():
    text = reference.render()
    for table in schema.TABLES:
        for f in schema.fields(table):
            assert f"`{f.name}`" in text
            for alias in f.aliases:
                assert alias in text, (table, f.name, alias)
