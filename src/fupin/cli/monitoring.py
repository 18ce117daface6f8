"""Monitoring commands: match a department's list against the registry."""

from __future__ import annotations

from pathlib import Path

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.engine.matching import DepartmentFileError
from fupin.engine.policy import PolicyError


def match_command(args) -> int:
    if not Path(args.file).is_file():
        raise UserError(f"找不到文件 {args.file} (no such file)")
    try:
        scope = Scope.system(args.region)
    except Http404:
        raise UserError(f"区划代码不正确：{args.region} (region must be 2–12 digits)") from None
    rejects = Path(args.rejects) if args.rejects else Path.cwd() / f"{Path(args.file).stem}.rejects.xlsx"
    try:
        outcome = monitoring.match_department_list(scope, policy_provider.current(), args.file, kind=args.kind,
                                                   year=args.year, rejects_path=rejects)
    except (DepartmentFileError, PolicyError) as exc:
        raise UserError(str(exc)) from None
    s = outcome.stats
    print(f"匹配完成 (matched)：共 {s['rows']} 行，匹配到登记册 {s['matched_rows']} 行 / {s['households']} 户；"
          f"新建线索 {outcome.created} 条，已有 {outcome.existing} 条；"
          f"达到预警条件但已在监测或未脱贫 {s['not_eligible']} 户；"
          f"退回 {outcome.rejected} 行（其中不在登记册 {s['unmatched']} 行，重复 {s['duplicates']} 行）；"
          f"姓名不一致提示 {s['name_warnings']} 行。")
    print(f"(rows {s['rows']}, matched {s['matched_rows']}, leads created {outcome.created}, "
          f"already there {outcome.existing}, rows returned {outcome.rejected})")
    if outcome.rejects_path:
        print(f"退回行见 (rejected rows in)：{outcome.rejects_path}")
    return 0
