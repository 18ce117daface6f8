"""The workflow of a lead: who may take which step, in which state, within which region.

identification and elimination leads go the same way::

    new ──verify──▶ verified ──village_review──▶ notice ──town_review──▶ town_reviewed
        ──county_approve──▶ approved          (any open state ──reject──▶ rejected)

* ``verify`` (入户核实, village): for identification the household's signed authorisation to
  check its finances must be recorded; the household may be linked here.
* ``village_review`` (民主评议 and the start of 公示, village): proposes the category and risk
  types (identification) or the elimination type; the notice runs ``notice_min_days`` days from
  its first day (the last day is first day + days − 1).
* ``town_review`` (town): only after the notice period has ended.
* ``county_approve`` (county): identification writes the category, ``monitoring_since`` and
  ``risk_eliminated = 否`` into the registry; elimination writes ``risk_eliminated = 是`` and its
  month — refused for a household without labour capacity, and flagged for review when a
  帮扶消除 comes within 2 months of identification (rules.md section 3). Registry rows are saved
  through the ORM so that their history records who changed them and why.
* ``reject`` (the role owning the current step): a reason is required; the farmer sees it with
  the receipt number.

Administrators may take every step. Every step is one :class:`LeadStep` row. A lead outside the
user's region is not found (404), whatever the role. Steps lock the lead row
(``select_for_update``), so of two concurrent approvals the second sees the new state and is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from django.db import transaction
from django.http import Http404

from fupin.accounts import scoping
from fupin.accounts.models import Role
from fupin.engine import rules, schema
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import ELIMINATION_TYPES, OPEN_STATES, Lead, LeadStep, Purpose, State


class StepRefused(Exception):
    """A step the user may not take now; the message is Chinese + English."""


@dataclass(frozen=True)
class Step:
    action: str
    zh: str
    en: str
    from_states: tuple[str, ...]
    to_state: str
    roles: frozenset[str]


STEPS: dict[str, Step] = {
    s.action: s for s in (
        Step("verify", "入户核实", "verify at home", (State.NEW,), State.VERIFIED, frozenset({Role.VILLAGE})),
        Step("village_review", "村级评议并公示", "village review and public notice", (State.VERIFIED,), State.NOTICE,
             frozenset({Role.VILLAGE})),
        Step("town_review", "乡镇审核", "town review", (State.NOTICE,), State.TOWN_REVIEWED, frozenset({Role.TOWN})),
        Step("county_approve", "县级审批", "county approval", (State.TOWN_REVIEWED,), State.APPROVED,
             frozenset({Role.COUNTY})),
        Step("reject", "不予认定", "reject", tuple(OPEN_STATES), State.REJECTED,
             frozenset({Role.VILLAGE, Role.TOWN, Role.COUNTY})),
    )
}
# Who owns a lead in each open state: that role may reject it there.
OWNER = {State.NEW: Role.VILLAGE, State.VERIFIED: Role.VILLAGE, State.NOTICE: Role.TOWN,
         State.TOWN_REVIEWED: Role.COUNTY}
ELIMINATION_REVIEW_MONTHS = 2


def allowed_actions(user, lead: Lead) -> list[str]:
    """The steps ``user`` may take on ``lead`` now (for buttons; the service checks again)."""
    if not scoping.in_scope(user, lead.region_code):
        return []
    return [a for a in STEPS if _refusal(user, lead, a) is None]


def _refusal(user, lead: Lead, action: str) -> str | None:
    step = STEPS.get(action)
    if step is None:
        return f"未知的操作 {action} (unknown step)"
    if lead.state not in step.from_states:
        return (f"线索当前状态为“{lead.get_state_display()}”，不能进行“{step.zh}” "
                f"(the lead is {lead.state}; '{step.en}' is not possible now)")
    if user.role == Role.ADMIN:
        return None
    if user.role not in step.roles or (action == "reject" and OWNER.get(lead.state) != user.role):
        return (f"您的角色（{user.get_role_display()}）不能在此环节进行“{step.zh}” "
                f"(your role may not '{step.en}' at this stage)")
    return None


def _lock(user, lead_id: int) -> Lead:
    """The lead, locked for this transaction, or 404 when it is outside the user's region."""
    return scoping.get_scoped(Lead.objects.select_for_update(), user, pk=lead_id)


def _record(lead: Lead, user, action: str, from_state: str, at: datetime, note: str = "", **data) -> LeadStep:
    return LeadStep.objects.create(
        lead=lead, at=at, user=user if getattr(user, "pk", None) else None,
        actor=getattr(user, "username", "") or "", action=action, from_state=from_state,
        to_state=lead.state, note=note, data=_jsonable(data),
    )


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items() if v not in (None, "", [])}


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _months_between(since: str, until: date) -> int | None:
    """Whole months from the first day of month ``since`` (YYYY-MM) to ``until``."""
    try:
        y, m = int(since[:4]), int(since[5:7])
    except (TypeError, ValueError):
        return None
    months = (until.year - y) * 12 + (until.month - m)
    return months  # from day 1 of the month, a partial month never counts: day >= 1 always holds


def _households(user, lead: Lead):
    from fupin.registry.models import Household

    if not lead.household_id or lead.year is None:
        raise StepRefused("该线索尚未关联登记册中的户，请在入户核实时填写户编号 "
                          "(the lead is not linked to a registry household; link it at verification)")
    rows = list(scoping.restrict(Household.objects.all(), user)
                .filter(household_id=lead.household_id, year__gte=lead.year).order_by("year"))
    if not rows or rows[0].year != lead.year:
        raise StepRefused(f"登记册中（您的管辖范围内）找不到户 {lead.household_id}（{lead.year}年） "
                          f"(household {lead.household_id} of {lead.year} not found in your region)")
    return rows


def household_without_labour(household_id: str, year: int) -> bool:
    """rules.md no_labour: every living member 丧失劳动力 or 无劳动力 (the rule's own expressions)."""
    from fupin.registry.models import Member

    rows = list(Member.objects.filter(household_key=household_id, year=year).values("labour", "member_status"))
    if not rows:
        return False
    frame = pl.DataFrame(rows, schema={"labour": pl.String, "member_status": pl.String}, orient="row")
    flags = frame.with_columns(rules.living()).with_columns(rules.no_labour_member())
    living = flags.filter(pl.col("living"))
    return living.height > 0 and bool(living["no_labour_member"].all())


def _save_household(household, user, reason: str) -> None:
    household.version += 1
    household._change_reason = reason
    if getattr(user, "pk", None):
        household._history_user = user
    household.save()


def _link_household(user, lead: Lead, household_id: str) -> None:
    from fupin.registry.models import Household

    found = (scoping.restrict(Household.objects.all(), user).filter(household_id=household_id)
             .order_by("-year").values_list("year", "region_code").first())
    if found is None:
        raise StepRefused(f"户编号 {household_id} 在您的管辖范围内不存在 (household {household_id} not in your region)")
    lead.household_id, lead.year = household_id, found[0]


def _do_verify(user, lead: Lead, today: date, params: dict) -> dict:
    signed = bool(params.get("authorisation_signed"))
    if lead.purpose == Purpose.IDENTIFICATION and not signed:
        raise StepRefused("入户核实须记录农户签署的家庭经济状况核查授权书 "
                          "(record the household's signed authorisation to check its finances)")
    if params.get("household_id"):
        _link_household(user, lead, str(params["household_id"]).strip())
    lead.authorisation_signed = signed
    lead.authorisation_on = params.get("authorisation_on") or (today if signed else None)
    return {"authorisation_signed": signed, "household_id": lead.household_id}


def _do_village_review(user, lead: Lead, today: date, params: dict) -> dict:
    start = params.get("notice_start") or today
    if start < today - timedelta(days=1):
        raise StepRefused("公示开始日期不能早于昨天 (the notice cannot start in the past)")
    days = int(deadlines.parameter("notice_min_days", start.year, lead.region_code))
    if lead.purpose == Purpose.IDENTIFICATION:
        category = params.get("category") or lead.category
        if category not in schema.MONITORING_CATEGORIES:
            raise StepRefused(f"请选择监测对象类别：{'、'.join(schema.MONITORING_CATEGORIES)} "
                              "(choose the monitoring category)")
        risks = [r for r in (params.get("risk_types") or lead.risk_types or []) if r]
        unknown = [r for r in risks if r not in rules.RISK_FACTORS]
        if unknown:
            raise StepRefused(f"未知的风险类型 {'、'.join(unknown)} (unknown risk types)")
        if not risks:
            raise StepRefused("请至少选择一种风险类型 (choose at least one risk type)")
        lead.category, lead.risk_types = category, risks
    else:
        kind = params.get("elimination_type") or lead.elimination_type
        if kind not in dict(ELIMINATION_TYPES):
            raise StepRefused("请选择消除方式：帮扶消除 或 自然消除 (choose the elimination type)")
        lead.elimination_type = kind
    lead.notice_start, lead.notice_end = start, start + timedelta(days=days - 1)
    return {"notice_start": lead.notice_start, "notice_end": lead.notice_end, "category": lead.category,
            "risk_types": lead.risk_types, "elimination_type": lead.elimination_type}


def _do_town_review(user, lead: Lead, today: date, params: dict) -> dict:
    if lead.notice_end is None or today <= lead.notice_end:
        end = f"{lead.notice_end:%Y-%m-%d}" if lead.notice_end else "—"
        raise StepRefused(f"公示期未满（公示至 {end}），公示结束后方可审核 "
                          f"(the public notice runs until {end}; review after it ends)")
    return {}


def _do_county_approve(user, lead: Lead, today: date, params: dict, at: datetime) -> dict:
    households = _households(user, lead)
    first = households[0]
    reason = f"监测线索 {lead.pk}：{STEPS['county_approve'].zh}"
    if lead.purpose == Purpose.IDENTIFICATION:
        if first.monitoring_category and not first.risk_eliminated:
            raise StepRefused(f"户 {lead.household_id} 已是监测对象（{first.monitoring_category}），不能重复认定 "
                              "(the household is already a monitoring object)")
        category = params.get("category") or lead.category
        if category not in schema.MONITORING_CATEGORIES:
            raise StepRefused("请确认监测对象类别 (confirm the monitoring category)")
        lead.category = category
        if params.get("risk_types"):
            lead.risk_types = list(params["risk_types"])
        for h in households:
            h.monitoring_category = category
            h.monitoring_since = _month(today)
            h.risk_eliminated = False
            h.risk_eliminated_at = None
            _save_household(h, user, reason)
        return {"category": category, "risk_types": lead.risk_types, "monitoring_since": _month(today)}
    if not first.monitoring_category or first.risk_eliminated:
        raise StepRefused(f"户 {lead.household_id} 当前不是监测对象，无需消除风险 "
                          "(the household is not currently monitored)")
    if household_without_labour(lead.household_id, lead.year):
        raise StepRefused("该户无劳动能力（全部在世成员丧失劳动力或无劳动力），不能消除风险，应继续监测并落实兜底保障 "
                          "(a household without labour capacity cannot be eliminated; it stays monitored)")
    kind = params.get("elimination_type") or lead.elimination_type
    if kind not in dict(ELIMINATION_TYPES):
        raise StepRefused("请选择消除方式：帮扶消除 或 自然消除 (choose the elimination type)")
    on = params.get("eliminated_on") or today
    lead.elimination_type, lead.eliminated_on = kind, on
    months = _months_between(first.monitoring_since or "", on)
    if kind == "帮扶消除" and months is not None and months < ELIMINATION_REVIEW_MONTHS:
        lead.review_flag = True
        lead.review_reason = (f"识别监测（{first.monitoring_since}）后不足 {ELIMINATION_REVIEW_MONTHS} 个月即帮扶消除，需复核 "
                              f"(eliminated through assistance within {ELIMINATION_REVIEW_MONTHS} months of identification)")
    for h in households:
        h.risk_eliminated = True
        h.risk_eliminated_at = _month(on)
        _save_household(h, user, reason)
    return {"elimination_type": kind, "eliminated_on": on, "review_flag": lead.review_flag}


def _do_reject(user, lead: Lead, today: date, params: dict) -> dict:
    reason = (params.get("reason") or "").strip()
    if not reason:
        raise StepRefused("请填写不予认定的理由（农户可凭回执查看） (give the reason; the farmer can see it)")
    lead.rejection_reason = reason[:2000]
    return {"reason": lead.rejection_reason, "at_state": lead.state}


def _apply(user, lead: Lead, action: str, at: datetime, params: dict) -> Lead:
    refusal = _refusal(user, lead, action)
    if refusal:
        raise StepRefused(refusal)
    today = clock.today(at)
    from_state = lead.state
    if action == "verify":
        data = _do_verify(user, lead, today, params)
    elif action == "village_review":
        data = _do_village_review(user, lead, today, params)
    elif action == "town_review":
        data = _do_town_review(user, lead, today, params)
    elif action == "county_approve":
        data = _do_county_approve(user, lead, today, params, at)
    else:
        data = _do_reject(user, lead, today, params)
    lead.state = STEPS[action].to_state
    if lead.state in (State.APPROVED, State.REJECTED):
        lead.decided_at = at
    lead.save()
    _record(lead, user, action, from_state, at, (params.get("note") or "").strip()[:2000], **data)
    return lead


def apply_step(user, lead_id: int, action: str, *, now: datetime | None = None, **params) -> Lead:
    """Take one step on one lead; raises StepRefused, or Http404 outside the user's region."""
    at = now or clock.now()
    with transaction.atomic():
        lead = _lock(user, lead_id)
        return _apply(user, lead, action, at, params)


@dataclass
class BulkResult:
    applied: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused


def apply_bulk(user, lead_ids, action: str, *, now: datetime | None = None, **params) -> BulkResult:
    """One step on many leads, each recorded individually; all or nothing.

    When any lead is refused (wrong state, role, region or missing input) nothing is applied
    and every refusal is reported by lead id.
    """
    at = now or clock.now()
    result = BulkResult()
    ids = sorted({int(i) for i in lead_ids})
    with transaction.atomic():
        # Lock in id order so that two bulk requests cannot deadlock each other.
        locked = {lead.pk: lead for lead in scoping.restrict(Lead.objects.select_for_update(), user)
                  .filter(pk__in=ids).order_by("pk")}
        for lead_id in ids:
            lead = locked.get(lead_id)
            if lead is None:
                result.refused[lead_id] = "线索不存在或不在您的管辖范围 (lead not found in your region)"
                continue
            try:
                with transaction.atomic():
                    _apply(user, lead, action, at, params)
                result.applied.append(lead_id)
            except StepRefused as exc:
                result.refused[lead_id] = str(exc)
        if result.refused:
            transaction.set_rollback(True)
            result.applied = []
    return result


def record_assistance(user, *, household_id: str, type: str, description: str, on: date,
                      lead_id: int | None = None):
    """Record an assistance measure for a household in the user's region (before or after a decision)."""
    from fupin.monitoring.models import ASSISTANCE_TYPES, Assistance
    from fupin.registry.models import Household

    if not scoping.can_edit(user):
        raise StepRefused("您的角色不能登记帮扶措施 (your role may not record assistance)")
    if type not in dict(ASSISTANCE_TYPES):
        raise StepRefused(f"未知的帮扶类型 {type} (unknown assistance type)")
    if not (description or "").strip():
        raise StepRefused("请填写帮扶内容 (describe the assistance)")
    lead = None
    if lead_id is not None:
        lead = scoping.get_scoped(Lead.objects.all(), user, pk=lead_id)
        household_id = household_id or lead.household_id
    household = (scoping.restrict(Household.objects.all(), user).filter(household_id=household_id)
                 .order_by("-year").first())
    if household is None:
        if lead is None:
            raise Http404("household not found in your region")
        region, year = lead.region_code, lead.year
    else:
        region, year = household.region_code, household.year
    return Assistance.objects.create(household_id=household_id or "", year=year, region_code=region, lead=lead,
                                     type=type, description=description.strip()[:2000], date=on,
                                     user=user)
