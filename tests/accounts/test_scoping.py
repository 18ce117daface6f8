"""The one scoping layer: a user sees only what lies under the region prefix."""

from __future__ import annotations

import pytest
from django.http import Http404

from fupin.accounts import scoping
from fupin.accounts.models import Role
from fupin.accounts.services import AccountError, create_user, issue_token, normalize_scope, user_for_token

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


def test_restrict_keeps_only_regions_under_the_users_prefix():
    from fupin.registry.models import Region

    user = create_user("town1", Role.TOWN, "500101102000", GOOD_PASSWORD)
    codes = set(scoping.restrict(Region.objects.all(), user).values_list("code", flat=True))
    assert codes == {"500101102000"}


def test_require_region_refuses_a_region_above_the_scope():
    user = create_user("cadre", Role.VILLAGE, "500101102201", GOOD_PASSWORD)
    with pytest.raises(Http404):
        scoping.require_region(user, "500101")
    assert scoping.require_region(user, "500101102201") == "500101102201"


def test_anonymous_user_sees_nothing():
    from django.contrib.auth.models import AnonymousUser

    from fupin.registry.models import Region

    assert scoping.restrict(Region.objects.all(), AnonymousUser()).count() == 0


def test_model_without_region_path_cannot_be_scoped_by_accident():
    from fupin.accounts.models import ApiToken

    with pytest.raises(LookupError):
        scoping.restrict(ApiToken.objects.all(), None)


def test_token_is_stored_only_as_a_digest_and_finds_its_user():
    from fupin.accounts.models import ApiToken

    user = create_user("county", Role.COUNTY, "500101", GOOD_PASSWORD)
    token = issue_token("county")
    assert not ApiToken.objects.filter(digest=token).exists()
    assert user_for_token(token) == user
    assert user_for_token(token + "x") is None
