"""Reading 冲击事件 and 受灾户 (assistance.md 1.12–1.13): Chinese or English headers, a CSV told
apart by its header, every row either parsed or returned with its reason."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.io import shocks
from fupin.io.errors import ExchangeFormatError


def _raw(rows, headers):
    frame = pl.DataFrame(rows, schema=headers, orient="row")
    return frame.with_columns(_sheet=pl.lit("受灾户"), _row=pl.int_range(2, frame.height + 2).cast(pl.Int64))


def test_csv_with_english_headers_is_the_households_table(tmp_path):
    path = tmp_path / "affected.csv"
    path.write_text("event_id,household_id,impacts,loss\nE1,H1,房屋损毁;务工中断,1200.5\nE1,H2,,\n", encoding="utf-8")
    out = shocks.read_shocks(path)
    assert out.households.select("household_id", "impacts", "loss").rows() == [
        ("H1", "房屋损毁、务工中断", 1200.5), ("H2", "", 0.0)]
    assert out.rejected == 0


def test_events_dates_regions_and_type_are_checked(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("事件编号,名称,类型,区划范围,开始日期,结束日期\n"
                    "E1,洪灾,洪涝,5001;500102,2020年6月1日,2020-06-30\n"
                    "E2,雪灾,雪灾,50,2020-01-01,\n"
                    "E3,旱,旱灾,501,2020-01-01,\n"
                    "E4,震,地震,50,2020-02-01,2020-01-01\n", encoding="utf-8")
    out = shocks.read_shocks(path)
    assert out.events["event_id"].to_list() == ["E1"]
    assert out.events["regions"][0] == "5001;500102"
    reasons = dict(zip(out.errors["shocks"]["_row"], out.errors["shocks"]["message_zh"], strict=True))
    assert "类型无效" in reasons[3] and "区划范围" in reasons[4] and "早于" in reasons[5]


def test_a_file_with_neither_table_is_one_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ExchangeFormatError, match="冲击事件"):
        shocks.read_shocks(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_every_loss_cell_is_parsed_or_returned_with_a_reason(cells):
    rows = [["E1", f"H{i}", "其他", cell] for i, cell in enumerate(cells)]
    out = shocks.parse({shocks.HOUSEHOLDS: _raw(rows, ["事件编号", "户编号", "影响类型", "损失金额"])})
    good = set(out.households["_row"].to_list())
    bad = set(out.errors[shocks.HOUSEHOLDS]["_row"].to_list())
    assert good | bad == set(range(2, len(cells) + 2)) and not good & bad
    assert (out.households["loss"] >= 0).all()
