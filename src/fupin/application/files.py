"""Use cases over registry files, without a database: assess, check, explain, figures by region.

Nothing here imports Django, so ``fupin assess --input`` and its siblings start as fast as the
engine allows. The same functions serve a registry read from the database
(:func:`fupin.application.assessment.stored_registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin import divisions
from fupin.engine import quality
from fupin.engine import rules as R
from fupin.engine.assess import FINDING_COLUMNS, assess_with_findings
from fupin.engine.explain import explain
from fupin.engine.policy import PolicySet
from fupin.engine.regions import region_summary
from fupin.io import read_registry


class NothingToAssess(ValueError):
    """No households of the year in the scope (or the file); Chinese, then English."""


def nothing_to_assess(year: int, where: str) -> NothingToAssess:
    return NothingToAssess(f"{where} 中没有 {year} 年度的户 (no households of year {year} there)")


@dataclass
class FileRegistry:
    """A registry's households and members as far as they parse, with the importer's issues
    (None for a registry read from the database)."""

    households: pl.DataFrame
    members: pl.DataFrame
    regions: pl.DataFrame
    issues: pl.DataFrame | None
    # The member table the importer's checks read, and the assessment date they read it at:
    # the assessment reuses it for the checks that compare with the verdict (Q24, Q25).
    checked_members: pl.DataFrame | None = None
    checked_as_of: date | None = None


def read_file(path, *, year: int, region: str | None = None, as_of: date | None = None) -> FileRegistry:
    """A registry file read for assessing, with the households the importer would reject kept (as
    far as they parse) so that they come out as ``error`` rows with their codes instead of
    vanishing (rules.md "Households with errors"). Raises ExchangeFormatError, NothingToAssess."""
    registry = read_registry(str(path), year=year, as_of=as_of)
    internal = [c for c in registry.households.columns if c.startswith("_")]
    households = registry.households.drop(internal).filter(
        pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    if _has_duplicate_keys(registry.issues):
        households = households.unique(["household_id", "year"], keep="first", maintain_order=True)
    members = registry.members.drop([c for c in registry.members.columns if c.startswith("_")])
    checked = registry.checked_members
    if region:
        prefix = divisions.scope_prefix(region)
        households = households.filter(pl.col("region_code").str.starts_with(prefix))
        in_scope = pl.col("household_id").is_in(households["household_id"].implode())
        members = members.filter(in_scope)
        checked = checked.filter(in_scope) if checked is not None else None
    if households.filter(pl.col("year") == year).height == 0:
        raise nothing_to_assess(year, str(path) + (f"（区划 {region}）" if region else ""))
    issues = registry.issues.filter(pl.col("household_id").is_not_null())
    return FileRegistry(households, members, registry.regions, issues, checked_members=checked, checked_as_of=as_of)


def _has_duplicate_keys(issues: pl.DataFrame) -> bool:
    # The importer reports every repeated (household_id, year) as E06 on the households table;
    # without one, keeping the first row of each key changes nothing (and costs a full pass).
    return bool(issues.filter((pl.col("table") == "households") & (pl.col("code") == "E06")).height)


def assess_registry(policy: PolicySet, registry: FileRegistry, year: int, *, as_of: date | None = None):
    """(verdicts, findings) of a registry: the importer's issues, when it was read from a file,
    are the checks already run; otherwise the checks run now."""
    reuse = registry.checked_members is not None and registry.checked_as_of == as_of
    return assess_with_findings(registry.households, registry.members, registry.regions, year=year, policy=policy,
                                as_of=as_of, findings=registry.issues,
                                prepared_members=registry.checked_members if reuse else None)


def checks_only(registry: FileRegistry, year: int, *, as_of: date | None = None) -> pl.DataFrame:
    """The findings without an assessment (when the policy of the year is incomplete): the
    importer's issues for a file, the checks run now for the database; Q24/Q25 need a verdict."""
    if registry.issues is not None:
        return registry.issues.filter(pl.col("year").is_null() | (pl.col("year") == year)).select(
            "household_id", "year", pl.lit(None, dtype=pl.String).alias("id_number"),
            pl.lit(None, dtype=pl.String).alias("member_name"), "code", "severity", "message_zh", "message_en")
    h = registry.households.filter(pl.col("year") == year)
    m = registry.members.filter(pl.col("year").is_null() | (pl.col("year") == year))
    return quality.findings(h, m, as_of=as_of or date(year, 12, 31)).select(FINDING_COLUMNS)


def explain_in_file(policy: PolicySet, path, household_id: str, year: int, *, as_of: date | None = None,
                    lang: str = "zh") -> str:
    """Explain one household of a file (the whole year is assessed: Q04 looks across households)."""
    registry = read_file(path, year=year, as_of=as_of)
    verdicts, _findings = assess_registry(policy, registry, year, as_of=as_of)
    row = verdicts.filter(pl.col("household_id") == household_id)
    if row.height == 0:
        raise NothingToAssess(f"{year}年没有户编号为 {household_id} 的户 (no household {household_id} in {year})")
    return explain(row.row(0, named=True), lang=lang)


def figures_by_region(policy: PolicySet, registry: FileRegistry, verdicts: pl.DataFrame, *, year: int,
                      level: str, region: str | None = None) -> pl.DataFrame:
    """Village, town or county figures (rules.md section 4) of an assessed registry."""
    return region_summary(verdicts, registry.households, registry.members, registry.regions, year=year, level=level,
                          region=region, policy=policy)


def findings_by_village(registry: FileRegistry, findings: pl.DataFrame, year: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings with their village, counts by village) for ``fupin check``."""
    hh = registry.households.filter(pl.col("year") == year).select("household_id", "region_code").unique("household_id")
    table = findings.join(hh, on="household_id", how="left").sort("region_code", "household_id", "code")
    by_village = table.group_by("region_code").agg(
        findings=pl.len(), errors=(pl.col("severity") == "error").sum(),
        warnings=(pl.col("severity") == "warning").sum(),
        households=pl.col("household_id").n_unique(),
        codes=pl.col("code").unique().sort().str.join(";"),
    ).sort("region_code")
    names = _village_names(registry, by_village.get_column("region_code").drop_nulls().to_list())
    named = pl.col("region_code").replace_strict(names, default=None, return_dtype=pl.String).alias("village_name")
    return table.with_columns(named), by_village.with_columns(named)


def _village_names(registry: FileRegistry, codes: list[str]) -> dict[str, str | None]:
    """Names of ``codes`` from the file's regions table, else the official division table."""
    official = divisions.names()
    given: dict[str, str] = {}
    regions = registry.regions
    if regions is not None and regions.height and {"region_code", "name"} <= set(regions.columns):
        given = dict(regions.select(pl.col("region_code").cast(pl.String), "name").drop_nulls().iter_rows())
    return {code: given.get(code) or official.get(code) for code in codes}


def counts_text(verdicts: pl.DataFrame) -> str:
    """"达标 269，未达标 18，待核实 13": the verdict counts under their labels, in the order of the registry."""
    return labelled_counts(dict(verdicts.group_by("meets_standard").len().iter_rows()))


def labelled_counts(counts: dict) -> str:
    """Counts by ``meets_standard`` value as people read them (labels of the rule registry)."""
    labels = R.VALUE_LABELS["meets_standard"]
    order = [k for k in labels if k in counts] + sorted(k for k in counts if k not in labels and k is not None)
    return "，".join(f"{labels.get(k, k)} {counts[k]}" for k in order)
