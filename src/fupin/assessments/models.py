"""Stored assessment runs: one row per household and run, so history can be compared."""

from __future__ import annotations

from django.db import models


class AssessmentRun(models.Model):
    year = models.IntegerField("年度", db_index=True)
    region_prefix = models.CharField("范围", max_length=12, blank=True, default="")
    policy = models.CharField("政策版本", max_length=200)
    as_of = models.DateField("评估日期")
    created_at = models.DateTimeField(auto_now_add=True)
    households = models.IntegerField(default=0)

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

    class Meta:
        verbose_name = "评估结果"
        indexes = [
            models.Index(fields=["run", "region_code"], name="verdict_run_region"),
            models.Index(fields=["household_id", "year"], name="verdict_household"),
        ]
