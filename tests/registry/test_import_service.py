"""The import service against a real database: upsert, idempotence, history, atomicity."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine import idnumber, schema
from tests.regions import (
    VILLAGE_A as VILLAGE,  # a village registered under a real 万州区 town (500101102)
)
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def household(hid: str, year: int = 2020, **values) -> dict:
    row = {f: None for f in schema.polars_schema("households")}
    row.update(household_id=hid, year=year, region_code=VILLAGE, registered=True, poverty_status="已脱贫",
               exit_year=2018, wage_income=20000.0, business_income=0.0, property_income=0.0,
               transfer_income=1000.0, business_expense=0.0)
    row.update(values)
    return row


def member(hid: str, seq: int, year: int = 2020, relationship: str = "户主", **values) -> dict:
    row = {f: None for f in schema.polars_schema("members")}
    row.update(household_id=hid, year=year, name=f"成员{seq}",
               id_number=idnumber.make_id("500101", date(1970, 1, 1 + seq % 28), 2 * seq + 1),
               sex="男", relationship=relationship)
    row.update(values)
    return row


def frames(households: list[dict], members: list[dict]):
    return (
        pl.DataFrame(households, schema=schema.polars_schema("households")),
        pl.DataFrame(members, schema=schema.polars_schema("members")),
        schema.empty_frame("regions"),
    )


@pytest.fixture
def registry_db(db):
    """The test database with the official divisions (loaded once per session in conftest)."""


def load(h, m, r, source="test.xlsx"):
    from fupin.registry.services.imports import import_frames

    return import_frames(h, m, r, scope=EVERYWHERE, source=source, source_format="xlsx")


def test_first_import_inserts_households_members_and_registers_the_village(registry_db):
    from fupin.registry.models import Household, Member, Region

    report = load(*frames([household("H1"), household("H2")],
                          [member("H1", 1), member("H1", 2, relationship="配偶", sex="女"), member("H2", 3)]))
    assert (report.households_new, report.members_new) == (2, 3)
    assert Household.objects.within(EVERYWHERE).count() == 2 and Member.objects.within(EVERYWHERE).count() == 3
    village = Region.objects.within(EVERYWHERE).get(code=VILLAGE)
    assert village.level == "village" and village.parent_id == "500101102000" and not village.official
    assert Member.objects.within(EVERYWHERE).get(name="成员2").household.household_id == "H1"


def test_importing_the_same_frames_twice_changes_nothing(registry_db):
    from fupin.registry.models import Household

    data = frames([household("H1")], [member("H1", 1)])
    load(*data)
    history_before = Household.history.count()
    again = load(*data)
    assert not again.changed_anything
    assert (again.households_unchanged, again.members_unchanged) == (1, 1)
    assert Household.history.count() == history_before


def test_changed_field_updates_row_bumps_version_and_keeps_old_value_in_history(registry_db):
    from fupin.registry.models import Household

    load(*frames([household("H1")], [member("H1", 1)]))
    report = load(*frames([household("H1", wage_income=25000.0)], [member("H1", 1)]))
    assert report.households_changed == 1 and report.households_unchanged == 0
    stored = Household.objects.within(EVERYWHERE).get(household_id="H1")
    assert stored.wage_income == 25000.0 and stored.version == 2
    values = list(stored.history.order_by("history_date").values_list("history_type", "wage_income"))
    assert values == [("+", 20000.0), ("~", 25000.0)]


def test_member_missing_from_reimported_household_is_removed_with_history(registry_db):
    from fupin.registry.models import Member

    load(*frames([household("H1")], [member("H1", 1), member("H1", 2, relationship="配偶", sex="女")]))
    report = load(*frames([household("H1")], [member("H1", 1)]))
    assert report.members_removed == 1
    assert Member.objects.within(EVERYWHERE).count() == 1
    assert Member.history.filter(history_type="-", name="成员2").exists()


def test_new_year_adds_a_snapshot_and_never_overwrites_the_older_year(registry_db):
    from fupin.registry.models import Household

    load(*frames([household("H1", 2020)], [member("H1", 1, 2020)]))
    load(*frames([household("H1", 2021, wage_income=1.0)], [member("H1", 1, 2021)]))
    assert Household.objects.within(EVERYWHERE).get(year=2020).wage_income == 20000.0
    assert Household.objects.within(EVERYWHERE).get(year=2021).wage_income == 1.0


def test_person_already_in_another_household_of_the_year_is_a_conflict(registry_db):
    from fupin.registry.services.imports import conflicts_with_database

    load(*frames([household("H1")], [member("H1", 1)]))
    h, m, _ = frames([household("H9")], [member("H9", 1)])
    clashes = conflicts_with_database(h, m)
    assert clashes.select("household_id", "other_household_id").rows() == [("H9", "H1")]


def test_person_moving_between_two_households_of_the_same_file_is_no_conflict(registry_db):
    from fupin.registry.services.imports import conflicts_with_database

    load(*frames([household("H1")], [member("H1", 1), member("H1", 2, relationship="配偶", sex="女")]))
    h, m, _ = frames([household("H1"), household("H9")], [member("H1", 1), member("H9", 2)])
    assert conflicts_with_database(h, m).height == 0


def test_failure_inside_the_import_leaves_the_database_as_before(registry_db, monkeypatch):
    from fupin.registry import bulk
    from fupin.registry.models import Household, ImportBatch, Member

    load(*frames([household("H1")], [member("H1", 1)]))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bulk, "record_batch_history", crash)
    with pytest.raises(KeyboardInterrupt):
        load(*frames([household("H1", wage_income=1.0), household("H2")], [member("H1", 1), member("H2", 2)]))
    assert Household.objects.within(EVERYWHERE).count() == 1 and Member.objects.within(EVERYWHERE).count() == 1
    assert Household.objects.within(EVERYWHERE).get().wage_income == 20000.0
    assert ImportBatch.objects.within(EVERYWHERE).count() == 1


def test_bulk_read_returns_canonical_dtypes(registry_db):
    from fupin.registry import bulk

    load(*frames([household("H1", food_secure=False, clothing_secure=None)], [member("H1", 1)]))
    read = bulk.read_households(EVERYWHERE, 2020)
    assert read.schema == pl.Schema({c: schema.polars_schema("households")[c] for c in read.columns})
    assert read.row(0, named=True)["food_secure"] is False
    assert read.row(0, named=True)["clothing_secure"] is None
