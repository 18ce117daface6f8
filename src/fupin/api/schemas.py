"""Response and request schemas; household and member fields come from the exchange schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from ninja import Schema
from pydantic import create_model

from fupin.engine import schema as exchange

_TYPES = {"text": str, "code": str, "month": str, "region": str, "id_number": str, "causes": str,
          "int": int, "money": float, "number": float, "yesno": bool}


def _exchange_model(name: str, table: str, extra: dict) -> type[Schema]:
    fields = {f.name: (Optional[_TYPES[f.kind]], None) for f in exchange.fields(table, exchange_only=True)}
    fields.update(extra)
    return create_model(name, __base__=Schema, **fields)


class HouseholdItem(Schema):
    household_id: str
    year: int
    region_code: Optional[str] = None
    hamlet: Optional[str] = None
    registered: Optional[bool] = None
    poverty_status: Optional[str] = None
    monitoring_category: Optional[str] = None
    head_name: Optional[str] = None
    head_id_number: Optional[str] = None  # masked
    phone: Optional[str] = None           # masked


class HouseholdPage(Schema):
    items: list[HouseholdItem]
    page: int
    page_size: int
    total: int


MemberOut = _exchange_model("MemberOut", "members", {})


class VerdictOut(Schema):
    run_id: int
    year: int
    meets_standard: str
    unmet: list[str]
    unknown: list[str]
    monitoring_category: str
    risk_factors: list[str]
    elimination: str
    policy: str
    assessed_at: datetime
    explanation: str


HouseholdOut = _exchange_model("HouseholdOut", "households", {
    "version": (int, ...),
    "sensitive_shown": (bool, False),
    "members": (list[MemberOut], ...),
    "verdict": (Optional[VerdictOut], None),
    "years": (list[int], []),
})


class RegionFigures(Schema):
    code: str
    name: str
    level: str
    year: int
    households: int
    people: int
    registered_households: int
    registered_people: int
    remaining_poor_households: int
    remaining_poor_people: int
    registered_rural_population: Optional[int] = None
    incidence: Optional[float] = None
    projected_incidence: Optional[float] = None
    exit_eligible: Optional[bool] = None
    households_by_status: dict[str, int]
    people_by_status: dict[str, int]
    unmet: dict[str, int]
    leads: dict[str, int]


class RegionSummary(RegionFigures):
    subregions: list[RegionFigures]


class JobOut(Schema):
    id: int
    kind: str
    status: str
    finished: bool
    progress: int
    stage: str
    stage_label: str
    message: str
    region: str
    year: Optional[int] = None
    input_name: str
    result: dict[str, Any]
    files: list[str]
    created_at: datetime
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None


class YearRegionIn(Schema):
    year: int
    region: Optional[str] = None


class ErrorOut(Schema):
    detail: str


class PolicyValue(Schema):
    parameter: str
    label_zh: str
    label_en: str
    value: Any = None
    file: str
    source: str
    confidence: str
    needed: bool


class PolicyOut(Schema):
    identity: str
    files: list[str]
    year: int
    region: str
    values: list[PolicyValue]


class MatchIn(Schema):
    kind: str
    year: int
