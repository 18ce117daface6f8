"""``fupin assist coverage|check``: the assistance ledger over files (``--input``).

This module never imports Django (``pyproject.toml`` import-linter contract). With ``--db``, and
for ``import`` and ``plans``, the command runs :mod:`fupin.cli.assistance_db`, which reads the
frames from the database and hands them to the same report writers here.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fupin.application import assistance_files as use
from fupin.application import files
from fupin.application import policy as policy_provider
from fupin.cli.commands import UserError
from fupin.cli.files import as_of
from fupin.engine.assistance import rules
from fupin.engine.idnumber import mask
from fupin.engine.policy import PolicyMissing
from fupin.io import ExchangeFormatError, tables
from fupin.io.assistance import write_rejects

COVERAGE_HEADERS = {
    "region_code": "区划代码", "region_name": "区划名称", "level": "层级", "year": "年度", "as_of": "截至日期",
    "rule": "指标", "numerator": "分子", "denominator": "分母", "rate": "比率", "excluded": "不计入", "uncovered": "未覆盖",
}
UNCOVERED_HEADERS = {"rule": "指标", "household_id": "户编号", "region_code": "区划代码", "hamlet": "自然村",
                     "head_name": "户主姓名", "name": "姓名", "id_number": "证件号码", "status": "状态"}
FINDING_HEADERS = {"year": "年度", "region_code": "区划代码", "household_id": "户编号", "id_number": "证件号码",
                   "code": "代码", "severity": "级别", "ref": "关联编号", "sheet": "工作表", "row": "行号", "column": "列",
                   "value": "值", "message_zh": "说明", "message_en": "Problem"}
SHEET_TITLES = {"outlet": "人人有出路未覆盖", "income": "户户有收益未覆盖", "mechanism": "无资产收益类带动",
                "developmental": "开发式措施未及时落实", "safety_net": "无劳动力户未保障", "pairing": "未结对户",
                "visit": "走访超期户"}
CADRE_HEADERS = {"cadre_id": "责任人编号", "name": "姓名", "unit": "帮扶单位", "rank": "职级", "households": "结对户数",
                 "limit": "上限", "over": "超过上限", "overdue": "走访超期户数"}


def _inputs(args) -> use.AssistanceInput:
    if not getattr(args, "input", None):
        raise UserError("请用 --input 指定登记册文件或文件夹，或用 --db 读数据库 "
                        "(give the registry file with --input, or the database with --db)")
    for p in (args.input, args.assistance):
        if p and not Path(p).exists():
            raise UserError(f"找不到文件或文件夹 {p} (no such file or folder)")
    try:
        return use.read_inputs(args.input, year=args.year, region=args.region, as_of=as_of(args.as_of),
                               assistance_path=args.assistance)
    except (ExchangeFormatError, files.NothingToAssess) as exc:
        raise UserError(str(exc)) from None


def require_year(args) -> None:
    if args.year is None:
        raise UserError(f"assist {args.action} 需要 --year 年度 (assist {args.action} needs --year)")


def assist_command(args) -> int:
    require_year(args)
    return coverage_command(args) if args.action == "coverage" else check_command(args)


def _labelled(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    return frame.select([pl.col(c).alias(h) for c, h in headers.items() if c in frame.columns])


def coverage_command(args, data: use.AssistanceInput | None = None) -> int:
    """``data``: the frames read from the database (``fupin.cli.assistance_db``), else the files."""
    if not args.out:
        raise UserError("coverage 需要 --out（.xlsx、.csv 或 .parquet） (coverage needs --out)")
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".parquet"):
        raise UserError(f"--out 应为 .xlsx、.csv 或 .parquet：{args.out} (--out must end in .xlsx, .csv or .parquet)")
    data = data or _inputs(args)
    try:
        report = use.coverage_report(policy_provider.current(), data, year=args.year, as_of=as_of(args.as_of))
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        sheets = {"覆盖率": _labelled(report.coverage.with_columns(
            rule=pl.col("rule").replace_strict({r: rules.label(r) for r in rules.COVERAGE_RULES}, return_dtype=pl.String),
            level=pl.col("level").replace_strict(rules.LEVEL_LABELS, return_dtype=pl.String)), COVERAGE_HEADERS)}
        for rule in rules.coverage_rules(report.outcome):
            listed = report.uncovered[rule].with_columns(
                rule=pl.lit(rules.label(rule)),
                id_number=pl.col("id_number").map_elements(mask, return_dtype=pl.String, skip_nulls=True),
                status=pl.col("status").replace_strict(rules.STATUS_LABELS, default=pl.col("status"), return_dtype=pl.String))
            too_many = listed.height >= 1_048_575
            if too_many:
                raise UserError(f"“{SHEET_TITLES[rule]}”超过 Excel 行数上限，请用 --region 缩小范围或输出 .parquet "
                                "(the list exceeds Excel's rows; narrow it with --region or write .parquet)")
            sheets[SHEET_TITLES[rule]] = _labelled(listed, UNCOVERED_HEADERS)
        if report.outcome.cadre_load is not None:
            sheets["帮扶责任人结对"] = _labelled(report.outcome.cadre_load.with_columns(
                over=pl.when(pl.col("over")).then(pl.lit("是")).otherwise(pl.lit("否"))), CADRE_HEADERS)
        tables.write_sheets(out, sheets, float_decimals=4)
    else:
        listed = pl.concat(list(report.uncovered.values()), how="vertical")
        tables.write_frame(report.coverage, out, allowed=(suffix,))
        tables.write_frame(listed, out.with_name(out.stem + ".uncovered" + suffix), allowed=(suffix,))
        if report.outcome.cadre_load is not None:
            tables.write_frame(report.outcome.cadre_load, out.with_name(out.stem + ".cadres" + suffix),
                               allowed=(suffix,))
    shown = report.coverage.filter(pl.col("level") == report.coverage["level"][0]) if report.coverage.height else report.coverage
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=200):
        print(shown.select("region_code", "region_name", "rule", "numerator", "denominator", "rate", "excluded"))
    rejected = data.rejected_count
    print(f"覆盖率报告已写入 {args.out}（{args.year} 年度，政策 {policy_provider.current().identity}）"
          + (f"；{rejected} 行帮扶数据未通过校验，未计入（用 fupin assist check --rejects 导出退回表）" if rejected else ""))
    return 0


def check_command(args, data: use.AssistanceInput | None = None) -> int:
    data = data or _inputs(args)
    try:
        found = use.check_report(policy_provider.current(), data, year=args.year, as_of=as_of(args.as_of))
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    if args.rejects:
        if data.assistance is None:
            raise UserError("--rejects 只用于文件：数据库中的记录都已通过校验；导入时用 fupin assist import --rejects "
                            "(--rejects is for files: stored rows passed; use fupin assist import --rejects)")
        n = write_rejects(data.assistance, args.rejects)
        print(f"退回表 (rejects) {args.rejects}：{n} 行")
    if args.out:
        if Path(args.out).suffix.lower() != ".xlsx":
            raise UserError(f"--out 应为 .xlsx：{args.out} (--out must be .xlsx)")
        by_code = found.group_by("code", "severity").agg(count=pl.len(), households=pl.col("household_id").n_unique()).sort("code")
        tables.write_sheets(args.out, {
            "按代码汇总": by_code.rename({"code": "代码", "severity": "级别", "count": "问题数", "households": "涉及户数"}),
            "问题清单": _labelled(found.with_columns(
                id_number=pl.col("id_number").map_elements(mask, return_dtype=pl.String, skip_nulls=True)), FINDING_HEADERS),
        })
    counts = found.group_by("code").len().sort("code")
    print("，".join(f"{c} {n}" for c, n in counts.iter_rows()) or "没有发现问题 (no findings)")
    return 1 if (found["severity"] == "error").any() else 0
