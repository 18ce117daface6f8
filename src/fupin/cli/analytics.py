"""``fupin sample draw|estimate`` and ``fupin mpi`` over a registry file (spec parts C and D).

This module never imports Django: with ``--db`` the handlers of :mod:`fupin.cli.analytics_db`
read the registry through the database use cases and render with the functions here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from fupin.application import analytics, files
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import check_out_suffix, one_source, read_input
from fupin.engine.mpi import INDICATORS, MpiError
from fupin.engine.policy import PolicyMissing
from fupin.engine.sampling import NothingToSample, nothing_to_sample
from fupin.io import ExchangeFormatError, tables
from fupin.io import sampling as sample_io
from fupin.io.report import Column, Heading, Sheet, region_label, write_report

SEED_MAX = 2**64


def _need(args, *names: str) -> None:
    missing = [n for n in names if getattr(args, n.lstrip("-").replace("-", "_"), None) in (None, "")]
    if missing:
        raise UserError(f"fupin sample {args.action} 需要 {' '.join(missing)} (missing {' '.join(missing)})")


def check_draw(args) -> None:
    _need(args, "--year", "--region", "--seed", "--out")
    if not 0 <= args.seed < SEED_MAX:
        raise UserError(f"--seed 应为 0 到 2^64−1 之间的整数：{args.seed} (--seed must be in [0, 2^64))")
    if args.forms and Path(args.forms).suffix.lower() != ".xlsx":
        raise UserError(f"--forms 应为 .xlsx：{args.forms} (--forms must be .xlsx)")


def check_estimate(args) -> None:
    _need(args, "--sample", "--results", "--out")
    check_out_suffix(args.out)
    for name in ("sample", "results"):
        if not Path(getattr(args, name)).exists():
            raise UserError(f"找不到文件或文件夹 {getattr(args, name)} (no such file or folder)")


# --- sample -----------------------------------------------------------------------------------

def sample_command(args) -> int:
    one_source(args)
    if args.action == "draw":
        check_draw(args)
        try:
            registry = files.read_file(args.input, year=args.year, region=args.region)
        except files.NothingToAssess:
            raise UserError(str(nothing_to_sample(args.region, args.year))) from None
        except ExchangeFormatError as exc:
            raise UserError(str(exc)) from None
        return render_draw(args, lambda: analytics.draw_sample(
            policy_provider.current(), registry, year=args.year, region=args.region, seed=args.seed,
            purpose=args.purpose, exited_since=args.exited_since))
    check_estimate(args)
    tables_ = load_sample(args.sample)
    first = tables_["strata"].row(0, named=True)
    args.year, args.region = int(first["year"]), str(first["region"])
    registry = read_input(args, None)
    return render_estimate(args, tables_, lambda results: analytics.estimate_sample(
        policy_provider.current(), tables_, results, registry, basis=args.basis))


def render_draw(args, run) -> int:
    try:
        outcome = run()
    except files.NothingToAssess:
        raise UserError(str(nothing_to_sample(args.region, args.year))) from None
    except (NothingToSample, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    sample = outcome.sample
    heading = Heading("第三方评估抽样", region=region_label(args.region),
                      policy=policy_provider.current().identity)
    sample_io.write_sample(sample.strata, sample.cells, sample.households, args.out, heading, fmt=args.format)
    if args.forms:
        sample_io.write_field_forms(args.forms, sample.households, sample.cells,
                                    Heading("第三方评估入户调查", region=region_label(args.region)))
    roles = dict(sample.households.group_by("role").len().iter_rows())
    print(f"样本 {args.region}-{args.year}-{args.seed}：抽中 {sample.cells['village_code'].n_unique()} 个村，"
          f"正选 {roles.get('primary', 0)} 户，备选 {roles.get('reserve', 0)} 户；抽样框 {outcome.frame.households.height} 户"
          f"（范围外 {outcome.frame.out_of_scope} 户），摘要 {outcome.frame.digest[:16]}…；输出 {args.out}"
          f" (sample drawn)")
    return 0


def load_sample(path) -> dict[str, pl.DataFrame]:
    try:
        tables_ = sample_io.read_sample(path)
    except ExchangeFormatError as exc:
        raise UserError(str(exc)) from None
    if tables_["strata"].height == 0:
        raise UserError(f"样本文件 {path} 没有分层信息 (the sample has no strata rows)")
    return tables_


ESTIMATE_COLUMNS = [
    Column("indicator", "指标代码"), Column("label", "指标"), Column("sample_numerator", "样本分子", "count"),
    Column("sample_denominator", "样本分母", "count"), Column("sample_rate", "样本比率", "rate"),
    Column("estimate", "加权估计", "rate"), Column("se", "标准误", "number"), Column("deff", "设计效应", "number"),
    Column("n_eff", "有效样本量", "number"), Column("ci_low", "置信区间下限", "rate"),
    Column("ci_high", "置信区间上限", "rate"), Column("level", "置信水平", "rate"), Column("threshold", "标准", "rate"),
    Column("comparison", "比较"), Column("basis", "判定依据"), Column("decision", "结论"), Column("ci_status", "区间判断"),
    Column("villages_responding", "有效村数", "count"), Column("households_completed", "完成户数", "count"),
    Column("uncovered_households", "未覆盖户数", "count"), Column("coverage_complete", "覆盖完整"),
    Column("sample_id", "样本编号"),
]


def render_estimate(args, sample: dict[str, pl.DataFrame], run) -> int:
    try:
        results = sample_io.read_results(args.results, sample["households"])
    except ExchangeFormatError as exc:
        raise UserError(str(exc)) from None
    heading = Heading("第三方评估测算", region=region_label(str(sample["strata"]["region"][0])),
                      policy=policy_provider.current().identity)
    if results.rejects.height:
        target = args.rejects or str(Path(args.results).with_suffix("")) + ".rejects.xlsx"
        sample_io.write_results_rejects(results.rejects, target, heading)
        print(f"注意：{results.rejects.select('sheet', 'row').n_unique()} 行调查结果未采用，原因见 {target} "
              f"(rows rejected)", file=sys.stderr)
    for warning in results.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    try:
        outcome = run(results.rows)
    except (PolicyMissing, files.NothingToAssess) as exc:
        raise UserError(str(exc)) from None
    for warning in outcome.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    write_table(outcome.table, args.out, [Sheet("测算结果", outcome.table, ESTIMATE_COLUMNS, title="第三方评估测算结果",
                                                totals=False)], heading)
    shown = outcome.table.select("indicator", "sample_rate", "estimate", "ci_low", "ci_high", "threshold", "decision",
                                 "ci_status")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=4, tbl_width_chars=200):
        print(shown)
    return 0


def write_table(frame: pl.DataFrame, out, sheets, heading: Heading) -> None:
    if Path(out).suffix.lower() == ".xlsx":
        write_report(out, sheets, heading)
        return
    try:
        tables.write_frame(frame, out)
    except tables.UnsupportedOutput as exc:
        raise UserError(str(exc)) from None


# --- mpi --------------------------------------------------------------------------------------

INDICATOR_ZH = {"income": "收入", "food": "吃", "clothing": "穿", "education": "义务教育", "medical": "基本医疗",
                "housing": "住房", "water": "饮水"}
MPI_COLUMNS = [
    Column("code", "区划代码", "code"), Column("name", "名称"), Column("level", "层级"),
    Column("households", "户数", "count"), Column("households_included", "纳入户数", "count"),
    Column("excluded_unknown", "因不详排除户数", "count"), Column("excluded_error", "因数据错误排除户数", "count"),
    Column("people", "纳入人数", "count"), Column("poor_households", "多维贫困户数", "count"),
    Column("poor_people", "多维贫困人数", "count"), Column("H", "发生率H", "rate"), Column("A", "强度A", "rate"),
    Column("M0", "多维贫困指数M0", "number"), Column("k", "临界值k"),
    *[Column(f"h_{j}", f"{INDICATOR_ZH[j]}未达标率", "rate") for j in INDICATORS],
    *[Column(f"ch_{j}", f"{INDICATOR_ZH[j]}删失发生率", "rate") for j in INDICATORS],
    *[Column(f"contrib_{j}", f"{INDICATOR_ZH[j]}贡献(%)", "number") for j in INDICATORS],
    Column("people_share", "人口占比", "rate"), Column("contrib_region", "地区贡献(%)", "number"),
    Column("weights", "权重"), Column("policy", "政策"),
]
MPI_HOUSEHOLD_COLUMNS = [
    Column("household_id", "户编号", "code"), Column("region_code", "区划代码", "code"), Column("population", "人口", "count"),
    Column("score", "剥夺得分"), Column("poor", "是否多维贫困"), Column("deprived", "未达标指标"),
    Column("excluded", "排除原因"),
]


def check_mpi(args) -> None:
    one_source(args)
    check_out_suffix(args.out)
    if args.households:
        check_out_suffix(args.households)


def mpi_command(args) -> int:
    check_mpi(args)
    registry = read_input(args, None)
    return render_mpi(args, lambda: analytics.mpi_table(policy_provider.current(), registry, year=args.year,
                                                        level=args.level, region=args.region, k=args.k,
                                                        unknown=args.unknown))


def render_mpi(args, run) -> int:
    try:
        outcome = run()
    except (MpiError, PolicyMissing, files.NothingToAssess) as exc:
        raise UserError(str(exc)) from None
    table = outcome.table
    heading = Heading("多维贫困指数（Alkire-Foster M0）", region=region_label(args.region or ""),
                      policy=policy_provider.current().identity)
    notes = [f"权重 {table['weights'][0]}；k = {table['k'][0]}；不详指标处理：{args.unknown}"]
    write_table(table, args.out, [Sheet("多维贫困", table, MPI_COLUMNS, title="多维贫困指数", totals=False,
                                        notes=notes)], heading)
    if args.households:
        write_table(outcome.households, args.households,
                    [Sheet("户得分", outcome.households, MPI_HOUSEHOLD_COLUMNS, title="多维贫困户得分", totals=False)],
                    heading)
    total = table.row(-1, named=True)
    print(f"多维贫困 (MPI) {args.year}：纳入 {total['households_included']} 户 {total['people']} 人，"
          f"排除不详 {total['excluded_unknown']} 户、数据错误 {total['excluded_error']} 户；"
          f"H = {_fmt(total['H'])}，A = {_fmt(total['A'])}，M0 = {_fmt(total['M0'])}；输出 {args.out}")
    return 0


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.4f}"
