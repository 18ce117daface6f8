"""``fupin assist import|plans`` and ``fupin assist coverage|check --db``: the ledger in the database.

Each action parses its options, calls one use case of :mod:`fupin.application.assistance` and
renders; coverage and check are written by the same functions as over files
(:mod:`fupin.cli.assistance`), from the frames the database gives.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import assistance as use
from fupin.application import policy as policy_provider
from fupin.application.files import NothingToAssess
from fupin.application.registry import ImportBusy
from fupin.cli import assistance as file_commands
from fupin.cli.commands import UserError
from fupin.cli.files import as_of
from fupin.engine.policy import PolicyMissing
from fupin.io import ExchangeFormatError
from fupin.io.report import Column, Heading, Sheet, region_label, write_report


def assist_command(args) -> int:
    try:
        if args.action == "import":
            return import_command(args)
        file_commands.require_year(args)
        if args.action == "plans":
            return plans_command(args)
        scope = Scope.system(args.region) if args.region else Scope.system()
        data = use.stored_inputs(scope, year=args.year)
        command = file_commands.coverage_command if args.action == "coverage" else file_commands.check_command
        return command(args, data)
    except (NothingToAssess, PolicyMissing, ExchangeFormatError, ImportBusy, use.StepRefused) as exc:
        raise UserError(str(exc)) from None
    except Http404:
        raise UserError(f"区划 {args.region} 不存在或格式错误 (no such region)") from None
    except PermissionDenied as exc:
        raise UserError(str(exc)) from None


def import_command(args) -> int:
    if not args.file:
        raise UserError("请给出要导入的帮扶数据文件：fupin assist import FILE (give the file to import)")
    if args.input:
        raise UserError("import 的文件写在 import 之后，不用 --input (give the file after 'import', not --input)")
    scope = Scope.system(args.region) if args.region else Scope.system()
    rejects = args.rejects or str(Path(Path(args.file).name).with_suffix("")) + ".rejects.xlsx"
    outcome = use.import_assistance(scope, args.file, rejects)
    print(f"帮扶数据导入完成（批次 {outcome.batch_id}）：{outcome.summary_zh()}")
    if outcome.rejects_path:
        print(f"退回表 (rejects) {outcome.rejects_path}：{outcome.rejected} 行，修正后可再次导入 (fix and import again)")
    return 0


PLAN_COLUMNS = (
    Column("region_code", "村（区划代码）", "code"), Column("hamlet", "自然村"), Column("household_id", "户编号", "code"),
    Column("head_name", "户主姓名"), Column("reason_label", "依据（未达标指标或风险）"), Column("family", "大类"),
    Column("subtype", "帮扶措施（小类）"), Column("responsible_unit", "责任单位"), Column("person", "责任人"),
    Column("target_on", "计划完成日期", "date"), Column("state_label", "状态"), Column("days", "剩余天数", "count"),
)
STATE_LABELS = {"planned": "计划", "in_progress": "实施中", "done": "已完成"}


def plans_command(args) -> int:
    if not args.out or Path(args.out).suffix.lower() != ".xlsx":
        raise UserError("plans 需要 --out 文件.xlsx (plans needs --out FILE.xlsx)")
    scope = Scope.system()
    # Plans are brought up to date from the stored verdicts first (idempotent), then listed.
    made = use.create_plans(scope.narrow(args.region), policy_provider.current(), year=args.year,
                            as_of=as_of(args.as_of))
    print(f"一户一策：{made.households} 户需帮扶，新建或重开 {made.plans} 个方案，新增 {made.actions} 项事项 "
          f"({made.plans} plans opened, {made.actions} actions added)")
    due = use.plans_due(scope, args.region, as_of(args.as_of))
    rows = due.rows.filter(due.rows["target_on"].is_not_null()).with_columns(
        state_label=due.rows["state"].replace_strict(STATE_LABELS, default=due.rows["state"]))
    overdue, soon = rows.filter(rows["overdue"]), rows.filter(~rows["overdue"])
    note = f"到期：计划完成日期在 {due.as_of} 之后 {due.within_days} 天内；逾期：已过计划完成日期仍未完成"
    heading = Heading("一户一策 到期与逾期事项", region_label(scope.narrow(args.region).prefix), due.as_of,
                      policy_provider.current().identity)
    write_report(args.out, [
        Sheet("已逾期", overdue, PLAN_COLUMNS, title="一户一策：已逾期事项", notes=[note], count_unit="项"),
        Sheet("7天内到期", soon, PLAN_COLUMNS, title=f"一户一策：{due.within_days}天内到期事项", notes=[note],
              count_unit="项"),
    ], heading)
    print(f"一户一策事项清单已写入 {args.out}：逾期 {overdue.height} 项，{due.within_days} 天内到期 {soon.height} 项 "
          f"(overdue {overdue.height}, due soon {soon.height})")
    return 0


def demo_ledger(workbook) -> None:
    """``fupin demo``: the workbook's measures, projects and dividends into the demo database."""
    outcome = use.import_assistance(Scope.system(), workbook, Path.cwd() / "demo.assistance.rejects.xlsx")
    print(f"  帮扶台账 (assistance ledger)：{outcome.summary_zh()}")


def demo_plans(scope: Scope, year: int) -> None:
    """``fupin demo``: 一户一策 plans from the verdicts just stored."""
    try:
        made = use.create_plans(scope, policy_provider.current(), year=year)
    except PolicyMissing as exc:
        print(f"  未制定一户一策 (no plans)：{exc}")
        return
    print(f"  一户一策 (household plans)：{made.plans} 户，{made.actions} 项帮扶事项")
