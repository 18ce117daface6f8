"""B18 at shock import (assistance.md 3.12): a 受灾户 outside its event's 区划范围 is loaded and
reported per row (event, household, region, where in the file) with a Chinese message."""

from __future__ import annotations

import pytest

from fupin.accounts.scoping import Scope
from fupin.application import shocks
from fupin.monitoring.models import ShockHousehold
from tests.application.test_shocks import shock_registry, shock_workbook  # noqa: F401 - the fixture
from tests.monitoring.monitoring_helpers import VILLAGE_A, VILLAGE_C

pytestmark = pytest.mark.django_db


def test_b18_findings_name_each_outside_row_and_the_rows_still_load(shock_registry, users, tmp_path):  # noqa: F811
    events = [["E5", "响水镇洪灾", "洪涝", VILLAGE_C[:9], "2023-07-01", ""]]
    affected = [["E5", "H1", "房屋损毁", "100", ""], ["E5", "H4", "房屋损毁", "100", ""],
                ["E5", "H2", "农作物受灾", "50", ""]]
    county = Scope.of(users["county"])
    out = shocks.import_shocks(county, shock_workbook(tmp_path / "b18.xlsx", events, affected))
    assert (out.households_created, out.rejected, out.outside_area) == (3, 0, 2)
    found = out.findings.sort("household_id")
    assert found.select("event_id", "household_id", "region_code", "code", "severity").rows() == [
        ("E5", "H1", VILLAGE_A, "B18", "warning"), ("E5", "H2", VILLAGE_A, "B18", "warning")]
    assert found["sheet"].to_list() == ["受灾户", "受灾户"] and found["row"].to_list() == [2, 4]
    assert "不在冲击事件 E5 的区划范围" in found["message_zh"][0]
    assert ShockHousehold.objects.within(county).filter(event__event_id="E5").count() == 3


def test_b18_no_finding_when_every_household_lies_inside(shock_registry, users, tmp_path):  # noqa: F811
    events = [["E6", "万州洪灾", "洪涝", "500101", "2023-07-01", ""]]
    out = shocks.import_shocks(Scope.of(users["county"]), shock_workbook(
        tmp_path / "in.xlsx", events, [["E6", "H1", "房屋损毁", "100", ""]]))
    assert out.outside_area == 0 and out.findings.height == 0
