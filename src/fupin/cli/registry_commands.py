"""Registry commands: import, export, generate, demo."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fupin.cli import UserError, argument, command


class ProgressBar:
    """A tqdm bar on a terminal, silence otherwise (CI logs, pipes)."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        from tqdm import tqdm

        if self.bar is None or stage != self.stage:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=f"{self.label} {stage}", unit="", leave=False, file=sys.stderr)
            self.stage = stage
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(path: str, *, db: str | None, rejects: str | None, year: int | None,
               province: str = "50", quiet: bool = False, user=None):
    """Read, validate, load; returns the import outcome. Shared by the CLI and the demo."""
    from fupin.site.bootstrap import setup

    setup(db)
    from fupin.io import ExchangeFormatError
    from fupin.registry.services.imports import import_file

    if not Path(path).exists():
        raise UserError(f"找不到文件或文件夹 {path} (no such file or folder)")
    bar = ProgressBar("导入")
    try:
        outcome = import_file(path, rejects=rejects or default_rejects_path(path), year=year,
                              province=province, user=user, progress=bar)
    except ExchangeFormatError as exc:
        raise UserError(str(exc)) from None
    finally:
        bar.close()
    if not quiet:
        _print_import(outcome.report, outcome.rejects_path, outcome.unknown_columns, outcome.warnings)
    return outcome.report, outcome.rejects_path


def default_rejects_path(path: str) -> Path:
    source = Path(path)
    stem = source.stem if source.suffix else source.name
    return Path.cwd() / f"{stem}.rejects.xlsx"


def _print_import(report, rejects_path, unknown_columns, warnings: int) -> None:
    if not report.changed_anything and report.households_unchanged:
        print(f"无变化：{report.households_unchanged} 户、{report.members_unchanged} 人与库中一致，未作任何修改。"
              f" (nothing changed: the registry already holds this file)")
    else:
        print(
            f"导入完成 (imported) 年度 {','.join(map(str, report.years)) or '-'}："
            f"新增 {report.households_new} 户 / {report.members_new} 人，"
            f"更新 {report.households_changed} 户 / {report.members_changed} 人，"
            f"未变 {report.households_unchanged} 户，移除成员 {report.members_removed} 人，"
            f"新登记村 {report.villages_registered} 个。"
        )
    if report.households_rejected or report.rows_rejected:
        print(f"退回 (rejected) {report.households_rejected} 户、{report.rows_rejected} 行，"
              f"原因见退回表 (see the rejects workbook)：{rejects_path}")
    if warnings:
        print(f"提示 (warnings)：{warnings} 条，已导入，可用 fupin check 查看。 (imported; see fupin check)")
    for sheet, cols in unknown_columns.items():
        if cols:
            print(f"未识别的列 (unknown columns, kept aside) [{sheet}]：{'、'.join(map(str, cols))}")


@command("import", help="导入登记数据 (import an exchange-format workbook, CSV folder or Parquet folder)")
@argument("path", help="文件或文件夹 (.xlsx, CSV folder, Parquet folder, flat national export)")
@argument("--db", help="数据库地址 (sqlite:///file or postgresql://...); default FUPIN_DB or ./fupin.sqlite3")
@argument("--rejects", help="退回表路径 (rejects workbook; default ./NAME.rejects.xlsx)")
@argument("--year", type=int, help="年度 (fills 年度 when the file has none)")
@argument("--province", default="50", help="省级代码，用于按名称定位 (province for name lookup; default 50)")
def import_command(args) -> int:
    report, rejects_path = run_import(args.path, db=args.db, rejects=args.rejects, year=args.year,
                                      province=args.province)
    return 1 if report.households_rejected and not report.changed_anything and not report.households_unchanged else 0


@command("export", help="导出登记数据 (export the registry in the exchange format)")
@argument("--year", type=int, required=True)
@argument("--region", help="区划代码前缀 (division-code prefix)")
@argument("--out", required=True, help=".xlsx file, .parquet folder, or a folder of CSVs")
@argument("--db")
def export_command(args) -> int:
    from fupin.site.bootstrap import setup

    setup(args.db)
    from fupin.registry.services.exports import ExportRefused, export_registry

    try:
        households = export_registry(args.out, year=args.year, region=args.region or "")
    except ExportRefused as exc:
        raise UserError(str(exc)) from None
    print(f"已导出 (exported) {args.year} 年度 {households} 户 → {args.out}")
    return 0


@command("generate", help="生成模拟登记数据 (write a synthetic registry in the exchange format)")
@argument("--households", type=int, required=True)
@argument("--year", type=int, required=True)
@argument("--region", help="区划代码 (division code; default 500101 万州区)")
@argument("--seed", type=int, default=0)
@argument("--out", required=True, help=".xlsx file, .parquet folder, or a folder of CSVs")
def generate_command(args) -> int:
    from fupin.io import write_registry
    from fupin.synth import generate

    if args.households <= 0:
        raise UserError("--households 必须为正数 (must be positive)")
    started = time.perf_counter()
    try:
        households, members, regions = generate(args.households, args.year, region=args.region, seed=args.seed)
    except (KeyError, ValueError) as exc:
        raise UserError(f"无法生成：{exc} (cannot generate)") from None
    write_registry(args.out, households, members, regions)
    print(f"已生成 (generated) {households.height} 户 / {members.height} 人，{args.year} 年度 → {args.out} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


@command("demo", help="演示：生成模拟区县，导入、评估，创建演示账号并启动网页 (the whole product on the embedded default)")
@argument("--db", help="default sqlite:///fupin-demo.sqlite3")
@argument("--households", type=int, default=3000)
@argument("--year", type=int, default=2020)
@argument("--region", default="500101", help="default 500101 万州区")
@argument("--seed", type=int, default=2020)
@argument("--host", default="127.0.0.1")
@argument("--port", type=int, default=8000)
@argument("--no-serve", action="store_true", help="stop after the summary and the accounts (no web server)")
def demo_command(args) -> int:
    from fupin.io import write_registry
    from fupin.synth import generate

    db = args.db or "sqlite:///fupin-demo.sqlite3"
    print(f"1/5 生成模拟区县 (generating a synthetic district) {args.region}，{args.households} 户，{args.year} 年度 …")
    households, members, regions = generate(args.households, args.year, region=args.region, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        workbook = Path(tmp) / "demo.xlsx"
        write_registry(workbook, households, members, regions)
        print(f"2/5 通过导入程序写入数据库 (importing through the real importer) → {db}")
        run_import(str(workbook), db=db, rejects=str(Path.cwd() / "demo.rejects.xlsx"), year=None)
    print("3/5 按乡镇汇总 (summary by town)")
    print_town_summary(args.year, args.region)
    print("4/5 评估达标情况与监测预警 (assessing against the standard; monitoring leads)")
    _demo_assess(args.year)
    print("5/5 演示账号 (demo accounts)")
    village = _demo_accounts(args.region, args.year)
    if args.no_serve:
        return 0
    print(f"打开 (open) http://{args.host}:{args.port}/ — 村干部账号所在村 (the cadre's village): {village}")
    import argparse as _argparse

    from fupin.cli.web_commands import serve_command

    return serve_command(_argparse.Namespace(db=db, host=args.host, port=args.port, workers=2, threads=8,
                                             job_workers=1))


def _demo_assess(year: int) -> None:
    from django.db.models import Count

    from fupin.assessments.models import Verdict
    from fupin.assessments.services import run_assessment
    from fupin.engine.policy import PolicyMissing

    try:
        run = run_assessment(year)
    except PolicyMissing as exc:
        print(f"  未评估 (not assessed)：{exc}")
        return
    counts = dict(Verdict.objects.filter(run=run).values_list("meets_standard").annotate(n=Count("id")))
    leads = dict(
        Verdict.objects.filter(run=run).exclude(monitoring_category__in=["", "none"])
        .values_list("monitoring_category").annotate(n=Count("id"))
    )
    print(f"  达标 yes {counts.get('yes', 0)}，未达标 no {counts.get('no', 0)}，待核实 unverified "
          f"{counts.get('unverified', 0)}，数据错误 error {counts.get('error', 0)}；监测 {leads or '无'}")
    from fupin.monitoring.intake import create_engine_leads

    created, _existing = create_engine_leads(run)
    print(f"  预警线索 (monitoring leads) 已交村里核实：{created} 条")


def _demo_accounts(region: str, year: int) -> str:
    """A demo administrator and a village cadre of the largest village, with fresh passwords."""
    import secrets

    from django.db.models import Count

    from fupin.accounts.models import Role, User
    from fupin.accounts.services import normalize_scope
    from fupin.registry.models import Household, Region

    village = (
        Household.objects.filter(year=year, region_code__startswith=region)
        .values("region_code").annotate(n=Count("id")).order_by("-n", "region_code").first()
    )
    village_code = village["region_code"] if village else region
    accounts = [("demo-admin", Role.ADMIN, ""), ("demo-cadre", Role.VILLAGE, village_code)]
    for username, role, scope in accounts:
        password = "fupin-" + secrets.token_urlsafe(9)
        user, _created = User.objects.get_or_create(username=username)
        user.role, user.region = role, normalize_scope(scope)
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
        label = "管理员 (administrator)" if role == Role.ADMIN else "村干部 (village cadre)"
        print(f"  {label}: 用户名 {username}  密码 {password}")
    name = Region.objects.filter(code=village_code).values_list("name", flat=True).first() or village_code
    return f"{name} ({village_code})"


def print_town_summary(year: int, region: str) -> None:
    import polars as pl

    from fupin import divisions
    from fupin.registry import bulk

    households = bulk.read_households(year, region)
    members = bulk.read_members(year, region)
    living = members.filter(pl.col("member_status").is_null() | (pl.col("member_status") == "正常"))
    people = living.group_by("household_id").len("people")
    status = (
        pl.when(~pl.col("registered")).then(pl.lit("一般农户"))
        .otherwise(pl.col("poverty_status").fill_null("未填"))
    )
    table = (
        households.join(people, on="household_id", how="left")
        .with_columns(town=pl.col("region_code").str.slice(0, 9) + "000", status=status)
        .group_by("town", "status")
        .agg(households=pl.len(), people=pl.col("people").sum())
    )
    wide = table.pivot(on="status", index="town", values=["households", "people"], aggregate_function="sum").fill_null(0)
    totals = table.group_by("town").agg(pl.col("households").sum().alias("户数"), pl.col("people").sum().alias("人数"))
    wide = totals.join(wide, on="town").sort("town")
    names = divisions.names()
    wide = wide.with_columns(乡镇=pl.col("town").replace_strict(names, default=pl.col("town")))
    statuses = ["未脱贫", "已脱贫", "返贫", "一般农户"]
    columns = ["乡镇", "户数", "人数"]
    for s in statuses:
        for measure, label in (("households", "户"), ("people", "人")):
            name = f"{measure}_{s}"
            if name in wide.columns:
                wide = wide.rename({name: f"{s}{label}"})
                columns.append(f"{s}{label}")
    with pl.Config(tbl_rows=200, tbl_cols=20, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                   fmt_str_lengths=20, tbl_width_chars=200):
        print(wide.select(columns))
    total_h, total_p = households.height, living.height
    print(f"合计 (total)：{total_h} 户 {total_p} 人")
