"""Uploading a shocks file (冲击事件 / 受灾户) on the shock events page: a county imports it through the
application layer and gets the counts and its refused rows back as a workbook to fix and upload
again; rows outside its region are refused; wrong, broken or oversized files get a Chinese error,
never a traceback; only users who may import see the form or may post it."""

from __future__ import annotations

import base64
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fupin.accounts.scoping import Scope
from fupin.monitoring.models import ShockEvent, ShockHousehold
from fupin.web.forms import shocks as shock_forms
from tests.application.test_shocks import (  # noqa: F401 — fixture
    AFFECTED,
    EVENTS,
    shock_registry,
    shock_workbook,
)

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _upload(client, path, name=None):
    data = path.read_bytes() if hasattr(path, "read_bytes") else path
    file = SimpleUploadedFile(name or path.name, data)
    return client.post(reverse("web:shock_import"), {"file": file}, follow=True, **ZH)


def _cell(html: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}"[^>]*>(\d+)<', html)
    assert match, element_id
    return int(match.group(1))


def _rejects(html: str) -> openpyxl.Workbook:
    match = re.search(r'id="shock-import-rejects"[^>]*href="data:[^;]+;base64,([^"]+)"', html)
    assert match, "no rejects workbook on the page"
    return openpyxl.load_workbook(io.BytesIO(base64.b64decode(match.group(1))))


def test_county_uploads_the_workbook_and_sees_the_counts(client, users, shock_registry, tmp_path):  # noqa: F811
    client.force_login(users["county"])
    response = _upload(client, shock_workbook(tmp_path / "洪灾.xlsx"))
    page = response.content.decode()
    assert response.status_code == 200 and "冲击事件文件已导入" in page and "洪灾.xlsx" in page
    assert (_cell(page, "events-created"), _cell(page, "households-created"), _cell(page, "rows-refused")) == (2, 5, 0)
    assert 'id="shock-import-rejects"' not in page
    county = Scope.of(users["county"])
    assert ShockEvent.objects.within(county).count() == 2
    assert ShockHousehold.objects.within(county).count() == 5
    again = _upload(client, shock_workbook(tmp_path / "again.xlsx")).content.decode()
    assert (_cell(again, "events-created"), _cell(again, "households-created"), _cell(again, "households-updated")) \
        == (0, 0, 0)


def test_rows_outside_the_region_come_back_in_a_workbook_that_loads_once_fixed(client, users, shock_registry,  # noqa: F811
                                                                               tmp_path):
    """S01/S02 from the web: an event over another county and a household of another county are
    refused with their reasons; a bad type too; fixed in the downloaded workbook, it loads."""
    events = [*EVENTS, ["E3", "冰雹", "冰雹", "500101", "2023-05-01", ""],
              ["E4", "涪陵洪灾", "洪涝", "500102", "2023-07-01", ""]]
    affected = [*AFFECTED, ["E1", "H9", "房屋损毁", "100", ""]]
    client.force_login(users["county"])
    page = _upload(client, shock_workbook(tmp_path / "s.xlsx", events, affected)).content.decode()
    assert _cell(page, "rows-refused") == 3 and "退回行数" in page
    book = _rejects(page)
    reasons = {ws.title: [row[-2] for row in ws.iter_rows(min_row=2, values_only=True)] for ws in book}
    assert any("超出您的管辖范围" in r for r in reasons["冲击事件"])
    assert any("H9 在登记册" in r for r in reasons["受灾户"])
    assert not ShockEvent.objects.unscoped("test").filter(event_id="E4").exists()
    # The user fixes the type of E3 in the workbook and uploads it again: E3 loads, the others stay refused.
    sheet = book["冲击事件"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "E3":
            row[2].value = "气象灾害"
    fixed = io.BytesIO()
    book.save(fixed)
    again = _upload(client, fixed.getvalue(), "shocks.rejects.xlsx").content.decode()
    assert _cell(again, "events-created") == 1 and _cell(again, "rows-refused") == 2
    assert ShockEvent.objects.within(Scope.of(users["county"])).filter(event_id="E3", type="气象灾害").exists()


def test_a_household_outside_its_events_area_loads_with_the_b18_count(client, users, shock_registry, tmp_path):  # noqa: F811
    client.force_login(users["county"])
    page = _upload(client, shock_workbook(tmp_path / "s.xlsx", affected=[*AFFECTED, ["E2", "H4", "其他", "", ""]])
                   ).content.decode()
    assert _cell(page, "outside-area-count") == 1 and "B18" in page
    rows = page[page.index('id="outside-area-rows"'):]
    assert "H4" in rows[:rows.index("</table>")] and "E2" in rows[:rows.index("</table>")]   # which one, not only how many
    assert ShockHousehold.objects.within(Scope.of(users["county"])).filter(event__event_id="E2",
                                                                          household_id="H4").exists()


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("notes.pdf", b"%PDF-1.4 not a shocks file", "请选择冲击事件工作簿（.xlsx）或 .csv 文件"),
    ("broken.xlsx", b"PK\x03\x04 this is not a workbook" * 10, "broken.xlsx"),
    ("empty.csv", "名称,说明\n甲,乙\n".encode(), "事件编号"),
])
def test_a_wrong_or_broken_file_gets_a_chinese_error_and_no_traceback(client, users, shock_registry, name, data,  # noqa: F811
                                                                      expected):
    client.force_login(users["county"])
    response = _upload(client, data, name)
    page = response.content.decode()
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("web:shocks")
    assert expected in page and "Traceback" not in page
    assert ShockEvent.objects.unscoped("test").count() == 0


def test_an_upload_over_the_size_limit_is_refused(client, users, shock_registry, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(shock_forms, "MAX_UPLOAD_BYTES", 2048)
    client.force_login(users["county"])
    response = _upload(client, b"x" * 10_000, "big.csv")
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("web:shocks")
    assert "文件超过" in page and "拆分" in page
    assert ShockEvent.objects.unscoped("test").count() == 0


def test_only_users_who_may_import_see_the_form_or_may_post(client, users, shock_registry, tmp_path):  # noqa: F811
    client.force_login(users["county"])
    assert 'id="shock-import"' in client.get(reverse("web:shocks"), **ZH).content.decode()
    for role in ("village", "town", "analyst"):
        client.force_login(users[role])
        assert 'id="shock-import"' not in client.get(reverse("web:shocks")).content.decode()
        file = SimpleUploadedFile("s.xlsx", shock_workbook(tmp_path / f"{role}.xlsx").read_bytes())
        assert client.post(reverse("web:shock_import"), {"file": file}).status_code == 403
    assert ShockEvent.objects.unscoped("test").count() == 0


def test_the_upload_still_checks_the_csrf_token(users, shock_registry, tmp_path):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["county"])
    file = SimpleUploadedFile("s.xlsx", shock_workbook(tmp_path / "s.xlsx").read_bytes())
    assert client.post(reverse("web:shock_import"), {"file": file}).status_code == 403
    assert ShockEvent.objects.unscoped("test").count() == 0
