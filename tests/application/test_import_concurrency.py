"""Two imports at once on PostgreSQL are serialised (issue 9): both touching one new village end
without an IntegrityError, and one new 户编号 imported from two counties at once is taken by one
of them only (the other gets S02, as if it came second)."""

from __future__ import annotations

import os
import threading

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.application import registry as registry_use_cases
from fupin.io import write_registry
from fupin.registry.models import Household, Region
from tests.fupin_testdata import synth_frames
from tests.regions import OTHER_COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("FUPIN_DB", "").startswith("postgres"),
                       reason="needs PostgreSQL (FUPIN_DB=postgresql://…); SQLite serialises writers anyway"),
    pytest.mark.django_db(transaction=True),
]

NEW_VILLAGE = TOWN + "250"


def _in_village(frames, village: str, prefix: str):
    """The frames moved into one village, their 户编号 prefixed (distinct households per file)."""
    households, members, regions = frames
    households = households.with_columns(region_code=pl.lit(village), household_id=prefix + pl.col("household_id"))
    members = members.with_columns(household_id=prefix + pl.col("household_id"))
    county = regions.filter(pl.col("region_code").str.ends_with("000000"))
    village_row = regions.filter(~pl.col("region_code").str.ends_with("000000")).head(1).with_columns(
        region_code=pl.lit(village), name=pl.lit("新建村"))
    return households, members, pl.concat([county, village_row])


def _run_at_once(jobs):
    """Run ``(scope, path)`` imports in threads released together; their outcomes or exceptions."""
    from django.db import connection

    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, scope, path):
        try:
            barrier.wait()
            results[i] = registry_use_cases.import_file(scope, path, rejects=f"{path}.rejects.xlsx")
        except Exception as exc:  # noqa: BLE001 - the test reports what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_imports_into_one_new_village_at_once_both_load(divisions_loaded, tmp_path, county_user):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_registry(a, *_in_village(synth_frames(5, TOWN), NEW_VILLAGE, "A"))
    write_registry(b, *_in_village(synth_frames(5, TOWN, seed=7), NEW_VILLAGE, "B"))
    results = _run_at_once([(Scope.of(county_user), a), (Scope.of(county_user), b)])
    assert [type(r).__name__ for r in results] == ["ImportOutcome", "ImportOutcome"]
    assert sorted(r.report.households_new for r in results) == [5, 5]
    assert Region.objects.unscoped("test").filter(code=NEW_VILLAGE).count() == 1
    assert Household.objects.within(EVERYWHERE).filter(region_code=NEW_VILLAGE).count() == 10


def test_one_new_household_number_from_two_counties_at_once_goes_to_one_only(divisions_loaded, tmp_path,
                                                                           county_user, other_county_user):
    mine = _in_village(synth_frames(3, TOWN), NEW_VILLAGE, "K")
    theirs_village = OTHER_COUNTY + "001250"
    theirs = _in_village(synth_frames(3, OTHER_COUNTY, seed=9), theirs_village, "K")
    theirs = (theirs[0].with_columns(household_id=mine[0]["household_id"]),
              theirs[1].with_columns(household_id=pl.col("household_id").replace(
                  dict(zip(theirs[0]["household_id"], mine[0]["household_id"])))), theirs[2])
    a, b = tmp_path / "mine.xlsx", tmp_path / "theirs.xlsx"
    write_registry(a, *mine)
    write_registry(b, *theirs)
    results = _run_at_once([(Scope.of(county_user), a), (Scope.of(other_county_user), b)])
    assert all(type(r).__name__ == "ImportOutcome" for r in results), results
    assert sorted(r.report.households_new for r in results) == [0, 3]
    loser = next(r for r in results if r.report.households_new == 0)
    assert loser.report.households_rejected == 3 and loser.rejects_path
    regions = set(Household.objects.within(EVERYWHERE).values_list("region_code", flat=True))
    assert regions in ({NEW_VILLAGE}, {theirs_village})


def test_an_import_that_waits_too_long_for_another_says_so_and_loads_nothing(divisions_loaded, tmp_path,
                                                                              county_user, monkeypatch):
    import psycopg
    from django.db import connection

    from fupin.registry.services import imports

    monkeypatch.setattr(imports, "IMPORT_LOCK_WAIT_SECONDS", 1)
    path = tmp_path / "a.xlsx"
    write_registry(path, *synth_frames(3, TOWN))
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [imports.IMPORT_LOCK])  # another import, running
        with pytest.raises(registry_use_cases.ImportBusy, match="另一个导入正在进行"):
            registry_use_cases.import_file(Scope.of(county_user), path, rejects=tmp_path / "r.xlsx")
    assert Household.objects.within(EVERYWHERE).count() == 0
