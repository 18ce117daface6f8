"""Job services: each kind of job run through the queue (immediate mode), scoped, failing safely."""

from __future__ import annotations

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import jobs as services
from fupin.jobs import selectors
from fupin.jobs.models import Job
from tests.fupin_testdata import synth_frames, workbook
from tests.regions import COUNTY, OTHER_COUNTY, TOWN
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def household_count(**lookup) -> int:
    from fupin.registry.models import Household

    return Household.objects.within(EVERYWHERE).filter(**lookup).count()


def test_import_job_loads_the_file_and_records_the_counts(tmp_path, county_user, run_jobs):
    upload = workbook(tmp_path, synth_frames(40, TOWN))
    with run_jobs():
        job = services.start_import(Scope.of(county_user), upload)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.progress == 100 and job.year == 2020
    assert job.result["households_new"] == 40 == household_count(year=2020)
    assert job.region == COUNTY and job.user == county_user


def test_import_job_with_invalid_rows_offers_its_rejects_workbook(tmp_path, county_user, run_jobs):
    households, members, regions = synth_frames(30, TOWN)
    broken = households.with_columns(
        poverty_status=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("不是状态")).otherwise("poverty_status"))
    with run_jobs():
        job = services.start_import(Scope.of(county_user), workbook(tmp_path, (broken, members, regions)))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.result["households_rejected"] == 1 and household_count() == 29
    path, name = selectors.job_file(Scope.of(county_user), job.pk, "rejects")
    assert path.exists() and name.endswith("rejects.xlsx")


def test_import_job_returns_households_outside_the_users_region_and_loads_none_of_them(tmp_path, other_county_user,
                                                                                      run_jobs):
    with run_jobs():
        job = services.start_import(Scope.of(other_county_user), workbook(tmp_path, synth_frames(10, TOWN)))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["households_rejected"] == 10
    assert "退回 10 户" in job.message and "rejects" in selectors.job_state(job)["files"]
    assert household_count() == 0


def test_unreadable_upload_fails_with_the_readers_chinese_message_and_changes_nothing(tmp_path, county_user,
                                                                                      registry, run_jobs):
    before = household_count()
    with run_jobs():
        job = services.start_import(Scope.of(county_user), SimpleUploadedFile("broken.xlsx", b"not a workbook"))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "broken.xlsx" in job.message or "input.xlsx" in job.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in job.message)
    assert "Traceback" not in job.message
    assert household_count() == before


def test_unexpected_error_reports_only_the_exception_class_and_keeps_the_data(tmp_path, county_user, registry,
                                                                              run_jobs, monkeypatch, caplog):
    import fupin.application.registry as imports

    secret = "5001011980" + "01011234"  # built at run time: only a data value, never source text

    def explode(*args, **kwargs):
        raise RuntimeError(f"database said: {secret} is bad")

    monkeypatch.setattr(imports, "import_file", explode)
    before = household_count()
    with run_jobs():
        job = services.start_import(Scope.of(county_user), workbook(tmp_path, synth_frames(5, TOWN, seed=9)))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "RuntimeError" in job.message and secret not in job.message
    assert secret not in caplog.text and "RuntimeError" in caplog.text
    assert household_count() == before


def test_upload_of_an_unsupported_file_type_is_refused_before_queueing(county_user):
    with pytest.raises(services.JobInputError):
        services.start_import(Scope.of(county_user), SimpleUploadedFile("registry.pdf", b"%PDF"))
    assert Job.objects.within(EVERYWHERE).count() == 0


def test_export_job_writes_only_the_requested_town_of_the_users_county(county_user, registry, run_jobs):
    with run_jobs():
        job = services.start_export(Scope.of(county_user), year=2020, region=TOWN)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    path, _name = selectors.job_file(Scope.of(county_user), job.pk, "output")
    from fupin.io import read_registry

    exported = read_registry(path).households
    assert exported.height == 60 == job.result["households"]
    assert exported["region_code"].str.starts_with(TOWN).all()


def test_export_job_of_a_county_leaves_out_other_counties(county_user, registry, run_jobs):
    with run_jobs():
        job = services.start_export(Scope.of(county_user), year=2020)
    job.refresh_from_db()
    assert job.result["households"] == 60 and household_count() == 80


def test_export_of_a_region_outside_the_scope_is_not_found(county_user, registry):
    with pytest.raises(Http404):
        services.start_export(Scope.of(county_user), year=2020, region=OTHER_COUNTY)


def test_export_of_a_year_without_households_is_refused(county_user, registry):
    with pytest.raises(services.JobInputError):
        services.start_export(Scope.of(county_user), year=2019)


def test_assessment_job_stores_a_verdict_for_each_household_of_the_region(county_user, registry, run_jobs):
    from fupin.assessments.models import Verdict

    with run_jobs():
        job = services.start_assessment(Scope.of(county_user), year=2020)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.result["households"] == 60
    assert Verdict.objects.within(EVERYWHERE).filter(run_id=job.result["run_id"]).count() == 60
    assert not Verdict.objects.within(EVERYWHERE).filter(region_code__startswith=OTHER_COUNTY).exists()


def test_village_cadre_may_not_start_jobs(village_user, registry):
    with pytest.raises(PermissionDenied):
        services.start_export(Scope.of(village_user), year=2020)


def test_user_of_another_county_cannot_see_the_job(county_user, other_county_user, registry):
    job = services.start_export(Scope.of(county_user), year=2020)
    with pytest.raises(Http404):
        selectors.get_job(Scope.of(other_county_user), job.pk)
    assert list(selectors.recent_jobs(Scope.of(other_county_user))) == []
    assert list(selectors.recent_jobs(Scope.of(county_user))) == [job]


def test_running_job_shows_the_live_progress_from_the_queue(county_user, registry):
    from fupin.jobs.queue import put_progress

    job = services.start_export(Scope.of(county_user), year=2020)
    Job.objects.within(EVERYWHERE).filter(pk=job.pk).update(status=Job.Status.RUNNING)
    put_progress(job.pk, 42, "households")
    job.refresh_from_db()
    state = selectors.job_state(job)
    assert (state["progress"], state["stage"], state["finished"]) == (42, "households", False)


def test_import_progress_moves_forward_through_the_stages(county_user):
    seen = []

    class Recorder(services.Reporter):
        def __call__(self, percent, stage):
            seen.append(percent)

    progress = Recorder(1, interval=0).phase(services.IMPORT_STAGES, within=(30, 100))
    for stage, done, total in [("read", 0, 2), ("read", 2, 2), ("validate", 3, 6), ("regions", 0, 4),
                               ("members", 2, 4), ("done", 4, 4)]:
        progress(stage, done, total)
    assert seen == sorted(seen) and seen[0] == 30 and seen[-1] == 100


def test_a_job_already_taken_by_a_worker_is_not_run_twice(county_user, registry):
    job = services.start_export(Scope.of(county_user), year=2020)
    Job.objects.within(EVERYWHERE).filter(pk=job.pk).update(status=Job.Status.DONE, message="first run")
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.message == "first run"


def test_jobs_left_running_by_a_stopped_worker_are_marked_failed(county_user, registry):
    job = services.start_export(Scope.of(county_user), year=2020)
    Job.objects.within(EVERYWHERE).filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert services.mark_interrupted() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "重新开始" in job.message


def _zipped_csv_folder(tmp_path, frames) -> SimpleUploadedFile:
    import io
    import zipfile

    from fupin.io import write_registry

    write_registry(tmp_path / "folder", *frames)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted((tmp_path / "folder").iterdir()):
            zf.write(path, f"registry/{path.name}")
    return SimpleUploadedFile("registry.zip", buffer.getvalue())


@pytest.mark.parametrize("kind", ["xlsx", "zip", "unreadable"])
def test_the_upload_and_what_it_unpacked_are_deleted_when_the_job_ends(tmp_path, county_user, run_jobs, job_files,
                                                                        kind):
    """Issue 9: uploads (a whole registry of personal data, or a zip unpacked to gigabytes) were
    never cleaned up. The rejects workbook the user downloads stays."""
    households, members, regions = synth_frames(10, TOWN)
    broken = households.with_columns(
        poverty_status=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("不是状态")).otherwise("poverty_status"))
    upload = {"xlsx": lambda: workbook(tmp_path, (broken, members, regions)),
              "zip": lambda: _zipped_csv_folder(tmp_path, (broken, members, regions)),
              "unreadable": lambda: SimpleUploadedFile("bad.xlsx", b"not a workbook")}[kind]()
    with run_jobs():
        job = services.start_import(Scope.of(county_user), upload)
    job.refresh_from_db()
    assert job.status == (Job.Status.FAILED if kind == "unreadable" else Job.Status.DONE), job.message
    left = sorted(p.name for p in (job_files / str(job.pk)).rglob("*"))
    assert left == ([] if kind == "unreadable" else ["rejects.xlsx"]) and job.input_path == ""


def test_a_job_interrupted_by_a_worker_stop_loses_its_upload(tmp_path, county_user, job_files):
    job = services.start_import(Scope.of(county_user), workbook(tmp_path, synth_frames(3, TOWN)))
    job.refresh_from_db()
    assert job.input_path
    Job.objects.within(EVERYWHERE).filter(pk=job.pk).update(status=Job.Status.RUNNING)
    services.mark_interrupted()
    assert list((job_files / str(job.pk)).iterdir()) == []
