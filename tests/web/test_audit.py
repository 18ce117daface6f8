"""Admins read the log of sensitive views and downloads; the change history masks personal data."""

from __future__ import annotations

import pytest

from tests.regions import VILLAGE_A
from tests.web.web_helpers import YEAR

pytestmark = pytest.mark.django_db


def test_a_reveal_appears_in_the_admins_access_log(registry, client, village_user, admin_user):
    client.force_login(village_user)
    assert client.post(f"/households/H1/{YEAR}/reveal/").status_code == 200
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert "cadre_a" in page and "H1" in page and VILLAGE_A in page and "id_number,phone" in page


@pytest.mark.parametrize("role", ["village_user", "county_user", "analyst_user"])
def test_only_administrators_open_the_access_log(registry, client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/audit/").status_code == 403


def test_change_history_masks_phones_and_hides_health_from_a_read_only_role(registry, client, village_user,
                                                                          analyst_user):
    from fupin.accounts.scoping import Scope
    from fupin.application import registry as registry_use_cases
    from fupin.registry.models import Household, Member
    from tests.scopes import EVERYWHERE

    h = Household.objects.within(EVERYWHERE).get(household_id="H1")
    registry_use_cases.edit_household(Scope.of(village_user), h.pk, {"phone": "13911112222"}, version=h.version)
    m = Member.objects.within(EVERYWHERE).get(household_key="H1", relationship="户主")
    registry_use_cases.edit_member(Scope.of(village_user), m.pk, {"health": "患有大病"}, version=m.version)
    client.force_login(analyst_user)
    page = client.get("/households/H1/").content.decode()
    assert "13911112222" not in page and "13812345678" not in page and "1391***2222" in page
    assert "患有大病" not in page and "（已隐藏）" in page
    client.force_login(village_user)
    page = client.get("/households/H1/").content.decode()
    assert "13911112222" not in page and "患有大病" in page
