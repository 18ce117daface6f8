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
        raw = url.split("://", 1)[1]
        path = raw[1:] if raw.startswith("/") else raw
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
