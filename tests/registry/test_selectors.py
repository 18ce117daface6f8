"""Reads of the registry within a scope."""

from __future__ import annotations

import pytest

from fupin.accounts.scoping import Scope
from fupin.registry import selectors
from tests.fupin_testdata import load, synth_frames
from tests.regions import COUNTY, OTHER_COUNTY, TOWN

pytestmark = pytest.mark.django_db


def test_village_picker_lists_each_village_once_named_with_its_town(db):
    load(*synth_frames(60, TOWN))
    load(*synth_frames(30, COUNTY, seed=3))
    load(*synth_frames(20, OTHER_COUNTY, seed=2))
    villages = selectors.villages(Scope.system(COUNTY))
    codes = [code for code, _label in villages]
    assert len(codes) == len(set(codes)) and codes == sorted(codes)
    assert all(code.startswith(COUNTY) and len(code) == 12 for code in codes)
    labels = dict(villages)
    assert any(label.startswith("龙沙镇 · ") for code, label in labels.items() if code.startswith(TOWN))
    assert len({label.split(" · ")[0] for label in labels.values()}) > 1  # villages of several towns


def test_village_picker_of_a_village_cadre_is_their_village(db, village_user):
    load(*synth_frames(60, TOWN))
    assert [code for code, _ in selectors.villages(Scope.of(village_user))] == [village_user.region]
