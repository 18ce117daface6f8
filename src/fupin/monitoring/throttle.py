"""Rate limits of the public pages, stored in the database (shared by every server process).

Keys are salted SHA-256 hashes of what is limited (IP address, ID number), so neither is
stored. Limits are settings: ``FUPIN_DECLARE_LIMITS`` = {scope: (attempts, seconds)}.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings

from fupin.monitoring import clock
from fupin.monitoring.models import Throttle

DEFAULT_LIMITS = {
    "declare_ip": (10, 3600),       # declarations from one IP address per hour
    "declare_id": (3, 86400),       # declarations for one ID number per day
    "lookup_ip": (30, 3600),        # receipt lookups from one IP per hour
}


def _limits(scope: str) -> tuple[int, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "FUPIN_DECLARE_LIMITS", {})}[scope]


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}|{scope}|{value}".encode()).hexdigest()


def allow(scope: str, value: str, *, now: datetime | None = None) -> bool:
    """Record one attempt; False when the limit of the window is already reached."""
    at = now or clock.now()
    limit, seconds = _limits(scope)
    key = _key(scope, value)
    since = at - timedelta(seconds=seconds)
    if Throttle.objects.filter(key=key, at__gte=since).count() >= limit:
        return False
    Throttle.objects.create(key=key, at=at)
    Throttle.objects.filter(at__lt=at - timedelta(days=2)).delete()
    return True
