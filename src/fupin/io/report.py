"""Workbooks a cadre can hand on: the one writer of every report-like ``.xlsx`` we produce
(verdicts, work lists, findings, region figures …).

Each sheet gets what a town official expects on paper without touching the file:

* a title row (what the table is) and a line saying region, date and policy;
* Chinese headers, frozen under the title with a filter on them, columns wide enough to read;
* years and codes as plain integers or text (never "2,020"), money with two decimals,
  rates as percentages, counts as whole numbers;
* a 合计 row for the columns that add up;
* print setup: A4 landscape, one page wide, the header repeated on every page.

Text cells go through :class:`fupin.io.tables.SheetWriter`, so an uploaded ``=HYPERLINK(…)``
stays text here too. Rows are streamed (``constant_memory``): a sheet may be as long as Excel
allows. The exchange-format export is *not* written here — it must read back exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from fupin import divisions
from fupin.engine import rules as R
from fupin.io import tables

Kind = Literal["text", "code", "year", "count", "money", "rate", "number", "date"]

NUMBER_FORMATS: dict[str, str] = {
    "year": "0", "count": "#,##0", "money": "#,##0.00", "rate": "0.00%", "number": "0.##",
}
MAX_WIDTH = 48
TOTAL_LABEL = "合计"


@dataclass(frozen=True)
class Column:
    """One column of a report sheet: the frame's column ``key`` under a Chinese ``header``."""

    key: str
    header: str
    kind: Kind = "text"
    total: bool = False        # summed in the 合计 row
    width: float | None = None  # characters; measured from the data when not given
    # A rate's 合计: Σ numerator ÷ Σ denominator over the rows (keys of the sheet's frame), one
    # division of the sums — never a sum or mean of the rows' rates.
    ratio: tuple[str, str] | None = None


@dataclass(frozen=True)
class Heading:
    """What the whole workbook is, for the line under every sheet's title."""

    what: str
    region: str = ""
    date: dt.date | str | None = None
    policy: str = ""

    def line(self) -> str:
        when = self.date.isoformat() if isinstance(self.date, dt.date) else (self.date or dt.date.today().isoformat())
        parts = [f"区划：{self.region}" if self.region else "", f"日期：{when}",
                 f"政策：{self.policy}" if self.policy else ""]
        return "　".join(p for p in parts if p)


@dataclass
class Sheet:
    name: str
    frame: pl.DataFrame
    columns: Sequence[Column]
    title: str = ""                      # defaults to the sheet name
    totals: bool = True                  # a 合计 row when any column has total=True
    notes: list[str] = field(default_factory=list)  # lines under the table (sources, readings)
    count_unit: str = ""                 # "户": the 合计 row also says how many rows ("合计 12 户")
    # A band of group headings above the column headers: (label, columns spanned) in column
    # order, "" over columns without a group; frozen and repeated on every page with the headers.
    groups: Sequence[tuple[str, int]] = ()


text_width = tables.text_width


def _measured_width(column: Column, frame: pl.DataFrame) -> float:
    if column.width is not None:
        return column.width
    widest = text_width(column.header) + 2  # room for the filter button
    if column.key in frame.columns and frame.height:
        sample = frame.get_column(column.key).head(2000)
        if column.kind in ("text", "code", "date"):
            lengths = [text_width(str(v)) for v in sample.drop_nulls().to_list()]
            widest = max([widest, *lengths])
        elif column.kind in ("money", "count"):
            top = sample.cast(pl.Float64, strict=False).abs().max()
            widest = max(widest, len(f"{top or 0:,.2f}") + 1)
        else:
            widest = max(widest, 8)
    return min(MAX_WIDTH, widest + 1)


def _cell_values(sheet: Sheet) -> pl.DataFrame:
    """The frame's columns in order, rates as fractions, missing columns empty."""
    exprs = []
    for col in sheet.columns:
        if col.key not in sheet.frame.columns:
            exprs.append(pl.lit(None).alias(col.key))
        elif col.kind in ("code", "date"):
            exprs.append(pl.col(col.key).cast(pl.String))
        elif col.kind == "money":
            exprs.append(pl.col(col.key).cast(pl.Float64).round(2))
        else:
            exprs.append(pl.col(col.key))
    return sheet.frame.select(exprs)


def _totals(sheet: Sheet, values: pl.DataFrame) -> list | None:
    if not sheet.totals or not (sheet.count_unit or any(c.total for c in sheet.columns)):
        return None
    row: list = [None] * len(sheet.columns)
    for i, col in enumerate(sheet.columns):
        if col.total and col.key in values.columns:
            total = values.get_column(col.key).cast(pl.Float64, strict=False).sum()
            row[i] = round(total, 2) if col.kind == "money" else int(total) if col.kind == "count" else total
        elif col.ratio is not None and all(k in sheet.frame.columns for k in col.ratio):
            num, den = (sheet.frame.get_column(k).cast(pl.Float64, strict=False) for k in col.ratio)
            # An unknown denominator in any row leaves the total unknown (a partial sum overstates).
            known = den.null_count() == 0 and num.null_count() == 0 and den.sum() > 0
            row[i] = num.sum() / den.sum() if known else None
    label_at = next((i for i, c in enumerate(sheet.columns) if not c.total), 0)
    row[label_at] = f"{TOTAL_LABEL} {values.height} {sheet.count_unit}" if sheet.count_unit else TOTAL_LABEL
    return row


def write_report(out, sheets: Sequence[Sheet], heading: Heading) -> Path:
    """Sheets as one workbook laid out for people (see the module's doc)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook = tables.open_workbook(out, constant_memory=True)
    try:
        title_format = workbook.add_format({"bold": True, "font_size": 14})
        line_format = workbook.add_format({"font_color": "#555555"})
        header_format = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True,
                                             "valign": "vcenter"})
        number_formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
        total_formats = {kind: workbook.add_format({"num_format": fmt, "bold": True, "top": 1})
                         for kind, fmt in NUMBER_FORMATS.items()}
        total_text = workbook.add_format({"bold": True, "top": 1})
        for sheet in sheets:
            _write_sheet(workbook, sheet, heading, title_format, line_format, header_format, number_formats,
                         total_formats, total_text)
    finally:
        workbook.close()
    return out


def _write_sheet(workbook, sheet: Sheet, heading: Heading, title_format, line_format, header_format,
                 number_formats, total_formats, total_text) -> None:
    worksheet = workbook.add_worksheet(sheet.name)
    columns = list(sheet.columns)
    last_col = max(len(columns) - 1, 0)
    values = _cell_values(sheet)
    for i, col in enumerate(columns):
        worksheet.set_column(i, i, _measured_width(col, sheet.frame))
    formats = {i: number_formats[c.kind] for i, c in enumerate(columns) if c.kind in number_formats}
    writer = tables.SheetWriter(workbook, worksheet, formats)
    writer.write([sheet.title or sheet.name], title_format)
    writer.write([heading.line()], line_format)
    first_header_row = writer.row
    if sheet.groups:
        column = 0
        for label, span in sheet.groups:
            if span > 1:
                worksheet.merge_range(writer.row, column, writer.row, column + span - 1, label, header_format)
            else:
                worksheet.write_string(writer.row, column, label, header_format)
            column += span
        writer.row += 1
    header_row = writer.row
    writer.write([c.header for c in columns], header_format)
    writer.write_rows(values.iter_rows())
    last_data_row = writer.row - 1
    total = _totals(sheet, values)
    if total is not None:
        r = writer.row
        for i, value in enumerate(total):
            kind = columns[i].kind
            fmt = total_formats.get(kind, total_text) if isinstance(value, int | float) else total_text
            if value is None:
                worksheet.write_blank(r, i, None, total_text)
            else:
                writer.write_cell(r, i, value, fmt)
        writer.row += 1
    for note in sheet.notes:
        writer.write([note], line_format)
    worksheet.freeze_panes(header_row + 1, 0)
    worksheet.autofilter(header_row, 0, max(last_data_row, header_row), last_col)
    worksheet.set_landscape()
    worksheet.set_paper(9)  # A4
    worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(first_header_row, header_row)
    worksheet.set_header(f"&L{sheet.title or sheet.name}&R第 &P 页，共 &N 页")


def common_region(codes: Sequence[str | None]) -> str:
    """The longest division prefix shared by all ``codes`` ('' when none)."""
    present = [c for c in codes if c]
    if not present:
        return ""
    prefix = present[0]
    for code in present[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    for length in (12, 9, 6, 4, 2):
        if len(prefix) >= length:
            return prefix[:length]
    return ""


def region_label(prefix: str) -> str:
    """A division prefix as people write it: "万州区柱山乡 500101201" (the code kept beside)."""
    if not prefix:
        return "全部地区"
    names = divisions.names()
    code = divisions.pad12(prefix)
    parts = [names.get(divisions.pad12(code[:n]), "") for n in (2, 4, 6, 9) if len(prefix) >= n]
    # A county's name says enough; the province and city are added only above it.
    shown = [p for p in parts if p][-2:] if len(prefix) >= 6 else [p for p in parts if p]
    return f"{''.join(shown)} {prefix}".strip()


# --- column sets shared by a workbook and the terminal table of the same report --------------------

LEVEL_LABELS = {"village": "村", "town": "乡镇", "county": "区县"}
YES_NO = {True: "是", False: "否"}


REGION_FIGURES: tuple[Column, ...] = (
    Column("code", "区划代码", "code"), Column("name", "名称"),
    Column("households", "户数", "count", total=True), Column("people", "人数", "count", total=True),
    Column("registered_households", "建档立卡户数", "count", total=True),
    Column("registered_people", "建档立卡人数", "count", total=True),
    Column("remaining_poor_households", "未脱贫户数", "count", total=True),
    Column("remaining_poor_people", "未脱贫人数", "count", total=True),
    Column("registered_rural_population", "户籍人口", "count", total=True),
    Column("incidence", "贫困发生率", "rate"),
    Column("projected_poor_people", "预计未脱贫人数", "count", total=True),
    Column("projected_incidence", "预计贫困发生率", "rate"),
    Column("zone", "区域"), Column("exit_threshold", "退出标准（发生率）", "rate"),
    Column("exit_eligible", "可退出"), Column("listed_supervision", "挂牌督战候选"),
    *[Column(f"leads_{c}", f"线索：{R.label('category', c)}", "count", total=True)
      for c in R.WORK_LIST_CATEGORIES],
    Column("monitored", f"{R.label('category', 'monitored')}", "count", total=True),
    *[Column(f"unmet_{k}", f"未达标：{R.label('indicator', k)}", "count", total=True) for k in R.INDICATORS],
)


REGION_TERMINAL_KEYS = ("name", "code", "households", "people", "remaining_poor_people",
                        "registered_rural_population", "incidence", "projected_incidence", "exit_eligible",
                        "listed_supervision")


def region_figure_columns(frame: pl.DataFrame, keys: Sequence[str] | None = None) -> list[Column]:
    """The region figures' columns present in ``frame`` (``keys`` picks and orders a subset)."""
    by_key = {c.key: c for c in REGION_FIGURES}
    wanted = keys if keys is not None else list(by_key)
    return [by_key[k] for k in wanted if k in by_key and k in frame.columns]


def write_region_figures(out, figures: pl.DataFrame, *, year: int, level: str, region: str = "",
                         policy: str = "") -> Path:
    """``fupin regions --out x.xlsx``: one sheet of figures by village, town or county."""
    what = f"{year}年度{LEVEL_LABELS.get(level, level)}级汇总"
    codes = figures.get_column("code").to_list() if "code" in figures.columns else []
    heading = Heading(what, region_label(region or common_region(codes)), policy=policy)
    sheet = Sheet(f"{LEVEL_LABELS.get(level, level)}级汇总", figures, region_figure_columns(figures), title=what,
                  notes=["贫困发生率 = 未脱贫人数 ÷ 户籍人口；预计贫困发生率按评估未达标者计。"])
    return write_report(out, [sheet], heading)


def finding_village_columns() -> list[Column]:
    return [Column("region_code", "区划代码", "code"), Column("village_name", "村名"),
            Column("findings", "问题数", "count", total=True), Column("errors", "错误", "count", total=True),
            Column("warnings", "提示", "count", total=True), Column("households", "涉及户数", "count", total=True),
            Column("codes", "问题代码")]


def finding_columns() -> list[Column]:
    return [Column("region_code", "区划代码", "code"), Column("village_name", "村名"),
            Column("household_id", "户编号", "code"), Column("year", "年度", "year"),
            Column("member_name", "成员姓名"), Column("id_number", "证件号码", "code"),
            Column("code", "问题代码", "code"), Column("check_label", "检查项"),
            Column("severity_label", "严重程度"), Column("message_zh", "问题说明")]


def labelled_findings(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings with the check's label and the severity in words beside their codes."""
    labels = {code: R.label("quality", code) for code in R.QUALITY_CODES}
    return findings.with_columns(
        check_label=pl.col("code").replace_strict(labels, default=pl.col("code"), return_dtype=pl.String),
        severity_label=pl.col("severity").replace_strict(R.VALUE_LABELS["severity"], default=pl.col("severity"),
                                                         return_dtype=pl.String),
    )


def write_findings(out, by_village: pl.DataFrame, findings: pl.DataFrame, *, year: int, region: str = "",
                   policy: str = "") -> Path:
    """``fupin check --out x.xlsx``: counts by village, then every finding."""
    codes = by_village.get_column("region_code").drop_nulls().to_list() if "region_code" in by_village.columns else []
    heading = Heading(f"{year}年度数据质量问题清单", region_label(region or common_region(codes)), policy=policy)
    return write_report(out, [
        Sheet("按村汇总", by_village, finding_village_columns(), title=f"{year}年度数据质量问题（按村汇总）"),
        Sheet("问题清单", labelled_findings(findings), finding_columns(), title=f"{year}年度数据质量问题清单",
              totals=False),
    ], heading)
