"""JSON API of the employment service (a django-ninja Router, mounted by fupin.api.api).

``GET/POST /api/posts``, ``GET /api/posts/{post_id}`` and
``GET/POST /api/households/{household_id}/placements``. Scoping and roles are the use cases'
(:mod:`fupin.application.employment_db`): a post listed by another region or a household outside
the caller's region is 404, a role without EDIT may not record (403); a row that fails the
import's own checks is 422 with the Chinese message per field. ID numbers are masked unless the
role may see them in full.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Path, Router, Schema
from ninja.responses import Status
from pydantic import Field

from fupin.accounts.scoping import Scope
from fupin.api.params import NO_NUL, HouseholdKey, choice
from fupin.application import employment_db as employment
from fupin.engine.assistance import schema as S

router = Router(tags=["employment"])

PostKey = Annotated[str, Path(..., min_length=1, max_length=64, pattern=NO_NUL)]


class PostOut(Schema):
    post_id: str
    name: str | None
    kind: str | None
    public_post_type: str | None
    employer: str | None
    work_region: str | None
    place: str | None
    monthly_pay: float | None
    accident_insurance: bool | None
    injury_insurance: bool | None
    planned: int | None
    published_on: date | None
    closes_on: date | None
    channel: str | None
    listed_by: str          # the region code that listed it
    holders: int            # placements active today, every region
    openings: int
    state: str              # open / closed / upcoming today
    version: int


class PlacementOut(Schema):
    id: int
    household_id: str | None
    id_number: str | None   # masked unless the role may see ID numbers in full
    name: str | None
    post_id: str | None
    employer: str | None
    place: str | None
    start: date | None
    end: date | None
    monthly_income: float | None
    mode: str | None
    service: str | None
    active: bool
    version: int


class PostDetailOut(PostOut):
    placements: list[PlacementOut]   # inside the caller's region


class PostIn(Schema):
    """A 岗位 row (spec 1.9) as text, the way a sheet holds it."""

    post_id: str = Field(..., min_length=1, max_length=64, pattern=NO_NUL, description="岗位编号")
    name: str = Field(..., min_length=1, max_length=64, pattern=NO_NUL, description="岗位名称")
    kind: str = Field(..., max_length=16, description=" / ".join(S.POST_KINDS))
    public_post_type: str | None = Field(None, max_length=16, description="公益岗类型 (公益性岗位)")
    employer: str = Field(..., min_length=1, max_length=64, pattern=NO_NUL, description="用人单位")
    region_code: str | None = Field(None, max_length=12, description="工作地区划, 6, 9 or 12 digits")
    place: str = Field(..., max_length=16, description=" / ".join(S.WORKPLACES))
    monthly_pay: str = Field(..., max_length=20, description="月薪酬 (yuan)")
    planned: str = Field(..., max_length=9, description="计划人数")
    published_on: str = Field(..., max_length=20, description="发布日期 YYYY-MM-DD")
    closes_on: str | None = Field(None, max_length=20, description="截止日期")
    accident_insurance: str | None = Field(None, max_length=4, description="是 / 否")
    injury_insurance: str | None = Field(None, max_length=4, description="是 / 否")
    channel: str | None = Field(None, max_length=16, description=" / ".join(S.POST_CHANNELS))


class PlacementIn(Schema):
    """A 就业 row (spec 1.10): a member of the household, on a post you see or with 用人单位 and 工作地类别."""

    id_number: str = Field(..., min_length=15, max_length=18, pattern=NO_NUL, description="证件号码 of a member")
    start: str = Field(..., max_length=20, description="开始日期 YYYY-MM-DD")
    post_id: str | None = Field(None, max_length=64, pattern=NO_NUL, description="岗位编号")
    employer: str | None = Field(None, max_length=64, pattern=NO_NUL, description="用人单位 (without a post)")
    place: str | None = Field(None, max_length=16, description="工作地类别 (without a post)")
    end: str | None = Field(None, max_length=20, description="结束日期")
    monthly_income: str | None = Field(None, max_length=20, description="月收入; empty = the post's 月薪酬")
    mode: str | None = Field(None, max_length=16, description=" / ".join(S.PLACEMENT_MODES))
    service: str | None = Field(None, max_length=16, description=" / ".join(S.PLACEMENT_SERVICES))


class RowErrors(Schema):
    detail: str
    errors: dict[str, str]


def _post(view) -> dict:
    p = view.post
    data = {f: getattr(p, f) for f in PostOut.model_fields
            if f not in ("listed_by", "holders", "openings", "state")}
    return data | {"listed_by": p.region_code, "holders": view.holders, "openings": view.openings,
                   "state": view.state}


def _placement(row: dict) -> dict:
    p = row["placement"]
    data = {f: getattr(p, f) for f in PlacementOut.model_fields if f not in ("id_number", "name", "active")}
    return data | {"id_number": row["id_number"], "name": row["name"] or None, "active": row["active"]}


def _errors(errors: dict[str, str]) -> Status:
    return Status(422, {"detail": "；".join(errors.values()), "errors": errors})


@router.get("/posts", response=list[PostOut], summary="Posts (岗位) your region sees, with openings today")
def list_posts(request, kind: str | None = choice(None, S.POST_KINDS),
               state: str | None = choice(None, employment.POST_STATES)):
    scope = Scope.of(request.auth)
    return [_post(v) for v in employment.post_list(scope, kind=kind, state=state)]


@router.post("/posts", response={201: PostOut, 422: RowErrors},
             summary="List (or correct) one post in your region (the import's checks)")
def record_post(request, payload: PostIn):
    scope = Scope.of(request.auth)
    out = employment.record_post(scope, payload.model_dump())
    if out.errors:
        return _errors(out.errors)
    return Status(201, _post(employment.post_detail(scope, out.row.post_id).view))


@router.get("/posts/{post_id}", response=PostDetailOut, summary="One post with its holders in your region")
def get_post(request, post_id: PostKey):
    scope = Scope.of(request.auth)
    detail = employment.post_detail(scope, post_id, sensitive=scope.can_see_sensitive)
    return _post(detail.view) | {"placements": [_placement(r) for r in detail.placements]}


@router.get("/households/{household_id}/placements", response=list[PlacementOut],
            summary="The household's employment (就业), newest first")
def list_placements(request, household_id: HouseholdKey):
    scope = Scope.of(request.auth)
    return [_placement(r) for r in employment.household_placements(scope, household_id,
                                                                    sensitive=scope.can_see_sensitive)]


@router.post("/households/{household_id}/placements", response={201: PlacementOut, 422: RowErrors},
             summary="Record one employment of a member (the import's checks)")
def record_placement(request, household_id: HouseholdKey, payload: PlacementIn):
    scope = Scope.of(request.auth)
    out = employment.record_placement(scope, household_id, payload.model_dump())
    if out.errors:
        return _errors(out.errors)
    rows = employment.household_placements(scope, household_id, sensitive=scope.can_see_sensitive)
    return Status(201, _placement(next(r for r in rows if r["placement"].pk == out.row.pk)))
