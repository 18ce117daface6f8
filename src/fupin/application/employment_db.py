"""Use cases of the employment service over the database (issue 13 item 2, web and API):
posts (岗位) with their openings, a post's holders, recording a post or a placement (就业), R7's
公益性岗位 checks and R10's 送工送岗 list for a region.

:mod:`fupin.application.employment` holds the file-side builders (no Django: the command line's
contract); this module feeds them the frames read from the database, as
:mod:`fupin.application.cards_db` does for the cards, so R7 and R10 are defined once
(:mod:`fupin.engine.assistance.employment`). Every function takes a Scope: a post listed by
another town, or a household outside the scope, is not found (404); a write needs EDIT.
ID numbers leave this module masked unless the caller asks for machine output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from django.http import Http404

from fupin.accounts.scoping import Capability, Scope
from fupin.application import assistance_files as reports
from fupin.application import employment as files_use
from fupin.application.assistance import household_region, stored_inputs
from fupin.application.assistance_pairing import newest_year
from fupin.assistance import employment_selectors as selectors
from fupin.assistance import employment_services as services
from fupin.assistance.employment_services import RowOutcome
from fupin.engine import idnumber
from fupin.engine.assistance import employment as E
from fupin.engine.policy import PolicySet

__all__ = ["CheckReport", "PostView", "RowOutcome", "check_report", "default_year", "household_placements",
           "offers_report", "placeable_posts", "post_detail", "post_list", "record_placement", "record_post"]

# R7's codes: B01–B07, B10–B12 in the engine's order (E.SEVERITY also grades 3.12's B17, which
# the engine finds beside them but which is not a post check).
R7_CODES = tuple(E.LABELS)
POST_STATES = ("open", "closed", "upcoming")


# --- posts ---------------------------------------------------------------------------------------

def post_state(post, on: date) -> str:
    """``open`` on ``on`` (发布日期 ≤ on ≤ 截止日期 or none), ``upcoming`` before it is published,
    else ``closed`` — R10's open, without its openings."""
    if post.published_on is not None and post.published_on > on:
        return "upcoming"
    if post.closes_on is not None and post.closes_on < on:
        return "closed"
    return "open" if post.published_on is not None else "closed"


@dataclass
class PostView:
    post: object                     # assistance.models.Post
    holders: int                     # placements active on ``on``, every region
    openings: int                    # 计划人数 − holders (never below 0)
    state: str                       # POST_STATES
    writable: bool = False           # listed inside the scope (not by a region containing it)


def _views(scope: Scope, posts, on: date) -> list[PostView]:
    posts = list(posts)
    held = selectors.holders_on([p.post_id for p in posts], on)
    return [PostView(p, held.get(p.post_id, 0), max((p.planned or 0) - held.get(p.post_id, 0), 0),
                     post_state(p, on), scope.contains(p.region_code)) for p in posts]


def post_list(scope: Scope, *, kind: str | None = None, state: str | None = None, on: date | None = None) -> list[PostView]:
    """The posts the scope sees (listed inside it or above it), newest first; ``kind``: one of
    S.POST_KINDS; ``state``: one of POST_STATES on ``on`` (default today)."""
    scope.require_to(Capability.READ)
    on = on or date.today()
    posts = selectors.visible_posts(scope)
    if kind:
        posts = posts.filter(kind=kind)
    views = _views(scope, posts.order_by("-published_on", "post_id"), on)
    return [v for v in views if v.state == state] if state else views


def placeable_posts(scope: Scope, on: date | None = None) -> list[PostView]:
    """The posts a placement may be recorded on from a page: open on ``on`` with openings left."""
    return [v for v in post_list(scope, state="open", on=on) if v.openings > 0]


def _placement_rows(scope: Scope, placements, *, sensitive: bool, on: date) -> list[dict]:
    placements = list(placements)
    people = selectors.people_of(scope, [p.id_number for p in placements])
    rows = []
    for p in placements:
        name, _household = people.get(p.id_number, ("", ""))
        rows.append({"placement": p, "name": name,
                     "id_number": p.id_number if sensitive else idnumber.mask(p.id_number),
                     "active": p.start is not None and p.start <= on and (p.end is None or p.end >= on)})
    return rows


@dataclass
class PostDetail:
    view: PostView
    placements: list[dict] = field(default_factory=list)   # inside the scope: placement, name, id_number (masked), active


def post_detail(scope: Scope, post_id: str, *, on: date | None = None, sensitive: bool = False) -> PostDetail:
    """One post the scope sees with its holders inside the scope (404 for any other post)."""
    scope.require_to(Capability.READ)
    on = on or date.today()
    post = selectors.visible_post(scope, post_id)
    if post is None:
        raise Http404("post not in your region")
    view = _views(scope, [post], on)[0]
    rows = _placement_rows(scope, selectors.placements_of_post(scope, post_id), sensitive=sensitive, on=on)
    return PostDetail(view, rows)


def record_post(scope: Scope, data: dict[str, str], *, today: date | None = None) -> RowOutcome:
    """List (or correct) one post in the scope, through the import's checks (EDIT)."""
    scope.require_to(Capability.EDIT)
    return services.record_post(scope, data, today=today)


# --- placements ----------------------------------------------------------------------------------

def record_placement(scope: Scope, household_id: str, data: dict[str, str], *,
                     today: date | None = None) -> RowOutcome:
    """One placement of a member of a household (404 outside the scope, then EDIT), on a post
    the scope sees (any other 岗位编号 is A10) or with 用人单位 and 工作地类别."""
    region = household_region(scope, household_id)
    scope.require_to(Capability.EDIT)
    known = frozenset(selectors.visible_posts(scope).values_list("post_id", flat=True))
    return services.record_placement(scope, household_id, region, data, known_posts=known, today=today)


def household_placements(scope: Scope, household_id: str, *, sensitive: bool = False,
                         on: date | None = None) -> list[dict]:
    """The household's placements inside the scope, newest first (404 for a household outside it)."""
    household_region(scope, household_id)
    scope.require_to(Capability.READ)
    return _placement_rows(scope, selectors.placements_of(scope, household_id), sensitive=sensitive,
                           on=on or date.today())


# --- R7 and R10 over a region ---------------------------------------------------------------------

def default_year(scope: Scope, on: date | None = None) -> int | None:
    """The newest stored registry year not after ``on``'s (the year the checks stand on)."""
    return newest_year(scope, on or date.today())


def _masked(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(idnumber.mask_expr(pl.col("id_number")))


@dataclass
class CheckReport:
    year: int
    as_of: date
    region: str
    findings: pl.DataFrame           # FINDING_SCHEMA of R7 + head_name, label, id_number masked; by code
    counts: dict[str, int]           # code -> findings (every R7 code, 0 included)


def check_report(scope: Scope, policy: PolicySet, *, year: int, region: str | None = None,
                 as_of: date | None = None) -> CheckReport:
    """R7 (B01–B07, B10–B12) for the region (default: the scope) and year: the findings of
    ``fupin assist check``'s run restricted to the 公益性岗位 codes, grouped by code (errors
    first, in the engine's order), each with the household's head. PolicyMissing when a key is unset."""
    area = scope.narrow(region)
    data = stored_inputs(scope, year=year, region=region)
    outcome = reports.evaluate(policy, data, year=year, as_of=as_of)
    order = {c: i for i, c in enumerate(R7_CODES)}
    found = (outcome.findings.filter(pl.col("code").is_in(R7_CODES))
             .join(outcome.households.select("household_id", "hamlet", "head_name"), on="household_id", how="left")
             .with_columns(label=pl.col("code").replace_strict({c: zh for c, (zh, _en) in E.LABELS.items()},
                                                               return_dtype=pl.String),
                           _error=pl.col("severity") != "error",
                           _order=pl.col("code").replace_strict(order, return_dtype=pl.Int32))
             .sort("_error", "_order", "region_code", "household_id", "id_number", nulls_last=True)
             .drop("_error", "_order"))
    counts = {c: 0 for c in R7_CODES} | dict(found.group_by("code").len().iter_rows())
    return CheckReport(year, outcome.as_of, area.prefix, _masked(found), counts)


@dataclass
class OffersView:
    year: int
    as_of: date
    region: str
    offers: pl.DataFrame        # E.OFFER_SCHEMA, id_number masked
    uncovered: int
    without_post: int


def offers_report(scope: Scope, policy: PolicySet, *, year: int, region: str | None = None,
                  as_of: date | None = None) -> OffersView:
    """R10 for the region (default: the scope): each uncovered able member with up to five open
    posts. The posts are those the scope sees; their openings count every holder wherever he
    lives (a town is not offered a post the county has filled)."""
    area = scope.narrow(region)
    data = stored_inputs(scope, year=year, region=region)
    posts = data.ledger.posts
    holders = None
    if posts is not None and posts.height:
        holders = selectors.post_holdings(posts["post_id"].drop_nulls().unique().to_list())
    got = files_use.offers_report(policy, data, year=year, as_of=as_of, post_placements=holders)
    return OffersView(year, got.as_of, area.prefix, _masked(got.offers), got.uncovered, got.without_post)
