"""JSON API of the monitoring workflow (a django-ninja Router; mounted by fupin.api.api).

Mounted with ``api.add_router("/monitoring/", "fupin.api.monitoring.router")``; authentication
is the API's own (bearer token or session), which sets ``request.user``. Scoping, roles and
refusals are the use cases': out-of-region leads are 404, refused steps 409 with the message.
Categories are the rule registry's keys (unstable, marginal, sudden); the registry's Chinese
codes are accepted on input too.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from fupin.accounts.scoping import Capability, Scope
from fupin.api.params import (
    MAX_LIMIT,
    BodyId,
    Key,
    Limit,
    Offset,
    Region,
    RowId,
    Text,
    choice,
)
from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.engine import idnumber
from fupin.engine import rules as R
from fupin.engine.policy import PolicyError
from fupin.monitoring import deadlines, selectors
from fupin.monitoring.models import Channel, Purpose, State


class LeadOut(Schema):
    id: int
    channel: str
    kind: str
    purpose: str
    state: str
    region_code: str
    household_id: str
    year: int | None
    name: str
    id_number_masked: str
    received_at: datetime
    verify_due: date
    decide_due: date
    due: date | None
    days_left: int | None
    overdue: bool
    category: str
    category_label: str
    risk_types: list[str]
    rejection_reason: str
    elimination_type: str
    review_flag: bool


class StepIn(Schema):
    action: Key
    note: Text = ""
    reason: Text = ""
    authorisation_signed: bool = False
    household_id: Key = ""
    notice_start: date | None = None
    category: str = ""
    risk_types: list[str] = []
    elimination_type: str = ""
    eliminated_on: date | None = None


class BulkIn(StepIn):
    leads: list[BodyId] = Field(..., max_length=MAX_LIMIT)


class BulkOut(Schema):
    applied: list[int]
    refused: dict[int, str]


def lead_out(lead) -> dict:
    c = deadlines.clock_of(lead)
    return {**{f: getattr(lead, f) for f in (
        "id", "channel", "kind", "purpose", "state", "region_code", "household_id", "year", "name", "received_at",
        "verify_due", "decide_due", "category", "risk_types", "rejection_reason", "elimination_type", "review_flag")},
        "category_label": R.label("category", lead.category) if lead.category else "",
        "id_number_masked": idnumber.mask(lead.id_number), "due": c.due, "days_left": c.days_left,
        "overdue": c.overdue}


def _params(body: StepIn) -> dict:
    data = body.dict(exclude={"action", "leads"})
    return {k: v for k, v in data.items() if v not in (None, "", [], False)}


def _reading(request) -> Scope:
    scope = Scope.of(request.user)
    scope.require_to(Capability.READ)
    return scope


def list_leads(request, state: str = choice("open", ("open", *State.values)), region: Region = None,
               channel: str | None = choice(None, Channel.values), purpose: str | None = choice(None, Purpose.values),
               overdue: bool = False, limit: Limit = 100, offset: Offset = 0):
    qs = selectors.lead_list(_reading(request), selectors.LeadFilter(
        region=region, state=state, channel=channel, purpose=purpose, overdue=overdue))
    return [lead_out(lead) for lead in qs[offset:offset + limit]]


def get_lead(request, lead_id: RowId):
    return lead_out(selectors.lead_detail(_reading(request), lead_id))


def step(request, lead_id: RowId, body: StepIn):
    try:
        lead = monitoring.take_step(Scope.of(request.user), policy_provider.current(), lead_id, body.action,
                                    **_params(body))
    except (monitoring.StepRefused, PolicyError) as exc:
        raise HttpError(409, str(exc)) from None
    return lead_out(lead)


def bulk(request, body: BulkIn):
    result = monitoring.take_bulk_step(Scope.of(request.user), policy_provider.current(), body.leads, body.action,
                                       **_params(body))
    return Status(200 if result.ok else 409, {"applied": result.applied, "refused": result.refused})


def overdue(request, region: Region = None):
    return selectors.overdue_by_region(_reading(request), region=region)


def build_router() -> Router:
    """A new Router with every endpoint (a Router can be mounted on one API only)."""
    r = Router(tags=["monitoring"])
    r.get("/leads", response=list[LeadOut])(list_leads)
    # Before /leads/{lead_id}: the first matching path wins.
    r.post("/leads/bulk", response={200: BulkOut, 409: BulkOut})(bulk)
    r.get("/leads/{lead_id}", response=LeadOut)(get_lead)
    r.post("/leads/{lead_id}/steps", response=LeadOut)(step)
    r.get("/overdue", response=list[dict])(overdue)
    return r


router = build_router()
