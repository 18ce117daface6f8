"""``fupin supervise select|list|progress|delist`` and ``fupin ledger import|sync|report|overdue``
over the database. The operator acts with every right over ``--region`` (Scope.system)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied

from fupin.application import policy as policy_provider
from fupin.application import supervision
from fupin.application.files import NothingToAssess
from fupin.cli.commands import UserError
from fupin.cli.files import as_of, date_option
from fupin.cli.operator import operator_scope
from fupin.cli.supervision import check_out, check_select, print_selected
from fupin.engine.policy import PolicyMissing
from fupin.io import ledger as ledger_io
from fupin.io.errors import ExchangeFormatError


def _need(args, *names: str) -> None:
    for name in names:
        if getattr(args, name, None) in (None, ""):
            raise UserError(f"{args.command} {args.action} 需要 --{name.replace('_', '-')} (needs --{name.replace('_', '-')})")


def _run(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except (supervision.LedgerError, supervision.SelectionError, supervision.DelistRefused, PolicyMissing,
            NothingToAssess, ExchangeFormatError, PermissionDenied) as exc:
        raise UserError(str(exc)) from None


# --- supervise ---------------------------------------------------------------------------------

def supervise_command(args) -> int:
    return {"select": _select, "list": _list, "progress": _progress, "delist": _delist}[args.action](args)


def _select(args) -> int:
    if args.input:
        raise UserError("请指定 --input 文件或 --db 数据库之一 (give exactly one of --input or --db)")
    check_select(args)
    when = as_of(args.as_of)
    policy = policy_provider.current()
    frame = _run(supervision.select_db, operator_scope(getattr(args, "region", None)), policy, year=args.year, level=args.level, top=args.top,
                 rank_by=args.rank_by, as_of=when)
    ledger_io.write_table(frame, args.out, "select", region=args.region or "", date=when,
                          policy=policy.title_for(args.region))
    print_selected(frame, args.out)
    return 0


def _list(args) -> int:
    if bool(args.from_file) == bool(args.code):
        raise UserError("请指定 --from 候选文件或 --code 区划之一 (give exactly one of --from or --code)")
    if args.code:
        if not args.note:
            raise UserError("人工挂牌须填写说明 (a manual listing needs --note)")
        rows = [{"code": args.code, "reasons": "manual", "note": args.note}]
    else:
        path = Path(args.from_file)
        if not path.is_file():
            raise UserError(f"找不到文件 {path} (no such file)")
        frame = _read_selection(path)
        rows = frame.select(pl.col("code").cast(pl.String), pl.col("reasons").cast(pl.String)).to_dicts()
    outcome = _run(supervision.list_regions, operator_scope(getattr(args, "region", None)), year=args.year, rows=rows, listed_by=args.listed_by,
                   target_on=date_option(args.target, "--target"))
    for x in outcome.created:
        print(f"已挂牌 (listed)：{x.listing_id} {x.region_code} {x.reasons}")
    for x in outcome.existing:
        print(f"已在督战中 (already listed)：{x.listing_id} {x.region_code}")
    print(f"新挂牌 {len(outcome.created)} 个，已有 {len(outcome.existing)} 个 "
          f"(listed {len(outcome.created)}, existing {len(outcome.existing)})")
    return 0


def _read_selection(path: Path) -> pl.DataFrame:
    """A ``select`` output: .csv/.parquet with its keys (the .xlsx is for people)."""
    suffix = path.suffix.lower()
    try:
        frame = (pl.read_parquet(path) if suffix == ".parquet"
                 else pl.read_csv(path, infer_schema=False) if suffix == ".csv" else None)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise UserError(f"无法读取 {path.name}：{str(exc).splitlines()[0][:200]} (cannot read the file)") from None
    if frame is None or not {"code", "reasons"} <= set(frame.columns):
        raise UserError(f"--from 应为 fupin supervise select 输出的 .csv 或 .parquet 文件：{path.name} "
                        "(give a select output as .csv or .parquet)")
    return frame


def _progress(args) -> int:
    out = check_out(args.out)
    when = as_of(args.as_of) or date.today()
    frame = _run(supervision.progress, operator_scope(getattr(args, "region", None)), policy_provider.current(), year=args.year, as_of=when)
    ledger_io.write_table(frame, out, "progress", region=args.region or "", date=when)
    cleared = frame.filter(pl.col("status") == "cleared").height if frame.height else 0
    print(f"督战对象 {frame.height} 个，已清零 {cleared} 个；输出 {out} (listings {frame.height}, cleared {cleared})")
    return 0


def _delist(args) -> int:
    _need(args, "target_arg")
    listing = _run(supervision.delist, operator_scope(getattr(args, "region", None)), policy_provider.current(), args.target_arg, year=args.year,
                   on=as_of(args.as_of))
    print(f"已摘牌 (delisted)：{listing.listing_id} {args.target_arg}")
    return 0


# --- ledger ------------------------------------------------------------------------------------

def ledger_command(args) -> int:
    return {"import": _import, "sync": _sync, "report": _report, "overdue": _overdue}[args.action](args)


def _import(args) -> int:
    _need(args, "target_arg")
    path = Path(args.target_arg)
    if not path.is_file():
        raise UserError(f"找不到文件 {path} (no such file)")
    outcome = _run(supervision.import_ledger, operator_scope(getattr(args, "region", None)), policy_provider.current(), path,
                   rejects_path=args.rejects)
    print(f"问题清单导入完成：新建 {outcome.created} 个，更新 {outcome.updated} 个，退回 {outcome.rejected} 行 "
          f"(created {outcome.created}, updated {outcome.updated}, rejected {outcome.rejected})")
    if outcome.rejects_path:
        print(f"退回行见 (rejected rows in)：{outcome.rejects_path}")
    return 0


def _sync(args) -> int:
    _need(args, "year")
    counts = _run(supervision.sync_ledger, operator_scope(getattr(args, "region", None)), policy_provider.current(), year=args.year,
                  as_of=as_of(args.as_of))
    print(f"新建 {counts.created}，销号 {counts.closed}，重新打开 {counts.reopened}，未变 {counts.unchanged} "
          f"(created {counts.created}, closed {counts.closed}, reopened {counts.reopened}, "
          f"unchanged {counts.unchanged})")
    return 0


def _report(args) -> int:
    _need(args, "year")
    out = check_out(args.out)
    when = as_of(args.as_of) or date.today()
    frame = _run(supervision.ledger_report, operator_scope(getattr(args, "region", None)), policy_provider.current(), year=args.year,
                 level=args.level, as_of=when)
    ledger_io.write_table(frame, out, "report", region=args.region or "", date=when)
    print(f"清零进度 {frame.height} 行；输出 {out} (rows {frame.height})")
    return 0


def _overdue(args) -> int:
    out = check_out(args.out)
    when = as_of(args.as_of) or date.today()
    frame = _run(supervision.overdue, operator_scope(getattr(args, "region", None)), policy_provider.current(), as_of=when)
    ledger_io.write_table(frame, out, "overdue", region=args.region or "", date=when)
    print(f"超期问题 {frame.height} 个；输出 {out} (overdue problems {frame.height})")
    return 0
