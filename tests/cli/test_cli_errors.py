"""Mistakes a user makes on the command line: one line saying what to do, exit code 2, and
nothing created on the way (no empty database from a typo)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fupin.cli import build_parser

PG = "postgresql://postgres@127.0.0.1:5432"


def fupin(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("FUPIN_DB", "FUPIN_SECRET_KEY")}
    return subprocess.run([sys.executable, "-m", "fupin.cli", *args], cwd=cwd, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=300)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def pg_server_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


needs_pg = pytest.mark.skipif(not pg_server_up(), reason="needs the PostgreSQL server on 127.0.0.1:5432")


def test_database_path_without_scheme_names_the_url_to_write(tmp_path):
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db", "fupin.sqlite3", cwd=tmp_path))
    assert "sqlite:///fupin.sqlite3" in line
    assert list(tmp_path.iterdir()) == []


def test_unknown_database_scheme_is_refused(tmp_path):
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db", "mysql://h/x", cwd=tmp_path))
    assert "不支持的数据库地址" in line


def test_reading_command_on_a_mistyped_sqlite_file_creates_no_database(tmp_path):
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db", "sqlite:///typo.sqlite3",
                               cwd=tmp_path))
    assert "typo.sqlite3" in line and "不存在" in line
    assert list(tmp_path.iterdir()) == [], "a typo must not leave an empty migrated database behind"


def test_mistyped_input_file_is_refused_before_a_database_is_created(tmp_path):
    line = one_line_error(fupin("import", "registy.xlsx", "--db", "sqlite:///new.sqlite3", cwd=tmp_path))
    assert "registy.xlsx" in line
    assert list(tmp_path.iterdir()) == []
    line = one_line_error(fupin("assess", "--year", "2020", "--input", "nope", "--db", "sqlite:///new.sqlite3",
                               "--out", "v.csv", cwd=tmp_path))
    assert "nope" in line and list(tmp_path.iterdir()) == []


@needs_pg
def test_missing_postgresql_database_gives_the_createdb_command(tmp_path):
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db", f"{PG}/fupin_no_such_db",
                               cwd=tmp_path))
    assert "createdb -h 127.0.0.1 -p 5432 -U postgres fupin_no_such_db" in line


@needs_pg
def test_missing_postgresql_role_gives_the_createuser_command(tmp_path):
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db",
                               "postgresql://fupin_no_such_role@127.0.0.1:5432/test", cwd=tmp_path))
    assert "createuser" in line and "fupin_no_such_role" in line


def test_unreachable_postgresql_server_names_host_and_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    line = one_line_error(fupin("export", "--year", "2020", "--out", "x.xlsx", "--db",
                               f"postgresql://postgres@127.0.0.1:{port}/x", cwd=tmp_path))
    assert f"127.0.0.1:{port}" in line


def test_serve_refuses_to_start_with_the_public_development_key(tmp_path):
    line = one_line_error(fupin("serve", "--db", f"sqlite:///{tmp_path / 's.sqlite3'}", cwd=tmp_path))
    assert "FUPIN_SECRET_KEY" in line


def test_serve_on_an_occupied_port_says_so_before_announcing_itself(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = fupin("serve", "--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "--port", str(port), cwd=tmp_path,
                       env={"FUPIN_SECRET_KEY": "k" * 50, "FUPIN_STATIC_ROOT": str(tmp_path / "static")})
    line = one_line_error(result)
    assert f"端口 {port} 已被占用" in line
    assert "已启动" not in result.stdout


def test_demo_keeps_its_own_secret_key_beside_its_database(tmp_path, monkeypatch):
    from fupin.cli.registry import _use_demo_secret_key

    monkeypatch.delenv("FUPIN_SECRET_KEY", raising=False)
    _use_demo_secret_key(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    key_file = tmp_path / "fupin-demo.secret-key"
    first = os.environ["FUPIN_SECRET_KEY"]
    assert key_file.read_text() == first and len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0, "only its owner may read the key"
    monkeypatch.delenv("FUPIN_SECRET_KEY")
    _use_demo_secret_key(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    assert os.environ["FUPIN_SECRET_KEY"] == first, "a restarted demo keeps its key (and its logins)"


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    missing = []
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        for action in sub._actions:
            if action.help is None and action.dest != "help":
                missing.append(f"{name} {action.option_strings or action.dest}")
    assert missing == []
