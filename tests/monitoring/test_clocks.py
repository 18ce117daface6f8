"""Deadlines from policy with a controllable clock: working days, overdue flags, counts by region."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from fupin.monitoring.deadlines import add_working_days
from tests.monitoring.monitoring_helpers import (
    NOW,
    TZ,
    VILLAGE_A,
    VILLAGE_B,
    VILLAGE_C,
    pid,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("received", "due"), [
    (date(2024, 3, 4), date(2024, 3, 6)),    # Monday + 2 working days = Wednesday
    (date(2024, 3, 7), date(2024, 3, 11)),   # Thursday → Monday (the weekend skipped)
    (date(2024, 3, 8), date(2024, 3, 12)),   # Friday → Tuesday
    (date(2024, 3, 9), date(2024, 3, 13)),   # Saturday counts from Monday → Wednesday
])
def test_verification_deadline_skips_weekends(received, due):
    assert add_working_days(received, 2) == due


def _lead(user, seq=3, at=NOW):
    from fupin.monitoring.intake import record_cadre_lead

    return record_cadre_lead(Scope.of(user), current_policy(), village_code=VILLAGE_A, name="王二", id_number=pid(seq), hardship_type="illness",
                             text="住院", now=at)


def test_new_lead_gets_verification_and_decision_deadlines_from_policy(registry, users):
    lead = _lead(users["village"])
    # verification_max_working_days = 2, identification_max_days = 15 (national.toml defaults)
    assert (lead.verify_due, lead.decide_due) == (date(2024, 3, 6), date(2024, 3, 19))


def test_clock_shows_time_left_and_turns_overdue_the_day_after_the_due_date(registry, users):
    from fupin.monitoring.deadlines import clock_of

    lead = _lead(users["village"])
    on_due = clock_of(lead, datetime(2024, 3, 6, 23, 0, tzinfo=TZ))
    assert (on_due.which, on_due.days_left, on_due.overdue) == ("verify", 0, False)
    late = clock_of(lead, datetime(2024, 3, 7, 8, 0, tzinfo=TZ))
    assert (late.days_left, late.overdue) == (-1, True) and "超期 1 天" in late.label


def test_after_verification_the_decision_clock_runs(registry, users):
    from fupin.monitoring.deadlines import clock_of
    from fupin.monitoring.workflow import apply_step

    lead = _lead(users["village"])
    lead = apply_step(Scope.of(users["village"]), current_policy(), lead.pk, "verify", now=NOW, authorisation_signed=True)
    c = clock_of(lead, datetime(2024, 3, 10, tzinfo=TZ))
    assert (c.which, c.due, c.days_left, c.overdue) == ("decide", date(2024, 3, 19), 9, False)
    assert clock_of(lead, datetime(2024, 3, 20, tzinfo=TZ)).overdue


def test_overdue_leads_are_filtered_in_lists_and_counted_by_region(registry, users):
    from fupin.monitoring.intake import record_cadre_lead
    from fupin.monitoring.selectors import LeadFilter, lead_list, overdue_by_region

    old = _lead(users["village"], 3, NOW - timedelta(days=7))
    _lead(users["village"], 1, NOW)
    record_cadre_lead(Scope.of(users["village_b"]), current_policy(), village_code=VILLAGE_B, name="赵四", id_number=pid(4),
                      hardship_type="illness", text="x", now=NOW - timedelta(days=30))
    record_cadre_lead(Scope.of(users["village_c"]), current_policy(), village_code=VILLAGE_C, name="钱五", id_number=pid(5),
                      hardship_type="illness", text="x", now=NOW - timedelta(days=30))
    overdue = list(lead_list(Scope.of(users["village"]), LeadFilter(state="open", overdue=True), now=NOW))
    assert overdue == [old]
    counts = {r["code"]: (r["open"], r["overdue"]) for r in overdue_by_region(Scope.of(users["town"]), now=NOW)}
    assert counts == {VILLAGE_A: (2, 1), VILLAGE_B: (1, 1)}
    county = {r["code"]: (r["open"], r["overdue"]) for r in overdue_by_region(Scope.of(users["county"]), now=NOW)}
    assert county == {"500101102": (3, 2), "500101103": (1, 1)}
