"""Django's model authentication behind the login throttle: every login path goes through it."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from fupin.accounts.services import clear_failed_logins, login_locked, record_failed_login


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:45] or "unknown"


class ThrottledModelBackend(ModelBackend):
    """Refuses (PermissionDenied stops Django trying further backends) while the account is
    throttled from this address; records failures and clears them on success."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self.UserModel.USERNAME_FIELD)
        username = (username or "").strip()
        address = client_address(request)
        if username and login_locked(username, address):
            raise PermissionDenied("too many failed logins from this address")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            if user is None:
                record_failed_login(username, address)
            else:
                clear_failed_logins(username, address)
        return user
