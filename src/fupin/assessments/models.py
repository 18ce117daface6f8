"""Stored assessment runs: one row per household and run, so history can be compared."""

from __future__ import annotations

from django.db import models

from fupin.accounts.scoping import ScopedManager


class AssessmentRun(models.Model):
    year = models.IntegerField("年度", db_index=True)
    region_prefix = models.CharField("范围", max_length=12, blank=True, default="")
    policy = models.CharField("政策版本", max_length=200)
    as_of = models.DateField("评估日期")
    created_at = models.DateTimeField(auto_now_add=True)
    households = models.IntegerField(default=0)

    objects = ScopedManager("region_prefix")

    class Meta:
        verbose_name = "评估批次"
        get_latest_by = "created_at"


class Verdict(models.Model):
    """One household's result in one run; the columns of rules.md "Outputs" plus details."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="verdicts")
    household_id = models.CharField(max_length=64)
    year = models.IntegerField()
    region_code = models.CharField(max_length=12)
    population = models.IntegerField(null=True)
    net_income = models.FloatField(null=True)
    per_capita_net_income = models.FloatField(null=True)
    income = models.CharField(max_length=8, blank=True, default="")
    food = models.CharField(max_length=8, blank=True, default="")
    clothing = models.CharField(max_length=8, blank=True, default="")
    education = models.CharField(max_length=8, blank=True, default="")
    medical = models.CharField(max_length=8, blank=True, default="")
    housing = models.CharField(max_length=8, blank=True, default="")
    water = models.CharField(max_length=8, blank=True, default="")
    meets_standard = models.CharField(max_length=12, db_index=True)
    unmet = models.CharField(max_length=100, blank=True, default="")
    unknown = models.CharField(max_length=100, blank=True, default="")
    monitoring_category = models.CharField(max_length=12, blank=True, default="")
    risk_factors = models.CharField(max_length=200, blank=True, default="")
    elimination = models.CharField(max_length=12, blank=True, default="")
    elimination_failed = models.CharField(max_length=100, blank=True, default="")
    errors = models.CharField(max_length=200, blank=True, default="")
    policy = models.CharField(max_length=200, blank=True, default="")
    details = models.JSONField(default=dict)
    # The household's newest verdict for the year; older runs keep theirs for comparison.
    current = models.BooleanField(default=True)

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "评估结果"
        indexes = [
            models.Index(fields=["year", "current", "region_code"], name="verdict_current_region"),
            models.Index(fields=["household_id", "year"], name="verdict_household"),
        ]


class Finding(models.Model):
    """A data-quality finding (rules.md section 5) of one run; ``current`` like Verdict."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="findings")
    household_id = models.CharField(max_length=64)
    year = models.IntegerField()
    region_code = models.CharField(max_length=12)
    member_name = models.CharField(max_length=64, blank=True, default="")
    code = models.CharField(max_length=4)
    severity = models.CharField(max_length=8)
    message_zh = models.CharField(max_length=300)
    message_en = models.CharField(max_length=300, blank=True, default="")
    current = models.BooleanField(default=True)

    objects = ScopedManager("region_code")

    class Meta:
        verbose_name = "数据质量问题"
        indexes = [
            models.Index(fields=["year", "current", "region_code"], name="finding_current_region"),
            models.Index(fields=["household_id", "year"], name="finding_household"),
        ]


class RegionStat(models.Model):
    """Figures of one region and year, precomputed after each import and assessment run.

    Dashboards read these rows (a few hundred at most per page) instead of counting a
    million households per request, so their cost does not grow with the registry.
    """

    year = models.IntegerField("年度")
    code = models.CharField("区划代码", max_length=12)
    level = models.CharField("级别", max_length=8)
    parent_code = models.CharField(max_length=12, blank=True, default="")
    name = models.CharField("名称", max_length=64)
    run = models.ForeignKey(AssessmentRun, null=True, blank=True, on_delete=models.SET_NULL)
    households = models.IntegerField("户数", default=0)
    people = models.IntegerField("人数", default=0)
    registered_households = models.IntegerField("建档立卡户数", default=0)
    registered_people = models.IntegerField("建档立卡人数", default=0)
    remaining_poor_households = models.IntegerField("未脱贫户数", default=0)
    remaining_poor_people = models.IntegerField("未脱贫人数", default=0)
    registered_rural_population = models.IntegerField("户籍人口", null=True, blank=True)
    incidence = models.FloatField("贫困发生率", null=True, blank=True)
    projected_incidence = models.FloatField("预计贫困发生率", null=True, blank=True)
    exit_eligible = models.BooleanField("可退出", null=True, blank=True)
    listed_supervision = models.BooleanField("挂牌督战候选", null=True, blank=True)
    # {"未脱贫": n, "已脱贫": n, "返贫": n, "一般农户": n} households / people
    households_by_status = models.JSONField(default=dict)
    people_by_status = models.JSONField(default=dict)
    unmet = models.JSONField(default=dict)             # indicator key -> households
    leads = models.JSONField(default=dict)             # monitoring category -> households
    verdicts = models.JSONField(default=dict)          # meets_standard value -> households
    computed_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager("code")

    class Meta:
        verbose_name = "区域统计"
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="regionstat_key")]
        indexes = [models.Index(fields=["year", "parent_code"], name="regionstat_children")]
