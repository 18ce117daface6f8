"""Use cases of listed supervision (挂牌督战) and the rectification ledger (问题整改台账) over the
database: supervision-analytics.md A.2–A.4 and B.

Each function takes the actor's :class:`~fupin.accounts.scoping.Scope` (and the policy where a rule
needs it); the set-based rules are :mod:`fupin.engine.supervision`'s, the single actions
:mod:`fupin.supervision.ledger_workflow`'s, the bulk writes :mod:`fupin.supervision.services`'.
Selection (A.1) is :mod:`fupin.application.supervision_files`, shared with the file mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import transaction

from fupin import divisions
from fupin.accounts.scoping import Capability, Scope
from fupin.application.assessment import stored_registry
from fupin.application.files import NothingToAssess
from fupin.application.supervision_files import (
    SelectionError,
    check_ranking,
    select_regions,
)
from fupin.assessments.selectors import current_findings
from fupin.assessments.services import current_verdicts_frame
from fupin.engine import facts
from fupin.engine import supervision as engine
from fupin.engine.policy import PolicySet
from fupin.engine.regions import region_summary
from fupin.io import ledger as ledger_io
from fupin.io.errors import ExchangeFormatError
from fupin.monitoring import clock
from fupin.monitoring.models import OPEN_STATES as LEAD_OPEN_STATES
from fupin.monitoring.models import Lead
from fupin.monitoring.models import State as LeadState
from fupin.registry import bulk
from fupin.supervision import ledger_workflow as workflow
from fupin.supervision import selectors, services, storage
from fupin.supervision.models import Listing, ListingStatus, Problem

__all__ = ["ActionRefused", "LedgerError", "SelectionError", "check_ranking", "select_db"]

ActionRefused = workflow.ActionRefused
DelistRefused = services.DelistRefused
LISTING_LEVELS = ("village", "town", "county")
QUALITY_CODES = ("Q24", "Q25")
QUALITY_CATEGORY = {"Q24": "targeting", "Q25": "monitoring"}


class LedgerError(ValueError):
    """A ledger or listing request that cannot be done (Chinese + English)."""


def _today(as_of: date | None) -> date:
    return as_of or clock.today()


def _county_or_wider(scope: Scope, what: str) -> None:
    scope.require_edit()
    if len(scope.prefix) > 6:
        raise PermissionDenied(f"{what}须由县级或以上进行 (a county or higher does this)")


# --- A.1 in database mode ------------------------------------------------------------------------

def select_db(scope: Scope, policy: PolicySet, *, year: int, level: str, top: int | None = None,
              rank_by: str | None = None, as_of: date | None = None) -> pl.DataFrame:
    """A.1 over the stored registry of the scope (assessed now, not stored)."""
    scope.require_to(Capability.READ)
    check_ranking(top, rank_by)
    registry = stored_registry(scope, year)
    return select_regions(policy, registry, year=year, level=level, region=scope.prefix or None, top=top,
                          rank_by=rank_by, as_of=as_of)


# --- A.2 listing ---------------------------------------------------------------------------------

@dataclass
class ListOutcome:
    created: list[Listing]
    existing: list[Listing]


def list_regions(scope: Scope, *, year: int, rows: list[dict], listed_by: str = "county",
                 target_on: date | None = None, listed_on: date | None = None) -> ListOutcome:
    """List regions (rows of ``code``, ``reasons``, ``note``): a ``select`` output, or one manual
    listing (reasons ``manual``, a note required)."""
    _county_or_wider(scope, "挂牌督战")
    clean = []
    for row in rows:
        code = str(row.get("code") or "").strip()
        if not code.isdigit() or len(code) > 12:
            raise LedgerError(f"区划代码不正确：{code} (region must be 2–12 digits)")
        code12 = divisions.pad12(code)
        if divisions.level_of(code12) not in LISTING_LEVELS:
            raise LedgerError(f"只能挂牌村、乡镇或县：{code} (list a village, town or county)")
        reasons = str(row.get("reasons") or "").strip()
        note = str(row.get("note") or "").strip()
        if not reasons or reasons == "manual":
            if not note:
                raise LedgerError("人工挂牌须填写说明 (a manual listing needs --note)")
            reasons = "manual"
        clean.append({"code": code12, "reasons": reasons, "note": note[:2000]})
    outcome = services.list_regions(scope, clean, year=year, listed_by=listed_by, listed_on=_today(listed_on),
                                    target_on=target_on)
    return ListOutcome(outcome.created, outcome.existing)


# --- A.3 progress --------------------------------------------------------------------------------

PROGRESS_COLUMNS = (
    "listing_id", "code", "name", "level", "listed_by", "reasons", "listed_on", "target_on", "status", "as_of",
    "remaining_poor_people", "projected_poor_people", "guarantee_gap_households", "unverified_households",
    "open_problems", "overdue_problems", "conditions_failed", "cleared_on", "days_to_target",
)


def _listings_frame(listings: list[Listing]) -> pl.DataFrame:
    return pl.DataFrame(
        [(x.listing_id, x.region_code, x.level, x.listed_by, x.reasons, x.listed_on, x.target_on) for x in listings],
        schema={"listing_id": pl.String, "code": pl.String, "level": pl.String, "listed_by": pl.String,
                "reasons": pl.String, "listed_on": pl.Date, "target_on": pl.Date}, orient="row")


def _subtree_counts(listed: pl.DataFrame, items: pl.DataFrame, counts: dict[str, pl.Expr]) -> pl.DataFrame:
    """``counts`` over the ``items`` (with ``region_code``) under each listed code."""
    parts = []
    for level in listed["level"].unique().to_list():
        digits = divisions.PREFIX_LENGTH[level]
        codes = listed.filter(pl.col("level") == level).select("code")
        grouped = items.with_columns(code=engine.truncate_expr(pl.col("region_code"), digits)).join(
            codes, on="code", how="semi").group_by("code").agg(**counts)
        parts.append(grouped)
    schema = {"code": pl.String, **{k: pl.Int64 for k in counts}}
    return pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)


def progress(scope: Scope, policy: PolicySet, *, year: int, as_of: date | None = None,
             listing_ids: list[str] | None = None, store: bool = True) -> pl.DataFrame:
    """A.3 at ``as_of`` for the scope's listings of ``year`` (not delisted): the counts from the
    current verdicts and the ledger, the failed conditions, the statuses updated (``store``; a page
    only looking at them works them out without saving, and needs no more than reading)."""
    if store:
        scope.require_edit()
    else:
        scope.require_to(Capability.READ)
    when = _today(as_of)
    listings = list(selectors.listings(scope, year=year))
    if listing_ids is not None:
        listings = [x for x in listings if x.listing_id in listing_ids]
    listed = _listings_frame(listings)
    if listed.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in PROGRESS_COLUMNS})
    households = bulk.read_households(scope, year)
    members = bulk.read_members(scope, year)
    regions = bulk.read_regions(scope)
    verdicts = current_verdicts_frame(scope, year)
    figures = []
    for level in listed["level"].unique().to_list():
        summary = region_summary(verdicts, households, members, regions, year=year, level=level,
                                 region=scope.prefix or None, policy=policy)
        figures.append(summary.select("code", "name", "remaining_poor_people", "projected_poor_people"))
    figures = pl.concat(figures) if figures else None
    flagged = households.select("household_id", "region_code", "registered", "poverty_status").join(
        verdicts.drop("region_code"), on="household_id", how="left").with_columns(
        _registered=facts.registered(), _gap=engine.guarantee_gap(), _unverified=engine.unverified())
    per_household = _subtree_counts(listed, flagged, {
        "guarantee_gap_households": (pl.col("_registered") & pl.col("_gap")).sum(),
        "unverified_households": (pl.col("_registered") & pl.col("_unverified")).sum(),
    })
    problems = _with_clocks(selectors.problems_frame(scope), policy, when)
    per_problem = _subtree_counts(listed, problems, {
        "open_problems": pl.col("open").sum(), "overdue_problems": pl.col("overdue").sum()})
    exits = regions.select(pl.col("region_code").str.pad_end(12, "0").alias("code"), "county_exit_year")
    frame = (listed.join(figures, on="code", how="left").join(per_household, on="code", how="left")
             .join(per_problem, on="code", how="left").join(exits, on="code", how="left")
             .with_columns([pl.col(c).fill_null(0) for c in ("remaining_poor_people", "projected_poor_people",
                                                               "guarantee_gap_households", "unverified_households",
                                                               "open_problems", "overdue_problems")]))
    names = _names(scope, frame["code"].to_list())
    frame = engine.clearance(frame, year=year).with_columns(
        name=pl.coalesce(pl.col("name"), pl.col("code").replace_strict(names, default=None, return_dtype=pl.String)),
        as_of=pl.lit(when, dtype=pl.Date),
        days_to_target=(pl.col("target_on") - pl.lit(when, dtype=pl.Date)).dt.total_days(),
    )
    frame = services.update_statuses(scope, frame, as_of=when, store=store)
    return frame.select(PROGRESS_COLUMNS).sort("code")


def delist(scope: Scope, policy: PolicySet, code: str, *, year: int, on: date | None = None) -> Listing:
    """cleared → delisted by a user; the conditions are evaluated first (A.3), so a listing that no
    longer clears is refused with what fails: "{code} 尚未清零，不能摘牌：{conditions}"."""
    _county_or_wider(scope, "摘牌")
    code = (code or "").strip()
    if not code.isdigit() or len(code) > 12:
        raise LedgerError(f"区划代码不正确：{code} (region must be 2–12 digits)")
    listing = selectors.active_listing(scope, year, divisions.pad12(code))
    if listing is None:
        raise LedgerError(f"{code} 在 {year} 年没有挂牌督战 (not listed in {year})")
    progress(scope, policy, year=year, as_of=on, listing_ids=[listing.listing_id])
    listing.refresh_from_db()
    if listing.status != ListingStatus.CLEARED:
        raise DelistRefused(f"{code} 尚未清零，不能摘牌：{listing.conditions_failed} (not cleared)")
    return services.delist(scope, listing, on=_today(on))


# --- B: the ledger -------------------------------------------------------------------------------

def _with_clocks(problems: pl.DataFrame, policy: PolicySet, as_of: date) -> pl.DataFrame:
    stepped = engine.with_policy(problems, policy, ("problem_escalation_step_days",))
    return engine.problem_clocks(stepped, as_of)


def _names(scope: Scope, codes: list[str]) -> dict[str, str | None]:
    regions = bulk.read_regions(scope)
    given = dict(zip(regions["region_code"].str.pad_end(12, "0").to_list(), regions["name"].to_list(), strict=True))
    table = divisions.names()
    return {c: given.get(c) or table.get(c) for c in codes}


@dataclass
class ImportOutcome:
    created: int
    updated: int
    rejected: int
    rejects_path: Path | None


def import_ledger(scope: Scope, policy: PolicySet, path, *, rejects_path=None, now: datetime | None = None
                  ) -> ImportOutcome:
    """B.5 ``fupin ledger import``: upsert by problem_id; bad rows (B.5's words, plus rows outside
    the scope and numbers given twice) come back in the rejects workbook. Raises ExchangeFormatError
    for a file that cannot be read at all."""
    scope.require_to(Capability.IMPORT)
    at = now or clock.now()
    read = ledger_io.read_ledger(path)
    rows = read.rows
    extra = []
    outside = rows.filter(~pl.col("region_code").str.starts_with(scope.prefix)) if scope.prefix else rows.clear()
    extra.append(outside.select("_sheet", "_row", column=pl.lit("责任区划"), value="region_code",
                                message_zh=pl.format("责任区划 {} 不在您的管辖范围内", "region_code"),
                                message_en=pl.format("region {} is outside your scope", "region_code")))
    twice = rows.filter(pl.col("problem_id").is_not_null() & pl.col("problem_id").is_duplicated())
    extra.append(twice.select("_sheet", "_row", column=pl.lit("问题编号"), value="problem_id",
                              message_zh=pl.format("问题编号重复：{}", "problem_id"),
                              message_en=pl.format("problem number given twice: {}", "problem_id")))
    given = [i for i in rows["problem_id"].drop_nulls().unique().to_list()]
    known = {}
    for chunk in services._chunks(given):
        known.update(dict(Problem.objects.unscoped("problem numbers are unique across all regions")
                          .filter(problem_id__in=chunk).values_list("problem_id", "region_code")))
    foreign = [i for i, region in known.items() if not scope.contains(region)]
    extra.append(rows.filter(pl.col("problem_id").is_in(foreign)).select(
        "_sheet", "_row", column=pl.lit("问题编号"), value="problem_id",
        message_zh=pl.format("问题编号 {} 属于管辖范围外的问题", "problem_id"),
        message_en=pl.format("problem {} belongs to another region", "problem_id")))
    errors = pl.concat([read.errors.select("_sheet", "_row", "column", "value", "message_zh", "message_en"),
                        *[e.cast({"value": pl.String}) for e in extra]])
    good = rows.join(errors.select("_sheet", "_row").unique(), on=["_sheet", "_row"], how="anti")
    existing = good.filter(pl.col("problem_id").is_in(list(known)))
    new = good.filter(~pl.col("problem_id").is_in(list(known)) | pl.col("problem_id").is_null())
    missing = new.filter(pl.col("problem_id").is_null())
    if missing.height:
        numbered = []
        for year in sorted(missing["year"].unique().to_list()):
            part = missing.filter(pl.col("year") == year)
            numbered.append(part.with_columns(problem_id=pl.Series(services.next_ids(year, part.height))))
        new = pl.concat([new.filter(pl.col("problem_id").is_not_null()), *numbered])
    note = f"导入问题清单：{Path(path).name}"
    with transaction.atomic():
        created = len(services.create_problems(scope, policy, new, at=at, note=note)) if new.height else 0
        updated = services.update_problems(scope, existing, at=at, note=note) if existing.height else 0
    rejected = errors.select("_sheet", "_row").unique().height
    target = None
    if rejected:
        target = Path(rejects_path) if rejects_path else Path.cwd() / f"{Path(path).stem}.rejects.xlsx"
        ledger_io.write_rejects(read.raw, errors, target)
    return ImportOutcome(created, updated, rejected, target)


def sync_ledger(scope: Scope, policy: PolicySet, *, year: int, as_of: date | None = None,
                now: datetime | None = None) -> services.SyncCounts:
    """B.4: problems from the current data-quality findings (errors, Q24, Q25) and the overdue
    monitoring leads of the scope; closed when no longer found, reopened when found again."""
    scope.require_to(Capability.ASSESS)
    when, at = _today(as_of), now or clock.now()
    verdicts = current_verdicts_frame(scope, year)
    if verdicts.height == 0:
        raise NothingToAssess(f"区划 {scope.prefix or '全国'} {year} 年度还没有评估结果，请先运行 fupin assess --db "
                              f"(no stored assessment of {year} there; assess the year first)")
    findings = pl.DataFrame(
        list(current_findings(scope, year).filter(severity="error").values_list(
            "household_id", "region_code", "code", "message_zh"))
        + list(current_findings(scope, year).filter(code__in=QUALITY_CODES).exclude(severity="error").values_list(
            "household_id", "region_code", "code", "message_zh")),
        schema={"household_id": pl.String, "region_code": pl.String, "finding_code": pl.String,
                "description": pl.String}, orient="row")
    quality = findings.with_columns(
        natural_key=pl.format("quality:{}:{}:{}", pl.lit(year), "household_id", "finding_code"),
    ).sort("natural_key", "description").unique("natural_key", keep="first").with_columns(
        source=pl.lit("data_quality"), category=pl.col("finding_code").replace_strict(
            QUALITY_CATEGORY, default="data", return_dtype=pl.String),
        immediate=pl.lit(False), lead_id=pl.lit(None, dtype=pl.Int64))
    leads = list(Lead.objects.within(scope).filter(state__in=LEAD_OPEN_STATES).values_list(
        "id", "state", "region_code", "household_id", "verify_due", "decide_due"))
    lead_rows = []
    for pk, state, region, household, verify_due, decide_due in leads:
        if state == LeadState.NEW and verify_due < when:
            lead_rows.append((f"lead:{pk}:verify", pk, region, household,
                              f"监测线索 {pk} 入户核实超期（期限 {verify_due:%Y-%m-%d}）"))
        if decide_due < when:
            lead_rows.append((f"lead:{pk}:decide", pk, region, household,
                              f"监测线索 {pk} 认定超期（期限 {decide_due:%Y-%m-%d}）"))
    overdue = pl.DataFrame(lead_rows, schema={"natural_key": pl.String, "lead_id": pl.Int64, "region_code": pl.String,
                                              "household_id": pl.String, "description": pl.String}, orient="row"
                           ).with_columns(source=pl.lit("monitoring_overdue"), category=pl.lit("monitoring"),
                                          immediate=pl.lit(True), finding_code=pl.lit(None, dtype=pl.String))
    columns = ["natural_key", "source", "category", "region_code", "description", "household_id", "finding_code",
               "lead_id", "immediate"]
    found = pl.concat([quality.select(columns), overdue.select(columns)]).with_columns(
        year=pl.lit(year, dtype=pl.Int32), received_on=pl.lit(when, dtype=pl.Date),
        deadline=pl.lit(None, dtype=pl.Date), **{c: pl.lit(None, dtype=pl.String) for c in (
            "source_ref", "lead_unit", "responsible_unit", "responsible_person")})
    resolved = _resolved_leads(scope)
    return services.sync_problems(scope, policy, found, year=year, resolved_leads=resolved, as_of=when, at=at)


def _resolved_leads(scope: Scope) -> set[str]:
    """Keys of open lead problems whose lead has left ``new`` (verify) or its open states (decide)."""
    keys = list(Problem.objects.within(scope).filter(natural_key__startswith="lead:").exclude(
        state__in=("closed", "void")).values_list("natural_key", flat=True))
    ids = {int(k.split(":")[1]) for k in keys}
    states = dict(Lead.objects.within(scope).filter(pk__in=ids).values_list("pk", "state")) if ids else {}
    resolved = set()
    for key in keys:
        _, pk, which = key.split(":")
        state = states.get(int(pk))
        if state is None or (which == "verify" and state != LeadState.NEW) or (
                which == "decide" and state not in LEAD_OPEN_STATES):
            resolved.add(key)
    return resolved


def ledger_report(scope: Scope, policy: PolicySet, *, year: int, level: str, as_of: date | None = None) -> pl.DataFrame:
    """B.5 清零 progress of the scope's problems of ``year`` at ``level``."""
    scope.require_to(Capability.READ)
    when = _today(as_of)
    problems = _with_clocks(selectors.problems_frame(scope, year=year), policy, when)
    codes = problems.select(pl.col("region_code").str.pad_end(12, "0")).to_series().to_list()
    names = _names(scope, sorted({divisions.pad12(c[:n]) for c in codes for n in (2, 4, 6, 9, 12)}))
    return engine.ledger_report(problems, level=level, as_of=when, names=names)


OVERDUE_COLUMNS = ("problem_id", "region_code", "source", "category", "state", "deadline", "days_overdue",
                   "escalation", "escalated_to", "responsible_unit")


def overdue(scope: Scope, policy: PolicySet, *, as_of: date | None = None) -> pl.DataFrame:
    """B.5 ``fupin ledger overdue``: open problems past their deadline, longest overdue first."""
    scope.require_to(Capability.READ)
    problems = _with_clocks(selectors.problems_frame(scope), policy, _today(as_of))
    return (problems.filter(pl.col("overdue")).sort(["days_overdue", "problem_id"], descending=[True, False])
            .select(OVERDUE_COLUMNS))


def problem_clock(policy: PolicySet, problem: Problem, as_of: date | None = None) -> dict:
    """B.3 of one problem (the same expressions as the report, on one row)."""
    row = pl.DataFrame([{c: getattr(problem, c) for c in selectors.PROBLEM_FRAME}],
                       schema=selectors.PROBLEM_FRAME)
    return _with_clocks(row, policy, _today(as_of)).select(
        "overdue", "days_overdue", "unclaimed_overdue", "closed_late", "escalation", "escalated_to").row(0, named=True)


def create_problem(scope: Scope, policy: PolicySet, *, now: datetime | None = None, **fields) -> Problem:
    """One problem entered by a user inside the scope (B.1's rules, the file's words)."""
    scope.require_edit()
    try:
        frame = ledger_io.parse(pl.DataFrame({ledger_io.FIELDS[k]: [None if v is None else str(v)]
                                              for k, v in fields.items() if k in ledger_io.FIELDS}).with_columns(
            _sheet=pl.lit("api"), _row=pl.lit(1, dtype=pl.Int64)))
    except ExchangeFormatError as exc:  # required fields missing altogether
        raise LedgerError(str(exc)) from None
    if frame.errors.height:
        raise LedgerError("；".join(frame.errors["message_zh"].to_list()))
    row = frame.rows
    if not scope.contains(row["region_code"][0]):
        raise PermissionDenied("责任区划不在您的管辖范围内 (outside your scope)")
    if row["problem_id"][0] is None:
        row = row.with_columns(problem_id=pl.lit(services.next_ids(int(row["year"][0]), 1)[0]))
    elif Problem.objects.unscoped("problem numbers are unique").filter(problem_id=row["problem_id"][0]).exists():
        raise LedgerError(f"问题编号已存在：{row['problem_id'][0]} (problem number exists)")
    return services.create_problems(scope, policy, row, at=now or clock.now(), note="新建问题")[0]


def take_action(scope: Scope, problem_pk: int, action: str, *, now: datetime | None = None, **params) -> Problem:
    """One action of B.2 (ActionRefused with the reason; 404 outside the scope)."""
    if action not in workflow.USER_ACTIONS or action == "add_evidence":
        raise ActionRefused(f"未知的操作 {action} (unknown action)")
    return workflow.apply_action(scope, problem_pk, action, now=now, **params)


def add_evidence(scope: Scope, problem_pk: int, name: str, chunks, *, note: str = "", now: datetime | None = None):
    return services.add_evidence(scope, problem_pk, name, chunks, note=note, now=now)


def evidence_file(scope: Scope, pk: int):
    """(evidence, path) of a file inside the scope (404 outside it)."""
    scope.require_to(Capability.READ)
    item = selectors.evidence(scope, pk)
    return item, storage.path_of(item.sha256)
