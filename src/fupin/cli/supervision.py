"""``fupin supervise select --input``: listed-supervision candidates from a registry file.

No Django here (the file commands start fast); the database side of ``supervise`` and every
``ledger`` command is :mod:`fupin.cli.supervision_db`.
"""

from __future__ import annotations

from pathlib import Path

from fupin.application import policy as policy_provider
from fupin.application import supervision_files
from fupin.cli.commands import UserError
from fupin.cli.files import as_of, read_input
from fupin.engine.policy import PolicyMissing
from fupin.io import ledger as ledger_io

OUT_SUFFIXES = (".csv", ".parquet", ".xlsx")


def check_out(out: str | None) -> str:
    if not out:
        raise UserError("请用 --out 指定输出文件 (.csv、.parquet 或 .xlsx) (give --out)")
    if Path(out).suffix.lower() not in OUT_SUFFIXES:
        raise UserError(f"--out 应为 .csv、.parquet 或 .xlsx：{out} (--out must end in .csv, .parquet or .xlsx)")
    return out


def check_select(args) -> None:
    """A.4's option errors, before anything is read."""
    try:
        supervision_files.check_ranking(args.top, args.rank_by)
    except supervision_files.SelectionError as exc:
        raise UserError(str(exc)) from None
    if not args.level:
        raise UserError("请用 --level 指定层级 village、town 或 county (give --level)")
    check_out(args.out)


def print_selected(frame, out: str) -> None:
    print(f"挂牌督战候选 {frame.height} 个（selected）；输出 {out}")


def supervise_command(args) -> int:
    if args.action != "select":
        raise UserError(f"supervise {args.action} 需要 --db 数据库 (needs --db)")
    check_select(args)
    when = as_of(args.as_of)
    registry = read_input(args, when)
    policy = policy_provider.current()
    try:
        frame = supervision_files.select_regions(policy, registry, year=args.year, level=args.level,
                                                 region=args.region, top=args.top, rank_by=args.rank_by, as_of=when)
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    ledger_io.write_table(frame, args.out, "select", region=args.region or "", date=when,
                          policy=policy.title_for(args.region))
    print_selected(frame, args.out)
    return 0
