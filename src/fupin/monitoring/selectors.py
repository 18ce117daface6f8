"""Reads for the monitoring pages and API, always within a scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from fupin import divisions
from fupin.accounts.scoping import Scope, get_scoped
from fupin.engine import idnumber, rules
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import (
    OPEN_STATES,
    Assistance,
    Lead,
    LeadStep,
    MatchBatch,
    Purpose,
    State,
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


def lead_assistance(scope: Scope, lead: Lead) -> list[Assistance]:
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
