"""API authentication: ``Authorization: Bearer TOKEN`` or the browser session (with CSRF)."""

from __future__ import annotations

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from fupin.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None:
            # A wrong token is refused outright, never retried as the browser session.
            raise AuthenticationError
        request.user = user
        return user


class ActiveSession(SessionAuth):
    """The logged-in browser session; unsafe methods need the CSRF token (ninja checks it)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerToken(), ActiveSession(csrf=True)]
