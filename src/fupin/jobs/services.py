"""Jobs: start an import, assessment or export for a user, and run it in the worker.

Starting a job (from a page or the API) checks the user's right and scope, stores the upload
and enqueues the job; the worker (:func:`run_job`) calls the same services as the command line
(``import_file``, ``run_assessment``, ``export_registry``). A job carries the region it was
started for, always inside the starter's scope, and works on that region only.

A failure leaves the registry as it was (the import and the assessment each write in one
transaction) and records why: the message of a problem the user can fix, otherwise only the
class of the exception — the details go to the log, in English, without data values.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from fupin.accounts import scoping
from fupin.jobs.models import Job

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".xlsx", ".csv", ".zip")
MAX_UNPACKED_BYTES = 4 * 1024**3

# Where each stage of an import falls on the 0–100 bar (reader stages, then the database load).
IMPORT_STAGES = {"read": (0, 30), "validate": (30, 60), "regions": (60, 70), "households": (70, 80),
                 "members": (80, 90), "history": (90, 99), "done": (99, 100)}
STAGE_LABELS = {
    "queued": "排队中 (queued)", "start": "开始 (starting)", "read": "读取文件 (reading)",
    "validate": "校验数据 (validating)", "scope": "核对管辖范围 (checking your region)",
    "regions": "写入区划 (regions)", "households": "写入农户 (households)", "members": "写入成员 (members)",
    "history": "记录变更历史 (history)", "done": "完成 (done)", "assess": "评估中 (assessing)",
    "export": "导出中 (exporting)", "failed": "失败 (failed)",
}


class JobInputError(ValueError):
    """A job that cannot start as asked; the message is Chinese then English."""


class JobRefused(Exception):
    """The job ran but refused its input; the message is Chinese then English."""


# --- files ---------------------------------------------------------------------------------

def jobs_dir() -> Path:
    """Uploads and job outputs: ``FUPIN_JOBS_DIR``, else a folder beside the SQLite file."""
    explicit = os.environ.get("FUPIN_JOBS_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    from django.conf import settings

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

def _require_jobs(user) -> None:
    if not scoping.can_run_jobs(user):
        raise PermissionDenied("your role cannot run jobs")


def _check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise JobInputError(f"年度 {year!r} 不正确，应为四位数字 (year must be a four-digit number)") from None
    if not 2000 <= year <= 2100:
        raise JobInputError(f"年度 {year} 超出范围 2000–2100 (year out of range)")
    return year


def _has_households(year: int, region: str, user) -> bool:
    from fupin.registry.models import Household

    return scoping.restrict(Household.objects.filter(year=year), user).filter(region_code__startswith=region).exists()


def _enqueue(job: Job) -> None:
    def send() -> None:
        from fupin.jobs.tasks import execute_job

        result = execute_job(job.pk)
        task_id = getattr(result, "id", "") or ""
        if task_id:
            Job.objects.filter(pk=job.pk, task_id="").update(task_id=task_id)

    # After commit: the worker must find the row it is given.
    transaction.on_commit(send)


def start_import(user, upload, *, year: int | None = None) -> Job:
    """Store an uploaded .xlsx, flat .csv or .zip (CSV or Parquet folder) and queue its import."""
    _require_jobs(user)
    name = Path(getattr(upload, "name", "") or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise JobInputError(
            f"不支持的文件类型 {name}：请上传 .xlsx 工作簿、全国导出的 .csv，或装有 CSV/Parquet 文件的 .zip 压缩包 "
            f"(unsupported file {name}: upload an .xlsx workbook, a flat .csv export, or a .zip of a CSV/Parquet folder)"
        )
    if year is not None:
        year = _check_year(year)
    region = scoping.clamp_region(user, None)
    job = Job.objects.create(kind=Job.Kind.IMPORT, user=user, region=region, year=year,
                             input_name=name[:255], stage="queued")
    target = job_dir(job) / f"input{suffix}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    Job.objects.filter(pk=job.pk).update(input_path=str(target))
    job.input_path = str(target)
    _enqueue(job)
    return job


def start_assessment(user, *, year, region: str | None = None) -> Job:
    """Queue an assessment of ``year`` for ``region`` (default: the whole scope)."""
    return _start_over_registry(user, Job.Kind.ASSESS, year, region, "无需评估", "nothing to assess")


def start_export(user, *, year, region: str | None = None) -> Job:
    """Queue an export (.xlsx in the exchange format) of ``year`` for ``region`` in scope."""
    return _start_over_registry(user, Job.Kind.EXPORT, year, region, "无可导出", "nothing to export")


def _start_over_registry(user, kind, year, region: str | None, nothing_zh: str, nothing_en: str) -> Job:
    """Queue a job that reads the registry of ``year`` under ``region`` (clamped to the scope)."""
    _require_jobs(user)
    year = _check_year(year)
    region = scoping.clamp_region(user, (region or "").strip() or None)
    if not _has_households(year, region, user):
        raise JobInputError(f"{year} 年度在区划 {region or '全国'} 下没有农户，{nothing_zh} "
                            f"(no households of {year} in {region or 'the country'}: {nothing_en})")
    job = Job.objects.create(kind=kind, user=user, region=region, year=year, stage="queued")
    _enqueue(job)
    return job


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
        from fupin.jobs.queue import put_progress

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


def run_job(job_id: int) -> None:
    """Run one queued job to its end: done with a result, or failed with a reason."""
    started = timezone.now()
    taken = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=started, stage="start", progress=0)
    if not taken:  # already run (a redelivered task) or deleted
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    reporter = Reporter(job_id)
    runner = {Job.Kind.IMPORT: _run_import, Job.Kind.ASSESS: _run_assessment, Job.Kind.EXPORT: _run_export}[job.kind]
    from fupin.engine.policy import PolicyError
    from fupin.io import ExchangeFormatError

    fields = {}
    try:
        result = runner(job, reporter)
    except (ExchangeFormatError, PolicyError, JobRefused, ExportRefused) as exc:
        log.info("job %s (%s) refused its input: %s", job_id, job.kind, type(exc).__name__)
        fields = {"status": Job.Status.FAILED, "message": str(exc), "stage": "failed"}
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
    Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
    from fupin.jobs.queue import clear_progress

    try:
        clear_progress(job_id)
    except Exception:  # noqa: BLE001 - the row has the final state already
        log.warning("job %s: could not clear its progress entry", job_id)


def mark_interrupted() -> int:
    """Jobs left running by a worker that stopped: failed, to be started again."""
    return Job.objects.filter(status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, stage="failed", finished_at=timezone.now(),
        message="任务因后台进程重启而中断，数据保持原样；请重新开始。\n"
                "(the worker stopped while the job ran; the data is unchanged — start the job again)")


def _unpack(archive: Path, into: Path) -> Path:
    """A .zip of a CSV or Parquet folder → that folder (no path may leave ``into``)."""
    with zipfile.ZipFile(archive) as zf:
        names = zf.infolist()
        if sum(i.file_size for i in names) > MAX_UNPACKED_BYTES:
            raise JobRefused("压缩包解压后超过 4 GB，请拆分后分批导入 (the archive unpacks to more than 4 GB; split it)")
        root = into.resolve()
        for info in names:
            target = (root / info.filename).resolve()
            if not str(target).startswith(str(root) + os.sep) and target != root:
                raise JobRefused(f"压缩包中的路径 {info.filename} 不安全，未导入 (unsafe path in the archive)")
        zf.extractall(root)
    entries = [p for p in root.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root


def _check_scope(path: str, region: str, *, year, province: str, progress) -> None:
    """Refuse a file with any household or region outside the job's region (nothing loads)."""
    from fupin.io import read_registry

    registry = read_registry(path, year=year, province=province, progress=progress)
    households, _members, regions = registry.loadable()
    outside = households.filter(~pl.col("region_code").str.starts_with(region))
    outside_regions = regions.filter(~pl.col("region_code").cast(pl.String).str.pad_end(12, "0").str.starts_with(region)) \
        if regions.height and "region_code" in regions.columns else regions.clear()
    if outside.height or outside_regions.height:
        codes = sorted(set(outside["region_code"].head(5).to_list() + outside_regions["region_code"].head(5).to_list()))
        raise JobRefused(
            f"文件中有 {outside.height} 户、{outside_regions.height} 个区划不在您的管辖范围 {region} 内"
            f"（如区划 {'、'.join(map(str, codes))}）：未导入任何数据。请删去这些行，或请管辖范围更大的账户导入。\n"
            f"({outside.height} households and {outside_regions.height} regions lie outside your region {region}, "
            f"e.g. {', '.join(map(str, codes))}; nothing was imported — remove those rows or ask a user whose "
            f"region covers them)"
        )


def _run_import(job: Job, reporter: Reporter) -> dict:
    from fupin.registry.services.imports import import_file

    source = Path(job.input_path)
    if not source.exists():
        raise JobRefused("上传的文件已不存在，请重新上传 (the uploaded file is gone; upload it again)")
    path = _unpack(source, job_dir(job) / "unpacked") if source.suffix.lower() == ".zip" else source
    province = job.region[:2] or "50"
    within = (0, 100)
    if job.region:
        # The importer has no region filter: read the file once to refuse foreign rows first.
        reporter(0, "scope")
        _check_scope(str(path), job.region, year=job.year, province=province,
                     progress=reporter.phase(IMPORT_STAGES, within=(0, 30)))
        within = (30, 100)
    rejects = job_dir(job) / "rejects.xlsx"
    outcome = import_file(str(path), rejects=str(rejects), year=job.year, province=province, user=job.user,
                          progress=reporter.phase(IMPORT_STAGES, within=within))
    report = outcome.report
    result = {**report.as_dict(), "warnings": outcome.warnings,
              "unknown_columns": {k: list(map(str, v)) for k, v in outcome.unknown_columns.items() if v}}
    message = (
        f"新增 {report.households_new} 户 / {report.members_new} 人，更新 {report.households_changed} 户 / "
        f"{report.members_changed} 人，未变 {report.households_unchanged} 户，退回 {report.households_rejected} 户"
        f"{'（见退回表）' if outcome.rejects_path else ''}。"
    )
    if job.year is None and report.years:
        Job.objects.filter(pk=job.pk).update(year=report.years[0])
    return {"result": result, "message": message, "rejects_path": outcome.rejects_path or ""}


def _run_assessment(job: Job, reporter: Reporter) -> dict:
    from fupin.assessments.services import run_assessment

    reporter(10, "assess")
    run = run_assessment(job.year, region=job.region or None, user=job.user)
    result = {"run_id": run.pk, "households": run.households, "policy": run.policy, "year": run.year}
    return {"result": result, "message": f"已评估 {run.households} 户（{run.year} 年度）。"}


def _run_export(job: Job, reporter: Reporter) -> dict:
    region = job.region or ""
    out = job_dir(job) / f"export-{job.year}-{region or 'all'}.xlsx"
    households = export_registry(out, year=job.year, region=region,
                                 progress=lambda done, total: reporter(5 + 90 * done / max(total, 1), "export"))
    return {"result": {"households": households, "year": job.year, "region": region},
            "message": f"已导出 {households} 户（{job.year} 年度）。", "output_path": str(out)}


# The export itself is a registry service, shared with the command line.
from fupin.registry.services.exports import ExportRefused, export_registry, export_regions  # noqa: E402,F401
