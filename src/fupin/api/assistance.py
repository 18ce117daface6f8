"""JSON API of the assistance ledger (a django-ninja Router, mounted by fupin.api.api).

``GET/POST /api/households/{id}/measures``, ``GET /api/coverage?year=Y&region=CODE``,
``GET/POST /api/households/{id}/visits`` and ``GET /api/cadres/{pk}/households``. Scoping
and roles are the use cases': a household outside the caller's region is 404, a role without
EDIT may not record (403); a measure that fails the import's own checks is 422 with the Chinese
message per field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from fupin.accounts.scoping import Capability, Scope
from fupin.api.params import FIRST_YEAR, LAST_YEAR, HouseholdKey, Region
from fupin.application import assistance
from fupin.application import assistance_pairing as pairing
from fupin.application import policy as policy_provider
from fupin.application.files import NothingToAssess
from fupin.assistance import selectors
from fupin.engine import idnumber
from fupin.engine.assistance import rules
from fupin.engine.policy import PolicyMissing

router = Router(tags=["assistance"])


class MeasureOut(Schema):
    id: int
    measure_id: str | None
    household_id: str
    id_number: str | None   # masked unless the role may see ID numbers in full
    family: str | None
    subtype: str | None
    year: int | None
    start: date | None
    end: date | None
    amount: float | None
    quantity: float | None
    fund_source: str | None
    responsible_unit: str | None
    campaign: str | None
    status: str | None
    wide: bool
    version: int


class MeasureIn(Schema):
    """The fields of a 帮扶措施 row (spec 1.2), as text the way a sheet holds them."""

    subtype: str = Field(..., min_length=1, max_length=64, description="小类 (or one of its aliases)")
    status: str = Field(..., max_length=8, description="计划 / 实施中 / 已落实 / 已取消")
    responsible_unit: str = Field(..., min_length=1, max_length=200, description="责任单位")
    family: str | None = Field(None, max_length=64)
    measure_id: str | None = Field(None, max_length=64)
    id_number: str | None = Field(None, max_length=18)
    year: str | None = Field(None, max_length=8)
    start: str | None = Field(None, max_length=20, description="YYYY-MM-DD")
    end: str | None = Field(None, max_length=20)
    amount: str | None = Field(None, max_length=20)
    quantity: str | None = Field(None, max_length=20)
    fund_source: str | None = Field(None, max_length=16)
    campaign: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=200)


class MeasureErrors(Schema):
    detail: str
    errors: dict[str, str]


class CoverageRow(Schema):
    region_code: str
    region_name: str | None
    level: str
    rule: str
    rule_label: str
    numerator: int
    denominator: int
    rate: float | None
    excluded: int
    uncovered: int


class CoverageOut(Schema):
    year: int
    as_of: date
    region: str
    rows: list[CoverageRow]


def _out(measure, sensitive: bool) -> dict:
    data = {f: getattr(measure, f) for f in MeasureOut.model_fields if f != "id_number"}
    data["id_number"] = measure.id_number if sensitive or not measure.id_number else idnumber.mask(measure.id_number)
    return data


@router.get("/households/{household_id}/measures", response=list[MeasureOut],
            summary="The household's measures (帮扶措施), newest first")
def list_measures(request, household_id: HouseholdKey):
    scope = Scope.of(request.auth)
    scope.require_to(Capability.READ)
    assistance.household_region(scope, household_id)  # 404 outside the region
    return [_out(m, scope.can_see_sensitive) for m in selectors.measures_of(scope, household_id)]


@router.post("/households/{household_id}/measures", response={201: MeasureOut, 422: MeasureErrors},
             summary="Record one measure of the household (the import's checks)")
def record_measure(request, household_id: HouseholdKey, payload: MeasureIn):
    scope = Scope.of(request.auth)
    outcome = assistance.record_measure(scope, household_id, payload.model_dump())
    if outcome.errors:
        return Status(422, {"detail": "；".join(outcome.errors.values()), "errors": outcome.errors})
    return Status(201, _out(outcome.measure, scope.can_see_sensitive))


@router.get("/coverage", response=CoverageOut,
            summary="人人有出路、户户有收益: rates by rule for a region and its children")
def coverage(request, year: Annotated[int, Query(..., ge=FIRST_YEAR, le=LAST_YEAR)], region: Region = None):
    scope = Scope.of(request.auth)
    try:
        frame = assistance.coverage_by_region(scope, policy_provider.current(), year=year, region=region or None)
    except NothingToAssess as exc:
        raise HttpError(404, str(exc)) from None
    except PolicyMissing as exc:
        raise HttpError(409, str(exc)) from None
    rows = [dict(r, rule_label=rules.label(r["rule"])) for r in frame.select(
        "region_code", "region_name", "level", "rule", "numerator", "denominator", "rate", "excluded",
        "uncovered").to_dicts()]
    as_of = frame["as_of"][0] if frame.height else date(year, 12, 31)
    return {"year": year, "as_of": as_of, "region": scope.narrow(region).prefix, "rows": rows}


# --- visits and cadres (issue 13) --------------------------------------------------------------------

class VisitOut(Schema):
    id: int
    household_id: str
    cadre_id: str | None
    visitor: str | None
    visited_on: date | None
    mode: str | None
    items: str | None
    found_problem: bool | None
    # 内容 / 问题描述: only for roles that may see sensitive data (never on a card or public page).
    problem: str | None
    content: str | None
    lead_id: int | None
    version: int


class VisitIn(Schema):
    """A 走访记录 (spec 1.7) as a sheet holds it; the caller's cadre record is the visitor."""

    visited_on: str = Field(..., max_length=20, description="走访日期 YYYY-MM-DD (not after today)")
    mode: str = Field(..., max_length=8, description="入户走访 / 电话 / 视频 / 集中座谈 / 其他")
    items: str | None = Field(None, max_length=200, description="事项, separated by 、")
    found_problem: str | None = Field(None, max_length=4, description="是 / 否")
    problem: str | None = Field(None, max_length=2000)
    content: str | None = Field(None, max_length=2000)
    visitor: str | None = Field(None, max_length=64, description="走访人, when the caller is no cadre")
    hardship_type: str | None = Field(None, max_length=16, description="raise a monitoring lead of this type")


class CadreHouseholdOut(Schema):
    household_id: str
    region_code: str | None
    hamlet: str | None
    head_name: str | None
    group: str | None
    max_days: int | None
    last_visit: date | None
    days_since: int | None
    status: str


class CadreHouseholdsOut(Schema):
    cadre_id: str
    name: str
    unit: str | None
    as_of: date
    households: list[CadreHouseholdOut]


def _visit(visit, sensitive: bool) -> dict:
    data = {f: getattr(visit, f) for f in VisitOut.model_fields}
    if not sensitive:
        data["problem"] = data["content"] = None
    return data


@router.get("/households/{household_id}/visits", response=list[VisitOut],
            summary="The household's visits (走访记录), newest first")
def list_visits(request, household_id: HouseholdKey):
    scope = Scope.of(request.auth)
    return [_visit(v, scope.can_see_sensitive) for v in pairing.visits_of(scope, household_id)]


@router.post("/households/{household_id}/visits", response={201: VisitOut, 422: MeasureErrors},
             summary="Record one visit (the import's checks; a hardship may raise a lead)")
def record_visit(request, household_id: HouseholdKey, payload: VisitIn):
    scope = Scope.of(request.auth)
    data = payload.model_dump()
    hardship = data.pop("hardship_type") or ""
    out = pairing.record_visit(scope, policy_provider.current(), household_id, data, user=request.auth,
                               hardship_type=hardship)
    if out.errors:
        return Status(422, {"detail": "；".join(out.errors.values()), "errors": out.errors})
    return Status(201, _visit(out.visit, True))


@router.get("/cadres/{cadre_id}/households", response=CadreHouseholdsOut,
            summary="A cadre's paired households inside your region, overdue first")
def cadre_households(request, cadre_id: int):
    scope = Scope.of(request.auth)
    out = pairing.cadre_households(scope, policy_provider.current(), cadre_id)
    return {"cadre_id": out.cadre.cadre_id, "name": out.cadre.name, "unit": out.cadre.unit, "as_of": out.as_of,
            "households": out.rows}
