"""``fupin generate``: a synthetic registry in the exchange format (no database)."""

from __future__ import annotations

import time

from fupin.cli.commands import UserError
from fupin.io import write_registry
from fupin.io.assistance import workbook_sheets, write_folder
from fupin.synth import SynthError, generate
from fupin.synth.assistance import generate_assistance


def generate_command(args) -> int:
    if args.households <= 0:
        raise UserError("--households 必须为正数 (must be positive)")
    started = time.perf_counter()
    try:
        households, members, regions = generate(args.households, args.year, region=args.region, seed=args.seed)
    except (KeyError, ValueError, SynthError) as exc:
        raise UserError(f"无法生成：{exc} (cannot generate)") from None
    assistance = generate_assistance(households, members, args.year, seed=args.seed)
    if str(args.out).lower().endswith(".xlsx"):
        write_registry(args.out, households, members, regions, extra_sheets=workbook_sheets(assistance))
    else:
        write_registry(args.out, households, members, regions)
        write_folder(args.out, assistance)
    print(f"已生成 (generated) {households.height} 户 / {members.height} 人、"
          f"{assistance['measures'].height} 条帮扶措施 (measures)，{args.year} 年度 → {args.out} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0
