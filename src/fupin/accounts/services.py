"""Account services: create users with a role and a scope, issue tokens, throttle logins."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fupin import divisions
from fupin.accounts.models import ApiToken, FailedLogin, Role, User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AccountError(ValueError):
    pass


def normalize_scope(code: str) -> str:
    """A division code or prefix → the prefix that selects its subtree ('' = whole country)."""
    code = (code or "").strip()
    if code in ("", "0", "000000000000"):
        return ""
    if not code.isdigit() or len(code) > 12:
        raise AccountError(f"区划代码 {code!r} 不正确：应为 2–12 位数字 (region code must be 2–12 digits)")
    return divisions.scope_prefix(code)


@transaction.atomic
def create_user(username: str, role: str, region: str, password: str, *, email: str = "") -> User:
    if role not in Role.values:
        raise AccountError(f"角色 {role!r} 不存在，可选：{', '.join(Role.values)} (unknown role)")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名 {username} 已存在 (user already exists)")
    user = User(username=username, role=role, region=normalize_scope(region), email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("密码不符合要求 (password rejected)：" + "；".join(exc.messages)) from None
    user.set_password(password)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save()
    return user


def issue_token(username: str) -> str:
    try:
        user = User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise AccountError(f"用户 {username} 不存在或已停用 (no such active user)") from None
    return ApiToken.issue(user)


def user_for_token(token: str) -> User | None:
    found = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), user__is_active=True)
        .first()
    )
    if found is None:
        return None
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user


def login_locked(username: str) -> bool:
    since = timezone.now() - LOCKOUT
    return FailedLogin.objects.filter(username=username, at__gte=since).count() >= MAX_FAILED_LOGINS


def record_failed_login(username: str, ip: str) -> None:
    FailedLogin.objects.create(username=username[:150], ip=ip[:45])


def clear_failed_logins(username: str) -> None:
    FailedLogin.objects.filter(username=username).delete()
