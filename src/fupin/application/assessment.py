"""Use cases of the assessment: assess a year (stored, with its figures and leads), explain a
household, check the data, figures by region — over the database or over a file.

Assessing a year from anywhere (the command line, the web, a job, the API) is one function,
:func:`assess_year`: it reads the scope's registry in bulk, runs the quality checks and the
engine once, stores the run with its policy identity, refreshes the region figures and hands the
engine's leads to their villages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.accounts.scoping import Capability, Scope
from fupin.application.assistance import close_plans_after_run
from fupin.application.files import FileRegistry, NothingToAssess, nothing_to_assess
from fupin.assessments import selectors as assessment_selectors
from fupin.assessments.models import AssessmentRun
from fupin.assessments.services import refresh_region_stats, store_run
from fupin.engine.assess import assess_with_findings
from fupin.engine.explain import explain
from fupin.engine.policy import PolicySet
from fupin.monitoring.intake import create_engine_leads
from fupin.registry import bulk

__all__ = ["AssessmentOutcome", "NothingToAssess", "assess_year", "explain_household", "refresh_figures",
           "stored_registry", "verdict_row"]


@dataclass
class AssessmentOutcome:
    run: AssessmentRun
    verdicts: pl.DataFrame
    findings: pl.DataFrame
    leads_created: int = 0
    leads_existing: int = 0

    def counts(self) -> dict[str, int]:
        return dict(sorted(self.verdicts.group_by("meets_standard").len().iter_rows()))


def assess_year(scope: Scope, policy: PolicySet, year: int, *, household_ids=None, as_of: date | None = None,
                dispatch_leads: bool = True) -> AssessmentOutcome:
    """Assess the stored households of ``year`` inside ``scope`` (optionally only some).

    Stores the run (its policy identity included), one verdict per household and the findings;
    refreshes the figures of the affected counties; hands the identification and elimination
    leads to their villages (idempotent). Raises PolicyMissing when a needed policy value is not
    set, NothingToAssess when the scope has no household of the year. Assessing a year takes the
    ASSESS capability; re-assessing some households one may edit (the household page) takes EDIT.
    """
    scope.require_to(Capability.ASSESS if household_ids is None else Capability.EDIT)
    households = bulk.read_households(scope, year)
    members = bulk.read_members(scope, year)
    if household_ids is not None:
        wanted = pl.Series("household_id", list(household_ids), dtype=pl.String).implode()
        households = households.filter(pl.col("household_id").is_in(wanted))
        members = members.filter(pl.col("household_id").is_in(wanted))
    if households.height == 0:
        raise nothing_to_assess(year, f"区划 {scope.prefix or '全国'}")
    verdicts, findings = assess_with_findings(households, members, bulk.read_regions(scope), year=year,
                                              policy=policy, as_of=as_of)
    run = store_run(verdicts, findings, scope=scope, year=year, policy=policy, as_of=as_of)
    close_plans_after_run(scope, run)  # 一户一策: a plan ends when its household meets the standard
    counties = verdicts.select(pl.col("region_code").str.slice(0, 6).unique()).to_series().to_list()
    refresh_region_stats(year, policy=policy, counties=counties, run=run)
    outcome = AssessmentOutcome(run, verdicts, findings)
    if dispatch_leads:
        outcome.leads_created, outcome.leads_existing = create_engine_leads(scope, policy, run)
    return outcome


def refresh_figures(scope: Scope, policy: PolicySet, year: int) -> int:
    """Recompute the region figures of the scope's counties for ``year``; rows written."""
    keys = bulk.read_household_keys(scope, year)
    counties = keys.select(pl.col("region_code").str.slice(0, 6).unique()).to_series().to_list()
    return refresh_region_stats(year, policy=policy, counties=counties) if counties else 0


def explain_household(scope: Scope, household_id: str, year: int, *, lang: str = "zh") -> str:
    """The explanation of the household's stored verdict of ``year`` (as the household page shows
    it); raises NothingToAssess when it has none yet."""
    verdict = assessment_selectors.latest_verdict(scope, household_id, year)
    if verdict is None:
        raise NothingToAssess(f"户 {household_id} 在 {year} 年度还没有评估结果（或不在管辖范围内），请先评估该年度 "
                              f"(household {household_id} has no verdict for {year} in your region; assess the year first)")
    return explain(verdict_row(verdict), lang)


def verdict_row(verdict) -> dict:
    """A stored verdict as the engine's output row (fields and ``detail_*`` columns)."""
    row = {f.name: getattr(verdict, f.name) for f in verdict._meta.concrete_fields if f.name != "details"}
    details = verdict.details
    if isinstance(details, str):  # a JSON field some backends hand back as text
        details = json.loads(details or "{}")
    row.update(details or {})
    return row


def stored_registry(scope: Scope, year: int) -> FileRegistry:
    """The stored registry of ``year`` inside the scope, in the shape of a file's (no issues), for
    the commands that check or sum up a year without storing a run (``fupin check/regions --db``)."""
    households = bulk.read_households(scope, year)
    if households.height == 0:
        raise nothing_to_assess(year, f"数据库（区划 {scope.prefix or '全国'}）")
    return FileRegistry(households, bulk.read_members(scope, year), bulk.read_regions(scope), None)
