"""Use cases of the employment service (``fupin employment offers|return-rate``): R10's 送工送岗
list and the 复工 rate of ``spec/assistance.md``, over an :class:`AssistanceInput` — read from
files (:func:`fupin.application.assistance_files.read_inputs`) or from the database
(:func:`fupin.application.assistance.stored_inputs`), so both give the same frames to one
builder. Nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.application import assistance_files as files_use
from fupin.engine.assistance import employment as E
from fupin.engine.policy import PolicySet

LEVELS = tuple(E.RATE_LEVELS)


@dataclass
class OffersReport:
    year: int
    as_of: date
    offers: pl.DataFrame     # E.OFFER_SCHEMA
    uncovered: int           # members R1 leaves uncovered
    without_post: int        # … of whom no open post fits


def offers_report(policy: PolicySet, data: files_use.AssistanceInput, *, year: int,
                  as_of: date | None = None, post_placements: pl.DataFrame | None = None) -> OffersReport:
    """R1 over the input, then R10 for its uncovered members (PolicyMissing when a key is unset).
    ``post_placements`` (``post_id, start, end``): every placement on the input's posts, when the
    input's own placements are a region's only (the database: a county's post is held in other
    towns too); default the input's."""
    outcome = files_use.evaluate(policy, data, year=year, as_of=as_of)
    ledger = data.ledger
    taken = ledger.placements if post_placements is None else post_placements
    got = E.offers(outcome.outlet, ledger.posts, taken, ledger.labour, year=year, as_of=outcome.as_of)
    people = got.select("id_number").n_unique()
    waiting = got.filter(pl.col("post_id").is_null()).height
    return OffersReport(year, outcome.as_of, got, people, waiting)


def return_rate_report(data: files_use.AssistanceInput, *, year: int, on: date, level: str) -> pl.DataFrame:
    """The 复工 rate by town or county on ``on`` (E.RATE_SCHEMA) with ``region_name``."""
    if level not in E.RATE_LEVELS:
        raise ValueError(level)
    rates = E.return_rate(data.registry.households, data.registry.members, data.ledger.migration, year=year, on=on,
                          level=level, region=data.region)
    names = files_use.region_names(data.registry)
    return rates.with_columns(region_name=pl.col("region_code").replace_strict(names, default=None,
                                                                               return_dtype=pl.String))
