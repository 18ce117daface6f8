"""JSON API of the rectification ledger and the listings (mounted by fupin.api.api at /supervision/).

Reads and writes go through the use cases of :mod:`fupin.application.supervision` with the
caller's scope: out of scope → 404, a refused action → 409 with the Chinese reason.
"""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from fupin.accounts.scoping import Capability, Scope
from fupin.api.params import Key, Region, RowId, Text, Year
from fupin.application import policy as policy_provider
from fupin.application import supervision
from fupin.supervision import ledger_workflow, selectors


class ProblemIn(Schema):
    problem_id: Key = ""
    source: Key
    region_code: Key
    category: Key
    description: Text
    received_on: date
    immediate: bool = False
    deadline: date | None = None
    household_id: Key = ""
    lead_unit: Text = ""
    responsible_unit: Text = ""
    responsible_person: Key = ""
    source_ref: Text = ""


class ActionIn(Schema):
    action: Key
    note: Text = ""
    reason: Text = ""
    text: Text = ""
    due: date | None = None
    done_on: date | None = None
    measure: int | None = None
    deadline: date | None = None


def _reading(request) -> Scope:
    scope = Scope.of(request.user)
    scope.require_to(Capability.READ)
    return scope


def problem_out(scope: Scope, p) -> dict:
    clock = supervision.problem_clock(policy_provider.current(), p)
    return {
        **{f: getattr(p, f) for f in ("id", "problem_id", "year", "source", "category", "state", "region_code",
                                      "description", "household_id", "lead_unit", "responsible_unit",
                                      "received_on", "immediate", "claim_due", "deadline", "original_deadline",
                                      "measures", "verified_on", "verified_by")},
        **clock, "allowed_actions": ledger_workflow.allowed_actions(scope, p),
        "evidence": [{"id": e.id, "file_name": e.file_name, "sha256": e.sha256, "size": e.size, "by": e.by,
                      "at": e.at.isoformat()} for e in p.evidence.all()],
    }


def list_problems(request, year: Year = None, region: Region = None, state: str | None = None):
    scope = _reading(request).narrow(region)
    return [problem_out(scope, p) for p in selectors.problems(scope, year=year, state=state)[:500]]


def get_problem(request, problem_pk: RowId):
    scope = _reading(request)
    return problem_out(scope, selectors.problem(scope, problem_pk))


def create_problem(request, body: ProblemIn):
    scope = Scope.of(request.user)
    fields = {k: v for k, v in body.dict().items() if v not in (None, "")}
    fields["immediate"] = "是" if body.immediate else "否"
    try:
        problem = supervision.create_problem(scope, policy_provider.current(), **fields)
    except supervision.LedgerError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, problem_out(scope, problem)


def act(request, problem_pk: RowId, body: ActionIn):
    scope = Scope.of(request.user)
    params = {k: v for k, v in body.dict(exclude={"action"}).items() if v not in (None, "")}
    try:
        problem = supervision.take_action(scope, problem_pk, body.action, **params)
    except supervision.ActionRefused as exc:
        raise HttpError(409, str(exc)) from None
    return problem_out(scope, problem)


def upload_evidence(request, problem_pk: RowId, file: File[UploadedFile], note: Form[str] = ""):
    scope = Scope.of(request.user)
    try:
        supervision.add_evidence(scope, problem_pk, file.name, file.chunks(), note=note[:2000])
    except supervision.ActionRefused as exc:
        raise HttpError(409, str(exc)) from None
    return 201, problem_out(scope, selectors.problem(scope, problem_pk))


def download_evidence(request, evidence_pk: RowId):
    item, path = supervision.evidence_file(Scope.of(request.user), evidence_pk)
    if not path.is_file():
        raise HttpError(404, "文件不存在 (file missing)")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=item.file_name)


def listing_out(x, failed_labels=True) -> dict:
    return {"id": x.id, "listing_id": x.listing_id, "region_code": x.region_code, "level": x.level, "year": x.year,
            "listed_by": x.listed_by, "reasons": x.reasons.split(";") if x.reasons else [], "note": x.note,
            "listed_on": x.listed_on, "target_on": x.target_on, "status": x.status, "cleared_on": x.cleared_on,
            "conditions_failed": x.conditions_failed.split(";") if x.conditions_failed else [],
            "days_to_target": (x.target_on - date.today()).days}


def list_listings(request, year: Year = None, region: Region = None):
    scope = _reading(request).narrow(region)
    return [listing_out(x) for x in selectors.listings(scope, year=year)]


def get_listing(request, listing_pk: RowId):
    return listing_out(selectors.listing(_reading(request), listing_pk))


def build_router() -> Router:
    r = Router(tags=["supervision"])
    r.get("/problems", response=list[dict])(list_problems)
    r.post("/problems", response={201: dict})(create_problem)
    r.get("/problems/{problem_pk}", response=dict)(get_problem)
    r.post("/problems/{problem_pk}/actions", response=dict)(act)
    r.post("/problems/{problem_pk}/evidence", response={201: dict})(upload_evidence)
    r.get("/evidence/{evidence_pk}")(download_evidence)
    r.get("/listings", response=list[dict])(list_listings)
    r.get("/listings/{listing_pk}", response=dict)(get_listing)
    return r


router = build_router()
