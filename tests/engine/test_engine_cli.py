"""The engine commands on a Parquet folder of canonical frames."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.cli import main
from fupin.engine.assess import OUTPUT_COLUMNS
from tests.engine.engine_helpers import CHONGQING, frames, household, member


@pytest.fixture
def folder(tmp_path):
    h, m = frames([household(), household(household_id="H2", housing_grade="D")],
                  [member(), member(household_id="H2", name="王五")])
    d = tmp_path / "data"
    d.mkdir()
    h.write_parquet(d / "households.parquet")
    m.write_parquet(d / "members.parquet")
    return d


def test_assess_command_writes_output_columns(folder, tmp_path, capsys):
    out = tmp_path / "a.csv"
    rc = main(["assess", "--year", "2024", "--input", str(folder), "--policy", CHONGQING, "--out", str(out)])
    assert rc == 0
    back = pl.read_csv(out)
    assert back.columns == OUTPUT_COLUMNS and back.height == 2
    assert "national@1.0+chongqing@2024.1" in capsys.readouterr().out


def test_assess_command_missing_monitoring_line_is_a_message_without_traceback(folder, tmp_path, capsys):
    rc = main(["assess", "--year", "2024", "--input", str(folder), "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "monitoring_line" in err and "重庆市" in err and "Traceback" not in err


def test_assess_command_needs_input_or_db(tmp_path, capsys):
    assert main(["assess", "--year", "2024", "--out", str(tmp_path / "a.csv")]) == 2
    assert "--input" in capsys.readouterr().err


def test_explain_command_prints_reason(folder, capsys):
    rc = main(["explain", "H2", "--year", "2024", "--input", str(folder), "--policy", CHONGQING])
    assert rc == 0 and "住房安全" in capsys.readouterr().out


def test_explain_command_unknown_household(folder, capsys):
    assert main(["explain", "NOPE", "--year", "2024", "--input", str(folder), "--policy", CHONGQING]) == 2


def test_regions_command_county_level(folder, capsys):
    rc = main(["regions", "--year", "2024", "--level", "county", "--input", str(folder), "--policy", CHONGQING])
    assert rc == 0 and "500101000000" in capsys.readouterr().out


def test_policy_show_names_value_source_and_missing(capsys):
    assert main(["policy", "show", "--year", "2022", "--region", "50"]) == 0
    out = capsys.readouterr().out
    assert "poverty_line" in out and "4000" in out and "monitoring_line" in out and "未设置" in out
