"""The 明白卡 of a village (``spec/assistance.md`` section 5) as one PDF, one page per household.

:func:`render_village_cards` takes canonical frames, so the file variant here and the database
variant (frames from the registry's and the assistance ledger's bulk reads within a Scope) share
everything after the read. :func:`village_cards_from_file` is the file variant (``fupin card
--input``); it never imports Django.
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin import divisions
from fupin.application import assistance_files
from fupin.application import policy as policy_provider
from fupin.engine import facts
from fupin.engine.assistance import card as engine_card
from fupin.engine.assistance.rules import Ledger
from fupin.engine.policy import PolicySet
from fupin.io import card as io_card

log = logging.getLogger(__name__)
PAPERS = tuple(engine_card.PAPERS)


class CardError(ValueError):
    """A village that cannot be printed (Chinese, then English)."""


class UnknownVillage(CardError):
    pass


class NoHouseholds(CardError):
    pass


@dataclass(frozen=True)
class VillageCards:
    pdf: bytes
    count: int              # cards, one page each
    village: str            # 12-digit code
    village_name: str
    year: int
    as_of: date
    paper: str


def village_code(code: str) -> str:
    """The 12-digit village code of ``code``; UnknownVillage unless it names a village."""
    text = (code or "").strip()
    if not text.isdigit() or len(text) > 12:
        raise UnknownVillage(f"村代码应为 12 位数字：{code} (a village code is 12 digits)")
    full = divisions.pad12(text)
    if divisions.level_of(full) != "village":
        raise UnknownVillage(f"{code} 不是村级区划代码，请给出 12 位村代码 (not a village code; give the 12-digit code)")
    return full


def render_village_cards(households: pl.DataFrame, members: pl.DataFrame, ledger: Ledger, *, village: str, year: int,
                         as_of: date | None = None, paper: str = engine_card.DEFAULT_PAPER,
                         all_households: bool = False, policy: PolicySet | None = None,
                         pairings: pl.DataFrame | None = None, cadres: pl.DataFrame | None = None,
                         region_names: dict[str, str] | None = None, actor: str | None = None) -> VillageCards:
    """The cards of ``village`` from canonical frames (registry of any years, the ledger and its
    pairings and cadres — or ``pairings``/``cadres`` given apart). UnknownVillage when the code
    names no village known to the frames or the official table; NoHouseholds when none is to be printed; PolicyMissing
    when a parameter is unset. Every print is logged (who, when, which village)."""
    if paper not in engine_card.PAPERS:
        raise CardError(f"纸张应为 {'、'.join(PAPERS)}：{paper} (paper must be one of {', '.join(PAPERS)})")
    code = village_code(village)
    names = region_names if region_names is not None else dict(divisions.names())
    as_of = as_of or date(year, 12, 31)
    in_village = households.filter(pl.col("region_code") == code)
    if code not in names and in_village.height == 0:
        raise UnknownVillage(f"找不到村 {code}：区划表和登记数据中都没有这个代码 (no village {code} in the divisions or the registry)")
    name = names.get(code, code)
    of_year = in_village.filter(pl.col("year") == year)
    if of_year.height == 0:
        raise NoHouseholds(f"{name}（{code}）没有 {year} 年度的户 (no households of {year} in village {code})")
    if not all_households and of_year.filter(facts.registered() | facts.currently_monitored()).height == 0:
        raise NoHouseholds(
            f"{name}（{code}）{year} 年度没有建档立卡户或监测对象；如需为全村每户打印，请加 --all "
            f"(no registered or monitored household in {code} in {year}; add --all to print every household)")
    policy = policy or policy_provider.current()
    # Section 5: the ledger's pairings and cadres (file or database) unless given apart.
    pairings = pairings if pairings is not None else ledger.pairings
    cadres = cadres if cadres is not None else ledger.cadres
    cards = engine_card.village_cards(households, members, ledger, village=code, year=year, policy=policy,
                                      as_of=as_of, paper=paper, all_households=all_households, pairings=pairings,
                                      cadres=cadres, region_names=names)
    pdf = io_card.render_pdf(cards, paper, title=f"{name} {year}年度帮扶明白卡")
    log.info("household cards printed: village=%s year=%s as_of=%s cards=%d paper=%s by=%s", code, year, as_of, len(cards),
             paper, actor or _who())
    return VillageCards(pdf, len(cards), code, name, year, as_of, paper)


def village_cards_from_file(path, *, village: str, year: int, as_of: date | None = None, paper: str = "A5",
                            all_households: bool = False, policy: PolicySet | None = None,
                            assistance_path=None) -> VillageCards:
    """The cards of ``village`` from a registry file whose assistance sheets are in the same
    container (or ``assistance_path``). Raises ExchangeFormatError, NothingToAssess, CardError,
    PolicyMissing."""
    code = village_code(village)
    data = assistance_files.read_inputs(path, year=year, as_of=as_of, assistance_path=assistance_path)
    return render_village_cards(data.registry.households, data.registry.members, data.assistance.ledger(),
                                village=code, year=year, as_of=as_of, paper=paper, all_households=all_households,
                                policy=policy, region_names=assistance_files.region_names(data.registry))


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
