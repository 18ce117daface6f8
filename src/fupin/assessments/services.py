"""Stored assessment runs and the precomputed region figures, written in bulk.

The engine decides (``fupin.engine``); the application layer reads the registry and calls it
(:mod:`fupin.application.assessment`); this module stores what came out — one run, one verdict
per household, the findings — and keeps the region figures that dashboards and list totals read
current.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import polars as pl
from django.db import transaction
from django.utils import timezone

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.assessments.models import AssessmentRun, Finding, RegionStat, Verdict
from fupin.engine import facts
from fupin.engine import rules as R
from fupin.engine.policy import PolicyMissing, PolicySet
from fupin.engine.regions import region_summary
from fupin.registry import bulk

log = logging.getLogger(__name__)

LEAD_FIGURES = R.WORK_LIST_CATEGORIES  # unstable, marginal, sudden, unknown (+ monitored)


def store_run(verdicts: pl.DataFrame, findings: pl.DataFrame | None, *, scope: Scope, year: int,
              policy: PolicySet, as_of: date | None = None) -> AssessmentRun:
    """Store one engine run in bulk: the run, one verdict per household, the findings.

    The households' earlier verdicts and findings of the year stay (history between runs) but are
    no longer ``current``. Every household must lie inside ``scope``.
    """
    outside = verdicts.filter(~pl.col("region_code").str.starts_with(scope.prefix)) if scope.prefix else verdicts.clear()
    if outside.height:
        raise ValueError(f"{outside.height} verdicts lie outside the scope {scope.prefix}")
    output = [f.column for f in Verdict._meta.concrete_fields if f.column not in ("id", "run_id", "details", "current")]
    detail_cols = [c for c in verdicts.columns if c.startswith("detail_") or c == "monitoring_line"]
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            year=year, region_prefix=scope.prefix, policy=policy.identity[:200],
            as_of=as_of or date(year, 12, 31), households=verdicts.height,
        )
        bulk.retire_current(Verdict, year, verdicts["household_id"])
        bulk.retire_current(Finding, year, verdicts["household_id"])
        rows = verdicts.select(
            [pl.col(c) if c in verdicts.columns else pl.lit(None).alias(c) for c in output]
        ).with_columns(
            [pl.col(c).fill_null("") for c in output
             if c in verdicts.columns and verdicts.schema[c] == pl.String and c not in ("household_id", "region_code")]
        )
        details = (
            verdicts.select(pl.struct(detail_cols).struct.json_encode())[:, 0]
            if detail_cols else pl.repeat("{}", verdicts.height, eager=True)
        )
        rows = rows.with_columns(run_id=pl.lit(run.pk, dtype=pl.Int64), details=details, current=pl.lit(True))
        bulk.insert_frame(Verdict._meta.db_table, rows)
        if findings is not None and findings.height:
            located = findings.join(verdicts.select("household_id", "region_code"), on="household_id", how="inner")
            bulk.insert_frame(Finding._meta.db_table, located.select(
                run_id=pl.lit(run.pk, dtype=pl.Int64), household_id="household_id",
                year=pl.col("year").cast(pl.Int32), region_code="region_code",
                member_name=pl.col("member_name").fill_null("").str.slice(0, 64), code="code",
                severity="severity", message_zh=pl.col("message_zh").str.slice(0, 300),
                message_en=pl.col("message_en").fill_null("").str.slice(0, 300), current=pl.lit(True),
            ))
    log.info("assessment run %s: year %s, %s households", run.pk, year, verdicts.height)
    return run


def current_verdicts_frame(scope: Scope, year: int) -> pl.DataFrame:
    """Each household's newest verdict of ``year`` inside ``scope``, as a frame."""
    cols = {"household_id": pl.String(), "region_code": pl.String(), "population": pl.Int32(),
            "meets_standard": pl.String(), "monitoring_category": pl.String(),
            **{k: pl.String() for k in R.INDICATORS}}
    where = "WHERE year = %s AND current = %s"
    params: list = [year, True]
    for lookup, value in scope.lookup("region_code").items():
        where += f" AND region_code {'>=' if lookup.endswith('__gte') else '<'} %s"
        params.append(value)
    return bulk.query_frame(f"SELECT {', '.join(cols)} FROM {Verdict._meta.db_table} {where}", params, cols)


def refresh_region_stats(year: int, *, policy: PolicySet, counties=None, run=None, registry=None) -> int:
    """Recompute the figures of every village, town and county of ``counties`` (6-digit codes;
    every county with households when None) from the registry and the current verdicts, then
    roll the counties up to cities and provinces. Returns the number of region rows written.

    ``registry``, when given, holds the stored households and members of these counties as the
    database would give them (``registry.of(year, county)`` -> households, members; an import
    has them in hand), and saves reading them back.

    Figures are system data: they are computed over whole counties, whoever triggered the
    refresh, and read back through the scoped manager."""
    scopes = [Scope.system(c) for c in sorted(set(counties))] if counties else [Scope.system()]
    rows: list[pl.DataFrame] = []
    for scope in scopes:
        if registry is not None and counties:
            households, members = registry.of(year, scope.prefix)
        else:
            households, members = bulk.read_households(scope, year), None
        if households.height == 0:
            continue
        if members is None:
            members = bulk.read_members(scope, year)
        regions = bulk.read_regions(scope)
        verdicts = current_verdicts_frame(scope, year)
        rows.extend(_stats_for(verdicts, households, members, regions, year=year, policy=policy))
    with transaction.atomic():
        written = 0
        for frame in rows:
            written += _replace_stats(year, frame, run)
        _roll_up(year)
    return written


def _status_json(households: pl.DataFrame, members: pl.DataFrame, digits: int) -> pl.DataFrame:
    """Per code: households and people by registry status as JSON objects."""
    counted = facts.status_counts(households, members, digits=digits)

    def as_object(column: str) -> pl.Expr:
        pairs = pl.concat_str([pl.lit('"'), pl.col("status"), pl.lit('":'), pl.col(column).cast(pl.String)])
        return pl.lit("{") + pairs.str.join(",") + pl.lit("}")

    return counted.group_by("code").agg(
        households_by_status=as_object("households"), people_by_status=as_object("people"),
    )


def _stats_for(verdicts, households, members, regions, *, year, policy):
    frames = []
    assessment = verdicts if verdicts.height else None
    for level, digits in (("village", 12), ("town", 9), ("county", 6)):
        try:
            summary = region_summary(assessment, households, members, regions, year=year, level=level, policy=policy)
        except PolicyMissing:
            # Figures that need the policy (exit thresholds) stay empty until one is set;
            # the registry counts are still current.
            log.info("region figures of %s without policy-dependent values", year)
            summary = facts.registry_figures(households, members, digits=digits)
        frames.append(summary.join(_status_json(households, members, digits), on="code", how="left")
                      .with_columns(level=pl.lit(level)))
    return frames


def _json_object(columns: dict[str, str]) -> pl.Expr:
    parts = [pl.concat_str([pl.lit(f'"{key}":'), pl.col(column).fill_null(0).cast(pl.String)])
             for key, column in columns.items()]
    return pl.lit("{") + pl.concat_str(parts, separator=",") + pl.lit("}")


def _replace_stats(year: int, frame: pl.DataFrame, run) -> int:
    if frame.height == 0:
        return 0
    names = divisions.names()
    get = lambda c: pl.col(c) if c in frame.columns else pl.lit(None)  # noqa: E731
    assessed = "unmet_income" in frame.columns and frame["unmet_income"].null_count() < frame.height
    out = frame.select(
        year=pl.lit(year, dtype=pl.Int32),
        code=pl.col("code"),
        level=pl.col("level"),
        parent_code=pl.when(pl.col("level") == "village").then(pl.col("code").str.slice(0, 9).str.pad_end(12, "0"))
        .when(pl.col("level") == "town").then(pl.col("code").str.slice(0, 6).str.pad_end(12, "0"))
        .otherwise(pl.col("code").str.slice(0, 4).str.pad_end(12, "0")),
        name=pl.coalesce(get("name").cast(pl.String), pl.col("code").replace_strict(names, default=pl.col("code"))),
        run_id=pl.lit(run.pk if run else None, dtype=pl.Int64),
        households=pl.col("households").cast(pl.Int32),
        people=pl.col("people").cast(pl.Int32),
        registered_households=pl.col("registered_households").fill_null(0).cast(pl.Int32),
        registered_people=pl.col("registered_people").fill_null(0).cast(pl.Int32),
        remaining_poor_households=pl.col("remaining_poor_households").fill_null(0).cast(pl.Int32),
        remaining_poor_people=pl.col("remaining_poor_people").fill_null(0).cast(pl.Int32),
        registered_rural_population=get("registered_rural_population").cast(pl.Int32),
        incidence=get("incidence").cast(pl.Float64),
        projected_incidence=get("projected_incidence").cast(pl.Float64),
        exit_eligible=get("exit_eligible").cast(pl.Boolean),
        listed_supervision=get("listed_supervision").cast(pl.Boolean),
        households_by_status=pl.col("households_by_status").fill_null("{}"),
        people_by_status=pl.col("people_by_status").fill_null("{}"),
        unmet=_json_object({k: f"unmet_{k}" for k in R.INDICATORS}) if assessed else pl.lit("{}"),
        leads=_json_object({c: f"leads_{c}" for c in LEAD_FIGURES} | {"monitored": "monitored"})
        if assessed else pl.lit("{}"),
        verdicts=pl.lit("{}"),
        computed_at=pl.lit(timezone.now()),
    )
    RegionStat.objects.unscoped("replacing computed figures").filter(year=year, code__in=out["code"].to_list()).delete()
    return bulk.insert_frame(RegionStat._meta.db_table, out)


def _roll_up(year: int) -> None:
    """Cities and provinces: sums of their counties' stored figures (no registry read)."""
    stats = RegionStat.objects.unscoped("rolling counties up to cities and provinces")
    counties = list(stats.filter(year=year, level="county"))
    names = divisions.names()
    groups: dict[tuple[str, str], list[RegionStat]] = {}
    for stat in counties:
        city = stat.code[:4] + "0" * 8
        province = stat.code[:2] + "0" * 10
        if city in names and city != province:
            groups.setdefault((city, "city"), []).append(stat)
        groups.setdefault((province, "province"), []).append(stat)
    stats.filter(year=year, level__in=["city", "province"]).delete()
    sums = ("households", "people", "registered_households", "registered_people",
            "remaining_poor_households", "remaining_poor_people")
    created = []
    for (code, level), members in groups.items():
        stat = RegionStat(year=year, code=code, level=level, name=names.get(code, code),
                          parent_code="" if level == "province" else code[:2] + "0" * 10)
        for attribute in sums:
            setattr(stat, attribute, sum(getattr(m, attribute) for m in members))
        populations = [m.registered_rural_population for m in members]
        if populations and all(p is not None for p in populations):
            stat.registered_rural_population = sum(populations)
            stat.incidence = stat.remaining_poor_people / stat.registered_rural_population if stat.registered_rural_population else None
        for attribute in ("households_by_status", "people_by_status", "unmet", "leads"):
            total: dict[str, int] = {}
            for m in members:
                value = getattr(m, attribute)
                value = json.loads(value) if isinstance(value, str) else value
                for key, n in value.items():
                    total[key] = total.get(key, 0) + int(n)
            setattr(stat, attribute, total)
        created.append(stat)
    RegionStat.objects.bulk_create(created)
