"""Account services: create users with a role and a scope, issue and revoke tokens, throttle logins.

Login throttling is keyed by (account, IP address) and by IP address, never by the account alone:
someone who knows a user name can slow themselves down, not lock the user out from their own
address. Every login path (the workbench's form, the admin's) goes through Django's
``authenticate`` and so through :class:`fupin.accounts.backends.ThrottledModelBackend`.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from fupin import divisions
from fupin.accounts.models import ApiToken, FailedLogin, Role, User

MAX_FAILED_LOGINS = 5             # per account and address, within LOCKOUT
MAX_FAILED_FROM_ADDRESS = 20      # per address, whatever the accounts tried
LOCKOUT = timedelta(minutes=15)
TOKEN_DAYS = 90


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


# The level of region each working role is responsible for; analysts, stewards and
# administrators may be given any level (or the whole country).
ROLE_LEVEL = {Role.VILLAGE: "village", Role.TOWN: "town", Role.COUNTY: "county"}
LEVEL_NAME = {"province": "省", "city": "市", "county": "县（区）", "town": "乡镇", "village": "村"}


def _scope_for_role(role: str, region: str) -> str:
    """The user's scope prefix, refused when the code names no official division or a level
    the role does not work at (a town official scoped to one village sees too little)."""
    prefix = normalize_scope(region)
    if not prefix:
        if role in ROLE_LEVEL:
            raise AccountError(f"{LEVEL_NAME[ROLE_LEVEL[role]]}级用户必须指定区划代码 (a {role} user needs a region)")
        return prefix
    code = divisions.pad12(prefix)
    level = divisions.level_of(code)
    # Villages are registered by imports, so a village is checked through its official town.
    official = divisions.town_of(code) if level == "village" else code
    if official not in divisions.names():
        raise AccountError(f"区划代码 {region} 不存在于官方区划表中 (no such division)")
    wanted = ROLE_LEVEL.get(role)
    if wanted and level != wanted:
        raise AccountError(
            f"角色 {role} 应使用{LEVEL_NAME[wanted]}级区划代码，{region} 是{LEVEL_NAME[level]}级 "
            f"(a {role} user needs a {wanted} code; {region} is a {level})")
    return prefix


@transaction.atomic
def create_user(username: str, role: str, region: str, password: str, *, email: str = "") -> User:
    if role not in Role.values:
        raise AccountError(f"角色 {role!r} 不存在，可选：{', '.join(Role.values)} (unknown role)")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名 {username} 已存在 (user already exists)")
    user = User(username=username, role=role, region=_scope_for_role(role, region), email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("密码不符合要求 (password rejected)：" + "；".join(exc.messages)) from None
    user.set_password(password)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save()
    return user


def _active_user(username: str) -> User:
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise AccountError(f"用户 {username} 不存在或已停用 (no such active user)") from None


@transaction.atomic
def issue_token(username: str, *, days: int = TOKEN_DAYS) -> str:
    """A new token of the user, valid ``days`` days; the user's earlier tokens are revoked (one
    token in use at a time, so a lost one is replaced by issuing a new one)."""
    if not 1 <= days <= 3650:
        raise AccountError("有效期应为 1–3650 天 (days must be 1–3650)")
    user = _active_user(username)
    now = timezone.now()
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    return ApiToken.issue(user, expires_at=now + timedelta(days=days))


def revoke_tokens(username: str) -> int:
    """Revoke every token of the user; the number revoked."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise AccountError(f"用户 {username} 不存在 (no such user)")
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def tokens_of(username: str) -> list[ApiToken]:
    """The user's tokens, newest first (the digests only: a token is shown once, when issued)."""
    return list(ApiToken.objects.filter(user__username=username).order_by("-created_at", "-pk"))


def user_for_token(token: str) -> User | None:
    now = timezone.now()
    found = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), user__is_active=True, revoked_at__isnull=True)
        .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
        .first()
    )
    if found is None:
        return None
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


def login_locked(username: str, ip: str) -> bool:
    """Too many recent failures for this account from this address, or from this address at all."""
    recent = FailedLogin.objects.filter(at__gte=timezone.now() - LOCKOUT)
    from_here = recent.filter(ip=ip[:45])
    return (from_here.filter(username=username[:150]).count() >= MAX_FAILED_LOGINS
            or from_here.count() >= MAX_FAILED_FROM_ADDRESS)


def record_failed_login(username: str, ip: str) -> None:
    FailedLogin.objects.create(username=username[:150], ip=ip[:45])


def clear_failed_logins(username: str, ip: str) -> None:
    FailedLogin.objects.filter(username=username[:150], ip=ip[:45]).delete()
