"""The 明白卡 from the database: the stored registry and assistance ledger of one village, read
within the actor's Scope, rendered by the same :func:`fupin.application.cards.render_village_cards`
as the file variant; every print is logged (who, when, which village or household)."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin import divisions
from fupin.accounts.models import SensitiveView
from fupin.accounts.scoping import Capability, Scope
from fupin.application import cards
from fupin.assistance import bulk as assistance_bulk
from fupin.engine.policy import PolicySet
from fupin.registry import bulk as registry_bulk
from fupin.registry.models import Region

VillageCards = cards.VillageCards
CardError = cards.CardError


def _names(area: Scope, village: str) -> dict[str, str]:
    names = dict(divisions.names())
    codes = {village, village[:9].ljust(12, "0"), village[:6].ljust(12, "0")}
    names.update(Region.objects.within(Scope.system()).filter(code__in=codes).values_list("code", "name"))
    return names


def village_cards(scope: Scope, policy: PolicySet, *, village: str, year: int, as_of: date | None = None,
                  paper: str = "A5", all_households: bool = False, household_id: str | None = None) -> VillageCards:
    """The cards of ``village`` (or of its one household ``household_id``) inside the scope;
    Http404 outside it, CardError for a code that is not a village or has nothing to print."""
    scope.require_to(Capability.READ)
    code = cards.village_code(village)
    area = scope.narrow(code)
    households = registry_bulk.read_households(area)
    members = registry_bulk.read_members(area)
    if household_id is not None:
        households = households.filter(pl.col("household_id") == household_id)
        members = members.filter(pl.col("household_id") == household_id)
    result = cards.render_village_cards(
        households, members, assistance_bulk.read_ledger(area, year=year), village=code, year=year, as_of=as_of,
        paper=paper, all_households=all_households or household_id is not None, policy=policy,
        region_names=_names(area, code), actor=scope.actor_name)
    # The names on a card are the household's own; the print is what the audit keeps.
    SensitiveView.objects.create(user=scope.actor, household_id=household_id or "", year=year, region_code=code,
                                 what=f"print:card×{result.count}"[:32])
    return result
