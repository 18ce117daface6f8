"""Partitioned streaming assessment: the unchanged engine county by county gives the local
engine's rows, and Q04 is found across counties."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.engine.assess import assess
from fupin.engine.idnumber import make_id
from fupin.engine.partitioned import (
    ORPHANS,
    PartitionError,
    assess_partitioned,
    cross_partition_errors,
    partition_registry,
    partitions,
    scan_output,
)
from fupin.engine.policy import PolicyMissing, load_policies
from fupin.engine.quality import findings
from fupin.io import write_registry
from fupin.synth import generate
from tests.engine.engine_helpers import frames, household, member, policy

YEAR = 2024
PS = policy()
COUNTIES = ("500101", "500102", "500103")


def local(h: pl.DataFrame, m: pl.DataFrame, *, year: int = YEAR, as_of: date | None = None) -> pl.DataFrame:
    """The local engine as the CLI runs it: findings for the error codes, then assess."""
    errors = findings(h, m, as_of=as_of)
    return assess(h, m, year=year, policy=PS, as_of=as_of, errors=errors).sort("household_id")


def output(out_dir) -> pl.DataFrame:
    return scan_output(out_dir).collect().sort("household_id")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """2,100 generated households in three Chongqing counties, as `fupin generate` writes them."""
    parts = [generate(700, YEAR, region=county, seed=i) for i, county in enumerate(COUNTIES)]
    h, m, r = (pl.concat([p[i] for p in parts]) for i in range(3))
    path = tmp_path_factory.mktemp("gen") / "registry.parquet"
    write_registry(path, h, m, r)
    return h, m, path


def test_partitioned_rows_equal_local_engine_on_generated_registry(generated, tmp_path):
    h, m, path = generated
    summary = assess_partitioned(path, year=YEAR, policy=PS, out_dir=tmp_path / "out", batch_households=300)
    assert summary.partitions == 3 and summary.batches == 3
    assert summary.households == h.height
    got = output(tmp_path / "out")
    expected = local(h, m)
    assert got.columns == expected.columns
    assert got.equals(expected)


def test_partitioned_rows_equal_local_engine_from_partitioned_container(generated, tmp_path):
    h, m, path = generated
    counts = partition_registry(path, tmp_path / "parts")
    assert counts["households"] == h.height and counts["members"] == m.height
    as_of = date(2024, 7, 1)
    assess_partitioned(tmp_path / "parts", year=YEAR, policy=PS, as_of=as_of, out_dir=tmp_path / "out")
    assert output(tmp_path / "out").equals(local(h, m, as_of=as_of))


def test_partition_registry_puts_members_in_their_household_county(tmp_path):
    h, m = frames(
        [household(household_id="A", region_code="500101001001"),
         household(household_id="B", region_code="500102001001")],
        [member(household_id="A", name="甲"), member(household_id="B", name="乙", year=None),
         member(household_id="X", name="无户")],
    )
    write_registry(tmp_path / "in.parquet", h, m)
    partition_registry(tmp_path / "in.parquet", tmp_path / "parts")
    layout = partitions(tmp_path / "parts")
    assert set(layout) == {"500101", "500102", ORPHANS}
    names = {k: pl.read_parquet(v["members"])["name"].to_list() for k, v in layout.items()}
    assert names == {"500101": ["甲"], "500102": ["乙"], ORPHANS: ["无户"]}
    assert "county" not in pl.read_parquet(layout["500101"]["households"]).columns


def test_q04_person_in_two_households_of_different_counties_errors_both(tmp_path):
    shared = make_id("500101", date(1980, 6, 15), 11)
    h, m = frames(
        [household(household_id="A", region_code="500101001001"),
         household(household_id="B", region_code="500102001001"),
         household(household_id="C", region_code="500102001001")],
        [member(household_id="A", id_number=shared), member(household_id="B", id_number=shared),
         member(household_id="C")],
    )
    write_registry(tmp_path / "in.parquet", h, m)
    summary = assess_partitioned(tmp_path / "in.parquet", year=YEAR, policy=PS, out_dir=tmp_path / "out",
                                 batch_households=1)
    assert summary.batches == 2 and summary.cross_partition_q04 == 2
    rows = {r["household_id"]: r for r in output(tmp_path / "out").to_dicts()}
    assert rows["A"]["meets_standard"] == rows["B"]["meets_standard"] == "error"
    assert rows["A"]["errors"] == rows["B"]["errors"] == "Q04"
    assert rows["C"]["meets_standard"] == "yes"
    assert output(tmp_path / "out").equals(local(h, m))


def test_cross_partition_errors_ignore_other_years_and_one_household_twice(tmp_path):
    shared = make_id("500101", date(1990, 1, 1), 21)
    h, m = frames(
        [household(household_id="A"), household(household_id="B", year=2023)],
        [member(household_id="A", id_number=shared), member(household_id="B", year=2023, id_number=shared),
         member(household_id="A", id_number=make_id("500101", date(1991, 1, 1), 23), name="x"),
         member(household_id="A", id_number=make_id("500101", date(1991, 1, 1), 23), name="y")],
    )
    path = tmp_path / "m.parquet"
    m.write_parquet(path)
    assert cross_partition_errors([path], year=YEAR).height == 0
    assert cross_partition_errors([path], year=YEAR, buckets=3).height == 0


def test_cross_partition_errors_same_in_every_bucketing(generated, tmp_path):
    _h, m, _path = generated
    ids = m["id_number"].head(3).to_list()
    clash = m.head(3).with_columns(household_id=pl.lit("ELSEWHERE"), id_number=pl.Series(ids))
    path = tmp_path / "m.parquet"
    pl.concat([m, clash]).write_parquet(path)
    one = cross_partition_errors([path], year=YEAR, buckets=1)
    many = cross_partition_errors([path], year=YEAR, buckets=4)
    assert one.equals(many)
    assert set(one["household_id"]) == {"ELSEWHERE", *m.head(3)["household_id"]}


def test_policy_missing_refused_before_any_partition_is_written(generated, tmp_path):
    _h, _m, path = generated
    national_only = load_policies([])
    with pytest.raises(PolicyMissing) as exc:
        assess_partitioned(path, year=YEAR, policy=national_only, out_dir=tmp_path / "out")
    assert "2024" in str(exc.value) and "50" in str(exc.value)
    assert not list((tmp_path / "out").glob("county=*"))


def test_region_keeps_only_households_under_the_prefix(generated, tmp_path):
    h, m, path = generated
    county = h["region_code"].str.slice(0, 6).mode().sort()[0]
    summary = assess_partitioned(path, year=YEAR, policy=PS, out_dir=tmp_path / "out", region=county)
    got = output(tmp_path / "out")
    assert summary.partitions == 1
    assert got["region_code"].str.starts_with(county).all()
    hh = h.filter(pl.col("region_code").str.starts_with(county))
    mm = m.filter(pl.col("household_id").is_in(hh["household_id"].implode()))
    assert got.equals(local(hh, mm))


def test_not_a_parquet_container_is_refused_in_both_languages(tmp_path):
    with pytest.raises(PartitionError, match="households.parquet.*Parquet container"):
        assess_partitioned(tmp_path, year=YEAR, policy=PS, out_dir=tmp_path / "out")


def test_assess_command_engine_partitioned_writes_the_local_rows(generated, tmp_path, capsys):
    from fupin.cli import main
    from tests.engine.engine_helpers import CHONGQING

    _h, _m, path = generated
    outs = {}
    for engine in ("local", "partitioned"):
        outs[engine] = tmp_path / f"{engine}.parquet"
        rc = main(["assess", "--year", str(YEAR), "--input", str(path), "--policy", CHONGQING,
                   "--out", str(outs[engine]), "--engine", engine])
        assert rc == 0
    assert "engine partitioned" in capsys.readouterr().out
    local_rows = pl.read_parquet(outs["local"]).sort("household_id")
    assert pl.read_parquet(outs["partitioned"]).sort("household_id").equals(local_rows)
    assert not list(tmp_path.glob(".fupin-assess-*"))  # the work folder is removed


def test_assess_command_engine_partitioned_refuses_db_and_missing_policy(generated, tmp_path, capsys):
    from fupin.cli import main

    _h, _m, path = generated
    rc = main(["assess", "--year", str(YEAR), "--db", "sqlite:///x.sqlite3", "--out", str(tmp_path / "a.csv"),
               "--engine", "partitioned"])
    assert rc == 2 and "--input" in capsys.readouterr().err
    rc = main(["assess", "--year", str(YEAR), "--input", str(path), "--out", str(tmp_path / "a.csv"),
               "--engine", "partitioned"])
    err = capsys.readouterr().err
    assert rc == 2 and "monitoring_line" in err and "重庆市" in err and "Traceback" not in err
