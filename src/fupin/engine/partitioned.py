"""National scale on one machine: the unchanged engine, county by county, over Parquet partitions.

Layout (a Parquet container of the exchange format, partitioned hive-style by a division-code
prefix; ``county`` = the first 6 digits of ``region_code``)::

    registry.parquet/
        households.parquet/county=500101/00000000.parquet   canonical columns, key not stored
        members.parquet/county=500101/00000000.parquet      members of those households
        regions.parquet                                     optional, one file

A member belongs to the partition of its household (join on ``household_id`` and ``year``);
members whose household is not in the households table go to ``county=none`` (they are never
assessed, but they still count for Q04). :func:`partition_registry` writes this layout from any
Parquet container (files or folders of part files) with the streaming engine.

:func:`assess_partitioned` reads one batch of counties at a time (counties grouped up to
``batch_households`` households; a county larger than that is a batch of its own), runs the
unchanged engine on it — :func:`fupin.engine.quality.findings` for the error codes, then
:func:`fupin.engine.assess.assess_lazy` — and writes that batch's rows to
``out_dir/county=XXXXXX/part-0.parquet``. Peak memory is bounded by the largest batch, not by
the country.

What crosses partitions, and how it is handled before partitioning:

* **Q04** (one ID number in two households of the same year) is the only rule of ``rules.md``
  that looks across households. It is computed set-based over the members files of the *whole*
  input (every partition, including ``county=none``) before any county is assessed: a streaming
  ``group_by(id_number, year)`` count in hash buckets of ``id_number`` (so that the group-by
  state stays bounded at 90 million members), then a semi-join back to the members to find the
  households. The resulting (household, year) pairs are passed to every batch as ``Q04``
  errors, so a person in two households of *different* counties makes both ``error``. Within
  a county the engine's own Q04 finds the same pairs again; codes are de-duplicated.
* **The policy** is resolved once for every region code of the year before anything runs, so
  that a missing value is refused up front (naming parameter, year and province), not halfway.
* Everything else — member facts, every indicator, monitoring, elimination and the other
  quality checks — is keyed by (household, year), and a household never spans partitions.

Equality with the local engine (tested): for the same canonical frames, the union of the
partition outputs equals ``assess(h, m, errors=findings(h, m))`` row for row (order aside).
Input is the canonical typed Parquet the project writes (``fupin generate``, exports); the
import validation of other containers (E-codes, Q01/Q02 from ID parsing) is the importer's job.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from fupin.engine.assess import ASSESSMENT_PARAMETERS, assess_lazy
from fupin.engine.policy import PolicySet
from fupin.engine.quality import findings
from fupin.engine.schema import polars_schema

KEY_LENGTHS = {"province": 2, "city": 4, "county": 6, "town": 9}
ORPHANS = "none"  # partition of members whose household is not in the households table
TABLES = ("households", "members")
# Members per Q04 hash bucket: the group-by state of one bucket stays well under 1 GB.
Q04_MEMBERS_PER_BUCKET = 15_000_000


class PartitionError(ValueError):
    """A container that cannot be partitioned or assessed partition by partition."""


def _key_length(partition_by: str) -> int:
    try:
        return KEY_LENGTHS[partition_by]
    except KeyError:
        raise PartitionError(
            f"partition_by 应为 {'、'.join(KEY_LENGTHS)} 之一：{partition_by} "
            f"(partition_by must be one of {', '.join(KEY_LENGTHS)}: {partition_by!r})"
        ) from None


def _table_path(container: Path, table: str) -> Path | None:
    for p in sorted(container.iterdir()) if container.is_dir() else ():
        if p.name.lower() == f"{table}.parquet":
            return p
    return None


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*.parquet") if p.is_file())


def _require_container(container: Path) -> dict[str, Path]:
    found = {t: _table_path(container, t) for t in TABLES}
    if not container.is_dir() or any(p is None for p in found.values()):
        raise PartitionError(
            f"“{container}”不是 Parquet 文件夹：需要 households.parquet 和 members.parquet（文件或分区文件夹）。"
            f" ('{container}' is not a Parquet container: it needs households.parquet and "
            f"members.parquet, as files or folders of partition files)"
        )
    return found  # type: ignore[return-value]


def _scan(files: list[Path], table: str) -> pl.LazyFrame:
    """Canonical columns of ``files``; partition keys live in folder names, never in rows."""
    lf = pl.scan_parquet([str(f) for f in files], hive_partitioning=False)
    target = polars_schema(table, exchange_only=False)
    have = lf.collect_schema()
    return lf.with_columns([pl.col(c).cast(target[c]) for c in have.names() if c in target])


# --- layout ----------------------------------------------------------------------------------

def partitions(container, partition_by: str = "county") -> dict[str, dict[str, list[Path]]] | None:
    """``{key: {"households": [files], "members": [files]}}`` of a partitioned container, or
    None when the container is not partitioned by ``partition_by``."""
    container = Path(container)
    found = _require_container(container)
    prefix = f"{partition_by}="
    out: dict[str, dict[str, list[Path]]] = {}
    for table, path in found.items():
        if not path.is_dir():
            return None
        dirs = [d for d in path.iterdir() if d.is_dir() and d.name.startswith(prefix)]
        if not dirs:
            return None
        for d in dirs:
            out.setdefault(d.name[len(prefix):], {t: [] for t in TABLES})[table] = _files(d)
    return dict(sorted(out.items()))


def partition_registry(src, dst, *, partition_by: str = "county") -> dict[str, int]:
    """Write the Parquet container ``src`` to ``dst`` partitioned by ``partition_by``.

    Streaming: households are keyed by the prefix of ``region_code``; members get their
    household's key through a join on (household_id, year) — on household_id alone for members
    without a year — and members without a household go to ``county=none``. Returns counts.
    """
    src, dst = Path(src), Path(dst)
    found = _require_container(src)
    n = _key_length(partition_by)
    if dst.exists() and any(dst.iterdir()):
        raise PartitionError(
            f"目标文件夹“{dst}”不是空的；请指定一个新文件夹。 (target folder '{dst}' is not empty; give a new one)"
        )
    dst.mkdir(parents=True, exist_ok=True)
    hh = _scan(_files(found["households"]), "households").with_columns(
        pl.col("region_code").str.slice(0, n).fill_null("0" * n).alias(partition_by)
    )
    hh.sink_parquet(pl.PartitionBy(dst / "households.parquet", key=partition_by, include_key=False), mkdir=True)

    keys = hh.select("household_id", "year", partition_by)
    by_year = keys.unique(["household_id", "year"], keep="first")
    by_id = keys.unique(["household_id"], keep="first").select("household_id", partition_by)
    mem = _scan(_files(found["members"]), "members")
    cols = mem.collect_schema().names()
    dated = mem.filter(pl.col("year").is_not_null()).join(by_year, on=["household_id", "year"], how="left")
    undated = mem.filter(pl.col("year").is_null()).join(by_id, on="household_id", how="left")
    members = pl.concat([dated.select(*cols, partition_by), undated.select(*cols, partition_by)]).with_columns(
        pl.col(partition_by).fill_null(ORPHANS)
    )
    members.sink_parquet(pl.PartitionBy(dst / "members.parquet", key=partition_by, include_key=False), mkdir=True)

    regions = _table_path(src, "regions")
    if regions is not None:
        pl.scan_parquet([str(f) for f in _files(regions)], hive_partitioning=False).sink_parquet(
            dst / "regions.parquet")
    layout = partitions(dst, partition_by) or {}
    return {
        "partitions": len([k for k in layout if k != ORPHANS]),
        "households": _rows([f for p in layout.values() for f in p["households"]]),
        "members": _rows([f for p in layout.values() for f in p["members"]]),
    }


def _rows(files: list[Path]) -> int:
    return sum(pq.read_metadata(str(f)).num_rows for f in files)


# --- what crosses partitions -----------------------------------------------------------------

def cross_partition_errors(member_files: list[Path], *, year: int, buckets: int | None = None) -> pl.DataFrame:
    """Q04 over all members of ``year``: (household_id, year, code, severity), one row per
    household that shares an ID number with another household of the same year.

    As :func:`fupin.engine.quality.findings` reads it: members with a household, a year and an
    ID number; the same ID in two *different* households. Hash buckets of ``id_number`` bound
    the group-by state (one streaming pass per bucket reads only three columns).
    """
    if buckets is None:
        buckets = max(1, math.ceil(_rows(member_files) / Q04_MEMBERS_PER_BUCKET))
    base = _scan(member_files, "members").select("household_id", "year", "id_number").filter(
        pl.col("household_id").is_not_null() & (pl.col("year") == year) & pl.col("id_number").is_not_null()
    )
    found = []
    for b in range(buckets):
        part = base if buckets == 1 else base.filter(pl.col("id_number").hash(seed=7) % buckets == b)
        # Rows sharing an ID first (cheap count); the distinct households only for those few.
        repeated = part.group_by("id_number").agg(pl.len().alias("_n")).filter(pl.col("_n") > 1).select("id_number")
        shared = (
            part.join(repeated, on="id_number", how="semi")
            .group_by("id_number").agg(pl.col("household_id").unique().alias("household_id"))
            .filter(pl.col("household_id").list.len() > 1)
            .explode("household_id")
            .select("household_id")
        )
        found.append(shared.collect(engine="streaming"))
    households = pl.concat(found).unique() if found else pl.DataFrame(schema={"household_id": pl.String})
    return households.select(
        "household_id", year=pl.lit(year, pl.Int32), code=pl.lit("Q04"), severity=pl.lit("error")
    ).sort("household_id")


# --- assessment ------------------------------------------------------------------------------

@dataclass
class PartitionedSummary:
    out_dir: Path
    partitions: int = 0
    batches: int = 0
    households: int = 0
    largest_batch: int = 0
    cross_partition_q04: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def scan(self) -> pl.LazyFrame:
        """The assessment rows of every partition."""
        return scan_output(self.out_dir)


def scan_output(out_dir) -> pl.LazyFrame:
    files = sorted(Path(out_dir).glob("*=*/*.parquet"))
    if not files:
        raise PartitionError(f"“{out_dir}”中没有评估结果 (no assessment output in '{out_dir}')")
    return pl.scan_parquet([str(f) for f in files], hive_partitioning=False)


def _batches(layout: dict[str, dict[str, list[Path]]], budget: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for key, files in layout.items():
        n = _rows(files["households"])
        if batch and size + n > budget:
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += n
    if batch:
        yield batch


def assess_partitioned(input_dir, *, year: int, policy: PolicySet, as_of: date | None = None, out_dir,
                       partition_by: str = "county", region: str | None = None,
                       batch_households: int = 500_000, work_dir=None,
                       collect_engine: str = "in-memory") -> PartitionedSummary:
    """Assess ``year`` partition by partition; rows to ``out_dir/<partition_by>=KEY/part-0.parquet``.

    ``input_dir`` is a Parquet container, partitioned by ``partition_by`` or not (then it is
    partitioned first into ``work_dir``, default ``out_dir/_partitions``, removed afterwards).
    ``region`` keeps households whose code starts with it (Q04 still looks at every member of
    the input). The rows are those of :func:`fupin.engine.assess.assess` (OUTPUT_COLUMNS, then
    the detail columns). Raises PolicyMissing before anything is written when the policy lacks
    a value; see the module docstring for what crosses partitions.
    """
    started = time.perf_counter()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    n = _key_length(partition_by)
    summary = PartitionedSummary(out_dir=out_dir)
    layout = partitions(input_dir, partition_by)
    temporary = None
    if layout is None:
        temporary = Path(work_dir) if work_dir else out_dir / "_partitions"
        if temporary.exists():
            shutil.rmtree(temporary)
        partition_registry(input_dir, temporary, partition_by=partition_by)
        layout = partitions(temporary, partition_by) or {}
        summary.seconds["partition"] = time.perf_counter() - started
    try:
        _run(layout, summary, year=year, policy=policy, as_of=as_of, out_dir=out_dir, key_length=n,
             partition_by=partition_by, region=region, budget=batch_households, collect_engine=collect_engine)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    summary.seconds["total"] = time.perf_counter() - started
    return summary


def _run(layout, summary: PartitionedSummary, *, year, policy, as_of, out_dir: Path, key_length: int,
         partition_by: str, region: str | None, budget: int, collect_engine: str) -> None:
    t0 = time.perf_counter()
    all_members = [f for p in layout.values() for f in p["members"]]
    selected = {k: v for k, v in layout.items() if k != ORPHANS and v["households"]}
    if region:
        lead = region[:key_length]
        selected = {k: v for k, v in selected.items() if k.startswith(lead) or lead.startswith(k)}
    in_region = pl.col("region_code").str.starts_with(region) if region else pl.lit(True)

    # The policy for every region code of the year, refused now rather than halfway.
    hh_files = [f for p in selected.values() for f in p["households"]]
    if hh_files:
        codes = _scan(hh_files, "households").filter((pl.col("year") == year) & in_region).select(
            pl.col("region_code").unique()).collect(engine="streaming")["region_code"]
        policy.frame(year, codes, parameters=ASSESSMENT_PARAMETERS)
    summary.seconds["policy"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    q04 = cross_partition_errors(all_members, year=year) if all_members else None
    summary.cross_partition_q04 = 0 if q04 is None else q04.height
    summary.seconds["q04"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(f"{partition_by}=*"):
        shutil.rmtree(stale)  # a rerun replaces the previous output, never mixes with it
    verdicts: dict[str, int] = {}
    summary.partitions = len(selected)
    for keys in _batches(selected, budget):
        h = _scan([f for k in keys for f in selected[k]["households"]], "households").filter(
            (pl.col("year") == year) & in_region).collect()
        if h.height == 0:
            continue
        m = _scan([f for k in keys for f in selected[k]["members"]], "members").filter(
            pl.col("year").is_null() | (pl.col("year") == year)).collect()
        if region:
            m = m.filter(pl.col("household_id").is_in(h["household_id"].implode()))
        errors = findings(h, m, as_of=as_of).select("household_id", "year", "code", "severity")
        if q04 is not None and q04.height:
            errors = pl.concat([errors, q04.join(h.select("household_id").unique(), on="household_id", how="semi")])
        rows = assess_lazy(h, m, year=year, policy=policy, as_of=as_of, errors=errors).collect(engine=collect_engine)
        keyed = rows.with_columns(pl.col("region_code").str.slice(0, key_length).fill_null("0" * key_length)
                                  .alias("_key"))
        for (key,), part in keyed.partition_by("_key", as_dict=True, maintain_order=True).items():
            target = out_dir / f"{partition_by}={key}"
            target.mkdir(parents=True, exist_ok=True)
            part.drop("_key").write_parquet(target / "part-0.parquet")
        for verdict, count in rows.group_by("meets_standard").len().iter_rows():
            verdicts[verdict] = verdicts.get(verdict, 0) + count
        summary.batches += 1
        summary.households += rows.height
        summary.largest_batch = max(summary.largest_batch, rows.height)
        del h, m, rows, keyed, errors
    summary.verdicts = dict(sorted(verdicts.items()))
    summary.seconds["assess"] = time.perf_counter() - t2
