"""Reads for the work lists and dashboards, always within the user's scope.

Work lists read the current verdicts (one row per household of the year, from the latest run
that assessed it) and data-quality findings of a region; dashboards read precomputed RegionStat
rows only, never the registry itself, so a page's cost does not grow with the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.assessments import selectors as assessment_selectors
from fupin.assessments.models import RegionStat
from fupin.engine import idnumber
from fupin.engine import rules as R
from fupin.registry.models import Member, Region
from fupin.web import display

WORK_LISTS = ("unmet", "unknown", "leads", "elimination", "quality")


def region_of(scope: Scope, code: str) -> Region | None:
    area = scope.narrow(code)
    return Region.objects.within(area).filter(code=divisions.pad12(area.prefix)).first()


def breadcrumbs(scope: Scope, code: str) -> list[Region]:
    """The region and its ancestors the user may see, top first (one query)."""
    code12 = divisions.pad12(code)
    ancestors = {code12[:n] + "0" * (12 - n) for n in (2, 4, 6, 9, 12)}
    rows = Region.objects.within(scope).filter(code__in=ancestors)
    return sorted(rows, key=lambda r: len(divisions.scope_prefix(r.code)))


@dataclass
class WorkList:
    kind: str
    key: str                 # indicator, category, elimination value or finding code ('' = all)
    counts: list[tuple[str, str, int]]   # (key, label, households)
    rows: QuerySet
    total: int


def _counts(qs: QuerySet, conditions: dict[str, Q], label) -> list[tuple[str, str, int]]:
    figures = qs.aggregate(**{k: Count("pk", filter=c) for k, c in conditions.items()})
    return [(k, label(k), figures[k] or 0) for k in conditions]


def work_list(scope: Scope, year: int, kind: str, key: str = "") -> WorkList:
    verdicts = assessment_selectors.current_verdicts(scope, year)
    if kind == "unmet":
        conditions = {k: Q(**{k: "unmet"}) for k in R.INDICATORS}
        counts = _counts(verdicts, conditions, lambda k: display.rule_label("indicator", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.filter(meets_standard="no")
    elif kind == "unknown":
        conditions = {k: Q(**{k: "unknown"}) for k in R.INDICATORS}
        counts = _counts(verdicts, conditions, lambda k: display.rule_label("indicator", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.exclude(unknown="")
    elif kind == "leads":
        conditions = {k: Q(monitoring_category=k) for k in R.WORK_LIST_CATEGORIES}
        counts = _counts(verdicts, conditions, lambda k: display.rule_label("category", k))
        rows = verdicts.filter(conditions[key]) if key in conditions else verdicts.filter(
            monitoring_category__in=R.WORK_LIST_CATEGORIES)
    elif kind == "elimination":
        labels = R.VALUE_LABELS["elimination"]
        conditions = {k: Q(elimination=k) for k in labels}
        counts = _counts(verdicts, conditions, lambda k: labels[k] if display.lang() == "zh" else k.replace("_", " "))
        rows = verdicts.filter(conditions.get(key or "ready", conditions["ready"]))
        key = key or "ready"
    elif kind == "quality":
        findings = assessment_selectors.current_findings(scope, year)
        by_code = findings.values("code").annotate(n=Count("household_id", distinct=True)).order_by("code")
        counts = [(r["code"], display.quality_label(r["code"]), r["n"]) for r in by_code]
        rows = (findings.filter(code=key) if key else findings).order_by("region_code", "household_id", "code")
        return WorkList(kind, key, counts, rows, rows.count())
    else:
        raise Http404("unknown work list")
    rows = rows.order_by("region_code", "household_id")
    return WorkList(kind, key, counts, rows, rows.count())


def heads_of(scope: Scope, year: int, household_ids: list[str]) -> dict[str, Member]:
    """Household heads of a page of households, in one query."""
    members = Member.objects.within(scope).filter(year=year, household_key__in=household_ids, relationship="户主")
    return {m.household_key: m for m in members.only("household_key", "name", "id_number")}


def village_names(scope: Scope, codes: list[str]) -> dict[str, str]:
    return dict(Region.objects.within(scope).filter(code__in=set(codes)).values_list("code", "name"))


# --- dashboards ------------------------------------------------------------------------------

def dashboard(scope: Scope, code: str, year: int | None):
    """(year, stat of the region, stats of its subregions, trend across years) — RegionStat rows only."""
    trend = list(assessment_selectors.region_trend(scope, code))
    if year is None and trend:
        year = trend[-1].year
    stat = next((s for s in trend if s.year == year), None)
    children = list(assessment_selectors.subregion_stats(scope, code, year)) if year else []
    return year, stat, children, trend


def national_overview(scope: Scope) -> tuple[int | None, list[RegionStat]]:
    """Province figures of the latest year, for users whose scope is the whole country."""
    return assessment_selectors.province_overview(scope)


def work_list_table(scope: Scope, wl: WorkList, year: int, kind: str) -> tuple[list[str], Iterator[list]]:
    """The whole work list as a table for Excel: its header and its rows, heads fetched per
    chunk (bounded memory); ID numbers masked."""
    is_findings = kind == "quality"
    header = ["户编号", "区划代码", "户主", "户主证件号码"]
    header += ["问题代码", "严重程度", "成员", "说明"] if is_findings else [
        "是否达标", "未达标指标", "不详指标", "监测类别", "风险因素", "风险消除", "人均纯收入", "数据错误"]
    return header, _table_rows(scope, wl, year, kind)


def _table_rows(scope: Scope, wl: WorkList, year: int, kind: str) -> Iterator[list]:
    chunk: list = []

    def flush():
        heads = heads_of(scope, year, [r.household_id for r in chunk])
        for r in chunk:
            head = heads.get(r.household_id)
            base = [r.household_id, r.region_code, head.name if head else "",
                    idnumber.mask(head.id_number) if head else ""]
            if kind == "quality" and hasattr(r, "code"):
                yield base + [r.code, r.severity, r.member_name, r.message_zh]
            else:
                yield base + [
                    R.VALUE_LABELS["meets_standard"].get(r.meets_standard, r.meets_standard),
                    "、".join(R.label("indicator", k) for k in r.unmet.split(";") if k),
                    "、".join(R.label("indicator", k) for k in r.unknown.split(";") if k),
                    R.label("category", r.monitoring_category) if r.monitoring_category in R.CATEGORIES else "",
                    "、".join(R.label("risk", k) for k in r.risk_factors.split(";") if k),
                    R.VALUE_LABELS["elimination"].get(r.elimination, r.elimination),
                    r.per_capita_net_income, r.errors,
                ]

    for row in wl.rows.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) == 2000:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def region_names(scope: Scope, codes) -> dict[str, str]:
    """Names of regions given by code or prefix (``500101`` = 万州区), keyed as given; one query."""
    wanted = {c: divisions.pad12(c) for c in set(codes) if c and str(c).isdigit() and len(str(c)) <= 12}
    found = dict(Region.objects.within(scope).filter(code__in=set(wanted.values())).values_list("code", "name"))
    return {c: found[full] for c, full in wanted.items() if full in found}
