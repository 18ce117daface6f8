"""Exchange-format readers and writers of the registry (spec: ``exchange-format.md``).

* :func:`read_registry` reads an .xlsx workbook, a CSV folder, a Parquet folder, or a flat
  national export (.xlsx or .csv, one person per row), validates every row set-based and
  returns a :class:`Registry`: canonical tables, a long table of issues, and which households
  cannot load (a household loads with all its members or not at all).
* :func:`validate_sheets` is that validation alone, over raw sheets from anywhere: with
  :func:`sheet_from_rows` (rows of typed strings held in memory, laid out as a CSV file would
  be) a single household is checked exactly as an import would check it, without any file.
* :func:`write_rejects` writes the rows that did not load, as they were, with their reasons;
  the same file can be fixed and imported again.
* :func:`write_assessment` writes verdicts (.csv, .parquet, .xlsx in Chinese).
* :func:`write_registry` exports canonical tables (frames or batch iterators) to .xlsx,
  Parquet or CSV; export then read round-trips exactly.

Issue codes (``Registry.issues.code``): E01–E13, R00 and W01 are listed in
:mod:`fupin.io.codes`; Q01–Q26 are the quality codes of ``rules.md`` section 5 (Q01/Q02 from
ID parsing, the others from :mod:`fupin.engine.quality`). In short: E01 required missing,
E02 not a number, E03 negative, E04 unknown code value, E05 bad month, E06 duplicate key,
E07 member without household, E08 unknown town / region code, E09 year mismatch, E10 birth date
out of range, E11 location names unresolved, E12 household fields differ between flat rows, E13 a year outside 1900–2100,
R00 returned with its household, W01 unusual phone (warning).
"""

from fupin.io.containers import RawSheet, sheet_from_rows
from fupin.io.errors import ExchangeFormatError
from fupin.io.reader import Registry, read_registry, validate_sheets
from fupin.io.rejects import write_rejects
from fupin.io.writer import write_assessment, write_registry

__all__ = [
    "ExchangeFormatError", "RawSheet", "Registry", "read_registry", "sheet_from_rows", "validate_sheets",
    "write_assessment", "write_registry", "write_rejects",
]
