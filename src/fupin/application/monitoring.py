"""Use cases of return-to-poverty monitoring: leads from every channel, the workflow's steps,
risk eliminations, assistance, and matching a department's list against the registry.

Every function takes the actor's :class:`~fupin.accounts.scoping.Scope` and the policy of the
one provider; the workflow and the intake services (:mod:`fupin.monitoring`) do the single-object
work, the engine (:mod:`fupin.engine.matching`) the set-based matching.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from django.db import transaction

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Capability, Scope
from fupin.engine import matching
from fupin.engine.policy import PolicySet
from fupin.io import report
from fupin.io.department import read_department_file, write_match_rejects
from fupin.monitoring import clock, intake, selectors, workflow
from fupin.monitoring.models import Channel, Lead, MatchBatch, Purpose
from fupin.registry import bulk

StepRefused = workflow.StepRefused
IntakeError = intake.IntakeError


@dataclass
class MatchOutcome:
    batch_id: int | None
    stats: dict = field(default_factory=dict)
    created: int = 0
    existing: int = 0
    rejects_path: Path | None = None
    rejected: int = 0


def match_department_list(scope: Scope, policy: PolicySet, path, *, kind: str, year: int, rejects_path=None,
                          source_name: str | None = None, now: datetime | None = None) -> MatchOutcome:
    """Match a department's file against the registry of ``year`` inside the scope; the
    households that trigger become leads of their villages (idempotent), the rows that cannot be
    matched come back in a rejects workbook (kept with the batch, and at ``rejects_path``).

    Raises ``matching.DepartmentFileError`` for a file that cannot be matched at all,
    ``PolicyMissing`` when a threshold is not set for the year, IntakeError for a role that may
    not match department data.
    """
    if not scope.can(Capability.MATCH):
        raise IntakeError("您的角色不能上传部门数据 (your role may not match department data)")
    at = now or clock.now()
    source = source_name or Path(path).name
    raw = read_department_file(path, kind)
    members = bulk.read_members(scope, year).select("household_id", "year", "id_number", "name")
    households = bulk.read_households(scope, year).select(
        "household_id", "year", "region_code", "registered", "poverty_status", "monitoring_category",
        "risk_eliminated")
    result = matching.match_department(raw, kind=kind, year=year, members=members, households=households,
                                       policy=policy, source=source)
    with transaction.atomic():
        created, existing = intake.bulk_create_leads(
            scope, policy, result.leads, channel=Channel.DEPARTMENT, purpose=Purpose.IDENTIFICATION, kind=kind,
            at=at, note=f"部门筛查（{matching.LAYOUTS[kind].zh}）：{source}",
        )
        rejected = result.rejected_rows
        target = Path(rejects_path) if rejects_path else None
        blob = None
        if rejected:
            out = target or Path(tempfile.mkstemp(suffix=".xlsx", prefix="fupin-rejects-")[1])
            write_match_rejects(result, out)
            blob = out.read_bytes()
            if target is None:
                out.unlink(missing_ok=True)
        batch = MatchBatch.objects.create(
            kind=kind, year=year, source=source[:300], region_prefix=scope.prefix, user=scope.actor,
            stats=result.stats, leads_created=created, leads_existing=existing, rejects=blob,
        )
    return MatchOutcome(batch.pk, result.stats, created, existing, target if rejected else None, rejected)


def match_rejects(scope: Scope, pk: int) -> bytes | None:
    """The rejects workbook of a matching batch (full ID numbers and costs): for roles that match
    department data, inside the scope, each download logged."""
    scope.require_to(Capability.MATCH)
    rejects = selectors.match_rejects(scope, pk)
    if rejects:
        SensitiveView.objects.create(user=scope.actor, household_id="", year=0, region_code=scope.prefix,
                                     what=f"download:match-rejects#{pk}"[:32])
    return rejects


def declare(policy: PolicySet, **fields) -> tuple[Lead, bool]:
    """A farmer's self-declaration from the public page → (lead, created)."""
    return intake.declare(policy, **fields)


def record_cadre_lead(scope: Scope, policy: PolicySet, **fields) -> Lead:
    """A lead a cadre records after a visit."""
    return intake.record_cadre_lead(scope, policy, **fields)


def take_step(scope: Scope, policy: PolicySet, lead_id: int, action: str, *, now: datetime | None = None,
              **params) -> Lead:
    """One step of the workflow on one lead (raises StepRefused, or 404 outside the scope)."""
    return workflow.apply_step(scope, policy, lead_id, action, now=now, **params)


def take_bulk_step(scope: Scope, policy: PolicySet, lead_ids, action: str, *, now: datetime | None = None,
                   **params) -> workflow.BulkResult:
    """One step on many leads, all or nothing, each refusal reported by lead."""
    return workflow.apply_bulk(scope, policy, lead_ids, action, now=now, **params)


def start_elimination(scope: Scope, policy: PolicySet, household_id: str, *, now: datetime | None = None) -> Lead:
    """Start a risk elimination for a monitored household (an elimination lead; idempotent)."""
    return intake.start_elimination(scope, policy, household_id, now=now)


def propose_exits(scope: Scope, policy: PolicySet, *, year: int, household_ids: list[str] | None = None,
                  now: datetime | None = None) -> intake.ExitProposals:
    """预退出: exit cases for the registered poor households of ``year`` that meet the standard
    (all of the scope, or those named; each named one that cannot exit comes back with why)."""
    return intake.propose_exits(scope, policy, year=year, household_ids=household_ids, now=now)


@dataclass
class ExitStatus:
    case: Lead | None        # the household's exit case of its year, if proposed
    refusal: str | None      # why it cannot be proposed now (None: it can)


def exit_status(scope: Scope, household) -> ExitStatus:
    """For the household file: its exit case, or whether a cadre may propose one now."""
    case = (Lead.objects.within(scope).filter(purpose=Purpose.EXIT, household_id=household.household_id,
                                              year=household.year).order_by("-pk").first())
    return ExitStatus(case, None if case else workflow.exit_refusal(scope, household))


def take_exit_step(scope: Scope, policy: PolicySet, case_id: int, action: str, *, now: datetime | None = None,
                   **params) -> Lead:
    """One step of one household exit case (404 for a case outside the scope or a monitoring lead)."""
    return workflow.apply_step(scope, policy, case_id, action, now=now, purpose=Purpose.EXIT, **params)


EXIT_STAGES = ("new", "notice", "confirmed", "town_reviewed", "approved", "rejected")


def exit_lists(scope: Scope, *, year: int, region: str | None = None, out, at: datetime | None = None) -> Path:
    """The village and county exit lists (贫困户退出名单) as one workbook: every case with its step
    and dates, and the count per step by village with a 合计."""
    cases = selectors.exit_cases(scope, year=year, region=region, at=at)
    if cases.height == 0:
        raise ExitListEmpty(f"{year}年{('区划 ' + region) if region else ''}没有贫困户退出记录，请先提出预退出 "
                            f"(no household exits for {year}; propose them first)")
    counts = (cases.group_by("region_code", "town", "village")
              .agg(total=pl.len(), **{s: (pl.col("state") == s).sum() for s in EXIT_STAGES},
                   overdue=pl.col("overdue").sum(), people=pl.col("population").filter(pl.col("state") == "approved").sum())
              .sort("region_code"))
    state_headers = {"new": "预退出待评议", "notice": "公示中", "confirmed": "农户已确认", "town_reviewed": "乡镇已审核",
                     "approved": "已批准退出", "rejected": "不予退出"}
    summary_cols = [report.Column("town", "乡镇"), report.Column("village", "村"),
                    report.Column("region_code", "区划代码", "code"), report.Column("total", "提出户数", "count", total=True),
                    *[report.Column(s, state_headers[s], "count", total=True) for s in EXIT_STAGES],
                    report.Column("people", "已退出人数", "count", total=True),
                    report.Column("overdue", "超期户数", "count", total=True)]
    case_cols = [report.Column("town", "乡镇"), report.Column("village", "村"), report.Column("group", "组"),
                 report.Column("household_id", "户编号", "code"), report.Column("head_name", "户主姓名"),
                 report.Column("population", "家庭人口", "count", total=True),
                 report.Column("state_label", "办理环节"), report.Column("proposed_on", "提出日期", "date"),
                 report.Column("notice_start", "公示开始", "date"), report.Column("notice_end", "公示结束", "date"),
                 report.Column("confirmed_on", "农户确认日期", "date"), report.Column("decided_on", "办结日期", "date"),
                 report.Column("clock", "办理时限"), report.Column("rejection_reason", "不予退出理由"),
                 report.Column("lead_id", "办理编号", "code")]
    prefix = scope.narrow(region).prefix if region else scope.prefix
    heading = report.Heading(f"{year}年贫困户退出名单", report.region_label(prefix), clock.today(at))
    return report.write_report(out, [
        report.Sheet("退出名单", cases, case_cols, title=f"{year}年贫困户退出名单（逐户）", count_unit="户"),
        report.Sheet("按村汇总", counts, summary_cols, title=f"{year}年贫困户退出进度（按村）"),
    ], heading)


class ExitListEmpty(ValueError):
    """No exit case in the region and year; the message says what to do."""
