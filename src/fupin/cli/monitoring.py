"""Monitoring commands: match a department's list against the registry; the household exit procedure."""

from __future__ import annotations

from pathlib import Path

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import monitoring
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import date_option
from fupin.cli.operator import operator_scope
from fupin.engine.matching import DepartmentFileError
from fupin.engine.policy import PolicyError
from fupin.monitoring.models import state_label


def match_command(args) -> int:
    if not Path(args.file).is_file():
        raise UserError(f"找不到文件 {args.file} (no such file)")
    scope = operator_scope(args.region)
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


def exit_command(args) -> int:
    """``fupin exit propose|step|list``: the household exit procedure from the command line."""
    scope = operator_scope(args.region)
    policy = policy_provider.current()
    try:
        if args.action == "propose":
            return _propose(scope, policy, args)
        if args.action == "step":
            return _step(scope, policy, args)
        return _lists(scope, args)
    except (monitoring.StepRefused, monitoring.IntakeError, monitoring.ExitListEmpty, PolicyError) as exc:
        raise UserError(str(exc)) from None
    except Http404:
        raise UserError(f"办理编号 {args.case} 不存在或不在区划 {args.region or '全部'} 内 "
                        "(no such case in the region)") from None


def _propose(scope: Scope, policy, args) -> int:
    outcome = monitoring.propose_exits(scope, policy, year=args.year, household_ids=args.household)
    print(f"预退出：新提出 {outcome.created} 户，已提出 {outcome.existing} 户，暂不符合退出条件 {outcome.not_eligible} 户 "
          f"(proposed {outcome.created}, already proposed {outcome.existing}, not eligible {outcome.not_eligible})")
    for household_id, reason in outcome.refused.items():
        print(f"  {household_id}：{reason}")
    return 1 if outcome.refused and not (outcome.created or outcome.existing) else 0


def _step(scope: Scope, policy, args) -> int:
    if args.case is None or not args.step:
        raise UserError("step 需要 --case 办理编号 和 --action 环节 (step needs --case and --action)")
    on = date_option(args.date, "--date")
    params = {"note": args.note or "", "reason": args.reason or "", "signed": args.signed}
    if on is not None:
        params["notice_start" if args.step == "village_review" else "confirmed_on"] = on
    lead = monitoring.take_exit_step(scope, policy, args.case, args.step, **params)
    print(f"办理编号 {lead.pk}（户 {lead.household_id}）：{state_label(lead.state, lead.purpose).split(' (')[0]} "
          f"(case {lead.pk} is now {lead.state})")
    return 0


def _lists(scope: Scope, args) -> int:
    if not args.out or not args.out.endswith(".xlsx"):
        raise UserError("list 需要 --out 文件名.xlsx (list needs --out FILE.xlsx)")
    path = monitoring.exit_lists(scope, year=args.year, out=args.out)
    print(f"退出名单已写入 {path} (exit lists written)")
    return 0
