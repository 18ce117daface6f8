"""The analysts' use cases over the stored registry, inside a Scope (``--db``, pages, the API).

The registry of the year is read in bulk within the scope (as ``fupin regions --db`` reads it)
and handed to the same functions as a file's (:mod:`fupin.application.analytics`): a sample or
an MPI from the database is the sample or MPI of the same data as a file.
"""

from __future__ import annotations

import polars as pl

from fupin.accounts.scoping import Capability, Scope
from fupin.application import analytics
from fupin.application.assessment import stored_registry
from fupin.engine.policy import PolicySet


def draw_sample(scope: Scope, policy: PolicySet, *, year: int, region: str, seed: int, purpose: str = "exit",
                exited_since: int | None = None) -> analytics.DrawOutcome:
    scope.require_to(Capability.READ)
    registry = stored_registry(scope.narrow(region), year)
    return analytics.draw_sample(policy, registry, year=year, region=region, seed=seed, purpose=purpose,
                                 exited_since=exited_since)


def estimate_sample(scope: Scope, policy: PolicySet, sample: dict[str, pl.DataFrame], results: pl.DataFrame, *,
                    basis: str = "sample") -> analytics.EstimateOutcome:
    scope.require_to(Capability.READ)
    first = sample["strata"].row(0, named=True)
    registry = stored_registry(scope.narrow(str(first["region"])), int(first["year"]))
    return analytics.estimate_sample(policy, sample, results, registry, basis=basis)


def mpi_table(scope: Scope, policy: PolicySet, *, year: int, level: str, region: str | None = None, k=None,
              unknown: str = "exclude") -> analytics.MpiOutcome:
    scope.require_to(Capability.READ)
    registry = stored_registry(scope.narrow(region) if region else scope, year)
    return analytics.mpi_table(policy, registry, year=year, level=level, region=region, k=k, unknown=unknown)
