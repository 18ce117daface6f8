"""Users with one role and one region scope; API tokens; failed-login records; PII access log."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from fupin.accounts.roles import Role
from fupin.accounts.scoping import ScopedManager

__all__ = ["Role", "User", "ApiToken", "FailedLogin", "SensitiveView"]


class User(AbstractUser):
    """A user sees and changes only what lies under ``region`` (a division-code prefix)."""

    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.VILLAGE)
    region = models.CharField("管辖区划", max_length=12, blank=True, default="",
                              help_text="区划代码前缀；空 = 全国 (division-code prefix; empty = whole country)")

    class Meta:
        verbose_name = "用户"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, expires_at=None) -> str:
        token = "fp_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=cls.digest_of(token), expires_at=expires_at)
        return token


class FailedLogin(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True, db_index=True)


class SensitiveView(models.Model):
    """Every display of a full ID number or phone: who, when, whose (by household key and region)."""

    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    household_id = models.CharField(max_length=64)
    year = models.IntegerField()
    region_code = models.CharField(max_length=12, blank=True, default="")
    what = models.CharField(max_length=32)

    objects = ScopedManager("region_code")
