"""B18 (warning) of spec/assistance.md 3.12: a 受灾户 outside its event's 区划范围, one finding
per row (event, household, region), with the one area test of the shock rules."""

from __future__ import annotations

import polars as pl

from fupin.engine import shocks
from fupin.engine.assistance import rules as R


def _areas(**events: list[str]) -> pl.DataFrame:
    return pl.DataFrame([(e, p) for e, ps in events.items() for p in ps], schema={"event_id": pl.String,
                                                                                  "prefix": pl.String}, orient="row")


def _rows(*rows) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"event_id": pl.String, "household_id": pl.String,
                                            "region_code": pl.String, "_row": pl.Int64}, orient="row")


def test_b18_is_a_registered_warning():
    assert R.SEVERITY["B18"] == "warning" and R.label("B18") == "受灾户不在事件区划范围内"


def test_b18_one_finding_per_row_outside_every_prefix_of_its_event():
    areas = _areas(E1=["500101102", "500102"], E2=["50"])
    rows = _rows(("E1", "H1", "500101102201", 2), ("E1", "H2", "500101103201", 3), ("E1", "H3", "500102001201", 4),
                 ("E2", "H2", "500101103201", 5), ("E2", "H9", "510101001201", 6))
    found = shocks.outside_area(rows, areas)
    assert found.select("event_id", "household_id", "region_code", "_row").rows() == [
        ("E1", "H2", "500101103201", 3), ("E2", "H9", "510101001201", 6)]
    assert set(found["code"]) == {"B18"} and set(found["severity"]) == {"warning"}
    assert "500101102;500102" in found["message_zh"][0] and "H2" in found["message_zh"][0]


def test_b18_an_event_without_known_prefixes_puts_its_rows_outside():
    found = shocks.outside_area(_rows(("E7", "H1", "500101102201", 2)), _areas(E1=["5001"]))
    assert found["household_id"].to_list() == ["H1"]


def test_b18_the_same_prefix_test_as_the_exposed_count():
    households = pl.DataFrame({"household_id": ["H1", "H2"], "year": [2023, 2023],
                               "region_code": ["500101102201", "500101103201"], "registered": [True, True],
                               "monitoring_category": [None, None], "risk_eliminated": [None, None]},
                              schema_overrides={"monitoring_category": pl.String, "risk_eliminated": pl.Boolean})
    assert shocks.exposed_count(households, 2023, ["500101102"]) == 1
    found = shocks.outside_area(_rows(("E1", "H1", "500101102201", 2), ("E1", "H2", "500101103201", 3)),
                                _areas(E1=["500101102"]))
    assert found["household_id"].to_list() == ["H2"]
