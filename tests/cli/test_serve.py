"""``fupin serve`` for real: gunicorn and the job worker as subprocesses on a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEADLINE = 120  # seconds: a bound on waiting for the server and the job, not a timing assertion


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def fupin(*args: str, env: dict, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "fupin.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def serving(tmp_path, **extra_env):
    """``fupin serve`` on a free port with its own database, queue and files; (base URL, env, log)."""
    db = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    env = {**os.environ, "FUPIN_DB": db, "FUPIN_STATIC_ROOT": str(tmp_path / "static"),
           "FUPIN_JOBS_DIR": str(tmp_path / "jobs"), "FUPIN_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
           "FUPIN_SECRET_KEY": "test-serve-" + "k" * 40, **extra_env}
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "fupin.cli", "serve", "--db", db, "--port", str(port), "--workers", "1",
         "--threads", "2"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + DEADLINE
    try:
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if fetch(base + "/accounts/login/")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, "server did not answer in time"
            time.sleep(0.5)
        yield base, env, tmp_path / "serve.log"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        finally:
            if process.poll() is None:
                process.kill()
            log.close()
    assert process.returncode == 0, (tmp_path / "serve.log").read_text()


@pytest.fixture
def served(tmp_path):
    with serving(tmp_path) as running:
        yield running


def wait_for_job(base: str, job_id: int, auth: dict) -> dict:
    deadline = time.monotonic() + DEADLINE
    while True:
        job = json.loads(fetch(f"{base}/api/jobs/{job_id}", headers=auth)[1])
        if job["finished"] or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_serve_answers_pages_api_docs_static_files_and_runs_jobs_in_its_worker(served, tmp_path):
    base, env, log_path = served
    status, body = fetch(base + "/accounts/login/")
    assert status == 200 and b"csrfmiddlewaretoken" in body
    status, body = fetch(base + "/api/docs")
    assert status == 200 and b"swagger" in body.lower()
    assert fetch(base + "/static/ninja/swagger-ui.css")[0] == 200

    fupin("createuser", "--username", "operator", "--role", "county", "--region", "500101", "--password-stdin",
          env=env, stdin="Correct-Horse-42\n")
    token = fupin("token", "operator", env=env).strip()
    auth = {"Authorization": f"Bearer {token}"}

    from fupin.io import write_registry
    from fupin.synth import generate

    workbook = tmp_path / "upload.xlsx"
    write_registry(workbook, *generate(20, 2020, region="500101102", seed=4))
    data, content_type = multipart({"year": "2020"}, "file", workbook)
    status, body = fetch(base + "/api/jobs/import", data=data, headers={**auth, "Content-Type": content_type})
    assert status == 201, body
    job_id = json.loads(body)["id"]
    deadline = time.monotonic() + DEADLINE
    while True:
        job = json.loads(fetch(f"{base}/api/jobs/{job_id}", headers=auth)[1])
        if job["finished"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "done" and job["result"]["households_new"] == 20, job

    status, body = fetch(base + "/api/households?year=2020&status=%E5%B7%B2%E8%84%B1%E8%B4%AB", headers=auth)
    assert status == 200
    deadline = time.monotonic() + DEADLINE
    while '"GET /api/households" 200' not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)  # gunicorn writes the access line after the response
    log = log_path.read_text()
    assert '"GET /api/households" 200' in log
    assert "year=2020" not in log and "status=" not in log


PROVINCE = """name = "chongqing-test"
version = "2022.1"
region = "50"

[monitoring_line]
2022 = { value = 7000, source = "test: a provincial monitoring line", confidence = "—" }
"""


def test_serve_with_a_provincial_policy_assesses_2022_from_the_api_and_hands_the_leads_to_the_villages(tmp_path):
    """The deployment's policy (FUPIN_POLICY) reaches the web and the job worker: 2022 has no
    national monitoring line, so this only works when the province's file is used."""
    province = tmp_path / "chongqing.toml"
    province.write_text(PROVINCE, encoding="utf-8")
    with serving(tmp_path, FUPIN_POLICY=str(province)) as (base, env, _log):
        fupin("createuser", "--username", "county", "--role", "county", "--region", "500101", "--password-stdin",
              env=env, stdin="Correct-Horse-42\n")
        county = {"Authorization": f"Bearer {fupin('token', 'county', env=env).strip()}"}

        from fupin.io import write_registry
        from fupin.synth import generate

        workbook = tmp_path / "registry-2022.xlsx"
        write_registry(workbook, *generate(300, 2022, region="500101102", seed=5))
        data, content_type = multipart({}, "file", workbook)
        status, body = fetch(base + "/api/jobs/import", data=data, headers={**county, "Content-Type": content_type})
        assert status == 201, body
        assert wait_for_job(base, json.loads(body)["id"], county)["status"] == "done"

        status, body = fetch(base + "/api/jobs/assess", data=json.dumps({"year": 2022}).encode(),
                             headers={**county, "Content-Type": "application/json"})
        assert status == 201, body
        job = wait_for_job(base, json.loads(body)["id"], county)
        assert job["status"] == "done", job
        assert "chongqing-test@2022.1" in job["result"]["policy"] and job["result"]["leads_created"] > 0

        leads = json.loads(fetch(base + "/api/monitoring/leads?limit=500", headers=county)[1])
        assert len(leads) == job["result"]["leads_created"]
        village = max({lead["region_code"] for lead in leads}, key=lambda c: sum(x["region_code"] == c for x in leads))
        fupin("createuser", "--username", "cadre", "--role", "village", "--region", village, "--password-stdin",
              env=env, stdin="Correct-Horse-42\n")
        cadre = {"Authorization": f"Bearer {fupin('token', 'cadre', env=env).strip()}"}
        theirs = json.loads(fetch(base + "/api/monitoring/leads?limit=500", headers=cadre)[1])
        assert theirs and {lead["region_code"] for lead in theirs} == {village}
        assert {lead["id"] for lead in theirs} == {lead["id"] for lead in leads if lead["region_code"] == village}

        status, body = fetch(base + "/api/policy?year=2022", headers=county)
        assert status == 403  # the values with their sources are for analysts and administrators
