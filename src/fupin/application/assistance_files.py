"""Use cases of the assistance ledger over files, without a database (``fupin assist … --input``).

The registry and the assistance sheets are read from one container (or the assistance from a
second file), the assistance rows are checked against the registry as read (all its years),
then the rules of ``spec/assistance.md`` run on the rows that load. Nothing here imports Django.

The report builders (:func:`coverage_report`, :func:`check_report`) take an
:class:`AssistanceInput` — a registry, a ledger and the import's findings as frames — so the
database side (:mod:`fupin.application.assistance`) hands them the frames it reads and the
reports are built once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin import divisions
from fupin.application import files
from fupin.engine.assistance import rules
from fupin.engine.policy import PolicySet
from fupin.io.assistance import AssistanceFile, RegistryRef, read_assistance


@dataclass
class AssistanceInput:
    registry: files.FileRegistry
    ledger: rules.Ledger
    issues: pl.DataFrame            # the import's findings (io.assistance ISSUE_COLUMNS); none from a database
    region: str | None              # the division-code prefix asked for
    assistance: AssistanceFile | None = None  # the file read (its rejects); None for the database
    leads: pl.DataFrame | None = None         # household_id, identified_on (R3), from the database

    @property
    def rejected_count(self) -> int:
        return self.assistance.rejected_count() if self.assistance is not None else 0


def read_inputs(path, *, year: int, region: str | None = None, as_of: date | None = None,
                assistance_path=None, import_date: date | None = None) -> AssistanceInput:
    """The registry of ``path`` and the assistance sheets of ``assistance_path`` (default: the
    same container). Raises ExchangeFormatError, files.NothingToAssess."""
    registry = files.read_file(path, year=year, as_of=as_of)
    ref = RegistryRef.of(registry.households, registry.members)
    assistance = read_assistance(assistance_path or path, registry=ref, as_of=import_date or date.today(), year=year)
    prefix = divisions.scope_prefix(region) if region else None
    if prefix and registry.households.filter(
            (pl.col("year") == year) & pl.col("region_code").str.starts_with(prefix)).height == 0:
        raise files.nothing_to_assess(year, f"{path}（区划 {region}）")
    return AssistanceInput(registry, assistance.ledger(), assistance.issues, prefix, assistance)


def region_names(registry: files.FileRegistry) -> dict[str, str]:
    """12-digit code -> name: the file's regions table first, then the official table."""
    names = dict(divisions.names())
    regions = registry.regions
    if regions is not None and regions.height and "name" in regions.columns:
        for code, name in regions.select("region_code", "name").drop_nulls().iter_rows():
            names[str(code).ljust(12, "0")[:12]] = name
    return names


def evaluate(policy: PolicySet, data: AssistanceInput, *, year: int, as_of: date | None = None) -> rules.Outcome:
    """R1–R4 and R9 over the rows that load (PolicyMissing when a parameter is unset)."""
    return rules.evaluate(data.registry.households, data.registry.members, data.ledger, year=year,
                          policy=policy, as_of=as_of, region=data.region, leads=data.leads)


@dataclass
class CoverageReport:
    coverage: pl.DataFrame
    uncovered: dict[str, pl.DataFrame]
    outcome: rules.Outcome


def coverage_report(policy: PolicySet, data: AssistanceInput, *, year: int, as_of: date | None = None) -> CoverageReport:
    outcome = evaluate(policy, data, year=year, as_of=as_of)
    return CoverageReport(rules.coverage(outcome, region=data.region, names=region_names(data.registry)),
                          rules.uncovered(outcome), outcome)


FINDING_COLUMNS = ("year", "region_code", "household_id", "id_number", "code", "severity", "ref", "sheet", "row",
                   "column", "value", "message_zh", "message_en")


def check_report(policy: PolicySet, data: AssistanceInput, *, year: int, as_of: date | None = None) -> pl.DataFrame:
    """B13, B14 (R9) and the import's findings (errors and warnings) in one table."""
    outcome = evaluate(policy, data, year=year, as_of=as_of)
    found = outcome.findings.with_columns(sheet=pl.lit(None, dtype=pl.String), row=pl.lit(None, dtype=pl.Int64),
                                          column=pl.lit(None, dtype=pl.String), value=pl.lit(None, dtype=pl.String))
    hh = data.registry.households.filter(pl.col("year") == year).select("household_id", "region_code").unique(
        "household_id", keep="first")
    issues = data.issues.join(hh, on="household_id", how="left")
    if data.region:
        issues = issues.filter(pl.col("region_code").is_null() | pl.col("region_code").str.starts_with(data.region))
    imported = issues.select(
        "year", "region_code", "household_id", id_number=pl.lit(None, dtype=pl.String), code="code",
        severity="severity", ref=pl.lit(None, dtype=pl.String), sheet="sheet", row="row", column="column",
        value="value", message_zh="message_zh", message_en="message_en")
    return pl.concat([imported, found.select(FINDING_COLUMNS)], how="vertical_relaxed").select(FINDING_COLUMNS)
