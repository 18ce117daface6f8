"""Monitoring commands: match a department's list against the registry."""

from __future__ import annotations

from pathlib import Path

from fupin.cli import UserError, argument, command


@command("match", "部门筛查：把部门名单与登记册匹配并生成监测线索 (match a department list, create leads)")
@argument("file", help="部门数据文件 .xlsx / .csv / .parquet (docs/department-layouts.md)")
@argument("--kind", required=True, choices=["medical", "civil", "education", "housing", "employment", "disaster"],
          help="部门类型 (department kind)")
@argument("--year", required=True, type=int, help="匹配年度 (registry year)")
@argument("--db", help="数据库 URL (database URL), 默认 FUPIN_DB 或 sqlite:///fupin.sqlite3")
@argument("--rejects", help="退回行工作簿路径 (rejects workbook; default FILE.rejects.xlsx in the current folder)")
def match(args) -> int:
    from fupin.site.bootstrap import setup

    if not Path(args.file).is_file():
        raise UserError(f"找不到文件 {args.file} (no such file)")
    setup(args.db)
    from fupin.engine.matching import DepartmentFileError
    from fupin.engine.policy import PolicyError
    from fupin.monitoring.intake import run_match

    rejects = Path(args.rejects) if args.rejects else Path.cwd() / f"{Path(args.file).stem}.rejects.xlsx"
    try:
        outcome = run_match(args.file, kind=args.kind, year=args.year, rejects_path=rejects)
    except DepartmentFileError as exc:
        raise UserError(str(exc)) from None
    except PolicyError as exc:
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
