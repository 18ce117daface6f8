"""Runs the data-quality checks of the rule registry over whole tables (rules.md section 5).

The checks themselves — code, severity, labels, the rows each selects and its messages — are
entries of :mod:`fupin.engine.rules` (:mod:`fupin.engine.rules.checks`). Here they are applied:
the member and household tables are prepared once, every check's findings are selected from
them, and the output is one row per finding.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine.rules import checks as C
from fupin.engine.rules.base import ERROR, WARNING, Check, Finding

SEVERITY = C.SEVERITY
ERROR_CODES = tuple(c for c, s in SEVERITY.items() if s == ERROR)
__all__ = ["ERROR", "WARNING", "SEVERITY", "ERROR_CODES", "OUTPUT_COLUMNS", "findings", "prepare_members", "run"]

OUTPUT_COLUMNS = ("household_id", "year", "id_number", "member_name", "code", "severity",
                  "message_zh", "message_en")
_INTERNAL_SCHEMA = {
    "table": pl.String, "household_id": pl.String, "year": pl.Int32, "id_number": pl.String,
    "member_name": pl.String, "code": pl.String, "severity": pl.String, "message_zh": pl.String,
    "message_en": pl.String, "field": pl.String, "value": pl.String, "_sheet": pl.String,
    "_row": pl.Int64,
}


def _emit(frame: pl.DataFrame, check: Check, finding: Finding) -> pl.DataFrame:
    """The rows of ``frame`` where ``finding`` fires, shaped into findings."""
    member = check.table == "members"
    rows = frame.filter(finding.condition().fill_null(False))
    return rows.select(
        table=pl.lit(check.table),
        household_id=pl.col("household_id"),
        year=pl.col("year").cast(pl.Int32),
        id_number=pl.col("id_number") if member else pl.lit(None, dtype=pl.String),
        member_name=pl.col("name") if member else pl.lit(None, dtype=pl.String),
        code=pl.lit(check.key),
        severity=pl.lit(check.severity),
        message_zh=finding.message_zh(),
        message_en=finding.message_en(),
        field=pl.lit(finding.field, dtype=pl.String),
        value=(finding.value() if finding.value is not None else pl.lit(None)).cast(pl.String),
        _sheet=pl.col("_sheet"),
        _row=pl.col("_row"),
    ).cast(_INTERNAL_SCHEMA)


def findings(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date | None = None,
             assessment: pl.DataFrame | None = None, codes: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Quality findings Q03–Q27 (one row each): household_id, year, id_number, member_name,
    code, severity, message_zh, message_en. ``codes`` limits the run to some checks."""
    return _findings(households, members, as_of=as_of, assessment=assessment, codes=codes).select(OUTPUT_COLUMNS)


def _findings(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date | None = None,
              assessment: pl.DataFrame | None = None, codes: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Findings with the row they point at (table, field, value, _sheet, _row) for the importer.

    Checks that compare with the verdict (Q24, Q25) run only when ``assessment`` is given."""
    return run(households, prepare_members(members, as_of=as_of), assessment=assessment, codes=codes)


def prepare_members(members: pl.DataFrame, *, as_of: date | None = None) -> pl.DataFrame:
    """The member table the checks read; prepare it once to :func:`run` checks in several passes."""
    return C.prepare_members(_read_by_checks(members, C.MEMBER_COLUMNS), as_of=as_of)


def _read_by_checks(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    # Preparing joins copy every column of the table: only the columns the checks read are
    # carried (a check reading another column fails loudly, it is not handed a null).
    return frame.select([c for c in frame.columns if c in columns])


_BY_KEY = {c.key: c for c in C.CHECKS}


def run(households: pl.DataFrame, prepared_members: pl.DataFrame, *, assessment: pl.DataFrame | None = None,
        codes: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The checks (all, or ``codes``) over households and :func:`prepare_members`' table."""
    m = prepared_members
    # The checks after the assessment read the households and the verdicts, not the members.
    after_only = codes is not None and all(_BY_KEY[c].needs_assessment for c in codes if c in _BY_KEY)
    h = C.prepare_households(_read_by_checks(households, C.HOUSEHOLD_COLUMNS), m, assessment,
                             aggregates=not after_only)
    tables = {"members": m, "households": h}
    out: list[pl.DataFrame] = []
    for check in C.CHECKS:
        if not check.findings or (codes is not None and check.key not in codes):
            continue
        if check.needs_assessment and (assessment is None or assessment.height == 0):
            continue
        out += [_emit(tables[check.table], check, f) for f in check.findings]
    result = pl.concat(out, how="vertical") if out else pl.DataFrame(schema=_INTERNAL_SCHEMA)
    return result.sort(["household_id", "year", "code", "_row"], nulls_last=True)
