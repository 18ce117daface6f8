"""Long work as background jobs: start one for a scope, and run it in the worker.

Starting a job (from a page or the API) checks the role and the scope, stores the upload and
queues the job; the worker (:func:`run_job`, through the huey task :func:`execute_job`) calls the
same use cases as the command line — :func:`~fupin.application.registry.import_file`,
:func:`~fupin.application.assessment.assess_year`,
:func:`~fupin.application.registry.export_registry`,
:func:`~fupin.application.monitoring.match_department_list` — with the starter's scope narrowed to
the job's region and the deployment's policy.

A failure leaves the registry as it was (each use case writes in one transaction) and records
why: the message of a problem the user can fix, otherwise only the class of the exception — the
details go to the log, in English, without data values.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connections, transaction
from django.http import Http404
from django.utils import timezone

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Capability, Scope
from fupin.application import assessment, cards, cards_db, monitoring
from fupin.application import policy as policy_provider
from fupin.application import registry as registry_use_cases
from fupin.assessments import selectors as assessment_selectors
from fupin.engine.matching import KINDS, DepartmentFileError
from fupin.engine.policy import PolicyError
from fupin.io import ExchangeFormatError
from fupin.io.limits import unpack_zip
from fupin.jobs import selectors as job_selectors
from fupin.jobs.models import Job
from fupin.jobs.queue import clear_progress, huey, put_progress
from fupin.registry.models import Household

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".xlsx", ".csv", ".zip")
MATCH_SUFFIXES = (".xlsx", ".csv", ".parquet")

# Where each stage of an import falls on the 0–100 bar (reader stages, then the database load).
IMPORT_STAGES = {"read": (0, 30), "validate": (30, 60), "waiting": (60, 60), "regions": (60, 70), "households": (70, 80),
                 "members": (80, 90), "history": (90, 99), "done": (99, 100)}


class JobInputError(ValueError):
    """A job that cannot start as asked; the message is Chinese then English."""


class JobRefused(Exception):
    """The job ran but refused its input; the message is Chinese then English."""


# Problems with the input that the job's page explains in the user's words.
REFUSALS = (ExchangeFormatError, PolicyError, JobRefused, registry_use_cases.ExportRefused,
            assessment.NothingToAssess, DepartmentFileError,
            monitoring.IntakeError, registry_use_cases.ImportBusy, PermissionDenied, Http404, cards.CardError)


# --- files ---------------------------------------------------------------------------------

def jobs_dir() -> Path:
    """Uploads and job outputs: ``FUPIN_JOBS_DIR``, else a folder beside the SQLite file."""
    explicit = os.environ.get("FUPIN_JOBS_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and db["NAME"] != ":memory:" and "mode=memory" not in str(db["NAME"]):
        path = Path(db["NAME"])
        return path.with_name(path.name.removesuffix(path.suffix) + "-jobs")
    return Path.cwd() / "fupin-jobs"


def job_dir(job: Job) -> Path:
    path = jobs_dir() / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- starting ------------------------------------------------------------------------------

def _check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise JobInputError(f"年度 {year!r} 不正确，应为四位数字 (year must be a four-digit number)") from None
    if not 2000 <= year <= 2100:
        raise JobInputError(f"年度 {year} 超出范围 2000–2100 (year out of range)")
    return year


def _enqueue(job: Job) -> None:
    def send() -> None:
        result = execute_job(job.pk)
        task_id = getattr(result, "id", "") or ""
        if task_id:
            Job.objects.within(Scope.system()).filter(pk=job.pk, task_id="").update(task_id=task_id)

    # After commit: the worker must find the row it is given.
    transaction.on_commit(send)


def _store_upload(job: Job, upload, suffix: str) -> None:
    target = job_dir(job) / f"input{suffix}"
    with open(target, "wb") as out:
        out.writelines(upload.chunks())
    job.input_path = str(target)
    Job.objects.within(Scope.system()).filter(pk=job.pk).update(input_path=job.input_path)


def start_import(scope: Scope, upload, *, year: int | None = None) -> Job:
    """Store an uploaded .xlsx, flat .csv or .zip (CSV or Parquet folder) and queue its import."""
    scope.require_to(Capability.IMPORT)
    name = Path(getattr(upload, "name", "") or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise JobInputError(
            f"不支持的文件类型 {name}：请上传 .xlsx 工作簿、全国导出的 .csv，或装有 CSV/Parquet 文件的 .zip 压缩包 "
            f"(unsupported file {name}: upload an .xlsx workbook, a flat .csv export, or a .zip of a CSV/Parquet folder)"
        )
    if year is not None:
        year = _check_year(year)
    job = Job.objects.create(kind=Job.Kind.IMPORT, user=scope.actor, region=scope.prefix, year=year,
                             input_name=name[:255], stage="queued")
    _store_upload(job, upload, suffix)
    _enqueue(job)
    return job


def start_match(scope: Scope, upload, *, kind: str, year) -> Job:
    """Store a department's list and queue its matching against the registry of ``year``."""
    scope.require_to(Capability.MATCH)
    year = _check_year(year)
    if kind not in KINDS:
        raise JobInputError(f"未知的部门类型 {kind}，可选：{'、'.join(KINDS)} (unknown department kind)")
    name = Path(getattr(upload, "name", "") or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in MATCH_SUFFIXES:
        raise JobInputError(f"不支持的文件类型 {name}：请上传 .xlsx、.csv 或 .parquet 文件 "
                            f"(unsupported file {name}: upload an .xlsx, .csv or .parquet file)")
    job = Job.objects.create(kind=Job.Kind.MATCH, user=scope.actor, region=scope.prefix, year=year,
                             input_name=name[:255], stage="queued", options={"kind": kind})
    _store_upload(job, upload, suffix)
    _enqueue(job)
    return job


def start_assessment(scope: Scope, *, year, region: str | None = None) -> Job:
    """Queue an assessment of ``year`` for ``region`` (default: the whole scope)."""
    scope.require_to(Capability.ASSESS)
    return _start_over_registry(scope, Job.Kind.ASSESS, year, region, "无需评估", "nothing to assess")


def start_export(scope: Scope, *, year, region: str | None = None) -> Job:
    """Queue an export (.xlsx in the exchange format, full ID numbers) of ``year`` for ``region``."""
    scope.require_to(Capability.EXPORT)
    return _start_over_registry(scope, Job.Kind.EXPORT, year, region, "无可导出", "nothing to export")


def start_cards(scope: Scope, *, village: str, year, paper: str = "A5", all_households: bool = False) -> Job:
    """Queue the 明白卡 of one village of the scope (one PDF page per household)."""
    scope.require_to(Capability.READ)
    year = _check_year(year)
    try:
        code = cards.village_code(village)
    except cards.CardError as exc:
        raise JobInputError(str(exc)) from None
    if paper not in cards.PAPERS:
        raise JobInputError(f"纸张应为 {'、'.join(cards.PAPERS)}：{paper} (paper must be A5 or A4)")
    area = scope.narrow(code)
    if not Household.objects.within(area).filter(year=year).exists():
        raise JobInputError(f"{year} 年度该村没有农户，无法打印明白卡 (no households of {year} in the village)")
    job = Job.objects.create(kind=Job.Kind.CARDS, user=scope.actor, region=area.prefix, year=year, stage="queued",
                             options={"paper": paper, "all": bool(all_households)})
    _enqueue(job)
    return job


def _start_over_registry(scope: Scope, kind, year, region: str | None, nothing_zh: str, nothing_en: str) -> Job:
    """Queue a job that reads the registry of ``year`` under ``region`` (inside the scope)."""
    year = _check_year(year)
    area = scope.narrow((region or "").strip() or None)
    if not Household.objects.within(area).filter(year=year).exists():
        raise JobInputError(f"{year} 年度在区划 {area.prefix or '全国'} 下没有农户，{nothing_zh} "
                            f"(no households of {year} in {area.prefix or 'the country'}: {nothing_en})")
    job = Job.objects.create(kind=kind, user=scope.actor, region=area.prefix, year=year, stage="queued")
    _enqueue(job)
    return job


# --- running -------------------------------------------------------------------------------

class Reporter:
    """Progress of one job into the queue's key-value store, at most a few times a second."""

    def __init__(self, job_id: int, *, interval: float = 0.3):
        self.job_id = job_id
        self.interval = interval
        self._last = 0.0
        self._last_stage = None

    def __call__(self, percent: float, stage: str) -> None:
        now = time.monotonic()
        if stage == self._last_stage and now - self._last < self.interval:
            return
        self._last, self._last_stage = now, stage
        put_progress(self.job_id, max(0, min(100, int(percent))), stage)

    def phase(self, stages: dict[str, tuple[int, int]], *, within: tuple[int, int] = (0, 100)) -> Callable:
        """A ``progress(stage, done, total)`` callback placing each stage on the bar."""
        low, high = within

        def progress(stage: str, done: int, total: int) -> None:
            start, end = stages.get(stage, (0, 100))
            fraction = done / total if total else 1.0
            percent = start + (end - start) * min(max(fraction, 0.0), 1.0)
            self(low + (high - low) * percent / 100, stage)

        return progress


def _job_scope(job: Job) -> Scope:
    """The starter's scope narrowed to the job's region (the starter may since have lost it)."""
    if job.user is None:
        raise JobRefused("发起任务的用户已不存在，任务未执行 (the user who started the job no longer exists)")
    return Scope.of(job.user).narrow(job.region or None)


def run_job(job_id: int) -> None:
    """Run one queued job to its end: done with a result, or failed with a reason."""
    jobs = Job.objects.within(Scope.system())
    started = timezone.now()
    taken = jobs.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=started, stage="start", progress=0)
    if not taken:  # already run (a redelivered task) or deleted
        return
    job = jobs.select_related("user").get(pk=job_id)
    reporter = Reporter(job_id)
    runner = {Job.Kind.IMPORT: _run_import, Job.Kind.ASSESS: _run_assessment, Job.Kind.EXPORT: _run_export,
              Job.Kind.MATCH: _run_match, Job.Kind.CARDS: _run_cards}[job.kind]
    try:
        result = runner(job, _job_scope(job), reporter)
    except REFUSALS as exc:
        log.info("job %s (%s) refused its input: %s", job_id, job.kind, type(exc).__name__)
        fields = {"status": Job.Status.FAILED, "message": _refusal_text(exc), "stage": "failed"}
    except Exception as exc:  # noqa: BLE001 - every failure must end the job, not the worker
        # Frames only: an exception's text may quote data (ID numbers, names) that must not be logged.
        log.error("job %s (%s) failed with %s at\n%s", job_id, job.kind, type(exc).__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        fields = {"status": Job.Status.FAILED, "stage": "failed",
                  "message": f"任务失败（{type(exc).__name__}），数据保持原样；请联系管理员查看日志。"
                             f"\n(the job failed with {type(exc).__name__}; the data is unchanged — "
                             f"ask an administrator to look at the log)"}
    else:
        fields = {"status": Job.Status.DONE, "progress": 100, "stage": "done", "result": result.pop("result"),
                  "message": result.pop("message", ""), **result}
    _discard_inputs(job)
    jobs.filter(pk=job_id).update(finished_at=timezone.now(), input_path="", **fields)
    try:
        clear_progress(job_id)
    except Exception:  # noqa: BLE001 - the row has the final state already
        log.warning("job %s: could not clear its progress entry", job_id)


def _discard_inputs(job: Job) -> None:
    """The upload and anything unpacked from it go when the job ends, whatever the outcome:
    they hold a whole registry's personal data, and a zip may have unpacked to gigabytes. The
    outputs a user downloads (export, rejects) stay."""
    if job.input_path:
        Path(job.input_path).unlink(missing_ok=True)
    shutil.rmtree(job_dir(job) / "unpacked", ignore_errors=True)


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return "您的角色不能执行此任务，数据保持原样。\n(your role may not run this job; the data is unchanged)"
    if isinstance(exc, Http404):
        return "任务的区划不在您的管辖范围内，未执行。\n(the job's region is outside your region; nothing was done)"
    return str(exc)


def mark_interrupted() -> int:
    """Jobs left running by a worker that stopped: failed, to be started again (their uploads
    discarded, as for any job that ends)."""
    running = Job.objects.within(Scope.system()).filter(status=Job.Status.RUNNING)
    for job in running:
        _discard_inputs(job)
    return running.update(input_path="", 
        status=Job.Status.FAILED, stage="failed", finished_at=timezone.now(),
        message="任务因后台进程重启而中断，数据保持原样；请重新开始。\n"
                "(the worker stopped while the job ran; the data is unchanged — start the job again)")


def _input(job: Job) -> Path:
    source = Path(job.input_path)
    if not source.exists():
        raise JobRefused("上传的文件已不存在，请重新上传 (the uploaded file is gone; upload it again)")
    return source


def _run_import(job: Job, scope: Scope, reporter: Reporter) -> dict:
    source = _input(job)
    # Bounded before anything is written: entries, sizes, ratios, paths (io.limits).
    path = unpack_zip(source, job_dir(job) / "unpacked") if source.suffix.lower() == ".zip" else source
    rejects = job_dir(job) / "rejects.xlsx"
    outcome = registry_use_cases.import_file(scope, str(path), rejects=str(rejects), year=job.year,
                                             progress=reporter.phase(IMPORT_STAGES))
    report = outcome.report
    result = {**report.as_dict(), "warnings": outcome.warnings,
              "unknown_columns": {k: list(map(str, v)) for k, v in outcome.unknown_columns.items() if v}}
    message = (
        f"新增 {report.households_new} 户 / {report.members_new} 人，更新 {report.households_changed} 户 / "
        f"{report.members_changed} 人，未变 {report.households_unchanged} 户，退回 {report.households_rejected} 户"
        f"{'（见退回表）' if outcome.rejects_path else ''}。"
    )
    if job.year is None and report.years:
        Job.objects.within(Scope.system()).filter(pk=job.pk).update(year=report.years[0])
    return {"result": result, "message": message, "rejects_path": outcome.rejects_path or ""}


def _run_assessment(job: Job, scope: Scope, reporter: Reporter) -> dict:
    reporter(10, "assess")
    outcome = assessment.assess_year(scope, policy_provider.current(), job.year)
    run = outcome.run
    result = {"run_id": run.pk, "households": run.households, "policy": run.policy, "year": run.year,
              "leads_created": outcome.leads_created}
    return {"result": result,
            "message": f"已评估 {run.households} 户（{run.year} 年度），新下发预警线索 {outcome.leads_created} 条。"}


def _run_export(job: Job, scope: Scope, reporter: Reporter) -> dict:
    out = job_dir(job) / f"export-{job.year}-{scope.prefix or 'all'}.xlsx"
    households = registry_use_cases.export_registry(
        scope, out, year=job.year, progress=lambda done, total: reporter(5 + 90 * done / max(total, 1), "export"))
    return {"result": {"households": households, "year": job.year, "region": scope.prefix},
            "message": f"已导出 {households} 户（{job.year} 年度）。", "output_path": str(out)}


def _run_match(job: Job, scope: Scope, reporter: Reporter) -> dict:
    reporter(10, "match")
    rejects = job_dir(job) / "rejects.xlsx"
    outcome = monitoring.match_department_list(scope, policy_provider.current(), _input(job),
                                               kind=job.options.get("kind", ""), year=job.year,
                                               rejects_path=rejects, source_name=job.input_name)
    stats = outcome.stats
    result = {"rows": stats.get("rows", 0), "matched_rows": stats.get("matched_rows", 0),
              "created": outcome.created, "existing": outcome.existing, "rejected": outcome.rejected}
    message = (f"匹配完成：共 {stats.get('rows', 0)} 行，新建线索 {outcome.created} 条，已有 {outcome.existing} 条，"
               f"退回 {outcome.rejected} 行{'（见退回表）' if outcome.rejects_path else ''}。")
    return {"result": result, "message": message,
            "rejects_path": str(outcome.rejects_path) if outcome.rejects_path else ""}


def _run_cards(job: Job, scope: Scope, reporter: Reporter) -> dict:
    reporter(10, "cards")
    result = cards_db.village_cards(scope, policy_provider.current(), village=job.region, year=job.year,
                                    paper=job.options.get("paper", "A5"), all_households=job.options.get("all", False))
    out = job_dir(job) / f"cards-{result.village}-{result.year}.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(result.pdf)
    return {"result": {"cards": result.count, "village_name": result.village_name, "year": result.year},
            "message": f"已生成{result.village_name}{result.year}年度明白卡 {result.count} 张（{result.paper}）。",
            "output_path": str(out)}


@huey.task(retries=0)
def execute_job(job_id: int) -> None:
    """The huey task: one per job."""
    # A worker thread outlives many jobs: start each with healthy connections and close this
    # thread's connections after it (jobs are rare and long; an idle connection is waste).
    if not huey.immediate:
        close_old_connections()
    try:
        run_job(job_id)
    finally:
        if not huey.immediate:
            connections.close_all()


def download(scope: Scope, pk: int, which: str) -> tuple[Path, str]:
    """A finished job's output or rejects file (both hold ID numbers): inside the scope, of a kind
    the role may run, and logged as a sensitive download."""
    path, name = job_selectors.job_file(scope, pk, which)
    job = job_selectors.get_job(scope, pk)
    SensitiveView.objects.create(user=scope.actor, household_id="", year=job.year or 0, region_code=job.region,
                                 what=f"download:{job.kind}-{which}#{job.pk}"[:32])
    return path, name


def default_year(scope: Scope) -> int | None:
    return assessment_selectors.latest_year(scope)
