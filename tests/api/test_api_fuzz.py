"""The API fuzzed from its own OpenAPI schema (schemathesis): whatever the parameters and bodies,
no request gives a 500, and no response carries a region outside the caller's.

The number of examples per operation is bounded (``FUZZ_EXAMPLES``, default 25) to keep CI
within its budget; ``FUZZ_EXAMPLES=500 pytest tests/api/test_api_fuzz.py`` digs deeper.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests.fupin_testdata import assess
from tests.regions import COUNTY, OTHER_COUNTY, TOWN

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
REGION_KEYS = {"region_code", "code", "region"}


# pytest-django has set Django up before collection; fetching the schema touches no database.
# (schemathesis.pytest.from_fixture would be lazier but breaks on pytest 9: Function._nodeid.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# Valid and invalid inputs both (negative mode breaks the schema on purpose: wrong types, NUL bytes,
# out-of-range numbers): an invalid one must be a 4xx, never a 500.
schema.config.generation.update(modes=list(schemathesis.GenerationMode))


@pytest.fixture(autouse=True)
def _same_connection():
    """The app runs in the test's transaction, as under Django's test client: requests must not
    close the connection when they end (the WSGI handler does, through these signals)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _registry(two_counties, immediate_queue):
    assess(2020, region=COUNTY)
    assess(2020, region=OTHER_COUNTY)


def _regions(value):
    """Every region code in a JSON document (keys that name a region, at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in REGION_KEYS and isinstance(item, str) and item.isdigit():
                yield item
            else:
                yield from _regions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _regions(item)


def _check(case, response, scope_prefix: str):
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query} → {response.status_code}: {response.text[:300]}")
    if response.status_code == 200 and "json" in response.headers.get("content-type", [""])[0]:
        outside = [code for code in _regions(response.json())
                   if not (code.startswith(scope_prefix) or scope_prefix.startswith(code))]
        assert not outside, f"{case.method} {case.formatted_path}: regions outside {scope_prefix}: {outside[:5]}"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_fails_or_leaves_the_callers_town(case, town_user):
    from fupin.accounts.services import issue_token

    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {issue_token(town_user.username)}"}
    _check(case, case.call(), TOWN)


@schema.parametrize()
@settings(max_examples=max(5, EXAMPLES // 5), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_fails_without_credentials(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} → {response.status_code}"
