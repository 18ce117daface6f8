"""The registry: regions, households and members, one snapshot per year.

The fields of Household and Member are generated from ``fupin.engine.schema`` so that a code
list or a label exists once; the importer, the exports and the forms read the same table.
A new year adds rows; an older year is never overwritten (the key includes the year).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from fupin.accounts.scoping import ScopedManager, ScopedQuerySet
from fupin.engine import schema


def django_field(f: schema.Field, long_text: frozenset[str] = frozenset()) -> models.Field:
    """The model field of an exchange-format field (nullable: the format allows every cell empty);
    ``long_text``: text fields that hold sentences rather than names (200 characters)."""
    common = {"verbose_name": f.zh, "null": True, "blank": True, "db_column": f.name}
    if f.kind in ("money", "number"):
        return models.FloatField(**common)
    if f.kind == "int":
        return models.IntegerField(**common)
    if f.kind == "yesno":
        return models.BooleanField(**common)
    if f.kind == "date":
        return models.DateField(**common)
    if f.kind == "code":
        return models.CharField(max_length=16, choices=[(c, c) for c in f.codes], **common)
    if f.kind == "month":
        return models.CharField(max_length=7, **common)
    if f.kind == "region":
        return models.CharField(max_length=12, **common)
    if f.kind == "id_number":
        return models.CharField(max_length=18, **common)
    return models.CharField(max_length=200 if f.name in long_text else 64, **common)


def exchange_fields(table: str) -> list[schema.Field]:
    """The exchange fields stored as model columns (keys are declared explicitly)."""
    keys = {"household_id", "year"} if table == "households" else {"household_id", "year", "id_number"}
    return [f for f in schema.fields(table, exchange_only=True) if f.name not in keys]


class Region(models.Model):
    """A division: official down to towns, villages registered by users (code = town + NNN)."""

    LEVELS = [(v, v) for v in ("province", "city", "county", "town", "village")]
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=8, choices=LEVELS, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    official = models.BooleanField("官方区划", default=True)
    registered_rural_population = models.IntegerField("户籍人口", null=True, blank=True)
    zone = models.CharField("区域", max_length=4, choices=[(z, z) for z in schema.ZONES], null=True, blank=True)
    poverty_county = models.BooleanField("是否贫困县", null=True, blank=True)
    county_exit_year = models.IntegerField("摘帽年度", null=True, blank=True)
    poor_village = models.BooleanField("是否贫困村", null=True, blank=True)
    deep_poverty = models.BooleanField("是否深度贫困", null=True, blank=True)

    objects = ScopedManager("code")

    class Meta:
        verbose_name = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ImportBatch(models.Model):
    """One run of the importer: what came in, what loaded, what came back."""

    source = models.CharField("文件", max_length=500)
    source_format = models.CharField(max_length=16)
    # The scope the import ran under: its households all lie inside it.
    region = models.CharField("范围", max_length=12, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    households_new = models.IntegerField(default=0)
    households_changed = models.IntegerField(default=0)
    households_unchanged = models.IntegerField(default=0)
    households_rejected = models.IntegerField(default=0)
    members_new = models.IntegerField(default=0)
    members_changed = models.IntegerField(default=0)
    members_removed = models.IntegerField(default=0)
    members_unchanged = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)

    objects = ScopedManager("region")

    class Meta:
        verbose_name = "导入批次"


class HouseholdQuerySet(ScopedQuerySet):
    def of_year(self, year: int):
        return self.filter(year=year)


class Household(models.Model):
    household_id = models.CharField("户编号", max_length=64)
    year = models.IntegerField("年度")
    locals().update({f.name: django_field(f) for f in exchange_fields("households")})
    version = models.IntegerField(default=1, editable=False)
    import_batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager.from_queryset(HouseholdQuerySet)("region_code")

    class Meta:
        verbose_name = "户"
        constraints = [models.UniqueConstraint(fields=["household_id", "year"], name="household_key")]
        indexes = [
            models.Index(fields=["year", "region_code", "household_id"], name="household_year_region"),
            models.Index(fields=["phone"], name="household_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} ({self.year})"


class Member(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", db_column="household_pk"
    )
    household_key = models.CharField("户编号", max_length=64, db_column="household_id")
    year = models.IntegerField("年度")
    id_number = models.CharField("证件号码", max_length=18)
    locals().update({f.name: django_field(f) for f in exchange_fields("members")})
    version = models.IntegerField(default=1, editable=False)
    import_batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ScopedManager("household__region_code")

    class Meta:
        verbose_name = "人"
        constraints = [models.UniqueConstraint(fields=["id_number", "year"], name="member_key")]
        indexes = [models.Index(fields=["household_key", "year"], name="member_household")]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"
