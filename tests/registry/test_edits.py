"""Editing a household or member: import's validation, history, scope, stale-edit refusal."""

from __future__ import annotations

import csv
import os
import threading
from datetime import date

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.models import Role
from fupin.accounts.scoping import Scope
from fupin.accounts.services import create_user
from fupin.engine import idnumber, schema
from tests.scopes import EVERYWHERE

VILLAGE = "500101102201"
OTHER = "500102001201"
PASSWORD = "Correct-Horse-42"


def household(hid: str, region: str = VILLAGE, **values) -> dict:
    row = {f: None for f in schema.polars_schema("households")}
    row.update(household_id=hid, year=2020, region_code=region, registered=True, poverty_status="已脱贫",
               exit_year=2018, wage_income=20000.0, business_income=0.0, property_income=0.0,
               transfer_income=1000.0, business_expense=0.0, food_secure=False)
    row.update(values)
    return row


def member(hid: str, seq: int, relationship: str = "户主", **values) -> dict:
    row = {f: None for f in schema.polars_schema("members")}
    row.update(household_id=hid, year=2020, name=f"成员{seq}",
               id_number=idnumber.make_id("500101", date(1970, 1, 1 + seq), 2 * seq + 1),
               sex="男", relationship=relationship, work_location="县外省内务工", work_months=10)
    row.update(values)
    return row


def load():
    from fupin.registry.services.imports import import_frames

    h = pl.DataFrame([household("H1"), household("H2"), household("X1", OTHER)],
                     schema=schema.polars_schema("households"))
    m = pl.DataFrame([member("H1", 1), member("H1", 2, "之子"), member("H2", 3), member("X1", 4)],
                     schema=schema.polars_schema("members"))
    import_frames(h, m, schema.empty_frame("regions"), scope=EVERYWHERE, source="t", source_format="test")


@pytest.fixture
def data(db):
    load()


@pytest.fixture
def cadre(db):
    return create_user("cadre", Role.VILLAGE, VILLAGE, PASSWORD)


def h1():
    from fupin.registry.models import Household

    return Household.objects.within(EVERYWHERE).get(household_id="H1")


def test_edit_saves_the_canonical_value_bumps_version_and_records_who(data, cadre):
    from fupin.registry.services.edits import edit_household

    before = h1()
    outcome = edit_household(Scope.of(cadre), before.pk, {"food_secure": "是", "wage_income": "21,000元"}, version=before.version)
    after = h1()
    assert after.food_secure is True and after.wage_income == 21000.0 and after.version == before.version + 1
    assert set(outcome.changed) == {"food_secure", "wage_income"}
    record = after.history.order_by("-history_date").first()
    assert record.history_user == cadre and record.history_type == "~" and record.food_secure is True


def test_edit_error_message_is_the_importers_message_for_the_same_value(data, cadre, tmp_path):
    from fupin.io import read_registry
    from fupin.registry.services.edits import EditRejected, edit_household

    def _write(path, table, rows):
        fields = schema.fields(table, exchange_only=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([f.zh for f in fields])
            writer.writerows([row.get(f.name) or "" for f in fields] for row in rows)

    h = h1()
    with pytest.raises(EditRejected) as refused:
        edit_household(Scope.of(cadre), h.pk, {"housing_grade": "E"}, version=h.version)
    [issue] = refused.value.result.errors
    assert issue.field == "housing_grade" and issue.code == "E04"
    # The same value through import gives the same message.
    _write(tmp_path / "households.csv", "households", [{**{f: "" for f in schema.polars_schema("households")},
           "household_id": "H9", "year": "2020", "region_code": VILLAGE, "registered": "否", "housing_grade": "E"}])
    _write(tmp_path / "members.csv", "members", [{"household_id": "H9", "year": "2020", "name": "甲",
           "id_number": idnumber.make_id("500101", date(1980, 1, 1), 11), "sex": "男", "relationship": "户主"}])
    imported = read_registry(tmp_path, year=2020).issues.filter(pl.col("code") == "E04")
    assert imported["message_zh"].to_list() == [issue.message_zh]
    assert h1().housing_grade is None


def test_edit_that_leaves_the_household_without_head_is_refused(data, cadre):
    from fupin.registry.models import Member
    from fupin.registry.services.edits import EditRejected, edit_member

    head = Member.objects.within(EVERYWHERE).get(household_key="H1", relationship="户主")
    with pytest.raises(EditRejected) as refused:
        edit_member(Scope.of(cadre), head.pk, {"relationship": "之子"}, version=head.version)
    assert "Q05" in {i.code for i in refused.value.result.errors}
    assert Member.objects.within(EVERYWHERE).get(pk=head.pk).relationship == "户主"


def test_member_id_number_of_another_household_is_refused(data, cadre):
    from fupin.registry.models import Member
    from fupin.registry.services.edits import EditRejected, edit_member

    son = Member.objects.within(EVERYWHERE).get(household_key="H1", relationship="之子")
    taken = Member.objects.within(EVERYWHERE).get(household_key="H2").id_number
    with pytest.raises(EditRejected) as refused:
        edit_member(Scope.of(cadre), son.pk, {"id_number": taken}, version=son.version)
    assert [i.code for i in refused.value.result.errors if i.field == "id_number"] == ["Q04"]


def test_member_id_number_registered_in_another_region_is_refused_without_naming_it(data, cadre):
    """Issue 9: the Q04 of an edit must not tell a village cadre where a foreign ID is registered."""
    from fupin.registry.models import Member
    from fupin.registry.services.edits import EditRejected, edit_member

    son = Member.objects.within(EVERYWHERE).get(household_key="H1", relationship="之子")
    foreign = Member.objects.within(EVERYWHERE).get(household_key="X1").id_number
    with pytest.raises(EditRejected) as refused:
        edit_member(Scope.of(cadre), son.pk, {"id_number": foreign}, version=son.version)
    [issue] = [i for i in refused.value.result.errors if i.field == "id_number"]
    assert issue.code == "Q04" and "X1" not in issue.message_zh and "其他地区登记" in issue.message_zh


def test_stale_edit_is_refused_and_nothing_is_overwritten(data, cadre):
    from fupin.registry.services.edits import StaleEdit, edit_household

    opened = h1().version
    edit_household(Scope.of(cadre), h1().pk, {"food_secure": "是"}, version=opened)
    with pytest.raises(StaleEdit):
        edit_household(Scope.of(cadre), h1().pk, {"wage_income": "1"}, version=opened)
    assert h1().wage_income == 20000.0 and h1().food_secure is True


def test_household_outside_the_scope_is_not_found(data, cadre):
    from fupin.registry.models import Household
    from fupin.registry.services.edits import edit_household

    x1 = Household.objects.within(EVERYWHERE).get(household_id="X1")
    with pytest.raises(Http404):
        edit_household(Scope.of(cadre), x1.pk, {"food_secure": "是"}, version=x1.version)


def test_household_cannot_be_moved_out_of_the_editors_scope(data, cadre):
    from fupin.registry.services.edits import EditRejected, edit_household

    with pytest.raises(EditRejected) as refused:
        edit_household(Scope.of(cadre), h1().pk, {"region_code": OTHER}, version=h1().version)
    assert [i.field for i in refused.value.result.errors] == ["region_code"]


def test_read_only_analyst_cannot_edit(data):
    from fupin.registry.services.edits import edit_household

    analyst = create_user("analyst", Role.ANALYST, VILLAGE, PASSWORD)
    with pytest.raises(PermissionDenied):
        edit_household(Scope.of(analyst), h1().pk, {"food_secure": "是"}, version=h1().version)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_editors_on_postgres_second_is_told_and_nothing_overwritten():
    if not os.environ.get("FUPIN_DB", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL: set FUPIN_DB=postgresql://… (runs in CI's PostgreSQL pass)")
    from django.db import connection, connections

    from fupin.registry.models import Household
    from fupin.registry.services import edits

    load()
    cadre = create_user("cadre", Role.VILLAGE, VILLAGE, PASSWORD)
    opened = h1().version
    pk = h1().pk
    both_validated = threading.Barrier(2)
    real_update = edits._conditional_update

    def update_after_both_validated(*args, **kwargs):
        both_validated.wait(timeout=30)  # both editors read version `opened` and passed validation
        return real_update(*args, **kwargs)

    outcomes: dict[str, object] = {}

    def editor(name: str, change: dict):
        try:
            outcomes[name] = edits.edit_household(Scope.of(cadre), pk, change, version=opened)
        except edits.StaleEdit as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    edits._conditional_update = update_after_both_validated
    try:
        threads = [threading.Thread(target=editor, args=("a", {"food_secure": "是"})),
                   threading.Thread(target=editor, args=("b", {"wage_income": "1"}))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        edits._conditional_update = real_update
    assert connection.vendor == "postgresql"
    stale = [n for n, o in outcomes.items() if isinstance(o, edits.StaleEdit)]
    saved = [n for n, o in outcomes.items() if isinstance(o, edits.EditOutcome)]
    assert len(stale) == 1 and len(saved) == 1
    after = Household.objects.within(EVERYWHERE).get(pk=pk)
    assert after.version == opened + 1
    if saved == ["a"]:
        assert after.food_secure is True and after.wage_income == 20000.0
    else:
        assert after.wage_income == 1.0 and after.food_secure is False


def test_two_member_edits_validated_against_the_same_household_the_second_is_told(data, cadre, monkeypatch):
    """Each alone keeps one 户主; together (second member made 户主 while the first stays) they
    would not: the member edit that validated against an outdated household is refused."""
    from fupin.registry.models import Member
    from fupin.registry.services import edits

    head, child = Member.objects.within(EVERYWHERE).filter(household_key="H1").order_by("id")
    original = edits._validate

    def validate_while_another_cadre_saves(*args, **kwargs):
        result = original(*args, **kwargs)
        monkeypatch.setattr(edits, "_validate", original)
        # Another cadre's member edit lands between this validation and this save.
        edits.edit_member(Scope.of(cadre), head.pk, {"name": "户主改名"}, version=head.version)
        return result

    monkeypatch.setattr(edits, "_validate", validate_while_another_cadre_saves)
    with pytest.raises(edits.StaleEdit):
        edits.edit_member(Scope.of(cadre), child.pk, {"name": "儿子改名"}, version=child.version)
    assert Member.objects.within(EVERYWHERE).get(pk=child.pk).name == child.name
    assert Member.objects.within(EVERYWHERE).get(pk=head.pk).name == "户主改名"
