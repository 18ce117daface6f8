"""Department matching (no database): validation, thresholds at their boundaries, duplicates."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from fupin.engine import idnumber, matching
from fupin.engine.policy import load_policies
from fupin.io import department

YEAR = 2022
D = 18931.0  # national rural_income_prev_year for 2022


def pid(seq: int) -> str:
    return idnumber.make_id("500101", date(1970, 1, 1 + seq), 11 + 2 * seq)


@pytest.fixture(scope="module")
def registry():
    members = pl.DataFrame({
        "household_id": ["R1", "R1", "G1", "M1", "P1"], "year": [YEAR] * 5,
        "id_number": [pid(i) for i in range(5)], "name": ["张三", "李四", "王五", "赵六", "钱七"],
    })
    households = pl.DataFrame({
        "household_id": ["R1", "G1", "M1", "P1"], "year": [YEAR] * 4, "region_code": ["500101102201"] * 4,
        "registered": [True, False, True, True], "poverty_status": ["已脱贫", None, "已脱贫", "未脱贫"],
        "monitoring_category": [None, None, "脱贫不稳定户", None], "risk_eliminated": [None, None, False, None],
    })
    return members, households


def rows(data: dict) -> pl.DataFrame:
    n = len(next(iter(data.values())))
    return pl.DataFrame(data).with_columns(_sheet=pl.lit("f.csv"), _row=pl.int_range(2, n + 2, dtype=pl.Int64))


def run(raw, registry, kind="medical", year=YEAR):
    members, households = registry
    return matching.match_department(raw, kind=kind, year=year, members=members, households=households,
                                     policy=load_policies(), source="f.csv")


def medical(ids, amounts, names=None, year=str(YEAR)):
    return rows({"姓名": names or ["张三"] * len(ids), "证件号码": ids, "年度": [year] * len(ids),
                 "合规自付医疗费用": amounts})


@pytest.mark.parametrize(("amount", "lead"), [(str(0.5 * D), False), (str(0.5 * D + 0.01), True)])
def test_medical_registered_household_lead_strictly_above_half_of_D(registry, amount, lead):
    result = run(medical([pid(0)], [amount]), registry)
    assert (result.leads.height == 1) is lead


@pytest.mark.parametrize(("amount", "lead"), [(str(D), False), (str(D + 0.01), True)])
def test_medical_general_household_lead_strictly_above_D(registry, amount, lead):
    result = run(medical([pid(2)], [amount], ["王五"]), registry)
    assert (result.leads.height == 1) is lead


def test_medical_costs_of_household_members_are_summed_into_one_lead(registry):
    result = run(medical([pid(0), pid(1)], ["5000", "4500"], ["张三", "李四"]), registry)
    assert result.leads["natural_key"].to_list() == [f"department:medical:R1:{YEAR}"]
    evidence = json.loads(result.leads["evidence"][0])
    assert evidence["out_of_pocket"] == 9500 and evidence["threshold"] == 0.5 * D
    assert [p["name"] for p in evidence["persons"]] == ["张三", "李四"]
    assert pid(0) not in result.leads["evidence"][0]  # evidence shows masked IDs only


def test_monitored_and_poor_households_get_no_department_lead(registry):
    result = run(medical([pid(3), pid(4)], ["99999", "99999"], ["赵六", "钱七"]), registry)
    assert result.leads.height == 0 and result.stats["not_eligible"] == 2 and result.stats["rejected"] == 0


def test_wrong_columns_are_refused_naming_the_missing_ones(registry):
    raw = rows({"姓名": ["张三"], "身份证": [pid(0)], "金额": ["1"]})
    with pytest.raises(matching.DepartmentFileError) as err:
        run(raw, registry)
    assert "证件号码" in err.value.message_zh and "合规自付医疗费用" in err.value.message_zh
    assert "年度 或 月份" in err.value.message_zh and "missing column" in err.value.message_en


def test_malformed_id_and_amount_as_text_are_returned_with_reasons(registry):
    raw = medical([pid(0)[:-1] + "0" if pid(0)[-1] != "0" else pid(0)[:-1] + "1", "12345", pid(0)],
                  ["100", "100", "三千元"])
    result = run(raw, registry)
    codes = result.issues.select("row", "code").rows()
    assert (2, "D02") in codes and (3, "D02") in codes and (4, "D03") in codes
    assert result.leads.height == 0 and result.stats["rejected"] == 3


def test_amount_with_thousands_separator_and_yuan_is_accepted(registry):
    result = run(medical([pid(0)], ["12,000元"]), registry)
    assert result.leads.height == 1 and result.stats["rejected"] == 0


def test_person_not_in_registry_is_returned(registry):
    result = run(medical([idnumber.make_id("500101", date(1990, 5, 5), 999)], ["99999"]), registry)
    assert result.issues["code"].to_list() == ["D09"] and result.stats["unmatched"] == 1


def test_identical_duplicate_rows_count_once_and_conflicting_ones_are_all_returned(registry):
    raw = medical([pid(0), pid(0), pid(2), pid(2)], ["10000", "10000", "1", "2"], ["张三", "张三", "王五", "王五"])
    result = run(raw, registry)
    issues = dict(result.issues.select("row", "code").rows())
    assert issues == {3: "D07", 4: "D08", 5: "D08"}
    evidence = json.loads(result.leads["evidence"][0])
    assert evidence["out_of_pocket"] == 10000  # not 20000


def test_rows_of_another_year_are_returned(registry):
    result = run(medical([pid(0)], ["99999"], year="2021"), registry)
    assert result.issues["code"].to_list() == ["D06"] and result.leads.height == 0


def test_monthly_rows_are_accepted_and_summed_per_year(registry):
    raw = rows({"姓名": ["张三", "张三"], "证件号码": [pid(0), pid(0)], "月份": ["2022-01", "2022年2月"],
                "合规自付医疗费用": ["5000", "5000"]})
    result = run(raw, registry)
    assert json.loads(result.leads["evidence"][0])["periods"] == ["2022-01", "2022-02"]


def test_name_differing_from_registry_still_matches_with_a_warning(registry):
    result = run(medical([pid(0)], ["99999"], ["张叁"]), registry)
    assert result.leads.height == 1 and result.issues["severity"].to_list() == ["warning"]
    assert json.loads(result.leads["evidence"][0])["persons"][0]["name_differs"] is True


@pytest.mark.parametrize(("kind", "data", "leads"), [
    ("civil", {"救助类型": ["低保"]}, 1),
    ("civil", {"救助类型": ["五保"]}, 0),
    ("education", {"学生状态": ["辍学"]}, 1),
    ("education", {"学生状态": ["在校"], "非义务教育自付费用": ["10000"]}, 0),
    ("education", {"学生状态": ["在校"], "非义务教育自付费用": ["10000.01"]}, 1),
    ("housing", {"住房安全等级": ["C"]}, 1),
    ("housing", {"住房安全等级": ["B"]}, 0),
    ("employment", {"就业状态": ["失业"]}, 1),
    ("disaster", {"灾害事故损失": ["0"]}, 0),
    ("disaster", {"灾害事故损失": ["0.01"]}, 1),
])
def test_department_triggers(registry, kind, data, leads):
    raw = rows({"姓名": ["张三"], "证件号码": [pid(0)], "年度": [str(YEAR)], **data})
    assert run(raw, registry, kind).leads.height == leads


def test_rejects_workbook_lists_each_returned_row_with_its_reason(registry, tmp_path):
    result = run(medical([pid(0), "bad"], ["99999", "1"]), registry)
    path = tmp_path / "rejects.xlsx"
    assert department.write_match_rejects(result, path) == 1
    back = pl.read_excel(path, sheet_name="明细", engine="calamine")
    assert back["原行号"].to_list() == [3] and "证件号码" in back["问题说明"][0]
