"""Assessment runs against the database: engine in, verdicts and region figures out, in bulk.

The engine (``fupin.engine``) does the work on frames read in one query; this module only moves
frames between it and the database and keeps the precomputed region figures current.
"""

from __future__ import annotations

import logging
from datetime import date

import polars as pl
from django.db import transaction
from django.utils import timezone

from fupin import divisions
from fupin.assessments.models import AssessmentRun, RegionStat
from fupin.engine import quality
from fupin.engine.assess import assess
from fupin.engine.policy import PolicyMissing, load_policies
from fupin.registry import bulk

log = logging.getLogger(__name__)

STATUS_LABELS = ("未脱贫", "已脱贫", "返贫", "一般农户")
INDICATORS = ("income", "food", "clothing", "education", "medical", "housing", "water")
CATEGORIES = ("unstable", "marginal", "sudden", "unknown", "monitored")


def assess_frames(households, members, regions, *, year: int, policy_paths=(), as_of: date | None = None):
    """Engine run on frames: (verdicts, findings, policy) — the error findings block verdicts."""
    policy = load_policies(list(policy_paths))
    as_of = as_of or date(year, 12, 31)
    of_year_h = households.filter(pl.col("year") == year)
    of_year_m = members.filter(pl.col("year") == year)
    found = quality.findings(of_year_h, of_year_m, as_of=as_of)
    verdicts = assess(of_year_h, of_year_m, regions, year=year, policy=policy, as_of=as_of, errors=found)
    # Q24/Q25 need the verdicts: a second, warning-only pass with the assessment at hand.
    with_assessment = quality.findings(of_year_h, of_year_m, as_of=as_of, assessment=verdicts)
    found = pl.concat([found, with_assessment.filter(pl.col("code").is_in(["Q24", "Q25"]))]).unique(maintain_order=True)
    return verdicts, found, policy


def run_assessment(year: int, *, region: str | None = None, household_ids=None, policy_paths=(),
                   as_of: date | None = None, user=None) -> AssessmentRun:
    """Assess the stored households of ``year`` (optionally a region or some households).

    Stores one verdict per household (the previous ones stay as history, no longer current),
    the quality findings, and refreshes the region figures of the affected counties.
    Raises ``fupin.engine.policy.PolicyMissing`` when a needed policy value is not set.
    """
    prefix = divisions.scope_prefix(region) if region else None
    households = bulk.read_households(year, prefix)
    members = bulk.read_members(year, prefix)
    regions = bulk.read_regions(prefix)
    if household_ids is not None:
        wanted = pl.Series("household_id", list(household_ids), dtype=pl.String)
        households = households.filter(pl.col("household_id").is_in(wanted.implode()))
        members = members.filter(pl.col("household_id").is_in(wanted.implode()))
    verdicts, found, policy = assess_frames(households, members, regions, year=year,
                                            policy_paths=policy_paths, as_of=as_of)
    return store_run(verdicts, found, year=year, policy=policy, as_of=as_of, region=prefix)


def store_run(verdicts: pl.DataFrame, findings: pl.DataFrame | None, *, year: int, policy,
              as_of: date | None = None, region: str | None = None) -> AssessmentRun:
    """Store an engine run (verdicts + findings) and refresh the affected counties' figures."""
    prefix = divisions.scope_prefix(region) if region else None
    run = bulk.store_assessment(None, verdicts, year, policy.identity, as_of=as_of,
                                region=prefix, findings=findings)
    counties = verdicts.select(pl.col("region_code").drop_nulls().str.slice(0, 6).unique()).to_series().to_list()
    refresh_region_stats(year, counties=counties, policy=policy, run=run)
    log.info("assessment run %s: year %s, %s households", run.pk, year, verdicts.height)
    return run


def _current_verdicts(year: int, prefix: str | None) -> pl.DataFrame:
    from fupin.assessments.models import Verdict

    table = Verdict._meta.db_table
    cols = {"household_id": pl.String(), "region_code": pl.String(), "population": pl.Int32(),
            "meets_standard": pl.String(), "monitoring_category": pl.String(),
            **{k: pl.String() for k in INDICATORS}}
    where = "WHERE year = %s AND current = %s"
    params: list = [year, True]
    if prefix:
        where += " AND region_code LIKE %s"
        params.append(prefix + "%")
    return bulk._frame(f"SELECT {', '.join(cols)} FROM {table} {where}", params, cols)


def refresh_region_stats(year: int, *, counties=None, policy=None, run=None) -> int:
    """Recompute the figures of every village, town and county under ``counties`` (6-digit
    prefixes; all when None) from the registry and the current verdicts, then roll the
    counties up to cities and provinces. Returns the number of region rows written."""
    policy = policy or load_policies([])
    scopes = sorted(set(counties)) if counties else [None]
    rows: list[pl.DataFrame] = []
    for county in scopes:
        households = bulk.read_households(year, county)
        if households.height == 0:
            continue
        members = bulk.read_members(year, county)
        regions = bulk.read_regions(county)
        verdicts = _current_verdicts(year, county)
        rows.extend(_stats_for(verdicts, households, members, regions, year=year, policy=policy))
    with transaction.atomic():
        written = 0
        for frame in rows:
            written += _replace_stats(year, frame, run)
        _roll_up(year)
    return written


def _status_counts(households: pl.DataFrame, members: pl.DataFrame, digits: int) -> pl.DataFrame:
    living = members.filter(pl.col("member_status").is_null() | (pl.col("member_status") == "正常"))
    people = living.group_by("household_id").len("people")
    status = (
        pl.when(~pl.col("registered").fill_null(False)).then(pl.lit("一般农户"))
        .otherwise(pl.col("poverty_status").fill_null("未填"))
    )
    counted = (
        households.join(people, on="household_id", how="left")
        .with_columns(code=pl.col("region_code").str.slice(0, digits).str.pad_end(12, "0"), status=status)
        .group_by("code", "status").agg(h=pl.len(), p=pl.col("people").fill_null(0).sum())
    )
    return counted.group_by("code").agg(
        households_by_status=pl.concat_str([pl.lit('"'), pl.col("status"), pl.lit('":'), pl.col("h").cast(pl.String)]).str.join(","),
        people_by_status=pl.concat_str([pl.lit('"'), pl.col("status"), pl.lit('":'), pl.col("p").cast(pl.String)]).str.join(","),
        households_total=pl.col("h").sum(), people_total=pl.col("p").sum(),
    ).with_columns(
        households_by_status="{" + pl.col("households_by_status") + "}",
        people_by_status="{" + pl.col("people_by_status") + "}",
    )


def _stats_for(verdicts, households, members, regions, *, year, policy):
    from fupin.engine.regions import region_summary

    frames = []
    for level, digits in (("village", 12), ("town", 9), ("county", 6)):
        counts = _status_counts(households, members, digits)
        summary = pl.DataFrame({"code": counts["code"]})
        if verdicts.height:
            try:
                summary = region_summary(verdicts, households, members, regions, year=year, level=level,
                                         policy=policy)
            except PolicyMissing:
                # Figures that need the policy (exit thresholds) stay empty until one is set;
                # the registry counts are still current.
                log.info("region figures of %s without policy-dependent values", year)
        frames.append(counts.join(summary, on="code", how="left").with_columns(level=pl.lit(level)))
    return frames


def _json_object(columns: dict[str, str]) -> pl.Expr:
    parts = []
    for key, column in columns.items():
        parts.append(pl.concat_str([pl.lit(f'"{key}":'), pl.col(column).fill_null(0).cast(pl.String)]))
    return pl.lit("{") + pl.concat_str(parts, separator=",") + pl.lit("}")


def _replace_stats(year: int, frame: pl.DataFrame, run) -> int:
    if frame.height == 0:
        return 0
    names = divisions.names()
    get = lambda c: pl.col(c) if c in frame.columns else pl.lit(None)  # noqa: E731
    out = frame.select(
        year=pl.lit(year, dtype=pl.Int32),
        code=pl.col("code"),
        level=pl.col("level"),
        parent_code=pl.when(pl.col("level") == "village").then(pl.col("code").str.slice(0, 9).str.pad_end(12, "0"))
        .when(pl.col("level") == "town").then(pl.col("code").str.slice(0, 6).str.pad_end(12, "0"))
        .otherwise(pl.col("code").str.slice(0, 4).str.pad_end(12, "0")),
        name=pl.coalesce(get("name").cast(pl.String), pl.col("code").replace_strict(names, default=pl.col("code"))),
        run_id=pl.lit(run.pk if run else None, dtype=pl.Int64),
        households=pl.col("households_total").cast(pl.Int32),
        people=pl.col("people_total").cast(pl.Int32),
        registered_households=get("registered_households").fill_null(0).cast(pl.Int32),
        registered_people=get("registered_people").fill_null(0).cast(pl.Int32),
        remaining_poor_households=get("remaining_poor_households").fill_null(0).cast(pl.Int32),
        remaining_poor_people=get("remaining_poor_people").fill_null(0).cast(pl.Int32),
        registered_rural_population=get("registered_rural_population").cast(pl.Int32),
        incidence=get("incidence").cast(pl.Float64),
        projected_incidence=get("projected_incidence").cast(pl.Float64),
        exit_eligible=get("exit_eligible").cast(pl.Boolean),
        listed_supervision=get("listed_supervision").cast(pl.Boolean),
        households_by_status=pl.col("households_by_status"),
        people_by_status=pl.col("people_by_status"),
        unmet=_json_object({k: f"unmet_{k}" for k in INDICATORS}) if "unmet_income" in frame.columns else pl.lit("{}"),
        leads=_json_object({c: f"leads_{c}" for c in CATEGORIES[:4]} | {"monitored": "monitored"})
        if "leads_unstable" in frame.columns else pl.lit("{}"),
        verdicts=pl.lit("{}"),
        computed_at=pl.lit(timezone.now()),
    )
    RegionStat.objects.filter(year=year, code__in=out["code"].to_list()).delete()
    return bulk.insert_frame(RegionStat._meta.db_table, out)


def _roll_up(year: int) -> None:
    """Cities and provinces: sums of their counties' stored figures (no registry read)."""
    import json

    counties = list(RegionStat.objects.filter(year=year, level="county"))
    names = divisions.names()
    groups: dict[tuple[str, str], list[RegionStat]] = {}
    for stat in counties:
        city = stat.code[:4] + "0" * 8
        province = stat.code[:2] + "0" * 10
        if city in names and city != province:
            groups.setdefault((city, "city"), []).append(stat)
        groups.setdefault((province, "province"), []).append(stat)
    RegionStat.objects.filter(year=year, level__in=["city", "province"]).delete()
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
