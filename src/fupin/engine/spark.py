"""The distributed runner: PySpark partitions by county, the unchanged engine runs in executors.

``assess_spark`` reads a Parquet container (files or partition folders) with Spark, keys
households by the county prefix of ``region_code`` and members by their household, and runs
``groupBy(county).cogroup(groupBy(county)).applyInArrow(...)``: each executor call receives
one county's households and members as Arrow tables and runs exactly what the local and the
partitioned runners run — :func:`fupin.engine.quality.findings` for the error codes, then
:func:`fupin.engine.assess.assess_lazy` — on a Polars frame.

* The policy travels as TOML paths plus its identity; each Python worker loads it once with
  :func:`fupin.engine.policy.load_policies` and checks the identity, so the executors decide
  with the very files the driver resolved (the driver refuses a missing value up front).
* Q04 (one ID in two households of a year) crosses counties: it is computed set-based in
  Spark SQL over all members of the year before the cogroup and joined onto the households
  as a flag that the executor turns into a ``Q04`` error (as in :mod:`.partitioned`).
* The output is Parquet partitioned by county (``out_dir/county=XXXXXX/part-*.parquet``),
  the columns of :func:`fupin.engine.assess.assess` — readable with
  :func:`fupin.engine.partitioned.scan_output`.

Local mode by default (``local[2]``, 2 GB driver memory, logs at ERROR); on a cluster pass a
``SparkSession`` whose workers have ``fupin`` installed and the policy paths readable.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa

from fupin.engine.assess import ASSESSMENT_PARAMETERS, assess_lazy
from fupin.engine.partitioned import (
    KEY_LENGTHS,
    PartitionedSummary,
    PartitionError,
    _require_container,
    scan_output,
)
from fupin.engine.policy import load_policies
from fupin.engine.quality import findings
from fupin.engine.schema import polars_schema

CROSS_FLAG = "_cross_q04"
# Root at WARN (Spark's shell logic prints a banner whenever the root level differs from WARN),
# and the console appender lets only errors through.
_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = error
"""


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing."""


def spark_session(master: str = "local[2]", driver_memory: str = "2g", shuffle_partitions: int = 8):
    """A quiet local SparkSession whose Python workers run this interpreter."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency of the runner
        raise SparkUnavailable(
            "未安装 PySpark：请 pip install pyspark。 (PySpark is not installed: pip install pyspark)"
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # Spark puts SPARK_CONF_DIR on the driver's classpath; its log4j2.properties keeps the
    # JVM quiet (errors only) from the first line on.
    if "SPARK_CONF_DIR" not in os.environ:
        conf_dir = Path(tempfile.gettempdir()) / f"fupin-spark-conf-{os.getuid()}"
        conf_dir.mkdir(exist_ok=True)
        (conf_dir / "log4j2.properties").write_text(_LOG4J, "utf-8")
        os.environ["SPARK_CONF_DIR"] = str(conf_dir)
        os.environ.setdefault(
            "PYSPARK_SUBMIT_ARGS",
            f'--driver-java-options "-Dlog4j2.configurationFile=file:{conf_dir}/log4j2.properties" pyspark-shell',
        )
    try:
        spark = (
            SparkSession.builder.master(master).appName("fupin-assess")
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.python.worker.reuse", "true")
            .getOrCreate()
        )
    except Exception as exc:  # noqa: BLE001 — no Java, or the JVM does not start
        raise SparkUnavailable(
            f"无法启动 Spark（需要 Java 17）：{str(exc).splitlines()[0][:200]} "
            f"(cannot start Spark; Java 17 is needed)"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- types -----------------------------------------------------------------------------------

def _output_schema(year: int, policy, as_of: date | None) -> dict[str, pl.DataType]:
    """The engine's own output schema, from the plan over empty canonical frames."""
    empty = {t: pl.DataFrame(schema=polars_schema(t, exchange_only=False)) for t in ("households", "members")}
    return dict(assess_lazy(empty["households"], empty["members"], year=year, policy=policy,
                            as_of=as_of).collect_schema())


def _arrow_type(dtype: pl.DataType):
    types = {pl.String: pa.string(), pl.Int32: pa.int32(), pl.Int64: pa.int64(), pl.Float64: pa.float64(),
             pl.Boolean: pa.bool_(), pl.Date: pa.date32()}
    for k, v in types.items():
        if dtype == k:
            return v
    raise TypeError(f"no Arrow type for {dtype}")


def _spark_type(dtype: pl.DataType):
    from pyspark.sql import types as T

    types = {pl.String: T.StringType(), pl.Int32: T.IntegerType(), pl.Int64: T.LongType(),
             pl.Float64: T.DoubleType(), pl.Boolean: T.BooleanType(), pl.Date: T.DateType()}
    for k, v in types.items():
        if dtype == k:
            return v
    raise TypeError(f"no Spark type for {dtype}")


# --- the executor side -----------------------------------------------------------------------

_POLICIES: dict[tuple[str, ...], object] = {}


def _policy(paths: tuple[str, ...], identity: str):
    if paths not in _POLICIES:
        _POLICIES[paths] = load_policies(list(paths))
    policy = _POLICIES[paths]
    if policy.identity != identity:
        raise RuntimeError(f"policy on the worker is {policy.identity}, the driver resolved {identity}")
    return policy


def _canonical(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    target = polars_schema(table, exchange_only=False)
    return frame.select([pl.col(c).cast(target[c]) for c in frame.columns if c in target])


def county_assessor(*, year: int, policy_paths: tuple[str, ...], identity: str, as_of: date | None,
                    key: str, key_length: int, schema: dict[str, pl.DataType]):
    """The function Spark runs per county: (households, members) Arrow tables -> output rows."""

    def run(households, members):
        arrow_schema = pa.schema([(name, _arrow_type(dt)) for name, dt in schema.items()])
        if households.num_rows == 0:
            return arrow_schema.empty_table()
        policy = _policy(policy_paths, identity)
        raw = pl.from_arrow(households)
        h = _canonical(raw, "households")
        m = _canonical(pl.from_arrow(members), "members")
        cross = raw.filter(pl.col(CROSS_FLAG)).select(
            "household_id", year=pl.lit(year, pl.Int32), code=pl.lit("Q04"), severity=pl.lit("error"))
        errors = pl.concat([findings(h, m, as_of=as_of).select("household_id", "year", "code", "severity"), cross])
        out = assess_lazy(h, m, year=year, policy=policy, as_of=as_of, errors=errors).collect(engine="in-memory")
        out = out.with_columns(pl.col("region_code").str.slice(0, key_length).fill_null("0" * key_length).alias(key))
        return out.select(list(schema)).to_arrow().cast(arrow_schema)

    return run


# --- the driver ------------------------------------------------------------------------------

def assess_spark(input_dir, *, year: int, policy_paths=(), as_of: date | None = None, out_dir,
                 partition_by: str = "county", region: str | None = None, spark=None) -> PartitionedSummary:
    """Assess ``year`` on Spark, one county per executor call; rows to ``out_dir`` (Parquet,
    partitioned by ``partition_by``). Same rows as :func:`fupin.engine.assess.assess` with the
    findings as errors. Raises PolicyMissing before the job runs when a value is missing."""
    from pyspark.sql import functions as F  # noqa: PLC0415 - PySpark is optional
    from pyspark.sql.types import StructField, StructType  # noqa: PLC0415

    started = time.perf_counter()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if partition_by not in KEY_LENGTHS:
        raise PartitionError(f"partition_by 应为 {'、'.join(KEY_LENGTHS)} 之一 (must be one of {', '.join(KEY_LENGTHS)})")
    n = KEY_LENGTHS[partition_by]
    found = _require_container(input_dir)
    # As given, so that the sources in the output read as in a local run (local mode shares
    # the driver's working directory; on a cluster give paths the workers can read).
    paths = tuple(str(p) for p in policy_paths)
    policy = load_policies(list(paths))
    spark = spark or spark_session()

    def read(path: Path, table: str):
        # Partition folders are layout, not data: read the files, recompute the key.
        df = spark.read.option("recursiveFileLookup", "true").parquet(str(path))
        target = polars_schema(table, exchange_only=False)
        return df.select([F.col(c).cast(_spark_type(target[c])) for c in df.columns if c in target])

    hh = read(found["households"], "households").filter(F.col("year") == year)
    if region:
        hh = hh.filter(F.col("region_code").startswith(region))
    hh = hh.withColumn(partition_by, F.coalesce(F.substring("region_code", 1, n), F.lit("0" * n)))
    all_members = read(found["members"], "members")

    codes = [r[0] for r in hh.select("region_code").distinct().collect()]
    policy.frame(year, codes, parameters=ASSESSMENT_PARAMETERS)  # refuse before the job runs

    # Q04 across counties, set-based over every member of the year (as quality.findings reads it).
    dated = all_members.filter(F.col("household_id").isNotNull() & (F.col("year") == year)
                               & F.col("id_number").isNotNull())
    shared = dated.groupBy("id_number").agg(F.countDistinct("household_id").alias("_n")).filter("_n > 1")
    flagged = dated.join(shared, "id_number", "left_semi").select("household_id").distinct() \
        .withColumn(CROSS_FLAG, F.lit(True))
    hh = hh.join(flagged, "household_id", "left").fillna(False, [CROSS_FLAG])

    keys = hh.select("household_id", F.col(partition_by).alias("_key"))  # a new column, not a self-join
    members = all_members.filter(F.col("year").isNull() | (F.col("year") == year)).join(
        keys, "household_id", "inner").withColumnRenamed("_key", partition_by)

    schema = {**_output_schema(year, policy, as_of), partition_by: pl.String}
    spark_schema = StructType([StructField(c, _spark_type(t), True) for c, t in schema.items()])
    fn = county_assessor(year=year, policy_paths=paths, identity=policy.identity, as_of=as_of,
                         key=partition_by, key_length=n, schema=schema)
    result = hh.groupBy(partition_by).cogroup(members.groupBy(partition_by)).applyInArrow(fn, spark_schema)
    result.write.mode("overwrite").partitionBy(partition_by).parquet(str(out_dir))

    summary = PartitionedSummary(out_dir=out_dir)
    counts = scan_output(out_dir).group_by("meets_standard").len().collect()
    summary.verdicts = dict(sorted(counts.iter_rows()))
    summary.households = sum(summary.verdicts.values())
    summary.partitions = len(list(out_dir.glob(f"{partition_by}=*")))
    summary.cross_partition_q04 = flagged.count()
    summary.seconds["total"] = time.perf_counter() - started
    return summary
