"""Reads of jobs, within a scope: a user sees the jobs of their region only."""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scoping import Capability, Scope, get_scoped
from fupin.jobs.models import Job
from fupin.jobs.queue import peek_progress

RECENT = 50
FILES = ("output", "rejects")
RESULT_LABELS = {
    "households_new": _("Households added"), "members_new": _("Members added"),
    "households_changed": _("Households updated"), "members_changed": _("Members updated"),
    "households_unchanged": _("Households unchanged"), "members_removed": _("Members removed"),
    "households_rejected": _("Households rejected"), "rows_rejected": _("Rows rejected"),
    "villages_registered": _("Villages registered"), "warnings": _("Warnings"),
    "households": _("Households counted"), "run_id": _("Assessment run"), "policy": _("Policy"),
    "year": _("Year"), "region": _("Region"), "created": _("Leads created"), "existing": _("Leads already there"),
    "rows": _("Rows"), "matched_rows": _("Rows matched"), "rejected": _("Rows returned"),
    "leads_created": _("Leads created"), "cards": _("Cards printed"), "village_name": _("Village"),
}
STAGE_LABELS = {
    "queued": "排队中 (queued)", "start": "开始 (starting)", "read": "读取文件 (reading)",
    "validate": "校验数据 (validating)", "scope": "核对管辖范围 (checking your region)",
    "regions": "写入区划 (regions)", "households": "写入农户 (households)", "members": "写入成员 (members)",
    "history": "记录变更历史 (history)", "done": "完成 (done)", "assess": "评估中 (assessing)",
    "export": "导出中 (exporting)", "match": "匹配中 (matching)", "figures": "更新统计 (updating figures)",
    "leads": "下发线索 (handing leads to villages)", "failed": "失败 (failed)",
    "waiting": "等待其他导入完成 (waiting for another import to finish)", "cards": "生成明白卡 (printing the cards)",
}


# The capability a job of each kind takes: to start it, and to see it and its files.
# A village's 明白卡 need no more than reading the village: its cadre prints them.
KIND_CAPABILITY = {Job.Kind.IMPORT: Capability.IMPORT, Job.Kind.ASSESS: Capability.ASSESS,
                   Job.Kind.EXPORT: Capability.EXPORT, Job.Kind.MATCH: Capability.MATCH,
                   Job.Kind.CARDS: Capability.READ}


def visible_kinds(scope: Scope) -> list[str]:
    return [kind for kind, capability in KIND_CAPABILITY.items() if scope.can(capability)]


def recent_jobs(scope: Scope, limit: int = RECENT) -> QuerySet:
    """The region's jobs of the kinds the scope may run (a steward sees matching jobs only)."""
    jobs = Job.objects.within(scope).filter(kind__in=visible_kinds(scope))
    return jobs.select_related("user").order_by("-created_at", "-pk")[:limit]


def get_job(scope: Scope, pk: int) -> Job:
    return get_scoped(Job.objects.filter(kind__in=visible_kinds(scope)).select_related("user"), scope, pk=pk)


def job_state(job: Job) -> dict:
    """Status, percent and stage of a job; a running job's live progress from the queue."""
    percent, stage = job.progress, job.stage
    if job.status == Job.Status.RUNNING:
        live = peek_progress(job.pk)
        if live:
            percent, stage = live
    if job.status == Job.Status.DONE:
        percent = 100
    return {
        "id": job.pk, "kind": job.kind, "status": job.status, "finished": job.finished,
        "progress": int(percent), "stage": stage, "stage_label": STAGE_LABELS.get(stage, stage),
        "message": job.message, "result": job.result if job.finished else {},
        "files": available_files(job),
    }


def result_rows(job: Job) -> list[tuple[str, object]]:
    """(label, value) pairs of a finished job's result, for the job page."""
    return [(RESULT_LABELS[k], v) for k, v in (job.result or {}).items() if k in RESULT_LABELS and v not in ("", None)]


def available_files(job: Job) -> list[str]:
    if job.status != Job.Status.DONE:
        return []
    return [which for which in FILES if getattr(job, f"{which}_path") and Path(getattr(job, f"{which}_path")).exists()]


def job_file(scope: Scope, pk: int, which: str) -> tuple[Path, str]:
    """(path, download name) of a finished job's output or rejects file, in scope, else 404."""
    job = get_job(scope, pk)
    if which not in FILES or which not in available_files(job):
        raise Http404("no such file")
    path = Path(getattr(job, f"{which}_path"))
    name = f"{job.kind}-{job.pk}-{'rejects' if which == 'rejects' else 'output'}{path.suffix}"
    return path, name
