"""Serving commands: ``fupin serve`` (web server and job worker) and ``fupin worker``.

``serve`` brings the database up to date (the dispatcher has set Django up), collects the static
files (served by WhiteNoise), then supervises two children: gunicorn with threaded workers serving
``fupin.site.wsgi``, and the huey consumer that runs background jobs. Both inherit the policy
(``FUPIN_POLICY``, with ``serve``'s own ``--policy`` files added) so that the web, the API and the
jobs decide with the same files. A worker that dies is restarted; stopping ``serve`` (Ctrl-C or
SIGTERM) stops both. The access log never records query strings or referrers: a search by ID
number or phone may be in them.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from django.core.management import call_command
from django.db import connections

from fupin.application import jobs
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError

# Method and path only (``%(U)s`` is PATH_INFO without the query string); no referrer.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
log = logging.getLogger(__name__)
RESTART_DELAY = 2.0
STOP_TIMEOUT = 30.0


def _die_with_parent() -> None:
    """Children get SIGTERM if ``serve`` itself is killed (Linux), so none is left behind."""
    try:
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


def worker_process(*, workers: int) -> list[str]:
    """The job worker as a child: ``fupin worker`` (the same database and policy, by environment)."""
    return [sys.executable, "-m", "fupin.cli", "worker", "--workers", str(workers)]


def _prepare() -> None:
    """The static files into STATIC_ROOT (migrations have run when Django was set up)."""
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


def _check_port_free(host: str, port: int) -> None:
    """Refuse an occupied port before anything starts, instead of announcing the server and
    then letting gunicorn fail in its own words."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(f"端口 {port} 已被占用（可能已有一个 fupin 在运行）；请用 --port 换一个端口 "
                                f"(port {port} is already in use; choose another with --port)") from None
            raise UserError(f"无法在 {host}:{port} 上监听：{exc.strerror} (cannot listen on {host}:{port})") from None


def serve_command(args) -> int:
    if not 0 < args.port < 65536:
        raise UserError(f"端口 {args.port} 不正确 (port must be 1–65535)")
    if args.workers < 1 or args.threads < 1 or args.job_workers < 1:
        raise UserError("--workers、--threads、--job-workers 必须为正数 (must be positive)")
    if args.db:
        os.environ["FUPIN_DB"] = args.db
    if not os.environ.get("FUPIN_SECRET_KEY"):
        # The development key is public (it is in the source): sessions and CSRF tokens signed
        # with it could be forged, so a server never starts with it.
        raise UserError(
            "未设置 FUPIN_SECRET_KEY，网页服务不能启动。请设置一个随机密钥并妥善保存，例如："
            "export FUPIN_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
            " (FUPIN_SECRET_KEY is not set; a server never runs with the public development key)")
    _check_port_free(args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost") and not os.environ.get("FUPIN_ALLOWED_HOSTS"):
        print("提示：请在 FUPIN_ALLOWED_HOSTS 中列出本服务的域名或地址。"
              " (list this server's host names in FUPIN_ALLOWED_HOSTS)", file=sys.stderr)
    _prepare()
    print(f"政策 (policy): {policy_provider.current().identity}", flush=True)

    web_cmd = gunicorn_command(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    job_cmd = worker_process(workers=args.job_workers)
    stopping = {"signal": None}

    def on_signal(signum, _frame):
        stopping["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    web = jobs = None
    try:
        # Both children decide with this command's policy (FUPIN_POLICY plus --policy).
        env = policy_provider.environment()
        jobs = subprocess.Popen(job_cmd, preexec_fn=_die_with_parent, start_new_session=True, env=env)
        web = subprocess.Popen(web_cmd, preexec_fn=_die_with_parent, start_new_session=True, env=env)
        print(f"fupin 已启动 (serving) http://{args.host}:{args.port}/  — Ctrl-C 停止 (to stop)", flush=True)
        while stopping["signal"] is None:
            if web.poll() is not None:
                print(f"网页服务已退出 (web server exited with {web.returncode})", file=sys.stderr)
                break
            if jobs.poll() is not None:
                print(f"后台任务进程已退出 ({jobs.returncode})，正在重启 (job worker exited; restarting)",
                      file=sys.stderr)
                time.sleep(RESTART_DELAY)
                jobs = subprocess.Popen(job_cmd, preexec_fn=_die_with_parent, start_new_session=True, env=env)
            time.sleep(0.5)
    finally:
        _stop(web, signal.SIGTERM)           # gunicorn: graceful shutdown
        _stop(jobs, signal.SIGINT)           # huey: finish the running job, then stop
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopping["signal"] is not None:
        return 0
    return web.returncode if web is not None and web.returncode else 1


def worker_command(args) -> int:
    """The huey consumer over the queue of :mod:`fupin.jobs.queue`, running the jobs of
    :mod:`fupin.application.jobs` (Django is set up and migrated by the dispatcher)."""
    logging.basicConfig(level=os.environ.get("FUPIN_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    interrupted = jobs.mark_interrupted()
    if interrupted:
        log.warning("%s job(s) left running by a stopped worker marked failed", interrupted)
    connections.close_all()
    consumer = jobs.huey.create_consumer(workers=max(1, args.workers), worker_type="thread", periodic=False,
                                         check_worker_health=True)
    consumer.run()
    return 0
