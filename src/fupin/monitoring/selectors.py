"""Reads for the monitoring pages and API, always through the scoping layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from fupin.accounts import scoping
from fupin.engine import idnumber
from fupin.monitoring import clock, deadlines
from fupin.monitoring.models import OPEN_STATES, Assistance, Lead, LeadStep, MatchBatch, Purpose, State

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


def lead_list(user, filters: LeadFilter, *, now: datetime | None = None) -> QuerySet:
    qs = scoping.restrict(Lead.objects.all(), user)
    if filters.region:
        qs = qs.filter(region_code__startswith=scoping.clamp_region(user, filters.region))
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


def lead_detail(user, pk: int) -> Lead:
    return scoping.get_scoped(Lead.objects.select_related("created_by"), user, pk=pk)


def lead_steps(lead: Lead) -> list[LeadStep]:
    return list(lead.steps.order_by("at", "pk"))


def lead_assistance(user, lead: Lead) -> list[Assistance]:
    qs = scoping.restrict(Assistance.objects.all(), user)
    if lead.household_id:
        return list(qs.filter(Q(lead=lead) | Q(household_id=lead.household_id)).select_related("user"))
    return list(qs.filter(lead=lead).select_related("user"))


def overdue_by_region(user, *, region: str | None = None, now: datetime | None = None) -> list[dict]:
    """Open and overdue leads counted per subregion one level below ``region`` (or the scope)."""
    from fupin import divisions
    from fupin.registry.models import Region

    prefix = scoping.clamp_region(user, region)
    # Child level length: province 2 → city 4 → county 6 → town 9 → village 12.
    lengths = (2, 4, 6, 9, 12)
    child = next((n for n in lengths if n > len(prefix)), 12)
    today = clock.today(now)
    qs = scoping.restrict(Lead.objects.filter(state__in=OPEN_STATES), user).filter(region_code__startswith=prefix)
    rows = (qs.annotate(sub=Substr("region_code", 1, child)).values("sub")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_condition(today))).order_by("sub"))
    codes = [divisions.pad12(r["sub"]) for r in rows]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"code": r["sub"], "name": names.get(divisions.pad12(r["sub"]), r["sub"]), "open": r["open"],
             "overdue": r["overdue"]} for r in rows]


def villages_in_scope(user) -> QuerySet:
    from fupin.registry.models import Region

    return scoping.restrict(Region.objects.filter(level="village"), user).order_by("code")


def public_towns_and_villages() -> list[dict]:
    """Towns with registered villages and their villages, for the public form."""
    from fupin.registry.models import Region

    villages = list(Region.objects.filter(level="village").select_related("parent").order_by("code")
                    .values("code", "name", "parent_id", "parent__name"))
    towns: dict[str, dict] = {}
    for v in villages:
        town = towns.setdefault(v["parent_id"] or "", {"code": v["parent_id"] or "", "name": v["parent__name"] or "",
                                                       "villages": []})
        town["villages"].append({"code": v["code"], "name": v["name"]})
    return list(towns.values())


def notice_rows(user, village: str, *, start: date | None = None) -> tuple[list[dict], date | None, date | None]:
    """The households proposed in a village's current public notice.

    Only the household head's name, the group (自然村) and the category (or elimination type):
    never ID numbers, phones, bank accounts or health. Returns (rows, first day, last day).
    """
    from fupin.registry.models import Household, Member

    scoping.require_region(user, village)
    leads = scoping.restrict(Lead.objects.filter(state=State.NOTICE, region_code=village), user)
    if start is None:
        start = leads.order_by("-notice_start").values_list("notice_start", flat=True).first()
    if start is None:
        return [], None, None
    leads = list(leads.filter(notice_start=start).order_by("pk"))
    keys = {(lead.household_id, lead.year) for lead in leads if lead.household_id}
    hids = [k[0] for k in keys]
    heads = {(m["household_key"], m["year"]): m["name"] for m in Member.objects.filter(
        household_key__in=hids, relationship="户主").values("household_key", "year", "name")}
    hamlets = {(h["household_id"], h["year"]): h["hamlet"] for h in Household.objects.filter(
        household_id__in=hids).values("household_id", "year", "hamlet")}
    rows = []
    for lead in leads:
        key = (lead.household_id, lead.year)
        if lead.purpose == Purpose.IDENTIFICATION:
            what = f"拟纳入监测对象：{lead.category}"
        else:
            what = f"拟风险消除：{lead.elimination_type}"
        rows.append({"head": heads.get(key) or lead.name, "group": hamlets.get(key) or "", "what": what})
    end = max((lead.notice_end for lead in leads if lead.notice_end), default=None)
    return rows, start, end


def match_batches(user) -> QuerySet:
    return scoping.restrict(MatchBatch.objects.all(), user).defer("rejects").order_by("-created_at")[:20]


def public_status(receipt: str) -> dict | None:
    """What the public lookup shows: state and, if rejected, the reason — nothing personal."""
    lead = Lead.objects.filter(receipt=receipt.strip().upper()).only(
        "state", "rejection_reason", "received_at", "purpose").first()
    if lead is None:
        return None
    return {"state": lead.get_state_display(), "rejected": lead.state == State.REJECTED,
            "reason": lead.rejection_reason if lead.state == State.REJECTED else "",
            "received": clock.today(lead.received_at)}
