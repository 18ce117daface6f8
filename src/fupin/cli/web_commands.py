"""Serving commands: ``fupin serve`` (web server and job worker) and ``fupin worker``.

``serve`` brings the database up to date, collects the static files (served by WhiteNoise),
then supervises two children: gunicorn with threaded workers serving ``fupin.site.wsgi``, and
the huey consumer that runs background jobs. A worker that dies is restarted; stopping
``serve`` (Ctrl-C or SIGTERM) stops both. The access log never records query strings or
referrers: a search by ID number or phone may be in them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fupin.cli import UserError, argument, command

# Method and path only (``%(U)s`` is PATH_INFO without the query string); no referrer.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
RESTART_DELAY = 2.0
STOP_TIMEOUT = 30.0


def _die_with_parent() -> None:
    """Children get SIGTERM if ``serve`` itself is killed (Linux), so none is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def gunicorn_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "fupin.site.wsgi:application",
        "--bind", f"{host}:{port}",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
        "--error-logfile", "-", "--graceful-timeout", "20", "--timeout", "120",
        "--forwarded-allow-ips", "127.0.0.1", "--no-control-socket",
    ]


def worker_command(*, workers: int) -> list[str]:
    return [sys.executable, "-m", "fupin.jobs.worker", "--workers", str(workers)]


def _prepare(db: str | None) -> None:
    """Migrations and divisions, then the static files into STATIC_ROOT."""
    from fupin.site.bootstrap import setup

    setup(db)
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()


def _stop(process: subprocess.Popen | None, first_signal: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(first_signal)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@command("serve", help="启动网页服务和后台任务进程 (serve the web app and the job worker for production use)")
@argument("--db", help="数据库地址 (sqlite:///file or postgresql://...); default FUPIN_DB or ./fupin.sqlite3")
@argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1; 0.0.0.0 for all)")
@argument("--port", type=int, default=8000)
@argument("--workers", type=int, default=2, help="web worker processes (default 2)")
@argument("--threads", type=int, default=8, help="threads per web worker (default 8)")
@argument("--job-workers", type=int, default=1, help="background job threads (default 1)")
def serve_command(args) -> int:
    if not 0 < args.port < 65536:
        raise UserError(f"端口 {args.port} 不正确 (port must be 1–65535)")
    if args.workers < 1 or args.threads < 1 or args.job_workers < 1:
        raise UserError("--workers、--threads、--job-workers 必须为正数 (must be positive)")
    if args.db:
        os.environ["FUPIN_DB"] = args.db
    if not os.environ.get("FUPIN_SECRET_KEY"):
        print("提示：未设置 FUPIN_SECRET_KEY，正在使用开发用密钥；生产环境请设置。"
              " (FUPIN_SECRET_KEY is not set: using the development key)", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost") and not os.environ.get("FUPIN_ALLOWED_HOSTS"):
        print("提示：请在 FUPIN_ALLOWED_HOSTS 中列出本服务的域名或地址。"
              " (list this server's host names in FUPIN_ALLOWED_HOSTS)", file=sys.stderr)
    _prepare(args.db)

    web_cmd = gunicorn_command(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    job_cmd = worker_command(workers=args.job_workers)
    stopping = {"signal": None}

    def on_signal(signum, _frame):
        stopping["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    web = jobs = None
    try:
        jobs = subprocess.Popen(job_cmd, preexec_fn=_die_with_parent, start_new_session=True)
        web = subprocess.Popen(web_cmd, preexec_fn=_die_with_parent, start_new_session=True)
        print(f"fupin 已启动 (serving) http://{args.host}:{args.port}/  — Ctrl-C 停止 (to stop)", flush=True)
        while stopping["signal"] is None:
            if web.poll() is not None:
                print(f"网页服务已退出 (web server exited with {web.returncode})", file=sys.stderr)
                break
            if jobs.poll() is not None:
                print(f"后台任务进程已退出 ({jobs.returncode})，正在重启 (job worker exited; restarting)",
                      file=sys.stderr)
                time.sleep(RESTART_DELAY)
                jobs = subprocess.Popen(job_cmd, preexec_fn=_die_with_parent, start_new_session=True)
            time.sleep(0.5)
    finally:
        _stop(web, signal.SIGTERM)           # gunicorn: graceful shutdown
        _stop(jobs, signal.SIGINT)           # huey: finish the running job, then stop
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopping["signal"] is not None:
        return 0
    return web.returncode if web is not None and web.returncode else 1


@command("worker", help="只运行后台任务进程 (run the background job worker only)")
@argument("--db", help="数据库地址; default FUPIN_DB or ./fupin.sqlite3")
@argument("--workers", type=int, default=1, help="job threads (default 1)")
def worker_command_cli(args) -> int:
    from fupin.jobs.worker import run_consumer

    run_consumer(db=args.db, workers=max(1, args.workers), migrate=True)
    return 0
