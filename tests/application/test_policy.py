"""The one policy provider: FUPIN_POLICY, a command's --policy after it, national first."""

from __future__ import annotations

import os

import pytest

from fupin.application import policy as provider
from fupin.engine.policy import PolicyError

PROVINCE = """name = "{name}"
version = "1"
region = "50"

[monitoring_line]
2022 = {{ value = {line}, source = "test", confidence = "—" }}
"""


def write(tmp_path, name: str, line: int):
    path = tmp_path / f"{name}.toml"
    path.write_text(PROVINCE.format(name=name, line=line), encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.delenv(provider.ENV, raising=False)
    provider.reset()
    yield
    provider.reset()


def test_without_configuration_the_policy_is_national_only():
    assert provider.current().identity == "national@1.0"


def test_fupin_policy_lists_files_separated_by_the_os_path_separator(tmp_path, monkeypatch):
    a, b = write(tmp_path, "a", 7000), write(tmp_path, "b", 8000)
    monkeypatch.setenv(provider.ENV, os.pathsep.join([a, b]))
    assert provider.current().identity == "national@1.0+a@1+b@1"
    # Among files of the same region the one loaded last wins.
    assert provider.current().resolve("monitoring_line", 2022, "500101")[0] == 8000


def test_a_command_policy_comes_after_the_deployments_and_ends_with_the_command(tmp_path, monkeypatch):
    a, b = write(tmp_path, "a", 7000), write(tmp_path, "b", 8000)
    monkeypatch.setenv(provider.ENV, a)
    assert provider.configure([b]) == (a, b)
    assert provider.current().resolve("monitoring_line", 2022, "500101")[0] == 8000
    assert provider.environment()[provider.ENV] == os.pathsep.join([a, b])
    provider.reset()
    assert provider.current().identity == "national@1.0+a@1"


def test_a_broken_policy_file_is_refused_when_configured(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(PolicyError):
        provider.configure([str(broken)])
    with pytest.raises(PolicyError):
        provider.configure([str(tmp_path / "missing.toml")])


def test_values_give_each_parameter_with_its_file_source_and_whether_the_year_needs_it(tmp_path):
    policy = provider.current()
    rows = {row["parameter"]: row for row in provider.values(policy, 2022, "500101")}
    assert rows["poverty_line"]["value"] == 4000 and rows["poverty_line"]["file"] == "national.toml"
    assert rows["monitoring_line"]["value"] is None and rows["monitoring_line"]["needed"] is True
    assert rows["quick_elimination_months"]["value"] == 2 and rows["quick_elimination_months"]["source"]


def test_a_shipped_policy_is_found_by_its_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        for name in ("chongqing.toml", "chongqing"):
            paths = provider.configure([name])
            assert paths[-1].endswith("policies/chongqing.toml")
            assert "chongqing" in provider.current().identity
    finally:
        provider.reset()


def test_a_local_file_wins_over_a_shipped_policy_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chongqing.toml").write_text('name = "local"\nversion = "1"\n', encoding="utf-8")
    try:
        assert provider.configure(["chongqing.toml"])[-1] == str(tmp_path / "chongqing.toml")
    finally:
        provider.reset()
