"""Output shape, households with errors, writers and explanations."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine.assess import OUTPUT_COLUMNS, assess, assess_lazy
from fupin.engine.explain import explain
from tests.engine.engine_helpers import frames, household, member, one, policy, run


def test_output_columns_exactly_in_order_then_detail_columns():
    h, m = frames()
    out = assess(h, m, year=2024, policy=policy())
    assert out.columns[: len(OUTPUT_COLUMNS)] == OUTPUT_COLUMNS
    rest = out.columns[len(OUTPUT_COLUMNS):]
    assert rest and all(c.startswith("detail_") or c == "monitoring_line" for c in rest)
    assert "monitoring_line" in rest


def test_empty_lists_are_empty_strings_never_null():
    r = one(household())
    for c in ("unmet", "unknown", "risk_factors", "elimination", "elimination_failed", "errors"):
        assert r[c] == ""


def test_lazy_plan_can_be_printed_and_equals_eager_result():
    h, m = frames([household(), household(household_id="H2", housing_grade="D")])
    plan = assess_lazy(h, m, year=2024, policy=policy())
    assert isinstance(plan, pl.LazyFrame) and "household_id" in plan.explain()
    assert plan.collect().sort("household_id").equals(assess(h, m, year=2024, policy=policy()).sort("household_id"))


def test_error_finding_blocks_verdict_and_empties_other_fields():
    errors = pl.DataFrame({"household_id": ["H1", "H1", "H1"], "year": [2024, 2024, 2024],
                           "code": ["Q05", "Q01", "Q19"], "severity": ["error", "error", "warning"]})
    r = one(household(housing_grade="D"), errors=errors)
    assert r["meets_standard"] == "error" and r["errors"] == "Q01;Q05"
    for c in ("income", "food", "housing", "unmet", "unknown", "monitoring_category", "risk_factors",
              "elimination", "elimination_failed"):
        assert r[c] == ""
    assert r["net_income"] is None and r["per_capita_net_income"] is None
    assert r["detail_warnings"] == "Q19"


def test_warning_finding_does_not_block_verdict():
    errors = pl.DataFrame({"household_id": ["H1"], "year": [2024], "code": ["Q19"], "severity": ["warning"]})
    r = one(household(), errors=errors)
    assert (r["meets_standard"], r["errors"]) == ("yes", "")


def test_error_finding_of_another_year_is_ignored():
    errors = pl.DataFrame({"household_id": ["H1"], "year": [2023], "code": ["Q05"], "severity": ["error"]})
    assert one(household(), errors=errors)["meets_standard"] == "yes"


def test_household_without_living_member_is_error_q06():
    r = one(household(), [member(member_status="死亡")])
    assert (r["meets_standard"], r["errors"], r["population"]) == ("error", "Q06", 0)


def test_household_without_any_member_row_is_error_q06():
    r = run([household(), household(household_id="H2")], [member()])[1]
    assert (r["household_id"], r["meets_standard"], r["errors"]) == ("H2", "error", "Q06")


def test_policy_column_names_files_applying_to_the_household():
    rows = run([household(year=2021), household(household_id="H2", region_code="510104001001", year=2021)],
               [member(year=2021), member(household_id="H2", year=2021)], year=2021, policy_set=policy())
    # 2021: national has the monitoring line, so Sichuan needs no provincial file
    assert [r["policy"] for r in rows] == ["national@1.0+chongqing@2024.1", "national@1.0"]


def test_threshold_values_and_sources_in_detail_columns():
    r = one(household())
    assert r["detail_poverty_line"] == 4000.0 and r["monitoring_line"] == 7500.0
    assert r["detail_rural_income_prev_year"] == 20820.0
    assert r["detail_source_monitoring_line"].startswith("重庆市政策参数（示例）（2024年）：")
    assert "chongqing.toml" not in r["detail_source_monitoring_line"], "cited by title, not by file name"
    assert r["detail_policy_title"] == "全国默认政策参数 1.0 版、重庆市政策参数（示例） 2024.1 版"


def test_explain_names_member_threshold_and_source():
    h = household(wage_income=3000.0, registered=True, poverty_status="已脱贫", monitoring_category="脱贫不稳定户",
                  monitoring_since="2024-10", risk_eliminated=False, medical_out_of_pocket=12000.0)
    ms = [member(), member(birth=date(2012, 5, 5), name="小明", relationship="之子", school_status="非在校生")]
    text = explain(one(h, ms))
    assert "义务教育" in text and "小明（12岁）" in text
    assert "4,000" in text and "全国默认政策参数（2024年）" in text  # poverty line and its source, by title
    assert ".toml" not in text
    assert "医疗支出大" in text and "12,000" in text and "10,410" in text
    assert "已纳入监测" in text and "不足" in text
    assert ms[1]["id_number"] not in text


def test_explain_error_household():
    text = explain(one(household(), [member(member_status="死亡")]))
    assert "Q06" in text and "未评估" in text


def test_explain_english():
    assert "meets_standard=yes" in explain(one(household()), lang="en")


def test_explain_says_why_a_household_under_the_line_without_risk_is_not_monitored():
    # 2024 Chongqing: poverty line 4,000, monitoring line 7,500; 6,000 per head, no risk factor.
    text = explain(one(household(wage_income=6000.0)))
    assert "无风险" in text and "低于监测线 7,500 元" in text and "没有风险因素" in text
    assert "不属于突发严重困难户" in text


def test_explain_says_a_household_over_the_line_with_risks_is_not_monitored_by_rule():
    text = explain(one(household(wage_income=20000.0, disaster_loss=500.0)))
    assert "不低于监测线" in text and "风险因素仅作提示" in text


def test_explain_says_grade_c_housing_counts_as_safe_after_renovation():
    text = explain(one(household(housing_grade="C", housing_renovation="已完成")))
    assert "达标：住房安全：住房鉴定为C级，危房改造已完成，视为安全" in text


def test_explain_lists_each_water_sub_indicator_when_water_is_judged_from_its_parts():
    text = explain(one(household(water_safe=None, water_litres_per_day=60.0, water_quality="达标", tap_water=True,
                                 outage_days=0.0)))
    assert "饮水安全：按分项判定" in text and "饮水是否安全填为" not in text
    for part in ("水量达标（人均日供水量 60 升）", "水质达标", "用水方便程度达标", "供水保证率达标"):
        assert part in text


def test_explain_says_a_household_in_poverty_is_helped_as_poor_not_monitored():
    text = explain(one(household(registered=True, poverty_status="未脱贫", wage_income=3000.0)))
    assert "已在贫困户名单中" in text


def test_explain_names_the_town_and_cites_policy_by_title():
    text = explain(one(household()))
    assert "万州区" in text
    assert "政策：全国默认政策参数 1.0 版、重庆市政策参数（示例） 2024.1 版" in text


def test_verdicts_come_in_the_households_own_order_whatever_the_members_order():
    from fupin.synth import generate

    h, m, _regions = generate(households=3000, year=2020, seed=11)
    shuffled_h = h.sample(fraction=1.0, shuffle=True, seed=3)
    shuffled_m = m.sample(fraction=1.0, shuffle=True, seed=4)
    out = assess(shuffled_h, shuffled_m, year=2020, policy=policy())
    assert out["household_id"].to_list() == shuffled_h.filter(pl.col("year") == 2020)["household_id"].to_list()
