"""The user's scope for a page, refused (403) when the role lacks what the page needs."""

from __future__ import annotations

from fupin.accounts.scoping import Capability, Scope


def scope_to(request, capability: str = Capability.READ) -> Scope:
    scope = Scope.of(request.user)
    scope.require_to(capability)
    return scope
