"""Deadlines of a lead from policy (``identification_max_days``, ``verification_max_working_days``).

* Home verification is due ``verification_max_working_days`` working days after the day the
  lead was received (Monday–Friday; a lead received on a weekend counts from the Monday).
  Public holidays are not known to the policy files and are not skipped.
* The decision is due ``identification_max_days`` calendar days after that day.
* A lead is overdue on the day after its due date. Until it is verified the verification
  clock runs; after that the decision clock.
The year of a parameter is the year the lead was received, the region its village.

A household exit (贫困户退出) has its own two clocks: the village review (民主评议 and the start
of 公示) is due ``exit_review_max_days`` calendar days after the proposal, the county's approval
``exit_max_days`` days after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.utils.translation import gettext, gettext_lazy

from fupin.engine.policy import PolicySet
from fupin.monitoring import clock
from fupin.monitoring.models import OPEN_STATES, Purpose, State


def parameter(policy: PolicySet, name: str, year: int, region_code: str):
    return policy.resolve(name, year, region_code)[0]


def add_working_days(start: date, days: int) -> date:
    return np.busday_offset(np.datetime64(start, "D"), int(days), roll="forward").astype(date)


def due_dates(policy: PolicySet, received: date, region_code: str, purpose: str = "") -> tuple[date, date]:
    """(first step due, decision due) for a lead received on ``received`` in ``region_code``."""
    if purpose == Purpose.EXIT:
        review = received + timedelta(days=int(parameter(policy, "exit_review_max_days", received.year, region_code)))
        return review, received + timedelta(days=int(parameter(policy, "exit_max_days", received.year, region_code)))
    verify = add_working_days(received, parameter(policy, "verification_max_working_days", received.year, region_code))
    decide = received + timedelta(days=int(parameter(policy, "identification_max_days", received.year, region_code)))
    return verify, decide


@dataclass(frozen=True)
class Clock:
    which: str          # verify | decide | review | exit | closed
    due: date | None
    days_left: int | None
    overdue: bool

    @property
    def label(self) -> str:
        """In the active language (Chinese by default: lists and workbooks; English pages in English)."""
        if self.which == "closed" or self.due is None:
            return gettext("Procedure completed")
        what = str(CLOCK_STEPS.get(self.which, CLOCK_STEPS["decide"]))
        if self.overdue:
            return gettext("%(what)s overdue by %(days)s days") % {"what": what, "days": -self.days_left}
        return gettext("%(what)s: %(days)s days left (until %(due)s)") % {
            "what": what, "days": self.days_left, "due": f"{self.due:%Y-%m-%d}"}


# The step whose deadline a clock counts down.
CLOCK_STEPS = {"verify": gettext_lazy("Home verification"), "review": gettext_lazy("Village review"),
               "exit": gettext_lazy("Exit approval"), "decide": gettext_lazy("Identification decision")}


def clock_of(lead, at: datetime | None = None) -> Clock:
    if lead.state not in OPEN_STATES:
        return Clock("closed", None, None, False)
    today = clock.today(at)
    if lead.purpose == Purpose.EXIT:
        which, due = ("review", lead.verify_due) if lead.state == State.NEW else ("exit", lead.decide_due)
    else:
        which, due = ("verify", lead.verify_due) if lead.state == State.NEW else ("decide", lead.decide_due)
    days_left = (due - today).days
    return Clock(which, due, days_left, days_left < 0)
