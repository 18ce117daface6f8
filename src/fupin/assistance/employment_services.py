"""Writes of the employment service outside an import: one post (岗位, 1.9) or one placement
(就业, 1.10) recorded on a page or the API.

Each goes through the import's own checks — the values become a one-row sheet validated as a
file's would be (E-codes, A02, A04, A10 …), so the page, the API and ``fupin assist import`` give
the same codes and Chinese messages — then is upserted by natural key with history (one
:class:`AssistanceBatch` per write, like ``services.record_measure``): recording the same row
twice changes nothing. S02 (a key already stored outside the writer's scope) is refused as the
import refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from fupin.accounts.scoping import Scope
from fupin.assistance import bulk
from fupin.assistance import employment_selectors as selectors
from fupin.assistance.models import Placement, Post
from fupin.assistance.services import checked_form_row, store_form_rows
from fupin.io.assistance import RegistryRef
from fupin.io.codes import CODES

ELSEWHERE = "该记录已由其他地区登记，不能由您导入或修改；如确需调整，请联系县级管理员"  # the import's S02 text


@dataclass
class RowOutcome:
    row: Post | Placement | None = None
    errors: dict[str, str] = field(default_factory=dict)   # field name -> Chinese message


def _elsewhere(zh_field: str) -> str:
    return f"{CODES['S02'][1]}：{ELSEWHERE}（{zh_field}）"


def record_post(scope: Scope, data: dict[str, str], *, today: date | None = None) -> RowOutcome:
    """One 岗位 listed by the scope (its ``region_code`` is the scope's prefix, as an import's);
    the same 岗位编号 again corrects it. A 岗位编号 listed by another region — one containing the
    scope included: a town cannot change its county's post — is S02."""
    rows, errors = checked_form_row("posts", data, RegistryRef.of(pl.DataFrame({"household_id": []}, schema={
        "household_id": pl.String}), pl.DataFrame(schema={"household_id": pl.String, "id_number": pl.String})),
        today=today)
    if errors:
        return RowOutcome(errors=errors)
    stored = selectors.stored_post(rows["post_id"][0])
    if stored is not None and not stored.region_code.startswith(scope.prefix):
        return RowOutcome(errors={"post_id": _elsewhere("岗位编号")})
    # A post already listed inside the scope stays where it was listed (a county correcting a
    # village's post does not take it over).
    region = stored.region_code if stored is not None else scope.prefix
    rows = rows.rename({"region_code": bulk.WORK_REGION}).with_columns(region_code=pl.lit(region))
    key = store_form_rows(scope, "posts", rows, region)
    return RowOutcome(Post.objects.within(scope).get(key=key))


def record_placement(scope: Scope, household_id: str, region_code: str, data: dict[str, str], *,
                     known_posts: frozenset[str], today: date | None = None) -> RowOutcome:
    """One 就业 of a member of a household already found inside the scope (``region_code``: its
    village). ``known_posts``: the 岗位编号 the writer may place people on (the posts he sees);
    any other is A10, as an unknown post is to the import."""
    data = {**data, "household_id": household_id}
    _households, members = bulk.registry_keys_of(household_id)
    ref = RegistryRef.of(pl.DataFrame({"household_id": [household_id]}), members, posts=known_posts)
    rows, errors = checked_form_row("placements", data, ref, today=today)
    if errors:
        return RowOutcome(errors=errors)
    rows = rows.with_columns(region_code=pl.lit(region_code))
    key = rows.select(bulk.natural_key("placements"))[0, 0]
    taken = bulk.stored_keys("placements", pl.Series([key], dtype=pl.String))
    if taken.filter(~pl.col("region_code").str.starts_with(scope.prefix)).height:
        return RowOutcome(errors={"id_number": _elsewhere("证件号码、开始日期")})
    key = store_form_rows(scope, "placements", rows, region_code)
    return RowOutcome(Placement.objects.within(scope).get(key=key))
