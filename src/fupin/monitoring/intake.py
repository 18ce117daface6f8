"""Leads in: the farmer's declaration, a cadre's visit, a department's list, the yearly rules.

Single leads (declaration, cadre) go through the ORM. Batches (department matching, engine
runs) are written set-based: the new leads as one bulk insert of a frame (COPY on PostgreSQL),
their first steps as one INSERT … SELECT. Natural keys make both idempotent: a key already in
the database is left as it is. Deadlines come from the policy the caller passes in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from django.db import connection, transaction
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.assessments.models import Verdict
from fupin.engine import facts, idnumber, rules
from fupin.engine.policy import PolicySet
from fupin.monitoring import clock, deadlines, workflow
from fupin.monitoring.models import OPEN_STATES, Channel, Lead, LeadStep, Purpose, State
from fupin.monitoring.workflow import currently_monitored, household_without_labour
from fupin.registry import bulk
from fupin.registry.models import Household, Member, Region

log = logging.getLogger(__name__)

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class IntakeError(ValueError):
    """Bad input for a new lead; the message is Chinese + English."""


def new_receipt() -> str:
    """``SB`` + 12 random characters (60 bits): not guessable, easy to read out on the phone."""
    body = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"SB{body[:4]}-{body[4:8]}-{body[8:]}"


def _village(scope: Scope, code: str) -> Region:
    region = Region.objects.within(scope).filter(code=code, level="village").first()
    if region is None:
        raise IntakeError(f"村 {code} 不存在，请从列表中选择 (unknown village {code}; pick it from the list)")
    return region


def _household_of(scope: Scope, id_number: str) -> tuple[str, int] | None:
    return (Member.objects.within(scope).filter(id_number=id_number).order_by("-year")
            .values_list("household_key", "year").first())


def _create_single(policy: PolicySet, *, channel: str, at: datetime, region_code: str, scope: Scope | None = None,
                   **values) -> Lead:
    verify_due, decide_due = deadlines.due_dates(policy, clock.today(at), region_code, values.get("purpose", ""))
    actor = scope.actor if scope is not None else None
    lead = Lead.objects.create(channel=channel, received_at=at, region_code=region_code, verify_due=verify_due,
                               decide_due=decide_due, created_by=actor, **values)
    LeadStep.objects.create(lead=lead, at=at, user=actor, actor=scope.actor_name if scope is not None else "",
                            action="created", from_state="", to_state=lead.state,
                            note=Channel(channel).label)
    return lead


def declare(policy: PolicySet, *, name: str, phone: str, id_number: str, village_code: str, hardship_type: str,
            text: str, consent: bool, now: datetime | None = None) -> tuple[Lead, bool]:
    """A farmer's self-declaration → (lead, created). The form has validated the fields.

    The public form has no scope and no login, so it must not disclose anything about an ID
    number to whoever types it in. A declaration is linked to a household only inside the
    village the declarant names. When a self-declared lead for the same ID number is still open
    anywhere, no new lead is made and the caller gets that lead with ``created`` False: the
    page must then show no receipt (it would be another person's if the ID was not theirs); the
    repeated declaration is recorded as a step on the open lead so its village sees it.
    """
    at = now or clock.now()
    if not consent:
        raise IntakeError("须同意授权核查家庭经济状况 (the authorisation must be agreed)")
    if not idnumber.is_valid(id_number):
        raise IntakeError("证件号码不正确 (invalid ID number)")
    declared_village = Scope.system(village_code)
    _village(declared_village, village_code)
    with transaction.atomic():
        open_lead = (Lead.objects.select_for_update().unscoped("one open declaration per ID number")
                     .filter(channel=Channel.SELF_DECLARATION, id_number=id_number, state__in=list(OPEN_STATES))
                     .order_by("pk").first())
        if open_lead is not None:
            LeadStep.objects.create(
                lead=open_lead, at=at, actor="申报人", action="redeclared", from_state=open_lead.state,
                to_state=open_lead.state,
                note=f"同一证件号码再次申报（申报村 {village_code}），请核实申报人身份：{text}",
                data={"village": village_code, "name": name, "phone": phone, "hardship_type": hardship_type,
                      "text": text})
            log.info("repeated self-declaration recorded on lead %s (declared for village %s)",
                     open_lead.pk, village_code)
            return open_lead, False
        link = _household_of(declared_village, id_number)
        lead = _create_single(
            policy, channel=Channel.SELF_DECLARATION, at=at, region_code=village_code, receipt=new_receipt(),
            name=name, id_number=id_number, phone=phone, hardship_type=hardship_type, hardship_text=text,
            consent_at=at, household_id=link[0] if link else "", year=link[1] if link else None,
            evidence={"declared": True, "registry_match": bool(link)},
        )
    log.info("self-declaration lead %s created for village %s", lead.pk, village_code)
    return lead, True


def record_cadre_lead(scope: Scope, policy: PolicySet, *, village_code: str, name: str, id_number: str,
                      phone: str = "", hardship_type: str, text: str, now: datetime | None = None) -> Lead:
    """A lead a cadre records after a visit, in a village of their region."""
    if not scope.can_edit:
        raise IntakeError("您的角色不能登记线索 (your role may not record leads)")
    scope.require(village_code)
    _village(scope, village_code)
    if not idnumber.is_valid(id_number):
        raise IntakeError("证件号码不正确，请核对 (invalid ID number)")
    at = now or clock.now()
    link = _household_of(scope, id_number)
    return _create_single(
        policy, channel=Channel.CADRE, at=at, region_code=village_code, scope=scope, name=name, id_number=id_number,
        phone=phone, hardship_type=hardship_type, hardship_text=text,
        household_id=link[0] if link else "", year=link[1] if link else None,
        evidence={"visit": True, "registry_match": bool(link)},
    )


# --- batches ---------------------------------------------------------------------------------

def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    leads = Lead.objects.unscoped("natural keys are unique country-wide")
    for start in range(0, len(keys), 500):
        found.update(leads.filter(natural_key__in=keys[start:start + 500]).values_list("natural_key", flat=True))
    return found


def _deadline_columns(policy: PolicySet, frame: pl.DataFrame, at: datetime, purpose: str = "") -> pl.DataFrame:
    """verify_due and decide_due per lead from the policy of its province (column expressions);
    the same rule as :func:`deadlines.due_dates`, for many leads at once."""
    received = clock.today(at)
    exit_ = purpose == Purpose.EXIT
    params = (("exit_review_max_days", "exit_max_days") if exit_
              else ("verification_max_working_days", "identification_max_days"))
    table = policy.frame(received.year, frame["region_code"].unique().to_list(), needed=params, parameters=params)
    out = frame.with_columns(policy.policy_key_expr(pl.col("region_code"))).join(
        table.select("policy_key", *params), on="policy_key", how="left")
    start = pl.lit(received, dtype=pl.Date)
    if exit_:
        return out.with_columns(
            verify_due=start + pl.duration(days=pl.col("exit_review_max_days").cast(pl.Int64)),
            decide_due=start + pl.duration(days=pl.col("exit_max_days").cast(pl.Int64)),
        ).drop("policy_key", *params)
    return out.with_columns(
        verify_due=start.dt.add_business_days(pl.col("verification_max_working_days").cast(pl.Int32), roll="forward"),
        decide_due=start + pl.duration(days=pl.col("identification_max_days").cast(pl.Int64)),
    ).drop("policy_key", *params)


def bulk_create_leads(scope: Scope, policy: PolicySet, frame: pl.DataFrame, *, channel: str, purpose: str,
                      kind: str = "", at: datetime, note: str = "") -> tuple[int, int]:
    """Insert the leads of ``frame`` whose natural key is new; (created, already there).

    ``frame``: natural_key, household_id, year, region_code (all inside ``scope``), name,
    id_number, evidence (JSON text), optional category (a lead category key) and risk_types
    (JSON text).
    """
    if frame.height == 0:
        return 0, 0
    frame = frame.unique("natural_key", keep="first", maintain_order=True)
    existing = _existing_keys(frame["natural_key"].to_list())
    outside = frame.filter(~pl.col("region_code").str.starts_with(scope.prefix))
    if outside.height:
        raise ValueError(f"{outside.height} leads lie outside the scope {scope.prefix}")
    new = frame.filter(~pl.col("natural_key").is_in(list(existing)))
    if new.height == 0:
        return 0, frame.height
    new = _deadline_columns(policy, new, at, purpose)
    ops = connection.ops
    received = ops.adapt_datetimefield_value(at)
    constants = {
        "channel": channel, "kind": kind, "purpose": purpose, "state": State.NEW, "receipt": None, "phone": "",
        "hardship_type": "", "hardship_text": "", "consent_at": None, "received_at": received,
        "authorisation_signed": False, "authorisation_on": None, "notice_start": None, "notice_end": None,
        "confirmed_on": None, "decided_at": None, "rejection_reason": "", "elimination_type": "", "eliminated_on": None,
        "review_flag": False, "review_reason": "", "created_by_id": getattr(scope.actor, "pk", None),
        "updated_at": received,
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
                [received, getattr(scope.actor, "pk", None), scope.actor_name, State.NEW,
                 note[:500], "{}", received, channel],
            )
    return new.height, frame.height - new.height


def create_engine_leads(scope: Scope, policy: PolicySet, run, *, now: datetime | None = None) -> tuple[int, int]:
    """Leads from an assessment run: monitoring categories unstable/marginal/sudden become
    identification leads (their category stored as that key), ``elimination = ready`` becomes
    elimination leads; each goes to its village. Idempotent. Returns (created, already there)."""
    at = now or clock.now()
    verdicts = Verdict._meta.db_table
    categories = ", ".join(f"'{k}'" for k in rules.LEAD_CATEGORIES)
    sql = (f"SELECT household_id, year, region_code, monitoring_category, risk_factors, elimination, "
           f"per_capita_net_income, unmet, elimination_failed, policy FROM {_q(verdicts)} "
           f"WHERE run_id = %s AND (monitoring_category IN ({categories}) OR elimination = 'ready')")
    frame = bulk.query_frame(sql, [run.pk], {
        "household_id": pl.String(), "year": pl.Int32(), "region_code": pl.String(),
        "monitoring_category": pl.String(), "risk_factors": pl.String(), "elimination": pl.String(),
        "per_capita_net_income": pl.Float64(), "unmet": pl.String(), "elimination_failed": pl.String(),
        "policy": pl.String(),
    })
    frame = frame.filter(pl.col("region_code").str.starts_with(scope.prefix))
    if frame.height == 0:
        return 0, 0
    heads = bulk.query_frame(
        f"SELECT household_id, name, id_number FROM {_q(Member._meta.db_table)} WHERE year = %s AND relationship = %s",
        [run.year, "户主"], {"household_id": pl.String(), "name": pl.String(), "id_number": pl.String()},
    ).unique("household_id", keep="first")
    frame = frame.join(heads, on="household_id", how="left")
    evidence = pl.struct(
        pl.lit(run.pk).alias("run"), pl.col("monitoring_category"), pl.col("risk_factors"),
        pl.col("elimination"), pl.col("per_capita_net_income"), pl.col("unmet"),
        pl.col("elimination_failed"), pl.col("policy"),
    ).struct.json_encode().alias("evidence")
    risk_json = (pl.lit('["') + pl.col("risk_factors").fill_null("").str.replace_all(";", '","') + pl.lit('"]'))
    risk_json = pl.when(pl.col("risk_factors").fill_null("") == "").then(pl.lit("[]")).otherwise(risk_json)
    base = frame.with_columns(evidence, risk_types=risk_json)
    identification = base.filter(pl.col("monitoring_category").is_in(list(rules.LEAD_CATEGORIES))).with_columns(
        natural_key=pl.format("engine:identification:{}:{}", pl.col("household_id"), pl.col("year")),
        category=pl.col("monitoring_category"),
    )
    elimination = base.filter(pl.col("elimination") == "ready").with_columns(
        natural_key=pl.format("engine:elimination:{}:{}", pl.col("household_id"), pl.col("year")),
        category=pl.lit(""), risk_types=pl.lit("[]"),
    )
    cols = ["natural_key", "household_id", "year", "region_code", "name", "id_number", "evidence", "category",
            "risk_types"]
    note = f"年度监测规则（评估批次 {run.pk}）"
    with transaction.atomic():
        c1, e1 = bulk_create_leads(scope, policy, identification.select(cols), channel=Channel.ENGINE,
                                   purpose=Purpose.IDENTIFICATION, at=at, note=note)
        c2, e2 = bulk_create_leads(scope, policy, elimination.select(cols), channel=Channel.ENGINE,
                                   purpose=Purpose.ELIMINATION, at=at, note=note)
    return c1 + c2, e1 + e2


def start_elimination(scope: Scope, policy: PolicySet, household_id: str, *, now: datetime | None = None) -> Lead:
    """A cadre starts a risk elimination for a monitored household of their region (idempotent)."""
    if not scope.can_edit:
        raise IntakeError("您的角色不能发起风险消除 (your role may not start an elimination)")
    household = Household.objects.within(scope).filter(household_id=household_id).order_by("-year").first()
    if household is None:
        raise Http404("household not found in your region")
    if not currently_monitored(household):
        raise IntakeError("该户当前不是监测对象 (the household is not currently monitored)")
    if household_without_labour(household):
        raise IntakeError("该户无劳动能力，不能消除风险 (a household without labour capacity cannot be eliminated)")
    at = now or clock.now()
    key = f"cadre:elimination:{household.household_id}:{household.year}"
    existing = Lead.objects.within(scope).filter(natural_key=key).first()
    if existing is not None:
        return existing
    return _create_single(policy, channel=Channel.CADRE, at=at, region_code=household.region_code, scope=scope,
                          purpose=Purpose.ELIMINATION, natural_key=key, household_id=household.household_id,
                          year=household.year, evidence={})


@dataclass
class ExitProposals:
    created: int = 0
    existing: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # household_id -> reason (households asked by id)
    not_eligible: int = 0  # households of the region that cannot exit now (not asked by id)


def propose_exits(scope: Scope, policy: PolicySet, *, year: int, household_ids: list[str] | None = None,
                  now: datetime | None = None) -> ExitProposals:
    """预退出: the village proposes registered poor households whose current verdict of ``year``
    meets the standard; one exit lead per household and year (idempotent by natural key).

    Without ``household_ids`` every eligible household of the scope is proposed; with them, each
    one that cannot exit comes back with its reason (:func:`workflow.exit_refusal`'s rule)."""
    if not scope.can_edit:
        raise IntakeError("您的角色不能提出贫困户退出 (your role may not propose exits)")
    at = now or clock.now()
    households = bulk.read_households(scope, year).select("household_id", "year", "region_code", "registered",
                                                          "poverty_status")
    if household_ids is not None:
        households = households.filter(pl.col("household_id").is_in(household_ids))
    verdicts = pl.DataFrame(
        list(Verdict.objects.within(scope).filter(year=year, current=True)
             .values_list("household_id", "meets_standard")),
        schema={"household_id": pl.String, "meets_standard": pl.String}, orient="row")
    frame = households.join(verdicts, on="household_id", how="left").with_columns(facts.remaining_poor())
    eligible = frame.filter(pl.col("remaining_poor") & (pl.col("meets_standard") == "yes"))
    out = ExitProposals(not_eligible=frame.height - eligible.height)
    if household_ids is not None:
        found = set(frame["household_id"].to_list())
        for household_id in household_ids:
            if household_id not in found:
                out.refused[household_id] = (f"户 {household_id} {year}年不在您的管辖范围内 "
                                             f"(household not found in your region for {year})")
        for row in frame.join(eligible, on="household_id", how="anti").iter_rows(named=True):
            household = Household.objects.within(scope).get(household_id=row["household_id"], year=year)
            out.refused[row["household_id"]] = workflow.exit_refusal(scope, household) or ""
    heads = bulk.query_frame(
        f"SELECT household_id, name FROM {_q(Member._meta.db_table)} WHERE year = %s AND relationship = %s",
        [year, "户主"], {"household_id": pl.String(), "name": pl.String()},
    ).unique("household_id", keep="first")
    leads = eligible.join(heads, on="household_id", how="left").select(
        natural_key=pl.format("exit:{}:{}", pl.col("household_id"), pl.col("year")),
        household_id="household_id", year="year", region_code="region_code", name="name",
        id_number=pl.lit(""), evidence=pl.format('{{"verdict": "yes", "year": {}}}', pl.col("year")),
    )
    out.created, out.existing = bulk_create_leads(scope, policy, leads, channel=Channel.CADRE,
                                                  purpose=Purpose.EXIT, at=at, note="预退出（村提出）")
    return out
