"""Test data and arrangements shared by the tests (``from tests.fupin_testdata import …``)."""

from __future__ import annotations

from functools import lru_cache

from tests.regions import OTHER_COUNTY, TOWN  # noqa: F401 — synth villages are TOWN + 2NN

PASSWORD = "Correct-Horse-42"  # passes the password validators of the settings


@lru_cache(maxsize=16)  # deterministic, and frames are immutable: generate each case once
def synth_frames(households: int, region: str, seed: int = 1, year: int = 2020):
    from fupin.synth import generate

    return generate(households, year, region=region, seed=seed)


def workbook(tmp_path, frames, name="registry.xlsx"):
    """The frames written as an exchange workbook, as a browser would upload it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fupin.io import write_registry

    path = tmp_path / name
    write_registry(path, *frames)
    return SimpleUploadedFile(name, path.read_bytes())


def load(*frames, scope=None):
    """Frames into the registry as an import loads them — the rows, then the region figures — in
    the operator's scope by default."""
    from fupin.application import assessment
    from fupin.application import policy as policy_provider
    from fupin.registry.services.imports import import_frames
    from tests.scopes import EVERYWHERE

    report = import_frames(*frames, scope=scope or EVERYWHERE, source="test", source_format="test")
    for year in report.years:
        assessment.refresh_figures(scope or EVERYWHERE, policy_provider.current(), year)
    return report


def assess(year: int, region: str | None = None, household_ids=None, policy=None, dispatch_leads: bool = True):
    """Assess a stored year as ``fupin assess --db`` does (run, figures, leads); the outcome."""
    from fupin.accounts.scoping import Scope
    from fupin.application import assessment
    from fupin.application import policy as policy_provider

    return assessment.assess_year(Scope.system(region), policy or policy_provider.current(), year,
                                  household_ids=household_ids, dispatch_leads=dispatch_leads)
