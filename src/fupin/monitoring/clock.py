"""The one clock of the monitoring workflow: services take ``now`` and default to this.

Tests pass ``now`` to services, or monkeypatch :func:`now` for pages, so deadlines can be
checked on any day without waiting.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today(at: datetime | None = None) -> date:
    return timezone.localdate(at or now())
