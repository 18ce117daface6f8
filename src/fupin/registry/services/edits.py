"""Editing one household or one member from the web, with import's validation and no lost update.

* Scope and role come from ``fupin.accounts.scoping``: an object outside the user's region is
  not found (404), a read-only role is refused (403), and a household cannot be moved to a
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

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fupin.accounts import scoping
from fupin.engine import schema
from fupin.registry.models import Household, Member, exchange_fields
from fupin.registry.services.validation import FieldIssue, ValidationResult, instance_texts, validate_household

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


def _require_editor(user) -> None:
    if not scoping.can_edit(user):
        raise PermissionDenied("只读角色不能修改数据 (read-only role)")


def _province(household: Household) -> str:
    return (household.region_code or "50")[:2]


def _member_conflicts(household: Household, id_numbers: list[str]) -> list[str]:
    """ID numbers already registered in another household of the same year (import's Q04)."""
    return list(
        Member.objects.filter(year=household.year, id_number__in=[i for i in id_numbers if i])
        .exclude(household_id=household.pk).values_list("id_number", flat=True)
    )


def _q04(member_index: int) -> FieldIssue:
    return FieldIssue(
        table="members", field="id_number", member_index=member_index, code="Q04", severity="error",
        message_zh="此人已登记在同年度的另一户中：一人不能同属两户，请核实后修正其中一户",
        message_en="this person is already registered in another household of the same year",
    )


def _validate(user, household: Household, household_texts: dict, member_texts: list[dict]) -> ValidationResult:
    result = validate_household(household_texts, member_texts, province=_province(household))
    new_region = household_texts.get("region_code") or ""
    if new_region and not scoping.in_scope(user, new_region):
        result.issues.append(FieldIssue(
            table="households", field="region_code", member_index=None, code="S01", severity="error",
            message_zh="区划代码不在您的管辖范围内，不能把户迁出本辖区",
            message_en="this region code is outside your scope",
        ))
    clashes = set(_member_conflicts(household, [m.get("id_number") or "" for m in result.members]))
    for i, m in enumerate(result.members):
        if m.get("id_number") in clashes:
            result.issues.append(_q04(i))
    return result


def _changes(instance, canonical: dict, editable: tuple[str, ...]) -> dict:
    return {
        name: (getattr(instance, name), canonical.get(name))
        for name in editable
        if name in canonical and getattr(instance, name) != canonical.get(name)
    }


def _conditional_update(model, instance, version: int, changed: dict, user, *, household_version=None):
    """Save ``changed`` only if the row still has ``version``; for a member, only if its
    household also still has ``household_version`` (whose bump then marks the member list as
    changed), so that two cadres editing two members at once cannot together break a rule that
    spans the household (e.g. two 户主): the second is told, as for one row."""
    now = timezone.now()
    values = {name: new for name, (_old, new) in changed.items()}
    with transaction.atomic():
        if household_version is not None:
            guarded = Household.objects.filter(pk=instance.household_id, version=household_version).update(
                version=F("version") + 1)
            if guarded != 1:
                raise StaleEdit(version)
        updated = model.objects.filter(pk=instance.pk, version=version).update(
            **values, version=F("version") + 1, updated_at=now)
        if updated != 1:
            current = model.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
            raise StaleEdit(current)
        instance.refresh_from_db()
        model.history.bulk_history_create(
            [instance], update=True, default_user=user if getattr(user, "pk", None) else None,
            default_change_reason="web edit", default_date=now,
        )
    return instance


def _household_members(household: Household) -> list[Member]:
    return list(Member.objects.filter(household_id=household.pk).order_by("id"))


def edit_household(user, household_pk: int, data: dict[str, str], *, version: int) -> EditOutcome:
    """Apply typed strings ``data`` (English field names) to one household, or refuse.

    Raises Http404 (outside scope), PermissionDenied (read-only role), EditRejected
    (validation errors, located by field) or StaleEdit (the row changed meanwhile).
    """
    _require_editor(user)
    household = scoping.get_scoped(Household.objects.all(), user, pk=household_pk)
    members = _household_members(household)
    texts = instance_texts(household, "households")
    texts.update({k: (v or "").strip() for k, v in data.items() if k in HOUSEHOLD_EDITABLE})
    member_texts = [instance_texts(m, "members") for m in members]
    result = _validate(user, household, texts, member_texts)
    if not result.ok:
        raise EditRejected(result)
    changed = _changes(household, result.household, HOUSEHOLD_EDITABLE)
    if not changed:
        if household.version != version:
            raise StaleEdit(household.version)
        return EditOutcome(household, {}, result.warnings)
    _conditional_update(Household, household, version, changed, user)
    return EditOutcome(household, changed, result.warnings)


def edit_member(user, member_pk: int, data: dict[str, str], *, version: int) -> EditOutcome:
    """Apply typed strings ``data`` to one member, validating the member's whole household."""
    _require_editor(user)
    member = scoping.get_scoped(Member.objects.select_related("household"), user, pk=member_pk)
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
    result = _validate(user, household, instance_texts(household, "households"), member_texts)
    errors = [i for i in result.errors]
    if errors:
        raise EditRejected(result)
    changed = _changes(member, result.members[index], MEMBER_EDITABLE)
    if not changed:
        if member.version != version:
            raise StaleEdit(member.version)
        return EditOutcome(member, {}, result.warnings)
    _conditional_update(Member, member, version, changed, user, household_version=household.version)
    return EditOutcome(member, changed, result.warnings)


def field_labels(table: str) -> dict[str, str]:
    """English field name -> Chinese label, for messages about changed fields."""
    return {f.name: f.zh for f in schema.fields(table, exchange_only=True)}
