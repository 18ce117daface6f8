"""Problems of the rectification ledger with their actions and evidence, and listings (督战对象).

supervision-analytics.md B.1 (problem), B.2 (actions: :mod:`fupin.supervision.ledger_workflow`
holds the one table of them), A.2 (listing). Every model reads through a scope (its region code);
problems and listings keep their history (simple_history), each action is also one
:class:`ProblemAction` row (who, when, from which state to which).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from fupin.accounts.scoping import ScopedManager
from fupin.io import ledger as ledger_io

# The keys and labels of B.1 are the io's (the ledger file reads them); the models choose from them.
SOURCE_CHOICES = list(ledger_io.SOURCES.items())
CATEGORY_CHOICES = list(ledger_io.CATEGORIES.items())


class State(models.TextChoices):
    NEW = "new", "待签收"
    CLAIMED = "claimed", "已签收"
    RECTIFYING = "rectifying", "整改中"
    PENDING = "pending", "待核验"
    CLOSED = "closed", "已销号"
    VOID = "void", "已撤销"


OPEN_STATES = (State.NEW, State.CLAIMED, State.RECTIFYING, State.PENDING)


class Problem(models.Model):
    """One problem on the ledger (B.1)."""

    problem_id = models.CharField("问题编号", max_length=100, unique=True)
    year = models.IntegerField("年度", db_index=True)
    # B.4's natural key of an automatic problem (quality:…, lead:…); empty for imported ones.
    natural_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    source = models.CharField("问题来源", max_length=20, choices=SOURCE_CHOICES)
    source_ref = models.CharField("来源文件", max_length=200, blank=True, default="")
    region_code = models.CharField("责任区划", max_length=12)
    category = models.CharField("问题类别", max_length=16, choices=CATEGORY_CHOICES)
    description = models.TextField("问题描述")
    household_id = models.CharField("户编号", max_length=64, blank=True, default="")
    finding_code = models.CharField("问题代码", max_length=8, blank=True, default="")
    lead_id = models.BigIntegerField("线索", null=True, blank=True)
    lead_unit = models.CharField("牵头单位", max_length=100, blank=True, default="")
    responsible_unit = models.CharField("责任单位", max_length=100, blank=True, default="")
    responsible_person = models.CharField("责任人", max_length=64, blank=True, default="")
    received_on = models.DateField("交办日期")
    immediate = models.BooleanField("立行立改", default=False)
    claim_due = models.DateField("签收期限")
    deadline = models.DateField("整改时限")
    original_deadline = models.DateField("原整改时限")
    measures = models.JSONField("整改措施", default=list, blank=True)  # [{text, due, done_on}]
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.NEW)
    requested_by = models.CharField("申请销号人", max_length=150, blank=True, default="")
    verified_on = models.DateField("核验日期", null=True, blank=True)
    verified_by = models.CharField("核验人", max_length=150, blank=True, default="")
    verification_note = models.TextField("核验意见", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "整改问题"
        indexes = [
            models.Index(fields=["region_code", "state"], name="problem_region_state"),
            models.Index(fields=["year", "source"], name="problem_year_source"),
        ]

    def __str__(self) -> str:
        return f"问题 {self.problem_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ProblemAction(models.Model):
    """One action on one problem: who, when, which, from which state to which."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="actions")
    at = models.DateTimeField("时间")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    actor = models.CharField("办理人", max_length=150, blank=True, default="")
    action = models.CharField("操作", max_length=20)
    from_state = models.CharField(max_length=12, blank=True, default="")
    to_state = models.CharField(max_length=12, blank=True, default="")
    note = models.TextField("说明", blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedManager("problem__region_code")

    class Meta:
        verbose_name = "问题办理记录"
        ordering = ["at", "id"]


class Evidence(models.Model):
    """A file proving a rectification, stored by its SHA-256 under the data directory."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    file_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField("大小（字节）")
    content_type = models.CharField(max_length=100, blank=True, default="")
    by = models.CharField("上传人", max_length=150, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField("上传时间")
    note = models.TextField("说明", blank=True, default="")

    objects = ScopedManager("problem__region_code")

    class Meta:
        verbose_name = "佐证材料"
        ordering = ["at", "id"]


class ListedBy(models.TextChoices):
    NATIONAL = "national", "国家"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


class ListingStatus(models.TextChoices):
    LISTED = "listed", "督战中"
    CLEARED = "cleared", "已清零"
    DELISTED = "delisted", "已摘牌"


class Listing(models.Model):
    """A listed region (督战对象, A.2) and its life cycle listed → cleared → delisted."""

    listing_id = models.CharField("督战编号", max_length=40, unique=True)
    region_code = models.CharField("区划代码", max_length=12)
    level = models.CharField("层级", max_length=8)
    year = models.IntegerField("年度")
    listed_by = models.CharField("挂牌层级", max_length=10, choices=ListedBy.choices, default=ListedBy.COUNTY)
    reasons = models.CharField("挂牌理由", max_length=200)
    note = models.TextField("说明", blank=True, default="")
    listed_on = models.DateField("挂牌日期")
    target_on = models.DateField("目标日期")
    status = models.CharField("状态", max_length=10, choices=ListingStatus.choices, default=ListingStatus.LISTED)
    cleared_on = models.DateField("清零日期", null=True, blank=True)
    conditions_failed = models.CharField("未达条件", max_length=100, blank=True, default="")
    delisted_on = models.DateField("摘牌日期", null=True, blank=True)
    delisted_by = models.CharField("摘牌人", max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "挂牌督战对象"
        ordering = ["year", "region_code"]
        constraints = [
            # At most one listing per (year, region) that is not delisted (A.2).
            models.UniqueConstraint(fields=["year", "region_code"], condition=~models.Q(status="delisted"),
                                    name="listing_one_active"),
        ]

    def __str__(self) -> str:
        return f"督战 {self.listing_id}"
