"""Employment service pages (issue 13 item 2, web): one menu entry with three tabs —

* 岗位: the posts the user's region sees (kind, place, pay, planned against holders, open or
  closed today), a filter by kind and by state, a post's page with its holders inside the region
  (names, household links, masked ID numbers), the form to list a post;
* recording a placement (登记就业) of a member of a household, from the household's page;
* 公益岗位检查: R7's findings (B01–B12) for a region and year, grouped by code, with an Excel
  download; 送工送岗: R10's offers for the region, with an Excel download.

Thin views: each reads and writes through one use case of :mod:`fupin.application.employment_db`;
a household or post outside the scope is a 404 before any right is checked, a role without EDIT
gets a 403 on a write. Labels only are decided here.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from fupin import divisions
from fupin.accounts.scoping import Capability, Scope
from fupin.application import employment_db as use
from fupin.application import policy as policy_provider
from fupin.application.files import NothingToAssess
from fupin.engine.assistance import employment as E
from fupin.engine.assistance import schema as S
from fupin.engine.policy import PolicyError
from fupin.io import report
from fupin.registry import selectors as registry_selectors
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import int_or_none, report_download
from fupin.web.forms.employment import PlacementForm, PostForm

STATE_LABELS = {"open": pgettext_lazy("post", "Open"), "closed": pgettext_lazy("post", "Closed"),
                "upcoming": pgettext_lazy("post", "Not yet published")}
SEVERITY_LABELS = {"error": pgettext_lazy("finding", "Error"), "warning": pgettext_lazy("finding", "Warning")}
FIRST_YEAR, LAST_YEAR = 2000, 2100
SHOWN_PER_CODE = 100




def _date(value) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


# --- posts ---------------------------------------------------------------------------------------

def _post_row(view) -> dict:
    return {"post": view.post, "holders": view.holders, "openings": view.openings, "state": view.state,
            "state_label": STATE_LABELS[view.state], "writable": view.writable}


def _place_names(scope: Scope, codes) -> dict[str, str]:
    """Names of posts' 工作地区划: the official table (a post may lie far outside the user's
    region: 东西部协作), then the villages the user sees."""
    official = divisions.names()
    names = {c: official[divisions.pad12(c)] for c in codes if c and divisions.pad12(c) in official}
    return names | selectors.region_names(scope, [c for c in codes if c and c not in names])


@login_required
def posts(request):
    scope = scope_to(request)
    kind = request.GET.get("kind") or ""
    kind = kind if kind in S.POST_KINDS else ""
    state = request.GET.get("state") or ""
    state = state if state in use.POST_STATES else ""
    rows = use.post_list(scope, kind=kind or None, state=state or None)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    names = _place_names(scope, [v.post.work_region for v in page.object_list])
    return render(request, "employment/posts.html", {
        "tab": "posts", "page": page, "rows": [_post_row(v) for v in page.object_list], "total": len(rows),
        "kinds": S.POST_KINDS, "kind": kind, "states": [(s, STATE_LABELS[s]) for s in use.POST_STATES],
        "state": state, "names": names, "can_edit": scope.can(Capability.EDIT), "today": date.today(),
        "query": "&".join(f"{k}={v}" for k, v in (("kind", kind), ("state", state)) if v)})


@login_required
def post_detail(request, post_id: str):
    scope = scope_to(request)
    detail = use.post_detail(scope, post_id)
    work = detail.view.post.work_region
    return render(request, "employment/post.html", {
        "tab": "posts", "row": _post_row(detail.view), "post": detail.view.post, "placements": detail.placements,
        "work_region_name": _place_names(scope, [work]).get(work, ""),
        "today": date.today()})


@login_required
def post_new(request):
    scope = scope_to(request)
    if not scope.can(Capability.EDIT):
        raise PermissionDenied
    if request.method == "POST":
        form = PostForm(request.POST)
        if form.is_valid():
            out = use.record_post(scope, form.post_data())
            if not out.errors:
                messages.success(request, _("Post saved: %(name)s") % {"name": out.row.name})
                return redirect("web:employment_post", post_id=out.row.post_id)
            form.show_errors(out.errors)
    else:
        form = PostForm()
    return render(request, "employment/post_form.html", {"tab": "posts", "form": form})


# --- placements ----------------------------------------------------------------------------------

def _post_label(view) -> str:
    left = _("%(n)d left") % {"n": view.openings}
    return f"{view.post.name}（{view.post.employer}，{view.post.place or '—'}，{left}）"


def _member_label(member) -> str:
    return f"{member.name}（{member.relationship or '—'}）" if member.relationship else member.name


@login_required
def placement_new(request, household_id: str):
    """登记就业: one placement of a member of the household (its newest snapshot in the scope)."""
    scope = scope_to(request)
    household = registry_selectors.household_file(scope, household_id, None)  # 404 first when out of scope
    if not scope.can(Capability.EDIT):
        raise PermissionDenied
    members = [m for m in household.members.all() if m.id_number]
    open_posts = use.placeable_posts(scope)
    posts_choices = [(v.post.post_id, _post_label(v)) for v in open_posts]
    kwargs = {"members": [(m.pk, _member_label(m)) for m in members], "posts": posts_choices}
    if request.method == "POST":
        form = PlacementForm(request.POST, **kwargs)
        if form.is_valid():
            ids = {str(m.pk): m.id_number for m in members}
            out = use.record_placement(scope, household.household_id, form.placement_data(ids))
            if not out.errors:
                messages.success(request, _("Employment recorded."))
                return redirect(reverse("web:employment_placement_new", args=[household.household_id]) + "#placements")
            form.show_errors(out.errors)
    else:
        wanted = request.GET.get("post") or ""
        form = PlacementForm(initial={"post": wanted} if wanted in {p for p, _l in posts_choices} else {}, **kwargs)
    placed = use.household_placements(scope, household.household_id)
    return render(request, "employment/placement_form.html", {
        "tab": "posts", "form": form, "household": household, "placements": placed})


# --- R7 and R10 ----------------------------------------------------------------------------------

def _region_and_year(request, scope: Scope) -> tuple[str, int | None]:
    """The region asked for (default the user's; 404 outside it) and the year (default the
    newest stored registry year)."""
    region = (request.GET.get("region") or "").strip()
    area = scope.narrow(region or None)
    year = int_or_none(request.GET.get("year"))
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        year = use.default_year(area)
    return area.prefix, year


def _run(fn, *args, **kwargs):
    """(result, error in words) — the error when the figures cannot be made."""
    try:
        return fn(*args, **kwargs), ""
    except (NothingToAssess, PolicyError) as exc:
        return None, display.bilingual(str(exc))


def _heading_region(scope: Scope, prefix: str) -> str:
    region = selectors.region_of(scope, prefix) if prefix else None
    return f"{region.name} {prefix}" if region else report.region_label(prefix)


def _page_context(scope: Scope, prefix: str, year: int | None, tab: str) -> dict:
    return {"tab": tab, "year": year, "region_code": prefix,
            "region": selectors.region_of(scope, prefix) if prefix else None,
            "query": f"region={prefix}&year={year}" if year else f"region={prefix}"}


@login_required
def checks(request):
    """公益岗位检查: R7's findings grouped by code, errors first (B06 双岗 and B10 死亡/减少 among them)."""
    scope = scope_to(request)
    prefix, year = _region_and_year(request, scope)
    context = _page_context(scope, prefix, year, "checks")
    if year is None:
        context["error"] = _("No registry data yet.")
        return render(request, "employment/checks.html", context)
    data, error = _run(use.check_report, scope, policy_provider.current(), year=year, region=prefix or None)
    context["error"] = error
    if data is not None:
        frame = data.findings
        names = selectors.village_names(scope, frame["region_code"].drop_nulls().unique().to_list())
        groups = []
        for code in use.R7_CODES:
            found = frame.filter(pl.col("code") == code)
            zh, en = E.LABELS[code]
            groups.append({"code": code, "label": zh if display.lang() == "zh" else en,
                           "severity": E.SEVERITY[code], "severity_label": SEVERITY_LABELS[E.SEVERITY[code]],
                           "count": data.counts[code], "rows": found.head(SHOWN_PER_CODE).to_dicts(),
                           "more": max(found.height - SHOWN_PER_CODE, 0)})
        context.update({"data": data, "groups": groups, "names": names, "total": frame.height})
    return render(request, "employment/checks.html", context)


CHECK_COLUMNS = (report.Column("code", "问题代码", "code"), report.Column("label", "问题"),
                 report.Column("severity_label", "严重程度"), report.Column("village", "村"),
                 report.Column("household_id", "户编号", "code"), report.Column("head_name", "户主姓名"),
                 report.Column("id_number", "证件号码", "code"), report.Column("ref", "岗位"),
                 report.Column("message_zh", "说明"))
COUNT_COLUMNS = (report.Column("code", "问题代码", "code"), report.Column("label", "问题"),
                 report.Column("severity_label", "严重程度"), report.Column("count", "条数", "count", total=True))
SEVERITY_ZH = {"error": "错误", "warning": "提示"}


def _village_column(names: dict[str, str]) -> pl.Expr:
    return pl.col("region_code").replace_strict(names, default=pl.col("region_code"), return_dtype=pl.String)


@login_required
def checks_export(request):
    scope = scope_to(request)
    prefix, year = _region_and_year(request, scope)
    data, error = _run(use.check_report, scope, policy_provider.current(), year=year, region=prefix or None) \
        if year is not None else (None, _("No registry data yet."))
    if data is None:
        messages.error(request, error)
        return redirect(reverse("web:employment_checks") + f"?region={prefix}")
    frame = data.findings
    names = selectors.village_names(scope, frame["region_code"].drop_nulls().unique().to_list())
    findings = frame.with_columns(village=_village_column(names),
                                  severity_label=pl.col("severity").replace_strict(SEVERITY_ZH, default=None,
                                                                                   return_dtype=pl.String))
    counts = pl.DataFrame({"code": list(use.R7_CODES), "label": [E.LABELS[c][0] for c in use.R7_CODES],
                           "severity_label": [SEVERITY_ZH[E.SEVERITY[c]] for c in use.R7_CODES],
                           "count": [data.counts[c] for c in use.R7_CODES]})
    sheets = [report.Sheet("按问题", counts, COUNT_COLUMNS, title=f"{year}年度 公益性岗位检查：按问题"),
              report.Sheet("问题清单", findings, CHECK_COLUMNS, title=f"{year}年度 公益性岗位检查：问题清单",
                           count_unit="条")]
    heading = report.Heading("公益性岗位检查", _heading_region(scope, data.region), date=data.as_of,
                             policy=display.policy_title(policy_provider.current().identity))
    return report_download(sheets, heading, f"public-posts-{data.region or 'all'}-{year}.xlsx")


@login_required
def offers(request):
    """送工送岗: each uncovered able member with up to five open posts (R10)."""
    scope = scope_to(request)
    prefix, year = _region_and_year(request, scope)
    context = _page_context(scope, prefix, year, "offers")
    if year is None:
        context["error"] = _("No registry data yet.")
        return render(request, "employment/offers.html", context)
    data, error = _run(use.offers_report, scope, policy_provider.current(), year=year, region=prefix or None,
                       as_of=_offers_as_of(year))
    context["error"] = error
    if data is not None:
        people: dict[str, dict] = {}
        for r in data.offers.to_dicts():
            person = people.setdefault(r["id_number"] or r["household_id"], {
                "name": r["name"], "id_number": r["id_number"], "household_id": r["household_id"],
                "region_code": r["region_code"], "labour": r["labour"], "away": r["away"], "posts": []})
            if r["post_id"]:
                person["posts"].append(r)
        page = Paginator(list(people.values()), 30).get_page(request.GET.get("page"))
        names = selectors.village_names(scope, [p["region_code"] for p in page.object_list])
        context.update({"data": data, "page": page, "people": page.object_list, "names": names})
    return render(request, "employment/offers.html", context)


def _offers_as_of(year: int) -> date:
    """R10 on today for the current year (the posts open now), else on the year's last day."""
    today = date.today()
    return today if today.year == year else date(year, 12, 31)


OFFER_COLUMNS = (report.Column("village", "村"), report.Column("household_id", "户编号", "code"),
                 report.Column("name", "姓名"), report.Column("id_number", "证件号码", "code"),
                 report.Column("labour", "劳动技能"), report.Column("away", "外出意愿"),
                 report.Column("rank", "推荐序号", "count"), report.Column("post_id", "岗位编号", "code"),
                 report.Column("post_name", "岗位名称"), report.Column("kind", "类别"),
                 report.Column("employer", "用人单位"), report.Column("place", "工作地类别"),
                 report.Column("monthly_pay", "月薪酬", "money"), report.Column("openings", "空缺人数", "count"))


@login_required
def offers_export(request):
    scope = scope_to(request)
    prefix, year = _region_and_year(request, scope)
    data, error = _run(use.offers_report, scope, policy_provider.current(), year=year, region=prefix or None,
                       as_of=_offers_as_of(year)) if year is not None else (None, _("No registry data yet."))
    if data is None:
        messages.error(request, error)
        return redirect(reverse("web:employment_offers") + f"?region={prefix}")
    frame = data.offers
    names = selectors.village_names(scope, frame["region_code"].drop_nulls().unique().to_list())
    frame = frame.with_columns(village=_village_column(names))
    sheets = [report.Sheet("送工送岗", frame, OFFER_COLUMNS, title=f"{year}年度 送工送岗推荐清单",
                           notes=[f"未覆盖人员 {data.uncovered} 人，其中暂无合适岗位 {data.without_post} 人。"])]
    heading = report.Heading("送工送岗", _heading_region(scope, data.region), date=data.as_of,
                             policy=display.policy_title(policy_provider.current().identity))
    return report_download(sheets, heading, f"job-offers-{data.region or 'all'}-{year}.xlsx")

