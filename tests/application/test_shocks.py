"""Shocks as use cases (assistance.md 1.12–1.13, R8, edge case 14): import with rejects, leads
made once through the monitoring intake, everything inside the user's scope."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import shocks
from fupin.application.policy import current as current_policy
from fupin.engine import schema
from fupin.io import tables
from fupin.monitoring.models import Lead, ShockEvent, ShockHousehold
from tests.fupin_testdata import load
from tests.monitoring.monitoring_helpers import (
    NOW,
    VILLAGE_A,
    VILLAGE_C,
    household,
    member,
)
from tests.regions import OTHER_COUNTY_VILLAGE

pytestmark = pytest.mark.django_db

EVENTS = [["E1", "2023年6月洪灾", "洪涝", "500101", "2023-06-01", ""],
          ["E2", "2023年8月滑坡", "地质灾害", "500101102", "2023/8/1", "2023-08-20"]]
AFFECTED = [["E1", "H1", "房屋损毁", "9000", "2023-06-10"],
            ["E2", "H1", "农作物受灾", "7000", ""],
            ["E1", "H2", "农作物受灾", "1000", ""],
            ["E1", "H5", "房屋损毁", "50000", ""],
            ["E1", "H4", "房屋损毁、务工中断", "40000", ""]]
EVENT_HEADERS = ["事件编号", "名称", "类型", "区划范围", "开始日期", "结束日期"]
HOUSEHOLD_HEADERS = ["事件编号", "户编号", "影响类型", "损失金额", "核实日期"]


def shock_workbook(path, events=EVENTS, affected=AFFECTED):
    tables.write_frames_xlsx(path, {
        "冲击事件": pl.DataFrame(events, schema=EVENT_HEADERS, orient="row"),
        "受灾户": pl.DataFrame(affected, schema=HOUSEHOLD_HEADERS, orient="row"),
    })
    return path


@pytest.fixture
def shock_registry(db):
    households = [
        household("H1", VILLAGE_A, prior_net_income=15000.0),
        household("H2", VILLAGE_A, registered=False, poverty_status=None, exit_year=None, prior_net_income=30000.0),
        household("H4", VILLAGE_C, prior_net_income=15000.0),
        household("H5", VILLAGE_A, monitoring_category="脱贫不稳定户", monitoring_since="2023-01",
                  risk_eliminated=False, prior_net_income=15000.0),
        household("H9", OTHER_COUNTY_VILLAGE, prior_net_income=100.0),
    ]
    members = [member("H1", 1, name="张大山"), member("H2", 3, name="王二"), member("H4", 5, name="钱五"),
               member("H5", 6, name="孙六"), member("H9", 9, name="郑九")]
    load(pl.DataFrame(households, schema=schema.polars_schema("households")),
         pl.DataFrame(members, schema=schema.polars_schema("members")), schema.empty_frame("regions"))


@pytest.fixture
def imported(shock_registry, users, tmp_path):
    return shocks.import_shocks(Scope.of(users["county"]), shock_workbook(tmp_path / "shocks.xlsx"))


def _leads(users):
    return shocks.shock_leads(Scope.of(users["county"]), current_policy(), "E1", now=NOW)


def test_import_loads_events_and_affected_households(imported, users):
    assert (imported.events_created, imported.households_created, imported.rejected) == (2, 5, 0)
    assert imported.outside_area == 0
    county = Scope.of(users["county"])
    assert ShockEvent.objects.within(county).get(event_id="E2").region_prefix == "500101102"
    h4 = ShockHousehold.objects.within(county).get(event__event_id="E1", household_id="H4")
    assert (h4.region_code, h4.impacts, float(h4.loss)) == (VILLAGE_C, "房屋损毁、务工中断", 40000.0)


def test_importing_the_same_file_twice_changes_nothing(imported, users, tmp_path):
    again = shocks.import_shocks(Scope.of(users["county"]), shock_workbook(tmp_path / "again.xlsx"))
    assert (again.events_created, again.events_updated, again.households_created, again.households_updated) == (0,) * 4


def test_bad_rows_come_back_with_their_reasons_and_the_rest_loads(shock_registry, users, tmp_path):
    events = [*EVENTS, ["E3", "冰雹", "冰雹", "500101", "2023-05-01", ""],
              ["E4", "涪陵洪灾", "洪涝", "500102", "2023-07-01", ""]]
    affected = [*AFFECTED, ["E1", "H9", "房屋损毁", "100", ""], ["E9", "H1", "其他", "1", ""],
                ["E1", "H2", "农作物受灾", "-5", ""]]
    rejects = tmp_path / "rejects.xlsx"
    out = shocks.import_shocks(Scope.of(users["county"]), shock_workbook(tmp_path / "s.xlsx", events, affected),
                               rejects)
    assert out.events_created == 2 and out.rejected == 5
    book = openpyxl.load_workbook(rejects)
    reasons = {ws.title: [row[-2] for row in ws.iter_rows(min_row=2, values_only=True)] for ws in book}
    assert any("类型无效" in r for r in reasons["冲击事件"])
    assert any("超出您的管辖范围" in r for r in reasons["冲击事件"])
    assert any("H9 在登记册" in r for r in reasons["受灾户"])
    assert any("E9 不在冲击事件表中" in r for r in reasons["受灾户"])
    # the household repeated with a negative loss is refused; its first row loaded
    assert float(ShockHousehold.objects.within(Scope.of(users["county"])).get(
        event__event_id="E1", household_id="H2").loss) == 1000.0


def test_shock_leads_qualifying_households_become_sudden_department_leads(imported, users):
    out = _leads(users)
    rows = {r["household_id"]: r for r in out.rows.iter_rows(named=True)}
    assert {h: r["lead"] for h, r in rows.items()} == {"H1": "created", "H2": "ineligible", "H5": "ineligible",
                                                       "H4": "created"}
    assert (out.created, out.existing, out.ineligible) == (2, 0, 2)
    lead = Lead.objects.within(Scope.of(users["county"])).get(natural_key="shock:H1:2023")
    assert (lead.channel, lead.kind, lead.category, lead.region_code) == ("department", "disaster", "sudden", VILLAGE_A)
    assert lead.steps.count() == 1


def test_edge_14_two_events_sum_losses_once_and_running_twice_creates_no_second_lead(imported, users):
    first = _leads(users)
    assert first.rows.filter(pl.col("household_id") == "H1")["loss"][0] == 16000.0
    again = _leads(users)
    second_event = shocks.shock_leads(Scope.of(users["county"]), current_policy(), "E2", now=NOW)
    assert (again.created, again.existing) == (0, 2)
    assert (second_event.created, second_event.existing) == (0, 1)
    assert Lead.objects.within(Scope.of(users["county"])).filter(natural_key__startswith="shock:").count() == 2


def test_edge_14_already_monitored_household_gets_no_lead(imported, users):
    _leads(users)
    assert not Lead.objects.within(Scope.of(users["county"])).filter(household_id="H5").exists()


def test_a_town_sees_and_leads_only_its_own_households(imported, users):
    town = shocks.assess_event(Scope.of(users["town"]), current_policy(), "E1")
    assert set(town.rows["household_id"]) == {"H1", "H2", "H5"}
    summary = shocks.event_summary(Scope.of(users["town"]), "E1")
    assert (summary.listed, summary.leads) == (3, 0)


def test_a_village_may_not_create_leads_from_an_event(imported, users):
    with pytest.raises(shocks.ShockRefused):
        shocks.shock_leads(Scope.of(users["village"]), current_policy(), "E1", now=NOW)


def test_another_county_does_not_see_the_event(imported, users):
    with pytest.raises(Http404):
        shocks.event_summary(Scope.of(users["county_other"]), "E1")


def test_event_summary_counts_exposed_listed_and_leads(imported, users):
    _leads(users)
    summary = shocks.event_summary(Scope.of(users["county"]), "E1")
    # S(Y) inside 500101: the registered H1, H4, H5 (H2 is not registered)
    assert (summary.exposed, summary.listed, summary.leads, summary.loss) == (3, 4, 2, 100000.0)


def test_a_village_sees_an_event_covering_its_county(imported, users):
    assert [e.event_id for e in shocks.list_events(Scope.of(users["village"]))] == ["E2", "E1"]


def test_b18_household_outside_the_event_area_is_loaded_with_a_warning(shock_registry, users, tmp_path):
    events = [["E5", "响水镇洪灾", "洪涝", "500101103", "2023-07-01", ""]]
    affected = [["E5", "H1", "房屋损毁", "100", ""], ["E5", "H4", "房屋损毁", "100", ""]]
    out = shocks.import_shocks(Scope.of(users["county"]), shock_workbook(tmp_path / "b18.xlsx", events, affected))
    assert (out.households_created, out.outside_area, out.rejected) == (2, 1, 0)


def test_an_epidemic_makes_an_employment_lead_from_the_migration_records(db, users, tmp_path):
    """shock_work_loss through the database: the 2020 migrant of H1 is 返乡未外出 in 2021 (务工动态)."""
    from fupin.assistance.models import MigrationRecord
    from tests.monitoring.monitoring_helpers import pid

    households = [household("H1", VILLAGE_A, year=y, wage_income=20000.0, transfer_income=1000.0,
                            prior_net_income=21000.0) for y in (2020, 2021)]
    members = [member("H1", 1, year=y, work_location="省外务工", work_months=10) for y in (2020, 2021)]
    load(pl.DataFrame(households, schema=schema.polars_schema("households")),
         pl.DataFrame(members, schema=schema.polars_schema("members")), schema.empty_frame("regions"))
    county = Scope.of(users["county"])
    shocks.import_shocks(county, shock_workbook(tmp_path / "c.xlsx", [["C1", "新冠肺炎疫情", "疫情", "500101",
                                                                      "2021-01-24", ""]],
                                                [["C1", "H1", "", "", ""]]))
    MigrationRecord.objects.create(key=f"{pid(1)}|2021-02-01", region_code=VILLAGE_A, id_number=pid(1),
                                   household_id="H1", reported_on=date(2021, 2, 1), state="返乡未外出")
    out = shocks.shock_leads(county, current_policy(), "C1", now=NOW)
    assert (out.created, out.rows["reasons"][0]) == (1, "shock_work_loss")
    lead = Lead.objects.within(county).get(natural_key="shock:H1:2021")
    assert (lead.kind, lead.risk_types) == ("employment", ["employment"])
