"""Policy files (spec/policy-sources.md): national values, layering, PolicyMissing."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.engine.policy import PolicyError, PolicyMissing, load_policies
from tests.engine.engine_helpers import CHONGQING

NATIONAL = load_policies([])


@pytest.mark.parametrize("year,value", [(2011, 2536), (2012, 2625), (2013, 2736), (2014, 2800), (2015, 2855),
                                        (2016, 2952), (2020, 4000)])
def test_national_poverty_line_values_high_confidence(year, value):
    v, path, source, conf = NATIONAL.resolve("poverty_line", year)
    assert (v, path, conf) == (value, "national.toml", "H") and source


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024, 2025])
def test_national_poverty_line_2021_2025_carried_forward_labelled_project_default(year):
    v, _p, source, conf = NATIONAL.resolve("poverty_line", year)
    assert v == 4000 and conf == "—" and "项目默认" in source


@pytest.mark.parametrize("year", [2017, 2018, 2019, 2010, 2026])
def test_national_poverty_line_not_set_for_2017_to_2019_or_outside_the_table(year):
    with pytest.raises(PolicyMissing):
        NATIONAL.resolve("poverty_line", year, "500101001001")


def test_national_monitoring_line_2020_2021_only():
    assert NATIONAL.resolve("monitoring_line", 2020)[0] == 6000
    assert NATIONAL.resolve("monitoring_line", 2021)[0] == 6000
    for year in (2019, 2022, 2023):
        assert NATIONAL.lookup("monitoring_line", year) is None


@pytest.mark.parametrize("year,value,conf", [(2020, 16021, "M"), (2021, 17131, "H"), (2022, 18931, "H"),
                                             (2023, 20133, "H")])
def test_national_rural_income_prev_year(year, value, conf):
    v, _p, _s, c = NATIONAL.resolve("rural_income_prev_year", year)
    assert (v, c) == (value, conf)


@pytest.mark.parametrize("param,value,conf", [
    ("water_min_litres", 35, "H"), ("water_min_litres_scarce", 20, "H"), ("fetch_max_minutes", 20, "H"),
    ("fetch_max_horizontal_m", 800, "H"), ("fetch_max_vertical_m", 80, "H"), ("outage_max_days", 36, "H"),
    ("medical_share_registered", 0.5, "M"), ("medical_share_general", 1.0, "M"), ("education_cost_max", 10000, "M"),
    ("elimination_min_months", 6, "M"), ("exit_incidence", 0.02, "H"), ("exit_incidence_west", 0.03, "H"),
    ("listed_village_poor_min", 1000, "H"), ("listed_village_incidence_min", 0.10, "H"),
    ("identification_max_days", 15, "M–H"), ("notice_min_days", 5, "M–H"), ("verification_max_working_days", 2, "M"),
])
def test_national_thresholds_with_source_and_confidence(param, value, conf):
    v, _p, source, c = NATIONAL.resolve(param, 2024)
    assert (v, c) == (value, conf) and source


def test_income_drop_share_shipped_as_project_default_with_no_national_confidence():
    """policy-sources.md: 0.3 is "a local choice, to be set per province"; national.toml ships it
    as the project default labelled confidence "—" so monitoring runs until a province sets it."""
    v, _p, source, conf = NATIONAL.resolve("income_drop_share", 2024)
    assert (v, conf) == (0.3, "—") and "项目默认" in source


def test_provincial_file_overrides_national_only_for_its_region():
    ps = load_policies([CHONGQING])
    assert ps.resolve("monitoring_line", 2024, "500101001001")[0] == 7500
    assert ps.lookup("monitoring_line", 2024, "510101001001") is None
    assert ps.resolve("poverty_line", 2024, "500101001001")[1] == "national.toml"


def test_policy_identity_names_files_and_versions():
    assert load_policies([CHONGQING]).identity == "national@1.0+chongqing@2024.1"
    assert NATIONAL.identity == "national@1.0"


def test_more_specific_region_prefix_wins_and_exact_year_beats_default(tmp_path):
    county = tmp_path / "wanzhou.toml"
    county.write_text('name = "wanzhou"\nversion = "1"\nextends = "national"\nregion = "500101"\n'
                      '[monitoring_line]\ndefault = { value = 9000, source = "县", confidence = "M" }\n'
                      '2024 = { value = 9100, source = "县2024", confidence = "M" }\n', encoding="utf-8")
    ps = load_policies([str(county), CHONGQING])
    assert ps.resolve("monitoring_line", 2024, "500101001001")[0] == 9100
    assert ps.resolve("monitoring_line", 2023, "500101001001")[0] == 9000
    assert ps.resolve("monitoring_line", 2024, "500102001001")[0] == 7500
    frame = ps.frame(2024, ["500101001001", "500102001001"])
    assert dict(zip(frame["policy_key"], frame["monitoring_line"], strict=True)) == {"50": 7500.0, "500101": 9100.0}


def test_frame_one_row_per_province_with_parameters_as_columns():
    ps = load_policies([CHONGQING])
    f = ps.frame(2024, ["500101001001", "500230001001"])
    assert f.height == 1 and f["policy_key"][0] == "50"
    assert f["poverty_line"][0] == 4000.0 and f["monitoring_line"][0] == 7500.0
    assert f["source_poverty_line"][0].startswith("全国默认政策参数（2024年）：")
    assert f["policy"][0] == "national@1.0+chongqing@2024.1"


def test_frame_raises_only_for_needed_values_monitoring_line_not_needed_before_2020():
    f = NATIONAL.frame(2016, ["500101001001"])
    assert f["monitoring_line"][0] is None and f["poverty_line"][0] == 2952


def test_policy_missing_message_names_parameter_year_province_code_and_name_in_both_languages():
    with pytest.raises(PolicyMissing) as exc:
        NATIONAL.frame(2022, ["500101001001"])
    msg = str(exc.value)
    for part in ("monitoring_line", "2022", "50", "重庆市", "缺少", "missing"):
        assert part in msg


def test_value_without_source_is_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nversion = "1"\n[poverty_line]\n2018 = { value = 3000 }\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="source"):
        load_policies([str(bad)])


def test_missing_policy_file_is_a_policy_error():
    with pytest.raises(PolicyError, match="找不到"):
        load_policies(["/nonexistent/x.toml"])


def test_user_file_can_supply_2018_poverty_line(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('name = "local"\nversion = "2"\n[poverty_line]\n2018 = { value = 3200, source = "省定", confidence = "M" }\n',
                 encoding="utf-8")
    ps = load_policies([str(f)])
    assert ps.resolve("poverty_line", 2018, "500101001001")[:2] == (3200, str(f))
    assert isinstance(ps.frame(2018, ["500101001001"]), pl.DataFrame)
