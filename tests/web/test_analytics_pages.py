"""The analysis pages (issue 15): report tables, scenarios, the MPI down to its households, the
third-party sample (draw, field forms, results) — per role, inside the scope, writing nothing."""

from __future__ import annotations

import html
import io
import os
import re

import openpyxl
import polars as pl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.cli import main
from fupin.io import sampling as sample_io
from tests.fupin_testdata import load, synth_frames
from tests.regions import COUNTY, OTHER_COUNTY, TOWN
from tests.web.test_cadre_ready import parse, problems_in_chinese
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db

PAGES = ("/analysis/", "/analysis/report/", "/analysis/scenario/", "/analysis/mpi/", "/analysis/sample/",
         "/analysis/sample/results/")


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize("role", ["county", "analyst", "admin"])
def test_each_analysis_page_opens_in_chinese_for_a_role_with_the_analyse_capability(assessed, client, users, role):
    client.force_login(users[role])
    names = frozenset(u.username for u in users.values())
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'data-nav="analysis"' in html
        found = [p for t in parse(html).texts for p in problems_in_chinese(t, names)]
        assert not found, (url, found)


@pytest.mark.parametrize("role", ["village", "town", "steward"])
def test_analysis_pages_are_refused_to_roles_without_the_analyse_capability(assessed, client, users, role):
    client.force_login(users[role])
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert 'data-nav="analysis"' not in client.get("/", follow=True).content.decode()


def test_a_region_outside_the_scope_is_not_found_on_every_analysis_page(assessed, client, users):
    county = users["county"]
    assert _get(client, county, "/analysis/mpi/", year=YEAR, region=OTHER_COUNTY).status_code == 404
    assert _get(client, county, "/analysis/mpi/households/", year=YEAR, region=OTHER_COUNTY).status_code == 404
    assert _get(client, county, "/analysis/report/download/", year=YEAR, month=6,
                region=OTHER_COUNTY).status_code == 404
    assert _get(client, county, "/analysis/sample/", year=YEAR, region=OTHER_COUNTY, seed=1,
                purpose="exit").status_code == 404
    assert _get(client, county, "/analysis/scenario/", year=YEAR, region=OTHER_COUNTY, p1="poverty_line",
                v1="4500", level="town").status_code == 404


# --- report tables ---------------------------------------------------------------------------------

def test_report_download_is_the_report_workbook_with_its_four_sheets_and_totals(assessed, client, users):
    response = _get(client, users["county"], "/analysis/report/download/", year=YEAR, month=12, region=COUNTY)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["脱贫进度", "村级进度", "未达标指标", "监测对象"]
    sheet = book["脱贫进度"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "合计" in values and "龙沙镇" in values


def test_report_for_a_year_without_households_says_so_in_chinese(assessed, client, users):
    response = _get(client, users["county"], "/analysis/report/download/", year=2015, month=3, region=COUNTY)
    assert response.status_code == 400
    assert "下没有 2015 年度的户" in response.content.decode()


# --- scenarios -------------------------------------------------------------------------------------

def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()
            if m._meta.app_label in ("registry", "assessments", "monitoring", "assistance", "supervision", "jobs")}


def test_the_scenario_page_compares_towns_lists_changed_households_and_leaves_the_database_unchanged(
        assessed, client, users):
    before = _counts()
    params = {"year": YEAR, "region": COUNTY, "level": "town", "p1": "poverty_line", "v1": "30000"}
    response = _get(client, users["analyst"], "/analysis/scenario/", **params)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert 'id="scenario-table"' in html and "龙沙镇" in html and "扶贫标准（贫困线） = 30000" in html
    changed = client.get("/analysis/scenario/households/", {**params, "within": TOWN})
    page = changed.content.decode()
    assert changed.status_code == 200
    assert "王三" in page and "钱七" in page  # heads by name, in the analyst's scope
    assert _counts() == before


def test_a_scenario_value_that_is_not_valid_is_refused_with_the_chinese_reason(assessed, client, users):
    response = _get(client, users["county"], "/analysis/scenario/", year=YEAR, region=COUNTY, level="town",
                    p1="poverty_line", v1="-5")
    assert "的值无效" in response.content.decode()


# --- MPI -------------------------------------------------------------------------------------------

def test_mpi_page_ranks_towns_with_a_stacked_chart_and_a_count_leads_to_the_households(assessed, client, users):
    # k = 1/6: H1 (不愁吃 否, weight 1/6) is multidimensionally poor.
    response = _get(client, users["analyst"], "/analysis/mpi/", year=YEAR, region=COUNTY, k="1/6")
    html = response.content.decode()
    assert response.status_code == 200, html
    assert 'id="mpi-ranking"' in html and "龙沙镇" in html and '"stack": "m0"' in html
    listed = client.get("/analysis/mpi/households/", {"year": YEAR, "region": TOWN, "k": "1/6", "indicator": "food"})
    page = listed.content.decode()
    assert listed.status_code == 200 and "张一" in page and "H1" in page and "王三" not in page


def test_mpi_bad_cutoff_is_refused_in_chinese(assessed, client, users):
    response = _get(client, users["county"], "/analysis/mpi/", year=YEAR, region=COUNTY, k="2")
    assert "k 应满足 0 < k ≤ 1：2" in html.unescape(response.content.decode())


# --- sampling --------------------------------------------------------------------------------------

@pytest.fixture
def sampled_county(db, tmp_path):
    """300 generated households of one town of COUNTY, in the database and as an exchange file."""
    from fupin.io import write_registry

    frames = synth_frames(300, TOWN, seed=3)
    load(*frames)
    path = tmp_path / "registry.xlsx"
    write_registry(path, *frames)
    return path


def _download(client, which: str, **params) -> bytes:
    response = client.get(f"/analysis/sample/download/{which}/", params)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def test_a_draw_on_the_page_gives_the_same_sample_as_the_command_with_the_same_seed(sampled_county, client, users,
                                                                                   tmp_path):
    params = {"year": YEAR, "region": COUNTY, "seed": 20200601, "purpose": "exit"}
    client.force_login(users["county"])
    page = client.get("/analysis/sample/", params).content.decode()
    assert 'id="sample-cells"' in page
    (tmp_path / "web.xlsx").write_bytes(_download(client, "sample", **params))
    web = sample_io.read_sample(tmp_path / "web.xlsx")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["sample", "draw", "--year", str(YEAR), "--region", COUNTY, "--seed", "20200601",
                     "--input", str(sampled_county), "--out", "cli.xlsx"]) == 0
    finally:
        os.chdir(cwd)
    cli = sample_io.read_sample(tmp_path / "cli.xlsx")
    keys = ["village_code", "household_stratum", "household_id", "household_rank", "role"]
    assert web["households"].height > 0
    assert web["households"].select(keys).equals(cli["households"].select(keys))
    assert web["strata"]["frame_digest"].to_list() == cli["strata"]["frame_digest"].to_list()


def test_field_forms_have_one_sheet_per_village_and_no_id_numbers_or_phones(sampled_county, client, users):
    params = {"year": YEAR, "region": COUNTY, "seed": 7, "purpose": "exit"}
    client.force_login(users["analyst"])
    book = openpyxl.load_workbook(io.BytesIO(_download(client, "forms", **params)))
    assert book.sheetnames and all(name.startswith(TOWN) for name in book.sheetnames)
    text = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "证件号码" not in text and "联系电话" not in text and "户编号" in text
    assert not re.search(r"\b1[3-9]\d{9}\b", text) and not re.search(r"\b\d{17}[\dX]\b", text)


def _filled_forms(forms: bytes, sample: dict[str, pl.DataFrame]) -> bytes:
    """Every primary household visited: completed, 2 people, not a wrong exit or missed, approving —
    and one extra row for a household that is not in the sample."""
    book = openpyxl.load_workbook(io.BytesIO(forms))
    strata = dict(sample["households"].select("household_id", "household_stratum").iter_rows())
    for ws in book.worksheets:
        header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "户编号")
        headers = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
        last = header_row
        for r in range(header_row + 1, ws.max_row + 1):
            hid = ws.cell(r, 1).value
            if hid not in strata or ws.cell(r, headers["正选/备选"]).value != "正选":
                continue
            last = r
            ws.cell(r, headers["入户状态"]).value = "完成"
            ws.cell(r, headers["实有人口"]).value = 2
            ws.cell(r, headers["是否认可"]).value = "是"
            if strata[hid] == "exited":
                ws.cell(r, headers["是否错退"]).value = "否"
            elif strata[hid] == "general":
                ws.cell(r, headers["是否漏评"]).value = "否"
            else:
                ws.cell(r, headers["户内未纳入人口"]).value = 0
                ws.cell(r, headers["其中应纳未纳"]).value = 0
        ws.cell(last + 1, 1).value = "NOT-IN-SAMPLE"
        ws.cell(last + 1, headers["入户状态"]).value = "完成"
        ws.cell(last + 1, headers["实有人口"]).value = 3
        break
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_results_upload_gives_estimates_and_the_bad_row_comes_back_with_its_reason(sampled_county, client, users,
                                                                                   tmp_path):
    params = {"year": YEAR, "region": COUNTY, "seed": 11, "purpose": "exit"}
    client.force_login(users["county"])
    sample_bytes = _download(client, "sample", **params)
    (tmp_path / "s.xlsx").write_bytes(sample_bytes)
    filled = _filled_forms(_download(client, "forms", **params), sample_io.read_sample(tmp_path / "s.xlsx"))
    before = _counts()
    response = client.post("/analysis/sample/results/", {
        "sample": SimpleUploadedFile("s.xlsx", sample_bytes), "results": SimpleUploadedFile("r.xlsx", filled),
        "basis": "sample"})
    html = response.content.decode()
    assert response.status_code == 200, html
    assert 'id="estimate-table"' in html and 'data-indicator="wrong_exit"' in html and "错退率" in html
    assert "不在样本中" in html and 'id="rejects-download"' in html
    assert _counts() == before


def test_results_of_a_sample_of_another_county_are_not_found(sampled_county, client, users):
    params = {"year": YEAR, "region": COUNTY, "seed": 11, "purpose": "exit"}
    client.force_login(users["county"])
    sample_bytes = _download(client, "sample", **params)
    client.force_login(users["county_other"])
    response = client.post("/analysis/sample/results/", {
        "sample": SimpleUploadedFile("s.xlsx", sample_bytes),
        "results": SimpleUploadedFile("r.csv", "户编号,入户状态\nX,完成\n".encode()), "basis": "sample"})
    assert response.status_code == 404


def test_analysis_pages_are_english_in_english_mode(assessed, client, users, settings):
    client.force_login(users["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/analysis/").content.decode()
    assert "Report tables" in html and "报表" not in html
    mpi = client.get("/analysis/mpi/", {"year": YEAR, "region": COUNTY, "k": "1/6"}).content.decode()
    assert "Ranking by M0" in mpi and "Contribution of each indicator to M0" in mpi
    assert "多维贫困" not in mpi and "按M0排名" not in mpi
