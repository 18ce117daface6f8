"""Listed-supervision selection (supervision-analytics.md A.1) over a registry read from a file or
from the database — without Django, so ``fupin supervise select --input`` starts as the other
file commands do. The database side reads the registry with
:func:`fupin.application.assessment.stored_registry` and calls the same function.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.application.files import FileRegistry, assess_registry
from fupin.engine import supervision as engine
from fupin.engine.policy import PolicySet
from fupin.engine.regions import region_summary


class SelectionError(ValueError):
    """Options of a selection that do not fit together (A.4's messages)."""


def check_ranking(top: int | None, rank_by: str | None) -> str:
    """A.4: ``--top`` positive; ``--rank-by`` only with ``--top``; the ranking key (default)."""
    if top is not None and top <= 0:
        raise SelectionError(f"--top 应为正整数：{top} (--top must be positive)")
    if rank_by is not None and top is None:
        raise SelectionError("--rank-by 需与 --top 同用 (needs --top)")
    return rank_by or "projected_incidence"


def select_regions(policy: PolicySet, registry: FileRegistry, *, year: int, level: str, region: str | None = None,
                   top: int | None = None, rank_by: str | None = None, as_of: date | None = None) -> pl.DataFrame:
    """The regions at ``level`` with a reason to be listed, by code (A.1, A.4's columns).
    Raises SelectionError, PolicyMissing."""
    key = check_ranking(top, rank_by)
    verdicts, _findings = assess_registry(policy, registry, year, as_of=as_of)
    summary = region_summary(verdicts, registry.households, registry.members, registry.regions, year=year,
                             level=level, region=region, policy=policy)
    return engine.select(summary, registry.regions, level=level, year=year, policy=policy, top=top, rank_by=key)
