"""What a rule is: a key with Chinese and English labels, its spec section and its expression."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One named rule of ``spec/rules.md`` (or of the policy texts it cites).

    ``kind``: indicator | risk | category | elimination | flag | quality | trigger.
    ``expression`` builds the rule's Polars expression (None for labels-only entries such as the
    ``none`` category, and for Q01/Q02, which the ID parser decides).
    """

    key: str
    kind: str
    zh: str
    en: str
    section: str
    expression: Callable[[], pl.Expr] | None = None


@dataclass(frozen=True)
class Finding:
    """One way a check can fire: the rows it selects, its messages, the field it points at."""

    condition: Callable[[], pl.Expr]
    message_zh: Callable[[], pl.Expr]
    message_en: Callable[[], pl.Expr]
    field: str | None = None
    value: Callable[[], pl.Expr] | None = None


@dataclass(frozen=True)
class Check(Rule):
    """A data-quality check (section 5) over the rows of ``table`` (members or households, as
    prepared by :mod:`fupin.engine.rules.checks`). Most checks have one :class:`Finding`; a check
    with several (Q26: household size, per-capita income) reports each one that fires.
    ``expression`` is any of them."""

    severity: str = ERROR
    table: str = "households"
    field: str | None = None
    findings: tuple[Finding, ...] = ()
    needs_assessment: bool = False


@dataclass(frozen=True)
class Trigger(Rule):
    """A department's screening trigger (department matching): ``measures`` aggregates one
    household's matched rows (given the columns the file has), ``expression`` is the lead
    condition over those measures and the household's registry and policy columns,
    ``evidence`` the columns kept with the lead, ``parameters`` the policy values it reads."""

    measures: Callable[[set[str]], list[pl.Expr]] | None = None
    evidence: Callable[[], list[pl.Expr]] | None = None
    parameters: tuple[str, ...] = ()
