"""Use cases of return-to-poverty monitoring: leads from every channel, the workflow's steps,
risk eliminations, assistance, and matching a department's list against the registry.

Every function takes the actor's :class:`~fupin.accounts.scoping.Scope` and the policy of the
one provider; the workflow and the intake services (:mod:`fupin.monitoring`) do the single-object
work, the engine (:mod:`fupin.engine.matching`) the set-based matching.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Capability, Scope
from fupin.engine import matching
from fupin.engine.policy import PolicySet
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


def record_assistance(scope: Scope, *, household_id: str, type: str, description: str, on: date,
                      lead_id: int | None = None):
    """An assistance measure given to a household (before or after a decision)."""
    return workflow.record_assistance(scope, household_id=household_id, type=type, description=description, on=on,
                                      lead_id=lead_id)
