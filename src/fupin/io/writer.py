"""``write_registry``: canonical tables out as .xlsx, a Parquet folder or a CSV folder;
``write_assessment``: verdicts out as .csv, .parquet or .xlsx.

Frames or iterators of frame batches are accepted, so a national registry streams out in
constant memory (xlsxwriter ``constant_memory``; one Parquet row group per batch; CSV appended
batch by batch). Values are formatted column-wise before they reach the writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from xlsxwriter.worksheet import Worksheet

from fupin import divisions
from fupin.engine import rules as R
from fupin.engine import schema
from fupin.engine.assess import OUTPUT_COLUMNS, chinese_frame, summary_frame
from fupin.io import report, tables
from fupin.io.errors import ExchangeFormatError

EXCEL_MAX_ROWS = 1_048_576
Frames = pl.DataFrame | Iterable[pl.DataFrame]


def _batches(data: Frames | None) -> Iterator[pl.DataFrame]:
    if data is None:
        return iter(())
    if isinstance(data, pl.DataFrame):
        return iter((data,))
    if isinstance(data, pl.LazyFrame):
        return iter((data.collect(),))
    return iter(data)


def _canonical(batch: pl.DataFrame, table: str) -> pl.DataFrame:
    """Exchange columns in spec order, canonical dtypes; import-only and _sheet/_row dropped."""
    target = schema.polars_schema(table)
    if table == "regions" and "region_code" in batch.columns:
        batch = batch.with_columns(pl.col("region_code").cast(pl.String))
    return batch.select([
        pl.col(c).cast(t) if c in batch.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in target.items()
    ])


def _as_text(batch: pl.DataFrame, table: str) -> pl.DataFrame:
    """Strings as the exchange files write them: 是/否, numbers in shortest round-trip form."""
    out = []
    for f in schema.fields(table, exchange_only=True):
        c = pl.col(f.name)
        if f.kind == "yesno":
            out.append(pl.when(c).then(pl.lit("是")).when(~c).then(pl.lit("否")).alias(f.name))
        else:
            out.append(c.cast(pl.String).alias(f.name))
    return batch.select(out)


def write_registry(out, households: Frames, members: Frames, regions: Frames | None = None, *,
                   extra_sheets: dict[str, pl.DataFrame] | None = None) -> None:
    """Write the registry; ``out`` ending .xlsx -> workbook, .parquet -> folder, else CSV folder.

    ``extra_sheets`` (xlsx only): finished sheets (name -> frame with its headers) written after
    the registry's, e.g. the assistance sheets (:mod:`fupin.io.assistance` writes those into a
    folder itself)."""
    out = Path(out)
    name = out.name.lower()
    parts = (("households", households), ("members", members), ("regions", regions))
    if name.endswith(".xlsx"):
        _write_xlsx(out, parts, extra_sheets or {})
    elif name.endswith(".parquet"):
        _write_parquet(out, parts)
    else:
        _write_csv(out, parts)


class ExactWorksheet(Worksheet):
    """A worksheet that writes numbers in shortest round-trip form.

    xlsxwriter writes ``%.16G``, which drops the 17th significant digit of some doubles
    (100000000000.09375 -> 100000000000.0938); export must round-trip exactly.
    """

    def _xml_number_element(self, number, attributes=[]):  # noqa: B006 - signature of the base
        attr = "".join(f' {k}="{self._escape_attributes(v)}"' for k, v in attributes)
        self.fh.write(f"<c{attr}><v>{float(number)!r}</v></c>")


def _exact_worksheet_class():
    return ExactWorksheet


def _write_xlsx(out: Path, parts, extra_sheets: dict[str, pl.DataFrame] | None = None) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = tables.open_workbook(out, constant_memory=True)
    text = wb.add_format({"num_format": "@"})
    quoted = wb.add_format({"num_format": "@", "quote_prefix": True})
    bold = wb.add_format({"bold": True})
    try:
        for table, data in parts:
            if data is None and table == "regions":
                continue
            fs = schema.fields(table, exchange_only=True)
            ws = wb.add_worksheet(schema.SHEET_NAMES[table][0], worksheet_class=_exact_worksheet_class())
            ws.write_row(0, 0, [f.zh for f in fs], bold)
            # Text columns are formatted as text so that a cadre typing an ID keeps its digits.
            for i, f in enumerate(fs):
                if f.kind in ("text", "id_number", "region", "code", "month", "date"):
                    ws.set_column(i, i, 14 if f.kind != "id_number" else 20, text)
            kinds = [f.kind for f in fs]
            numeric = [k in ("int", "money", "number") for k in kinds]
            r = 1
            for batch in _batches(data):
                if batch.height == 0:
                    continue
                canon = _canonical(batch, table)
                if r + canon.height > EXCEL_MAX_ROWS:
                    raise ExchangeFormatError(
                        f"“{schema.SHEET_NAMES[table][0]}”超过 Excel 的 1048576 行上限，请导出为 CSV 或 Parquet。",
                        f"sheet {table} exceeds Excel's 1,048,576 rows; export to CSV or Parquet instead",
                    )
                # Numbers stay numbers (floats and ints), everything else goes as text.
                cols = []
                formula_like = []  # (row in batch, column) of texts Excel would take for formulas
                for i, (f, is_num) in enumerate(zip(fs, numeric, strict=True)):
                    c = canon[f.name]
                    if f.kind == "yesno":
                        c = canon.select(pl.when(pl.col(f.name)).then(pl.lit("是"))
                                         .when(~pl.col(f.name)).then(pl.lit("否"))).to_series()
                    if is_num:
                        cols.append(c.to_list())
                        continue
                    c = c.cast(pl.String)
                    cols.append(c.to_list())
                    flagged = c.str.contains(tables.FORMULA_PATTERN).fill_null(False)
                    formula_like += [(row, i) for row in flagged.arg_true().to_list()]
                quote = {}
                for row, i in formula_like:
                    quote.setdefault(row, []).append(i)
                for k, values in enumerate(zip(*cols, strict=True)):
                    ws.write_row(r, 0, values)
                    for i in quote.get(k, ()):
                        ws.write_string(r, i, values[i], quoted)  # same value, kept text on edit
                    r += 1
        for sheet, frame in (extra_sheets or {}).items():
            tables.add_sheet(wb, sheet, frame)
    finally:
        wb.close()


def _write_parquet(out: Path, parts) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table, data in parts:
        target = out / f"{table}.parquet"
        arrow_schema = pl.DataFrame(schema=schema.polars_schema(table)).to_arrow().schema
        writer = pq.ParquetWriter(str(target), arrow_schema)
        try:
            for batch in _batches(data):
                writer.write_table(_canonical(batch, table).to_arrow().cast(arrow_schema))
        finally:
            writer.close()


def _write_csv(out: Path, parts) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table, data in parts:
        if data is None and table == "regions":
            continue
        fs = schema.fields(table, exchange_only=True)
        with open(out / f"{table}.csv", "wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            header = pl.DataFrame(schema={f.zh: pl.String for f in fs})
            header.write_csv(fh, include_header=True)
            for batch in _batches(data):
                if batch.height:
                    tables.write_csv(_as_text(_canonical(batch, table), table), fh, include_header=False)


MONEY_OUTPUT_COLUMNS = ("net_income", "per_capita_net_income")


def _verdict_columns() -> list[report.Column]:
    kinds: dict[str, report.Kind] = {"year": "year", "region_code": "code", "population": "count",
                                     "net_income": "money", "per_capita_net_income": "money"}
    columns = []
    for key in OUTPUT_COLUMNS:
        header = R.COLUMN_LABELS.get(key, key)
        columns.append(report.Column(key, header, kinds.get(key, "text"), total=key == "population"))
        if key == "region_code":
            columns.append(report.Column("town_name", "乡镇"))
    return columns


def _heading(frame: pl.DataFrame, what: str) -> report.Heading:
    codes = frame.get_column("region_code").unique().to_list() if "region_code" in frame.columns else []
    region = report.common_region(codes)
    if "detail_policy_title" in frame.columns:
        policies = frame.get_column("detail_policy_title").drop_nulls().unique().sort().to_list()
    else:
        policies = frame.get_column("policy").drop_nulls().unique().sort().to_list() if "policy" in frame.columns else []
    years = frame.get_column("year").drop_nulls().unique().sort().to_list() if "year" in frame.columns else []
    title = f"{'、'.join(str(y) for y in years)}年度{what}" if years else what
    return report.Heading(title, report.region_label(region), policy="；".join(p for p in policies if p))


def write_assessment(frame: pl.DataFrame, out) -> Path:
    """Verdicts out: ``.csv`` / ``.parquet`` (exactly OUTPUT_COLUMNS; money rounded to fen in
    CSV) or ``.xlsx`` for people (Chinese headers and values, town names beside the codes, a
    title, a 汇总 sheet; :mod:`fupin.io.report`). Text cells neutralised (io.tables)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        heading = _heading(frame, "评估结果")
        chinese = chinese_frame(frame).rename({v: k for k, v in R.COLUMN_LABELS.items() if k in OUTPUT_COLUMNS})
        names = divisions.names()
        towns = chinese.get_column("region_code").map_elements(
            lambda code: names.get(divisions.town_of(code), ""), return_dtype=pl.String, skip_nulls=True)
        chinese = chinese.with_columns(towns.alias("town_name"))
        if "detail_policy_title" in frame.columns:
            chinese = chinese.with_columns(frame.get_column("detail_policy_title").alias("policy"))
        summary = summary_frame(frame)
        return report.write_report(out, [
            report.Sheet("评估结果", chinese, _verdict_columns(), title=heading.what),
            report.Sheet("汇总", summary, [report.Column("分组", "分组"), report.Column("项目", "项目"),
                                          report.Column("户数", "户数", "count")],
                         title=f"{heading.what}汇总", totals=False),
        ], heading)
    selected = frame.select(OUTPUT_COLUMNS)
    if suffix == ".csv":
        selected = selected.with_columns(pl.col(c).round(2) for c in MONEY_OUTPUT_COLUMNS)
    try:
        return tables.write_frame(selected, out, allowed=(".csv", ".parquet", ".xlsx"))
    except tables.UnsupportedOutput as exc:
        raise ValueError(str(exc)) from None
