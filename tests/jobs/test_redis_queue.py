"""Redis is optional in production: FUPIN_REDIS_URL switches the queue to the Redis server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

REDIS = ("127.0.0.1", 6379)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_queue_and_progress_go_through_redis_when_configured():
    pytest.importorskip("redis", reason="the redis client is the optional 'redis' extra")
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'fupin.site.settings'); django.setup()\n"
        "from huey import RedisHuey\n"
        "from fupin.jobs import queue\n"
        "assert isinstance(queue.huey, RedisHuey), type(queue.huey)\n"
        "queue.put_progress(424242, 37, 'read')\n"
        "print(queue.peek_progress(424242))\n"
        "queue.clear_progress(424242)\n"
        "print(queue.peek_progress(424242))\n"
    )
    env = {**os.environ, "FUPIN_REDIS_URL": "redis://127.0.0.1:6379/15"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["(37, 'read')", "None"]
