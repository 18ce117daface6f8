"""Tables printed for people, or for machines with ``--format csv|json``.

People get what they read on the workbench: Chinese headers (the report's :class:`Column` set, the
same one its workbook uses), names beside codes, 是/否, "—" for nothing, rates as percentages and a
合计 row. Machines get the frame's English keys and plain values on stdout. No Django here: the
file commands print through this module too.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table

from fupin.io import tables
from fupin.io.report import TOTAL_LABEL, YES_NO, Column

FORMATS = ("table", "csv", "json")
NOTHING = "—"
RIGHT_ALIGNED = ("count", "money", "rate", "number", "year")


def cell_text(value, kind: str) -> str:
    """One value as a person reads it in a terminal cell."""
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        return YES_NO[value]
    if kind == "rate" and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if kind == "money" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if kind in ("count", "year") and isinstance(value, int | float):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _total_row(frame: pl.DataFrame, columns: Sequence[Column]) -> list[str] | None:
    if not any(c.total for c in columns) or frame.height == 0:
        return None
    row = [""] * len(columns)
    for i, col in enumerate(columns):
        if col.total:
            row[i] = cell_text(frame.get_column(col.key).cast(pl.Float64, strict=False).sum(), col.kind)
    label_at = next((i for i, c in enumerate(columns) if not c.total), 0)
    row[label_at] = TOTAL_LABEL
    return row


def print_table(frame: pl.DataFrame, columns: Sequence[Column], *, title: str = "", out=None) -> None:
    """``frame`` as a boxed table under Chinese headers, with a 合计 row for the columns that add up."""
    out = out or sys.stdout
    columns = [c for c in columns if c.key in frame.columns]
    table = Table(title=title or None, box=box.SIMPLE_HEAVY, title_justify="left", show_edge=False)
    for col in columns:
        table.add_column(col.header, justify="right" if col.kind in RIGHT_ALIGNED else "left",
                         no_wrap=col.kind != "text")
    for values in frame.select(c.key for c in columns).iter_rows():
        table.add_row(*(cell_text(v, c.kind) for v, c in zip(values, columns, strict=True)))
    total = _total_row(frame, columns)
    if total is not None:
        table.add_section()
        table.add_row(*total, style="bold")
    # Piped output is not cut to 80 columns: a table that wraps a village name is no use in a file.
    console = Console(file=out, width=None if out.isatty() else 250, highlight=False, soft_wrap=False)
    console.print(table)
    if frame.height == 0:
        console.print("（无 / none）")


def print_machine(frame: pl.DataFrame, fmt: str, out=None) -> None:
    """CSV (text neutralised as in every CSV we write) or JSON rows, English keys, to stdout."""
    out = out or sys.stdout
    if fmt == "csv":
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            out.flush()
            tables.write_csv(frame, buffer)
            buffer.flush()
        else:
            out.write(tables.csv_safe(frame).write_csv())
    else:
        out.write(frame.write_json())
        out.write("\n")
    out.flush()


def show(frame: pl.DataFrame, columns: Sequence[Column], fmt: str = "table", *, title: str = "",
         machine: pl.DataFrame | None = None) -> None:
    """The table for people, or ``machine`` (default: ``frame``) for ``--format csv|json``."""
    if fmt == "table":
        print_table(frame, columns, title=title)
    else:
        print_machine(frame if machine is None else machine, fmt)
