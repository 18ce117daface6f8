"""The employment service's use cases over the database (issue 13 item 2): posts a region sees
with their openings, posts and placements recorded through the import's checks with history,
R7's public-welfare post checks (double posts, holders who died) and R10's offers for a region."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import employment_db as use
from fupin.application import policy as policy_provider
from fupin.assistance.models import AssistanceBatch, Placement, Post
from tests.assistance.employment_helpers import (
    AS_OF,
    YEAR,
    place,
    post,
    store_people,
    store_posts,
)
from tests.regions import COUNTY, OTHER_TOWN, TOWN, VILLAGE_A
from tests.scopes import EVERYWHERE

pytestmark = pytest.mark.django_db


def _ids(views) -> list[str]:
    return sorted(v.post.post_id for v in views)


def test_a_town_sees_its_county_posts_and_its_own_but_not_another_towns(ids):
    assert _ids(use.post_list(Scope.system(TOWN))) == ["F1", "G1", "G2"]
    assert _ids(use.post_list(Scope.system(OTHER_TOWN))) == ["F1", "G1", "G2", "T3"]
    assert _ids(use.post_list(Scope.system(COUNTY))) == ["F1", "G1", "G2", "T3"]
    with pytest.raises(Http404):
        use.post_detail(Scope.system(TOWN), "T3")


def test_post_list_filters_by_kind_and_by_state_on_the_day(ids):
    county = Scope.system(COUNTY)
    assert _ids(use.post_list(county, kind="公益性岗位")) == ["G1", "G2"]
    use.record_post(county, post("G9", published_on="2099-01-01"))
    use.record_post(county, post("G8", published_on="2020-01-01", closes_on="2020-06-30"))
    on = date(2023, 1, 1)
    assert _ids(use.post_list(county, kind="公益性岗位", state="open", on=on)) == ["G1", "G2"]
    assert _ids(use.post_list(county, state="closed", on=on)) == ["G8"]
    assert _ids(use.post_list(county, state="upcoming", on=on)) == ["G9"]


def test_a_post_is_stored_with_its_work_region_and_history_and_a_second_save_changes_nothing(ids):
    county = Scope.system(COUNTY)
    stored = Post.objects.within(EVERYWHERE).get(post_id="G1")
    assert (stored.region_code, stored.work_region, stored.monthly_pay, stored.planned) == (COUNTY, VILLAGE_A, 600.0, 1)
    assert stored.history.count() == 1
    batches = AssistanceBatch.objects.within(EVERYWHERE).count()
    assert not use.record_post(county, post("G1")).errors
    assert Post.objects.within(EVERYWHERE).get(post_id="G1").history.count() == 1
    assert AssistanceBatch.objects.within(EVERYWHERE).count() == batches + 1


def test_a_public_post_without_its_type_gets_the_importers_a10_message(ids):
    out = use.record_post(Scope.system(COUNTY), post("G5", public_post_type=""))
    assert set(out.errors) == {"public_post_type"} and "公益岗类型" in out.errors["public_post_type"]
    assert not Post.objects.within(EVERYWHERE).filter(post_id="G5").exists()


def test_a_bad_date_and_an_end_before_the_start_get_the_importers_e05_and_a04(ids):
    out = use.record_post(Scope.system(COUNTY), post("G5", published_on="2022-02-30"))
    assert "published_on" in out.errors
    out = use.record_post(Scope.system(COUNTY), post("G5", closes_on="2021-01-01"))
    assert "closes_on" in out.errors and "早于" in out.errors["closes_on"]


def test_a_town_cannot_change_its_countys_post_or_another_towns(ids):
    for post_id in ("G1", "T3"):
        out = use.record_post(Scope.system(TOWN), post(post_id, name="改名"))
        assert "post_id" in out.errors and "其他地区" in out.errors["post_id"], post_id
    assert Post.objects.within(EVERYWHERE).get(post_id="G1").name == "保洁员"


def test_a_county_correcting_a_towns_post_leaves_it_listed_by_the_town(ids):
    assert not use.record_post(Scope.system(COUNTY), post("T3", kind="帮扶车间", public_post_type="",
                                                          region_code="500101103201", planned="6")).errors
    stored = Post.objects.within(EVERYWHERE).get(post_id="T3")
    assert (stored.region_code, stored.planned) == (OTHER_TOWN, 6)


def test_a_placement_is_recorded_with_history_and_the_openings_go_down(ids):
    town = Scope.system(TOWN)
    out = place(town, "H1", ids["李四"], post_id="G2")
    assert not out.errors, out.errors
    stored = Placement.objects.within(EVERYWHERE).get()
    assert (stored.region_code, stored.household_id, stored.post_id, stored.history.count()) == (
        VILLAGE_A, "H1", "G2", 1)
    g2 = next(v for v in use.post_list(town) if v.post.post_id == "G2")
    assert (g2.holders, g2.openings) == (1, 1)
    assert not place(town, "H1", ids["李四"], post_id="G2").errors  # the same placement again: one row
    assert Placement.objects.within(EVERYWHERE).count() == 1


def test_a_placement_on_a_post_the_town_does_not_see_is_a10(ids):
    out = place(Scope.system(TOWN), "H1", ids["李四"], post_id="T3")
    assert "post_id" in out.errors and "岗位编号 T3 不存在" in out.errors["post_id"]
    assert not Placement.objects.within(EVERYWHERE).exists()


def test_a_placement_for_a_household_outside_the_scope_is_refused(ids):
    with pytest.raises(Http404):
        place(Scope.system(TOWN), "H3", ids["赵六"], post_id="G1")
    assert not Placement.objects.within(EVERYWHERE).exists()


def test_a_placement_of_someone_not_in_the_household_is_a02(ids):
    out = place(Scope.system(TOWN), "H1", ids["王五"], post_id="G1")
    assert "id_number" in out.errors and "不是户 H1" in out.errors["id_number"]


def test_a_placement_without_a_post_needs_employer_and_place(ids):
    out = place(Scope.system(TOWN), "H1", ids["张三"], mode="转移就业")
    assert {"employer", "place"} <= set(out.errors)
    assert not place(Scope.system(TOWN), "H1", ids["张三"], mode="转移就业", employer="重庆某建筑公司",
                     place="县外省内").errors


def test_a_read_only_role_may_not_record(ids, analyst_user):
    analyst = Scope.of(analyst_user)
    with pytest.raises(PermissionDenied):
        use.record_post(analyst, post("G7"))
    with pytest.raises(PermissionDenied):
        place(analyst, "H1", ids["李四"], post_id="G2")


def test_household_placements_mask_id_numbers_unless_asked(ids):
    place(Scope.system(COUNTY), "H1", ids["李四"], post_id="G2")
    masked = use.household_placements(Scope.system(TOWN), "H1")
    assert masked[0]["name"] == "李四" and masked[0]["id_number"] == ids["李四"][:4] + "*" * 10 + ids["李四"][-4:]
    assert use.household_placements(Scope.system(TOWN), "H1", sensitive=True)[0]["id_number"] == ids["李四"]


def test_a_posts_holders_are_read_inside_the_scope_but_counted_everywhere(ids):
    county = Scope.system(COUNTY)
    place(county, "H1", ids["李四"], post_id="G2")
    place(county, "H3", ids["赵六"], post_id="G2")
    town = use.post_detail(Scope.system(TOWN), "G2", on=AS_OF)
    assert [r["name"] for r in town.placements] == ["李四"]
    assert (town.view.holders, town.view.openings) == (2, 0)


def test_the_checks_show_a_double_post_and_a_holder_who_died(ids):
    county = Scope.system(COUNTY)
    assert not place(county, "H1", ids["李四"], post_id="G1").errors
    assert not place(county, "H1", ids["李四"], post_id="G2", start=f"{YEAR}-06-01").errors
    assert not place(county, "H2", ids["王五"], post_id="G2").errors
    report = use.check_report(Scope.system(TOWN), policy_provider.current(), year=YEAR, as_of=AS_OF)
    frame = report.findings
    b06 = frame.filter(frame["code"] == "B06")
    b10 = frame.filter(frame["code"] == "B10")
    assert b06["household_id"].to_list() == ["H1"] and report.counts["B06"] == 1
    assert b10["household_id"].to_list() == ["H2"] and "死亡" in b10["message_zh"][0]
    assert "*" in b10["id_number"][0]  # masked: a list handed on to people
    assert set(frame["code"]) <= set(use.R7_CODES) and frame["code"][0] in ("B06", "B10")  # errors first
    assert b10["head_name"][0] == "王五"


def test_the_checks_of_a_town_leave_out_the_other_towns_holders(ids):
    place(Scope.system(COUNTY), "H3", ids["赵六"], post_id="G1")
    place(Scope.system(COUNTY), "H3", ids["赵六"], post_id="G2")
    mine = use.check_report(Scope.system(TOWN), policy_provider.current(), year=YEAR, as_of=AS_OF)
    assert mine.counts["B06"] == 0
    county = use.check_report(Scope.system(COUNTY), policy_provider.current(), year=YEAR, as_of=AS_OF)
    assert county.counts["B06"] == 1
    with pytest.raises(Http404):
        use.check_report(Scope.system(TOWN), policy_provider.current(), year=YEAR, region=OTHER_TOWN)


def test_offers_list_uncovered_people_with_open_posts_in_r10_order(ids):
    offers = use.offers_report(Scope.system(TOWN), policy_provider.current(), year=YEAR, as_of=AS_OF).offers
    li_si = offers.filter(offers["name"] == "李四")["post_id"].to_list()
    zhang = offers.filter(offers["name"] == "张三")["post_id"].to_list()
    assert li_si == ["G1", "G2"]            # 弱劳动力: public posts, 乡镇内, pay descending then number
    assert zhang == [None]                  # able-bodied, not willing to go away: no post fits, listed once
    assert "赵六" not in offers["name"].to_list()  # another town's person
    assert all("*" in i for i in offers["id_number"].to_list())


def test_offers_count_holders_in_other_towns_so_a_filled_county_post_is_not_offered(ids):
    place(Scope.system(COUNTY), "H3", ids["赵六"], post_id="G1")   # G1's one place, filled in 响水镇
    offers = use.offers_report(Scope.system(TOWN), policy_provider.current(), year=YEAR, as_of=AS_OF).offers
    assert offers.filter(offers["name"] == "李四")["post_id"].to_list() == ["G2"]


def test_the_default_year_is_the_newest_stored_registry_year(ids):
    assert use.default_year(Scope.system(TOWN)) == YEAR
    assert use.default_year(Scope.system(TOWN), date(2021, 5, 1)) is None


def test_the_posts_of_a_village_include_those_of_its_county(ids):
    assert _ids(use.post_list(Scope.system(VILLAGE_A))) == ["F1", "G1", "G2"]
