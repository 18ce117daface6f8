"""Leads (线索), their steps, assistance, department matching batches, public-form throttling."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from fupin.accounts.scoping import ScopedManager
from fupin.engine import rules
from fupin.engine.matching import KINDS, LAYOUTS


class Channel(models.TextChoices):
    SELF_DECLARATION = "self_declaration", "农户自主申报 (self-declaration)"
    CADRE = "cadre", "基层干部排查 (cadre screening)"
    DEPARTMENT = "department", "部门筛查预警 (department screening)"
    ENGINE = "engine", "年度监测规则 (yearly rules)"


class Purpose(models.TextChoices):
    IDENTIFICATION = "identification", "监测对象识别 (identification)"
    ELIMINATION = "elimination", "风险消除 (risk elimination)"
    EXIT = "exit", "贫困户退出 (household exit)"


class State(models.TextChoices):
    NEW = "new", "待入户核实 (awaiting home verification)"
    VERIFIED = "verified", "已入户核实 (verified at home)"
    NOTICE = "notice", "村级评议公示中 (village review and public notice)"
    CONFIRMED = "confirmed", "农户已签字确认 (confirmed by the household)"
    TOWN_REVIEWED = "town_reviewed", "乡镇已审核 (reviewed by the town)"
    APPROVED = "approved", "县级已审批 (approved by the county)"
    REJECTED = "rejected", "不予认定 (rejected)"


OPEN_STATES = (State.NEW, State.VERIFIED, State.NOTICE, State.CONFIRMED, State.TOWN_REVIEWED)

# A household exit starts where a lead does, but nobody verifies it at home: its first state
# reads differently; the others read the same.
EXIT_STATE_LABELS = {State.NEW: "预退出待评议 (proposed for exit, awaiting the village review)"}


def state_label(state: str, purpose: str = "") -> str:
    """The label of a lead's state, in the words of its purpose."""
    if purpose == Purpose.EXIT and state in EXIT_STATE_LABELS:
        return EXIT_STATE_LABELS[state]
    return dict(State.choices).get(state, state)

HARDSHIP_TYPES = (
    ("illness", "因病 (illness)"),
    ("education", "因学 (schooling costs)"),
    ("disaster", "因灾 (disaster)"),
    ("accident", "因意外事故 (accident)"),
    ("employment", "因失业或务工受阻 (lost work)"),
    ("income_drop", "收入大幅下降 (income fell sharply)"),
    ("other", "其他 (other)"),
)

# DOMAIN.md "Assistance (帮扶措施)".
ASSISTANCE_TYPES = (
    ("industry", "产业帮扶 (industry)"),
    ("employment", "就业帮扶 (employment)"),
    ("public_welfare_post", "公益性岗位 (public-welfare post)"),
    ("education", "教育帮扶 (education)"),
    ("health", "健康帮扶 (health)"),
    ("housing", "住房保障 (housing)"),
    ("drinking_water", "饮水安全 (drinking water)"),
    ("social_security", "兜底保障：低保/特困 (social security floor)"),
    ("consumption", "消费帮扶 (consumption assistance)"),
    ("micro_credit", "小额信贷 (micro-credit)"),
    ("asset_income", "资产收益分红 (asset-income dividends)"),
    ("relocation_follow_up", "易地搬迁后续扶持 (relocation follow-up)"),
)

ELIMINATION_TYPES = ((rules.ASSISTED_ELIMINATION, "帮扶消除 (eliminated through assistance)"),
                     (rules.NATURAL_ELIMINATION, "自然消除 (eliminated naturally)"))
# A lead's proposed category is stored as the rule registry's key; its label is for display.
CATEGORY_CHOICES = [(key, rules.label("category", key)) for key in rules.LEAD_CATEGORIES]


class Lead(models.Model):
    """One possible monitoring case (or risk elimination) of one household, from any channel."""

    channel = models.CharField("来源渠道", max_length=20, choices=Channel.choices, db_index=True)
    kind = models.CharField("部门类型", max_length=12, blank=True, default="",
                            choices=[(k, LAYOUTS[k].zh) for k in KINDS])
    purpose = models.CharField("类型", max_length=16, choices=Purpose.choices, default=Purpose.IDENTIFICATION)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.NEW, db_index=True)
    # channel + kind + household/person + period: matching a file twice finds the same key.
    natural_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    receipt = models.CharField("回执编号", max_length=20, unique=True, null=True, blank=True)

    name = models.CharField("姓名", max_length=64, blank=True, default="")
    id_number = models.CharField("证件号码", max_length=18, blank=True, default="", db_index=True)
    phone = models.CharField("联系电话", max_length=20, blank=True, default="")
    region_code = models.CharField("村", max_length=12, db_index=True)
    household_id = models.CharField("户编号", max_length=64, blank=True, default="")
    year = models.IntegerField("年度", null=True, blank=True)

    hardship_type = models.CharField("困难类型", max_length=16, blank=True, default="", choices=HARDSHIP_TYPES)
    hardship_text = models.TextField("困难情况", blank=True, default="")
    consent_at = models.DateTimeField("同意授权核查家庭经济状况", null=True, blank=True)
    evidence = models.JSONField("线索依据", default=dict, blank=True)

    received_at = models.DateTimeField("收到时间", db_index=True)
    verify_due = models.DateField("入户核实期限")
    decide_due = models.DateField("认定期限")

    authorisation_signed = models.BooleanField("已签署授权书", default=False)
    authorisation_on = models.DateField("授权书签署日期", null=True, blank=True)
    notice_start = models.DateField("公示开始", null=True, blank=True)
    notice_end = models.DateField("公示结束", null=True, blank=True)
    category = models.CharField("监测对象类别", max_length=16, blank=True, default="", choices=CATEGORY_CHOICES)
    risk_types = models.JSONField("风险类型", default=list, blank=True)
    confirmed_on = models.DateField("农户签字确认日期", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    rejection_reason = models.TextField("不予认定理由", blank=True, default="")
    elimination_type = models.CharField("消除方式", max_length=8, blank=True, default="", choices=ELIMINATION_TYPES)
    eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    review_flag = models.BooleanField("需复核", default=False)
    review_reason = models.CharField("复核原因", max_length=200, blank=True, default="")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "监测线索"
        indexes = [
            models.Index(fields=["region_code", "state"], name="lead_region_state"),
            models.Index(fields=["household_id", "year"], name="lead_household"),
        ]

    def __str__(self) -> str:
        return f"线索 {self.pk} ({self.get_channel_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class LeadStep(models.Model):
    """One step of one lead: who, when, what, from which state to which."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField("时间")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.CharField("办理人", max_length=150, blank=True, default="")
    action = models.CharField("操作", max_length=20)
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16, blank=True, default="")
    note = models.TextField("说明", blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    objects = ScopedManager("lead__region_code")

    class Meta:
        verbose_name = "线索办理记录"
        ordering = ["at", "id"]


class Assistance(models.Model):
    """An assistance measure given to a household (may precede the decision)."""

    household_id = models.CharField("户编号", max_length=64, db_index=True)
    year = models.IntegerField("年度", null=True, blank=True)
    region_code = models.CharField("村", max_length=12, db_index=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="assistance")
    type = models.CharField("帮扶类型", max_length=24, choices=ASSISTANCE_TYPES)
    description = models.TextField("帮扶内容")
    date = models.DateField("日期")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "帮扶措施"
        ordering = ["-date", "-id"]


class MatchBatch(models.Model):
    """One department file matched: who, which, the counts, and the rejects workbook."""

    kind = models.CharField(max_length=12, choices=[(k, LAYOUTS[k].zh) for k in KINDS])
    year = models.IntegerField()
    source = models.CharField(max_length=300)
    region_prefix = models.CharField(max_length=12, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    stats = models.JSONField(default=dict)
    leads_created = models.IntegerField(default=0)
    leads_existing = models.IntegerField(default=0)
    rejects = models.BinaryField(null=True, blank=True)

    objects = ScopedManager("region_prefix")

    class Meta:
        verbose_name = "部门数据匹配批次"


class Throttle(models.Model):
    """Attempts on the public pages, keyed by a salted hash (never the IP or ID itself)."""

    key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)


# --- shocks (assistance.md 1.12–1.13, R8) ------------------------------------------------------

SHOCK_TYPES = [(t, t) for t in ("疫情", "洪涝", "地质灾害", "旱灾", "生物灾害", "气象灾害", "地震", "其他")]


class ShockEvent(models.Model):
    """冲击事件: an epidemic or disaster over one or more regions."""

    event_id = models.CharField("事件编号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    type = models.CharField("类型", max_length=8, choices=SHOCK_TYPES)
    # 区划范围: division-code prefixes (2, 4, 6, 9 or 12 digits) separated by ";".
    regions = models.CharField("区划范围", max_length=2000)
    # The longest prefix common to every code of 区划范围: who may see and edit the event.
    region_prefix = models.CharField(max_length=12, db_index=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("region_prefix")

    class Meta:
        verbose_name = "冲击事件"
        ordering = ["-start_date", "event_id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.name}"

    @property
    def prefixes(self) -> list[str]:
        return [p for p in self.regions.split(";") if p]


class ShockHousehold(models.Model):
    """受灾户: one household listed under one event, with its losses."""

    event = models.ForeignKey(ShockEvent, on_delete=models.CASCADE, related_name="households")
    household_id = models.CharField("户编号", max_length=64)
    # The household's village in the registry when it was listed: scopes the row.
    region_code = models.CharField("村", max_length=12, db_index=True)
    impacts = models.CharField("影响类型", max_length=200, blank=True, default="")
    loss = models.DecimalField("损失金额", max_digits=14, decimal_places=2, default=0)
    verified_on = models.DateField("核实日期", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "受灾户"
        constraints = [models.UniqueConstraint(fields=["event", "household_id"], name="shock_household_key")]
        indexes = [models.Index(fields=["household_id"], name="shock_household_id")]
