"""The roles a user can have (one per user)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VILLAGE = "village", "村干部 (village cadre)"
    TOWN = "town", "乡镇干部 (town official)"
    COUNTY = "county", "区县干部 (county officer)"
    ANALYST = "analyst", "市/省分析人员 (analyst, read-only)"
    STEWARD = "steward", "部门数据专员 (department data steward)"
    ADMIN = "admin", "管理员 (administrator)"
