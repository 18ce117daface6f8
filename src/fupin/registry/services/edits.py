"""Editing one household or one member from the web, with import's validation and no lost update.

* Scope and role come from the caller's :class:`~fupin.accounts.scoping.Scope`: an object outside
  it is not found (404), a read-only role is refused (403), and a household cannot be moved to a
  region outside the editor's scope.
* The whole household (with the edit applied) is validated by the importer
  (:mod:`fupin.registry.services.validation`); any error refuses the edit, with the reader's
  message next to the field.
* Optimistic locking: the form carries the row's ``version``; the UPDATE is conditional on it
  (``filter(pk=…, version=v).update(…)``). Of two cadres who opened the same version, the second
  to save updates no row and is told so (:class:`StaleEdit`); nothing is overwritten. On
  PostgreSQL the second UPDATE waits for the first transaction's row lock and then re-checks
  the condition, so this holds under true concurrency too.
* History: after the conditional UPDATE the new state is written to django-simple-history with
  the editing user, so the household file shows who changed what, when, from what to what.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fupin.accounts.scoping import Scope, get_scoped
from fupin.engine import schema
from fupin.registry.models import Household, Member, exchange_fields
from fupin.registry.services.imports import (
    Q04_INSIDE_EN,
    Q04_INSIDE_ZH,
    Q04_STORED_EN,
    Q04_STORED_ZH,
    conflicts_with_database,
    stored_members_with_ids,
)
from fupin.registry.services.validation import (
    FieldIssue,
    ValidationResult,
    instance_texts,
    validate_household,
)

# Keys are not editable from a form: they identify the row across imports.
HOUSEHOLD_EDITABLE = tuple(f.name for f in exchange_fields("households"))
MEMBER_EDITABLE = ("id_number", *(f.name for f in exchange_fields("members")))


class EditError(Exception):
    pass


class StaleEdit(EditError):
    """Someone saved the row after this form was opened; nothing was written."""

    def __init__(self, current_version: int | None):
        self.current_version = current_version
        super().__init__(
            "此记录已被他人修改，您的修改未保存：请刷新页面查看最新内容后重新修改 "
            "(someone else changed this record after you opened it; nothing was saved — reload and edit again)"
        )


class EditRejected(EditError):
    """The edited household does not pass the importer's validation."""

    def __init__(self, result: ValidationResult):
        self.result = result
        super().__init__("; ".join(i.message_zh for i in result.errors))


@dataclass
class EditOutcome:
    instance: Household | Member
    changed: dict            # field -> (old, new)
    warnings: list[FieldIssue]


def _province(household: Household) -> str:
    return (household.region_code or "50")[:2]


def _member_conflicts(scope: Scope, household: Household, members: list[dict]) -> dict[str, str]:
    """ID number → the other household, for members already registered in another household of
    the same year (the import's rule, :func:`~fupin.registry.services.imports.conflicts_with_database`);
    the other household is '' when it lies outside the editor's scope (it is not named)."""
    ids = [m.get("id_number") or "" for m in members]
    incoming = pl.DataFrame({"household_id": [household.household_id] * len(ids), "year": [household.year] * len(ids),
                             "id_number": ids}, schema={"household_id": pl.String, "year": pl.Int32,
                                                        "id_number": pl.String})
    keys = incoming.select("household_id", "year").unique()
    clashes = conflicts_with_database(keys, incoming, stored_members_with_ids(ids, household.year))
    visible = set(Household.objects.within(scope).filter(
        year=household.year, household_id__in=clashes["other_household_id"].to_list()
    ).values_list("household_id", flat=True))
    return {i: (other if other in visible else "") for i, other in clashes.select("id_number", "other_household_id").rows()}


def _q04(member_index: int, other_household_id: str) -> FieldIssue:
    if other_household_id:
        zh, en = Q04_INSIDE_ZH.format(other_household_id), Q04_INSIDE_EN.format(other_household_id)
    else:
        zh, en = Q04_STORED_ZH, Q04_STORED_EN
    return FieldIssue(table="members", field="id_number", member_index=member_index, code="Q04", severity="error",
                      message_zh=zh, message_en=en)


def _validate(scope: Scope, household: Household, household_texts: dict, member_texts: list[dict]) -> ValidationResult:
    result = validate_household(household_texts, member_texts, province=_province(household))
    new_region = household_texts.get("region_code") or ""
    if new_region and not scope.contains(new_region):
        result.issues.append(FieldIssue(
            table="households", field="region_code", member_index=None, code="S01", severity="error",
            message_zh="区划代码不在您的管辖范围内，不能把户迁出本辖区",
            message_en="this region code is outside your scope",
        ))
    clashes = _member_conflicts(scope, household, result.members)
    for i, m in enumerate(result.members):
        if m.get("id_number") in clashes:
            result.issues.append(_q04(i, clashes[m["id_number"]]))
    return result


def _changes(instance, canonical: dict, editable: tuple[str, ...]) -> dict:
    return {
        name: (getattr(instance, name), canonical.get(name))
        for name in editable
        if name in canonical and getattr(instance, name) != canonical.get(name)
    }


def _conditional_update(model, instance, version: int, changed: dict, scope: Scope, *, household_version=None):
    """Save ``changed`` only if the row still has ``version``; for a member, only if its
    household also still has ``household_version`` (whose bump then marks the member list as
    changed), so that two cadres editing two members at once cannot together break a rule that
    spans the household (e.g. two 户主): the second is told, as for one row."""
    now = timezone.now()
    values = {name: new for name, (_old, new) in changed.items()}
    with transaction.atomic():
        if household_version is not None:
            guarded = Household.objects.within(scope).filter(pk=instance.household_id, version=household_version).update(
                version=F("version") + 1)
            if guarded != 1:
                raise StaleEdit(version)
        updated = model.objects.within(scope).filter(pk=instance.pk, version=version).update(
            **values, version=F("version") + 1, updated_at=now)
        if updated != 1:
            current = model.objects.within(scope).filter(pk=instance.pk).values_list("version", flat=True).first()
            raise StaleEdit(current)
        instance.refresh_from_db()
        model.history.bulk_history_create(
            [instance], update=True, default_user=scope.actor,
            default_change_reason="web edit", default_date=now,
        )
    return instance


def _household_members(household: Household) -> list[Member]:
    return list(household.members.order_by("id"))


def edit_household(scope: Scope, household_pk: int, data: dict[str, str], *, version: int) -> EditOutcome:
    """Apply typed strings ``data`` (English field names) to one household, or refuse.

    Raises Http404 (outside scope), PermissionDenied (read-only role), EditRejected
    (validation errors, located by field) or StaleEdit (the row changed meanwhile).
    """
    scope.require_edit()
    household = get_scoped(Household.objects.all(), scope, pk=household_pk)
    members = _household_members(household)
    texts = instance_texts(household, "households")
    texts.update({k: (v or "").strip() for k, v in data.items() if k in HOUSEHOLD_EDITABLE})
    member_texts = [instance_texts(m, "members") for m in members]
    result = _validate(scope, household, texts, member_texts)
    if not result.ok:
        raise EditRejected(result)
    changed = _changes(household, result.household, HOUSEHOLD_EDITABLE)
    if not changed:
        if household.version != version:
            raise StaleEdit(household.version)
        return EditOutcome(household, {}, result.warnings)
    _conditional_update(Household, household, version, changed, scope)
    return EditOutcome(household, changed, result.warnings)


def edit_member(scope: Scope, member_pk: int, data: dict[str, str], *, version: int) -> EditOutcome:
    """Apply typed strings ``data`` to one member, validating the member's whole household."""
    scope.require_edit()
    member = get_scoped(Member.objects.select_related("household"), scope, pk=member_pk)
    household = member.household
    members = _household_members(household)
    member_texts = []
    index = 0
    for i, m in enumerate(members):
        texts = instance_texts(m, "members")
        if m.pk == member.pk:
            index = i
            texts.update({k: (v or "").strip() for k, v in data.items() if k in MEMBER_EDITABLE})
            # The ID number is the member's key: the reader upper-cases it as import does.
        member_texts.append(texts)
    result = _validate(scope, household, instance_texts(household, "households"), member_texts)
    errors = [i for i in result.errors]
    if errors:
        raise EditRejected(result)
    changed = _changes(member, result.members[index], MEMBER_EDITABLE)
    if not changed:
        if member.version != version:
            raise StaleEdit(member.version)
        return EditOutcome(member, {}, result.warnings)
    _conditional_update(Member, member, version, changed, scope, household_version=household.version)
    return EditOutcome(member, changed, result.warnings)


def field_labels(table: str) -> dict[str, str]:
    """English field name -> Chinese label, for messages about changed fields."""
    return {f.name: f.zh for f in schema.fields(table, exchange_only=True)}
