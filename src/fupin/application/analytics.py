"""Use cases of the analysts: the third-party assessment sample (draw, estimate) and the MPI.

Each works on a :class:`~fupin.application.files.FileRegistry` — read from a file
(:func:`fupin.application.files.read_file`) or, through :mod:`fupin.application.analytics_db`,
from the database inside a user's Scope — and returns frames, so the command line and pages
render the same results. Nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from fupin import divisions
from fupin.application.files import FileRegistry, assess_registry
from fupin.engine import facts, mpi
from fupin.engine import sampling as S
from fupin.engine.policy import PolicySet
from fupin.engine.regions import region_summary

__all__ = ["DrawOutcome", "EstimateOutcome", "MpiOutcome", "draw_sample", "estimate_sample", "mpi_table"]


def _values(policy: PolicySet, names, year: int, region: str) -> dict:
    return {p: policy.resolve(p, year, divisions.pad12(region))[0] for p in names}


def _household_details(registry: FileRegistry, year: int) -> pl.DataFrame:
    """Head's name and population per household (what a surveyor needs; no ID numbers, no phones)."""
    m = registry.members.filter(pl.col("year").is_null() | (pl.col("year") == year)).lazy()
    heads = m.filter((pl.col("relationship") == "户主") & facts.living()).group_by("household_id").agg(
        pl.col("name").first().alias("head_name"))
    people = facts.population_of(m).select("household_id", "population")
    return people.join(heads, on="household_id", how="full", coalesce=True).collect()


@dataclass
class DrawOutcome:
    sample: S.Sample
    frame: S.Frame


def draw_sample(policy: PolicySet, registry: FileRegistry, *, year: int, region: str, seed: int,
                purpose: str = "exit", exited_since: int | None = None) -> DrawOutcome:
    """The seeded sample of C.2 (raises NothingToSample, PolicyMissing)."""
    values = _values(policy, S.SAMPLE_PARAMETERS, year, region)
    households = registry.households.join(_household_details(registry, year), on="household_id", how="left")
    frame = S.build_frame(households, registry.regions, year=year, region=region, exited_since=exited_since,
                          extra=("head_name", "hamlet", "population", "exit_year"))
    sample = S.draw(frame, seed=seed, year=year, region=region, purpose=purpose,
                    policy=S.SamplePolicy.from_values(values))
    sample.strata = sample.strata.with_columns(exited_since=pl.lit(exited_since, dtype=pl.Int64))
    return DrawOutcome(sample, frame)


@dataclass
class EstimateOutcome:
    table: pl.DataFrame
    warnings: list[str]


def estimate_sample(policy: PolicySet, sample: dict[str, pl.DataFrame], results: pl.DataFrame,
                    registry: FileRegistry, *, basis: str = "sample") -> EstimateOutcome:
    """The rows wrong_exit, missed, approval, composite_incidence, overall of C.4.

    ``sample`` is the draw's three tables, ``results`` the accepted field rows
    (:func:`fupin.io.sampling.read_results`); the registry serves the composite incidence and
    the frame check only."""
    strata, cells = sample["strata"], sample["cells"]
    first = strata.row(0, named=True)
    year, region, sample_id = int(first["year"]), str(first["region"]), first["sample_id"]
    exited_since = first.get("exited_since")
    exited_since = int(exited_since) if exited_since not in (None, "") else None
    warnings: list[str] = []
    frame = S.build_frame(registry.households, registry.regions, year=year, region=region, exited_since=exited_since)
    if frame.digest != first["frame_digest"]:
        warnings.append("登记数据与抽样时不一致 (frame changed since the draw)")
    level = float(_values(policy, ("sample_confidence_level",), year, region)["sample_confidence_level"])
    thresholds = _values(policy, ("assess_wrong_exit_max", "assess_missed_max", "assess_approval_min"), year, region)
    completed = results.filter(pl.col("visit_status") == "completed")
    weighted = S.weigh(cells, strata.with_columns(pl.col("villages_in_stratum", "villages_selected").cast(pl.Int64)),
                       completed)
    z = S.z_value(level)
    common = {"level": level, "basis": basis, "villages_responding": weighted.villages_responding,
              "households_completed": completed.height, "uncovered_households": weighted.uncovered_households,
              "coverage_complete": weighted.uncovered_households == 0, "sample_id": sample_id}
    rows, decisions, rates = [], [], {}
    limit = {"wrong_exit": "assess_wrong_exit_max", "missed": "assess_missed_max", "approval": "assess_approval_min"}
    for indicator in S.INDICATORS:
        e = S.estimate(weighted, indicator, z)
        rate = e.sample_rate if basis == "sample" else e.estimate
        rates[indicator] = e.exact_sample if basis == "sample" else e.exact_estimate
        rates[(indicator, "sample")], rates[(indicator, "weighted")] = e.exact_sample, e.exact_estimate
        threshold = float(thresholds[limit[indicator]])
        decision, status, comparison = S.decide(indicator, rate if e.sample_denominator else None, e.ci_low,
                                                e.ci_high, threshold)
        decisions.append(decision)
        rows.append({"indicator": indicator, "label": S.INDICATOR_LABELS[indicator],
                     "sample_numerator": e.sample_numerator, "sample_denominator": e.sample_denominator,
                     "sample_rate": e.sample_rate, "estimate": e.estimate, "se": e.se, "deff": e.deff,
                     "n_eff": e.n_eff, "ci_low": e.ci_low, "ci_high": e.ci_high, "threshold": threshold,
                     "comparison": comparison, "decision": decision, "ci_status": status, **common})
    composite = _composite(policy, registry, year=year, region=region, exited_since=exited_since, rates=rates)
    value = composite["sample"] if basis == "sample" else composite["weighted"]
    decision, _status, comparison = S.decide("composite_incidence", value, None, None, composite["threshold"])
    decisions.append(decision)
    rows.append({"indicator": "composite_incidence", "label": S.INDICATOR_LABELS["composite_incidence"],
                 "sample_rate": composite["sample"], "estimate": composite["weighted"],
                 "threshold": composite["threshold"], "comparison": comparison, "decision": decision, **common})
    overall = "no_data" if "no_data" in decisions else "pass" if all(d == "pass" for d in decisions) else "fail"
    rows.append({"indicator": "overall", "label": S.INDICATOR_LABELS["overall"], "decision": overall, **common})
    return EstimateOutcome(pl.DataFrame(rows, schema=ESTIMATE_SCHEMA), warnings)


ESTIMATE_SCHEMA = {
    "indicator": pl.String, "label": pl.String, "sample_numerator": pl.Int64, "sample_denominator": pl.Int64,
    "sample_rate": pl.Float64, "estimate": pl.Float64, "se": pl.Float64, "deff": pl.Float64, "n_eff": pl.Float64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "level": pl.Float64, "threshold": pl.Float64,
    "comparison": pl.String, "basis": pl.String, "decision": pl.String, "ci_status": pl.String,
    "villages_responding": pl.Int64, "households_completed": pl.Int64, "uncovered_households": pl.Int64,
    "coverage_complete": pl.Boolean, "sample_id": pl.String,
}


def _composite(policy: PolicySet, registry: FileRegistry, *, year: int, region: str, exited_since: int | None,
               rates: dict) -> dict:
    """Composite incidence on both bases, with the exit threshold of the region's zone."""
    prefix = divisions.scope_prefix(region)
    level = {6: "county", 9: "town", 12: "village"}.get(len(prefix), "county")
    figures = region_summary(None, registry.households, registry.members, registry.regions, year=year, level=level,
                             region=region, policy=policy)
    remaining = int(figures["remaining_poor_people"].sum())
    registered_people = int(figures["registered_people"].sum())
    population = None if figures["registered_rural_population"].null_count() else int(
        figures["registered_rural_population"].sum())
    thresholds = figures["exit_threshold"].drop_nulls()
    threshold = float(thresholds.max()) if thresholds.len() else float(
        policy.resolve("exit_incidence", year, divisions.pad12(region))[0])
    hh = registry.households.filter(pl.col("year") == year).filter(pl.col("region_code").str.starts_with(prefix))
    people = facts.population_of(registry.members.filter(pl.col("year").is_null() | (pl.col("year") == year))).collect()
    exited_people = int(hh.filter(S.household_stratum(exited_since) == "exited").join(
        people, on="household_id", how="left")["population"].fill_null(0).sum())
    out = {"threshold": threshold}
    for basis in ("sample", "weighted"):
        value = S.composite_incidence(rates[("wrong_exit", basis)], rates[("missed", basis)],
                                      remaining_poor_people=remaining, exited_people=exited_people,
                                      registered_people=registered_people, registered_rural_population=population)
        out[basis] = None if value is None else float(value)
    return out


@dataclass
class MpiOutcome:
    table: pl.DataFrame
    households: pl.DataFrame
    errors_excluded: int


def mpi_weights(policy: PolicySet, year: int, region: str | None, k=None) -> tuple[dict[str, Fraction], Fraction]:
    """The weights and k in force (``k`` overrides ``mpi_k``); raises MpiError, PolicyMissing."""
    code = divisions.pad12(region) if region else None
    weights = mpi.parse_weights(policy.resolve("mpi_weights", year, code)[0])
    return weights, mpi.parse_k(k if k is not None else policy.resolve("mpi_k", year, code)[0])


def mpi_table(policy: PolicySet, registry: FileRegistry, *, year: int, level: str, region: str | None = None,
              k=None, unknown: str = "exclude", as_of=None) -> MpiOutcome:
    """The MPI by region at ``level`` plus the total row (D.3), and the households' scores.

    The deprivations are the assessment's verdicts of the same registry (one engine run)."""
    weights, cutoff = mpi_weights(policy, year, region, k)
    verdicts, _findings = assess_registry(policy, registry, year, as_of=as_of)
    table = mpi.measures(verdicts, registry.regions, weights=weights, k=cutoff, level=level, region=region,
                         unknown=unknown)
    table = table.with_columns(policy=pl.lit(policy.identity_for(divisions.pad12(region) if region else None)))
    households = mpi.household_scores(verdicts, weights=weights, k=cutoff, region=region, unknown=unknown)
    return MpiOutcome(table, households, int(table["excluded_error"][-1]))
