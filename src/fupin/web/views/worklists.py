"""Work lists of a village or town and their Excel export; dashboards of any region in scope."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fupin import divisions
from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Scope
from fupin.assessments import selectors as assessment_selectors
from fupin.engine import facts
from fupin.engine import rules as R
from fupin.io import report
from fupin.web import display, selectors
from fupin.web.access import scope_to

PAGE_SIZE = 25
LIST_TITLES = {
    "unmet": gettext_noop("Not meeting the standard"),
    "unknown": gettext_noop("To verify at a visit"),
    "leads": gettext_noop("Monitoring leads"),
    "elimination": gettext_noop("Ready for risk elimination"),
    "quality": gettext_noop("Data to fix"),
}


def _year(request, scope: Scope) -> int | None:
    try:
        return int(request.GET.get("year"))
    except (TypeError, ValueError):
        return assessment_selectors.latest_year(scope)


def _kind(request) -> str:
    kind = request.GET.get("list") or "unmet"
    if kind not in selectors.WORK_LISTS:
        raise Http404
    return kind


@login_required
def worklist(request, code: str):
    scope = scope_to(request)
    area = scope.narrow(code)
    year = _year(request, scope)
    kind = _kind(request)
    wl = selectors.work_list(area, year, kind, request.GET.get("key") or "")
    page = Paginator(wl.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    ids = sorted({r.household_id for r in rows})
    context = {
        "code": divisions.pad12(code), "region": selectors.region_of(scope, code),
        "crumbs": selectors.breadcrumbs(scope, code), "year": year, "kind": kind, "wl": wl, "page": page,
        "rows": rows, "heads": selectors.heads_of(area, year, ids) if year else {},
        "names": selectors.village_names(area, [r.region_code for r in rows]),
        "lists": [(k, _(t)) for k, t in LIST_TITLES.items()], "title": _(LIST_TITLES[kind]),
        "years": assessment_selectors.years(scope),
        "is_village": divisions.level_of(divisions.pad12(code)) == "village",
    }
    template = "fupin/web/partials/worklist_rows.html" if request.htmx else "fupin/web/worklist.html"
    return render(request, template, context)


@login_required
def worklist_export(request, code: str):
    """The work list as a workbook a cadre hands on: title, region, date, policy, Chinese headers,
    组 and phone (masked unless the role may reveal it; the download is then logged), 合计."""
    scope = scope_to(request)
    area = scope.narrow(code)
    year = _year(request, scope)
    kind = _kind(request)
    reveal = scope.can_see_sensitive
    # The workbook is handed on as it is: Chinese whatever the page's language.
    with translation.override("zh-hans"):
        wl = selectors.work_list(area, year, kind, request.GET.get("key") or "")
        table = selectors.work_list_table(area, wl, year, kind, reveal_phones=reveal)
        key_label = {k: label for k, label, _n in wl.counts}.get(wl.key, "") if wl.key else ""
        title = f"{year}年度工作清单：{_(LIST_TITLES[kind])}" + (f"（{key_label}）" if key_label else "")
        policy = "；".join(display.policy_title(p) for p in table.policies)
    region = selectors.region_of(scope, code)
    prefix = divisions.scope_prefix(code)
    heading = report.Heading(title, f"{region.name} {prefix}" if region else report.region_label(prefix), policy=policy)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=True)  # noqa: SIM115 - FileResponse closes it
    report.write_report(tmp.name, [report.Sheet("清单", table.frame, table.columns, title=title,
                                                count_unit="条" if kind == "quality" else "户")], heading)
    if reveal and table.frame.height:
        SensitiveView.objects.create(user=request.user, household_id="", year=year or 0,
                                     region_code=divisions.scope_prefix(code), what=f"download:worklist-{kind}"[:32])
    tmp.seek(0)
    filename = f"worklist-{kind}-{divisions.scope_prefix(code)}-{year}.xlsx"
    return FileResponse(tmp, as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- dashboards ---------------------------------------------------------------------------------

STATUS_ORDER = facts.REGISTRY_STATUSES


def _chart_options(stat, children, trend, drill_codes) -> dict:
    indicators = display.rule_labels("indicator")
    categories = {k: display.rule_label("category", k) for k in R.WORK_LIST_CATEGORIES}
    by_status = stat.households_by_status if stat else {}
    unmet = stat.unmet if stat else {}
    leads = stat.leads if stat else {}

    def bar(labels, values, **extra):
        return {"grid": {"left": 8, "right": 8, "top": 24, "bottom": 8, "containLabel": True},
                "tooltip": {}, "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 30}},
                "yAxis": {"type": "value", "minInterval": 1}, "series": [{"type": "bar", "data": values, **extra}]}

    return {
        # Names in a legend under the pie: a phone's width cannot hold them beside it.
        # Every name shown at once (a scrolling legend hid the last ones on a phone).
        "status": {"tooltip": {}, "legend": {"bottom": 0, "type": "plain"},
                   "series": [{"type": "pie", "radius": ["28%", "54%"], "center": ["50%", "42%"],
                               "label": {"formatter": "{c}"}, "minShowLabelAngle": 3,
                               "data": [{"name": display.status_label(s), "value": by_status.get(s, 0)}
                                        for s in STATUS_ORDER]}]},
        "unmet": bar(list(indicators.values()), [unmet.get(k, 0) for k in indicators]),
        "leads": bar(list(categories.values()), [leads.get(k, 0) for k in categories]),
        "trend": {"grid": {"left": 8, "right": 8, "top": 16, "bottom": 36, "containLabel": True},
                  "tooltip": {"trigger": "axis"}, "legend": {"bottom": 0},
                  "xAxis": {"type": "category", "data": [str(s.year) for s in trend]},
                  "yAxis": {"type": "value", "minInterval": 1},
                  "series": [{"name": _("Remaining poor"), "type": "line",
                              "data": [s.remaining_poor_people for s in trend]},
                             {"name": _("Registered households"), "type": "line",
                              "data": [s.registered_households for s in trend]}]},
        "ranking": {**bar([c.name for c in children], [c.remaining_poor_people for c in children]),
                    "drill": drill_codes},
    }


@login_required
def dashboard(request, code: str):
    scope = scope_to(request)
    scope.narrow(code)
    try:
        year = int(request.GET["year"])
    except (KeyError, ValueError):
        year = None
    year, stat, children, trend = selectors.dashboard(scope, code, year)
    drill = [reverse("web:dashboard", args=[c.code]) + (f"?year={year}" if year else "") for c in children]
    level = divisions.level_of(divisions.pad12(code))
    context = {
        "code": divisions.pad12(code), "prefix": divisions.scope_prefix(code), "level": level,
        "region": selectors.region_of(scope, code), "crumbs": selectors.breadcrumbs(scope, code),
        "year": year, "stat": stat, "trend": trend,
        "children": [(c, url, sum((c.leads or {}).get(k, 0) for k in R.LEAD_CATEGORIES)) for c, url in zip(children, drill)],
        "status_rows": [(s, (stat.households_by_status or {}).get(s, 0), (stat.people_by_status or {}).get(s, 0))
                        for s in STATUS_ORDER] if stat else [],
        "unmet_rows": [(k, lab, (stat.unmet or {}).get(k, 0)) for k, lab in display.rule_labels("indicator").items()]
        if stat else [],
        "lead_rows": [(k, display.rule_label("category", k), (stat.leads or {}).get(k, 0))
                      for k in R.WORK_LIST_CATEGORIES] if stat else [],
        "charts": _chart_options(stat, children, trend, drill),
        "show_worklists": level in ("town", "village", "county"),
    }
    return render(request, "fupin/web/dashboard.html", context)
