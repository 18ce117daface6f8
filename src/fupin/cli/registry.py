"""Registry commands: import, export, and the demo of the whole product."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

import polars as pl
from tqdm import tqdm

from fupin import divisions
from fupin.accounts.models import Role, User
from fupin.accounts.scoping import Scope
from fupin.accounts.services import normalize_scope
from fupin.application import assessment
from fupin.application import policy as policy_provider
from fupin.application import registry as registry_use_cases
from fupin.cli import terminal
from fupin.cli.assistance_db import demo_ledger, demo_plans
from fupin.cli.commands import UserError
from fupin.cli.generate import write_demo_files
from fupin.cli.operator import operator_scope
from fupin.cli.serve import serve_command
from fupin.cli.shocks import demo_shocks
from fupin.engine import facts, rules
from fupin.engine.policy import PolicyMissing
from fupin.io import ExchangeFormatError
from fupin.io.report import Column
from fupin.registry import bulk
from fupin.registry.models import Region
from fupin.site.dburl import sqlite_path
from fupin.synth import generate


class ProgressBar:
    """A tqdm bar on a terminal, silence otherwise (CI logs, pipes)."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
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


def default_rejects_path(path: str) -> Path:
    source = Path(path)
    stem = source.stem if source.suffix else source.name
    return Path.cwd() / f"{stem}.rejects.xlsx"


def run_import(path: str, *, rejects: str | None, year: int | None, province: str = "50",
               region: str | None = None, quiet: bool = False):
    """Read, validate, load as the operator (over ``region``); the outcome. Shared with the demo."""
    if not Path(path).exists():
        raise UserError(f"找不到文件或文件夹 {path} (no such file or folder)")
    bar = ProgressBar("导入")
    try:
        outcome = registry_use_cases.import_file(operator_scope(region), path, rejects=rejects or default_rejects_path(path),
                                                 year=year, province=province, progress=bar)
    except (ExchangeFormatError, registry_use_cases.ImportBusy) as exc:
        raise UserError(str(exc)) from None
    finally:
        bar.close()
    if not quiet:
        _print_import(outcome)
    return outcome


def _print_import(outcome) -> None:
    report = outcome.report
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
              f"原因见退回表 (see the rejects workbook)：{outcome.rejects_path}")
    if outcome.warnings:
        print(f"提示 (warnings)：{outcome.warnings} 条，已导入，可用 fupin check 查看。 (imported; see fupin check)")
    for sheet, cols in outcome.unknown_columns.items():
        if cols:
            print(f"未识别的列 (unknown columns, kept aside) [{sheet}]：{'、'.join(map(str, cols))}")


def import_command(args) -> int:
    outcome = run_import(args.path, rejects=args.rejects, year=args.year, province=args.province, region=args.region)
    report = outcome.report
    return 1 if report.households_rejected and not report.changed_anything and not report.households_unchanged else 0


def export_command(args) -> int:
    try:
        households = registry_use_cases.export_registry(operator_scope(args.region), args.out, year=args.year)
    except registry_use_cases.ExportRefused as exc:
        raise UserError(str(exc)) from None
    print(f"已导出 (exported) {args.year} 年度 {households} 户 → {args.out}")
    return 0


# --- the demo ------------------------------------------------------------------------------

def demo_command(args) -> int:
    print(f"1/5 生成模拟区县 (generating a synthetic district) {args.region}，{args.households} 户，{args.year} 年度 …")
    households, members, regions = generate(args.households, args.year, region=args.region, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        # The generated measures, projects, dividends and the epidemic go in the same workbook, as a
        # county's would; the previous year's registry gives the 复工 rate its denominator.
        workbook, previous = write_demo_files(Path(tmp), households, members, regions, year=args.year,
                                              region=args.region, seed=args.seed)
        print(f"2/5 通过导入程序写入数据库 (importing through the real importer) → {args.db}")
        if previous is not None:
            run_import(str(previous), rejects=str(Path.cwd() / "demo-previous.rejects.xlsx"), year=None, quiet=True)
            print(f"  上一年度（{args.year - 1}）登记已导入，供复工率使用 (the previous year's registry, for the 复工 rate)")
        run_import(str(workbook), rejects=str(Path.cwd() / "demo.rejects.xlsx"), year=None)
        demo_ledger(workbook)
        demo_shocks(workbook)
    print("3/5 按乡镇汇总 (summary by town)")
    print_town_summary(Scope.system(args.region), args.year)
    print("4/5 评估达标情况与监测预警 (assessing against the standard; monitoring leads)")
    _demo_assess(Scope.system(args.region), args.year)
    demo_plans(Scope.system(args.region), args.year)
    print("5/5 演示账号 (demo accounts)")
    village = _demo_accounts(args.region, args.year)
    if args.no_serve:
        return 0
    _use_demo_secret_key(args.db)
    print(f"打开 (open) http://{args.host}:{args.port}/ — 村干部账号所在村 (the cadre's village): {village}")
    return serve_command(argparse.Namespace(db=args.db, host=args.host, port=args.port, workers=2, threads=8,
                                            job_workers=1))


def _use_demo_secret_key(db_url: str) -> None:
    """The demo's own secret key, made once and kept beside its database (readable by its owner
    only), so that logins survive a restart and no two demos share a key. A deployment sets
    FUPIN_SECRET_KEY itself; ``fupin serve`` refuses to start without it."""
    if os.environ.get("FUPIN_SECRET_KEY"):
        return
    folder = Path(sqlite_path(db_url)).expanduser().resolve().parent if db_url.startswith("sqlite") else Path.cwd()
    key_file = folder / "fupin-demo.secret-key"
    if not key_file.exists():
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(50))
    os.environ["FUPIN_SECRET_KEY"] = key_file.read_text().strip()


def _demo_assess(scope: Scope, year: int) -> None:
    try:
        outcome = assessment.assess_year(scope, policy_provider.current(), year)
    except PolicyMissing as exc:
        print(f"  未评估 (not assessed)：{exc}")
        return
    counts = outcome.counts()
    verdicts = outcome.verdicts.filter(~pl.col("monitoring_category").is_in(["", "none"]))
    leads = sorted(verdicts.group_by("monitoring_category").len().iter_rows())
    monitored = "，".join(f"{rules.label('category', key)} {n}" for key, n in leads) or "无"
    print(f"  达标 {counts.get('yes', 0)} 户，未达标 {counts.get('no', 0)} 户，待核实 "
          f"{counts.get('unverified', 0)} 户，数据错误 {counts.get('error', 0)} 户；监测对象：{monitored}")
    print(f"  预警线索 (monitoring leads) 已交村里核实：{outcome.leads_created} 条")


def _demo_accounts(region: str, year: int) -> str:
    """A demo administrator and a village cadre of the largest village, with fresh passwords."""
    keys = bulk.read_household_keys(Scope.system(region), year)
    biggest = keys.group_by("region_code").len().sort(["len", "region_code"], descending=[True, False]).head(1)
    village_code = biggest["region_code"][0] if biggest.height else region
    accounts = [("demo-admin", Role.ADMIN, ""), ("demo-cadre", Role.VILLAGE, village_code)]
    for username, role, scope in accounts:
        password = "fupin-" + secrets.token_urlsafe(9)
        user, _created = User.objects.get_or_create(username=username)
        user.role, user.region = role, normalize_scope(scope)
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
        print(f"  {Role(role).label}：用户名 {username}  密码 {password}")
    region_row = Region.objects.within(Scope.system(village_code)).filter(code=village_code).first()
    return f"{region_row.name if region_row else village_code} ({village_code})"


def print_town_summary(scope: Scope, year: int) -> None:
    """Households and people by registry status, town by town (the counts the dashboards show)."""
    households = bulk.read_households(scope, year)
    members = bulk.read_members(scope, year)
    table = facts.status_counts(households, members, digits=9)
    wide = table.pivot(on="status", index="code", values=["households", "people"],
                       aggregate_function="sum").fill_null(0)
    totals = table.group_by("code").agg(pl.col("households").sum(), pl.col("people").sum())
    wide = totals.join(wide, on="code").sort("code")
    names = divisions.names()
    wide = wide.with_columns(town=pl.col("code").replace_strict(names, default=pl.col("code")))
    columns = [Column("town", "乡镇"), Column("code", "区划代码", "code"), Column("households", "户数", "count", total=True),
               Column("people", "人数", "count", total=True)]
    for status in (*facts.REGISTRY_STATUSES, facts.STATUS_NOT_GIVEN):
        for measure, unit in (("households", "户"), ("people", "人")):
            if f"{measure}_{status}" in wide.columns:
                columns.append(Column(f"{measure}_{status}", f"{status}（{unit}）", "count", total=True))
    terminal.print_table(wide, columns)
