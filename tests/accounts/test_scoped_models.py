"""Scope by default: every model is read through a scope, or is declared global with a reason."""

from __future__ import annotations

import pytest
from django.apps import apps

from fupin.accounts.scoping import UNSCOPED_MODELS, Scope, UnscopedQuery, is_scoped


def test_every_model_is_scoped_or_declared_global_with_a_reason():
    undeclared = [m._meta.label for m in apps.get_models() if not is_scoped(m) and m._meta.label not in UNSCOPED_MODELS]
    assert undeclared == [], f"models neither scoped nor in scoping.UNSCOPED_MODELS: {undeclared}"


def test_no_model_is_both_scoped_and_declared_global():
    both = [m._meta.label for m in apps.get_models() if is_scoped(m) and m._meta.label in UNSCOPED_MODELS]
    assert both == []


def test_global_declarations_name_existing_models_and_give_a_reason():
    labels = {m._meta.label for m in apps.get_models()}
    assert set(UNSCOPED_MODELS) <= labels
    assert all(len(reason) > 10 for reason in UNSCOPED_MODELS.values())


def test_every_scoped_region_path_resolves_to_a_field():
    for model in apps.get_models():
        if is_scoped(model):
            path = model._default_manager.region_path
            model.objects.none().filter(**{path: "50"}).query  # noqa: B018 - raises FieldError if wrong


@pytest.mark.django_db
def test_a_query_without_a_scope_is_refused_when_evaluated():
    from fupin.registry.models import Household

    with pytest.raises(UnscopedQuery):
        list(Household.objects.filter(year=2020))
    with pytest.raises(UnscopedQuery):
        Household.objects.filter(year=2020).count()
    with pytest.raises(UnscopedQuery):
        Household.objects.filter(year=2020).exists()
    with pytest.raises(UnscopedQuery):
        Household.objects.filter(year=2020).update(hamlet="x")


@pytest.mark.django_db
def test_within_keeps_only_the_rows_under_the_scope_prefix():
    from fupin.registry.models import Region

    county = Region.objects.within(Scope.system("500101")).filter(level="town")
    assert county.exists()
    assert all(r.code.startswith("500101") for r in county)


@pytest.mark.django_db
def test_a_related_manager_of_a_scoped_object_needs_no_second_scope():
    from fupin.registry.models import Region

    town = Region.objects.within(Scope.system("500101")).filter(level="town").first()
    parent = Region.objects.within(Scope.system("500101")).get(code=town.parent_id)
    assert town in list(parent.children.all())
