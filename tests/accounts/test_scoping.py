"""The one scoping layer: a scope sees only what lies under its region prefix."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.models import Role
from fupin.accounts.scoping import Scope, prefix_range
from fupin.accounts.services import (
    AccountError,
    create_user,
    issue_token,
    normalize_scope,
    user_for_token,
)

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Correct-Horse-42"


def test_scope_of_county_code_is_its_six_digit_prefix():
    assert normalize_scope("500101000000") == "500101"
    assert normalize_scope("500101102201") == "500101102201"
    assert normalize_scope("") == ""


def test_malformed_scope_is_refused():
    with pytest.raises(AccountError):
        normalize_scope("50a1")


def test_weak_password_is_refused():
    with pytest.raises(AccountError):
        create_user("cadre", Role.VILLAGE, "500101102201", "12345678")


def test_within_keeps_only_regions_under_the_users_prefix():
    from fupin.registry.models import Region

    user = create_user("town1", Role.TOWN, "500101102000", GOOD_PASSWORD)
    codes = set(Region.objects.within(Scope.of(user)).values_list("code", flat=True))
    assert codes == {"500101102000"}


def test_narrow_refuses_a_region_above_the_scope():
    scope = Scope.of(create_user("cadre", Role.VILLAGE, "500101102201", GOOD_PASSWORD))
    with pytest.raises(Http404):
        scope.narrow("500101")
    assert scope.narrow("500101102201").prefix == "500101102201"


def test_narrow_refuses_a_neighbouring_region_and_accepts_one_below():
    county = Scope.system("500101")
    with pytest.raises(Http404):
        county.narrow("500102")
    assert county.narrow("500101102000").prefix == "500101102"


def test_anonymous_user_has_no_scope():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        Scope.of(AnonymousUser())


def test_inactive_user_has_no_scope():
    user = create_user("gone", Role.COUNTY, "500101", GOOD_PASSWORD)
    user.is_active = False
    with pytest.raises(PermissionDenied):
        Scope.of(user)


def test_roles_decide_what_a_scope_may_do():
    analyst = Scope.of(create_user("an", Role.ANALYST, "50", GOOD_PASSWORD))
    steward = Scope.of(create_user("st", Role.STEWARD, "500101", GOOD_PASSWORD))
    assert not analyst.can_edit and not analyst.can_run_jobs and analyst.can_see_policy
    assert steward.can_run_jobs and not steward.can_edit and not steward.can_see_sensitive
    assert Scope.system().can_edit and Scope.system().can_run_jobs


def test_prefix_range_of_a_prefix_of_nines_has_no_upper_bound():
    assert prefix_range("code", "99") == {"code__gte": "99"}
    assert prefix_range("code", "500101") == {"code__gte": "500101", "code__lt": "500102"}


def test_token_is_stored_only_as_a_digest_and_finds_its_user():
    from fupin.accounts.models import ApiToken

    user = create_user("county", Role.COUNTY, "500101", GOOD_PASSWORD)
    token = issue_token("county")
    assert not ApiToken.objects.filter(digest=token).exists()
    assert user_for_token(token) == user
    assert user_for_token(token + "x") is None
