"""Job pages: start an import, assessment or export; follow a job; download what it produced."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.accounts.scoping import Scope
from fupin.application import jobs as job_use_cases
from fupin.jobs import selectors
from fupin.web import selectors as web_selectors
from fupin.web import display
from fupin.web.forms.jobs import CardsForm, ImportForm, YearRegionForm


def jobs_role_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not Scope.of(request.user).can_run_jobs:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@jobs_role_required
def job_list(request):
    scope = Scope.of(request.user)
    jobs = list(selectors.recent_jobs(scope))
    return render(request, "jobs/list.html", {"jobs": jobs,
                                              "names": web_selectors.region_names(scope, [j.region for j in jobs])})


def _start(request, kind: str, form_class, start):
    scope = Scope.of(request.user)
    form = form_class(request.POST or None, request.FILES or None,
                      initial={"year": job_use_cases.default_year(scope)} if kind != "import" else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = start(scope, form.cleaned_data)
        except job_use_cases.JobInputError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied:
            form.add_error(None, _("Your role may not start this job."))
        else:
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "jobs/start.html", {"form": form, "kind": kind, "scope": scope.prefix},
                  status=400 if form.errors else 200)


@jobs_role_required
def start_import(request):
    return _start(request, "import", ImportForm,
                  lambda scope, data: job_use_cases.start_import(scope, data["file"], year=data.get("year")))


@jobs_role_required
def start_assessment(request):
    return _start(request, "assess", YearRegionForm,
                  lambda scope, data: job_use_cases.start_assessment(scope, year=data["year"],
                                                                     region=data["region"] or None))


@jobs_role_required
def start_export(request):
    return _start(request, "export", YearRegionForm,
                  lambda scope, data: job_use_cases.start_export(scope, year=data["year"],
                                                                 region=data["region"] or None))


@login_required
@require_POST
def start_cards(request):
    """The 明白卡 of a village as a job (a village's PDF takes a while); its page gives the PDF."""
    scope = Scope.of(request.user)
    form = CardsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the village, the year and the paper."))
        return redirect("web:home")
    data = form.cleaned_data
    try:
        job = job_use_cases.start_cards(scope, village=data["village"], year=data["year"], paper=data["paper"],
                                        all_households=data["all"])
    except job_use_cases.JobInputError as exc:
        messages.error(request, display.bilingual(str(exc)))
        return redirect("web:worklist", code=data["village"])
    return redirect("jobs:detail", pk=job.pk)


# A job's own pages need only the right to see its kind (the selectors check it): a village
# cadre follows the cards job they started, though the job list and the other jobs are not theirs.
@login_required
def job_detail(request, pk: int):
    scope = Scope.of(request.user)
    job = selectors.get_job(scope, pk)
    return render(request, "jobs/detail.html", {"job": job, "state": selectors.job_state(job),
                                                "result_rows": selectors.result_rows(job),
                                                "names": web_selectors.region_names(scope, [job.region]),
                                                "can_list_jobs": scope.can_run_jobs})


@login_required
def job_progress(request, pk: int):
    """The progress block (HTMX polls it every second) or, asked for JSON, the state."""
    job = selectors.get_job(Scope.of(request.user), pk)
    state = selectors.job_state(job)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(state)
    return render(request, "jobs/_progress.html", {"job": job, "state": state,
                                                   "result_rows": selectors.result_rows(job)})


@login_required
def download(request, pk: int, which: str):
    path, name = job_use_cases.download(Scope.of(request.user), pk, which)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)
