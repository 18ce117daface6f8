"""Reads of the employment service (spec/assistance.md 1.9, 1.10) for pages and the API; every
one takes a Scope.

Which posts a scope sees is :func:`fupin.assistance.bulk.read_posts`'s rule, written once here
for querysets: a post lies where it was listed (``region_code``, the listing scope), so a user
sees the posts listed inside his region and those listed by the regions containing it (a
county's posts are for its villages); a post listed by another town is not found. A post's
holders (placements) lie in their households' villages and are read inside the scope only —
except their number: a post's openings count every holder wherever he lives (a count, never a
row), or a town would be offered a post the county has already filled.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from django.db.models import Count, Q, QuerySet

from fupin.accounts.scoping import Scope
from fupin.assistance.models import Placement, Post
from fupin.registry.models import Member

VISIBLE_REASON = "posts listed by the regions containing the scope are published for it (bulk.read_posts)"


def _containing(prefix: str) -> list[str]:
    """The listing prefixes of the regions containing ``prefix`` (itself and the whole country included)."""
    return sorted({prefix[:n] for n in range(len(prefix) + 1)})


def visible_posts(scope: Scope) -> QuerySet[Post]:
    """The posts listed inside the scope or by a region containing it."""
    if not scope.prefix:
        return Post.objects.within(scope)
    inside = Q(**scope.lookup("region_code"))
    return Post.objects.unscoped(VISIBLE_REASON).filter(inside | Q(region_code__in=_containing(scope.prefix)))


def visible_post(scope: Scope, post_id: str) -> Post | None:
    return visible_posts(scope).filter(post_id=post_id).first()


def stored_post(post_id: str) -> Post | None:
    """The post with this 岗位编号 wherever it is listed (keys are country-wide: a second region
    may not take a number already listed elsewhere, S02) — for the write's check only."""
    return Post.objects.unscoped("a 岗位编号 is country-wide: whether it is taken").filter(post_id=post_id).first()


def holders_on(post_ids: list[str], on: date) -> dict[str, int]:
    """岗位编号 -> its placements active on ``on``, in every region (counts only)."""
    if not post_ids:
        return {}
    rows = (Placement.objects.unscoped("a post's openings count all its holders; only counts are read")
            .filter(post_id__in=post_ids, start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))
            .values("post_id").annotate(n=Count("id")).values_list("post_id", "n"))
    return dict(rows)


def post_holdings(post_ids: list[str]) -> pl.DataFrame:
    """``post_id, start, end`` of every placement on these posts, in every region — no person,
    only what R10's openings count (:func:`fupin.engine.assistance.employment.open_posts`)."""
    schema = {"post_id": pl.String, "start": pl.Date, "end": pl.Date}
    if not post_ids:
        return pl.DataFrame(schema=schema)
    rows = (Placement.objects.unscoped("a post's openings count all its holders; no person is read")
            .filter(post_id__in=post_ids).values_list("post_id", "start", "end"))
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def placements_of_post(scope: Scope, post_id: str) -> QuerySet[Placement]:
    """The post's placements inside the scope, newest first."""
    return Placement.objects.within(scope).filter(post_id=post_id).order_by("-start", "-id")


def placements_of(scope: Scope, household_id: str) -> QuerySet[Placement]:
    """The household's placements inside the scope, newest first."""
    return Placement.objects.within(scope).filter(household_id=household_id).order_by("-start", "-id")


def people_of(scope: Scope, id_numbers: list[str]) -> dict[str, tuple[str, str]]:
    """证件号码 -> (姓名, 户编号) from the newest snapshot inside the scope listing the ID."""
    found: dict[str, tuple[str, str]] = {}
    rows = (Member.objects.within(scope).filter(id_number__in=[i for i in id_numbers if i])
            .order_by("id_number", "-year").values_list("id_number", "name", "household_key"))
    for id_number, name, household_id in rows:
        found.setdefault(id_number, (name, household_id))
    return found
