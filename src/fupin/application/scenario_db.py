"""Use case: a policy scenario over the stored registry (``fupin scenario --db``, an analyst page).

Reads the scope's households, members and regions through the bulk store, runs the quality
checks and both assessments in memory, and returns the comparison. It writes nothing — no run,
no verdict, no figure, no lead, no history row — so an analyst may try any line.
"""

from __future__ import annotations

from datetime import date

from fupin.accounts.scoping import Capability, Scope
from fupin.application.scenario import prepare
from fupin.engine import scenario as engine
from fupin.engine.policy import PolicySet
from fupin.engine.scenario import ScenarioError, ScenarioResult
from fupin.registry import bulk

__all__ = ["ScenarioError", "scenario_in_db"]


def scenario_in_db(scope: Scope, policy: PolicySet, year: int, *, sets, level: str, where: str | None = None,
                   region: str | None = None, as_of: date | None = None) -> ScenarioResult:
    """Baseline and scenario of the stored households of ``year`` inside ``scope`` (narrowed to
    ``region``; 404 outside it). Reading takes the READ capability. Raises ScenarioError,
    PolicyMissing."""
    scope.require_to(Capability.READ)
    overrides = prepare(policy, sets, where=where, region=region)
    area = scope.narrow(region)
    households = bulk.read_households(area, year)
    if households.height == 0:
        raise ScenarioError(f"区划 {region or area.prefix or '全部'} 下没有 {year} 年度的户 (no households of {year} there)")
    return engine.run_scenario(households, bulk.read_members(area, year), bulk.read_regions(area), year=year,
                               policy=policy, overrides=overrides, level=level, where=where,
                               region=region or area.prefix or None, as_of=as_of)
