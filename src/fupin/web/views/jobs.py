"""Job pages: start an import, assessment or export; follow a job; download what it produced."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render

from fupin import divisions
from fupin.accounts import scoping
from fupin.jobs import selectors, services
from fupin.jobs.forms import ImportForm, YearRegionForm


def jobs_role_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not scoping.can_run_jobs(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@jobs_role_required
def job_list(request):
    return render(request, "jobs/list.html", {"jobs": selectors.recent_jobs(request.user)})


def _default_year(user):
    from fupin.registry.selectors import latest_year

    return latest_year(user)


def _start(request, kind: str, form_class, start):
    form = form_class(request.POST or None, request.FILES or None,
                      initial={"year": _default_year(request.user)} if kind != "import" else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = start(request.user, form.cleaned_data)
        except services.JobInputError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "jobs/start.html", {"form": form, "kind": kind,
                                               "scope": request.user.region or ""},
                  status=400 if form.errors else 200)


@jobs_role_required
def start_import(request):
    return _start(request, "import", ImportForm,
                  lambda user, data: services.start_import(user, data["file"], year=data.get("year")))


def _prefix(code: str) -> str | None:
    return divisions.scope_prefix(code) if code else None


@jobs_role_required
def start_assessment(request):
    return _start(request, "assess", YearRegionForm,
                  lambda user, data: services.start_assessment(user, year=data["year"], region=_prefix(data["region"])))


@jobs_role_required
def start_export(request):
    return _start(request, "export", YearRegionForm,
                  lambda user, data: services.start_export(user, year=data["year"], region=_prefix(data["region"])))


@jobs_role_required
def job_detail(request, pk: int):
    job = selectors.get_job(request.user, pk)
    return render(request, "jobs/detail.html", {"job": job, "state": selectors.job_state(job),
                                                "result_rows": selectors.result_rows(job)})


@jobs_role_required
def job_progress(request, pk: int):
    """The progress block (HTMX polls it every second) or, asked for JSON, the state."""
    job = selectors.get_job(request.user, pk)
    state = selectors.job_state(job)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(state)
    return render(request, "jobs/_progress.html", {"job": job, "state": state,
                                                   "result_rows": selectors.result_rows(job)})


@jobs_role_required
def download(request, pk: int, which: str):
    path, name = selectors.job_file(request.user, pk, which)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)
