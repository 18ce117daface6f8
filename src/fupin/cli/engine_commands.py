"""Engine commands: assess, check, regions, explain, policy show."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from fupin.cli import UserError, argument, command


def _policies(paths):
    from fupin.engine.policy import PolicyError, load_policies

    try:
        return load_policies(list(paths or []))
    except PolicyError as exc:
        raise UserError(str(exc)) from None


def _as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of 日期格式应为 YYYY-MM-DD：{text} (--as-of must be YYYY-MM-DD)") from None


def load(args, *, as_of: date | None = None):
    """(households, members, regions, issues or None) from --input or --db, scoped by --region.

    With --input, households that the importer would reject are kept (their rows as far as
    they parse) together with the import issues, so that they come out as ``error`` rows
    with their codes, as rules.md "Households with errors" says, instead of vanishing.
    """
    import polars as pl

    if bool(getattr(args, "input", None)) == bool(getattr(args, "db", None)):
        raise UserError("请指定 --input 文件或 --db 数据库之一 (give exactly one of --input or --db)")
    region = getattr(args, "region", None)
    issues = None
    if args.input:
        from fupin.io import ExchangeFormatError, read_registry

        path = Path(args.input)
        if not path.exists():
            raise UserError(f"找不到文件或文件夹 {path} (no such file or folder)")
        try:
            registry = read_registry(str(path), year=args.year, as_of=as_of)
        except ExchangeFormatError as exc:
            raise UserError(str(exc)) from None
        internal = [c for c in registry.households.columns if c.startswith("_")]
        households = (
            registry.households.drop(internal)
            .filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
            .unique(["household_id", "year"], keep="first", maintain_order=True)
        )
        members = registry.members.drop([c for c in registry.members.columns if c.startswith("_")])
        regions = registry.regions
        issues = registry.issues.filter(pl.col("household_id").is_not_null())
    else:
        from fupin.site.bootstrap import setup

        setup(args.db)
        from fupin.registry.bulk import read_year

        households, members, regions = read_year(args.db, args.year, region)
    if region:
        from fupin.divisions import scope_prefix

        prefix = scope_prefix(region)
        households = households.filter(pl.col("region_code").str.starts_with(prefix))
        members = members.filter(pl.col("household_id").is_in(households["household_id"].implode()))
    if households.filter(pl.col("year") == args.year).height == 0:
        where = args.input or args.db
        raise UserError(f"{where} 中没有 {args.year} 年度的户{('（区划 ' + region + '）') if region else ''} "
                        f"(no households of year {args.year} there)")
    return households, members, regions, issues


def quality_findings(households, members, regions, *, year: int, as_of: date | None, issues=None,
                     assessment=None):
    """Quality findings plus the import issues, as (household_id, year, code, severity, ...)."""
    import polars as pl

    from fupin.engine.quality import findings

    frames = [findings(households, members, as_of=as_of, assessment=assessment)]
    if issues is not None and issues.height:
        frames.append(issues.with_columns(member_name=pl.lit(None, pl.String)))
    cols = ["household_id", "year", "code", "severity", "member_name", "message_zh", "message_en"]
    found = pl.concat([f.select(cols).with_columns(pl.col("year").cast(pl.Int32)) for f in frames],
                      how="vertical_relaxed")
    return found.filter(pl.col("year").is_null() | (pl.col("year") == year)).unique(maintain_order=True)


def _assess(args, households, members, regions, issues, policy, as_of):
    from fupin.engine.assess import assess
    from fupin.engine.policy import PolicyMissing

    errors = quality_findings(households, members, regions, year=args.year, as_of=as_of, issues=issues)
    try:
        return assess(households, members, regions, year=args.year, policy=policy, as_of=as_of, errors=errors)
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None


_INPUT = argument("--input", help="文件或文件夹 (.xlsx, CSV or Parquet folder)")
_DB = argument("--db", help="数据库地址 (sqlite:///file or postgresql://...)")
_POLICY = argument("--policy", action="append", default=[], help="政策文件 .toml（可多次；国家文件总是先加载）")


@command("assess", help="评估达标情况与监测预警 (assess households against the standard; monitoring leads)")
@argument("--year", type=int, required=True)
@_INPUT
@_DB
@_POLICY
@argument("--as-of", help="评估日期 YYYY-MM-DD（默认当年12月31日）")
@argument("--region", help="区划代码前缀 (division-code prefix)")
@argument("--out", required=True, help=".csv, .parquet or .xlsx")
@argument("--engine", choices=["local", "partitioned", "spark"], default="local",
          help="local（默认）；partitioned：按县分区流式评估 Parquet；spark：PySpark 按县分布式评估 "
               "(partitioned: county by county over Parquet; spark: on PySpark)")
def assess_command(args):
    from fupin.engine.assess import write_assessment

    if Path(args.out).suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        raise UserError(f"--out 应为 .csv、.parquet 或 .xlsx：{args.out} (--out must end in .csv, .parquet or .xlsx)")
    as_of = _as_of(args.as_of)
    policy = _policies(args.policy)
    if args.engine != "local":
        return _assess_at_scale(args, policy, as_of)
    households, members, regions, issues = load(args, as_of=as_of)
    frame = _assess(args, households, members, regions, issues, policy, as_of)
    write_assessment(frame, args.out)
    if args.db:
        from fupin.assessments.services import store_run

        found = quality_findings(households, members, regions, year=args.year, as_of=as_of,
                                 assessment=frame)
        run = store_run(frame, found, year=args.year, policy=policy, as_of=as_of, region=args.region)
        print(f"已存入数据库：评估批次 {run.pk} (stored as assessment run {run.pk})")
    counts = dict(frame.group_by("meets_standard").len().iter_rows())
    print(f"{frame.height} 户已评估 (households assessed)：" + "，".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"；输出 {args.out}；政策 {policy.identity}")
    return 0


def _assess_at_scale(args, policy, as_of) -> int:
    """``assess --engine partitioned|spark``: county by county over a Parquet container."""
    import shutil
    import tempfile

    from fupin.engine.assess import OUTPUT_COLUMNS, write_assessment
    from fupin.engine.partitioned import PartitionError
    from fupin.engine.policy import PolicyMissing

    if args.db or not args.input:
        raise UserError(f"--engine {args.engine} 只能读取 --input 指定的 Parquet 文件夹 "
                        f"(--engine {args.engine} reads a Parquet folder given with --input, not --db)")
    if not Path(args.input).exists():
        raise UserError(f"找不到文件或文件夹 {args.input} (no such file or folder)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fupin-assess-", dir=out.parent))
    try:
        try:
            if args.engine == "spark":
                from fupin.engine.spark import SparkUnavailable, assess_spark

                try:
                    summary = assess_spark(args.input, year=args.year, policy_paths=args.policy, as_of=as_of,
                                           out_dir=work / "rows", region=args.region)
                except SparkUnavailable as exc:
                    raise UserError(str(exc)) from None
            else:
                from fupin.engine.partitioned import assess_partitioned

                summary = assess_partitioned(args.input, year=args.year, policy=policy, as_of=as_of,
                                             out_dir=work / "rows", work_dir=work / "partitions",
                                             region=args.region)
        except (PolicyMissing, PartitionError) as exc:
            raise UserError(str(exc)) from None
        if summary.households == 0:
            raise UserError(f"{args.input} 中没有 {args.year} 年度的户 (no households of year {args.year} there)")
        rows = summary.scan().select(OUTPUT_COLUMNS)
        suffix = out.suffix.lower()
        if suffix == ".parquet":
            rows.sink_parquet(out)
        elif suffix == ".csv":
            rows.sink_csv(out)
        else:
            write_assessment(summary.scan().collect(), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = "，".join(f"{k} {v}" for k, v in summary.verdicts.items())
    print(f"{summary.households} 户已评估 (households assessed, engine {args.engine}, {summary.partitions} 个分区)："
          f"{counts}；输出 {args.out}；政策 {policy.identity}")
    return 0


@command("check", help="数据质量检查，按村汇总 (data-quality findings grouped by village)")
@argument("--year", type=int, required=True)
@_INPUT
@_DB
@argument("--region", help="区划代码前缀 (division-code prefix)")
@argument("--as-of", help="评估日期 YYYY-MM-DD")
@_POLICY
@argument("--out", help="问题清单 .xlsx")
def check_command(args):
    import polars as pl

    from fupin.engine.policy import PolicyMissing

    as_of = _as_of(args.as_of)
    policy = _policies(args.policy)
    households, members, regions, issues = load(args, as_of=as_of)
    # Checks that compare with the verdict (Q24, Q25) need an assessment; without a complete
    # policy they are skipped, and the user is told why.
    try:
        assessment = _assess(args, households, members, regions, issues, policy, as_of)
    except UserError as exc:
        if not isinstance(exc.__context__, PolicyMissing):
            raise
        print(f"注意：{exc}（Q24、Q25 未检查 / Q24 and Q25 skipped）", file=sys.stderr)
        assessment = None
    found = quality_findings(households, members, regions, year=args.year, as_of=as_of, issues=issues,
                             assessment=assessment)
    if found is None:
        raise UserError("数据质量检查模块尚不可用 (the quality module fupin.engine.quality is not installed)")
    hh = households.filter(pl.col("year") == args.year).select("household_id", "region_code").unique("household_id")
    table = found.join(hh, on="household_id", how="left").sort("region_code", "household_id", "code")
    by_village = (
        table.group_by("region_code").agg(
            findings=pl.len(), errors=(pl.col("severity") == "error").sum(),
            warnings=(pl.col("severity") == "warning").sum(),
            households=pl.col("household_id").n_unique(),
            codes=pl.col("code").unique().sort().str.join(";"),
        ).sort("region_code")
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80):
        print(by_village)
    if args.out:
        if Path(args.out).suffix.lower() != ".xlsx":
            raise UserError(f"--out 应为 .xlsx：{args.out} (--out must be .xlsx)")
        import xlsxwriter

        with xlsxwriter.Workbook(args.out) as wb:
            by_village.rename({"region_code": "区划代码", "findings": "问题数", "errors": "错误",
                               "warnings": "提示", "households": "涉及户数", "codes": "问题代码"}).write_excel(wb, "按村汇总")
            table.write_excel(wb, "问题清单")
    return 1 if (found["severity"] == "error").any() else 0


@command("regions", help="村、乡镇、县汇总：贫困发生率、退出、挂牌督战 (village/town/county aggregates)")
@argument("--year", type=int, required=True)
@argument("--level", choices=["village", "town", "county"], default="village")
@argument("--region", help="区划代码前缀 (division-code prefix)")
@_INPUT
@_DB
@_POLICY
@argument("--as-of", help="评估日期 YYYY-MM-DD")
@argument("--out", help=".csv, .parquet or .xlsx")
def regions_command(args):
    import polars as pl

    from fupin.engine.policy import PolicyMissing
    from fupin.engine.regions import region_summary

    as_of = _as_of(args.as_of)
    policy = _policies(args.policy)
    households, members, regions, issues = load(args, as_of=as_of)
    frame = _assess(args, households, members, regions, issues, policy, as_of)
    try:
        summary = region_summary(frame, households, members, regions, year=args.year, level=args.level,
                                 region=args.region, policy=policy)
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    if args.out:
        suffix = Path(args.out).suffix.lower()
        if suffix == ".csv":
            summary.write_csv(args.out)
        elif suffix == ".parquet":
            summary.write_parquet(args.out)
        elif suffix == ".xlsx":
            summary.write_excel(args.out, "区划汇总")
        else:
            raise UserError(f"--out 应为 .csv、.parquet 或 .xlsx：{args.out}")
    shown = summary.select("code", "name", "households", "people", "remaining_poor_people",
                           "registered_rural_population", "incidence", "projected_incidence",
                           "exit_eligible", "listed_supervision")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=250):
        print(shown)
    return 0


@command("explain", help="解释一户的评估结果 (explain one household's verdict)")
@argument("household_id")
@argument("--year", type=int, required=True)
@_INPUT
@_DB
@_POLICY
@argument("--as-of", help="评估日期 YYYY-MM-DD")
@argument("--lang", choices=["zh", "en"], default="zh")
def explain_command(args):
    import polars as pl

    from fupin.engine.explain import explain

    args.region = None
    as_of = _as_of(args.as_of)
    policy = _policies(args.policy)
    households, members, regions, issues = load(args, as_of=as_of)
    wanted = pl.col("household_id") == args.household_id
    one = households.filter(wanted & (pl.col("year") == args.year))
    if one.height == 0:
        raise UserError(f"{args.year}年没有户编号为 {args.household_id} 的户 "
                        f"(no household {args.household_id} in {args.year})")
    # Quality checks such as Q04 look across households, so they run on the whole year.
    frame = _assess(args, households, members, regions, issues, policy, as_of).filter(wanted)
    print(explain(frame.row(0, named=True), lang=args.lang))
    return 0


@command("policy", help="查看政策参数及来源 (show policy values and their sources)")
@argument("action", choices=["show"])
@argument("--year", type=int)
@argument("--region", help="区划代码 (division code), e.g. 50")
@_POLICY
def policy_command(args):
    from fupin.engine.policy import PARAMETER_LABELS

    policy = _policies(args.policy)
    print(f"政策 (policy): {policy.identity}")
    for f in policy.files:
        print(f"  {f.identity}  {f.path}" + (f"  适用区划 {f.region}" if f.region else ""))
    region = args.region or ""
    for param in policy.parameters():
        zh = PARAMETER_LABELS.get(param, (param, param))[0]
        if args.year:
            found = policy.lookup(param, args.year, region)
            needed = param in policy.needed(args.year, region)
            if found is None:
                print(f"{param} {zh}: 未设置 (not set){' — 评估该年度需要此值 (needed)' if needed else ''}")
            else:
                value, path, source, confidence = found
                print(f"{param} {zh}: {value}  [{path}] {source} 可信度 {confidence}")
        else:
            entries = []
            for f in policy.files:
                if region and not f.applies_to(region):
                    continue
                for key, v in f.parameters.get(param, {}).items():
                    entries.append(f"{key}={v.value}({f.name},{v.confidence})")
            print(f"{param} {zh}: " + "  ".join(entries))
    sys.stdout.flush()
    return 0
