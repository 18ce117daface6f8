"""Reads for the monitoring pages and API, always within a scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from fupin import divisions
from fupin.accounts.scoping import Scope, get_scoped
from fupin.engine import facts, idnumber, rules
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import (
    OPEN_STATES,
    Assistance,
    Lead,
    LeadStep,
    MatchBatch,
    Purpose,
    State,
    state_label,
)
from fupin.registry import selectors as registry_selectors
from fupin.registry.models import Household, Member, Region

PAGE_SIZE = 50


@dataclass(frozen=True)
class LeadFilter:
    region: str | None = None
    state: str | None = None         # a State value, or "open"
    channel: str | None = None
    purpose: str | None = None
    overdue: bool = False


def overdue_condition(today: date) -> Q:
    """Open leads past their current deadline (verification while new, decision after)."""
    return (Q(state=State.NEW, verify_due__lt=today)
            | Q(state__in=[s for s in OPEN_STATES if s != State.NEW], decide_due__lt=today)
            | Q(state=State.NEW, decide_due__lt=today))


def lead_list(scope: Scope, filters: LeadFilter, *, now: datetime | None = None) -> QuerySet:
    qs = Lead.objects.within(scope.narrow(filters.region))
    if filters.state == "open" or not filters.state:
        qs = qs.filter(state__in=OPEN_STATES) if filters.state == "open" else qs
    else:
        qs = qs.filter(state=filters.state)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.overdue:
        qs = qs.filter(overdue_condition(clock.today(now)))
    return qs.order_by("decide_due", "pk")


def decorate(leads, *, now: datetime | None = None) -> list:
    """Leads with their clock and masked ID number attached (for lists)."""
    out = list(leads)
    for lead in out:
        lead.clock = deadlines.clock_of(lead, now)
        lead.id_masked = idnumber.mask(lead.id_number)
    return out


def lead_detail(scope: Scope, pk: int) -> Lead:
    return get_scoped(Lead.objects.select_related("created_by"), scope, pk=pk)


def lead_steps(lead: Lead) -> list[LeadStep]:
    return list(lead.steps.order_by("at", "pk"))


def lead_household(scope: Scope, lead: Lead) -> Household | None:
    """The newest snapshot of the lead's household inside the scope, with its members (None: the
    lead has no 户编号 yet, or the household is not in the scope's registry)."""
    if not lead.household_id:
        return None
    try:
        return registry_selectors.household_file(scope, lead.household_id)
    except Http404:
        return None


def lead_assistance(scope: Scope, lead: Lead) -> list[Assistance]:
    """The rows the lead page wrote before the assistance ledger (``monitoring.Assistance``, no
    longer written: decision 0007): shown read-only for their history."""
    qs = Assistance.objects.within(scope)
    if lead.household_id:
        return list(qs.filter(Q(lead=lead) | Q(household_id=lead.household_id)).select_related("user"))
    return list(qs.filter(lead=lead).select_related("user"))


def overdue_by_region(scope: Scope, *, region: str | None = None, now: datetime | None = None) -> list[dict]:
    """Open and overdue leads counted per subregion one level below ``region`` (or the scope)."""
    area = scope.narrow(region)
    # Child level length: province 2 → city 4 → county 6 → town 9 → village 12.
    lengths = (2, 4, 6, 9, 12)
    child = next((n for n in lengths if n > len(area.prefix)), 12)
    today = clock.today(now)
    qs = Lead.objects.within(area).filter(state__in=OPEN_STATES)
    rows = (qs.annotate(sub=Substr("region_code", 1, child)).values("sub")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_condition(today))).order_by("sub"))
    codes = [divisions.pad12(r["sub"]) for r in rows]
    names = dict(Region.objects.within(area).filter(code__in=codes).values_list("code", "name"))
    return [{"code": r["sub"], "name": names.get(divisions.pad12(r["sub"]), r["sub"]), "open": r["open"],
             "overdue": r["overdue"]} for r in rows]


def villages_in_scope(scope: Scope) -> list[tuple[str, str]]:
    """Each village of the scope once, named with its town (the cadre's village picker)."""
    return registry_selectors.villages(scope)


def public_towns_and_villages() -> list[dict]:
    """Towns with registered villages and their villages, for the public form."""
    villages = list(Region.objects.unscoped("the public declaration form lists every registered village")
                    .filter(level="village").select_related("parent").order_by("code")
                    .values("code", "name", "parent_id", "parent__name"))
    towns: dict[str, dict] = {}
    for v in villages:
        town = towns.setdefault(v["parent_id"] or "", {"code": v["parent_id"] or "", "name": v["parent__name"] or "",
                                                       "villages": []})
        town["villages"].append({"code": v["code"], "name": v["name"]})
    return list(towns.values())


def notice_rows(scope: Scope, village: str, *, start: date | None = None) -> tuple[list[dict], date | None, date | None]:
    """The households proposed in a village's current public notice.

    Only the household head's name, the group (自然村) and the category (or elimination type):
    never ID numbers, phones, bank accounts or health. Returns (rows, first day, last day).
    """
    area = scope.narrow(village)
    leads = Lead.objects.within(area).filter(state=State.NOTICE, region_code=divisions.pad12(area.prefix))
    if start is None:
        start = leads.order_by("-notice_start").values_list("notice_start", flat=True).first()
    if start is None:
        return [], None, None
    leads = list(leads.filter(notice_start=start).order_by("pk"))
    keys = {(lead.household_id, lead.year) for lead in leads if lead.household_id}
    hids = [k[0] for k in keys]
    heads = {(m["household_key"], m["year"]): m["name"] for m in Member.objects.within(area).filter(
        household_key__in=hids, relationship="户主").values("household_key", "year", "name")}
    hamlets = {(h["household_id"], h["year"]): h["hamlet"] for h in Household.objects.within(area).filter(
        household_id__in=hids).values("household_id", "year", "hamlet")}
    rows = []
    for lead in leads:
        key = (lead.household_id, lead.year)
        if lead.purpose == Purpose.IDENTIFICATION:
            what = f"拟纳入监测对象：{rules.label('category', lead.category) if lead.category else ''}"
        elif lead.purpose == Purpose.EXIT:
            what = "拟退出贫困户（预退出）"
        else:
            what = f"拟风险消除：{lead.elimination_type}"
        rows.append({"head": heads.get(key) or lead.name, "group": hamlets.get(key) or "", "what": what})
    end = max((lead.notice_end for lead in leads if lead.notice_end), default=None)
    return rows, start, end


def match_batches(scope: Scope) -> QuerySet:
    return MatchBatch.objects.within(scope).defer("rejects").order_by("-created_at")[:20]


def match_rejects(scope: Scope, pk: int) -> bytes | None:
    """The rejects workbook of a matching batch inside the scope (404 outside), or None."""
    batch = get_scoped(MatchBatch.objects.all(), scope, pk=pk)
    return bytes(batch.rejects) if batch.rejects else None


def public_status(receipt: str) -> dict | None:
    """What the public lookup shows: state and, if rejected, the reason — nothing personal."""
    lead = Lead.objects.unscoped("the public lookup by an unguessable receipt number").filter(
        receipt=receipt.strip().upper()).only(
        "state", "rejection_reason", "received_at", "purpose").first()
    if lead is None:
        return None
    return {"state": lead.get_state_display(), "rejected": lead.state == State.REJECTED,
            "reason": lead.rejection_reason if lead.state == State.REJECTED else "",
            "received": clock.today(lead.received_at)}


EXIT_COLUMNS = ("lead_id", "household_id", "year", "region_code", "village", "town", "group", "head_name",
                "population", "state", "state_label", "proposed_on", "notice_start", "notice_end", "confirmed_on",
                "decided_on", "rejection_reason", "clock", "overdue")


def exit_cases(scope: Scope, *, year: int, region: str | None = None, at: datetime | None = None):
    """The household exits (贫困户退出) of ``year`` inside the scope, one row per case, by village
    then 户编号: who, where, the step reached, its dates and clock (a Polars frame)."""
    import polars as pl

    area = scope.narrow(region) if region else scope
    leads = list(Lead.objects.within(area).filter(purpose=Purpose.EXIT, year=year).order_by("region_code",
                                                                                           "household_id"))
    households = {h.household_id: h for h in Household.objects.within(area).filter(
        year=year, household_id__in=[lead.household_id for lead in leads]).annotate(
        living=Count("members", filter=Q(members__member_status=facts.LIVING_STATUS)))}
    names = dict(Region.objects.within(area).filter(
        code__in={c for lead in leads for c in (lead.region_code, lead.region_code[:9].ljust(12, "0"))})
        .values_list("code", "name"))
    rows = []
    for lead in leads:
        household = households.get(lead.household_id)
        lead_clock = deadlines.clock_of(lead, at)
        rows.append({
            "lead_id": lead.pk, "household_id": lead.household_id, "year": lead.year, "region_code": lead.region_code,
            "village": names.get(lead.region_code, ""), "town": names.get(lead.region_code[:9].ljust(12, "0"), ""),
            "group": getattr(household, "hamlet", "") or "", "head_name": lead.name,
            "population": getattr(household, "living", None),
            "state": lead.state, "state_label": _zh(state_label(lead.state, lead.purpose)),
            "proposed_on": clock.today(lead.received_at), "notice_start": lead.notice_start,
            "notice_end": lead.notice_end, "confirmed_on": lead.confirmed_on,
            "decided_on": clock.today(lead.decided_at) if lead.decided_at else None,
            "rejection_reason": lead.rejection_reason, "clock": lead_clock.label, "overdue": lead_clock.overdue,
        })
    schema = {"lead_id": pl.Int64, "household_id": pl.String, "year": pl.Int32, "region_code": pl.String,
              "village": pl.String, "town": pl.String, "group": pl.String, "head_name": pl.String,
              "population": pl.Int64, "state": pl.String, "state_label": pl.String, "proposed_on": pl.Date,
              "notice_start": pl.Date, "notice_end": pl.Date, "confirmed_on": pl.Date, "decided_on": pl.Date,
              "rejection_reason": pl.String, "clock": pl.String, "overdue": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _zh(label: str) -> str:
    """The Chinese half of a bilingual choice label ("已审批 (approved)" → "已审批")."""
    return label.split(" (")[0]
