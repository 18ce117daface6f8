"""`fupin regions` and `fupin check` print tables for people (Chinese headers, names, 是/否, "—",
percentages, 合计) and `--format csv|json` for machines (English keys, plain values); their
`--out x.xlsx` workbooks go through the one report writer. Run in-process through fupin.cli.main."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import polars as pl
import pytest

from fupin.cli import main, terminal
from fupin.engine import schema
from fupin.io import write_registry
from tests.regions import VILLAGE_A, VILLAGE_B
from tests.web.web_helpers import YEAR, registry_frames

VILLAGE_NAMES = {VILLAGE_A: "甲村", VILLAGE_B: "乙村"}


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory):
    households, members, _regions = registry_frames()
    households = households.filter(pl.col("region_code").is_in(list(VILLAGE_NAMES)))
    members = members.join(households.select("household_id"), on="household_id", how="semi")
    regions = pl.DataFrame({"region_code": list(VILLAGE_NAMES), "name": list(VILLAGE_NAMES.values()),
                            "registered_rural_population": [400, 600]})
    regions = pl.concat([schema.empty_frame("regions"), regions], how="diagonal_relaxed")
    out = tmp_path_factory.mktemp("terminal") / "registry.xlsx"
    write_registry(out, households, members, regions)
    return out


def run(capsys, *args) -> tuple[int, str]:
    code = main([*args])
    return code, capsys.readouterr().out


def test_regions_table_has_chinese_headers_village_names_and_no_polars_frame(capsys, registry_file):
    code, out = run(capsys, "regions", "--year", str(YEAR), "--input", str(registry_file))
    assert code == 0
    assert "名称" in out and "区划代码" in out and "贫困发生率" in out
    assert "甲村" in out and "乙村" in out and "龙沙镇" in out  # the title names the town the villages share
    for raw in ("shape:", "str", "i64", "f64", "true", "false", "null", "remaining_poor_people"):
        assert raw not in out, raw


def test_regions_table_shows_yes_no_percentages_and_a_total_row(capsys, registry_file):
    _code, out = run(capsys, "regions", "--year", str(YEAR), "--input", str(registry_file))
    assert "是" in out or "否" in out
    assert "0.00%" in out
    total = next(line for line in out.splitlines() if "合计" in line)
    assert " 4 " in f" {total} "  # four households in the two villages


def test_regions_format_csv_prints_english_keys_and_machine_values(capsys, registry_file):
    _code, out = run(capsys, "regions", "--year", str(YEAR), "--input", str(registry_file), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"code", "name", "households", "incidence", "exit_eligible"} <= set(rows[0])
    assert {r["code"]: int(r["households"]) for r in rows} == {VILLAGE_A: 3, VILLAGE_B: 1}
    assert rows[0]["exit_eligible"] in ("true", "false")


def test_regions_format_json_prints_rows_with_english_keys(capsys, registry_file):
    _code, out = run(capsys, "regions", "--year", str(YEAR), "--input", str(registry_file), "--format", "json")
    rows = json.loads(out)
    assert sorted(r["code"] for r in rows) == [VILLAGE_A, VILLAGE_B]
    assert isinstance(rows[0]["households"], int)


def test_regions_xlsx_is_a_report_with_chinese_headers_rates_as_percent_and_totals(tmp_path, capsys, registry_file):
    out = tmp_path / "regions.xlsx"
    assert main(["regions", "--year", str(YEAR), "--input", str(registry_file), "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet["A1"].value == f"{YEAR}年度村级汇总"
    assert "龙沙镇" in sheet["A2"].value and "政策：全国" in sheet["A2"].value
    headers = [c.value for c in sheet[3]]
    assert headers[:3] == ["区划代码", "名称", "户数"] and all(not h.isascii() for h in headers)
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")
    rate = headers.index("贫困发生率") + 1
    assert sheet.cell(4, rate).number_format == "0.00%"
    assert sheet.cell(4, 1).data_type == "s" and sheet.cell(4, 1).value == VILLAGE_A
    households = headers.index("户数") + 1
    total_row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 1).value == "合计")
    assert sheet.cell(total_row, households).value == sum(sheet.cell(r, households).value for r in range(4, total_row))


def test_check_table_counts_findings_by_village_with_its_name(capsys, registry_file):
    code, out = run(capsys, "check", "--year", str(YEAR), "--input", str(registry_file))
    assert code == 0
    assert "村名" in out and "问题数" in out and "甲村" in out and "Q18" in out
    assert "shape:" not in out and "region_code" not in out


def test_check_format_csv_lists_every_finding_with_english_keys(capsys, registry_file):
    _code, out = run(capsys, "check", "--year", str(YEAR), "--input", str(registry_file), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"household_id", "code", "severity", "region_code"} <= set(rows[0])
    assert any(r["code"] == "Q18" and r["household_id"] == "H2" and r["severity"] == "warning" for r in rows)


def test_check_xlsx_has_counts_by_village_and_every_finding_labelled(tmp_path, capsys, registry_file):
    out = tmp_path / "findings.xlsx"
    main(["check", "--year", str(YEAR), "--input", str(registry_file), "--out", str(out)])
    book = openpyxl.load_workbook(out)
    by_village, listed = book["按村汇总"], book["问题清单"]
    assert [c.value for c in by_village[3]][:3] == ["区划代码", "村名", "问题数"]
    assert by_village.freeze_panes == "A4" and by_village.auto_filter.ref
    total_row = by_village.max_row
    assert by_village.cell(total_row, 1).value == "合计"
    assert by_village.cell(total_row, 3).value == sum(by_village.cell(r, 3).value for r in range(4, total_row))
    headers = [c.value for c in listed[3]]
    row = {h: c.value for h, c in zip(headers, listed[4], strict=True)}
    assert row["严重程度"] in ("错误", "提示") and row["检查项"] and row["年度"] == YEAR
    assert listed.cell(4, headers.index("年度") + 1).number_format == "0"


def test_assess_summary_line_counts_verdicts_under_their_chinese_labels(tmp_path, capsys, registry_file):
    code, out = run(capsys, "assess", "--year", str(YEAR), "--input", str(registry_file),
                    "--out", str(tmp_path / "v.csv"))
    assert code == 0
    assert "达标 " in out and "未达标 1" in out and "待核实 1" in out
    for key in ("yes ", "no ", "unverified "):
        assert key not in out


def test_cell_text_reads_none_as_a_dash_booleans_as_yes_no_and_rates_as_percent():
    assert terminal.cell_text(None, "text") == "—"
    assert terminal.cell_text(True, "text") == "是" and terminal.cell_text(False, "text") == "否"
    assert terminal.cell_text(0.0123, "rate") == "1.23%"
    assert terminal.cell_text(8059.333333, "money") == "8,059.33"
    assert terminal.cell_text(2020, "year") == "2020"
