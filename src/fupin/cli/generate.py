"""``fupin generate``: a synthetic registry in the exchange format (no database).

``--year Y`` is the newest year; ``--years N`` writes the N − 1 years before it too (same
households and people, :mod:`fupin.synth.history`), so that the 复工 rate has its year-(Y−1)
denominator. Besides the registry: the assistance ledger of Y and one epidemic of Y with its
affected households (:mod:`fupin.synth.shocks`), in the same workbook or folder.
"""

from __future__ import annotations

import time
from pathlib import Path

from fupin.cli.commands import UserError
from fupin.io import shocks as shock_io
from fupin.io import write_registry
from fupin.io.assistance import workbook_sheets, write_folder
from fupin.synth import SynthError, generate
from fupin.synth.assistance import generate_assistance
from fupin.synth.geography import resolve_scope
from fupin.synth.history import with_history
from fupin.synth.shocks import generate_shocks


def generate_command(args) -> int:
    if args.households <= 0:
        raise UserError("--households 必须为正数 (must be positive)")
    years = getattr(args, "years", 1)
    if years < 1 or args.year - years + 1 < 2014:
        raise UserError(f"--years {years} 无效：应为 1 到 {max(args.year - 2013, 1)} 之间（最早 2014 年） "
                        f"(--years must be from 1 to {max(args.year - 2013, 1)}: the registry starts in 2014)")
    started = time.perf_counter()
    try:
        households, members, regions = generate(args.households, args.year, region=args.region, seed=args.seed)
        households, members = with_history(households, members, years, seed=args.seed)
        area = resolve_scope(args.region)
    except (KeyError, ValueError, SynthError) as exc:
        raise UserError(f"无法生成：{exc} (cannot generate)") from None
    assistance = generate_assistance(households, members, args.year, seed=args.seed)
    shocks = generate_shocks(households, members, args.year, area, seed=args.seed)
    if str(args.out).lower().endswith(".xlsx"):
        write_registry(args.out, households, members, regions,
                       extra_sheets={**workbook_sheets(assistance), **shock_io.exchange_frames(shocks)})
    else:
        write_registry(args.out, households, members, regions)
        write_folder(args.out, assistance)
        shock_io.write_folder(args.out, shocks)
    span = f"{args.year - years + 1}–{args.year}" if years > 1 else f"{args.year}"
    event = shocks["shocks"]["event_id"][0]
    print(f"已生成 (generated) {households.height // years} 户 / {members.filter(members['year'] == args.year).height} 人"
          f"（{span} 年度）、{assistance['measures'].height} 条帮扶措施 (measures)、冲击事件 {event} 受灾户 "
          f"{shocks['shock_households'].height} 户 (shock households) → {args.out} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


def write_demo_files(folder: Path, households, members, regions, *, year: int, region: str, seed: int
                     ) -> tuple[Path, Path | None]:
    """``fupin demo``: the year's workbook (registry, assistance ledger and the epidemic, as a
    county's would hold them) and the previous year's registry (the 复工 rate's denominator;
    none before 2015). Returns both paths."""
    previous = None
    shock_households, shock_members = households, members
    if year - 1 >= 2014:
        shock_households, shock_members = with_history(households, members, 2, seed=seed)
        previous = Path(folder) / "demo-previous.xlsx"
        write_registry(previous, shock_households.filter(shock_households["year"] == year - 1),
                       shock_members.filter(shock_members["year"] == year - 1), regions)
    assistance = generate_assistance(households, members, year, seed=seed)
    shocks = generate_shocks(shock_households, shock_members, year, resolve_scope(region), seed=seed)
    workbook = Path(folder) / "demo.xlsx"
    write_registry(workbook, households, members, regions,
                   extra_sheets={**workbook_sheets(assistance), **shock_io.exchange_frames(shocks)})
    return workbook, previous
