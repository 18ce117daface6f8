"""The Spark runner (local mode) returns exactly the local engine's rows."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

from fupin.engine.assess import assess
from fupin.engine.idnumber import make_id
from fupin.engine.partitioned import scan_output
from fupin.engine.policy import PolicyMissing, load_policies
from fupin.engine.quality import findings
from fupin.io import write_registry
from fupin.synth import generate
from tests.engine.engine_helpers import CHONGQING, frames, household, member

pytestmark = pytest.mark.slow
YEAR = 2024
COUNTIES = ("500101", "500102", "500103")


def _spark_or_skip():
    try:
        import pandas  # noqa: F401 - PySpark's Arrow UDFs need it
        import pyspark  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"pyspark (with pandas) is not installed: {exc}")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (Spark needs Java 17)")
    from fupin.engine.spark import SparkUnavailable, spark_session

    try:
        return spark_session()
    except SparkUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def spark():
    session = _spark_or_skip()
    yield session
    session.stop()


def local(h, m, policy, as_of=None):
    return assess(h, m, year=YEAR, policy=policy, as_of=as_of,
                  errors=findings(h, m, as_of=as_of)).sort("household_id")


def test_spark_returns_exactly_the_local_engine_rows_on_generated_registry(spark, tmp_path):
    from fupin.engine.spark import assess_spark

    parts = [generate(700, YEAR, region=county, seed=i) for i, county in enumerate(COUNTIES)]
    h, m, r = (pl.concat([p[i] for p in parts]) for i in range(3))
    write_registry(tmp_path / "in.parquet", h, m, r)
    summary = assess_spark(tmp_path / "in.parquet", year=YEAR, policy_paths=[CHONGQING],
                           out_dir=tmp_path / "out", spark=spark)
    assert summary.partitions == 3 and summary.households == h.height == 2100
    got = scan_output(tmp_path / "out").collect().sort("household_id")
    assert got.equals(local(h, m, load_policies([CHONGQING])))


def test_spark_q04_across_counties_and_as_of(spark, tmp_path):
    from fupin.engine.spark import assess_spark

    shared = make_id("500101", date(1980, 6, 15), 11)
    h, m = frames(
        [household(household_id="A", region_code="500101001001"),
         household(household_id="B", region_code="500102001001"),
         household(household_id="C", region_code="500102001001")],
        [member(household_id="A", id_number=shared), member(household_id="B", id_number=shared),
         member(household_id="C", birth=date(2018, 7, 2), school_status=None)],
    )
    write_registry(tmp_path / "in.parquet", h, m)
    as_of = date(2024, 7, 1)
    summary = assess_spark(tmp_path / "in.parquet", year=YEAR, policy_paths=[CHONGQING], as_of=as_of,
                           out_dir=tmp_path / "out", spark=spark)
    assert summary.cross_partition_q04 == 2
    got = scan_output(tmp_path / "out").collect().sort("household_id")
    assert got["errors"].to_list() == ["Q04", "Q04", ""]
    assert got.equals(local(h, m, load_policies([CHONGQING]), as_of))


def test_spark_refuses_missing_policy_value_before_running(spark, tmp_path):
    from fupin.engine.spark import assess_spark

    h, m = frames()
    write_registry(tmp_path / "in.parquet", h, m)
    with pytest.raises(PolicyMissing, match="2024"):
        assess_spark(tmp_path / "in.parquet", year=YEAR, policy_paths=[], out_dir=tmp_path / "out", spark=spark)
    assert not (tmp_path / "out").exists()


def test_assess_command_engine_spark_writes_the_local_rows(spark, tmp_path, capsys):
    from fupin.cli import main

    h, m = frames([household(household_id="A"), household(household_id="B", housing_grade="D")],
                  [member(household_id="A"), member(household_id="B", name="王五")])
    write_registry(tmp_path / "in.parquet", h, m)
    outs = {}
    for engine in ("local", "spark"):
        outs[engine] = tmp_path / f"{engine}.csv"
        assert main(["assess", "--year", str(YEAR), "--input", str(tmp_path / "in.parquet"), "--policy", CHONGQING,
                     "--out", str(outs[engine]), "--engine", engine]) == 0
    assert "engine spark" in capsys.readouterr().out
    read = lambda p: pl.read_csv(p, infer_schema=False).sort("household_id")  # noqa: E731
    assert read(outs["spark"]).equals(read(outs["local"]))
