"""人员状态变动日期 in the database (assistance.md 1.8): imported, read back by the bulk path and
the ORM, kept by a re-import that does not change it, edited on the member form (a date input),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.accounts.scoping import Scope
from fupin.engine import schema
from fupin.registry import bulk
from fupin.registry.models import Member
from fupin.registry.services.imports import import_frames
from fupin.web.forms.registry import MemberForm
from tests.registry.test_edits import cadre, household, member  # noqa: F401 - the fixture
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db
DIED = date(2020, 6, 10)


def _load(changed: date | None = DIED):
    h = pl.DataFrame([household("H1")], schema=schema.polars_schema("households"))
    m = pl.DataFrame([member("H1", 1), member("H1", 2, "配偶", member_status="死亡", status_changed_on=changed)],
                     schema=schema.polars_schema("members"))
    return import_frames(h, m, schema.empty_frame("regions"), scope=EVERYWHERE, source="t", source_format="test")


def test_the_date_is_stored_and_read_back_by_the_bulk_path_and_the_orm():
    _load()
    frame = bulk.read_members(EVERYWHERE, 2020)
    assert frame.schema["status_changed_on"] == pl.Date
    assert dict(frame.select("name", "status_changed_on").iter_rows()) == {"成员1": None, "成员2": DIED}
    assert Member.objects.within(EVERYWHERE).get(name="成员2").status_changed_on == DIED


def test_reimporting_the_same_date_changes_nothing_and_a_new_date_updates_the_member():
    _load()
    again = _load()
    assert (again.members_new, again.members_changed) == (0, 0)
    later = _load(date(2020, 7, 1))
    assert later.members_changed == 1
    assert Member.objects.within(EVERYWHERE).get(name="成员2").status_changed_on == date(2020, 7, 1)


def test_the_member_form_edits_the_date_through_the_importers_validation(cadre):  # noqa: F811
    from fupin.registry.services.edits import EditRejected, edit_member

    _load(None)
    m = Member.objects.within(EVERYWHERE).get(name="成员2")
    form = MemberForm(instance=m)
    assert form.fields["status_changed_on"].widget.input_type == "date"
    assert form.initial["status_changed_on"] == ""
    edit_member(Scope.of(cadre), m.pk, {**form.initial, "status_changed_on": "2020-06-10"}, version=m.version)
    m.refresh_from_db()
    assert m.status_changed_on == DIED and MemberForm(instance=m).initial["status_changed_on"] == "2020-06-10"
    with pytest.raises(EditRejected) as refused:
        edit_member(Scope.of(cadre), m.pk, {**MemberForm(instance=m).initial, "status_changed_on": "六月"},
                    version=m.version)
    [issue] = refused.value.result.errors
    assert (issue.field, issue.code) == ("status_changed_on", "E05") and "YYYY-MM-DD" in issue.message_zh
