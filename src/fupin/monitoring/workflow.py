"""The workflow of a lead: who may take which step, in which state, within which region.

identification and elimination leads go the same way::

    new ──verify──▶ verified ──village_review──▶ notice ──town_review──▶ town_reviewed
        ──county_approve──▶ approved          (any open state ──reject──▶ rejected)

* ``verify`` (入户核实, village): for identification the household's signed authorisation to
  check its finances must be recorded; the household may be linked here.
* ``village_review`` (民主评议 and the start of 公示, village): proposes the category and risk
  types (identification) or the elimination type; the notice runs ``notice_min_days`` days from
  its first day (the last day is first day + days − 1). The category must fit the household's
  registration (:func:`fupin.engine.rules.allowed_categories`): a registered household only as
  脱贫不稳定户, an unregistered one only as 边缘易致贫户, either as 突发严重困难户.
* ``town_review`` (town): only after the notice period has ended.
* ``county_approve`` (county): identification writes the category (the exchange format's code of
  the lead's category key), ``monitoring_since`` and ``risk_eliminated = 否`` into the registry;
  elimination writes ``risk_eliminated = 是`` and its month — refused for a household without
  labour capacity (:func:`fupin.engine.facts.no_labour_capacity`), and flagged for review by the
  rule :func:`fupin.engine.rules.quick_elimination` (rules.md section 3, months from policy).
  Registry rows are saved through the ORM so that their history records who changed them and why.
* ``reject`` (the role owning the current step): a reason is required; the farmer sees it with
  the receipt number.

The household exit (贫困户退出, ``purpose = exit``) runs on the same table, on its own path::

    new (预退出, proposed by the village for a registered poor household whose current verdict is
         达标) ──village_review──▶ notice ──household_confirm──▶ confirmed ──town_review──▶
         town_reviewed ──county_approve──▶ approved  (─reject─▶ rejected from any open state)

* ``village_review`` (民主评议 and 公示) starts the same notice with the same minimum days.
* ``household_confirm`` (农户签字确认, village): the household signs that it agrees to exit.
* ``town_review`` only after the notice ended; ``county_approve`` marks the registry rows of the
  lead's year and later 已脱贫 with ``exit_year`` = the lead's year (with history); refused when
  the household's current verdict of that year is no longer 达标.

Administrators (and the command line) may take every step. Every step is one :class:`LeadStep`
row. A lead outside the scope is not found (404), whatever the role. Steps lock the lead row
(``select_for_update``), so of two concurrent approvals the second sees the new state and is
refused. Every function takes the actor's :class:`~fupin.accounts.scoping.Scope` and the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from django.db import transaction
from django.http import Http404

from fupin.accounts.roles import Role
from fupin.accounts.scoping import SYSTEM, Scope, get_scoped
from fupin.assessments.models import Verdict
from fupin.engine import facts, rules
from fupin.engine.policy import PolicySet
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import (
    OPEN_STATES,
    Lead,
    LeadStep,
    Purpose,
    State,
    state_label,
)
from fupin.registry.models import Household


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
    # The household exit's own path where it differs (``()``: the step is not on that path).
    exit_from: tuple[str, ...] | None = None

    def sources(self, purpose: str) -> tuple[str, ...]:
        """The states this step may be taken from for a lead of ``purpose``."""
        if purpose == Purpose.EXIT and self.exit_from is not None:
            return self.exit_from
        return self.from_states


STEPS: dict[str, Step] = {
    s.action: s for s in (
        Step("verify", "入户核实", "verify at home", (State.NEW,), State.VERIFIED, frozenset({Role.VILLAGE}),
             exit_from=()),
        Step("village_review", "村级评议并公示", "village review and public notice", (State.VERIFIED,), State.NOTICE,
             frozenset({Role.VILLAGE}), exit_from=(State.NEW,)),
        Step("household_confirm", "农户签字确认", "household signs its agreement", (), State.CONFIRMED,
             frozenset({Role.VILLAGE}), exit_from=(State.NOTICE,)),
        Step("town_review", "乡镇审核", "town review", (State.NOTICE,), State.TOWN_REVIEWED, frozenset({Role.TOWN}),
             exit_from=(State.CONFIRMED,)),
        Step("county_approve", "县级审批", "county approval", (State.TOWN_REVIEWED,), State.APPROVED,
             frozenset({Role.COUNTY})),
        Step("reject", "不予认定", "reject", tuple(OPEN_STATES), State.REJECTED,
             frozenset({Role.VILLAGE, Role.TOWN, Role.COUNTY})),
    )
}
# Who owns a lead in each open state: that role may reject it there.
OWNER = {State.NEW: Role.VILLAGE, State.VERIFIED: Role.VILLAGE, State.NOTICE: Role.TOWN,
         State.CONFIRMED: Role.TOWN, State.TOWN_REVIEWED: Role.COUNTY}
ALL_STEPS = {Role.ADMIN, SYSTEM}


def allowed_actions(scope: Scope, lead: Lead) -> list[str]:
    """The steps the scope's role may take on ``lead`` now (for buttons; the service checks again)."""
    if not scope.contains(lead.region_code):
        return []
    return [a for a in STEPS if _refusal(scope, lead, a) is None]


def _role_label(role: str) -> str:
    return dict(Role.choices).get(role, "命令行 (command line)")


def _refusal(scope: Scope, lead: Lead, action: str) -> str | None:
    step = STEPS.get(action)
    if step is None:
        return f"未知的操作 {action} (unknown step)"
    if lead.state not in step.sources(lead.purpose):
        return (f"线索当前状态为“{state_label(lead.state, lead.purpose).split(' (')[0]}”，不能进行“{step.zh}” "
                f"(the lead is {lead.state}; '{step.en}' is not possible now)")
    if scope.role in ALL_STEPS:
        return None
    if scope.role not in step.roles or (action == "reject" and OWNER.get(lead.state) != scope.role):
        return (f"您的角色（{_role_label(scope.role)}）不能在此环节进行“{step.zh}” "
                f"(your role may not '{step.en}' at this stage)")
    return None


def _lock(scope: Scope, lead_id: int) -> Lead:
    """The lead, locked for this transaction, or 404 when it is outside the scope."""
    return get_scoped(Lead.objects.select_for_update(), scope, pk=lead_id)


def _record(lead: Lead, scope: Scope, action: str, from_state: str, at: datetime, note: str = "", **data) -> LeadStep:
    return LeadStep.objects.create(
        lead=lead, at=at, user=scope.actor, actor=scope.actor_name, action=action, from_state=from_state,
        to_state=lead.state, note=note, data=_jsonable(data),
    )


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items() if v not in (None, "", [])}


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _households(scope: Scope, lead: Lead) -> list[Household]:
    if not lead.household_id or lead.year is None:
        raise StepRefused("该线索尚未关联登记册中的户，请在入户核实时填写户编号 "
                          "(the lead is not linked to a registry household; link it at verification)")
    rows = list(Household.objects.within(scope)
                .filter(household_id=lead.household_id, year__gte=lead.year).order_by("year"))
    if not rows or rows[0].year != lead.year:
        raise StepRefused(f"登记册中（您的管辖范围内）找不到户 {lead.household_id}（{lead.year}年） "
                          f"(household {lead.household_id} of {lead.year} not found in your region)")
    return rows


def household_without_labour(household: Household) -> bool:
    """rules.md ``no_labour`` for one household read within a scope (the engine's expression)."""
    members = pl.DataFrame(list(household.members.values("household_key", "labour", "member_status")),
                           schema={"household_key": pl.String, "labour": pl.String, "member_status": pl.String},
                           orient="row")
    counts = facts.population_of(members, keys=("household_key",)).collect()
    return counts.height > 0 and bool(counts.select(facts.no_labour_capacity()).item())


def _save_household(household: Household, scope: Scope, reason: str) -> None:
    household.version += 1
    household._change_reason = reason
    if scope.actor is not None:
        household._history_user = scope.actor
    household.save()


def currently_monitored(household: Household) -> bool:
    """rules.md: a monitoring category set and the risk not eliminated (the engine's fact)."""
    return bool(facts.evaluate(
        facts.currently_monitored(),
        {"monitoring_category": household.monitoring_category, "risk_eliminated": household.risk_eliminated},
        {"monitoring_category": pl.String, "risk_eliminated": pl.Boolean},
    ))


def _category(value) -> str:
    """A category as the registry key, whether given as the key or as the exchange format's code."""
    value = (value or "").strip()
    return rules.category_key(value) or value


def _check_category(category: str, household: Household | None) -> None:
    """The proposed category must be a lead category that fits the household's registration."""
    if category not in rules.LEAD_CATEGORIES:
        names = "、".join(rules.label("category", k) for k in rules.LEAD_CATEGORIES)
        raise StepRefused(f"请选择监测对象类别：{names} (choose the monitoring category)")
    registered = bool(household.registered) if household is not None else False
    allowed = rules.allowed_categories(registered)
    if category not in allowed:
        who = "建档立卡户（脱贫户）" if registered else "未建档立卡的农户"
        names = "、".join(rules.label("category", k) for k in allowed)
        raise StepRefused(
            f"{who}不能认定为“{rules.label('category', category)}”，只能认定为：{names} "
            f"({'a registered' if registered else 'an unregistered'} household cannot be identified as "
            f"{rules.label('category', category, 'en')}; allowed: "
            f"{', '.join(rules.label('category', k, 'en') for k in allowed)})"
        )


def _linked_household(scope: Scope, lead: Lead) -> Household | None:
    if not lead.household_id or lead.year is None:
        return None
    return Household.objects.within(scope).filter(household_id=lead.household_id, year=lead.year).first()


def _link_household(scope: Scope, lead: Lead, household_id: str) -> None:
    found = (Household.objects.within(scope).filter(household_id=household_id)
             .order_by("-year").values_list("year", "region_code").first())
    if found is None:
        raise StepRefused(f"户编号 {household_id} 在您的管辖范围内不存在 (household {household_id} not in your region)")
    lead.household_id, lead.year = household_id, found[0]


def _do_verify(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    signed = bool(params.get("authorisation_signed"))
    if lead.purpose == Purpose.IDENTIFICATION and not signed:
        raise StepRefused("入户核实须记录农户签署的家庭经济状况核查授权书 "
                          "(record the household's signed authorisation to check its finances)")
    if params.get("household_id"):
        _link_household(scope, lead, str(params["household_id"]).strip())
    lead.authorisation_signed = signed
    lead.authorisation_on = params.get("authorisation_on") or (today if signed else None)
    return {"authorisation_signed": signed, "household_id": lead.household_id}


def _do_village_review(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    start = params.get("notice_start") or today
    if start < today - timedelta(days=1):
        raise StepRefused("公示开始日期不能早于昨天 (the notice cannot start in the past)")
    days = int(deadlines.parameter(policy, "notice_min_days", start.year, lead.region_code))
    if lead.purpose == Purpose.IDENTIFICATION:
        category = _category(params.get("category") or lead.category)
        _check_category(category, _linked_household(scope, lead))
        risks = [r for r in (params.get("risk_types") or lead.risk_types or []) if r]
        unknown = [r for r in risks if r not in rules.RISK_FACTORS]
        if unknown:
            raise StepRefused(f"未知的风险类型 {'、'.join(unknown)} (unknown risk types)")
        if not risks:
            raise StepRefused("请至少选择一种风险类型 (choose at least one risk type)")
        lead.category, lead.risk_types = category, risks
    elif lead.purpose == Purpose.ELIMINATION:
        kind = params.get("elimination_type") or lead.elimination_type
        if kind not in rules.ELIMINATION_TYPES:
            raise StepRefused("请选择消除方式：帮扶消除 或 自然消除 (choose the elimination type)")
        lead.elimination_type = kind
    lead.notice_start, lead.notice_end = start, start + timedelta(days=days - 1)
    return {"notice_start": lead.notice_start, "notice_end": lead.notice_end, "category": lead.category,
            "risk_types": lead.risk_types, "elimination_type": lead.elimination_type}


def _do_household_confirm(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    if not params.get("signed"):
        raise StepRefused("须由农户签字确认同意退出后方可继续 (the household must sign its agreement to exit)")
    on = params.get("confirmed_on") or today
    if on > today:
        raise StepRefused("签字确认日期不能晚于今天 (the signing date cannot be in the future)")
    lead.confirmed_on = on
    return {"confirmed_on": on}


def current_verdict(household_id: str, year: int, scope: Scope) -> str | None:
    """The household's current stored verdict (达标 = ``yes``) for ``year``, or None before any run."""
    return (Verdict.objects.within(scope).filter(household_id=household_id, year=year, current=True)
            .values_list("meets_standard", flat=True).first())


def exit_refusal(scope: Scope, household: Household) -> str | None:
    """Why this household cannot (now) be taken out of poverty, or None: it must be a registered
    household still poor (未脱贫 or 返贫) whose current verdict of the year meets the standard."""
    still_poor = facts.evaluate(facts.remaining_poor(),
                                {"registered": household.registered, "poverty_status": household.poverty_status},
                                {"registered": pl.Boolean, "poverty_status": pl.String})
    if not still_poor:
        status = household.poverty_status if household.registered else facts.GENERAL_HOUSEHOLD
        return (f"户 {household.household_id} 的脱贫状态为“{status}”，只有未脱贫或返贫的建档立卡户可以退出 "
                "(only a registered household still in poverty can exit)")
    verdict = current_verdict(household.household_id, household.year, scope)
    if verdict != "yes":
        shown = rules.VALUE_LABELS["meets_standard"].get(verdict, verdict) if verdict else "尚未评估"
        return (f"户 {household.household_id} {household.year}年的评估结果为“{shown}”，达标后方可退出 "
                f"(the household's {household.year} verdict is {verdict or 'missing'}; it must meet the standard)")
    return None


def _approve_exit(scope: Scope, lead: Lead, households: list[Household]) -> dict:
    refusal = exit_refusal(scope, households[0])
    if refusal:
        raise StepRefused(refusal)
    reason = f"贫困户退出 {lead.pk}：{STEPS['county_approve'].zh}"
    for h in households:
        h.poverty_status = "已脱贫"
        h.exit_year = lead.year
        _save_household(h, scope, reason)
    return {"poverty_status": "已脱贫", "exit_year": lead.year}


def _do_town_review(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    if lead.notice_end is None or today <= lead.notice_end:
        end = f"{lead.notice_end:%Y-%m-%d}" if lead.notice_end else "—"
        raise StepRefused(f"公示期未满（公示至 {end}），公示结束后方可审核 "
                          f"(the public notice runs until {end}; review after it ends)")
    return {}


def _quick_elimination(policy: PolicySet, household: Household, eliminated_on: date, kind: str) -> bool:
    """rules.md section 3's review flag, by the engine's rule on this one household."""
    limit = policy.resolve("quick_elimination_months", eliminated_on.year, household.region_code)[0]
    row = {"risk_eliminated": True, "monitoring_since": household.monitoring_since,
           "risk_eliminated_at": _month(eliminated_on), "elimination_type": kind,
           "quick_elimination_months": float(limit)}
    schema_ = {"risk_eliminated": pl.Boolean, "monitoring_since": pl.String, "risk_eliminated_at": pl.String,
               "elimination_type": pl.String, "quick_elimination_months": pl.Float64}
    return bool(facts.evaluate(rules.quick_elimination(), row, schema_))


def _do_county_approve(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    households = _households(scope, lead)
    if lead.purpose == Purpose.EXIT:
        return _approve_exit(scope, lead, households)
    first = households[0]
    reason = f"监测线索 {lead.pk}：{STEPS['county_approve'].zh}"
    if lead.purpose == Purpose.IDENTIFICATION:
        if currently_monitored(first):
            raise StepRefused(f"户 {lead.household_id} 已是监测对象（{first.monitoring_category}），不能重复认定 "
                              "(the household is already a monitoring object)")
        category = _category(params.get("category") or lead.category)
        _check_category(category, first)
        lead.category = category
        if params.get("risk_types"):
            lead.risk_types = list(params["risk_types"])
        for h in households:
            h.monitoring_category = rules.category_code(category)
            h.monitoring_since = _month(today)
            h.risk_eliminated = False
            h.risk_eliminated_at = None
            _save_household(h, scope, reason)
        return {"category": category, "risk_types": lead.risk_types, "monitoring_since": _month(today)}
    if not currently_monitored(first):
        raise StepRefused(f"户 {lead.household_id} 当前不是监测对象，无需消除风险 "
                          "(the household is not currently monitored)")
    if household_without_labour(first):
        raise StepRefused("该户无劳动能力（全部在世成员丧失劳动力或无劳动力），不能消除风险，应继续监测并落实兜底保障 "
                          "(a household without labour capacity cannot be eliminated; it stays monitored)")
    kind = params.get("elimination_type") or lead.elimination_type
    if kind not in rules.ELIMINATION_TYPES:
        raise StepRefused("请选择消除方式：帮扶消除 或 自然消除 (choose the elimination type)")
    on = params.get("eliminated_on") or today
    lead.elimination_type, lead.eliminated_on = kind, on
    if _quick_elimination(policy, first, on, kind):
        months = int(policy.resolve("quick_elimination_months", on.year, first.region_code)[0])
        lead.review_flag = True
        lead.review_reason = (f"识别监测（{first.monitoring_since}）后不足 {months} 个月即帮扶消除，需复核 "
                              f"(eliminated through assistance within {months} months of identification)")
    for h in households:
        h.risk_eliminated = True
        h.risk_eliminated_at = _month(on)
        _save_household(h, scope, reason)
    return {"elimination_type": kind, "eliminated_on": on, "review_flag": lead.review_flag}


def _do_reject(scope: Scope, policy: PolicySet, lead: Lead, today: date, params: dict) -> dict:
    reason = (params.get("reason") or "").strip()
    if not reason:
        raise StepRefused("请填写不予认定的理由（农户可凭回执查看） (give the reason; the farmer can see it)")
    lead.rejection_reason = reason[:2000]
    return {"reason": lead.rejection_reason, "at_state": lead.state}


_DO = {"verify": _do_verify, "village_review": _do_village_review, "household_confirm": _do_household_confirm,
       "town_review": _do_town_review,
       "county_approve": _do_county_approve, "reject": _do_reject}


def _apply(scope: Scope, policy: PolicySet, lead: Lead, action: str, at: datetime, params: dict) -> Lead:
    refusal = _refusal(scope, lead, action)
    if refusal:
        raise StepRefused(refusal)
    today = clock.today(at)
    from_state = lead.state
    data = _DO[action](scope, policy, lead, today, params)
    lead.state = STEPS[action].to_state
    if lead.state in (State.APPROVED, State.REJECTED):
        lead.decided_at = at
    lead.save()
    _record(lead, scope, action, from_state, at, (params.get("note") or "").strip()[:2000], **data)
    return lead


def apply_step(scope: Scope, policy: PolicySet, lead_id: int, action: str, *, now: datetime | None = None,
               purpose: str | None = None, **params) -> Lead:
    """Take one step on one lead; raises StepRefused, or Http404 outside the scope (or when the
    lead is not of ``purpose``, when given: an exit case number never reaches a monitoring lead)."""
    at = now or clock.now()
    with transaction.atomic():
        lead = _lock(scope, lead_id)
        if purpose is not None and lead.purpose != purpose:
            raise Http404("no such case")
        return _apply(scope, policy, lead, action, at, params)


@dataclass
class BulkResult:
    applied: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused


def apply_bulk(scope: Scope, policy: PolicySet, lead_ids, action: str, *, now: datetime | None = None,
               **params) -> BulkResult:
    """One step on many leads, each recorded individually; all or nothing.

    When any lead is refused (wrong state, role, region or missing input) nothing is applied
    and every refusal is reported by lead id.
    """
    at = now or clock.now()
    result = BulkResult()
    ids = sorted({int(i) for i in lead_ids})
    with transaction.atomic():
        # Lock in id order so that two bulk requests cannot deadlock each other.
        locked = {lead.pk: lead for lead in Lead.objects.select_for_update().within(scope)
                  .filter(pk__in=ids).order_by("pk")}
        for lead_id in ids:
            lead = locked.get(lead_id)
            if lead is None:
                result.refused[lead_id] = "线索不存在或不在您的管辖范围 (lead not found in your region)"
                continue
            try:
                with transaction.atomic():
                    _apply(scope, policy, lead, action, at, params)
                result.applied.append(lead_id)
            except StepRefused as exc:
                result.refused[lead_id] = str(exc)
        if result.refused:
            transaction.set_rollback(True)
            result.applied = []
    return result
