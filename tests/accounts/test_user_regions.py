"""A user's region must be an official division at the level of the role's work."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Role
from fupin.accounts.services import AccountError, create_user

pytestmark = pytest.mark.django_db
PASSWORD = "a-Good-passw0rd-for-tests"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_region_code_that_is_no_division_is_refused():
    with pytest.raises(AccountError, match="不存在"):
        create_user("c", Role.COUNTY, "509999", PASSWORD)


def test_village_user_of_a_village_whose_town_does_not_exist_is_refused():
    with pytest.raises(AccountError, match="不存在"):
        create_user("v", Role.VILLAGE, "500101999201", PASSWORD)


def test_town_role_on_a_village_code_is_refused():
    with pytest.raises(AccountError, match="乡镇级"):
        create_user("t", Role.TOWN, "500101102201", PASSWORD)


def test_village_role_on_a_county_code_is_refused():
    with pytest.raises(AccountError, match="村级"):
        create_user("v", Role.VILLAGE, "500101", PASSWORD)


def test_county_role_without_region_is_refused():
    with pytest.raises(AccountError):
        create_user("c", Role.COUNTY, "", PASSWORD)


def test_analyst_may_cover_a_province_or_the_whole_country():
    assert create_user("a", Role.ANALYST, "50", PASSWORD).region == "50"
    assert create_user("b", Role.ANALYST, "", PASSWORD).region == ""


def test_each_working_role_at_its_own_level_is_accepted():
    assert create_user("v", Role.VILLAGE, "500101102201", PASSWORD).region == "500101102201"
    assert create_user("t", Role.TOWN, "500101102000", PASSWORD).region == "500101102"
    assert create_user("c", Role.COUNTY, "500101", PASSWORD).region == "500101"
