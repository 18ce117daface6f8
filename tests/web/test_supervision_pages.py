"""The 问题清单, problem, 清零 report and 挂牌督战 pages, per role, through the web client.

Problems are made by the ledger's own bulk service (as an import or a sync would); every action
is then taken by posting the page's forms.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import openpyxl
import polars as pl
import pytest
from django.test import Client
from django.utils import timezone

from fupin.accounts.scoping import Scope
from fupin.application import policy as policy_provider
from fupin.monitoring import clock
from fupin.supervision import services
from fupin.supervision.models import Listing, Problem, State
from tests.regions import OTHER_COUNTY_VILLAGE, TOWN, VILLAGE_A, VILLAGE_B
from tests.scopes import EVERYWHERE
from tests.web.test_cadre_ready import parse, problems_in_chinese

pytestmark = pytest.mark.django_db

LIST = "/supervision/problems/"
REPORT = "/supervision/report/"
LISTINGS = "/supervision/listings/"


def make_problem(region: str = VILLAGE_A, *, received_on: date = date(2020, 3, 1), source: str = "inspection",
                 description: str = "危房未改造") -> Problem:
    frame = pl.DataFrame({
        "problem_id": services.next_ids(received_on.year, 1), "year": [received_on.year], "source": [source],
        "source_ref": ["巡视反馈意见"], "region_code": [region], "category": ["housing"],
        "description": [description], "household_id": [None], "finding_code": [None], "lead_id": [None],
        "lead_unit": [None], "responsible_unit": ["龙沙镇"], "responsible_person": [None],
        "received_on": [received_on], "immediate": [False], "deadline": [None],
    }, schema_overrides={"lead_id": pl.Int64, "deadline": pl.Date, "received_on": pl.Date,
                         "household_id": pl.String, "finding_code": pl.String, "lead_unit": pl.String,
                         "responsible_person": pl.String})
    return services.create_problems(Scope.system(), policy_provider.current(), frame, at=timezone.now())[0]


def as_user(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    if language == "en":
        client.cookies["django_language"] = "en"
    return client


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def act(client, problem: Problem, action: str, **fields) -> str:
    response = client.post(f"{LIST}{problem.pk}/act/", {"action": action, **fields}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def upload(client, problem: Problem, name: str = "整改照片.jpg", content: bytes = b"\xff\xd8jpeg bytes"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"{LIST}{problem.pk}/evidence/", {"file": SimpleUploadedFile(name, content), "note": "拍照"},
                       follow=True)


def messages_of(html: str) -> list[str]:
    return re.findall(r'<li class="msg-\w+">(.*?)</li>', html, re.DOTALL)


@pytest.fixture
def evidence_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def problems(registry):
    return {"a": make_problem(VILLAGE_A), "b": make_problem(VILLAGE_B, source="audit"),
            "x": make_problem(OTHER_COUNTY_VILLAGE), "fresh": make_problem(VILLAGE_A, received_on=clock.today())}


# --- 问题清单 ------------------------------------------------------------------------------------

def test_the_problem_list_shows_only_the_users_region(problems, village_user, town_user, county_user,
                                                       other_county_user):
    def listed(user) -> set[str]:
        return set(re.findall(r'id="problem-(\d+)"', page(as_user(user), LIST + "?state=all")))

    pk = {k: str(p.pk) for k, p in problems.items()}
    assert listed(village_user) == {pk["a"], pk["fresh"]}
    assert listed(town_user) == {pk["a"], pk["b"], pk["fresh"]}
    assert listed(county_user) == {pk["a"], pk["b"], pk["fresh"]}
    assert listed(other_county_user) == {pk["x"]}


def test_the_list_filters_by_state_source_and_overdue(problems, county_user):
    client = as_user(county_user)
    overdue = page(client, LIST + "?overdue=1")
    assert f'id="problem-{problems["a"].pk}"' in overdue and f'id="problem-{problems["fresh"].pk}"' not in overdue
    assert "超期" in overdue and "天" in overdue
    audit = page(client, LIST + "?source=audit")
    assert re.findall(r'id="problem-(\d+)"', audit) == [str(problems["b"].pk)]
    assert not re.findall(r'id="problem-(\d+)"', page(client, LIST + "?state=closed"))
    # Drill-down from the report: a region inside the scope narrows the list; outside it is 404.
    narrowed = page(client, LIST + f"?region={VILLAGE_B}&state=all")
    assert re.findall(r'id="problem-(\d+)"', narrowed) == [str(problems["b"].pk)]
    page(client, LIST + f"?region={OTHER_COUNTY_VILLAGE}", status=404)


def test_a_problem_outside_the_scope_is_not_found_to_read_act_or_upload(problems, other_village_user,
                                                                        evidence_dir):
    client = as_user(other_village_user)
    problem = problems["a"]
    page(client, f"{LIST}{problem.pk}/", status=404)
    assert client.post(f"{LIST}{problem.pk}/act/", {"action": "claim"}).status_code == 404
    assert upload(client, problem).status_code == 404
    assert Problem.objects.within(EVERYWHERE).get(pk=problem.pk).state == State.NEW


def test_the_page_offers_only_the_forms_of_what_the_role_may_do_now(problems, village_user, county_user,
                                                                    analyst_user):
    url = f"{LIST}{problems['a'].pk}/"
    village = page(as_user(village_user), url)
    assert re.findall(r'id="form-(\w+)"', village) == ["claim"]
    assert "已上报至" in village and "重庆市" in village  # years overdue: escalated up to the province, by name
    county = page(as_user(county_user), url)
    assert re.findall(r'id="form-(\w+)"', county) == ["claim", "extend", "void"]
    analyst = page(as_user(analyst_user), url)
    assert not re.findall(r'id="form-(\w+)"', analyst) and 'id="no-actions"' in analyst
    assert "危房未改造" in analyst and "巡视巡察" in analyst and "住房安全" in analyst


def test_an_action_refused_in_the_wrong_state_shows_the_chinese_reason(problems, village_user):
    problem = problems["a"]
    html = act(as_user(village_user), problem, "request_closure")
    [message] = messages_of(html)
    assert f"问题 {problem.problem_id} 当前状态为 待签收，不能申请销号" in message
    assert "problem is new" not in message


def test_the_same_refusal_reads_english_in_english(problems, village_user):
    html = act(as_user(village_user, "en"), problems["a"], "request_closure")
    assert messages_of(html) == ["problem is new"]


def test_a_measure_due_after_the_deadline_is_refused_with_the_specs_words(problems, village_user):
    client = as_user(village_user)
    act(client, problems["a"], "claim")
    html = act(client, problems["a"], "add_measure", text="危房改造", due="2021-01-01")
    assert any("措施时限晚于整改时限" in m for m in messages_of(html))


def test_actions_and_uploads_need_the_csrf_token(problems, village_user, evidence_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(village_user)
    problem = problems["a"]
    assert client.post(f"{LIST}{problem.pk}/act/", {"action": "claim"}).status_code == 403
    assert client.post(f"{LIST}{problem.pk}/evidence/", {"note": "x"}).status_code == 403
    assert Problem.objects.within(EVERYWHERE).get(pk=problem.pk).state == State.NEW
    # The page's own form carries the token.
    html = client.get(f"{LIST}{problem.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert client.post(f"{LIST}{problem.pk}/act/", {"action": "claim", "csrfmiddlewaretoken": token}).status_code == 302


def test_a_village_cadre_claims_and_rectifies_and_the_town_verifies(problems, village_user, town_user,
                                                                    evidence_dir):
    problem = problems["a"]
    cadre = as_user(village_user)
    url = f"{LIST}{problem.pk}/"
    act(cadre, problem, "claim")
    act(cadre, problem, "add_measure", text="危房改造", due="2020-03-20")
    html = page(cadre, url)
    assert 'id="done-measure-1"' in html and "整改中" in html
    act(cadre, problem, "progress", measure="1")
    assert upload(cadre, problem).status_code == 200
    html = act(cadre, problem, "request_closure")
    assert "待核验" in html and "已办理：申请销号" in html
    # The requester has no verify form; the town has verify and reject.
    assert "form-verify" not in html
    town = as_user(town_user)
    assert re.findall(r'id="form-(\w+)"', page(town, url)) == ["add_evidence", "verify", "reject"]
    html = act(town, problem, "verify", note="已实地核实")
    assert "已销号" in html
    problem.refresh_from_db()
    assert (problem.state, problem.verified_by, problem.requested_by) == (State.CLOSED, town_user.username,
                                                                          village_user.username)
    assert problem.measures[0]["done_on"] == clock.today().isoformat()
    history = page(town, url)
    for step in ("签收认领", "添加整改措施", "记录措施完成", "上传佐证材料", "申请销号", "核验销号"):
        assert step in history


def test_evidence_is_stored_within_its_limits_and_served_only_inside_the_scope(problems, village_user,
                                                                               other_village_user, town_user,
                                                                               evidence_dir):
    problem = problems["a"]
    cadre = as_user(village_user)
    act(cadre, problem, "claim")
    refused = upload(cadre, problem, "脚本.exe", b"MZ")
    assert any("佐证材料只接受" in m for m in messages_of(refused.content.decode()))
    assert not problem.evidence.exists()
    assert upload(cadre, problem).status_code == 200
    item = problem.evidence.get()
    url = f"/supervision/evidence/{item.pk}/download/"
    for user in (village_user, town_user):
        response = as_user(user).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"\xff\xd8jpeg bytes"
        assert "attachment" in response["Content-Disposition"]
    assert as_user(other_village_user).get(url).status_code == 404


# --- 清零 report ---------------------------------------------------------------------------------

def close_problem(problem: Problem) -> None:
    Problem.objects.within(EVERYWHERE).filter(pk=problem.pk).update(state=State.CLOSED, verified_on=date(2020, 3, 20))


def test_the_report_drills_down_from_county_to_town_to_village_and_marks_cleared_regions(problems, county_user):
    close_problem(problems["b"])
    client = as_user(county_user)
    county = page(client, REPORT + "?year=2020")
    rows = re.findall(r'data-code="(\d+)"', county)
    assert rows == [TOWN + "000"]  # the county's towns
    assert f'href="/supervision/report/?region={TOWN}000&amp;year=2020&amp;source=all"' in county
    town = page(client, REPORT + f"?region={TOWN}&year=2020")
    assert re.findall(r'data-code="(\d+)"', town) == [VILLAGE_A, VILLAGE_B]
    cleared = re.search(rf'<tr class="cleared-row" data-code="{VILLAGE_B}">', town)
    assert cleared and "已清零" in town and "未清零" in town
    assert "2 个区划中 1 个已清零" in town
    audit_only = page(client, REPORT + f"?region={TOWN}&year=2020&source=audit")
    assert re.findall(r'data-code="(\d+)"', audit_only) == [VILLAGE_B]
    page(client, REPORT + f"?region={OTHER_COUNTY_VILLAGE[:6]}&year=2020", status=404)


def test_the_report_downloads_as_the_ledger_workbook(problems, county_user):
    response = as_user(county_user).get("/supervision/report/export/?year=2020")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "问题整改清零进度"
    header = next(r for r in cells if r and r[0] == "区划代码")
    assert header[:5] == ["区划代码", "名称", "层级", "问题来源", "问题数"]
    assert any(r[3] == "全部" for r in cells if r and r[0] == TOWN + "000")


def test_a_village_cadre_reads_the_report_of_the_village_only(problems, village_user):
    html = page(as_user(village_user), REPORT + "?year=2020")
    assert re.findall(r'data-code="(\d+)"', html) == [VILLAGE_A]


# --- 挂牌督战 ------------------------------------------------------------------------------------

@pytest.fixture
def listed(assessed, problems):
    from fupin.application import supervision

    supervision.list_regions(Scope.system(), year=2020, rows=[{"code": VILLAGE_A, "note": "市级挂牌村"}],
                             listed_by="city", target_on=clock.today() + timedelta(days=30))
    return Listing.objects.within(EVERYWHERE).get(region_code=VILLAGE_A)


def test_the_listed_area_page_shows_reasons_status_failed_conditions_and_a_chart(listed, county_user):
    html = page(as_user(county_user), LISTINGS + "?year=2020")
    assert f'data-code="{VILLAGE_A}"' in html
    assert "人工挂牌" in html and "督战中" in html and "问题未清零" in html and "距目标 30 天" in html
    options = json.loads(re.search(r'<script id="chart-options" type="application/json">(.*?)</script>', html,
                                   re.DOTALL).group(1))
    series = options["progress"]["series"]
    assert [s["name"] for s in series] == ["剩余贫困人口", "未销号问题"]
    assert series[1]["data"] == [2]  # VILLAGE_A's two open problems
    assert "echarts.min.js" in html


def test_looking_at_the_listed_areas_changes_nothing_and_shows_only_the_scope(listed, analyst_user,
                                                                            other_county_user):
    from fupin.supervision.models import Listing

    history = Listing.history.count()
    assert as_user(analyst_user).get(LISTINGS + "?year=2020").status_code == 200  # reading is enough
    assert Listing.history.count() == history  # A.3 worked out for the page, not stored
    html = page(as_user(other_county_user), LISTINGS + "?year=2020")
    assert 'data-code="' not in html


# --- language -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["village", "town", "county"])
def test_the_supervision_pages_in_chinese_have_no_english_word_or_raw_key(listed, users, role):
    client = as_user(users[role])
    problem = listed and Problem.objects.within(EVERYWHERE).get(region_code=VILLAGE_A, year=2020)
    urls = [LIST, LIST + "?state=all", f"{LIST}{problem.pk}/", REPORT + "?year=2020"]
    if role == "county":
        urls.append(LISTINGS + "?year=2020")
    names = frozenset(u.username for u in users.values())
    bad = {}
    for url in urls:
        # The page's own part (the menu is the cadre-ready crawl's, with every helper's items).
        texts = parse(re.search(r"<main>(.*)</main>", page(client, url), re.DOTALL).group(1)).texts
        found = [p for t in texts for p in problems_in_chinese(t, names)]
        found += [f"raw key {k!r}" for k in ("inspection", "rectifying", "claim", "housing") if any(k in t for t in texts)]
        if found:
            bad[url] = found
    assert not bad, bad


def test_the_supervision_pages_in_english_show_english_labels(listed, county_user):
    client = as_user(county_user, "en")
    problem = Problem.objects.within(EVERYWHERE).get(region_code=VILLAGE_A, year=2020)
    html = page(client, f"{LIST}{problem.pk}/")
    assert "inspection tour" in html and "housing safety" in html and "to claim" in html
    assert "待签收" not in html and "巡视巡察" not in html
    listings = page(client, LISTINGS + "?year=2020")
    assert "listed by hand" in listings and "problems open" in listings and "人工挂牌" not in listings


def test_the_menu_offers_the_problem_list_and_listed_supervision_to_readers_only(problems, users):
    village = page(as_user(users["village"]), "/")
    assert 'data-nav="problems"' in village and 'data-nav="listings"' in village
    analyst = page(as_user(users["analyst"]), "/")
    assert 'data-nav="problems"' in analyst and 'data-nav="listings"' in analyst
    steward = page(as_user(users["steward"]), "/monitoring/match/")
    assert 'data-nav="problems"' not in steward and 'data-nav="listings"' not in steward


# --- the county's writes from the web -------------------------------------------------------------

def _feedback_workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "问题"
    sheet.append(["问题来源", "来源文件", "责任区划", "问题类别", "问题描述", "交办日期", "整改时限"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_county_imports_inspection_feedback_from_the_page_and_gets_the_refused_rows_back(registry, county_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = _feedback_workbook([
        ["inspection", "巡视反馈意见第3条", VILLAGE_A, "housing", "两户危房未改造", "2020-03-01", "2020-06-30"],
        ["no-such-source", "x", VILLAGE_A, "housing", "描述", "2020-03-01", "2020-06-30"],
    ])
    client = as_user(county_user)
    assert 'id="ledger-import"' in page(client, LIST)
    response = client.post(reverse_import(), {"file": SimpleUploadedFile("巡视反馈.xlsx", content)})
    html = response.content.decode()
    assert response.status_code == 200 and "新增问题 1 个" in html and "退回 1 行" in html
    rejects = re.search(r'href="data:[^;]+;base64,([^"]+)"', html).group(1)
    import base64

    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(rejects)))
    assert any("问题来源无效" in str(c.value) for row in book.active.iter_rows() for c in row)
    assert Problem.objects.within(EVERYWHERE).filter(description="两户危房未改造").exists()


def reverse_import() -> str:
    return "/supervision/problems/import/"


def test_a_village_cadre_has_no_import_form_and_is_refused_the_import(registry, village_user):
    client = as_user(village_user)
    assert 'id="ledger-import"' not in page(client, LIST)
    assert client.post(reverse_import(), {}).status_code == 403


def test_county_syncs_the_data_problems_from_the_report_page(assessed, county_user):
    client = as_user(county_user)
    assert 'id="ledger-sync"' in page(client, REPORT + "?year=2020")
    html = client.post("/supervision/report/sync/", {"year": 2020}, follow=True).content.decode()
    assert "数据问题已同步" in html
    again = client.post("/supervision/report/sync/", {"year": 2020}, follow=True).content.decode()
    assert "新建 0 个" in again  # a second sync finds the same problems


def test_county_lists_an_area_by_hand_and_by_the_rules_from_the_page(assessed, county_user, village_user):
    client = as_user(county_user)
    html = page(client, LISTINGS + "?year=2020")
    assert 'id="list-by-hand"' in html and 'id="list-by-rules"' in html
    no_note = client.post("/supervision/listings/add/", {"year": 2020, "code": VILLAGE_A}, follow=True)
    assert "人工挂牌须填写说明" in no_note.content.decode()
    done = client.post("/supervision/listings/add/", {"year": 2020, "code": VILLAGE_A, "note": "市级挂牌村",
                                                       "target": "2020-12-31"}, follow=True).content.decode()
    assert "新挂牌 1 个" in done and f'data-code="{VILLAGE_A}"' in done
    by_rules = client.post("/supervision/listings/add/", {"year": 2020, "level": "village"}, follow=True)
    assert by_rules.status_code == 200 and "挂牌完成" in by_rules.content.decode()
    # A village cadre sees the listings but lists nothing.
    cadre = as_user(village_user)
    assert 'id="list-by-hand"' not in page(cadre, LISTINGS + "?year=2020")
    refused = cadre.post("/supervision/listings/add/", {"year": 2020, "code": VILLAGE_A, "note": "x"}, follow=True)
    assert "须由县级或以上进行" in refused.content.decode()
