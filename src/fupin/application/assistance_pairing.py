"""Use cases of cadres, pairings and visits (spec/assistance.md 1.5–1.7, R5, R6; issue 13 item 1).

* :func:`my_households` — 我的帮扶户: the households paired with the signed-in user's cadre
  record, with R6's status, overdue first.
* :func:`record_visit` — one visit from the phone page or the API, through the import's checks;
  a visit that finds a hardship raises a monitoring lead in the same step
  (:func:`fupin.application.monitoring.record_cadre_lead`).
* :func:`overdue_by_cadre` — town and county: R5's cadre rows (load, limit, overdue) and R6's
  overdue households, for the page and its Excel download.
* :func:`cadre_households` — the API's GET /api/cadres/{id}/households and the cadre's page.
* :func:`link_account` — the county links a cadre record to the account that signs in as him.

R5/R6 are :func:`fupin.engine.assistance.rules.evaluate`'s (through ``assistance.stored_inputs``):
the page, the API, ``fupin assist coverage --db`` and the file run share one definition.
Which cadre a user is: ``Cadre.user``, else the cadre whose 责任人编号 is the username
(:func:`fupin.assistance.selectors.cadre_of_user`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from django.db import transaction
from django.db.models import Max

from fupin.accounts.scoping import Capability, Scope
from fupin.application import assistance_files as reports
from fupin.application import monitoring as monitoring_use
from fupin.application.assistance import household_region, stored_inputs
from fupin.application.files import NothingToAssess
from fupin.assistance import bulk as ledger_store
from fupin.assistance import selectors, services
from fupin.assistance.models import Cadre
from fupin.engine.assistance import pairing as P
from fupin.engine.policy import PolicySet
from fupin.monitoring.intake import IntakeError
from fupin.registry.models import Household, Member

__all__ = ["CadreHouseholds", "OverdueReport", "VisitRecorded", "cadre_households", "link_account",
           "may_link", "my_households", "overdue_by_cadre", "record_visit", "visits_of"]

ROW_SCHEMA = {"household_id": pl.String, "region_code": pl.String, "hamlet": pl.String, "head_name": pl.String,
              "group": pl.String, "max_days": pl.Int32, "last_visit": pl.Date, "days_since": pl.Int32,
              "status": pl.String, "cadres": pl.String}


@dataclass
class CadreHouseholds:
    cadre: Cadre | None
    year: int | None
    as_of: date
    rows: list[dict] = field(default_factory=list)   # ROW_SCHEMA, overdue first

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "overdue")


def newest_year(scope: Scope, on: date) -> int | None:
    """The newest stored snapshot year not after ``on``'s year (the registry the page stands on)."""
    return Household.objects.within(scope).filter(year__lte=on.year).aggregate(y=Max("year"))["y"]


def _visit_rows(scope: Scope, policy: PolicySet, *, year: int, as_of: date, region: str | None = None):
    """R5/R6 over the stored ledger of the scope: (outcome, households with hamlet and head)."""
    data = stored_inputs(scope, year=year, region=region)
    outcome = reports.evaluate(policy, data, year=year, as_of=as_of)
    return outcome


def _rows_for(outcome, household_ids: list[str]) -> list[dict]:
    if outcome.visit is None or not household_ids:
        return []
    wanted = pl.DataFrame({"household_id": household_ids}, schema={"household_id": pl.String})
    r5 = outcome.pairing.join(wanted, on="household_id", how="semi").select("household_id", "region_code")
    r6 = outcome.visit.select("household_id", "group", "max_days", "last_visit", "days_since", "status", "cadres")
    rows = (r5.join(r6, on="household_id", how="left")
            .join(outcome.households.select("household_id", "hamlet", "head_name"), on="household_id", how="left")
            .with_columns(status=pl.col("status").fill_null("unpaired"))
            .with_columns(_o=pl.col("status").replace_strict({"overdue": 0, "ok": 1}, default=2, return_dtype=pl.Int8))
            .sort("_o", pl.col("days_since").fill_null(-1), "household_id", descending=[False, True, False]))
    return rows.select(list(ROW_SCHEMA)).cast(ROW_SCHEMA).to_dicts()


def my_households(scope: Scope, policy: PolicySet, user, *, as_of: date | None = None) -> CadreHouseholds:
    """The households paired with the user's cadre record (active on as_of, inside the scope),
    overdue first; an empty result when the user is no cadre."""
    scope.require_to(Capability.READ)
    as_of = as_of or date.today()
    cadre = selectors.cadre_of_user(user)
    if cadre is None:
        return CadreHouseholds(None, None, as_of)
    return _households_of(scope, policy, cadre, as_of)


def _households_of(scope: Scope, policy: PolicySet, cadre: Cadre, as_of: date) -> CadreHouseholds:
    year = newest_year(scope, as_of)
    if year is None:
        return CadreHouseholds(cadre, None, as_of)
    pairs = ledger_store.read_table(scope, "pairings").filter(pl.col("cadre_id") == cadre.cadre_id)
    active = P.effective_pairings(pairs, pl.DataFrame({"cadre_id": [cadre.cadre_id], "left_on": [cadre.left_on]},
                                                      schema={"cadre_id": pl.String, "left_on": pl.Date})
                                  ).filter(P.active_on(as_of)).collect()
    ids = sorted(set(active["household_id"].to_list()))
    if not ids:
        return CadreHouseholds(cadre, year, as_of)
    try:
        outcome = _visit_rows(scope, policy, year=year, as_of=as_of)
    except NothingToAssess:
        return CadreHouseholds(cadre, year, as_of)
    return CadreHouseholds(cadre, year, as_of, _rows_for(outcome, ids))


def cadre_households(scope: Scope, policy: PolicySet, cadre_pk: int, *, as_of: date | None = None) -> CadreHouseholds:
    """A cadre's households inside the scope (404 for a cadre the scope does not see)."""
    scope.require_to(Capability.READ)
    return _households_of(scope, policy, selectors.cadre_in_scope(scope, cadre_pk), as_of or date.today())


def may_link(scope: Scope, cadre: Cadre) -> bool:
    """Who links a cadre to an account: the office that imports cadres (capability IMPORT) and
    holds the cadre's record (imported inside its region)."""
    return scope.can(Capability.IMPORT) and scope.contains(cadre.region_code)


def link_account(scope: Scope, cadre_pk: int, username: str) -> Cadre:
    """Link (or, with an empty name, unlink) the cadre's sign-in account; raises
    :class:`fupin.assistance.services.LinkRefused` with the reason."""
    scope.require_to(Capability.IMPORT)
    cadre = selectors.cadre_in_scope(scope, cadre_pk)
    if not scope.contains(cadre.region_code):
        raise services.LinkRefused("该帮扶责任人由其他地区导入，请由导入单位关联账号 "
                                   "(the cadre was imported by another region; it links the account)")
    services.link_cadre_account(scope, cadre, username)
    return cadre


@dataclass
class VisitRecorded:
    visit: object | None
    errors: dict[str, str]
    lead_id: int | None = None


def _head(scope: Scope, household_id: str) -> tuple[str, str] | None:
    """(name, ID number) of the household's head in its newest snapshot (the lead's subject)."""
    snapshot = Household.objects.within(scope).filter(household_id=household_id).order_by("-year").first()
    if snapshot is None:
        return None
    head = (Member.objects.within(scope).filter(household_key=household_id, year=snapshot.year)
            .filter(relationship="户主").order_by("id").first())
    return (head.name, head.id_number) if head and head.id_number else None


def record_visit(scope: Scope, policy: PolicySet, household_id: str, data: dict[str, str], *, user=None,
                 hardship_type: str = "", today: date | None = None) -> VisitRecorded:
    """One visit of a household (404 outside the scope, then EDIT). The visitor is the user's
    cadre record (责任人编号), else the user's name as 走访人. With ``found_problem`` and a
    ``hardship_type`` a monitoring lead is raised for the household's head in the same
    transaction (all or nothing)."""
    region = household_region(scope, household_id)
    scope.require_to(Capability.EDIT)
    data = dict(data)
    cadre = selectors.cadre_of_user(user) if user is not None else None
    if cadre is not None:
        data["cadre_id"] = cadre.cadre_id
    elif not data.get("cadre_id") and not data.get("visitor"):
        data["visitor"] = (user.get_full_name() or user.get_username()) if user is not None else ""
    known = frozenset([data["cadre_id"]]) if data.get("cadre_id") and Cadre.objects.unscoped(
        "a 责任人编号 is country-wide: A06 asks whether it exists").filter(cadre_id=data["cadre_id"]).exists() \
        else frozenset()
    found = str(data.get("found_problem") or "").strip() in ("是", "true", "True", "1", "on", "yes")
    with transaction.atomic():
        lead_id = None
        if found and hardship_type:
            head = _head(scope, household_id)
            if head is None:
                return VisitRecorded(None, {"hardship_type": "该户没有户主证件号码，无法登记监测线索；请先补全户主信息"})
            try:
                lead = monitoring_use.record_cadre_lead(
                    scope, policy, village_code=region, name=head[0], id_number=head[1], hardship_type=hardship_type,
                    text=str(data.get("problem") or "走访发现困难"))
            except IntakeError as exc:
                return VisitRecorded(None, {"hardship_type": str(exc)})
            lead_id = lead.pk
        outcome = services.record_visit(scope, household_id, region, data, known_cadres=known, today=today,
                                        lead_id=lead_id)
        if outcome.errors:
            transaction.set_rollback(True)
            return VisitRecorded(None, outcome.errors)
    return VisitRecorded(outcome.visit, {}, lead_id)


def visits_of(scope: Scope, household_id: str, limit: int = 50) -> list:
    """The household's visits inside the scope, newest first (404 for a household outside it)."""
    household_region(scope, household_id)
    scope.require_to(Capability.READ)
    return list(selectors.visits_of(scope, household_id, limit))


@dataclass
class OverdueReport:
    year: int | None
    as_of: date
    region: str
    cadres: pl.DataFrame      # P.CADRE_SCHEMA: load, limit, over, overdue — overdue first
    overdue: pl.DataFrame     # ROW_SCHEMA of the overdue households
    by_unit: pl.DataFrame     # unit, cadres, households, overdue


def overdue_by_cadre(scope: Scope, policy: PolicySet, *, region: str | None = None, as_of: date | None = None,
                     year: int | None = None) -> OverdueReport:
    """Town and county: overdue visits by cadre and unit (R5's cadre rows, R6's overdue list)."""
    area = scope.narrow(region)
    area.require_to(Capability.READ)
    as_of = as_of or date.today()
    year = year or newest_year(area, as_of)
    empty = OverdueReport(year, as_of, area.prefix, pl.DataFrame(schema=P.CADRE_SCHEMA),
                          pl.DataFrame(schema=ROW_SCHEMA), pl.DataFrame(schema=BY_UNIT_SCHEMA))
    if year is None:
        return empty
    try:
        outcome = _visit_rows(scope, policy, year=year, as_of=as_of, region=region)
    except NothingToAssess:
        return empty
    if outcome.cadre_load is None:
        return empty
    cadres = outcome.cadre_load.sort(["overdue", "households", "cadre_id"], descending=[True, True, False])
    cadres = cadres.with_columns(cadre_pk=pl.col("cadre_id").replace_strict(
        selectors.cadre_pks(cadres["cadre_id"].to_list()), default=None, return_dtype=pl.Int64))
    overdue_ids = outcome.visit.filter(pl.col("status") == "overdue")["household_id"].to_list()
    rows = pl.DataFrame(_rows_for(outcome, overdue_ids), schema=ROW_SCHEMA)
    by_unit = (cadres.group_by("unit").agg(cadres=pl.len().cast(pl.Int32), households=pl.col("households").sum(),
                                            overdue=pl.col("overdue").sum())
               .sort(["overdue", "unit"], descending=[True, False]).cast(BY_UNIT_SCHEMA))
    return OverdueReport(year, as_of, area.prefix, cadres, rows, by_unit)


BY_UNIT_SCHEMA = {"unit": pl.String, "cadres": pl.Int32, "households": pl.Int32, "overdue": pl.Int32}

