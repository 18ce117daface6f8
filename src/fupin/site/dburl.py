"""Database URLs (``sqlite:///path``, ``postgresql://user@host:port/name``) → Django settings."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_URL = "sqlite:///fupin.sqlite3"


def current_url() -> str:
    return os.environ.get("FUPIN_DB") or DEFAULT_URL


def to_django(url: str) -> dict:
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy writes them
        path = sqlite_path(url)
        name = str(Path(path).expanduser().resolve()) if path not in ("", ":memory:") else ":memory:"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # WAL lets the web server read while an import writes; a busy timeout instead of
            # "database is locked" errors when the worker and a page write at once.
            "OPTIONS": {
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or "") or os.environ.get("PGUSER", "postgres"),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(
        f"不支持的数据库地址 {url!r}：请使用 sqlite:///文件 或 postgresql://用户@主机/库名 "
        f"(unsupported database URL; use sqlite:///path or postgresql://user@host/name)"
    )


class DatabaseUnavailable(Exception):
    """A database URL the command cannot use: printed as one line, with what to do."""


def sqlite_path(url: str) -> str:
    raw = url.split("://", 1)[1]
    return raw[1:] if raw.startswith("/") else raw


def check(url: str, *, must_exist: bool) -> None:
    """Refuse a URL before anything connects: a path typed without ``sqlite:///``, an unknown
    scheme, or (for a command that only reads) a SQLite file that is not there — a typo must not
    leave a new, empty, migrated database behind."""
    if "://" not in url:
        hint = f"sqlite:///{url}" if url.endswith((".sqlite3", ".sqlite", ".db")) else "sqlite:///fupin.sqlite3"
        raise DatabaseUnavailable(
            f"数据库地址 {url!r} 缺少类型前缀，请写成 {hint} 或 postgresql://用户@主机:端口/库名 "
            f"(a database URL needs its scheme, e.g. {hint})")
    scheme = urlparse(url).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise DatabaseUnavailable(
            f"不支持的数据库地址 {url!r}：请使用 sqlite:///文件 或 postgresql://用户@主机/库名 "
            f"(unsupported database URL; use sqlite:///path or postgresql://user@host/name)")
    if scheme == "sqlite" and must_exist:
        path = sqlite_path(url)
        if path not in ("", ":memory:") and not Path(path).expanduser().exists():
            raise DatabaseUnavailable(
                f"数据库文件 {path} 不存在：请检查 --db 或 FUPIN_DB；新建数据库请先用 fupin import 导入或 fupin demo "
                f"(no database file {path}; check --db / FUPIN_DB, or create one with fupin import)")


def explain_connection_error(url: str, error: Exception) -> DatabaseUnavailable | None:
    """PostgreSQL's refusals in words a user can act on, with the command that fixes them."""
    text = str(error)
    parsed = urlparse(url)
    host, port = parsed.hostname or "localhost", parsed.port or 5432
    user = unquote(parsed.username or "") or os.environ.get("PGUSER", "postgres")
    name = unquote(parsed.path.lstrip("/")) or "postgres"
    if "does not exist" in text and "database" in text:
        return DatabaseUnavailable(
            f"PostgreSQL 数据库 {name} 不存在：请先创建，例如 createdb -h {host} -p {port} -U {user} {name} "
            f"(database {name} does not exist; create it first)")
    if "does not exist" in text and "role" in text:
        return DatabaseUnavailable(
            f"PostgreSQL 用户 {user} 不存在：请先创建，例如 createuser -h {host} -p {port} -U postgres --createdb {user} "
            f"(role {user} does not exist; create it first)")
    if "password authentication failed" in text or "no password supplied" in text:
        return DatabaseUnavailable(
            f"PostgreSQL 拒绝了用户 {user} 的登录：请检查数据库地址中的用户和密码 "
            f"(password authentication failed for {user})")
    if "Connection refused" in text or "could not connect" in text or "connection failed" in text:
        return DatabaseUnavailable(
            f"无法连接 PostgreSQL 服务器 {host}:{port}：请确认服务已启动、地址和端口正确 "
            f"(cannot connect to PostgreSQL at {host}:{port})")
    return None
