"""The assistance ledger in the database (spec/assistance.md 1.1–1.4) and the 一户一策 plans.

The columns of Measure, IncomeProject, Dividend and CatalogueEntry are generated from
``fupin.engine.assistance.schema`` (one definition of each field, its Chinese label and code
list), as the registry's are from ``fupin.engine.schema``. Every ledger row has:

* ``key`` — its natural key as text, unique in the table (spec 1.2–1.4: 措施编号, else (户编号,
  证件号码, 小类, 开始日期, 年度); 项目编号; (项目编号, 户编号, 年度, 发放日期)). A text key, not a
  multi-column constraint, because the key columns may be empty and SQL treats NULLs as
  distinct in a unique constraint: the same measure imported twice must collide.
* ``region_code`` — where the row lies for scoping (``ScopedManager``): the household's village
  (its newest registry snapshot when the row was written), a project's own 区划代码 (else the
  importing scope), a county catalogue row's county.
* ``version`` / ``import_batch`` / ``updated_at`` and history (simple_history), like the registry:
  an import writes history rows for what it inserted or changed, and nothing for unchanged rows.

Issue 13 (cadres, pairings, visits, posts, placements, shocks) adds its own models beside these;
a plan action names its person as text so that a cadre model can be linked to it later without
changing this one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from fupin.accounts.scoping import ScopedManager
from fupin.engine.assistance import schema as S
from fupin.engine.schema import Field
from fupin.registry.models import django_field

LONG_TEXT = frozenset({"note", "name", "operator", "responsible_unit", "campaign", "aliases", "unit", "items"})


def _django_field(f: Field) -> models.Field:
    return django_field(f, LONG_TEXT)


def stored_fields(table: str) -> list[Field]:
    """The exchange fields stored as model columns (region_code is the scope column itself)."""
    return [f for f in S.fields(table) if f.name != "region_code"]


class AssistanceBatch(models.Model):
    """One run of ``fupin assist import`` (or one measure recorded on a page or the API)."""

    source = models.CharField("文件", max_length=500)
    region = models.CharField("范围", max_length=12, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # table -> {"new": n, "changed": n, "unchanged": n, "rejected": n}
    counts = models.JSONField(default=dict)

    objects = ScopedManager("region")

    class Meta:
        verbose_name = "帮扶数据导入批次"


class LedgerRow(models.Model):
    key = models.CharField("自然键", max_length=255, unique=True)
    region_code = models.CharField("区划代码", max_length=12, db_index=True)
    version = models.IntegerField(default=1, editable=False)
    import_batch = models.ForeignKey(AssistanceBatch, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager("region_code")

    class Meta:
        abstract = True


class Measure(LedgerRow):
    """帮扶措施 (1.2). ``wide``: from the national wide layout (2.3), counts without an amount."""

    locals().update({f.name: _django_field(f) for f in stored_fields("measures")})
    wide = models.BooleanField("宽表导入", default=False)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "帮扶措施"
        indexes = [models.Index(fields=["household_id"], name="measure_household"),
                   models.Index(fields=["region_code", "year"], name="measure_region_year")]


class IncomeProject(LedgerRow):
    """收益项目 (1.3): 资产收益 / 代养 / 股权量化 / 光伏 … ``region_code`` is its 区划代码."""

    locals().update({f.name: _django_field(f) for f in stored_fields("income_projects")})
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "收益项目"
        indexes = [models.Index(fields=["project_id"], name="assist_project_id")]


class Dividend(LedgerRow):
    """收益分配 (1.4): one payment of a project to a household."""

    locals().update({f.name: _django_field(f) for f in stored_fields("dividends")})
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "收益分配"
        indexes = [models.Index(fields=["household_id"], name="dividend_household"),
                   models.Index(fields=["project_id", "year"], name="dividend_project_year")]


class CatalogueEntry(LedgerRow):
    """A county's 帮扶措施目录 row (1.1): adds a 小类 or replaces one by name for the households
    of its ``region_code`` (the importing scope)."""

    locals().update({f.name: _django_field(f) for f in S.CATALOGUE_FIELDS})
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "县级帮扶措施目录"


class PlanState(models.TextChoices):
    OPEN = "open", "实施中 (open)"
    CLOSED = "closed", "已完成 (closed: the household meets the standard)"


class ActionState(models.TextChoices):
    PLANNED = "planned", "计划 (planned)"
    IN_PROGRESS = "in_progress", "实施中 (in progress)"
    DONE = "done", "已完成 (done)"


# The order a step may take: planned → in_progress → done (or straight to done).
ACTION_STEPS = {ActionState.PLANNED: {ActionState.IN_PROGRESS, ActionState.DONE},
                ActionState.IN_PROGRESS: {ActionState.DONE}, ActionState.DONE: set()}


class HouseholdPlan(models.Model):
    """一户一策: one plan per household and year, opened from its stored verdict."""

    household_id = models.CharField("户编号", max_length=64)
    year = models.IntegerField("年度")
    region_code = models.CharField("区划代码", max_length=12, db_index=True)
    state = models.CharField("状态", max_length=8, choices=PlanState.choices, default=PlanState.OPEN)
    opened_on = models.DateField("制定日期")
    closed_on = models.DateField("完成日期", null=True, blank=True)
    # Why it was opened: the verdict and monitoring category at the time (shown on the page).
    meets_standard = models.CharField("评估结论", max_length=12, blank=True, default="")
    monitoring_category = models.CharField("监测类别", max_length=12, blank=True, default="")
    run_id = models.IntegerField("评估批次", null=True, blank=True)
    closed_by_run_id = models.IntegerField("关闭依据评估批次", null=True, blank=True)
    version = models.IntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "一户一策"
        constraints = [models.UniqueConstraint(fields=["household_id", "year"], name="plan_key")]
        indexes = [models.Index(fields=["region_code", "state"], name="plan_region_state")]

    def __str__(self) -> str:
        return f"{self.household_id} ({self.year})"


class PlanAction(models.Model):
    """One planned action of a plan: per unmet indicator (``kind`` indicator) or risk factor
    (``kind`` risk), with the catalogue's 小类, who does it and by when."""

    KINDS = [("indicator", "未达标指标"), ("risk", "风险因素")]
    plan = models.ForeignKey(HouseholdPlan, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField("依据类型", max_length=10, choices=KINDS)
    reason = models.CharField("依据", max_length=32)  # indicator or risk key (engine.rules)
    family = models.CharField("大类", max_length=64)
    subtype = models.CharField("小类", max_length=64)
    responsible_unit = models.CharField("责任单位", max_length=200, blank=True, default="")
    person = models.CharField("责任人", max_length=64, blank=True, default="")
    target_on = models.DateField("计划完成日期")
    state = models.CharField("状态", max_length=12, choices=ActionState.choices, default=ActionState.PLANNED)
    done_on = models.DateField("完成日期", null=True, blank=True)
    version = models.IntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("plan__region_code")

    class Meta:
        verbose_name = "帮扶计划事项"
        constraints = [models.UniqueConstraint(fields=["plan", "kind", "reason"], name="plan_action_key")]
        indexes = [models.Index(fields=["state", "target_on"], name="plan_action_due")]


# --- 1.5–1.7: cadres, pairings, visits (issue 13) ----------------------------------------------

def _fields_of(fields, skip=()) -> dict[str, models.Field]:
    return {f.name: _django_field(f) for f in fields if f.name not in skip}


class Cadre(LedgerRow):
    """帮扶责任人 (1.5). ``key`` = 责任人编号 (derived from 姓名 + 联系电话 when the file has none,
    ``schema.cadre_key``); ``region_code`` = the importing scope (the unit's region: a county
    imports its cadres). ``user``: the signed-in account of this cadre, for 我的帮扶户; when it is
    empty a user whose username equals the 责任人编号 is taken as the cadre."""

    locals().update(_fields_of(S.CADRE_FIELDS))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="cadres", verbose_name="登录账号")
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "帮扶责任人"
        indexes = [models.Index(fields=["cadre_id"], name="cadre_id_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class Pairing(LedgerRow):
    """结对帮扶 (1.6): key (责任人编号, 户编号, 开始日期); ``region_code`` = the household's village."""

    locals().update(_fields_of(S.PAIRING_FIELDS, skip=("cadre_name", "cadre_phone")))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "结对帮扶"
        indexes = [models.Index(fields=["cadre_id"], name="pairing_cadre"),
                   models.Index(fields=["household_id"], name="pairing_household")]


class Visit(LedgerRow):
    """走访记录 (1.7): key (户编号, 走访日期, 责任人编号 or 走访人, 方式). 内容 and 问题描述 are never
    on the card or a public page. ``lead_id``: the monitoring lead raised in the same step."""

    locals().update(_fields_of(S.VISIT_FIELDS))
    # Free text of any length: never on the card or a public page (1.7).
    problem = models.TextField("问题描述", null=True, blank=True, db_column="problem")
    content = models.TextField("内容", null=True, blank=True, db_column="content")
    lead_id = models.IntegerField("监测线索", null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "走访记录"
        indexes = [models.Index(fields=["household_id", "visited_on"], name="visit_household_date")]


# --- 1.8–1.11: labour, posts, placements, migration (issue 13) ----------------------------------

class Post(LedgerRow):
    """岗位 (1.9): key 岗位编号. ``region_code`` = the importing scope (who publishes it: a county
    lists posts in a partner city too); 工作地区划 is ``work_region``."""

    locals().update(_fields_of(S.POST_FIELDS, skip=("region_code",)))
    work_region = models.CharField("工作地区划", max_length=12, null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "岗位"
        indexes = [models.Index(fields=["post_id"], name="post_id_idx")]


class Placement(LedgerRow):
    """就业 (1.10): key (证件号码, 开始日期, 岗位编号 or 用人单位); ``region_code`` = the household's village."""

    locals().update(_fields_of(S.PLACEMENT_FIELDS))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "就业"
        indexes = [models.Index(fields=["id_number"], name="placement_person"),
                   models.Index(fields=["post_id"], name="placement_post")]


class LabourRecord(LedgerRow):
    """劳动力 (1.8): what visits learn of a member, key (证件号码, 年度)."""

    locals().update(_fields_of(S.LABOUR_FIELDS))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "劳动力"
        indexes = [models.Index(fields=["id_number", "year"], name="labour_person_year")]


class MigrationRecord(LedgerRow):
    """务工动态 (1.11): key (证件号码, 日期)."""

    locals().update(_fields_of(S.MIGRATION_FIELDS))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "务工动态"
        indexes = [models.Index(fields=["id_number", "reported_on"], name="migration_person_date")]
