"""Declarations of every ``fupin`` command: options, and the handler for each way it runs.

A command that works on files only (``generate``, ``policy show``, ``assess --input`` …) names a
handler in :mod:`fupin.cli.files`, which never imports Django; a command on the database names one
in the other handler modules, loaded after Django is set up. Nothing here imports either side.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fupin.application import policy as policy_provider
from fupin.engine.policy import PolicyError


class UserError(Exception):
    """A problem with the user's input: printed as a message, exit code 2."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: tuple[tuple[tuple[str, ...], dict], ...]
    handler: str                 # module:function for the command without a database
    db_handler: str | None = None  # … with --db; the only handler when ``database == "always"``
    database: str = "never"      # never | always | optional (when --db is given)
    policy: bool = False         # takes --policy FILE (repeatable)
    default_db: str | None = None  # the database when --db and FUPIN_DB are not given (the demo's own)
    files_only: Callable[[argparse.Namespace], bool] | None = None  # options that never touch a database
    creates_database: bool = False  # may start a new SQLite file (import, createuser, the demo)
    inputs: tuple[str, ...] = ()    # arguments naming files that must exist before anything starts

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        for names, options in self.arguments:
            parser.add_argument(*names, **options)
        if self.policy:
            parser.add_argument(*_POLICY[0], **_POLICY[1])

    def uses_database(self, args) -> bool:
        if self.files_only is not None and self.files_only(args):
            return False
        return self.database == "always" or (self.database == "optional" and bool(getattr(args, "db", None)))

    def handler_for(self, args) -> str:
        return (self.db_handler or self.handler) if self.uses_database(args) else self.handler

    def prepare(self, args) -> None:
        """The policy first (a broken file is refused before anything runs), then Django."""
        try:
            policy_provider.configure(getattr(args, "policy", None) or ())
        except PolicyError as exc:
            raise UserError(str(exc)) from None
        # A mistyped input is refused before a database is opened (or created).
        for name in self.inputs:
            value = getattr(args, name, None)
            if value and not Path(value).exists():
                raise UserError(f"找不到文件或文件夹 {value} (no such file or folder)")
        if self.uses_database(args):
            if self.default_db and not getattr(args, "db", None):
                args.db = self.default_db
            bootstrap = importlib.import_module("fupin.site.bootstrap")
            try:
                bootstrap.setup(getattr(args, "db", None), create=self.creates_database)
            except bootstrap.DatabaseUnavailable as exc:
                raise UserError(str(exc)) from None


def a(*names: str, **options) -> tuple[tuple[str, ...], dict]:
    return names, options


_POLICY = a("--policy", action="append", default=[],
            help="政策文件 .toml（可多次；在 FUPIN_POLICY 之后加载，国家文件总是先加载）"
                 " (policy file, repeatable; loaded after FUPIN_POLICY's, national first)")
_DB = a("--db", help="数据库地址 (sqlite:///file or postgresql://...); default FUPIN_DB or ./fupin.sqlite3")
_INPUT = a("--input", help="文件或文件夹 (.xlsx, CSV or Parquet folder)")
_YEAR = a("--year", type=int, required=True, help="年度，如 2020 (registry year)")
_REGION = a("--region", help="区划代码前缀 (division-code prefix)")
_AS_OF = a("--as-of", help="评估日期 YYYY-MM-DD（默认当年12月31日）")
_FORMAT = a("--format", choices=["table", "csv", "json"], default="table",
            help="输出到屏幕：table 表格（默认）/ csv / json（英文键，供程序读取） (stdout format)")

COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command(
        "generate", "生成模拟登记数据 (write a synthetic registry in the exchange format)",
        (a("--households", type=int, required=True, help="户数 (number of households)"), _YEAR,
         a("--region", help="区划代码 (division code; default 500101 万州区)"),
         a("--seed", type=int, default=0, help="随机种子，相同种子生成相同数据 (random seed; same seed, same data)"), a("--out", required=True, help=".xlsx file, .parquet folder, or a folder of CSVs"),
         a("--years", type=int, default=1, help="年度数：--year 为最新年度，另写此前各年（默认 1；复工率需 2） (snapshots ending in --year; default 1, the 复工 rate needs 2)")),
        "fupin.cli.generate:generate_command",
    ),
    Command(
        "import", "导入登记数据 (import an exchange-format workbook, CSV folder or Parquet folder)",
        (a("path", help="文件或文件夹 (.xlsx, CSV folder, Parquet folder, flat national export)"), _DB,
         a("--rejects", help="退回表路径 (rejects workbook; default ./NAME.rejects.xlsx)"),
         a("--year", type=int, help="年度 (fills 年度 when the file has none)"),
         a("--province", default="50", help="省级代码，用于按名称定位 (province for name lookup; default 50)"),
         a("--region", help="只导入该区划（文件中区划外的行拒绝导入） (import only into this region)")),
        "fupin.cli.registry:import_command", database="always", creates_database=True, inputs=("path",),
    ),
    Command(
        "export", "导出登记数据 (export the registry in the exchange format)",
        (_YEAR, _REGION, a("--out", required=True, help=".xlsx file, .parquet folder, or a folder of CSVs"), _DB),
        "fupin.cli.registry:export_command", database="always",
    ),
    Command(
        "demo", "演示：生成模拟区县，导入、评估，创建演示账号并启动网页 (the whole product on the embedded default)",
        (a("--db", help="default sqlite:///fupin-demo.sqlite3"), a("--households", type=int, default=3000, help="模拟户数（默认 3000） (households to generate)"),
         a("--year", type=int, default=2020, help="年度（默认 2020） (year)"),
         a("--region", default="500101", help="区县代码（默认 500101 万州区） (district code)"),
         a("--seed", type=int, default=2020, help="随机种子 (random seed)"),
         a("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1） (listen address)"),
         a("--port", type=int, default=8000, help="端口（默认 8000） (port)"),
         a("--no-serve", action="store_true", help="stop after the summary and the accounts (no web server)")),
        "fupin.cli.registry:demo_command", database="always", policy=True, default_db="sqlite:///fupin-demo.sqlite3",
        creates_database=True,
    ),
    Command(
        "assess", "评估达标情况与监测预警 (assess households against the standard; monitoring leads)",
        (_YEAR, _INPUT, _DB, _AS_OF, _REGION, a("--out", required=True, help=".csv, .parquet or .xlsx"),
         a("--engine", choices=["local", "partitioned", "spark"], default="local",
           help="local（默认）；partitioned：按县分区流式评估 Parquet；spark：PySpark 按县分布式评估 "
                "(partitioned: county by county over Parquet; spark: on PySpark)")),
        "fupin.cli.files:assess_command", "fupin.cli.assessment:assess_command", database="optional", inputs=("input",), policy=True,
        # The partitioned and Spark runners read Parquet only: their refusal of --db needs no database.
        files_only=lambda args: args.engine != "local",
    ),
    Command(
        "check", "数据质量检查，按村汇总 (data-quality findings grouped by village)",
        (_YEAR, _INPUT, _DB, _REGION, a("--as-of", help="评估日期 YYYY-MM-DD"), a("--out", help="问题清单 .xlsx"),
         _FORMAT),
        "fupin.cli.files:check_command", "fupin.cli.assessment:check_command", database="optional", inputs=("input",), policy=True,
    ),
    Command(
        "regions", "村、乡镇、县汇总：贫困发生率、退出、挂牌督战 (village/town/county aggregates)",
        (_YEAR, a("--level", choices=["village", "town", "county"], default="village",
           help="汇总层级：village 村 / town 乡镇 / county 县（默认村） (aggregation level)"), _REGION, _INPUT, _DB,
         a("--as-of", help="评估日期 YYYY-MM-DD"), a("--out", help=".csv, .parquet or .xlsx"), _FORMAT),
        "fupin.cli.files:regions_command", "fupin.cli.assessment:regions_command", database="optional", inputs=("input",),
        policy=True,
    ),
    Command(
        "explain", "解释一户的评估结果 (explain one household's verdict)",
        (a("household_id", help="户编号 (household number)"), _YEAR, _INPUT, _DB, a("--as-of", help="评估日期 YYYY-MM-DD"),
         a("--lang", choices=["zh", "en"], default="zh", help="语言（默认中文） (language)")),
        "fupin.cli.files:explain_command", "fupin.cli.assessment:explain_command", database="optional", inputs=("input",),
        policy=True,
    ),
    Command(
        "assist", "帮扶台账：覆盖率报告与问题检查 (assistance ledger: coverage report, findings)",
        (a("action", choices=["coverage", "check", "import", "plans"],
           help="coverage：覆盖率报告（spec 3.11）；check：问题清单（B13、B14 与导入问题）；import：把帮扶数据导入数据库；"
                "plans：一户一策到期与逾期事项清单 (coverage report; findings; import into the database; plans due)"),
         a("file", nargs="?", help="import：帮扶数据文件 .xlsx / CSV 或 Parquet 文件夹 (import: the assistance file)"),
         a("--year", type=int, help="年度，如 2020（coverage、check、plans 必填） (registry year)"),
         _INPUT, _DB, _REGION, _AS_OF,
         a("--assistance", help="帮扶数据文件（默认与 --input 相同） (assistance sheets; default: the --input container)"),
         a("--out", help="输出文件：coverage 为 .xlsx/.csv/.parquet，check、plans 为 .xlsx (output file)"),
         a("--rejects", help="check、import：退回表路径 .xlsx (check, import: write the rejects workbook here)")),
        "fupin.cli.assistance:assist_command", "fupin.cli.assistance_db:assist_command", database="always",
        inputs=("input", "assistance", "file"), policy=True, creates_database=True,
        # coverage and check on files never open a database; import, plans and --db do.
        files_only=lambda args: args.action in ("coverage", "check") and not getattr(args, "db", None),
    ),
    Command(
        "employment", "就业帮扶：送工送岗清单与复工率 (employment service: job offers, return-to-work rate)",
        (a("action", choices=["offers", "return-rate"],
           help="offers：为“人人有出路”未覆盖的劳动力推荐最多5个开放岗位（R10）；return-rate：复工率 "
                "(offers: up to five open posts per uncovered member; return-rate: the 复工 rate)"),
         _YEAR, _INPUT, _DB, _REGION,
         a("--as-of", help="offers：岗位开放与覆盖的截至日期 YYYY-MM-DD（默认当年12月31日） (as-of date)"),
         a("--date", help="return-rate：统计日期 YYYY-MM-DD (return-rate: the date)"),
         a("--level", choices=["town", "county"], help="return-rate：按乡镇（town）或区县（county）汇总 (level)"),
         a("--assistance", help="帮扶数据文件（默认与 --input 相同） (assistance sheets; default: the --input container)"),
         a("--out", required=True, help="输出文件 .xlsx / .csv / .parquet (output file)")),
        "fupin.cli.employment:employment_command", "fupin.cli.employment_db:employment_command", database="optional",
        inputs=("input", "assistance"), policy=True,
    ),
    Command(
        "card", "打印一个村的帮扶明白卡 PDF，每户一页 (the household cards 明白卡 of a village, one PDF page each)",
        (a("--village", required=True, help="村代码，12 位 (12-digit village code)"), _YEAR,
         a("--as-of", help="数据截至日期 YYYY-MM-DD（默认当年12月31日） (as-of date; default 31 December)"),
         a("--paper", choices=["A5", "A4"], default="A5",
           help="纸张：A5（默认，成员 8 人、政策 12 项）或 A4（12 人、24 项） (paper: A5 default, A4 lists more)"),
         a("--all", action="store_true",
           help="为全村每户打印（默认只打印建档立卡户和监测对象） (every household, not only registered or monitored)"),
         a("--input", help="登记册及帮扶数据文件或文件夹 (.xlsx, CSV or Parquet folder); 或用 --db"),
         a("--assistance", help="帮扶数据文件（默认与 --input 相同） (assistance sheets; default: the --input container)"),
         _DB,
         a("--household", help="只打印这一户（户编号；需 --db） (only this household; with --db)"),
         a("--out", required=True, help="输出 PDF 文件 (output .pdf)")),
        "fupin.cli.card:card_command", db_handler="fupin.cli.card_db:card_command", database="optional",
        inputs=("input", "assistance"), policy=True,
    ),
    Command(
        "policy", "查看政策参数及来源 (show policy values and their sources)",
        (a("action", choices=["show"], help="show：列出参数值及来源 (list values with sources)"),
         a("--year", type=int, help="年度（默认全部） (year; default all)"), a("--region", help="区划代码 (division code), e.g. 50")),
        "fupin.cli.files:policy_command", policy=True,
    ),
    Command(
        "match", "部门筛查：把部门名单与登记册匹配并生成监测线索 (match a department list, create leads)",
        (a("file", help="部门数据文件 .xlsx / .csv / .parquet (docs/department-layouts.md)"),
         a("--kind", required=True, choices=["medical", "civil", "education", "housing", "employment", "disaster"],
           help="部门类型 (department kind)"),
         a("--year", required=True, type=int, help="匹配年度 (registry year)"),
         a("--db", help="数据库 URL (database URL), 默认 FUPIN_DB 或 sqlite:///fupin.sqlite3"), _REGION,
         a("--rejects", help="退回行工作簿路径 (rejects workbook; default FILE.rejects.xlsx in the current folder)")),
        "fupin.cli.monitoring:match_command", database="always", policy=True, inputs=("file",),
    ),
    Command(
        "shock", "冲击事件：导入疫情/灾害事件与受灾户，生成突发严重困难线索 (shocks: import events, create leads)",
        (a("action", choices=["import", "leads"],
           help="import：导入冲击事件表与受灾户表；leads：按规则 R8 把受灾户生成监测线索（可重复运行） "
                "(import events and affected households; create the leads of one event, idempotent)"),
         a("file", nargs="?", help="import：冲击事件/受灾户文件 .xlsx 或 .csv (import: the shocks file)"),
         a("--event", help="leads：事件编号 (leads: the event id)"), _DB, _REGION,
         a("--rejects", help="import：退回表路径 .xlsx（默认 ./FILE.rejects.xlsx） (import: rejects workbook)"),
         a("--out", help="leads：逐户结果 .csv 或 .parquet（英文列名） (leads: per-household result file)")),
        "fupin.cli.shocks:shock_command", database="always", policy=True, inputs=("file",),
    ),
    Command(
        "exit", "贫困户退出：预退出、办理环节、退出名单 (household exit: propose, take a step, the exit lists)",
        (a("action", choices=["propose", "step", "list"],
           help="propose 提出预退出（达标的未脱贫户）；step 办理一个环节；list 导出退出名单 Excel "
                "(propose exits, take one step of one case, write the exit lists)"),
         _YEAR, _DB, _REGION,
         a("--household", action="append", default=None,
           help="propose：户编号（可多次；不填则本区划全部达标的未脱贫户） (household number, repeatable)"),
         a("--case", type=int, help="step：办理编号（退出名单中的“办理编号”） (case number)"),
         a("--action", dest="step", choices=["village_review", "household_confirm", "town_review", "county_approve",
                                             "reject"],
           help="step：village_review 民主评议并公示；household_confirm 农户签字确认；town_review 乡镇审核；"
                "county_approve 县级审批；reject 不予退出 (the step)"),
         a("--date", help="step：公示开始或签字日期 YYYY-MM-DD（默认今天） (notice start or signing date)"),
         a("--signed", action="store_true", help="step household_confirm：农户已签字 (the household has signed)"),
         a("--reason", help="step reject：不予退出的理由 (reason of a refusal)"),
         a("--note", help="step：办理说明 (note)"),
         a("--out", help="list：输出 .xlsx (output workbook)")),
        "fupin.cli.monitoring:exit_command", database="always", policy=True,
    ),
    Command(
        "supervise", "挂牌督战：候选、挂牌、进度、摘牌 (listed supervision: select, list, progress, delist)",
        (a("action", choices=["select", "list", "progress", "delist"],
           help="select：挂牌候选（--input 或 --db）；list：挂牌；progress：清零进度并更新状态；delist：摘牌 "
                "(select candidates; list; progress with status update; delist)"),
         a("target_arg", nargs="?", metavar="CODE", help="delist：摘牌的区划代码 (delist: the region code)"),
         _YEAR, _INPUT, _DB, _REGION, _AS_OF,
         a("--level", choices=["village", "town", "county"], help="select：层级 村/乡镇/县 (select: level)"),
         a("--top", type=int, help="select：按 --rank-by 排名前 N 个也列为候选（ranking） (select: the top N by --rank-by)"),
         a("--rank-by", choices=["projected_incidence", "remaining_poor_people"],
           help="select：排名依据，默认 projected_incidence 预计贫困发生率；须与 --top 同用 (ranking key; needs --top)"),
         a("--out", help="select/progress：输出 .csv、.parquet 或 .xlsx (output file)"),
         a("--from", dest="from_file", help="list：select 输出的 .csv/.parquet 候选文件 (list: a select output)"),
         a("--code", help="list：人工挂牌的区划代码（须同时给 --note） (list: a manual listing's region)"),
         a("--note", help="list：人工挂牌说明 (list: why, required with --code)"),
         a("--listed-by", choices=["national", "province", "city", "county"], default="county",
           help="list：挂牌层级，默认 county 县级 (list: who lists; default county)"),
         a("--target", help="list：目标日期 YYYY-MM-DD，默认当年12月31日 (list: target date; default 31 Dec)")),
        "fupin.cli.supervision:supervise_command", "fupin.cli.supervision_db:supervise_command",
        database="always", inputs=("input",), policy=True,
        # select --input reads a registry file only: no database.
        files_only=lambda args: args.action == "select" and bool(args.input),
    ),
    Command(
        "ledger", "问题整改台账：导入、数据复查、清零进度、超期清单 (rectification ledger: import, sync, report, overdue)",
        (a("action", choices=["import", "sync", "report", "overdue"],
           help="import：导入问题清单；sync：按数据质量与超期线索建账/销账；report：清零进度；overdue：超期问题 "
                "(import a problem list; sync automatic problems; 清零 report; overdue problems)"),
         a("target_arg", nargs="?", metavar="FILE", help="import：问题清单 .xlsx 或 .csv (import: the problem list)"),
         a("--year", type=int, help="sync/report：年度 (year)"), _DB, _REGION, _AS_OF,
         a("--level", choices=["village", "town", "county"], default="village",
           help="report：汇总层级，默认 village 村 (report: level; default village)"),
         a("--out", help="report/overdue：输出 .csv、.parquet 或 .xlsx (output file)"),
         a("--rejects", help="import：退回表路径，默认 ./FILE.rejects.xlsx (import: rejects workbook)")),
        "fupin.cli.supervision_db:ledger_command", database="always", policy=True,
    ),
    Command(
        "createuser", "创建用户 (create a user with a role and a region scope)",
        (a("--username", required=True, help="登录名 (login name)"),
         a("--role", required=True, choices=["village", "town", "county", "analyst", "steward", "admin"],
           help="角色：village 村 / town 乡镇 / county 县 / analyst 分析 / steward 部门数据 / admin 管理员 (role)"),
         a("--region", required=True, help="管辖区划代码 (division code; its subtree is the scope)"),
         a("--password-stdin", action="store_true", help="从标准输入读取密码 (read the password from standard input)"), _DB),
        "fupin.cli.accounts:createuser_command", database="always", creates_database=True,
    ),
    Command(
        "token", "签发、列出或吊销用户的 API 令牌 (issue, list or revoke a user's API tokens)",
        (a("username", help="用户名 (user name)"), _DB,
         a("--days", type=int, default=90, help="有效期天数（默认 90）；签发新令牌会吊销旧令牌 (days valid; a new token revokes the old)"),
         a("--list", action="store_true", help="列出令牌（不显示令牌本身） (list the tokens, never the secrets)"),
         a("--revoke", action="store_true", help="吊销该用户的全部令牌 (revoke every token of the user)")),
        "fupin.cli.accounts:token_command", database="always",
    ),
    Command(
        "serve", "启动网页服务和后台任务进程 (serve the web app and the job worker for production use)",
        (_DB, a("--host", default="127.0.0.1", help="listen address (default 127.0.0.1; 0.0.0.0 for all)"),
         a("--port", type=int, default=8000, help="端口（默认 8000） (port)"), a("--workers", type=int, default=2, help="web worker processes (default 2)"),
         a("--threads", type=int, default=8, help="threads per web worker (default 8)"),
         a("--job-workers", type=int, default=1, help="background job threads (default 1)")),
        "fupin.cli.serve:serve_command", database="always", policy=True,
        # A server may start on a new database (its administrator is created next).
        creates_database=True,
    ),
    Command(
        "worker", "只运行后台任务进程 (run the background job worker only)",
        (a("--db", help="数据库地址; default FUPIN_DB or ./fupin.sqlite3"),
         a("--workers", type=int, default=1, help="job threads (default 1)")),
        "fupin.cli.serve:worker_command", database="always", policy=True,
    ),
    Command(
        "scenario", "政策情景：同一数据按现行政策与调整后的参数各评估一次并对比，不写入数据库 "
                    "(policy scenario against the baseline; nothing is stored)",
        (_YEAR, _INPUT, _DB,
         a("--set", dest="sets", action="append", default=[], metavar="PARAM=VALUE",
           help="调整的政策参数，如 poverty_line=4500（可多次） (a policy parameter and its scenario value, repeatable)"),
         a("--where", help="情景参数适用的区划前缀（默认 --region，否则全部） (region the --set values apply to)"),
         _REGION,
         a("--level", required=True, choices=["village", "town", "county"],
           help="汇总层级：village 村 / town 乡镇 / county 区县 (aggregation level)"),
         _AS_OF, a("--out", required=True, help="按区划对比 .csv、.parquet 或 .xlsx (comparison by region)"),
         a("--households", help="结论或监测类别变化的户 .csv、.parquet 或 .xlsx (the households that changed)")),
        "fupin.cli.scenario:scenario_command", "fupin.cli.scenario_db:scenario_command", database="optional",
        inputs=("input",), policy=True,
    ),
    Command(
        "report", "上报报表：按乡镇（及所辖村）的脱贫进度、未达标指标、监测对象（月报/年报） "
                  "(the monthly/annual tables a county sends upward)",
        (_YEAR, a("--month", type=int, required=True, help="月份 1–12（年报用 12） (report month; 12 for the annual report)"),
         a("--region", required=True, help="报送区划代码，通常为区县 (the reporting region, usually a county)"),
         a("--out", required=True, help="报表工作簿 .xlsx (the report workbook)"), _DB),
        "fupin.cli.report:report_command", database="always",
    ),
    Command(
        "sample", "第三方评估抽样：抽样与测算 (third-party assessment: draw the sample, estimate from field results)",
        (a("action", choices=["draw", "estimate"],
           help="draw：按种子抽取样本；estimate：根据入户调查结果测算错退率、漏评率、认可度 "
                "(draw the seeded sample; estimate the rates from the field results)"),
         a("--year", type=int, help="draw：年度 (registry year)"),
         a("--region", help="draw：评估区划代码，通常为区县 (region assessed, usually a county)"),
         a("--seed", type=int, help="draw：随机种子 0 ≤ S < 2^64，相同种子得到相同样本 (seed; same seed, same sample)"),
         _INPUT, _DB,
         a("--purpose", choices=["exit", "annual"], default="exit",
           help="draw：exit 退出评估 / annual 年度成效考核（仅作标记） (a label)"),
         a("--exited-since", type=int, help="draw：只抽该年度及以后脱贫的户 (exited households from this year on)"),
         a("--forms", help="draw：入户调查表 .xlsx，每村一页 (field forms, one sheet per village)"),
         a("--format", choices=["csv", "parquet"], default="csv",
           help="draw：--out 为文件夹时的文件格式（默认 csv） (file format when --out is a folder)"),
         a("--sample", help="estimate：抽样结果（draw 的 --out） (the sample written by draw)"),
         a("--results", help="estimate：入户调查结果 .xlsx/.csv（可直接用填好的调查表） (field results)"),
         a("--basis", choices=["sample", "weighted"], default="sample",
           help="estimate：判定依据，sample 样本比率（官方口径，默认）或 weighted 加权估计 (rate that decides)"),
         a("--rejects", help="estimate：退回行工作簿 .xlsx（默认 RESULTS.rejects.xlsx） (rejects workbook)"),
         a("--out", help="draw：.xlsx 或文件夹；estimate：.csv、.parquet 或 .xlsx (output)")),
        "fupin.cli.analytics:sample_command", "fupin.cli.analytics_db:sample_command", database="optional",
        inputs=("input", "sample", "results"), policy=True,
    ),
    Command(
        "mpi", "多维贫困指数（Alkire-Foster M0）按村、乡镇、县 (multidimensional poverty index by region)",
        (_YEAR, _INPUT, _DB, _REGION,
         a("--level", choices=["village", "town", "county"], required=True,
           help="汇总层级：village 村 / town 乡镇 / county 县 (aggregation level)"),
         a("--k", help="贫困临界值，如 1/3 或 0.4（默认政策 mpi_k） (poverty cutoff; default policy mpi_k)"),
         a("--unknown", choices=["exclude", "not_deprived", "deprived"], default="exclude",
           help="不详指标：exclude 排除该户（默认）/ not_deprived 视为达标 / deprived 视为未达标 (unknown indicators)"),
         a("--out", required=True, help=".csv, .parquet or .xlsx"),
         a("--households", help="各户得分 .csv/.parquet/.xlsx (household scores)")),
        "fupin.cli.analytics:mpi_command", "fupin.cli.analytics_db:mpi_command", database="optional",
        inputs=("input",), policy=True,
    ),
)}
