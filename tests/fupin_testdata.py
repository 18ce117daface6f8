"""Test data shared by the API and job tests (imported by module name from tests/: the test
folders are not packages)."""

from __future__ import annotations

from functools import lru_cache

PASSWORD = "Correct-Horse-42"
TOWN = "500101102"          # a real town of 万州区; synth villages are TOWN + 2NN
OTHER_COUNTY = "500102"     # 涪陵区


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


def load(*frames):
    from fupin.registry.services.imports import import_frames

    return import_frames(*frames, source="test", source_format="test")
