"""``fupin shock import FILE`` and ``fupin shock leads --event ID`` over the database; the operator
acts with every right over ``--region`` (Scope.system)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.application import policy as policy_provider
from fupin.application import shocks
from fupin.cli.commands import UserError
from fupin.cli.operator import operator_scope
from fupin.engine.policy import PolicyMissing
from fupin.io import tables
from fupin.io.errors import ExchangeFormatError


def _run(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except (ExchangeFormatError, shocks.ShockRefused, PolicyMissing, PermissionDenied, Http404) as exc:
        raise UserError(str(exc)) from None


OUTSIDE_SHOWN = 10   # B18 rows printed; the count says how many more


def shock_command(args) -> int:
    return {"import": _import, "leads": _leads}[args.action](args)


def _import(args) -> int:
    if not args.file:
        raise UserError("shock import 需要文件路径 (needs the shocks file)")
    path = Path(args.file)
    rejects = Path(args.rejects) if args.rejects else Path.cwd() / f"{path.stem}.rejects.xlsx"
    out = _run(shocks.import_shocks, operator_scope(args.region), path, rejects)
    print(f"冲击事件：新建 {out.events_created}，更新 {out.events_updated}；受灾户：新建 {out.households_created}，"
          f"更新 {out.households_updated}；退回 {out.rejected} 行 (events created {out.events_created}, updated "
          f"{out.events_updated}; households created {out.households_created}, updated {out.households_updated}; "
          f"rejected {out.rejected})")
    if out.outside_area:
        print(f"提示 B18：{out.outside_area} 户不在其事件的区划范围内，已照常导入，请核实 "
              f"(warning B18: {out.outside_area} households lie outside their event's area)")
        for r in out.findings.head(OUTSIDE_SHOWN).iter_rows(named=True):
            print(f"  {r['sheet']} 第 {r['row']} 行：事件 {r['event_id']}，户 {r['household_id']}，村 {r['region_code']}")
        if out.findings.height > OUTSIDE_SHOWN:
            print(f"  ……另有 {out.findings.height - OUTSIDE_SHOWN} 户 (and {out.findings.height - OUTSIDE_SHOWN} more)")
    if out.rejects_path:
        print(f"退回行见 (rejected rows in)：{out.rejects_path}")
    if out.unknown_columns:
        print(f"未识别的列已忽略 (unknown columns ignored)：{'、'.join(out.unknown_columns)}")
    return 0


def _leads(args) -> int:
    if not args.event:
        raise UserError("shock leads 需要 --event 事件编号 (needs --event)")
    target = Path(args.out) if args.out else None
    if target is not None and target.suffix.lower() not in (".csv", ".parquet"):
        raise UserError(f"--out 须为 .csv 或 .parquet 文件：{target} (--out must be .csv or .parquet)")
    out = _run(shocks.shock_leads, operator_scope(args.region), policy_provider.current(), args.event)
    print(f"事件 {out.event_id}（{out.year}年）：新建线索 {out.created}，已有 {out.existing}，不符合 {out.ineligible}，"
          f"无当年登记 {out.no_snapshot} (leads created {out.created}, existing {out.existing}, ineligible "
          f"{out.ineligible}, no snapshot {out.no_snapshot})")
    if target is not None:
        rows = out.rows.select("event_id", "household_id", "region_code", "loss", "reasons", "lead")
        tables.write_frame(rows, target, allowed=(".csv", ".parquet"))
        print(f"逐户结果 (per household)：{target}")
    return 0


def demo_shocks(workbook) -> None:
    """``fupin demo``: the workbook's epidemic and its affected households into the demo database
    (the leads are the county's to create, from the event page)."""
    out = _run(shocks.import_shocks, operator_scope(None), Path(workbook), Path.cwd() / "demo.shocks.rejects.xlsx")
    print(f"  冲击事件 (shock events)：{out.events_created + out.events_updated} 个，受灾户 "
          f"{out.households_created + out.households_updated} 户")
