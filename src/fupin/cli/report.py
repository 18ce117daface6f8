"""``fupin report``: the monthly/annual tables a county sends upward, as one workbook.

The operator acts with every right over ``--region`` (:meth:`fupin.accounts.scoping.Scope.system`).
"""

from __future__ import annotations

from pathlib import Path

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import report_tables
from fupin.cli.commands import UserError


def report_command(args) -> int:
    if Path(args.out).suffix.lower() != ".xlsx":
        raise UserError(f"--out 应为 .xlsx：{args.out} (--out must be .xlsx)")
    try:
        tables = report_tables.monthly_report(Scope.system(), args.year, args.month, args.region)
    except Http404:
        raise UserError(f"区划代码不正确：{args.region} (region must be 2–12 digits)") from None
    except report_tables.NothingToReport as exc:
        raise UserError(str(exc)) from None
    report_tables.write_monthly_report(tables, args.out)
    towns = tables.towns
    print(f"{tables.year}年{tables.month}月报表：{towns.height} 个乡镇、{tables.villages.height} 个村；"
          f"建档立卡 {towns['registered_households'].sum()} 户，未脱贫 {towns['remaining_households'].sum()} 户，"
          f"监测对象 {tables.monitoring['monitored_households'].sum()} 户"
          + ("" if tables.assessed else "（该年度尚未评估，未达标指标表为空）") + f"；输出 {args.out}")
    return 0
