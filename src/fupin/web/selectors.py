"""Reads for the work lists and dashboards, always within the user's scope.

Work lists read the current verdicts (one row per household of the year, from the latest run
that assessed it) and data-quality findings of a region; dashboards read precomputed RegionStat
rows only, never the registry itself, so a page's cost does not grow with the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from fupin import divisions
from fupin.accounts.scoping import Scope
from fupin.assessments import selectors as assessment_selectors
from fupin.assessments.models import RegionStat
from fupin.engine import idnumber
from fupin.engine import rules as R
from fupin.io import report
from fupin.registry.models import Household, Member, Region
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


def hamlets_of(scope: Scope, year: int, household_ids: list[str]) -> dict[str, str]:
    """自然村 of a page of households, in one query."""
    rows = Household.objects.within(scope).filter(year=year, household_id__in=household_ids)
    return dict(rows.values_list("household_id", "hamlet"))


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


@dataclass
class WorkListTable:
    """A whole work list laid out for a workbook (:mod:`fupin.io.report`)."""

    columns: list[report.Column]
    frame: pl.DataFrame
    policies: list[str]


_BASE_COLUMNS = [
    report.Column("household_id", "户编号", "code"), report.Column("village_name", "村"),
    report.Column("hamlet", "自然村（组）"), report.Column("region_code", "区划代码", "code"),
    report.Column("head_name", "户主"), report.Column("head_id_number", "户主证件号码", "code"),
    report.Column("phone", "联系电话", "code"),
]
_VERDICT_COLUMNS = [
    report.Column("population", "人口数", "count", total=True), report.Column("meets_standard", "是否达标"),
    report.Column("unmet", "未达标指标"), report.Column("unknown", "不详指标"),
    report.Column("monitoring_category", "监测类别"), report.Column("risk_factors", "风险因素"),
    report.Column("elimination", "风险消除"), report.Column("per_capita_net_income", "人均纯收入", "money"),
    report.Column("errors", "数据错误"),
]
_FINDING_COLUMNS = [
    report.Column("code", "问题代码", "code"), report.Column("check_label", "检查项"),
    report.Column("severity", "严重程度"), report.Column("member_name", "成员"), report.Column("message", "说明"),
]
_CHUNK = 2000


def work_list_table(scope: Scope, wl: WorkList, year: int, kind: str, *, reveal_phones: bool) -> WorkListTable:
    """The whole work list for Excel, in Chinese: village and 组 beside the code, the head with
    the ID number masked, the phone masked unless ``reveal_phones`` (a role that may reveal it,
    the download logged by the caller). Read a chunk of rows at a time (bounded queries)."""
    is_findings = kind == "quality"
    columns = _BASE_COLUMNS + (_FINDING_COLUMNS if is_findings else _VERDICT_COLUMNS)
    rows: list[dict] = []
    policies: set[str] = set()
    chunk: list = []

    def flush():
        ids = [r.household_id for r in chunk]
        heads = heads_of(scope, year, ids)
        households = {h["household_id"]: h for h in Household.objects.within(scope).filter(
            year=year, household_id__in=ids).values("household_id", "hamlet", "phone")}
        names = village_names(scope, [r.region_code for r in chunk])
        for r in chunk:
            head = heads.get(r.household_id)
            household = households.get(r.household_id, {})
            phone = household.get("phone") or ""
            row = {"household_id": r.household_id, "village_name": names.get(r.region_code, ""),
                   "hamlet": household.get("hamlet") or "", "region_code": r.region_code,
                   "head_name": head.name if head else "", "head_id_number": idnumber.mask(head.id_number) if head else "",
                   "phone": phone if reveal_phones else idnumber.mask(phone)}
            if is_findings:
                row |= {"code": r.code, "check_label": R.label("quality", r.code) if r.code in R.QUALITY_CODES else r.code,
                        "severity": R.VALUE_LABELS["severity"].get(r.severity, r.severity),
                        "member_name": r.member_name, "message": r.message_zh}
            else:
                policies.add(r.policy)
                row |= {
                    "population": r.population,
                    "meets_standard": R.VALUE_LABELS["meets_standard"].get(r.meets_standard, r.meets_standard),
                    "unmet": "、".join(R.label("indicator", k) for k in r.unmet.split(";") if k),
                    "unknown": "、".join(R.label("indicator", k) for k in r.unknown.split(";") if k),
                    "monitoring_category": R.label("category", r.monitoring_category)
                    if r.monitoring_category in R.CATEGORIES and r.monitoring_category != "none" else "",
                    "risk_factors": "、".join(R.label("risk", k) for k in r.risk_factors.split(";") if k),
                    "elimination": R.VALUE_LABELS["elimination"].get(r.elimination, r.elimination),
                    "per_capita_net_income": r.per_capita_net_income, "errors": r.errors,
                }
            rows.append(row)

    for row in wl.rows.iterator(chunk_size=_CHUNK):
        chunk.append(row)
        if len(chunk) == _CHUNK:
            flush()
            chunk = []
    if chunk:
        flush()
    schema = {c.key: pl.Int64 if c.kind == "count" else pl.Float64 if c.kind == "money" else pl.String
              for c in columns}
    return WorkListTable(columns, pl.DataFrame(rows, schema=schema), sorted(p for p in policies if p))


def region_names(scope: Scope, codes) -> dict[str, str]:
    """Names of regions given by code or prefix (``500101`` = 万州区), keyed as given; one query."""
    wanted = {c: divisions.pad12(c) for c in set(codes) if c and str(c).isdigit() and len(str(c)) <= 12}
    found = dict(Region.objects.within(scope).filter(code__in=set(wanted.values())).values_list("code", "name"))
    return {c: found[full] for c, full in wanted.items() if full in found}
