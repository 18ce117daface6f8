"""The operator at the command line: every right, over the whole country or ``--region``."""

from __future__ import annotations

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.cli.commands import UserError


def operator_scope(region: str | None = None) -> Scope:
    """``Scope.system(region)``; a malformed ``--region`` is a one-line error."""
    try:
        return Scope.system(region or None)
    except Http404:
        raise UserError(f"区划代码不正确：{region} (region must be 2–12 digits)") from None
