"""The roles a user can have (one per user)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Labels in the reader's language (zh-hans catalogue: 村干部 …); the stored values never change.
    VILLAGE = "village", _("Village cadre")
    TOWN = "town", _("Town official")
    COUNTY = "county", _("County officer")
    ANALYST = "analyst", _("Analyst (read-only)")
    STEWARD = "steward", _("Department data steward")
    ADMIN = "admin", _("Administrator")
