"""Web latency under load: does a page cost the same on a big registry as on a small one?

Builds (once, then reuses) a synthetic registry of each size in its own database, assessed so
that the dashboards have figures; starts ``fupin serve`` on 127.0.0.1 against each; and sends
a fixed number of requests from 16 concurrent clients (threads with keep-alive connections) to

* the household list page, a search (POST, by ID number), a household page, the county
  dashboard page, and the API household list (token),

printing p50 / p95 per scenario and size (median of ``--runs`` runs), then the ratio of the
largest size's p95 to the smallest's (the baseline). Goal of issue 4: p95 under 200 ms at 1M
households in PostgreSQL and no more than 1.5x the 10,000-household figure.

    .venv/bin/python benchmarks/bench_web.py                                 # 10k vs 50k, SQLite
    .venv/bin/python benchmarks/bench_web.py --sizes 10000,1000000 \\
        --db-base postgresql://postgres@127.0.0.1:5432/                      # the issue's figure

Every loop is bounded (a fixed request count; waits have deadlines); only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

YEAR = 2020
COUNTY = "500101"  # 万州区
USERNAME, PASSWORD = "bench-county", "Bench-Password-2020"
SAMPLE = 200
DATA = Path(__file__).resolve().parent / "data"
DASHBOARD_CANDIDATES = ("/regions/{code}/", "/dashboard/{code}/")
READY_DEADLINE = 600.0


# --- building the databases (run in a child process per database) ------------------------

def db_url(base: str, size: int) -> str:
    if base.startswith("postgres"):
        return base.rstrip("/") + f"/fupin_bench_{size}"
    DATA.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA / f'bench_{size}.sqlite3'}"


def ensure_postgres_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def populate(url: str, size: int) -> dict:
    """The registry of ``size`` households (built when missing), a user, a token, samples."""
    from fupin.site.bootstrap import setup

    setup(url)
    from fupin.accounts.models import User
    from fupin.accounts.scoping import Scope
    from fupin.accounts.services import create_user, issue_token
    from fupin.registry.models import Household, Member

    # The benchmark is the operator here: every read and write through the system scope.
    everywhere = Scope.system()
    stored = Household.objects.within(everywhere).filter(year=YEAR).count()
    if stored not in (0, size):
        raise SystemExit(f"{url} holds {stored} households, not {size}: remove it to rebuild")
    if stored == 0:
        from fupin.application import assessment
        from fupin.application import policy as policy_provider
        from fupin.registry.services.imports import import_frames
        from fupin.synth import generate

        started = time.perf_counter()
        households, members, regions = generate(size, YEAR, region=COUNTY, seed=2020)
        import_frames(households, members, regions, scope=everywhere, source="bench", source_format="synth")
        del households, members
        assessment.assess_year(Scope.system(COUNTY), policy_provider.current(), YEAR)
        print(f"  built {size} households in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not User.objects.filter(username=USERNAME).exists():
        create_user(USERNAME, "county", COUNTY, PASSWORD)
    step = max(size // SAMPLE, 1)
    every = list(Household.objects.within(everywhere).filter(year=YEAR).order_by("id")
                 .values_list("household_id", flat=True))
    ids = every[::step][:SAMPLE]
    heads = dict(Member.objects.within(everywhere).filter(year=YEAR, household_key__in=ids, relationship="户主")
                 .values_list("household_key", "id_number"))
    return {"token": issue_token(USERNAME), "ids": ids, "id_numbers": [heads[i] for i in ids if i in heads]}


# --- the server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, workers: int, threads: int, log: Path):
        self.port = free_port()
        self.log = open(log, "wb")
        env = {**os.environ, "FUPIN_DB": url, "FUPIN_STATIC_ROOT": str(DATA / "static"),
               "FUPIN_JOBS_DIR": str(DATA / "jobs"),
               "FUPIN_QUEUE_PATH": str(DATA / f"queue_{self.port}.sqlite3"),
               # serve refuses the public development key; a fresh one per benchmark server.
               "FUPIN_SECRET_KEY": os.environ.get("FUPIN_SECRET_KEY") or secrets.token_urlsafe(50)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fupin.cli", "serve", "--db", url, "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--threads", str(threads)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + READY_DEADLINE
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"fupin serve exited; see {log}")
            try:
                if request(self.port, "GET", "/accounts/login/")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("fupin serve did not answer in time")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            conn: http.client.HTTPConnection | None = None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Set-Cookie") or ""
    finally:
        if own:
            conn.close()


def login(port: int) -> dict:
    """Session and CSRF cookies of the bench user, as a browser would get them."""
    status, page, cookie = request(port, "GET", "/accounts/login/")
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    status, _body, cookie = request(port, "POST", "/accounts/login/", body=form.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"})
    session = re.search(r"sessionid=([^;]+)", cookie)
    if status != 302 or not session:
        raise SystemExit(f"login of {USERNAME} failed (HTTP {status})")
    return {"cookie": f"csrftoken={csrf_cookie}; sessionid={session.group(1)}", "csrf": csrf_cookie}


# --- load ----------------------------------------------------------------------------------

def scenarios(port: int, auth: dict, sample: dict) -> dict[str, callable]:
    cookie = {"Cookie": auth["cookie"]}
    bearer = {"Authorization": f"Bearer {sample['token']}"}
    dashboard = next((p.format(code=COUNTY) for p in DASHBOARD_CANDIDATES
                      if request(port, "GET", p.format(code=COUNTY), headers=cookie)[0] == 200), None)

    def search_body(i: int) -> bytes:
        q = sample["id_numbers"][i % len(sample["id_numbers"])]
        return urllib.parse.urlencode({"q": q, "year": YEAR, "csrfmiddlewaretoken": auth["csrf"]}).encode()

    plan = {
        "household list": lambda i: ("GET", f"/households/?year={YEAR}&page={1 + i % 20}", None, cookie),
        "search (ID number)": lambda i: ("POST", "/households/", search_body(i), {
            **cookie, "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": auth["csrf"]}),
        "household page": lambda i: ("GET", f"/households/{sample['ids'][i % len(sample['ids'])]}/?year={YEAR}",
                                     None, cookie),
        "API household list": lambda i: ("GET", f"/api/households?year={YEAR}&page={1 + i % 20}", None, bearer),
    }
    if dashboard:
        plan["county dashboard"] = lambda i: ("GET", dashboard, None, cookie)
    else:
        print(f"  (no dashboard page answered at {', '.join(DASHBOARD_CANDIDATES)}: skipped)", file=sys.stderr)
    return plan


def load(port: int, make, *, clients: int, total: int) -> list[float]:
    """``total`` requests from ``clients`` threads; latencies in ms. Non-2xx/3xx answers abort."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_client = total // clients

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        try:
            for n in range(per_client):
                method, path, body, headers = make(k * per_client + n)
                started = time.perf_counter()
                status, _body, _cookie = request(port, method, path, body=body, headers=headers, conn=conn)
                mine.append((time.perf_counter() - started) * 1000)
                if status >= 400:
                    errors.append(f"{method} {path.split('?')[0]} -> {status}")
                    return
        except OSError as exc:
            errors.append(repr(exc))
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"requests failed: {errors[:3]}")
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(url: str, size: int, args) -> dict[str, tuple[float, float]]:
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    print(f"[{size} households] preparing {url}", file=sys.stderr)
    built = subprocess.run([sys.executable, __file__, "--populate", url, "--size", str(size)],
                           capture_output=True, text=True)
    if built.returncode:
        raise SystemExit(built.stderr)
    sys.stderr.write(built.stderr)
    sample = json.loads(built.stdout.strip().splitlines()[-1])
    DATA.mkdir(parents=True, exist_ok=True)
    server = Server(url, args.workers, args.threads, DATA / f"serve_{size}.log")
    try:
        auth = login(server.port)
        plan = scenarios(server.port, auth, sample)
        figures = {}
        for name, make in plan.items():
            load(server.port, make, clients=args.clients, total=args.clients * 2)  # warm-up
            runs = [load(server.port, make, clients=args.clients, total=args.requests) for _ in range(args.runs)]
            p50 = statistics.median(percentile(r, 0.50) for r in runs)
            p95 = statistics.median(percentile(r, 0.95) for r in runs)
            figures[name] = (p50, p95)
            print(f"  {name:22s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", file=sys.stderr)
        return figures
    finally:
        server.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000", help="household counts, smallest first (baseline)")
    parser.add_argument("--db-base", default="sqlite", help="'sqlite' (benchmarks/data/) or postgresql://…/")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=320, help="requests per scenario and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--populate", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.populate:
        print(json.dumps(populate(args.populate, args.size)))
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {size: measure(db_url(args.db_base, size), size, args) for size in sizes}
    base, top = sizes[0], sizes[-1]
    backend = "PostgreSQL" if args.db_base.startswith("postgres") else "SQLite"
    print(f"\nfupin web latency, {backend}, {args.clients} clients, {args.requests} requests x "
          f"{args.runs} runs per scenario (median of runs); baseline = {base} households")
    header = f"{'scenario':22s}" + "".join(f" | {f'{s} p50':>11s} {f'{s} p95':>11s}" for s in sizes) \
        + f" | {'p95 ratio':>9s}"
    print(header)
    print("-" * len(header))
    for name in results[base]:
        cells = "".join(f" | {results[s][name][0]:8.1f} ms {results[s][name][1]:8.1f} ms" for s in sizes)
        ratio = results[top][name][1] / results[base][name][1] if results[base][name][1] else float("nan")
        print(f"{name:22s}{cells} | {ratio:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
