"""``fupin shock import FILE`` and ``fupin shock leads --event ID`` on a real database file: an
epidemic's affected households become leads once, bad rows come back, bad input is one line."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.io import tables
from tests.cli.test_registry_cli import fupin, table

pytestmark = pytest.mark.slow

YEAR = "2020"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A generated county imported; an epidemic listing three households that may become leads,
    with losses above their prior-year net income, and one household nobody registered."""
    folder = tmp_path_factory.mktemp("shock")
    assert fupin("generate", "--households", "60", "--year", YEAR, "--seed", "3", "--out", "g.xlsx",
                 cwd=folder).returncode == 0
    db = f"sqlite:///{folder / 's.sqlite3'}"
    assert fupin("import", "g.xlsx", "--db", db, cwd=folder).returncode == 0
    households = pl.read_excel(folder / "g.xlsx", sheet_name="户", infer_schema_length=0)
    free = households.filter(pl.col("监测对象类别").is_null() & ~pl.col("脱贫状态").is_in(["未脱贫", "返贫"])
                             & pl.col("上年家庭纯收入").is_not_null()).head(3)
    chosen = free["户编号"].to_list()
    affected = [["COVID", h, "务工中断", str(float(v) + 1000), "2020-03-01"]
                for h, v in zip(chosen, free["上年家庭纯收入"].to_list(), strict=True)]
    tables.write_frames_xlsx(folder / "shocks.xlsx", {
        "冲击事件": pl.DataFrame([["COVID", "新冠肺炎疫情", "疫情", "500101", "2020-01-24", ""]],
                             schema=["事件编号", "名称", "类型", "区划范围", "开始日期", "结束日期"], orient="row"),
        "受灾户": pl.DataFrame([*affected, ["COVID", "NOBODY", "其他", "5", ""]],
                            schema=["事件编号", "户编号", "影响类型", "损失金额", "核实日期"], orient="row"),
    })
    return folder, db, chosen


def test_import_then_leads_once(database):
    folder, db, chosen = database
    imported = fupin("shock", "import", "shocks.xlsx", "--db", db, cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert "受灾户：新建 3" in imported.stdout and "退回 1 行" in imported.stdout
    assert (folder / "shocks.rejects.xlsx").exists()
    first = fupin("shock", "leads", "--event", "COVID", "--db", db, "--out", "r.csv", cwd=folder)
    assert first.returncode == 0, first.stderr
    assert "新建线索 3" in first.stdout
    rows = pl.read_csv(folder / "r.csv", infer_schema=False)
    assert rows.columns == ["event_id", "household_id", "region_code", "loss", "reasons", "lead"]
    assert sorted(rows["household_id"].to_list()) == sorted(chosen)
    again = fupin("shock", "leads", "--event", "COVID", "--db", db, cwd=folder)
    assert "新建线索 0，已有 3" in again.stdout
    leads = table(folder / "s.sqlite3", "SELECT natural_key, channel, category FROM monitoring_lead")
    assert sorted(leads["natural_key"].to_list()) == sorted(f"shock:{h}:{YEAR}" for h in chosen)
    assert set(leads["category"]) == {"sudden"}


def test_unknown_event_is_one_line(database):
    folder, db, _ = database
    out = fupin("shock", "leads", "--event", "NOPE", "--db", db, cwd=folder)
    assert out.returncode == 2 and "NOPE" in out.stderr and "Traceback" not in out.stderr


def test_leads_without_event_and_import_without_file_are_one_line(database):
    folder, db, _ = database
    for args in (("shock", "leads", "--db", db), ("shock", "import", "--db", db)):
        out = fupin(*args, cwd=folder)
        assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.count("\n") <= 2


def test_households_outside_the_events_area_are_listed_one_by_one_and_still_loaded(database):
    folder, db, chosen = database
    tables.write_frames_xlsx(folder / "flood.xlsx", {
        "冲击事件": pl.DataFrame([["FLOOD", "洪涝", "洪涝", "500102", "2020-07-01", ""]],
                             schema=["事件编号", "名称", "类型", "区划范围", "开始日期", "结束日期"], orient="row"),
        "受灾户": pl.DataFrame([["FLOOD", h, "房屋损毁", "100", ""] for h in chosen[:2]],
                            schema=["事件编号", "户编号", "影响类型", "损失金额", "核实日期"], orient="row"),
    })
    out = fupin("shock", "import", "flood.xlsx", "--db", db, cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "提示 B18：2 户不在其事件的区划范围内" in out.stdout
    listed = [line for line in out.stdout.splitlines() if line.startswith("  ") and "事件 FLOOD" in line]
    assert sorted(line.split("，户 ")[1].split("，")[0] for line in listed) == sorted(chosen[:2])
    stored = table(folder / "s.sqlite3", "SELECT COUNT(*) AS n FROM monitoring_shockhousehold h JOIN "
                   "monitoring_shockevent e ON e.id = h.event_id WHERE e.event_id = 'FLOOD'")
    assert stored["n"][0] == 2
