"""``fupin scenario --input``: a policy scenario over a registry file (never imports Django).

The database form is :mod:`fupin.cli.scenario_db`; both print and write through :func:`render`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fupin.application import files, scenario
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import as_of, one_source
from fupin.engine.policy import PolicyMissing
from fupin.io import ExchangeFormatError, tables

SUFFIXES = (".csv", ".parquet", ".xlsx")


def check_outputs(args) -> None:
    for name in ("out", "households"):
        value = getattr(args, name, None)
        if value and Path(value).suffix.lower() not in SUFFIXES:
            raise UserError(f"--{name} 应为 .csv、.parquet 或 .xlsx：{value} (--{name} must end in .csv, .parquet or .xlsx)")


def scenario_command(args) -> int:
    one_source(args)
    check_outputs(args)
    try:
        result = scenario.scenario_in_file(policy_provider.current(), args.input, year=args.year, sets=args.sets,
                                           level=args.level, where=args.where, region=args.region,
                                           as_of=as_of(args.as_of))
    except (scenario.ScenarioError, PolicyMissing, ExchangeFormatError, files.NothingToAssess) as exc:
        raise UserError(str(exc)) from None
    return render(args, result)


def render(args, result: scenario.ScenarioResult) -> int:
    when = as_of(args.as_of)
    try:
        scenario.write_regions(result, args.out, year=args.year, as_of=when, region=args.region)
        if args.households:
            scenario.write_households(result, args.households, year=args.year, as_of=when, region=args.region)
    except tables.UnsupportedOutput as exc:
        raise UserError(str(exc)) from None
    total = result.regions.filter(pl.col("level") == "total").row(0, named=True)
    print(f"情景 {result.regions['scenario'][0]}：{total['households']} 户，结论变化 {total['verdict_changed_households']} 户 "
          f"{total['verdict_changed_people']} 人（转为未达标 {total['became_no']}，转为达标 {total['became_yes']}），"
          f"监测类别变化 {total['category_changed_households']} 户；收入缺口（扶贫标准）"
          f"{total['shortfall_poverty_base']:,.2f} → {total['shortfall_poverty_scen']:,.2f} 元；输出 {args.out}"
          + (f"、{args.households}" if args.households else "") + "；未写入数据库 (nothing stored)")
    return 0
