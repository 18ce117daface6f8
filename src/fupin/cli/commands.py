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

COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command(
        "generate", "生成模拟登记数据 (write a synthetic registry in the exchange format)",
        (a("--households", type=int, required=True, help="户数 (number of households)"), _YEAR,
         a("--region", help="区划代码 (division code; default 500101 万州区)"),
         a("--seed", type=int, default=0, help="随机种子，相同种子生成相同数据 (random seed; same seed, same data)"), a("--out", required=True, help=".xlsx file, .parquet folder, or a folder of CSVs")),
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
        (_YEAR, _INPUT, _DB, _REGION, a("--as-of", help="评估日期 YYYY-MM-DD"), a("--out", help="问题清单 .xlsx")),
        "fupin.cli.files:check_command", "fupin.cli.assessment:check_command", database="optional", inputs=("input",), policy=True,
    ),
    Command(
        "regions", "村、乡镇、县汇总：贫困发生率、退出、挂牌督战 (village/town/county aggregates)",
        (_YEAR, a("--level", choices=["village", "town", "county"], default="village",
           help="汇总层级：village 村 / town 乡镇 / county 县（默认村） (aggregation level)"), _REGION, _INPUT, _DB,
         a("--as-of", help="评估日期 YYYY-MM-DD"), a("--out", help=".csv, .parquet or .xlsx")),
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
        (a("action", choices=["coverage", "check"],
           help="coverage：覆盖率报告（spec 3.11）；check：问题清单（B13、B14 与导入问题） "
                "(coverage report; findings B13, B14 and the import's)"),
         _YEAR, _INPUT, _DB, _REGION, _AS_OF,
         a("--assistance", help="帮扶数据文件（默认与 --input 相同） (assistance sheets; default: the --input container)"),
         a("--out", help="输出文件：coverage 为 .xlsx/.csv/.parquet，check 为 .xlsx (output file)"),
         a("--rejects", help="check：退回表路径 .xlsx (check: write the rejects workbook here)")),
        "fupin.cli.assistance:assist_command", inputs=("input", "assistance"), policy=True,
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
)}
