"""The actions on a problem of the ledger (supervision-analytics.md B.2), in one table.

::

    new ──claim──▶ claimed ──add_measure──▶ rectifying ──request_closure──▶ pending ──verify──▶ closed
                                                  ▲                             │
                                                  └────────── reject ───────────┘
    any open state ──extend──▶ (same, later deadline)    any open state ──void──▶ void
    (sync only) open ──system_close──▶ closed            closed ──system_reopen──▶ rectifying

:data:`ACTIONS` says for each action the states it starts from, the state it leads to and who may
take it (``who``):

* ``covers`` — a role that edits, whose scope covers the problem's region (every role's scope is
  already checked on reading: a problem outside it is not found, 404);
* ``higher`` — a scope that is a *proper* prefix of the problem's region (a town verifies its
  village's problem, never the village itself), and never the user who requested the closure;
* ``county`` — a county scope or wider (≤ 6 digits);
* ``system`` — only the sync (:mod:`fupin.supervision.services`), never a user.

Each handler checks what the action requires (B.2's "requires" column) and changes the problem;
:func:`apply_action` checks the state and the actor first, locks the row, saves it with its history
and records one :class:`~fupin.supervision.models.ProblemAction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from fupin import divisions
from fupin.accounts.scoping import Scope, get_scoped
from fupin.monitoring import clock
from fupin.supervision.models import OPEN_STATES, Problem, ProblemAction, State

SYSTEM_ACTOR = "system"


class ActionRefused(Exception):
    """An action that cannot be taken now; the message is Chinese + English."""


@dataclass(frozen=True)
class Action:
    key: str
    zh: str
    en: str
    from_states: tuple[str, ...]
    to_state: str | None      # None: the state does not change
    who: str                  # covers | higher | county | system


_OPEN = tuple(OPEN_STATES)
ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("claim", "签收认领", "claim", (State.NEW,), State.CLAIMED, "covers"),
    Action("add_measure", "添加整改措施", "add a measure", (State.CLAIMED, State.RECTIFYING), State.RECTIFYING, "covers"),
    Action("progress", "记录措施完成", "record a measure done", (State.RECTIFYING,), State.RECTIFYING, "covers"),
    Action("add_evidence", "上传佐证材料", "add evidence", (State.CLAIMED, State.RECTIFYING, State.PENDING), None,
           "covers"),
    Action("request_closure", "申请销号", "request closure", (State.RECTIFYING,), State.PENDING, "covers"),
    Action("verify", "核验销号", "verify and close", (State.PENDING,), State.CLOSED, "higher"),
    Action("reject", "退回", "send back", (State.PENDING,), State.RECTIFYING, "higher"),
    Action("extend", "延期", "extend the deadline", _OPEN, None, "county"),
    Action("void", "撤销", "void", _OPEN, State.VOID, "county"),
    Action("system_close", "复查销号", "closed by a later sync", _OPEN, State.CLOSED, "system"),
    Action("system_reopen", "复查再次发现", "found again by a later sync", (State.CLOSED,), State.RECTIFYING, "system"),
)}
USER_ACTIONS = tuple(k for k, a in ACTIONS.items() if a.who != "system")


def wrong_state(problem: Problem, action: Action) -> str:
    """B.2: "问题 {id} 当前状态为 {state}，不能{action} (problem is {state})" — the state's Chinese
    label in the Chinese part, its key in the English part."""
    return (f"问题 {problem.problem_id} 当前状态为 {State(problem.state).label}，不能{action.zh} "
            f"(problem is {problem.state})")


def _region_prefix(problem: Problem) -> str:
    return divisions.scope_prefix(problem.region_code)


def refusal(scope: Scope, problem: Problem, key: str) -> str | None:
    """Why ``scope`` may not take action ``key`` on ``problem`` now (None: it may)."""
    action = ACTIONS.get(key)
    if action is None:
        return f"未知的操作 {key} (unknown action)"
    if problem.state not in action.from_states:
        return wrong_state(problem, action)
    if action.who == "system":
        return f"“{action.zh}”只能由数据复查自动进行 (only the sync does this)"
    if not scope.can_edit or not scope.contains(problem.region_code):
        if action.key == "claim":
            return "无权签收该问题 (outside your scope)"
        return f"无权对该问题进行“{action.zh}” (your role may not '{action.en}' here)"
    if action.who == "higher":
        region = _region_prefix(problem)
        if not (len(scope.prefix) < len(region) and region.startswith(scope.prefix)) or (
                action.key == "verify" and problem.requested_by and problem.requested_by == scope.actor_name):
            return "销号须由上级核验且不得本人核验 (closure is verified by a higher level, never by the requester)" \
                if action.key == "verify" else "退回须由上级核验人进行 (a higher level sends back)"
    if action.who == "county" and len(scope.prefix) > 6:
        return f"“{action.zh}”须由县级或以上进行 (a county or higher may '{action.en}')"
    return None


def allowed_actions(scope: Scope, problem: Problem) -> list[str]:
    """The user actions ``scope`` may take on ``problem`` now (for buttons; the service checks again)."""
    return [k for k in USER_ACTIONS if refusal(scope, problem, k) is None]


# --- the handlers: what each action requires and changes --------------------------------------

def _date(value, what: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ActionRefused(f"{what}应为日期 YYYY-MM-DD：{value} ({what}: not a date)") from None


def _text(params: dict, name: str) -> str:
    return str(params.get(name) or "").strip()[:2000]


def _do_claim(scope, problem, today, params) -> dict:
    return {}


def _do_add_measure(scope, problem, today, params) -> dict:
    text = _text(params, "text")
    if not text:
        raise ActionRefused("请填写整改措施 (describe the measure)")
    due = _date(params.get("due"), "措施时限") or problem.deadline
    if due > problem.deadline:
        raise ActionRefused(f"措施时限晚于整改时限（{problem.deadline:%Y-%m-%d}） (the measure is due after the deadline)")
    done_on = _date(params.get("done_on"), "完成日期")
    measure = {"text": text, "due": due.isoformat(), "done_on": done_on.isoformat() if done_on else None}
    problem.measures = [*problem.measures, measure]
    return {"measure": len(problem.measures), **measure}


def _do_progress(scope, problem, today, params) -> dict:
    try:
        index = int(params.get("measure"))
    except (TypeError, ValueError):
        index = 0
    if not 1 <= index <= len(problem.measures):
        raise ActionRefused(f"没有第 {params.get('measure')} 条整改措施 (no such measure)")
    done_on = _date(params.get("done_on"), "完成日期") or today
    measures = [dict(m) for m in problem.measures]
    measures[index - 1]["done_on"] = done_on.isoformat()
    problem.measures = measures
    return {"measure": index, "done_on": done_on.isoformat()}


def _do_add_evidence(scope, problem, today, params) -> dict:
    evidence = params.get("evidence")
    if evidence is None:
        raise ActionRefused("请上传佐证材料文件 (add a file)")
    return {"file": evidence.file_name, "sha256": evidence.sha256, "size": evidence.size}


def _do_request_closure(scope, problem, today, params) -> dict:
    missing = []
    if not problem.measures:
        missing.append("整改措施")
    elif any(not m.get("done_on") for m in problem.measures):
        missing.append("措施完成日期")
    if not problem.evidence.exists():
        missing.append("佐证材料")
    if missing:
        raise ActionRefused(f"尚缺：{'、'.join(missing)} (missing: {', '.join(missing)})")
    problem.requested_by = scope.actor_name
    return {}


def _do_verify(scope, problem, today, params) -> dict:
    problem.verified_on = _date(params.get("on"), "核验日期") or today
    problem.verified_by = scope.actor_name
    problem.verification_note = _text(params, "note")
    return {"verified_on": problem.verified_on.isoformat()}


def _reason(params: dict, what: str) -> str:
    reason = _text(params, "reason")
    if not reason:
        raise ActionRefused(f"请填写{what}理由 (give the reason)")
    return reason


def _do_reject(scope, problem, today, params) -> dict:
    reason = _reason(params, "退回")
    problem.requested_by = ""
    return {"reason": reason}


def _do_extend(scope, problem, today, params) -> dict:
    new = _date(params.get("deadline"), "新整改时限")
    if new is None or new <= problem.deadline:
        raise ActionRefused(f"新整改时限应晚于原时限 {problem.deadline:%Y-%m-%d} (the new deadline must be later)")
    reason = _reason(params, "延期")
    old, problem.deadline = problem.deadline, new
    return {"from": old.isoformat(), "to": new.isoformat(), "reason": reason}


def _do_void(scope, problem, today, params) -> dict:
    return {"reason": _reason(params, "撤销")}


def _do_system_close(scope, problem, today, params) -> dict:
    problem.verified_on, problem.verified_by = today, SYSTEM_ACTOR
    problem.verification_note = "复查未再发现"
    return {}


def _do_system_reopen(scope, problem, today, params) -> dict:
    problem.verified_on, problem.verified_by, problem.verification_note, problem.requested_by = None, "", "", ""
    return {}


_DO = {"claim": _do_claim, "add_measure": _do_add_measure, "progress": _do_progress,
       "add_evidence": _do_add_evidence, "request_closure": _do_request_closure, "verify": _do_verify,
       "reject": _do_reject, "extend": _do_extend, "void": _do_void, "system_close": _do_system_close,
       "system_reopen": _do_system_reopen}
assert set(_DO) == set(ACTIONS)


def record(problem: Problem, scope: Scope | None, key: str, from_state: str, at: datetime, note: str = "",
           data: dict | None = None, *, save: bool = True) -> ProblemAction:
    """One action row (unsaved when ``save`` is False, for a bulk insert)."""
    row = ProblemAction(problem=problem, at=at, user=scope.actor if scope else None,
                        actor=scope.actor_name if scope else SYSTEM_ACTOR, action=key, from_state=from_state,
                        to_state=problem.state, note=note, data=data or {})
    if save:
        row.save()
    return row


def apply_action(scope: Scope, problem_pk: int, key: str, *, now: datetime | None = None, **params) -> Problem:
    """Take one action on one problem inside ``scope`` (404 outside it); ActionRefused otherwise."""
    at = now or clock.now()
    with transaction.atomic():
        problem = get_scoped(Problem.objects.select_for_update(), scope, pk=problem_pk)
        why = refusal(scope, problem, key)
        if why:
            raise ActionRefused(why)
        today = clock.today(at)
        from_state = problem.state
        data = _DO[key](scope, problem, today, params)
        action = ACTIONS[key]
        if action.to_state is not None:
            problem.state = action.to_state
        problem._change_reason = action.zh
        if scope.actor is not None:
            problem._history_user = scope.actor
        problem.save()
        record(problem, scope, key, from_state, at, _text(params, "note") if key != "verify" else "", data)
    return problem


def system_transition(problem: Problem, key: str, today: date, at: datetime) -> ProblemAction:
    """The sync's close/reopen on a problem it holds (no save of the problem: done in bulk)."""
    action = ACTIONS[key]
    if problem.state not in action.from_states:
        raise ActionRefused(wrong_state(problem, action))
    from_state = problem.state
    _DO[key](None, problem, today, {})
    problem.state = action.to_state
    problem._change_reason = action.zh
    return record(problem, None, key, from_state, at, action.zh, {}, save=False)
