"""``fupin employment offers|return-rate``: the 送工送岗 list (R10) and the 复工 rate over files
(``--input``). Never imports Django; with ``--db`` :mod:`fupin.cli.employment_db` reads the
frames from the database and hands them to the writers here.

``--out``: ``.xlsx`` (through :mod:`fupin.io.report`, IDs masked: a list for people), ``.csv``
or ``.parquet`` (English keys, IDs whole: machine outputs).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fupin.application import assistance_files as files_use
from fupin.application import employment as use
from fupin.application import policy as policy_provider
from fupin.cli.assistance import _inputs
from fupin.cli.commands import UserError
from fupin.cli.files import as_of, date_option
from fupin.engine.idnumber import mask
from fupin.engine.policy import PolicyMissing
from fupin.io import tables
from fupin.io.report import Column, Heading, Sheet, region_label, write_report

SUFFIXES = (".xlsx", ".csv", ".parquet")
LEVEL_LABELS = {"town": "乡镇", "county": "区县"}
OFFER_COLUMNS = (
    Column("region_code", "村（区划代码）", "code"), Column("household_id", "户编号", "code"), Column("name", "姓名"),
    Column("id_number", "证件号码", "code"), Column("labour", "劳动技能"), Column("away", "外出意愿"),
    Column("rank", "推荐顺序", "count"), Column("post_id", "岗位编号", "code"), Column("post_name", "岗位名称"),
    Column("kind", "类别"), Column("employer", "用人单位"), Column("work_region", "工作地区划", "code"),
    Column("place", "工作地类别"), Column("monthly_pay", "月薪酬（元）", "money"), Column("openings", "空缺人数", "count"),
)
RATE_COLUMNS = (
    Column("region_code", "区划代码", "code"), Column("region_name", "区划名称"), Column("date", "日期", "date"),
    Column("out_last_year", "上年跨乡务工人数", "count", total=True),
    Column("out_now", "已外出务工人数", "count", total=True),
    Column("rate", "复工率", "rate", ratio=("out_now", "out_last_year")),
    Column("returned_idle", "返乡未外出人数", "count", total=True),
)


def _out(args) -> Path:
    if not args.out:
        raise UserError(f"employment {args.action} 需要 --out（.xlsx、.csv 或 .parquet） (needs --out)")
    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise UserError(f"--out 应为 .xlsx、.csv 或 .parquet：{args.out} (--out must end in .xlsx, .csv or .parquet)")
    return out


def check_options(args) -> None:
    """What both sides refuse before reading anything."""
    _out(args)
    if args.action == "return-rate":
        if not args.date:
            raise UserError("return-rate 需要 --date 日期 YYYY-MM-DD (return-rate needs --date)")
        if not args.level:
            raise UserError("return-rate 需要 --level town 或 county (return-rate needs --level town|county)")
        date_option(args.date, "--date")
    as_of(args.as_of)


def employment_command(args, data: files_use.AssistanceInput | None = None) -> int:
    """``data``: the frames read from the database, else the files of ``--input``."""
    check_options(args)
    data = data or _inputs(args)
    if args.action == "offers":
        return offers_command(args, data)
    return return_rate_command(args, data)


def offers_command(args, data: files_use.AssistanceInput) -> int:
    out = _out(args)
    try:
        report = use.offers_report(policy_provider.current(), data, year=args.year, as_of=as_of(args.as_of))
    except PolicyMissing as exc:
        raise UserError(str(exc)) from None
    if out.suffix.lower() == ".xlsx":
        if report.offers.height >= 1_048_570:
            raise UserError("送工送岗清单超过 Excel 行数上限，请用 --region 缩小范围或输出 .parquet "
                            "(the list exceeds Excel's rows; narrow it with --region or write .parquet)")
        shown = report.offers.with_columns(
            id_number=pl.col("id_number").map_elements(mask, return_dtype=pl.String, skip_nulls=True))
        heading = Heading(f"{args.year}年度送工送岗清单", region_label(data.region or ""), report.as_of,
                          policy_provider.current().identity)
        write_report(out, [Sheet("送工送岗清单", shown, OFFER_COLUMNS, title="送工送岗清单：未覆盖劳动力与推荐岗位",
                                 notes=[("每名“人人有出路”未覆盖的劳动力最多推荐 5 个截至日期仍开放、尚有空缺的岗位；"
                                         "岗位编号为空表示暂无合适岗位"),
                                        "排序：工作地类别（乡镇内、乡镇外县内、县外省内、省外），月薪酬从高到低，岗位编号"])],
                     heading)
    else:
        tables.write_frame(report.offers, out, allowed=(out.suffix.lower(),))
    print(f"送工送岗清单已写入 {out}：未覆盖劳动力 {report.uncovered} 人，其中 {report.without_post} 人暂无合适岗位 "
          f"({report.uncovered} uncovered, {report.without_post} without an open post)")
    return 0


def return_rate_command(args, data: files_use.AssistanceInput) -> int:
    out = _out(args)
    on = date_option(args.date, "--date")
    rates = use.return_rate_report(data, year=args.year, on=on, level=args.level)
    if out.suffix.lower() == ".xlsx":
        heading = Heading(f"{args.year}年度复工率（按{LEVEL_LABELS[args.level]}）", region_label(data.region or ""), on,
                          policy_provider.current().identity)
        write_report(out, [Sheet("复工率", rates, RATE_COLUMNS, title=f"复工率：{on} 已外出务工人数 ÷ 上年跨乡务工人数",
                                 notes=["分母：建档立卡户和监测对象中，上年务工状况为乡（镇）外县内、县外省内或省外务工且务工时间大于0的在世成员",
                                        "分子：该日务工动态为在外务工或已返岗、务工地不在乡镇内的成员；复工率可能超过100%"],
                                 count_unit="个")], heading)
    else:
        tables.write_frame(rates.drop("region_name"), out, allowed=(out.suffix.lower(),))
    den, num = int(rates["out_last_year"].sum()), int(rates["out_now"].sum())
    total = f"{num / den:.2%}" if den else "—"
    print(f"复工率已写入 {out}：{on} 已外出 {num} 人 / 上年跨乡务工 {den} 人 = {total} (return-to-work rate)")
    return 0
