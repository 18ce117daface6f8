"""Quality checks run once per command: assessing a file reuses the member table its import
checks prepared, and gives exactly what preparing it again gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from fupin.application import files
from fupin.application import policy as policy_provider
from fupin.engine import quality
from fupin.io import write_registry
from fupin.synth import generate

YEAR = 2021


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory):
    h, m, r = generate(600, YEAR, region="50", seed=7)  # two counties: 500103 and 500106
    # Exits whose exit-year verdict is "no" (Q24) and eliminated risks below the line (Q25): the
    # two checks that compare with the verdict, i.e. the ones the reused table feeds.
    h = h.with_columns(
        poverty_status=pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit("已脱贫")).otherwise("poverty_status"),
        exit_year=pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit(YEAR)).otherwise("exit_year"),
        monitoring_category=pl.when(pl.int_range(pl.len()) % 11 == 0).then(pl.lit("边缘易致贫户"))
        .otherwise("monitoring_category"),
        monitoring_since=pl.when(pl.int_range(pl.len()) % 11 == 0).then(pl.lit("2021-01")).otherwise("monitoring_since"),
        risk_eliminated=pl.when(pl.int_range(pl.len()) % 11 == 0).then(pl.lit(True)).otherwise("risk_eliminated"),
        risk_eliminated_at=pl.when(pl.int_range(pl.len()) % 11 == 0).then(pl.lit("2021-09")).otherwise("risk_eliminated_at"),
        wage_income=pl.when(pl.int_range(pl.len()) % 5 == 0).then(pl.lit(10.0)).otherwise("wage_income"),
    )
    path = tmp_path_factory.mktemp("once") / "registry.parquet"
    write_registry(path, h, m, r)
    return path


def sorted_frames(verdicts: pl.DataFrame, findings: pl.DataFrame):
    return verdicts.sort("household_id"), findings.sort(pl.all(), nulls_last=True)


def assert_same(a, b) -> None:
    for x, y in zip(sorted_frames(*a), sorted_frames(*b), strict=True):
        assert x.equals(y)


def count_preparations(monkeypatch) -> list[int]:
    calls = [0]
    prepare = quality.prepare_members

    def counted(*args, **kwargs):
        calls[0] += 1
        return prepare(*args, **kwargs)

    monkeypatch.setattr(quality, "prepare_members", counted)
    return calls


@pytest.mark.parametrize("region, as_of", [(None, None), ("500103", None), (None, date(2021, 10, 1))])
def test_assessing_a_file_prepares_the_member_checks_once(registry_file, monkeypatch, region, as_of):
    calls = count_preparations(monkeypatch)
    read = files.read_file(registry_file, year=YEAR, region=region, as_of=as_of)
    reused = files.assess_registry(policy_provider.current(), read, YEAR, as_of=as_of)
    assert calls[0] == 1
    again = files.assess_registry(policy_provider.current(), replace(read, checked_members=None), YEAR, as_of=as_of)
    assert calls[0] == 2
    assert_same(reused, again)
    assert {"Q24", "Q25"} <= set(reused[1]["code"])


def test_checks_prepared_at_another_date_are_prepared_again(registry_file, monkeypatch):
    read = files.read_file(registry_file, year=YEAR)
    calls = count_preparations(monkeypatch)
    files.assess_registry(policy_provider.current(), read, YEAR, as_of=date(2021, 6, 30))
    assert calls[0] == 1


def test_a_file_without_repeated_keys_keeps_every_household(registry_file):
    read = files.read_file(registry_file, year=YEAR)
    assert read.households.height == pl.scan_parquet(registry_file / "households.parquet").select(pl.len()).collect().item()
    assert read.households["household_id"].is_unique().all()
