"""Analysis pages (issue 15): the upward report tables, policy scenarios, the MPI with its
households, the third-party sample (draw, field forms, results).

Thin views: each parses its form, calls one use case with the user's scope and the deployment's
policy, and renders. Every page needs the ANALYSE capability (the capabilities table); a region
outside the user's scope is a 404 from the use case's ``scope.narrow``. Nothing here writes: the
downloads are drawn again from their parameters (a seeded draw is the same every time).
"""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fupin import divisions
from fupin.accounts.scoping import Capability, Scope
from fupin.application import analytics_db, report_tables, scenario_db
from fupin.application import policy as policy_provider
from fupin.application.files import NothingToAssess
from fupin.assessments import selectors as assessment_selectors
from fupin.engine import policy as engine_policy
from fupin.engine import rules as R
from fupin.engine import sampling as S
from fupin.engine.mpi import INDICATORS as MPI_INDICATORS
from fupin.engine.mpi import MpiError
from fupin.engine.policy import PolicyError
from fupin.engine.scenario import ScenarioError, known_parameters
from fupin.io import ExchangeFormatError, report
from fupin.io import sampling as sample_io
from fupin.web import display, selectors
from fupin.web.access import scope_to
from fupin.web.downloads import XLSX, xlsx_download
from fupin.web.forms.analytics import (
    DrawForm,
    MpiForm,
    ReportForm,
    ResultsForm,
    ScenarioForm,
)

PAGE = 30
# The parameters a scenario can move that change a verdict, a category or a region figure (the
# others — deadlines, sampling sizes — leave a scenario's comparison as it is).
SCENARIO_PARAMETERS = (*engine_policy.STANDARD_PARAMETERS, *engine_policy.MONITORING_PARAMETERS,
                       "exit_incidence", "exit_incidence_west", "listed_village_poor_min",
                       "listed_village_incidence_min", "listed_deep_poverty")
# The comparison's columns on the page (the workbook of `fupin scenario` has them all).
SCENARIO_SHOWN = ("no", "income_unmet", "leads", "projected_poor_people", "shortfall_poverty",
                  "shortfall_monitoring")
SCENARIO_HEADERS = {
    "no": gettext_lazy("Not meeting the standard"), "income_unmet": gettext_lazy("Income below the line"),
    "leads": gettext_lazy("Monitoring leads"), "projected_poor_people": gettext_lazy("Projected poor people"),
    "shortfall_poverty": gettext_lazy("Income gap to the poverty line (yuan)"),
    "shortfall_monitoring": gettext_lazy("Income gap to the monitoring line (yuan)"),
}
# English names of the engine's Chinese labels (sampling); the Chinese ones are the engine's.
_SAMPLE_EN = {"wrong_exit": gettext_lazy("Wrong-exit rate"), "missed": gettext_lazy("Missed-household rate"),
              "approval": gettext_lazy("Public approval"), "composite_incidence": gettext_lazy("Composite incidence"),
              "overall": gettext_lazy("Overall"), "exited": gettext_lazy("Exited households"),
              "poor": gettext_lazy("Households in poverty"), "general": gettext_lazy("Other households"),
              "P": gettext_lazy("Poor village"), "N": gettext_lazy("Other village")}
_DECISIONS = {"pass": gettext_lazy("Pass"), "fail": gettext_lazy("Fail"), "no_data": gettext_lazy("No data"),
              "clear_pass": gettext_lazy("Clearly passes"), "clear_fail": gettext_lazy("Clearly fails"),
              "inconclusive": gettext_lazy("Inconclusive")}
_LEVEL_BELOW = {2: "county", 4: "county", 6: "town", 9: "village", 12: "village"}


def _scope(request) -> Scope:
    return scope_to(request, Capability.ANALYSE)


def _sample_label(key: str | None) -> str:
    if not key:
        return ""
    if display.lang() == "zh":
        return S.INDICATOR_LABELS.get(key) or S.STRATUM_LABELS.get(key, key)
    return str(_SAMPLE_EN.get(key, key))


def _indicator(key: str) -> str:
    return display.rule_label("indicator", key)


def _pct(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _num(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _yuan(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _defaults(request, scope: Scope, **extra) -> dict:
    """The GET parameters over the page's defaults (the latest assessed year, the user's region)."""
    data = {"year": assessment_selectors.latest_year(scope) or date.today().year, "region": scope.prefix, **extra}
    data.update({k: v for k, v in request.GET.items() if k != "page"})
    return data


def _query(data: dict, **changes) -> str:
    merged = {**{k: v for k, v in data.items() if v not in (None, "") and k != "page"}, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _level_below(prefix: str) -> str:
    return _LEVEL_BELOW.get(len(prefix), "town")


@login_required
def index(request):
    scope = _scope(request)
    year = assessment_selectors.latest_year(scope)
    return render(request, "analytics/index.html", {"year": year, "region": scope.prefix})


# --- report tables --------------------------------------------------------------------------------

@login_required
def report_page(request):
    scope = _scope(request)
    form = ReportForm(initial={"year": assessment_selectors.latest_year(scope) or date.today().year,
                               "month": date.today().month, "region": scope.prefix})
    return render(request, "analytics/report.html", {"form": form})


@login_required
def report_download(request):
    """The workbook of ``fupin report`` for the year, month and region asked (inside the scope)."""
    scope = _scope(request)
    form = ReportForm(request.GET)
    if form.is_valid():
        d = form.cleaned_data
        try:
            tables = report_tables.monthly_report(scope, d["year"], d["month"], d["region"] or None)
        except report_tables.NothingToReport as exc:
            form.add_error(None, display.bilingual(str(exc)))
        else:
            name = f"report-{tables.region or 'all'}-{tables.year}-{tables.month:02d}.xlsx"
            return xlsx_download(lambda path: report_tables.write_monthly_report(
                tables, path, policy=display.policy_title(policy_provider.current().identity)), name)
    return render(request, "analytics/report.html", {"form": form}, status=400)


# --- scenarios ----------------------------------------------------------------------------------

def _scenario_form(request, scope: Scope) -> ScenarioForm:
    policy = policy_provider.current()
    known = set(known_parameters(policy))
    parameters = [(p, display.parameter_label(p)) for p in SCENARIO_PARAMETERS if p in known]
    data = _defaults(request, scope, level="town") if request.GET else None
    initial = {"year": assessment_selectors.latest_year(scope) or date.today().year, "region": scope.prefix,
               "level": "town", "p1": "poverty_line"}
    return ScenarioForm(data, initial=initial, parameters=parameters)


def _run_scenario(scope: Scope, form: ScenarioForm):
    """(result, error) of the form's scenario; the error in the page's language."""
    d = form.cleaned_data
    try:
        result = scenario_db.scenario_in_db(scope, policy_provider.current(), d["year"], sets=d["sets"],
                                            level=d["level"], where=d["where"] or None, region=d["region"] or None)
    except (ScenarioError, PolicyError, NothingToAssess) as exc:
        return None, display.bilingual(display.name_parameters(str(exc)))
    return result, ""


@login_required
def scenario(request):
    """Try a line: baseline against the scenario, region by region, and the changed households.
    Nothing is written (the use case stores no run)."""
    scope = _scope(request)
    form = _scenario_form(request, scope)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        result, error = _run_scenario(scope, form)
        context["error"] = error
        if result is not None:
            query = dict(request.GET.items())
            rows = []
            for r in result.regions.to_dicts():
                drill = None
                if r["level"] != "total" and r["level"] != "village":
                    drill = "?" + _query(query, region=divisions.scope_prefix(r["code"]),
                                         level=_level_below(divisions.scope_prefix(r["code"])))
                changed = reverse("web:analysis_scenario_households") + "?" + _query(
                    query, within=divisions.scope_prefix(r["code"]) if r["level"] != "total" else "")
                rows.append({"row": r, "total": r["level"] == "total", "drill": drill, "changed_url": changed,
                             "cells": [(_yuan(r[f"{m}_base"]), _yuan(r[f"{m}_scen"])) if m.startswith("shortfall")
                                       else (r[f"{m}_base"], r[f"{m}_scen"]) for m in SCENARIO_SHOWN]})
            context.update({"rows": rows, "headers": [SCENARIO_HEADERS[m] for m in SCENARIO_SHOWN],
                            "settings": [(display.parameter_label(o.parameter), o.text) for o in result.overrides],
                            "base_policy": display.policy_title(result.base_policy)})
    return render(request, "analytics/scenario.html", context, status=400 if form.is_bound and form.errors else 200)


@login_required
def scenario_households(request):
    """The households whose verdict or monitoring category the scenario changes (under ``within``)."""
    scope = _scope(request)
    form = _scenario_form(request, scope)
    if not (form.is_bound and form.is_valid()):
        return render(request, "analytics/scenario.html", {"form": form}, status=400)
    result, error = _run_scenario(scope, form)
    if result is None:
        return render(request, "analytics/scenario.html", {"form": form, "error": error}, status=400)
    within = (request.GET.get("within") or "").strip()
    rows = result.households
    if within:
        rows = rows.filter(pl.col("region_code").str.starts_with(within))
    return _household_page(request, scope, form.cleaned_data["year"], rows, "analytics/scenario_households.html", {
        "within": within, "within_name": selectors.region_names(scope, [within]).get(within, within),
        "back": reverse("web:analysis_scenario") + "?" + _query(dict(request.GET.items()), within=""),
        "settings": [(display.parameter_label(o.parameter), o.text) for o in result.overrides],
    }, _scenario_row)


_VERDICT_EN = {"yes": gettext_lazy("Meets the standard"), "no": gettext_lazy("Does not meet the standard"),
               "unverified": gettext_lazy("To verify"), "error": gettext_lazy("Data error")}


def _verdict(value: str | None) -> str:
    if not value:
        return "—"
    if display.lang() == "zh":
        return R.VALUE_LABELS["meets_standard"].get(value, value)
    return str(_VERDICT_EN.get(value, value))


def _labels(kind: str, keys: str | None) -> list[str]:
    return [display.rule_label(kind, k) for k in (keys or "").split(";") if k]


def _scenario_row(r: dict) -> dict:
    return {"verdicts": (_verdict(r["meets_standard_base"]), _verdict(r["meets_standard_scen"])),
            "categories": (display.rule_label("category", r["monitoring_category_base"]) or "—",
                           display.rule_label("category", r["monitoring_category_scen"]) or "—"),
            "unmet": (_labels("indicator", r["unmet_base"]), _labels("indicator", r["unmet_scen"])),
            "gap": (_yuan(r["shortfall_poverty_base"]), _yuan(r["shortfall_poverty_scen"]))}


def _household_page(request, scope: Scope, year: int, rows: pl.DataFrame, template: str, context: dict, shape):
    """A page of households with the head's name, the village and 自然村 (names inside the scope)."""
    page = Paginator(rows.to_dicts(), PAGE).get_page(request.GET.get("page"))
    ids = [r["household_id"] for r in page.object_list]
    heads = selectors.heads_of(scope, year, ids)
    hamlets = selectors.hamlets_of(scope, year, ids)
    names = selectors.village_names(scope, [r["region_code"] for r in page.object_list])
    households = [{**r, **shape(r), "head": heads[r["household_id"]].name if r["household_id"] in heads else "",
                   "hamlet": hamlets.get(r["household_id"]) or "", "village": names.get(r["region_code"], r["region_code"]),
                   "url": reverse("web:household", args=[r["household_id"]]) + f"?year={year}"}
                  for r in page.object_list]
    query = _query(dict(request.GET.items()))
    return render(request, template, {**context, "households": households, "page": page, "total": rows.height,
                                      "year": year, "query": query})


# --- MPI ----------------------------------------------------------------------------------------

def _mpi_form(request, scope: Scope) -> MpiForm:
    return MpiForm(_defaults(request, scope, unknown="exclude"))


def _run_mpi(scope: Scope, d: dict, level: str):
    try:
        return analytics_db.mpi_table(scope, policy_provider.current(), year=d["year"], level=level,
                                      region=d["region"] or None, k=d["k"] or None, unknown=d["unknown"]), ""
    except (MpiError, PolicyError, NothingToAssess) as exc:
        return None, display.bilingual(str(exc))


@login_required
def mpi(request):
    """The MPI of the region's towns (or villages): the indicators' contributions as stacked bars
    and a ranking by M0; every count leads to the households behind it."""
    scope = _scope(request)
    form = _mpi_form(request, scope)
    context = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        area = scope.narrow(d["region"] or None)
        level = _level_below(area.prefix)
        outcome, error = _run_mpi(scope, d, level)
        context.update({"error": error, "region": selectors.region_of(scope, area.prefix) if area.prefix else None,
                        "crumbs": [(divisions.scope_prefix(r.code), r.name) for r in selectors.breadcrumbs(scope, area.prefix)]
                        if area.prefix else [],
                        "code": area.prefix, "years": assessment_selectors.years(scope), "year": d["year"]})
        if outcome is not None:
            context.update(_mpi_context(outcome.table, d, level))
    return render(request, "analytics/mpi.html", context, status=400 if form.errors else 200)


def _mpi_context(table: pl.DataFrame, d: dict, level: str) -> dict:
    used = [j for j in MPI_INDICATORS if table[f"contrib_{j}"].null_count() < table.height
            or table[f"h_{j}"].null_count() < table.height]
    base = {"year": d["year"], "k": d["k"], "unknown": d["unknown"]}
    households_url = reverse("web:analysis_mpi_households")
    total = table.filter(pl.col("level") == "total").to_dicts()
    regions = table.filter(pl.col("level") != "total").sort("M0", descending=True, nulls_last=True).to_dicts()

    def shaped(r: dict, rank: int | None) -> dict:
        code = divisions.scope_prefix(r["code"]) if r["code"] else d["region"]
        link = {"region": code, **base}
        return {"rank": rank, "code": r["code"], "name": r["name"] or r["code"] or _("Total"),
                "drill": None if rank is None or level == "village" else "?" + _query(link),
                "people": r["people"], "poor_people": r["poor_people"], "poor_households": r["poor_households"],
                "H": _pct(r["H"], 1), "A": _pct(r["A"], 1), "M0": _num(r["M0"]),
                "excluded": (r["excluded_unknown"] or 0) + (r["excluded_error"] or 0),
                "poor_url": households_url + "?" + _query(link),
                "contrib": [(_num(r[f"contrib_{j}"], 1) if r[f"contrib_{j}"] is not None else "—",
                             households_url + "?" + _query(link, indicator=j)) for j in used]}

    rows = [shaped(r, i + 1) for i, r in enumerate(regions)]
    chart_rows = sorted(regions, key=lambda r: r["code"])
    series = [{"type": "bar", "stack": "m0", "name": _indicator(j),
               "data": [None if r["M0"] is None or r[f"contrib_{j}"] is None
                        else round(r["M0"] * r[f"contrib_{j}"] / 100, 4) for r in chart_rows]} for j in used]
    chart = {"grid": {"left": 8, "right": 8, "top": 64, "bottom": 8, "containLabel": True},
             "tooltip": {"trigger": "axis"}, "legend": {"top": 0, "type": "plain"},
             "xAxis": {"type": "category", "data": [r["name"] or r["code"] for r in chart_rows],
                       "axisLabel": {"interval": 0, "rotate": 30}},
             "yAxis": {"type": "value", "name": "M0"}, "series": series,
             "drill": [households_url + "?" + _query({"region": divisions.scope_prefix(r["code"]), **base})
                       for r in chart_rows]}
    return {"rows": rows, "total": shaped(total[0], None) if total else None, "indicators": [_indicator(j) for j in used],
            "charts": {"contributions": chart}, "level": level,
            "weights": table["weights"][0] if table.height else "", "k_used": table["k"][0] if table.height else "",
            "policy": display.policy_title(table["policy"][0]) if table.height else ""}


@login_required
def mpi_households(request):
    """The multidimensionally poor households of a region (deprived in ``indicator`` if given)."""
    scope = _scope(request)
    form = _mpi_form(request, scope)
    if not form.is_valid():
        return render(request, "analytics/mpi.html", {"form": form}, status=400)
    d = form.cleaned_data
    indicator = request.GET.get("indicator") or ""
    if indicator and indicator not in MPI_INDICATORS:
        raise Http404
    area = scope.narrow(d["region"] or None)
    outcome, error = _run_mpi(scope, d, _level_below(area.prefix))
    if outcome is None:
        return render(request, "analytics/mpi.html", {"form": form, "error": error}, status=400)
    rows = outcome.households.filter(pl.col("poor").fill_null(False))
    if indicator:
        rows = rows.filter(pl.col("deprived").str.split(";").list.contains(indicator))
    rows = rows.sort("score", "region_code", "household_id", descending=[True, False, False])
    back = reverse("web:analysis_mpi") + "?" + _query({k: v for k, v in request.GET.items() if k != "indicator"})
    return _household_page(request, scope, d["year"], rows, "analytics/mpi_households.html", {
        "region_name": selectors.region_names(scope, [area.prefix]).get(area.prefix, area.prefix or _("Whole country")),
        "indicator": _indicator(indicator) if indicator else "", "back": back,
    }, lambda r: {"deprived_labels": _labels("indicator", r["deprived"])})


# --- sampling ------------------------------------------------------------------------------------

def _draw(scope: Scope, d: dict):
    try:
        return analytics_db.draw_sample(scope, policy_provider.current(), year=d["year"], region=d["region"],
                                        seed=d["seed"], purpose=d["purpose"], exited_since=d["exited_since"]), ""
    except (S.NothingToSample, PolicyError, NothingToAssess) as exc:
        return None, display.bilingual(str(exc))


@login_required
def sample(request):
    """Draw a sample: the villages and households drawn, and the two workbooks to download."""
    scope = _scope(request)
    form = DrawForm(request.GET or None, initial={"year": assessment_selectors.latest_year(scope),
                                                  "region": scope.prefix if len(scope.prefix) == 6 else "",
                                                  "purpose": "exit"})
    context = {"form": form}
    if form.is_bound and form.is_valid():
        outcome, error = _draw(scope, form.cleaned_data)
        context["error"] = error
        if outcome is not None:
            s = outcome.sample
            roles = dict(s.households.group_by("role").len().iter_rows())
            context.update({
                "query": _query(dict(request.GET.items())), "frame_households": outcome.frame.households.height, "digest": outcome.frame.digest[:16],
                "primary": roles.get("primary", 0), "reserve": roles.get("reserve", 0),
                "villages": s.cells["village_code"].n_unique(),
                "cells": [{**c, "stratum": _sample_label(c["household_stratum"]),
                           "village_stratum_label": _sample_label(c.get("village_stratum"))}
                          for c in s.cells.sort("village_rank", "village_code").to_dicts()],
            })
    return render(request, "analytics/sample.html", context, status=400 if form.is_bound and form.errors else 200)


@login_required
def sample_download(request, which: str):
    """The sample workbook (``sample``) or the surveyors' field forms (``forms``), drawn again
    from the same parameters: the same seed gives the same sample."""
    if which not in ("sample", "forms"):
        raise Http404
    scope = _scope(request)
    form = DrawForm(request.GET)
    if form.is_valid():
        d = form.cleaned_data
        outcome, error = _draw(scope, d)
        if outcome is not None:
            s = outcome.sample
            region = report.region_label(d["region"])
            name = f"{'sample' if which == 'sample' else 'field-forms'}-{d['region']}-{d['year']}-{d['seed']}.xlsx"
            if which == "sample":
                heading = report.Heading("第三方评估抽样", region=region, policy=policy_provider.current().identity)
                return xlsx_download(lambda p: sample_io.write_sample(s.strata, s.cells, s.households, p, heading), name)
            heading = report.Heading("第三方评估入户调查", region=region)
            return xlsx_download(lambda p: sample_io.write_field_forms(p, s.households, s.cells, heading), name)
        form.add_error(None, error)
    return render(request, "analytics/sample.html", {"form": form}, status=400)


def _saved(upload, folder: Path, stem: str) -> Path:
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
    target = folder / f"{stem}{suffix}"
    with open(target, "wb") as out:
        out.writelines(upload.chunks())
    return target


@login_required
def sample_results(request):
    """Upload the sample and the filled-in field forms: the estimates with their intervals and
    decisions, and the rows refused with their reasons (a workbook on request)."""
    scope = _scope(request)
    form = ResultsForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with tempfile.TemporaryDirectory() as folder:
            try:
                sample_path = _saved(d["sample"], Path(folder), "sample")
                if sample_path.suffix != ".xlsx":
                    raise ExchangeFormatError("样本文件应为抽样时下载的 .xlsx 工作簿",
                                              "the sample must be the .xlsx workbook of the draw")
                drawn = sample_io.read_sample(sample_path)
                if drawn["strata"].height == 0:
                    raise ExchangeFormatError("样本文件没有分层信息", "the sample has no strata rows")
                results = sample_io.read_results(_saved(d["results"], Path(folder), "results"), drawn["households"])
            except ExchangeFormatError as exc:
                form.add_error(None, display.bilingual(str(exc)))
                return render(request, "analytics/sample_results.html", context, status=400)
        heading = report.Heading("第三方评估测算", region=report.region_label(str(drawn["strata"]["region"][0])),
                                 policy=policy_provider.current().identity)
        if results.rejects.height:
            # Inline, so that the refused rows need neither a second upload nor a stored file.
            with tempfile.TemporaryDirectory() as folder:
                path = sample_io.write_results_rejects(results.rejects, Path(folder) / "rejects.xlsx", heading)
                context["rejects_href"] = f"data:{XLSX};base64," + base64.b64encode(path.read_bytes()).decode()
            context["rejects_name"] = f"results-rejects-{drawn['strata']['sample_id'][0]}.xlsx"
        try:
            outcome = analytics_db.estimate_sample(scope, policy_provider.current(), drawn, results.rows,
                                                   basis=d["basis"])
        except (PolicyError, NothingToAssess) as exc:
            form.add_error(None, display.bilingual(str(exc)))
            return render(request, "analytics/sample_results.html", context, status=400)
        context.update({
            "estimates": [_estimate_row(r) for r in outcome.table.to_dicts()],
            "warnings": [display.bilingual(w) for w in (*results.warnings, *outcome.warnings)],
            "rejects": [{**r, "reason": display.bilingual(r["reason"])} for r in results.rejects.head(200).to_dicts()],
            "rejected_rows": results.rejects.select("sheet", "row").n_unique() if results.rejects.height else 0,
            "accepted": results.rows.height, "sample_id": drawn["strata"]["sample_id"][0],
        })
    return render(request, "analytics/sample_results.html", context, status=400 if form.errors else 200)


def _estimate_row(r: dict) -> dict:
    percent = r["indicator"] != "overall"
    return {"key": r["indicator"], "label": _sample_label(r["indicator"]),
            "numerator": r["sample_numerator"], "denominator": r["sample_denominator"],
            "sample_rate": _pct(r["sample_rate"]) if percent else "", "estimate": _pct(r["estimate"]) if percent else "",
            "ci": f"{_pct(r['ci_low'])} – {_pct(r['ci_high'])}" if r["ci_low"] is not None else "",
            "threshold": f"{r['comparison'] or ''} {_pct(r['threshold'])}" if r["threshold"] is not None else "",
            "decision": str(_DECISIONS.get(r["decision"], r["decision"] or "")), "tone": {"pass": "good", "fail": "bad"}.get(
                r["decision"], ""),
            "ci_status": str(_DECISIONS.get(r["ci_status"], "")) if r["ci_status"] else ""}
