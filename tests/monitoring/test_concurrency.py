"""Two county officers approving the same lead at once: the row lock lets one win (PostgreSQL)."""

from __future__ import annotations

import os
import threading
from datetime import date, timedelta

import pytest

from fupin.accounts.scoping import Scope
from fupin.application.policy import current as current_policy
from tests.monitoring.monitoring_helpers import NOW, VILLAGE_A, YEAR
from tests.scopes import EVERYWHERE

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("FUPIN_DB", "").startswith("postgres"),
                       reason="needs PostgreSQL (FUPIN_DB=postgresql://…); SQLite serialises writers anyway"),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_approvals_of_the_same_lead_second_is_refused(divisions_loaded, registry, users):
    from django.db import connection

    from fupin.monitoring.models import Lead, LeadStep
    from fupin.monitoring.workflow import StepRefused, apply_step
    from fupin.registry.models import Household

    lead = Lead.objects.within(EVERYWHERE).create(channel="cadre", state="town_reviewed", region_code=VILLAGE_A, household_id="H2",
                               year=YEAR, received_at=NOW, verify_due=NOW.date(), decide_due=NOW.date() + timedelta(15),
                               category="marginal", risk_types=["serious_illness"], notice_start=date(2024, 3, 1),
                               notice_end=date(2024, 3, 1))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve():
        try:
            barrier.wait()
            apply_step(Scope.of(users["county"]), current_policy(), lead.pk, "county_approve", now=NOW)
            outcomes.append("approved")
        except StepRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert LeadStep.objects.within(EVERYWHERE).filter(lead=lead, action="county_approve").count() == 1
    assert Household.history.filter(household_id="H2", monitoring_category="边缘易致贫户").count() == 1
