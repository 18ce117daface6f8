"""Use cases of the assistance ledger over the database (spec/assistance.md; issue 12).

* :func:`import_assistance` — the assistance sheets of a file into the database: checked against
  the stored registry (A01, A02), the scope (S01: the household lies outside it; S02: the record's
  key is stored for a household or project outside it), one transaction under the import lock,
  idempotent upsert by natural key, a rejects workbook that re-imports once fixed.
* :func:`coverage_report`, :func:`check_report` — the file side's report builders
  (:mod:`fupin.application.assistance_files`) fed with the frames read from the database, so R1–R4,
  R9 and 3.11 are defined once.
* 一户一策: :func:`create_plans` (one planned action per unmet indicator and risk factor of the
  stored verdict, 小类 from the catalogue's ``[plan]``), :func:`close_plans_after_run` (called by
  the assessment once a run is stored), :func:`mark_action`, :func:`plans_due` (the village work
  list of actions due and overdue).
* :func:`record_measure` — one measure from a page or the API, through the import's checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from fupin.accounts.scoping import Capability, Scope
from fupin.application import assistance_files as reports
from fupin.application.files import FileRegistry, nothing_to_assess
from fupin.assessments.models import Verdict
from fupin.assistance import bulk as ledger_store
from fupin.assistance import selectors, services
from fupin.assistance.models import AssistanceBatch, Pairing, PlanAction
from fupin.assistance.services import MeasureOutcome, StepRefused
from fupin.engine import facts
from fupin.engine import rules as R
from fupin.engine.assistance import rules
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.catalogue import plan_mapping
from fupin.engine.policy import PolicySet
from fupin.io.assistance import (
    ASSIST_CODES,
    ISSUE_COLUMNS,
    AssistanceFile,
    RegistryRef,
    read_assistance,
    write_rejects,
)
from fupin.io.codes import CODES
from fupin.monitoring.models import Lead, Purpose, State
from fupin.registry import bulk
from fupin.registry.models import Household, Member
from fupin.registry.services.imports import hold_import_lock

__all__ = ["AssistanceImportOutcome", "MeasureOutcome", "StepRefused", "check_report", "close_plans_after_run",
           "coverage_report", "create_plans", "import_assistance", "mark_action", "plans_due", "record_measure"]

TABLE_LABELS = {"measure_catalogue": "帮扶措施目录", "income_projects": "收益项目", "measures": "帮扶措施",
                "dividends": "收益分配", "cadres": "帮扶责任人", "pairings": "结对帮扶", "visits": "走访记录",
                "posts": "岗位", "placements": "就业", "labour": "劳动力", "migration": "务工动态"}
NOT_STORED: tuple[str, ...] = ()  # every sheet read is stored (issue 13 added posts … migration)


# --- import ---------------------------------------------------------------------------------------

@dataclass
class AssistanceImportOutcome:
    batch_id: int
    counts: dict[str, ledger_store.TableCounts]
    rejects_path: str | None
    not_stored: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    def summary_zh(self) -> str:
        parts = [f"{TABLE_LABELS[t]}：新增 {c.new}，更新 {c.changed}，未变 {c.unchanged}，退回 {c.rejected}"
                 for t, c in self.counts.items()]
        line = "；".join(parts) or "文件中没有帮扶数据表"
        if self.not_stored:
            line += f"（{'、'.join(S.SHEET_NAMES[t][0] for t in self.not_stored)}已校验，暂不入库）"
        return line


def _scope_issues(scope: Scope, result: AssistanceFile, households: pl.DataFrame, table: str,
                  rows: pl.DataFrame) -> list[pl.DataFrame]:
    """S01 (the household — or a project's region — lies outside the scope) and S02 (the
    record's key is already stored outside the scope), in the reader's issue layout."""
    if not scope.prefix or rows.height == 0:
        return []
    prefix = scope.prefix
    out = []

    def issue(found: pl.DataFrame, code: str, column: str, value: str, zh: str, en: str) -> None:
        if found.height:
            out.append(found.select(
                table=pl.lit(table), sheet="_sheet", row=pl.col("_row").cast(pl.Int64), column=pl.lit(column),
                value=pl.col(value).cast(pl.String), code=pl.lit(code), severity=pl.lit(CODES[code][0]),
                message_zh=pl.lit(f"{CODES[code][1]}：{zh}"), message_en=pl.lit(f"{CODES[code][2]}: {en}"),
                household_id=(pl.col("household_id") if "household_id" in found.columns
                              else pl.lit(None, dtype=pl.String)),
                year=(pl.col("year").cast(pl.Int32) if "year" in found.columns else pl.lit(None, dtype=pl.Int32)),
            ).cast(ISSUE_COLUMNS))

    if "household_id" in rows.columns:
        located = rows.join(households, on="household_id", how="left")
        issue(located.filter(~pl.col("region_code").fill_null(prefix).str.starts_with(prefix)), "S01", "户编号",
              "household_id", f"该户不在您的管辖范围（{prefix}）内，不能由您导入其帮扶记录",
              f"the household lies outside your region ({prefix}); you cannot import its records")
    elif "region_code" in rows.columns:
        issue(rows.filter(pl.col("region_code").is_not_null() & ~pl.col("region_code").str.starts_with(prefix)),
              "S01", "区划代码", "region_code", f"区划代码不在您的管辖范围（{prefix}）内",
              f"the region code lies outside your region ({prefix})")
    keyed = rows.with_columns(_key=ledger_store.natural_key(table))
    stored = ledger_store.stored_keys(table, keyed["_key"])
    elsewhere = stored.filter(~pl.col("region_code").str.starts_with(prefix)).select(_key="key")
    issue(keyed.join(elsewhere, on="_key", how="semi"), "S02", "编号", "_key",
          "该记录已由其他地区登记，不能由您导入或修改；如确需调整，请联系县级管理员",
          "this record is registered by another region; ask the county administrator")
    del result
    return out


# A07 against the database: the stored pairings of the file's households are read this many
# households at a time (one query each, no IN list of a million).
_A07_CHUNK = 5000
_FAR = date(9999, 12, 31)


def _stored_overlaps(rows: pl.DataFrame) -> list[pl.DataFrame]:
    """A07 across imports (1.6): a loadable pairing row whose interval overlaps a *stored*
    pairing of the same cadre and household returns, as an overlap inside the file does (the
    row being imported is the later one). A stored row with the row's own key (责任人编号,
    户编号, 开始日期) is the same pairing re-imported or corrected, not an overlap. Intervals
    are [开始日期, 结束日期] with an empty end open, as the file check reads them."""
    rows = rows.filter(pl.col("cadre_id").is_not_null() & pl.col("household_id").is_not_null()
                       & pl.col("start").is_not_null())
    if rows.height == 0:
        return []
    households = rows["household_id"].unique().to_list()
    stored_rows = []
    for at in range(0, len(households), _A07_CHUNK):
        stored_rows += list(Pairing.objects.unscoped(
            "A07 compares with the stored pairings of the same cadre and household, wherever they lie")
            .filter(household_id__in=households[at:at + _A07_CHUNK])
            .values_list("cadre_id", "household_id", "start", "end"))
    stored = pl.DataFrame(stored_rows, schema={"cadre_id": pl.String, "household_id": pl.String,
                                               "s_start": pl.Date, "s_end": pl.Date}, orient="row")
    shown = pl.col("_cadre_shown") if "_cadre_shown" in rows.columns else pl.col("cadre_id")
    column = pl.col("_header_start") if "_header_start" in rows.columns else pl.lit("开始日期")
    clash = (rows.with_columns(_shown=shown, _column=column)
             .join(stored, on=["cadre_id", "household_id"], how="inner")
             .filter((pl.col("s_start") != pl.col("start"))
                     & (pl.col("start") <= pl.col("s_end").fill_null(_FAR))
                     & (pl.col("s_start") <= pl.col("end").fill_null(_FAR)))
             .sort("s_start").unique(["_sheet", "_row"], keep="first", maintain_order=True))
    if clash.height == 0:
        return []
    severity, _title_zh, title_en = ASSIST_CODES["A07"]
    return [clash.select(
        table=pl.lit("pairings"), sheet="_sheet", row=pl.col("_row").cast(pl.Int64), column="_column",
        value=pl.col("start").cast(pl.String), code=pl.lit("A07"), severity=pl.lit(severity),
        message_zh=pl.format("责任人 {} 与户 {} 的结对时间与已导入的结对（开始日期 {}，结束日期 {}）重叠；"
                             "同一结对请只保留一条，或改正开始/结束日期", "_shown", "household_id", "s_start",
                             pl.col("s_end").cast(pl.String).fill_null("未结束")),
        message_en=pl.format(f"{title_en}: pairing of cadre {{}} and household {{}} overlaps the stored pairing "
                             "starting {}", "_shown", "household_id", "s_start"),
        household_id="household_id", year=pl.lit(None, dtype=pl.Int32),
    ).cast(ISSUE_COLUMNS)]


def _prepared(scope: Scope, table: str, rows: pl.DataFrame, households: pl.DataFrame,
              members: pl.DataFrame | None = None) -> pl.DataFrame:
    """Canonical rows with their scope column and natural key."""
    if table in ("measures", "dividends", "pairings", "visits"):
        rows = rows.join(households, on="household_id", how="left")
    elif table in ("placements", "labour", "migration"):
        # A labour or migration row may name only the person: it lies where the person's household
        # does (the smallest 户编号 listing the ID), else with the importing scope.
        person = (members.group_by("id_number").agg(_hh=pl.col("household_id").min())
                  if members is not None else pl.DataFrame(schema={"id_number": pl.String, "_hh": pl.String}))
        rows = (rows.join(person, on="id_number", how="left")
                .join(households.rename({"household_id": "_hh"}), on="_hh", how="left")
                .rename({"region_code": "_person_region"})
                .join(households, on="household_id", how="left")
                .with_columns(region_code=pl.coalesce(pl.col("region_code"), pl.col("_person_region"),
                                                      pl.lit(scope.prefix)))
                .drop("_hh", "_person_region"))
    elif table == "posts":
        rows = rows.rename({"region_code": ledger_store.WORK_REGION}).with_columns(region_code=pl.lit(scope.prefix))
    elif table == "income_projects":
        rows = rows.with_columns(region_code=pl.coalesce(pl.col("region_code"), pl.lit(scope.prefix)))
    else:
        rows = rows.with_columns(region_code=pl.lit(scope.prefix))
    return rows.with_columns(key=ledger_store.natural_key(table))


def import_assistance(scope: Scope, path, rejects_path=None, *, today: date | None = None) -> AssistanceImportOutcome:
    """Read, check and store the assistance sheets of ``path`` (any container) in one transaction.

    Raises ExchangeFormatError for a file that cannot be read, PermissionDenied without the
    IMPORT capability, ImportBusy when another import holds the lock too long. Every row that
    does not load is in the rejects workbook (default: ``<file>.rejects.xlsx`` beside the cwd)."""
    scope.require_to(Capability.IMPORT)
    today = today or date.today()
    with transaction.atomic():
        # Checks against stored rows run under the registry's import lock: a registry import
        # running at the same time cannot change the households these rows are checked against.
        hold_import_lock()
        households, members = ledger_store.registry_keys()
        projects = ledger_store.read_table(Scope.system(), "income_projects")["project_id"].drop_nulls()
        cadres = ledger_store.read_table(Scope.system(), "cadres")["cadre_id"].drop_nulls()
        posts = ledger_store.read_table(Scope.system(), "posts")["post_id"].drop_nulls()
        ref = RegistryRef.of(households, members, projects=frozenset(projects.to_list()),
                             cadres=frozenset(cadres.to_list()), posts=frozenset(posts.to_list()))
        result = read_assistance(path, registry=ref, as_of=today, catalogue=ledger_store.catalogue_for(scope))
        added = []
        for table in ledger_store.LOAD_ORDER:
            if table in result.tables:
                rows = result.loadable(table)
                if table == "posts":  # a post may lie anywhere (省外): its 工作地区划 is not its scope
                    rows = rows.rename({"region_code": ledger_store.WORK_REGION})
                added += _scope_issues(scope, result, households, table, rows)
        if "pairings" in result.tables:
            added += _stored_overlaps(result.loadable("pairings"))
        if added:
            result.issues = pl.concat([result.issues, *added], how="vertical_relaxed")
        written_rejects = None
        if result.rejected_count() or any(result.unknown_columns.values()):
            written_rejects = str(rejects_path or Path(Path(path).name).with_suffix(".rejects.xlsx"))
            write_rejects(result, written_rejects)
        batch = AssistanceBatch.objects.create(source=str(path)[:500], region=scope.prefix, user=scope.actor)
        bad = result.issues.filter(pl.col("severity") == "error").select("table", "sheet", "row").unique()
        bad = bad.with_columns(pl.col("table").replace({"measures_wide": "measures"}))
        counts: dict[str, ledger_store.TableCounts] = {}
        for table in ledger_store.LOAD_ORDER:
            if table not in result.tables:
                continue
            rows = _prepared(scope, table, result.loadable(table), households, members)
            counts[table] = ledger_store.upsert(table, rows, batch_id=batch.pk, user_id=getattr(scope.actor, "pk", None))
            counts[table].rejected = bad.filter(pl.col("table") == table).select("sheet", "row").unique().height
        batch.counts = {t: vars(c) for t, c in counts.items()}
        batch.finished_at = timezone.now()
        batch.save(update_fields=["counts", "finished_at"])
    return AssistanceImportOutcome(batch.pk, counts, written_rejects, [t for t in NOT_STORED if t in result.tables])


# --- reports --------------------------------------------------------------------------------------

def identified_on(scope: Scope) -> pl.DataFrame:
    """R3's I from the system: per household the county approval date of its identification
    lead (the earliest when several)."""
    rows = (Lead.objects.within(scope).filter(purpose=Purpose.IDENTIFICATION, state=State.APPROVED)
            .exclude(household_id="").exclude(decided_at=None).values_list("household_id", "decided_at"))
    frame = pl.DataFrame([(h, d.date()) for h, d in rows], schema={"household_id": pl.String, "identified_on": pl.Date},
                         orient="row")
    return frame.group_by("household_id").agg(pl.col("identified_on").min())


def stored_inputs(scope: Scope, *, year: int, region: str | None = None) -> reports.AssistanceInput:
    """The registry of ``year`` and the ledger inside ``scope`` (narrowed to ``region``: 404
    outside it), as the report builders take them. NothingToAssess without households."""
    scope = scope.narrow(region)
    scope.require_to(Capability.READ)
    households = bulk.read_households(scope, year)
    if households.height == 0:
        raise nothing_to_assess(year, f"数据库（区划 {scope.prefix or '全国'}）")
    registry = FileRegistry(households, bulk.read_members(scope, year), bulk.read_regions(scope), None)
    return reports.AssistanceInput(registry, ledger_store.read_ledger(scope, year=year),
                                   pl.DataFrame(schema=ISSUE_COLUMNS), scope.prefix or None, None, identified_on(scope))


def stored_employment_inputs(scope: Scope, *, year: int, region: str | None = None) -> reports.AssistanceInput:
    """:func:`stored_inputs` plus the members of the year before (the 复工 rate's denominator)."""
    data = stored_inputs(scope, year=year, region=region)
    prior = bulk.read_members(scope.narrow(region), year - 1)
    if prior.height:
        data.registry = FileRegistry(data.registry.households,
                                     pl.concat([data.registry.members, prior], how="diagonal_relaxed"),
                                     data.registry.regions, None)
    return data


def coverage_report(scope: Scope, policy: PolicySet, *, year: int, region: str | None = None,
                    as_of: date | None = None) -> reports.CoverageReport:
    """3.11 over the database: the same builder as ``fupin assist coverage --input``."""
    return reports.coverage_report(policy, stored_inputs(scope, year=year, region=region), year=year, as_of=as_of)


def check_report(scope: Scope, policy: PolicySet, *, year: int, region: str | None = None,
                 as_of: date | None = None) -> pl.DataFrame:
    """B13, B14 over the database (stored rows passed the import's checks: no import findings)."""
    return reports.check_report(policy, stored_inputs(scope, year=year, region=region), year=year, as_of=as_of)


def coverage_by_region(scope: Scope, policy: PolicySet, *, year: int, region: str | None = None,
                       as_of: date | None = None) -> pl.DataFrame:
    """Rates by rule for ``region`` (default: the scope) and its children (the API)."""
    report = coverage_report(scope, policy, year=year, region=region, as_of=as_of)
    frame = report.coverage
    if frame.height == 0:
        return frame
    prefix = scope.narrow(region).prefix
    lengths = [n for _level, n in rules.LEVELS]
    own = next((n for n in lengths if n >= len(prefix)), 12)
    child = next((n for n in lengths if n > own), own)
    return frame.filter(pl.col("level").is_in([lvl for lvl, n in rules.LEVELS if n in (own, child)])
                        & pl.col("region_code").str.starts_with(prefix))


# --- 一户一策 ----------------------------------------------------------------------------------

@dataclass
class PlanOutcome:
    plans: int        # created or reopened
    actions: int      # added
    households: int   # candidates (verdict not yes, or currently monitored)


def create_plans(scope: Scope, policy: PolicySet, *, year: int, as_of: date | None = None) -> PlanOutcome:
    """One plan per household of ``year`` inside the scope whose stored verdict is not ``yes`` or
    that is currently monitored, with one planned action per unmet indicator and risk factor
    (the catalogue's ``[plan]`` 小类 and unit; target date as_of + developmental_measure_max_days).
    Idempotent: a plan is created once, an action once per (plan, indicator or risk)."""
    scope.require_to(Capability.ASSESS)
    as_of = as_of or date.today()
    verdicts = pl.DataFrame(list(Verdict.objects.within(scope).filter(year=year, current=True).values_list(
        "household_id", "region_code", "meets_standard", "unmet", "risk_factors", "monitoring_category", "run_id")),
        schema={"household_id": pl.String, "region_code": pl.String, "meets_standard": pl.String, "unmet": pl.String,
                "risk_factors": pl.String, "monitoring_category": pl.String, "run_id": pl.Int64}, orient="row")
    households = bulk.read_households(scope, year).select(
        "household_id", "region_code", monitored=facts.currently_monitored())
    joined = households.join(verdicts.drop("region_code"), on="household_id", how="left")
    candidates = joined.filter(pl.col("monitored") | (pl.col("meets_standard").fill_null("yes") != "yes"))
    if candidates.height == 0:
        return PlanOutcome(0, 0, 0)
    days = rules.parameters(policy, year, candidates["region_code"].unique()).select(
        "policy_key", "developmental_measure_max_days")
    candidates = candidates.with_columns(policy.policy_key_expr(pl.col("region_code"))).join(
        days, on="policy_key", how="left")
    mapping = plan_mapping().actions
    reasons = pl.concat([
        candidates.select("household_id", "developmental_measure_max_days", kind=pl.lit(kind),
                          reason=pl.col(column).fill_null("").str.split(";")).explode("reason")
        for kind, column in (("indicator", "unmet"), ("risk", "risk_factors"))
    ]).filter(pl.col("reason") != "")
    actions = reasons.join(mapping, on=["kind", "reason"], how="inner").with_columns(
        target_on=pl.lit(as_of) + pl.duration(days=pl.col("developmental_measure_max_days").fill_null(30)))
    created, added = services.open_plans(scope, candidates, actions, year=year, as_of=as_of)
    return PlanOutcome(created, added, candidates.height)


def close_plans_after_run(scope: Scope, run) -> int:
    """Close the open plans of the run's year whose household's newest verdict (this run's)
    meets the standard and that are no longer monitored; called once a run is stored."""
    met = list(Verdict.objects.within(scope).filter(run=run, meets_standard="yes").values_list("household_id", flat=True))
    if not met:
        return 0
    monitored = set(bulk.read_households(scope, run.year).filter(facts.currently_monitored())["household_id"])
    return services.close_plans(scope, [h for h in met if h not in monitored], year=run.year, run_id=run.pk,
                                on=run.as_of or date.today())


def mark_action(scope: Scope, action_id: int, state: str, done_on: date | None = None) -> PlanAction:
    """One plan step (EDIT; 404 outside the scope; StepRefused for a step back)."""
    scope.require_to(Capability.EDIT)
    return services.mark_action(scope, action_id, state, done_on)


DUE_COLUMNS = {"household_id": pl.String, "region_code": pl.String, "hamlet": pl.String, "head_name": pl.String,
               "kind": pl.String, "reason": pl.String, "reason_label": pl.String, "family": pl.String,
               "subtype": pl.String, "responsible_unit": pl.String, "person": pl.String, "target_on": pl.Date,
               "state": pl.String, "overdue": pl.Boolean, "days": pl.Int32, "action_id": pl.Int64}


@dataclass
class DueList:
    as_of: date
    within_days: int
    rows: pl.DataFrame   # DUE_COLUMNS; days = target_on − as_of (negative: overdue)


def plans_due(scope: Scope, region: str | None = None, as_of: date | None = None) -> DueList:
    """The village work list: open actions due within ``due_soon_days`` (catalogue ``[plan]``)
    of ``as_of`` or overdue, sorted by village, date, household."""
    scope = scope.narrow(region)
    scope.require_to(Capability.READ)
    as_of = as_of or date.today()
    within = plan_mapping().due_soon_days
    actions = list(selectors.due_actions(scope, as_of=as_of, within_days=within))
    rows = pl.DataFrame([
        (a.plan.household_id, a.plan.region_code, a.kind, a.reason, a.family, a.subtype, a.responsible_unit,
         a.person, a.target_on, a.state, a.pk, a.plan.year) for a in actions],
        schema={"household_id": pl.String, "region_code": pl.String, "kind": pl.String, "reason": pl.String,
                "family": pl.String, "subtype": pl.String, "responsible_unit": pl.String, "person": pl.String,
                "target_on": pl.Date, "state": pl.String, "action_id": pl.Int64, "year": pl.Int32}, orient="row")
    wanted = rows["household_id"].unique().to_list()
    hamlets = pl.DataFrame(list(Household.objects.within(scope).filter(household_id__in=wanted).values_list(
        "household_id", "year", "hamlet")), schema={"household_id": pl.String, "year": pl.Int32, "hamlet": pl.String},
        orient="row")
    heads = pl.DataFrame(list(Member.objects.within(scope).filter(household_key__in=wanted, relationship="户主")
                              .values_list("household_key", "year", "name")),
                         schema={"household_id": pl.String, "year": pl.Int32, "head_name": pl.String}, orient="row")
    heads = heads.unique(["household_id", "year"], keep="first")
    rows = rows.join(hamlets, on=["household_id", "year"], how="left").join(
        heads, on=["household_id", "year"], how="left").with_columns(
        reason_label=pl.struct("kind", "reason").map_elements(lambda s: R.label(s["kind"], s["reason"]),
                                                              return_dtype=pl.String),
        days=(pl.col("target_on") - pl.lit(as_of)).dt.total_days().cast(pl.Int32),
    ).with_columns(overdue=pl.col("days") < 0)
    return DueList(as_of, within, rows.select(list(DUE_COLUMNS)).cast(DUE_COLUMNS))


# --- one measure ----------------------------------------------------------------------------------

def household_region(scope: Scope, household_id: str) -> str:
    """The village of the household's newest snapshot inside the scope; 404 outside it."""
    snapshot = Household.objects.within(scope).filter(household_id=household_id).order_by("-year").first()
    if snapshot is None:
        raise Http404("household not in your region")
    return snapshot.region_code


def record_measure(scope: Scope, household_id: str, data: dict[str, str], *, today: date | None = None) -> MeasureOutcome:
    """Record one measure of a household (404 for a household outside the scope, then EDIT)."""
    region = household_region(scope, household_id)
    scope.require_to(Capability.EDIT)
    return services.record_measure(scope, household_id, region, data, today=today)


def household_coverage(scope: Scope, policy: PolicySet, household_id: str, year: int,
                       as_of: date | None = None) -> dict[str, str]:
    """The household's status per rule (R1 per member as ``outlet:<name>``) for its page."""
    snapshot = Household.objects.within(scope).filter(household_id=household_id, year=year).first()
    if snapshot is None:
        return {}
    data = stored_inputs(scope, year=year, region=snapshot.region_code)
    outcome = reports.evaluate(policy, data, year=year, as_of=as_of)
    out = {}
    for rule in ("income", "developmental", "safety_net"):
        frame = getattr(outcome, rule).filter(pl.col("household_id") == household_id)
        if frame.height:
            out[rule] = frame["status"][0]
    for name, status in outcome.outlet.filter(pl.col("household_id") == household_id).select("name", "status").iter_rows():
        out[f"outlet:{name}"] = status
    return out
