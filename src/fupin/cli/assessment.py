"""Commands over the database: assess (stored, with figures and leads), check, regions, explain.

The operator at the command line acts with every right over ``--region`` (default: the whole
database), as :meth:`fupin.accounts.scoping.Scope.system` says.
"""

from __future__ import annotations

from fupin.accounts.scoping import Scope
from fupin.application import assessment
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import (
    as_of,
    check_out_suffix,
    one_source,
    print_assessed,
    report_findings,
    report_regions,
)
from fupin.cli.operator import operator_scope
from fupin.engine.policy import PolicyMissing
from fupin.io import write_assessment


def assess_command(args) -> int:
    one_source(args)
    check_out_suffix(args.out)
    if args.engine != "local":
        raise UserError(f"--engine {args.engine} 只能读取 --input 指定的 Parquet 文件夹 "
                        f"(--engine {args.engine} reads a Parquet folder given with --input, not --db)")
    try:
        outcome = assessment.assess_year(operator_scope(getattr(args, "region", None)), policy_provider.current(), args.year, as_of=as_of(args.as_of))
    except (PolicyMissing, assessment.NothingToAssess) as exc:
        raise UserError(str(exc)) from None
    write_assessment(outcome.verdicts, args.out)
    print(f"已存入数据库：评估批次 {outcome.run.pk} (stored as assessment run {outcome.run.pk})；"
          f"预警线索已交村里核实：新建 {outcome.leads_created} 条 (leads handed to the villages)")
    print_assessed(outcome.verdicts, args.out)
    return 0


def _stored(args):
    one_source(args)
    try:
        return assessment.stored_registry(operator_scope(getattr(args, "region", None)), args.year)
    except assessment.NothingToAssess as exc:
        raise UserError(str(exc)) from None


def check_command(args) -> int:
    return report_findings(args, _stored(args), as_of(args.as_of))


def regions_command(args) -> int:
    return report_regions(args, _stored(args), as_of(args.as_of))


def explain_command(args) -> int:
    """The stored verdict of the household, explained as its page does (no recomputation)."""
    one_source(args)
    if args.as_of:
        raise UserError("--db 解释的是已存储的评估结果，不能指定 --as-of；请用 --input 重新计算 "
                        "(with --db the stored verdict is explained; use --input to compute at another date)")
    try:
        print(assessment.explain_household(Scope.system(), args.household_id, args.year, lang=args.lang))
    except assessment.NothingToAssess as exc:
        raise UserError(str(exc)) from None
    return 0
