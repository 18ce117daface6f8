"""Writes of the ledger and the listings: problems in bulk (import, sync), evidence, listings.

Single actions on a problem are :mod:`fupin.supervision.ledger_workflow`'s; these functions take
what the application layer read and decided (frames) and store it in bulk, with history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from django.db import transaction
from django.db.models import Max, Q
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from fupin import divisions
from fupin.accounts.scoping import Scope, get_scoped
from fupin.engine import supervision as engine
from fupin.engine.policy import PolicySet
from fupin.monitoring import clock
from fupin.supervision import ledger_workflow as workflow
from fupin.supervision import storage
from fupin.supervision.models import (
    OPEN_STATES,
    Evidence,
    Listing,
    ListingStatus,
    Problem,
    ProblemAction,
    State,
)

BATCH = 2000
FIELDS = ("problem_id", "year", "source", "source_ref", "region_code", "category", "description", "household_id",
          "finding_code", "lead_id", "lead_unit", "responsible_unit", "responsible_person", "received_on",
          "immediate", "claim_due", "deadline", "original_deadline")
# What an import may change on a problem it finds again (never the state or the clocks' start).
UPDATABLE = ("source", "source_ref", "category", "description", "household_id", "finding_code", "lead_id",
             "lead_unit", "responsible_unit", "responsible_person", "immediate")

# ID numbers (15/18), mobile phones, bank accounts (16–19 digits): never in a description (B.1).
PII = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15}|1[3-9]\d{9}|\d{16,19})(?!\d)")


def contains_pii(text: str) -> bool:
    return bool(PII.search(text or ""))


def next_ids(year: int, n: int) -> list[str]:
    """``P{year}-{seq:06}`` for ``n`` new problems after the highest of the year."""
    prefix = f"P{year}-"
    top = (Problem.objects.unscoped("problem numbers are unique across all regions")
           .filter(problem_id__startswith=prefix, problem_id__regex=rf"^P{year}-\d{{6}}$")
           .aggregate(m=Max("problem_id"))["m"])
    start = int(top[len(prefix):]) if top else 0
    return [f"{prefix}{start + i:06d}" for i in range(1, n + 1)]


def _problems_from(frame: pl.DataFrame, policy: PolicySet) -> list[Problem]:
    dated = engine.due_dates(frame, policy)
    rows = []
    for r in dated.iter_rows(named=True):
        values = {f: r.get(f) for f in FIELDS}
        for f in ("source_ref", "household_id", "finding_code", "lead_unit", "responsible_unit",
                  "responsible_person"):
            values[f] = values[f] or ""
        values["immediate"] = bool(values["immediate"])
        rows.append(Problem(**values, natural_key=r.get("natural_key"), state=State.NEW, measures=[]))
    return rows


def create_problems(scope: Scope, policy: PolicySet, frame: pl.DataFrame, *, at: datetime, note: str = "") -> list[Problem]:
    """Store new problems (columns of :data:`FIELDS` without the dates; ``deadline`` optional),
    each inside ``scope``, with their history and a ``create`` action each."""
    outside = [c for c in frame["region_code"].to_list() if not scope.contains(c)]
    if outside:
        raise workflow.ActionRefused(f"区划 {outside[0]} 不在您的管辖范围内 (outside your scope)")
    problems = _problems_from(frame, policy)
    created = bulk_create_with_history(problems, Problem, batch_size=BATCH, default_user=scope.actor,
                                       default_change_reason=note or "新建问题")
    ids = {p.problem_id for p in problems}
    stored = list(Problem.objects.within(scope).filter(problem_id__in=ids)) if len(ids) <= BATCH else [
        p for chunk in _chunks(sorted(ids)) for p in Problem.objects.within(scope).filter(problem_id__in=chunk)]
    ProblemAction.objects.bulk_create([
        workflow.record(p, scope, "create", "", at, note, save=False) for p in stored], batch_size=BATCH)
    return created


def _chunks(values: list, size: int = BATCH):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def update_problems(scope: Scope, frame: pl.DataFrame, *, at: datetime, note: str) -> int:
    """Update :data:`UPDATABLE` fields of existing problems (by problem_id) inside ``scope``."""
    by_id = {r["problem_id"]: r for r in frame.iter_rows(named=True)}
    changed = []
    for chunk in _chunks(sorted(by_id)):
        for p in Problem.objects.within(scope).filter(problem_id__in=chunk):
            r = by_id[p.problem_id]
            new = {f: (bool(r[f]) if f == "immediate" else (r[f] if r[f] is not None else ("" if f != "lead_id" else None)))
                   for f in UPDATABLE if f in r}
            if any(getattr(p, f) != v for f, v in new.items()):
                for f, v in new.items():
                    setattr(p, f, v)
                changed.append(p)
    if changed:
        bulk_update_with_history(changed, Problem, list(UPDATABLE), batch_size=BATCH, default_user=scope.actor,
                                 default_change_reason=note, manager=Problem.objects.within(scope))
        ProblemAction.objects.bulk_create([workflow.record(p, scope, "update", p.state, at, note, save=False)
                                           for p in changed], batch_size=BATCH)
    return len(changed)


@dataclass
class SyncCounts:
    created: int = 0
    closed: int = 0
    reopened: int = 0
    unchanged: int = 0
    keys: dict = field(default_factory=dict)


def sync_problems(scope: Scope, policy: PolicySet, found: pl.DataFrame, *, year: int, resolved_leads: set[str],
                  as_of: date, at: datetime) -> SyncCounts:
    """B.4 in bulk. ``found``: the automatic problems found now inside ``scope`` (``natural_key``
    and the problem's columns). Open ``quality:{year}:`` problems of the scope not found any more
    and the ``lead:`` problems in ``resolved_leads`` are closed by the system; closed problems
    found again go back to ``rectifying``; new keys become problems (problem_id = the key)."""
    counts = SyncCounts()
    with transaction.atomic():
        existing = {p.natural_key: p for p in Problem.objects.within(scope).filter(
            Q(natural_key__startswith=f"quality:{year}:") | Q(natural_key__startswith="lead:"))}
        keys = set(found["natural_key"].to_list())
        new = found.filter(~pl.col("natural_key").is_in(list(existing)))
        if new.height:
            create_problems(scope, policy, new.with_columns(problem_id=pl.col("natural_key")), at=at,
                            note="数据复查发现")
        counts.created = new.height
        changed, actions = [], []
        for key, p in existing.items():
            if key in keys:
                if p.state == State.CLOSED:
                    actions.append(workflow.system_transition(p, "system_reopen", as_of, at))
                    changed.append(p)
                    counts.reopened += 1
                else:
                    counts.unchanged += 1
            elif p.state in OPEN_STATES and (key.startswith("quality:") or key in resolved_leads):
                actions.append(workflow.system_transition(p, "system_close", as_of, at))
                changed.append(p)
                counts.closed += 1
        if changed:
            bulk_update_with_history(changed, Problem, ["state", "verified_on", "verified_by", "verification_note",
                                                        "requested_by"], batch_size=BATCH,
                                     default_change_reason="数据复查", manager=Problem.objects.within(scope))
            ProblemAction.objects.bulk_create(actions, batch_size=BATCH)
    return counts


def add_evidence(scope: Scope, problem_pk: int, name: str, chunks, *, note: str = "",
                 now: datetime | None = None) -> Evidence:
    """Keep a file as evidence of a problem inside ``scope`` (the action's checks first)."""
    at = now or clock.now()
    with transaction.atomic():
        problem = get_scoped(Problem.objects.select_for_update(), scope, pk=problem_pk)
        why = workflow.refusal(scope, problem, "add_evidence")
        if why:
            raise workflow.ActionRefused(why)
        try:
            kept = storage.store(name, chunks)
        except storage.EvidenceRefused as exc:
            raise workflow.ActionRefused(str(exc)) from None
        evidence = Evidence.objects.create(problem=problem, file_name=kept.file_name, sha256=kept.sha256,
                                           size=kept.size, by=scope.actor_name, user=scope.actor, at=at,
                                           note=(note or "").strip()[:2000])
        workflow.record(problem, scope, "add_evidence", problem.state, at, evidence.note,
                        {"file": kept.file_name, "sha256": kept.sha256, "size": kept.size})
    return evidence


# --- listings -----------------------------------------------------------------------------------


@dataclass
class ListOutcome:
    created: list[Listing] = field(default_factory=list)
    existing: list[Listing] = field(default_factory=list)


def list_regions(scope: Scope, rows: list[dict], *, year: int, listed_by: str, listed_on: date,
                 target_on: date | None) -> ListOutcome:
    """A.2: one listing per (year, region) not delisted; listing again reports the existing one.
    ``rows``: ``code``, ``reasons`` and ``note``."""
    outcome = ListOutcome()
    with transaction.atomic():
        active = {x.region_code: x for x in Listing.objects.within(scope).filter(year=year).exclude(
            status=ListingStatus.DELISTED)}
        count = Listing.objects.unscoped("listing numbers are unique across all regions").filter(year=year).count()
        for row in rows:
            code = divisions.pad12(row["code"])
            scope.require(code)
            if code in active:
                outcome.existing.append(active[code])
                continue
            count += 1
            listing = Listing(listing_id=f"L{year}-{count:05d}", region_code=code,
                              level=divisions.level_of(code), year=year, listed_by=listed_by,
                              reasons=row["reasons"], note=row.get("note") or "", listed_on=listed_on,
                              target_on=target_on or date(year, 12, 31))
            if scope.actor is not None:
                listing._history_user = scope.actor
            listing._change_reason = "挂牌督战"
            listing.save()
            active[code] = listing
            outcome.created.append(listing)
    return outcome


def next_status(status: str, cleared_on: date | None, fails: str, as_of: date) -> tuple[str, date | None]:
    """A.3: listed → cleared (cleared_on = as_of) when no condition fails; cleared → listed
    (cleared_on emptied) when one fails again; otherwise as it was."""
    if status == ListingStatus.LISTED and not fails:
        return ListingStatus.CLEARED, as_of
    if status == ListingStatus.CLEARED and fails:
        return ListingStatus.LISTED, None
    return status, cleared_on


def update_statuses(scope: Scope, frame: pl.DataFrame, *, as_of: date, store: bool = True) -> pl.DataFrame:
    """The statuses after A.3 for the listings of ``frame`` (``listing_id``, ``conditions_failed``),
    saved with history when ``store`` (the command, or a user's refresh), else only worked out (a
    page being looked at). Returns the frame with ``status`` and ``cleared_on``."""
    failed = dict(zip(frame["listing_id"].to_list(), frame["conditions_failed"].to_list(), strict=True))
    changed = []
    with transaction.atomic():
        found = Listing.objects.within(scope).filter(listing_id__in=list(failed))
        listings = list(found.select_for_update() if store else found)
        for x in listings:
            before = (x.status, x.cleared_on, x.conditions_failed)
            x.status, x.cleared_on = next_status(x.status, x.cleared_on, failed[x.listing_id], as_of)
            x.conditions_failed = failed[x.listing_id]
            if (x.status, x.cleared_on, x.conditions_failed) != before:
                changed.append(x)
        if changed and store:
            bulk_update_with_history(changed, Listing, ["status", "cleared_on", "conditions_failed"],
                                     default_user=scope.actor, default_change_reason="督战进度",
                                     manager=Listing.objects.within(scope))
    state = {x.listing_id: (x.status, x.cleared_on) for x in listings}
    return frame.with_columns(
        status=pl.col("listing_id").replace_strict({k: v[0] for k, v in state.items()}, default=None),
        cleared_on=pl.col("listing_id").replace_strict({k: v[1] for k, v in state.items()}, default=None,
                                                       return_dtype=pl.Date),
    )


class DelistRefused(Exception):
    """A listing that may not be delisted now (Chinese + English)."""


def delist(scope: Scope, listing: Listing, *, on: date) -> Listing:
    """cleared → delisted, only by a user (A.3), recording who and when."""
    if listing.status != ListingStatus.CLEARED:
        conditions = listing.conditions_failed or "—"
        raise DelistRefused(f"{divisions.scope_prefix(listing.region_code)} 尚未清零，不能摘牌：{conditions} (not cleared)")
    listing.status, listing.delisted_on, listing.delisted_by = ListingStatus.DELISTED, on, scope.actor_name
    listing._change_reason = "摘牌"
    if scope.actor is not None:
        listing._history_user = scope.actor
    listing.save()
    return listing

