from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application import policy as policy_provider
from tests.regions import TOWN, VILLAGE_A


@pytest.fixture
def policy():
    return policy_provider.current()


@pytest.fixture
def make_problems(db, policy):
    """``make_problems(n, region=VILLAGE_A, received_on=…, immediate=False, deadline=None)`` → problems."""
    from fupin.supervision import services

    def make(n: int = 1, *, region: str = VILLAGE_A, received_on: date = date(2020, 3, 1), immediate: bool = False,
             deadline: date | None = None, source: str = "inspection"):
        ids = services.next_ids(received_on.year, n)
        frame = pl.DataFrame({
            "problem_id": ids, "year": [received_on.year] * n, "source": [source] * n, "source_ref": [None] * n,
            "region_code": [region] * n, "category": ["housing"] * n, "description": ["住房安全问题"] * n,
            "household_id": [None] * n, "finding_code": [None] * n, "lead_id": [None] * n, "lead_unit": [None] * n,
            "responsible_unit": ["龙沙镇"] * n, "responsible_person": [None] * n, "received_on": [received_on] * n,
            "immediate": [immediate] * n, "deadline": [deadline] * n,
        }, schema_overrides={"lead_id": pl.Int64, "deadline": pl.Date, "received_on": pl.Date})
        from django.utils import timezone
        return services.create_problems(Scope.system(), policy_provider.current(), frame, at=timezone.now())

    return make


__all__ = ["TOWN"]
