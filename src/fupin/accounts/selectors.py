"""Reads of the accounts app, within a scope."""

from __future__ import annotations

from django.db.models import QuerySet

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Scope


def sensitive_views(scope: Scope) -> QuerySet:
    """Every full view and download of personal data in the scope's region, newest first."""
    return SensitiveView.objects.within(scope).select_related("user").order_by("-at", "-pk")
