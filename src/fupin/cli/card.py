"""``fupin card``: the 明白卡 of a village as one PDF, from a file (``--input``).

Never imports Django (pyproject.toml import-linter contract "File commands …").
"""

from __future__ import annotations

from pathlib import Path

from fupin.application import cards, files
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import as_of
from fupin.engine.policy import PolicyMissing
from fupin.io import ExchangeFormatError


def card_command(args) -> int:
    out = pdf_out(args)
    if not args.input:
        raise UserError("请用 --input 指定登记册及帮扶数据文件，或用 --db 指定数据库 "
                        "(give the registry and assistance file with --input, or the database with --db)")
    if args.household:
        raise UserError("--household 需与 --db 同用 (--household needs --db)")
    try:
        cards.village_code(args.village)
        result = cards.village_cards_from_file(
            args.input, village=args.village, year=args.year, as_of=as_of(args.as_of), paper=args.paper,
            all_households=args.all, policy=policy_provider.current(), assistance_path=args.assistance)
    except (cards.CardError, ExchangeFormatError, files.NothingToAssess, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    return write_cards(result, out, args)


def pdf_out(args) -> Path:
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise UserError(f"--out 应为 .pdf 文件：{args.out} (--out must end in .pdf)")
    return out


def write_cards(result, out: Path, args) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(result.pdf)
    who = ("户 " + args.household) if getattr(args, "household", None) else "全部农户" if args.all else "建档立卡户和监测对象"
    print(f"已生成 {result.village_name}（{result.village}）{result.year} 年度明白卡 {result.count} 张（{who}，"
          f"{result.paper}，数据截至 {result.as_of}）→ {out}")
    return 0
