"""The JSON API. Endpoints are thin: reads go through the selectors, jobs through the services,
and every one of them through the scoping layer (out of scope → 404, wrong role → 403)."""

from __future__ import annotations

import json
from typing import Optional

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils import translation
from ninja import File, Form, NinjaAPI, Query
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from fupin import divisions
from fupin.accounts import scoping
from fupin.api import schemas as S
from fupin.api.auth import AUTH
from fupin.engine import idnumber
from fupin.engine import schema as exchange
from fupin.jobs.services import JobInputError

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

STATUSES = (*exchange.POVERTY_STATUSES, "general")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "权限不足 (your role may not do this)"}, status=403)


@api.exception_handler(JobInputError)
def _bad_job(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=400)


def _region(code: Optional[str]) -> Optional[str]:
    if not code:
        return None
    if not code.isdigit() or len(code) > 12:
        raise HttpError(422, "区划代码应为 2–12 位数字 (region must be 2–12 digits)")
    return divisions.scope_prefix(code)


# --- households ----------------------------------------------------------------------------

@api.get("/households", response=S.HouseholdPage, tags=["households"], summary="List households in your region")
def list_households(request, year: Optional[int] = None, region: Optional[str] = None,
                    status: Optional[str] = None, page: int = Query(1, ge=1)):
    """A page of households (ID numbers and phones masked); ``total`` counts within your region."""
    from fupin.registry.selectors import PAGE_SIZE, HouseholdFilter, household_list, household_total

    if status and status not in STATUSES:
        raise HttpError(422, f"status 应为 {'、'.join(STATUSES)} 之一 (status must be one of these)")
    filters = HouseholdFilter(year=year, region=_region(region), status=status)
    households = household_list(request.auth, filters)
    total = household_total(request.auth, filters, households)
    start = (page - 1) * PAGE_SIZE
    items = []
    for h in households[start:start + PAGE_SIZE]:
        head = h.heads[0] if getattr(h, "heads", None) else None
        items.append({
            "household_id": h.household_id, "year": h.year, "region_code": h.region_code, "hamlet": h.hamlet,
            "registered": h.registered, "poverty_status": h.poverty_status,
            "monitoring_category": h.monitoring_category,
            "head_name": head.name if head else None,
            "head_id_number": idnumber.mask(head.id_number) if head else None,
            "phone": idnumber.mask(h.phone) if h.phone else None,
        })
    return {"items": items, "page": page, "page_size": PAGE_SIZE, "total": total}


def _verdict(user, household) -> Optional[dict]:
    from fupin.assessments.selectors import latest_verdict
    from fupin.engine.explain import explain

    verdict = latest_verdict(user, household.household_id, household.year)
    if verdict is None:
        return None
    row = {f.attname: getattr(verdict, f.attname) for f in verdict._meta.concrete_fields if f.name != "details"}
    details = verdict.details
    if isinstance(details, str):
        details = json.loads(details or "{}")
    row.update(details or {})
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
def get_household(request, household_id: str, year: Optional[int] = None):
    """Members' ID numbers and the phone are masked unless your role may see them in full;
    every full view is logged."""
    from fupin.accounts.models import SensitiveView
    from fupin.registry.selectors import household_file, household_years

    user = request.auth
    household = household_file(user, household_id, year)
    sensitive = scoping.can_see_sensitive(user)
    shown = (lambda v: v) if sensitive else (lambda v: idnumber.mask(v) if v else v)
    data = {f.name: getattr(household, f.name) for f in exchange.fields("households", exchange_only=True)}
    data["phone"] = shown(household.phone)
    members = []
    for m in household.members.all():
        row = {f.name: getattr(m, f.name) for f in exchange.fields("members", exchange_only=True)
               if f.name != "household_id"}
        row["household_id"] = m.household_key
        row["id_number"] = shown(m.id_number)
        members.append(row)
    if sensitive:
        SensitiveView.objects.create(user=user, household_id=household.household_id, year=household.year,
                                     what="api:id_number,phone")
    data.update(version=household.version, sensitive_shown=sensitive, members=members,
                verdict=_verdict(user, household), years=household_years(user, household.household_id))
    return data


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
def region_summary(request, code: str, year: Optional[int] = None):
    """Precomputed figures (refreshed by each import and assessment) for a region in your scope."""
    from fupin.assessments.selectors import region_stat, subregion_stats
    from fupin.registry.selectors import latest_year

    user = request.auth
    prefix = _region(code)
    scoping.require_region(user, prefix)
    year = year or latest_year(user)
    stat = region_stat(user, prefix, year) if year else None
    if stat is None:
        raise HttpError(404, f"区划 {code} 没有 {year or ''} 年度的统计数据 (no figures for this region and year)")
    return {**_figures(stat), "subregions": [_figures(s) for s in subregion_stats(user, prefix, year)]}


# --- jobs ----------------------------------------------------------------------------------

def _job_out(job) -> dict:
    from fupin.jobs.selectors import job_state

    return {**job_state(job), "region": job.region, "year": job.year, "input_name": job.input_name,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at}


def _fresh(job):
    from fupin.jobs.models import Job

    # The worker may already have run it (immediate mode, or a fast worker).
    return Job.objects.get(pk=job.pk)


@api.post("/jobs/import", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Upload a file and import it in the background")
def start_import(request, file: UploadedFile = File(...), year: Optional[int] = Form(None)):
    """An .xlsx workbook, a flat national .csv, or a .zip of a CSV/Parquet folder. Households
    outside your region make the job fail without loading anything."""
    from fupin.jobs.services import start_import as start

    return Status(201, _job_out(_fresh(start(request.auth, file, year=year))))


@api.post("/jobs/assess", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Assess a year for your region (or a region inside it)")
def start_assessment(request, payload: S.YearRegionIn):
    from fupin.jobs.services import start_assessment as start

    return Status(201, _job_out(_fresh(start(request.auth, year=payload.year, region=_region(payload.region)))))


@api.post("/jobs/export", response={201: S.JobOut, 400: S.ErrorOut, 403: S.ErrorOut}, tags=["jobs"],
          summary="Export a year of your region as an exchange-format workbook")
def start_export(request, payload: S.YearRegionIn):
    from fupin.jobs.services import start_export as start

    return Status(201, _job_out(_fresh(start(request.auth, year=payload.year, region=_region(payload.region)))))


@api.get("/jobs/{job_id}", response=S.JobOut, tags=["jobs"], summary="State and result of a job")
def get_job(request, job_id: int):
    from fupin.jobs.selectors import get_job as fetch

    if not scoping.can_run_jobs(request.auth):
        raise PermissionDenied
    return _job_out(fetch(request.auth, job_id))


@api.get("/jobs/{job_id}/download", tags=["jobs"], summary="Download a finished job's output or rejects file",
         response={200: None, 404: S.ErrorOut})
def download(request, job_id: int, file: str = Query("output", pattern="^(output|rejects)$")):
    from fupin.jobs.selectors import job_file

    if not scoping.can_run_jobs(request.auth):
        raise PermissionDenied
    path, name = job_file(request.auth, job_id, file)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)


# Monitoring leads (issue 5) live in their own app; their router shares this API's auth.
api.add_router("/monitoring/", "fupin.monitoring.api.router")
