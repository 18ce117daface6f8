"""``fupin supervise`` and ``fupin ledger`` run for real: file mode, then the test database."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest

from fupin.cli import main
from fupin.supervision.models import Listing, Problem
from tests.fupin_testdata import assess, load, synth_frames
from tests.regions import TOWN, VILLAGE_A


def test_select_from_a_file_with_ranking_and_the_option_errors(tmp_path, capsys):
    src = tmp_path / "g.xlsx"
    assert main(["generate", "--households", "300", "--year", "2020", "--seed", "5", "--out", str(src)]) == 0
    out = tmp_path / "sel.csv"
    assert main(["supervise", "select", "--year", "2020", "--level", "village", "--input", str(src), "--top", "3",
                 "--out", str(out)]) == 0
    frame = pl.read_csv(out)
    assert list(frame.columns) == ["code", "name", "level", "households", "remaining_poor_people",
                                   "registered_rural_population", "incidence", "projected_poor_people",
                                   "projected_incidence", "poverty_county", "county_exit_year", "deep_poverty",
                                   "rank", "reasons", "policy"]
    assert sorted(frame["rank"].drop_nulls().to_list()) == [1, 2, 3]
    assert frame["code"].cast(pl.String).to_list() == sorted(frame["code"].cast(pl.String).to_list())
    xlsx = tmp_path / "sel.xlsx"
    assert main(["supervise", "select", "--year", "2020", "--level", "village", "--input", str(src), "--top", "3",
                 "--out", str(xlsx)]) == 0
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet["A1"].value == "挂牌督战候选" and sheet["A3"].value == "区划代码" and sheet["N3"].value == "挂牌理由"
    capsys.readouterr()
    assert main(["supervise", "select", "--year", "2020", "--level", "village", "--input", str(src), "--top", "0",
                 "--out", str(out)]) == 2
    assert "--top 应为正整数：0 (--top must be positive)" in capsys.readouterr().err
    assert main(["supervise", "select", "--year", "2020", "--level", "village", "--input", str(src),
                 "--rank-by", "remaining_poor_people", "--out", str(out)]) == 2
    assert "--rank-by 需与 --top 同用 (needs --top)" in capsys.readouterr().err


@pytest.mark.django_db
def test_list_progress_and_delist_a_village_and_a_ledger_round_trip(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    load(*synth_frames(200, TOWN, seed=3))
    assess(2020)
    assert main(["supervise", "list", "--year", "2020", "--code", VILLAGE_A]) == 2
    assert "人工挂牌须填写说明 (a manual listing needs --note)" in capsys.readouterr().err
    assert main(["supervise", "list", "--year", "2020", "--code", VILLAGE_A, "--note", "市级挂牌（玉峰村）",
                 "--listed-by", "city"]) == 0
    assert main(["supervise", "list", "--year", "2020", "--code", VILLAGE_A, "--note", "again"]) == 0
    assert "已在督战中" in capsys.readouterr().out and Listing.objects.unscoped("test").count() == 1

    csv = tmp_path / "p.csv"
    assert main(["supervise", "progress", "--year", "2020", "--as-of", "2020-12-01", "--out", str(csv)]) == 0
    row = pl.read_csv(csv, infer_schema=False).row(0, named=True)
    assert row["code"] == VILLAGE_A and row["listed_by"] == "city" and row["days_to_target"] == "30"
    assert row["status"] in ("listed", "cleared")
    if row["status"] == "listed":
        assert main(["supervise", "delist", VILLAGE_A, "--year", "2020"]) == 2
        assert f"{VILLAGE_A} 尚未清零，不能摘牌：{row['conditions_failed']} (not cleared)" in capsys.readouterr().err

    problems = tmp_path / "xunshi.csv"
    pl.DataFrame([{"问题来源": "巡视巡察", "责任区划": VILLAGE_A, "问题类别": "housing", "问题描述": "危房未改造",
                   "交办日期": "2020-03-01"},
                  {"问题来源": "路边", "责任区划": VILLAGE_A, "问题类别": "housing", "问题描述": "x",
                   "交办日期": "2020-03-01"}]).write_csv(problems)
    assert main(["ledger", "import", str(problems)]) == 0
    out = capsys.readouterr().out
    assert "新建 1 个" in out and "退回 1 行" in out and (tmp_path / "xunshi.rejects.xlsx").exists()
    assert main(["ledger", "sync", "--year", "2020", "--as-of", "2021-01-10"]) == 0
    assert "unchanged" in capsys.readouterr().out
    report = tmp_path / "r.xlsx"
    assert main(["ledger", "report", "--year", "2020", "--level", "town", "--as-of", "2020-04-20",
                 "--out", str(report)]) == 0
    sheet = openpyxl.load_workbook(report).active
    assert sheet["A1"].value == "问题整改清零进度" and sheet["D3"].value == "问题来源"
    overdue = tmp_path / "o.csv"
    assert main(["ledger", "overdue", "--as-of", "2020-04-20", "--out", str(overdue)]) == 0
    assert pl.read_csv(overdue)["days_overdue"].to_list()[:1] == [20]
    assert Problem.objects.unscoped("test").filter(source="inspection").get().deadline == date(2020, 3, 31)


@pytest.mark.django_db
def test_a_deep_poverty_town_is_selected_from_the_database_under_a_county_policy(tmp_path, capsys):
    from fupin.accounts.scoping import Scope
    from fupin.registry.models import Household, Region

    load(*synth_frames(200, TOWN, seed=3))
    # 2020's synthetic households have all exited: one still poor gives the town poor people left.
    first = Household.objects.within(Scope.system()).filter(year=2020, poverty_status="已脱贫").order_by("pk").first()
    Household.objects.within(Scope.system()).filter(pk=first.pk).update(poverty_status="未脱贫")
    assess(2020)
    Region.objects.within(Scope.system()).filter(code=TOWN + "000").update(deep_poverty=True)
    policy = tmp_path / "wanzhou.toml"
    policy.write_text('name = "wanzhou"\nversion = "1"\nregion = "500101"\n[listed_deep_poverty]\n'
                      'default = { value = 1, source = "万州：深度贫困乡镇龙驹镇挂牌", confidence = "M" }\n',
                      encoding="utf-8")
    out = tmp_path / "towns.csv"
    assert main(["supervise", "select", "--year", "2020", "--level", "town", "--out", str(out),
                 "--policy", str(policy)]) == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.select("code", "reasons").rows() == [(TOWN + "000", "deep_poverty")]
