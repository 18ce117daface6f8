"""Commands over files, without a database: generate, policy show, and assess, check, regions,
explain with ``--input``. This module never imports Django (see :mod:`fupin.cli.commands`)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import polars as pl

from fupin.application import files
from fupin.application import policy as policy_provider
from fupin.cli import terminal
from fupin.cli.commands import UserError
from fupin.engine.assess import OUTPUT_COLUMNS
from fupin.engine.partitioned import PartitionError, assess_partitioned
from fupin.engine.policy import PARAMETER_LABELS, PolicyMissing
from fupin.io import ExchangeFormatError, report, tables, write_assessment

OUT_SUFFIXES = (".csv", ".parquet", ".xlsx")


def date_option(text: str | None, option: str) -> date | None:
    """The date given to ``option`` (None when not given); a one-line error when malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} 日期格式应为 YYYY-MM-DD：{text} ({option} must be YYYY-MM-DD)") from None


def as_of(text: str | None) -> date | None:
    return date_option(text, "--as-of")


def one_source(args) -> None:
    if bool(getattr(args, "input", None)) == bool(getattr(args, "db", None)):
        raise UserError("请指定 --input 文件或 --db 数据库之一 (give exactly one of --input or --db)")


def read_input(args, when: date | None) -> files.FileRegistry:
    one_source(args)
    if not Path(args.input).exists():
        raise UserError(f"找不到文件或文件夹 {args.input} (no such file or folder)")
    try:
        return files.read_file(args.input, year=args.year, region=getattr(args, "region", None), as_of=when)
    except (ExchangeFormatError, files.NothingToAssess) as exc:
        raise UserError(str(exc)) from None


def assessed(registry: files.FileRegistry, year: int, when: date | None):
    try:
        return files.assess_registry(policy_provider.current(), registry, year, as_of=when)
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None


def check_out_suffix(out: str) -> None:
    if Path(out).suffix.lower() not in OUT_SUFFIXES:
        raise UserError(f"--out 应为 .csv、.parquet 或 .xlsx：{out} (--out must end in .csv, .parquet or .xlsx)")


def print_assessed(verdicts: pl.DataFrame, out: str) -> None:
    print(f"{verdicts.height} 户已评估 (households assessed)：{files.counts_text(verdicts)}；输出 {out}；"
          f"政策 {policy_provider.current().identity}")


# --- assess, check, regions, explain over a file ----------------------------------------------------

def assess_command(args) -> int:
    check_out_suffix(args.out)
    when = as_of(args.as_of)
    if args.engine != "local":
        return _assess_at_scale(args, when)
    registry = read_input(args, when)
    verdicts, _findings = assessed(registry, args.year, when)
    write_assessment(verdicts, args.out)
    print_assessed(verdicts, args.out)
    return 0


def _assess_at_scale(args, when: date | None) -> int:
    """``assess --engine partitioned|spark``: county by county over a Parquet container."""
    if args.db or not args.input:
        raise UserError(f"--engine {args.engine} 只能读取 --input 指定的 Parquet 文件夹 "
                        f"(--engine {args.engine} reads a Parquet folder given with --input, not --db)")
    if not Path(args.input).exists():
        raise UserError(f"找不到文件或文件夹 {args.input} (no such file or folder)")
    policy = policy_provider.current()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fupin-assess-", dir=out.parent))
    try:
        try:
            if args.engine == "spark":
                summary = _spark(args, when, work)
            else:
                summary = assess_partitioned(args.input, year=args.year, policy=policy, as_of=when,
                                             out_dir=work / "rows", work_dir=work / "partitions", region=args.region)
        except (PolicyMissing, PartitionError) as exc:
            raise UserError(str(exc)) from None
        if summary.households == 0:
            raise UserError(f"{args.input} 中没有 {args.year} 年度的户 (no households of year {args.year} there)")
        rows = summary.scan().select(OUTPUT_COLUMNS)
        suffix = out.suffix.lower()
        if suffix == ".parquet":
            rows.sink_parquet(out)
        elif suffix == ".csv":
            tables.sink_csv(rows, out)
        else:
            write_assessment(summary.scan().collect(), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = files.labelled_counts(dict(summary.verdicts))
    print(f"{summary.households} 户已评估 (households assessed, engine {args.engine}, {summary.partitions} 个分区)："
          f"{counts}；输出 {args.out}；政策 {policy.identity}")
    return 0


def _spark(args, when, work: Path):
    # PySpark is an optional dependency of its own: loaded only when asked for.
    from fupin.engine.spark import SparkUnavailable, assess_spark

    try:
        return assess_spark(args.input, year=args.year, policy_paths=policy_provider.configured_paths(), as_of=when,
                            out_dir=work / "rows", region=args.region)
    except SparkUnavailable as exc:
        raise UserError(str(exc)) from None


def check_command(args) -> int:
    when = as_of(args.as_of)
    registry = read_input(args, when)
    return report_findings(args, registry, when)


def report_findings(args, registry: files.FileRegistry, when: date | None) -> int:
    """Print the findings by village (and write them with --out); exit 1 when any is an error."""
    if args.out and Path(args.out).suffix.lower() != ".xlsx":
        raise UserError(f"--out 应为 .xlsx：{args.out} (--out must be .xlsx)")
    try:
        _verdicts, found = files.assess_registry(policy_provider.current(), registry, args.year, as_of=when)
    except PolicyMissing as exc:
        # Checks that compare with the verdict (Q24, Q25) need an assessment; without a complete
        # policy they are skipped, and the user is told why.
        print(f"注意：{exc}（Q24、Q25 未检查 / Q24 and Q25 skipped）", file=sys.stderr)
        found = files.checks_only(registry, args.year, as_of=when)
    table, by_village = files.findings_by_village(registry, found, args.year)
    fmt = getattr(args, "format", "table")
    # Machines get every finding (the counts follow from it); people the counts by village.
    terminal.show(by_village, report.finding_village_columns(), fmt,
                  title=f"{args.year}年度数据质量问题（{_where(args.region, by_village['region_code'])}，按村汇总）",
                  machine=table)
    if args.out:
        report.write_findings(args.out, by_village, table, year=args.year, region=getattr(args, "region", None) or "",
                              policy=policy_provider.current().title_for(getattr(args, "region", None)))
        _wrote(args.out, fmt)
    return 1 if (found["severity"] == "error").any() else 0


def _where(region: str | None, codes: pl.Series) -> str:
    """The region a report covers, by name: the one asked for, else the one its rows share."""
    return report.region_label(region or report.common_region(codes.drop_nulls().to_list()))


def _wrote(out: str, fmt: str) -> None:
    # stdout may be a CSV or JSON another program reads: the note goes to stderr then.
    print(f"已写入 (written) {out}", file=sys.stdout if fmt == "table" else sys.stderr)


def regions_command(args) -> int:
    when = as_of(args.as_of)
    registry = read_input(args, when)
    return report_regions(args, registry, when)


def report_regions(args, registry: files.FileRegistry, when: date | None) -> int:
    if args.out:
        check_out_suffix(args.out)
    verdicts, _found = assessed(registry, args.year, when)
    try:
        summary = files.figures_by_region(policy_provider.current(), registry, verdicts, year=args.year,
                                          level=args.level, region=args.region)
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    fmt = getattr(args, "format", "table")
    level = report.LEVEL_LABELS.get(args.level, args.level)
    terminal.show(summary, report.region_figure_columns(summary, report.REGION_TERMINAL_KEYS), fmt,
                  title=f"{args.year}年度{level}级汇总（{_where(args.region, summary['code'])}）")
    if args.out:
        suffix = Path(args.out).suffix.lower()
        if suffix == ".xlsx":
            report.write_region_figures(args.out, summary, year=args.year, level=args.level, region=args.region or "",
                                        policy=policy_provider.current().title_for(args.region))
        else:
            tables.write_frame(summary, args.out, allowed=(".csv", ".parquet"))
        _wrote(args.out, fmt)
    return 0


def explain_command(args) -> int:
    one_source(args)
    when = as_of(args.as_of)
    if not Path(args.input).exists():
        raise UserError(f"找不到文件或文件夹 {args.input} (no such file or folder)")
    try:
        print(files.explain_in_file(policy_provider.current(), args.input, args.household_id, args.year,
                                    as_of=when, lang=args.lang))
    except (ExchangeFormatError, files.NothingToAssess, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    return 0


# --- policy ------------------------------------------------------------------------------------

def policy_command(args) -> int:
    policy = policy_provider.current()
    print(f"政策 (policy): {policy.identity}")
    for f in policy.files:
        print(f"  {f.identity}  {f.path}" + (f"  适用区划 {f.region}" if f.region else ""))
    region = args.region or ""
    if args.year:
        for row in policy_provider.values(policy, args.year, region):
            if row["value"] is None:
                print(f"{row['parameter']} {row['label_zh']}: 未设置 (not set)"
                      f"{' — 评估该年度需要此值 (needed)' if row['needed'] else ''}")
            else:
                print(f"{row['parameter']} {row['label_zh']}: {row['shown']}  [{row['file']}] {row['source']} "
                      f"可信度 {row['confidence']}")
    else:
        for param in policy.parameters():
            zh = PARAMETER_LABELS.get(param, (param, param))[0]
            entries = []
            for f in policy.files:
                if region and not f.applies_to(region):
                    continue
                for key, v in f.parameters.get(param, {}).items():
                    entries.append(f"{key}={v.value}({f.name},{v.confidence})")
            print(f"{param} {zh}: " + "  ".join(entries))
    sys.stdout.flush()
    return 0
