"""The JSON API. Endpoints are thin: they parse, call one selector (reads) or one use case of
:mod:`fupin.application` (writes, jobs) with the caller's scope, and render (out of scope → 404,
wrong role → 403)."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import FileResponse
from django.utils import timezone, translation
from ninja import File, Form, NinjaAPI
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Capability, Scope
from fupin.api import schemas as S
from fupin.api.auth import AUTH
from fupin.api.monitoring import lead_out
from fupin.api.params import (
    FIRST_YEAR,
    LAST_YEAR,
    NO_NUL,
    HouseholdKey,
    Page,
    Region,
    RegionPath,
    RowId,
    Year,
    choice,
)
from fupin.application import assessment, monitoring
from fupin.application import jobs as job_use_cases
from fupin.application import policy as policy_provider
from fupin.assessments import selectors as assessment_selectors
from fupin.engine import idnumber
from fupin.engine import schema as exchange
from fupin.engine.explain import explain
from fupin.engine.policy import PolicyError
from fupin.jobs import selectors as job_selectors
from fupin.jobs.models import Job
from fupin.registry import selectors as registry_selectors

api = NinjaAPI(
    title="扶贫 fupin API",
    version="1",
    description=(
        "Region-scoped JSON API. Authenticate with `Authorization: Bearer TOKEN` "
        "(`fupin token USERNAME`) or a browser session (unsafe methods need the CSRF token). "
        "Anything outside your region answers 404."
    ),
    auth=AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)

log = logging.getLogger(__name__)

STATUSES = (*exchange.POVERTY_STATUSES, "general")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "权限不足 (your role may not do this)"}, status=403)


@api.exception_handler(job_use_cases.JobInputError)
def _bad_job(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(DataError)
def _unstorable(request, exc):
    # The parameter types bound every value; this is the net under them (a value the database
    # still cannot hold is the caller's error, not ours).
    log.warning("API request refused by the database: %s", type(exc).__name__)
    return api.create_response(request, {"detail": "参数值超出范围或含有非法字符 (a value is out of range or invalid)"},
                               status=400)


def _scope(request) -> Scope:
    return Scope.of(request.auth)


def _reading(request) -> Scope:
    """The caller's scope for a read of registry data (a steward's role reads none: 403)."""
    scope = _scope(request)
    scope.require_to(Capability.READ)
    return scope


def _region(code: str | None) -> str | None:
    if not code:
        return None
    if not code.isdigit() or len(code) > 12:
        raise HttpError(422, "区划代码应为 2–12 位数字 (region must be 2–12 digits)")
    return code


# --- households ----------------------------------------------------------------------------

@api.get("/households", response=S.HouseholdPage, tags=["households"], summary="List households in your region")
def list_households(request, year: Year = None, region: Region = None,
                    status: str | None = choice(None, STATUSES), page: Page = 1):
    """A page of households (ID numbers and phones masked); ``total`` counts within your region."""
    scope = _reading(request)
    year = year or assessment_selectors.latest_year(scope)
    filters = assessment_selectors.HouseholdFilter(year=year, region=_region(region), status=status)
    households = assessment_selectors.household_list(scope, filters)
    total = assessment_selectors.household_total(scope, filters, households)
    size = assessment_selectors.PAGE_SIZE
    start = (page - 1) * size
    items = []
    for h in households[start:start + size]:
        head = h.heads[0] if getattr(h, "heads", None) else None
        items.append({
            "household_id": h.household_id, "year": h.year, "region_code": h.region_code, "hamlet": h.hamlet,
            "registered": h.registered, "poverty_status": h.poverty_status,
            "monitoring_category": h.monitoring_category,
            "head_name": head.name if head else None,
            "head_id_number": idnumber.mask(head.id_number) if head else None,
            "phone": idnumber.mask(h.phone) if h.phone else None,
        })
    return {"items": items, "page": page, "page_size": size, "total": total}


def _verdict(scope: Scope, household) -> dict | None:
    verdict = assessment_selectors.latest_verdict(scope, household.household_id, household.year)
    if verdict is None:
        return None
    row = assessment.verdict_row(verdict)
    lang = "en" if (translation.get_language() or "").startswith("en") else "zh"

    def split(value):
        return [k for k in (value or "").split(";") if k]

    return {
        "run_id": verdict.run_id, "year": verdict.year, "meets_standard": verdict.meets_standard,
        "unmet": split(verdict.unmet), "unknown": split(verdict.unknown),
        "monitoring_category": verdict.monitoring_category, "risk_factors": split(verdict.risk_factors),
        "elimination": verdict.elimination, "policy": verdict.policy, "assessed_at": verdict.run.created_at,
        "explanation": explain(row, lang=lang),
    }


@api.get("/households/{household_id}", response=S.HouseholdOut, tags=["households"],
         summary="One household with its members and latest verdict")
def get_household(request, household_id: HouseholdKey, year: Year = None):
    """Members' ID numbers and the phone are masked unless your role may see them in full;
    every full view is logged."""
    scope = _reading(request)
    household = registry_selectors.household_file(scope, household_id, year)
    sensitive = scope.can_see_sensitive
    shown = (lambda v: v) if sensitive else (lambda v: idnumber.mask(v) if v else v)
    data = {f.name: getattr(household, f.name) for f in exchange.fields("households", exchange_only=True)}
    data["phone"] = shown(household.phone)
    members = []
    for m in household.members.all():
        row = {f.name: getattr(m, f.name) for f in exchange.fields("members", exchange_only=True)
               if f.name != "household_id"}
        row["household_id"] = m.household_key
        row["id_number"] = shown(m.id_number)
        if not sensitive:  # health is personal data, as the ID number is
            row["health"] = row["disability_grade"] = None
        members.append(row)
    if sensitive:
        SensitiveView.objects.create(user=request.auth, household_id=household.household_id, year=household.year,
                                     region_code=household.region_code, what="api:id_number,phone")
    data.update(version=household.version, sensitive_shown=sensitive, members=members,
                verdict=_verdict(scope, household),
                years=registry_selectors.household_years(scope, household.household_id))
    return data


@api.post("/households/{household_id}/elimination", response={201: dict, 403: S.ErrorOut, 409: S.ErrorOut},
          tags=["households"], summary="Start a risk elimination for a monitored household")
def start_elimination(request, household_id: HouseholdKey):
    """Creates (or returns, when already started) the household's elimination lead; its steps are
    taken at ``/api/monitoring/leads/{id}/steps`` like any lead's."""
    try:
        lead = monitoring.start_elimination(_scope(request), policy_provider.current(), household_id)
    except (monitoring.IntakeError, PolicyError) as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, lead_out(lead))


# --- regions -------------------------------------------------------------------------------

_FIGURES = ("code", "name", "level", "year", "households", "people", "registered_households", "registered_people",
            "remaining_poor_households", "remaining_poor_people", "registered_rural_population", "incidence",
            "projected_incidence", "exit_eligible")
_COUNTS = ("households_by_status", "people_by_status", "unmet", "leads")


def _figures(stat) -> dict:
    out = {name: getattr(stat, name) for name in _FIGURES}
    for name in _COUNTS:
        value = getattr(stat, name)
        value = json.loads(value) if isinstance(value, str) else (value or {})
        out[name] = {str(k): int(v) for k, v in value.items()}
    return out


@api.get("/regions/{code}/summary", response=S.RegionSummary, tags=["regions"],
         summary="Figures of a region and its subregions")
def region_summary(request, code: RegionPath, year: Year = None):
    """Precomputed figures (refreshed by each import and assessment) for a region in your scope;
    the registry's counts exist for a year before it is assessed."""
    area = _reading(request).narrow(_region(code))
    year = year or assessment_selectors.latest_year(area)
    stat = assessment_selectors.region_stat(area, area.prefix, year) if year else None
    if stat is None:
        raise HttpError(404, f"区划 {code} 没有 {year or ''} 年度的统计数据 (no figures for this region and year)")
    return {**_figures(stat), "subregions": [_figures(s) for s in assessment_selectors.subregion_stats(area, area.prefix, year)]}


# --- policy --------------------------------------------------------------------------------

@api.get("/policy", response={200: S.PolicyOut, 403: S.ErrorOut}, tags=["policy"],
         summary="The policy values in force for a year and region, with their sources")
def policy_values(request, year: Year = None, region: Region = None):
    """Analysts and administrators: every parameter as it resolves for ``year`` (default: this
    year) and ``region`` (inside your scope), the file that set it, its source and confidence."""
    scope = _scope(request)
    if not scope.can_see_policy:
        raise PermissionDenied
    area = scope.narrow(_region(region))
    year = year or timezone.localdate().year
    policy = policy_provider.current()
    return {"identity": policy.identity, "files": [f.path for f in policy.files], "year": year,
            "region": area.prefix, "values": policy_provider.values(policy, year, area.prefix)}


# --- jobs ----------------------------------------------------------------------------------

def _job_out(job) -> dict:
    return {**job_selectors.job_state(job), "region": job.region, "year": job.year, "input_name": job.input_name,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at}


def _fresh(request, job) -> Job:
    # The worker may already have run it (immediate mode, or a fast worker).
    return job_selectors.get_job(_scope(request), job.pk)


@api.post("/jobs/import", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Upload a file and import it in the background")
def start_import(request, file: UploadedFile = File(...),
                 year: int | None = Form(None, ge=FIRST_YEAR, le=LAST_YEAR)):
    """An .xlsx workbook, a flat national .csv, or a .zip of a CSV/Parquet folder. Households
    outside your region make the job fail without loading anything."""
    return Status(201, _job_out(_fresh(request, job_use_cases.start_import(_scope(request), file, year=year))))


@api.post("/jobs/match", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Upload a department's list and match it against the registry in the background")
def start_match(request, file: UploadedFile = File(...), kind: str = Form(..., max_length=32, pattern=NO_NUL),
                year: int = Form(..., ge=FIRST_YEAR, le=LAST_YEAR)):
    """.xlsx, .csv or .parquet in the department's layout (docs/department-layouts.md); the
    households that trigger become leads of their villages."""
    return Status(201, _job_out(_fresh(request, job_use_cases.start_match(_scope(request), file, kind=kind,
                                                                           year=year))))


@api.post("/jobs/assess", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Assess a year for your region (or a region inside it)")
def start_assessment(request, payload: S.YearRegionIn):
    """Assesses with the deployment's policy (national and ``FUPIN_POLICY``), stores the run and
    hands the leads to the villages."""
    job = job_use_cases.start_assessment(_scope(request), year=payload.year, region=_region(payload.region))
    return Status(201, _job_out(_fresh(request, job)))


@api.post("/jobs/export", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Export a year of your region as an exchange-format workbook")
def start_export(request, payload: S.YearRegionIn):
    job = job_use_cases.start_export(_scope(request), year=payload.year, region=_region(payload.region))
    return Status(201, _job_out(_fresh(request, job)))


@api.get("/jobs/{job_id}", response=S.JobOut, tags=["jobs"], summary="State and result of a job")
def get_job(request, job_id: RowId):
    scope = _scope(request)
    if not scope.can_run_jobs:
        raise PermissionDenied
    return _job_out(job_selectors.get_job(scope, job_id))


@api.get("/jobs/{job_id}/download", tags=["jobs"], summary="Download a finished job's output or rejects file",
         response={200: None, 404: S.ErrorOut})
def download(request, job_id: RowId, file: str = choice("output", ("output", "rejects"))):
    scope = _scope(request)
    if not scope.can_run_jobs:
        raise PermissionDenied
    path, name = job_use_cases.download(scope, job_id, file)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)


# Monitoring leads (issue 5) live in their own app; their router shares this API's auth.
api.add_router("/monitoring/", "fupin.api.monitoring.router")
api.add_router("/supervision/", "fupin.api.supervision.router")
# The assistance ledger (issue 12): measures of a household, coverage rates.
api.add_router("", "fupin.api.assistance.router")
api.add_router("", "fupin.api.employment.router")
