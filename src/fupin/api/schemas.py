"""Response and request schemas; household and member fields come from the exchange schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from ninja import Schema
from pydantic import create_model

from fupin.api.params import BodyRegion, BodyYear
from fupin.engine import schema as exchange

_TYPES = {"text": str, "code": str, "month": str, "region": str, "id_number": str, "causes": str,
          "int": int, "money": float, "number": float, "yesno": bool, "date": date}


def _exchange_model(name: str, table: str, extra: dict) -> type[Schema]:
    fields = {f.name: (Optional[_TYPES[f.kind]], None) for f in exchange.fields(table, exchange_only=True)}
    fields.update(extra)
    return create_model(name, __base__=Schema, **fields)


class HouseholdItem(Schema):
    household_id: str
    year: int
    region_code: str | None = None
    hamlet: str | None = None
    registered: bool | None = None
    poverty_status: str | None = None
    monitoring_category: str | None = None
    head_name: str | None = None
    head_id_number: str | None = None  # masked
    phone: str | None = None           # masked


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
    registered_rural_population: int | None = None
    incidence: float | None = None
    projected_incidence: float | None = None
    exit_eligible: bool | None = None
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
    year: int | None = None
    input_name: str
    result: dict[str, Any]
    files: list[str]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class YearRegionIn(Schema):
    year: BodyYear
    region: BodyRegion = None


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
