"""Leads in: the farmer's declaration, a cadre's visit, a department's list, the yearly rules.

Single leads (declaration, cadre) go through the ORM. Batches (department matching, engine
runs) are written set-based: the new leads as one bulk insert of a frame (COPY on PostgreSQL),
their first steps as one INSERT … SELECT. Natural keys make both idempotent: a key already in
the database is left as it is.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from django.db import connection, transaction
from django.http import Http404

from fupin.accounts import scoping
from fupin.engine import idnumber, matching, rules
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import OPEN_STATES, Channel, Lead, LeadStep, MatchBatch, Purpose, State

log = logging.getLogger(__name__)

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class IntakeError(ValueError):
    """Bad input for a new lead; the message is Chinese + English."""


def new_receipt() -> str:
    """``SB`` + 12 random characters (60 bits): not guessable, easy to read out on the phone."""
    body = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"SB{body[:4]}-{body[4:8]}-{body[8:]}"


def _village(code: str):
    from fupin.registry.models import Region

    region = Region.objects.filter(code=code, level="village").first()
    if region is None:
        raise IntakeError(f"村 {code} 不存在，请从列表中选择 (unknown village {code}; pick it from the list)")
    return region


def _household_of(id_number: str, region_prefix: str | None = None) -> tuple[str, int] | None:
    from fupin.registry.models import Member

    qs = Member.objects.filter(id_number=id_number)
    if region_prefix:
        qs = qs.filter(household__region_code__startswith=region_prefix)
    return qs.order_by("-year").values_list("household_key", "year").first()


def _create_single(*, channel: str, at: datetime, region_code: str, user=None, **values) -> Lead:
    verify_due, decide_due = deadlines.due_dates(clock.today(at), region_code)
    lead = Lead.objects.create(channel=channel, received_at=at, region_code=region_code, verify_due=verify_due,
                               decide_due=decide_due, created_by=user if getattr(user, "pk", None) else None,
                               **values)
    LeadStep.objects.create(lead=lead, at=at, user=lead.created_by, actor=getattr(user, "username", "") or "",
                            action="created", from_state="", to_state=lead.state,
                            note=Channel(channel).label)
    return lead


def declare(*, name: str, phone: str, id_number: str, village_code: str, hardship_type: str, text: str,
            consent: bool, now: datetime | None = None) -> tuple[Lead, bool]:
    """A farmer's self-declaration → (lead, created). The form has validated the fields.

    The same ID number with a self-declared lead still open gets that lead back (same receipt).
    """
    at = now or clock.now()
    if not consent:
        raise IntakeError("须同意授权核查家庭经济状况 (the authorisation must be agreed)")
    if not idnumber.is_valid(id_number):
        raise IntakeError("证件号码不正确 (invalid ID number)")
    _village(village_code)
    with transaction.atomic():
        open_lead = (Lead.objects.select_for_update()
                     .filter(channel=Channel.SELF_DECLARATION, id_number=id_number, state__in=list(OPEN_STATES))
                     .order_by("pk").first())
        if open_lead is not None:
            return open_lead, False
        link = _household_of(id_number)
        lead = _create_single(
            channel=Channel.SELF_DECLARATION, at=at, region_code=village_code, receipt=new_receipt(),
            name=name, id_number=id_number, phone=phone, hardship_type=hardship_type, hardship_text=text,
            consent_at=at, household_id=link[0] if link else "", year=link[1] if link else None,
            evidence={"declared": True, "registry_match": bool(link)},
        )
    log.info("self-declaration lead %s created for village %s", lead.pk, village_code)
    return lead, True


def record_cadre_lead(user, *, village_code: str, name: str, id_number: str, phone: str = "",
                      hardship_type: str, text: str, now: datetime | None = None) -> Lead:
    """A lead a cadre records after a visit, in a village of their region."""
    if not scoping.can_edit(user):
        raise IntakeError("您的角色不能登记线索 (your role may not record leads)")
    scoping.require_region(user, village_code)
    _village(village_code)
    if not idnumber.is_valid(id_number):
        raise IntakeError("证件号码不正确，请核对 (invalid ID number)")
    at = now or clock.now()
    link = _household_of(id_number, scoping.scope_of(user))
    return _create_single(
        channel=Channel.CADRE, at=at, region_code=village_code, user=user, name=name, id_number=id_number,
        phone=phone, hardship_type=hardship_type, hardship_text=text,
        household_id=link[0] if link else "", year=link[1] if link else None,
        evidence={"visit": True, "registry_match": bool(link)},
    )


# --- batches ---------------------------------------------------------------------------------

def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(Lead.objects.filter(natural_key__in=keys[start:start + 500]).values_list("natural_key", flat=True))
    return found


def _deadline_columns(frame: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """verify_due and decide_due per lead from the policy of its province (column expressions)."""
    received = clock.today(at)
    params = ("verification_max_working_days", "identification_max_days")
    policy = deadlines.policies()
    table = policy.frame(received.year, frame["region_code"].unique().to_list(), needed=params, parameters=params)
    out = frame.with_columns(policy.policy_key_expr(pl.col("region_code"))).join(
        table.select("policy_key", *params), on="policy_key", how="left")
    start = pl.lit(received, dtype=pl.Date)
    return out.with_columns(
        verify_due=start.dt.add_business_days(pl.col("verification_max_working_days").cast(pl.Int32), roll="forward"),
        decide_due=start + pl.duration(days=pl.col("identification_max_days").cast(pl.Int64)),
    ).drop("policy_key", *params)


def bulk_create_leads(frame: pl.DataFrame, *, channel: str, purpose: str, kind: str = "", at: datetime,
                      user=None, note: str = "") -> tuple[int, int]:
    """Insert the leads of ``frame`` whose natural key is new; (created, already there).

    ``frame``: natural_key, household_id, year, region_code, name, id_number, evidence (JSON
    text), optional category and risk_types (JSON text).
    """
    from fupin.registry import bulk

    if frame.height == 0:
        return 0, 0
    frame = frame.unique("natural_key", keep="first", maintain_order=True)
    existing = _existing_keys(frame["natural_key"].to_list())
    new = frame.filter(~pl.col("natural_key").is_in(list(existing)))
    if new.height == 0:
        return 0, frame.height
    new = _deadline_columns(new, at)
    ops = connection.ops
    received = ops.adapt_datetimefield_value(at)
    constants = {
        "channel": channel, "kind": kind, "purpose": purpose, "state": State.NEW, "receipt": None, "phone": "",
        "hardship_type": "", "hardship_text": "", "consent_at": None, "received_at": received,
        "authorisation_signed": False, "authorisation_on": None, "notice_start": None, "notice_end": None,
        "decided_at": None, "rejection_reason": "", "elimination_type": "", "eliminated_on": None,
        "review_flag": False, "review_reason": "", "created_by_id": getattr(user, "pk", None), "updated_at": received,
    }
    rows = new.with_columns(
        pl.col("name").fill_null(""), pl.col("id_number").fill_null(""),
        category=pl.col("category").fill_null("") if "category" in new.columns else pl.lit(""),
        risk_types=pl.col("risk_types") if "risk_types" in new.columns else pl.lit("[]"),
        verify_due=pl.col("verify_due").cast(pl.String), decide_due=pl.col("decide_due").cast(pl.String),
    )
    columns = [f.column for f in Lead._meta.concrete_fields if f.column != "id"]
    rows = rows.with_columns([pl.lit(v).alias(k) for k, v in constants.items()])
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise RuntimeError(f"lead columns not filled: {missing}")
    rows = rows.select(columns)
    with transaction.atomic():
        bulk.insert_frame(Lead._meta.db_table, rows)
        lead, step = _q(Lead._meta.db_table), _q(LeadStep._meta.db_table)
        with connection.cursor() as cursor:
            # Every new lead (and only those: they have no step yet) gets its 'created' step.
            cursor.execute(
                f"INSERT INTO {step} (lead_id, at, user_id, actor, action, from_state, to_state, note, data) "
                f"SELECT l.id, %s, %s, %s, 'created', '', %s, %s, %s FROM {lead} l "
                f"WHERE l.received_at = %s AND l.channel = %s "
                f"AND NOT EXISTS (SELECT 1 FROM {step} s WHERE s.lead_id = l.id)",
                [received, getattr(user, "pk", None), getattr(user, "username", "") or "", State.NEW,
                 note[:500], "{}", received, channel],
            )
    return new.height, frame.height - new.height


@dataclass
class MatchOutcome:
    batch_id: int | None
    stats: dict = field(default_factory=dict)
    created: int = 0
    existing: int = 0
    rejects_path: Path | None = None
    rejected: int = 0


def run_match(path, *, kind: str, year: int, user=None, rejects_path=None, now: datetime | None = None,
              source_name: str | None = None) -> MatchOutcome:
    """Match a department file against the registry of ``year`` (the user's region only).

    Raises ``matching.DepartmentFileError`` for a file that cannot be matched at all and
    ``PolicyMissing`` when a threshold is not set for the year; rows come back in the rejects.
    """
    from fupin.registry import bulk

    at = now or clock.now()
    region = scoping.scope_of(user) if user is not None else ""
    if user is not None and (region is None or not scoping.can_run_jobs(user)):
        raise IntakeError("您的角色不能上传部门数据 (your role may not match department data)")
    source = source_name or Path(path).name
    raw = matching.read_department_file(path, kind)
    members = bulk.read_members(year, region or None).select("household_id", "year", "id_number", "name")
    households = bulk.read_households(year, region or None).select(
        "household_id", "year", "region_code", "registered", "poverty_status", "monitoring_category",
        "risk_eliminated")
    result = matching.match_department(raw, kind=kind, year=year, members=members, households=households,
                                       policy=deadlines.policies(), source=source)
    with transaction.atomic():
        created, existing = bulk_create_leads(
            result.leads, channel=Channel.DEPARTMENT, purpose=Purpose.IDENTIFICATION, kind=kind, at=at, user=user,
            note=f"部门筛查（{matching.LAYOUTS[kind].zh}）：{source}",
        )
        rejected = result.rejected_rows
        target = Path(rejects_path) if rejects_path else None
        blob = None
        if rejected:
            import tempfile

            out = target or Path(tempfile.mkstemp(suffix=".xlsx", prefix="fupin-rejects-")[1])
            matching.write_match_rejects(result, out)
            blob = out.read_bytes()
            if target is None:
                out.unlink(missing_ok=True)
        batch = MatchBatch.objects.create(
            kind=kind, year=year, source=source[:300], region_prefix=region or "",
            user=user if getattr(user, "pk", None) else None, stats=result.stats, leads_created=created,
            leads_existing=existing, rejects=blob,
        )
    return MatchOutcome(batch.pk, result.stats, created, existing, target if rejected else None, rejected)


def create_engine_leads(run, *, now: datetime | None = None, user=None) -> tuple[int, int]:
    """Leads from an assessment run: monitoring categories unstable/marginal/sudden become
    identification leads, ``elimination = ready`` becomes elimination leads. Idempotent.

    Returns (created, already there).
    """
    from fupin.assessments.models import Verdict
    from fupin.registry import bulk
    from fupin.registry.models import Member

    at = now or clock.now()
    verdicts = Verdict._meta.db_table
    sql = (f"SELECT household_id, year, region_code, monitoring_category, risk_factors, elimination, "
           f"per_capita_net_income, unmet, elimination_failed, policy FROM {_q(verdicts)} "
           f"WHERE run_id = %s AND (monitoring_category IN ('unstable', 'marginal', 'sudden') OR elimination = 'ready')")
    frame = bulk._frame(sql, [run.pk], {
        "household_id": pl.String(), "year": pl.Int32(), "region_code": pl.String(),
        "monitoring_category": pl.String(), "risk_factors": pl.String(), "elimination": pl.String(),
        "per_capita_net_income": pl.Float64(), "unmet": pl.String(), "elimination_failed": pl.String(),
        "policy": pl.String(),
    })
    if frame.height == 0:
        return 0, 0
    heads = bulk._frame(
        f"SELECT household_id, name, id_number FROM {_q(Member._meta.db_table)} WHERE year = %s AND relationship = %s",
        [run.year, "户主"], {"household_id": pl.String(), "name": pl.String(), "id_number": pl.String()},
    ).unique("household_id", keep="first")
    frame = frame.join(heads, on="household_id", how="left")
    labels = {k: rules.label("category", k) for k in ("unstable", "marginal", "sudden")}
    evidence = pl.struct(
        pl.lit(run.pk).alias("run"), pl.col("monitoring_category"), pl.col("risk_factors"),
        pl.col("elimination"), pl.col("per_capita_net_income"), pl.col("unmet"),
        pl.col("elimination_failed"), pl.col("policy"),
    ).struct.json_encode().alias("evidence")
    risk_json = (pl.lit('["') + pl.col("risk_factors").fill_null("").str.replace_all(";", '","') + pl.lit('"]'))
    risk_json = pl.when(pl.col("risk_factors").fill_null("") == "").then(pl.lit("[]")).otherwise(risk_json)
    base = frame.with_columns(evidence, risk_types=risk_json)
    identification = base.filter(pl.col("monitoring_category").is_in(list(labels))).with_columns(
        natural_key=pl.format("engine:identification:{}:{}", pl.col("household_id"), pl.col("year")),
        category=pl.col("monitoring_category").replace_strict(labels, default=""),
    )
    elimination = base.filter(pl.col("elimination") == "ready").with_columns(
        natural_key=pl.format("engine:elimination:{}:{}", pl.col("household_id"), pl.col("year")),
        category=pl.lit(""), risk_types=pl.lit("[]"),
    )
    cols = ["natural_key", "household_id", "year", "region_code", "name", "id_number", "evidence", "category",
            "risk_types"]
    note = f"年度监测规则（评估批次 {run.pk}）"
    with transaction.atomic():
        c1, e1 = bulk_create_leads(identification.select(cols), channel=Channel.ENGINE,
                                   purpose=Purpose.IDENTIFICATION, at=at, user=user, note=note)
        c2, e2 = bulk_create_leads(elimination.select(cols), channel=Channel.ENGINE,
                                   purpose=Purpose.ELIMINATION, at=at, user=user, note=note)
    return c1 + c2, e1 + e2


def start_elimination(user, household_id: str, *, now: datetime | None = None) -> Lead:
    """A cadre starts a risk elimination for a monitored household of their region."""
    from fupin.monitoring.workflow import household_without_labour
    from fupin.registry.models import Household

    if not scoping.can_edit(user):
        raise IntakeError("您的角色不能发起风险消除 (your role may not start an elimination)")
    household = (scoping.restrict(Household.objects.all(), user).filter(household_id=household_id)
                 .order_by("-year").first())
    if household is None:
        raise Http404("household not found in your region")
    if not household.monitoring_category or household.risk_eliminated:
        raise IntakeError("该户当前不是监测对象 (the household is not currently monitored)")
    if household_without_labour(household.household_id, household.year):
        raise IntakeError("该户无劳动能力，不能消除风险 (a household without labour capacity cannot be eliminated)")
    at = now or clock.now()
    key = f"cadre:elimination:{household.household_id}:{household.year}"
    existing = Lead.objects.filter(natural_key=key).first()
    if existing is not None:
        return existing
    return _create_single(channel=Channel.CADRE, at=at, region_code=household.region_code, user=user,
                          purpose=Purpose.ELIMINATION, natural_key=key, household_id=household.household_id,
                          year=household.year, evidence=json.loads("{}"))
