"""Use cases of shocks (assistance.md 1.12–1.13, R8): import events and their affected households,
turn an event into sudden-hardship leads, and the figures of an event's page.

An event may cover a wider area than the user's (a province-wide epidemic): its name, type and
dates are not personal and are shown to every region it touches; its households, the counts and
the leads stay inside the user's scope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from fupin.accounts.scoping import Capability, Scope
from fupin.assistance import bulk as assistance_bulk
from fupin.engine import shocks as engine
from fupin.engine.policy import PolicySet
from fupin.io import shocks as shock_io
from fupin.io.errors import ExchangeFormatError
from fupin.monitoring import clock, intake
from fupin.monitoring.models import Channel, Lead, Purpose, ShockEvent, ShockHousehold
from fupin.registry import bulk

ShockFileError = ExchangeFormatError


class ShockRefused(ValueError):
    """A request on shocks that cannot be done; the message is Chinese + English."""


@dataclass
class ShockImport:
    events_created: int = 0
    events_updated: int = 0
    households_created: int = 0
    households_updated: int = 0
    rejected: int = 0
    outside_area: int = 0   # B18 (warning): loaded households outside their event's 区划范围
    rejects_path: Path | None = None
    # B18, one row per loaded household outside its event's 区划范围 (engine.OUTSIDE_SCHEMA + sheet, row).
    findings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema=engine.OUTSIDE_SCHEMA | {"sheet": pl.String, "row": pl.Int64}))
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class ShockLeads:
    event_id: str
    year: int
    created: int = 0
    existing: int = 0
    ineligible: int = 0
    no_snapshot: int = 0
    rows: pl.DataFrame | None = None   # R8's columns, one row per listed household of the scope


def visible_events(scope: Scope):
    """The events whose area overlaps the scope: inside it, or covering it."""
    prefix = scope.prefix
    covering = [prefix[:n] for n in range(len(prefix) + 1)]
    return ShockEvent.objects.unscoped("an event over a wider area concerns every region inside it").filter(
        Q(region_prefix__startswith=prefix) | Q(region_prefix__in=covering))


def event_of(scope: Scope, event_id: str) -> ShockEvent:
    event = visible_events(scope).filter(event_id=event_id).first()
    if event is None:
        raise Http404(f"冲击事件 {event_id} 不存在或不在您的管辖范围内 (no event {event_id} in your region)")
    return event


def _error(sheet_rows: pl.DataFrame, column: str, value: pl.Expr, zh: pl.Expr, en: pl.Expr) -> pl.DataFrame:
    return sheet_rows.select("_sheet", pl.col("_row").cast(pl.Int64), column=pl.lit(column),
                             value=value.cast(pl.String), message_zh=zh, message_en=en).cast(shock_io.ERROR_SCHEMA)


def import_shocks(scope: Scope, path, rejects_path=None) -> ShockImport:
    """Load events and affected households (idempotent by 事件编号 and (事件编号, 户编号)); every row
    that cannot load comes back in the rejects workbook with why. An event must lie inside the
    importer's region; an affected household must be one of the registry's inside it."""
    scope.require_to(Capability.IMPORT)
    shock_file = shock_io.read_shocks(path)
    out = ShockImport(unknown_columns=shock_file.unknown_columns)
    events = shock_file.events.with_columns(
        inside=pl.col("regions").str.split(";").list.eval(pl.element().str.starts_with(scope.prefix)).list.all())
    outside = events.filter(~pl.col("inside"))
    theirs = set(ShockEvent.objects.unscoped("an event id is unique country-wide").filter(
        event_id__in=events["event_id"].to_list()).exclude(region_prefix__startswith=scope.prefix)
        .values_list("event_id", flat=True)) if scope.prefix else set()
    foreign = events.filter(pl.col("inside") & pl.col("event_id").is_in(list(theirs)))
    event_errors = [
        _error(outside, "区划范围", pl.col("regions"), pl.lit(f"区划范围超出您的管辖范围 {scope.prefix}"),
               pl.lit(f"区划范围 lies outside your region {scope.prefix}")),
        _error(foreign, "事件编号", pl.col("event_id"), pl.lit("该事件编号已由其他地区登记，不能修改"),
               pl.lit("this event id belongs to another region's event")),
    ]
    events = events.filter(pl.col("inside") & ~pl.col("event_id").is_in(list(theirs)))
    if shock_io.EVENTS in shock_file.errors:
        shock_file.errors[shock_io.EVENTS] = pl.concat([shock_file.errors[shock_io.EVENTS], *event_errors])

    with transaction.atomic():
        existing = {e.event_id: e for e in ShockEvent.objects.within(scope).filter(
            event_id__in=events["event_id"].to_list())}
        new, changed = [], []
        for row in events.iter_rows(named=True):  # events are few (one per disaster), not per household
            values = {"name": row["name"], "type": row["type"], "regions": row["regions"],
                          "region_prefix": os.path.commonprefix(row["regions"].split(";"))[:12],
                          "start_date": row["start_date"], "end_date": row["end_date"]}
            event = existing.get(row["event_id"])
            if event is None:
                new.append(ShockEvent(event_id=row["event_id"], **values))
            elif any(getattr(event, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(event, k, v)
                changed.append(event)
        if new:
            bulk_create_with_history(new, ShockEvent)
        if changed:
            bulk_update_with_history(changed, ShockEvent, ["name", "type", "regions", "region_prefix", "start_date",
                                                           "end_date"])
        out.events_created, out.events_updated = len(new), len(changed)
        out.households_created, out.households_updated, found = _load_households(scope, shock_file)
        if found is not None:
            out.findings = found.rename({"_sheet": "sheet", "_row": "row"}).cast({"row": pl.Int64})
        out.outside_area = out.findings.height
    out.rejected = shock_file.rejected
    if out.rejected and rejects_path:
        shock_io.write_rejects(shock_file, rejects_path)
        out.rejects_path = Path(rejects_path)
    return out


def _load_households(scope: Scope, shock_file: shock_io.ShockFile) -> tuple[int, int, pl.DataFrame | None]:
    """(created, updated, B18 findings of the loaded rows)."""
    rows = shock_file.households
    if rows.height == 0:
        return 0, 0, None
    events = {e.event_id: e for e in visible_events(scope).filter(event_id__in=rows["event_id"].unique().to_list())}
    known = pl.DataFrame({"event_id": list(events), "year": [e.start_date.year for e in events.values()]},
                         schema={"event_id": pl.String, "year": pl.Int32})
    # The household's village: its row of the event's year, else its latest row (R8 then says no_snapshot).
    keys = bulk.read_household_keys(scope).sort("year")
    rows = rows.join(known, on="event_id", how="left")
    same_year = keys.select("household_id", "year", region_same="region_code")
    latest = keys.group_by("household_id").agg(region_latest=pl.col("region_code").last())
    rows = (rows.join(same_year, on=["household_id", "year"], how="left").join(latest, on="household_id", how="left")
            .with_columns(region_code=pl.coalesce("region_same", "region_latest")))
    no_event = rows.filter(pl.col("year").is_null())
    no_household = rows.filter(pl.col("year").is_not_null() & pl.col("region_code").is_null())
    errors = [
        _error(no_event, "事件编号", pl.col("event_id"),
               pl.format("事件编号 {} 不在冲击事件表中，也未导入过（或不在您的管辖范围内）", pl.col("event_id")),
               pl.format("event {} is neither in the file nor imported (or outside your region)", pl.col("event_id"))),
        _error(no_household, "户编号", pl.col("household_id"),
               pl.format("户编号 {} 在登记册（您的管辖范围内）中找不到", pl.col("household_id")),
               pl.format("household {} is not in the registry of your region", pl.col("household_id"))),
    ]
    table = shock_io.HOUSEHOLDS
    shock_file.errors[table] = pl.concat([shock_file.errors.get(table, pl.DataFrame(schema=shock_io.ERROR_SCHEMA)),
                                          *errors])
    good = rows.filter(pl.col("year").is_not_null() & pl.col("region_code").is_not_null())
    if good.height == 0:
        return 0, 0, None
    areas = pl.DataFrame({"event_id": list(events), "prefix": [e.prefixes for e in events.values()]},
                         schema={"event_id": pl.String, "prefix": pl.List(pl.String)}).explode("prefix")
    outside_area = engine.outside_area(good.select("event_id", "household_id", "region_code", "_sheet", "_row"), areas)
    current = {(o.event.event_id, o.household_id): o for o in ShockHousehold.objects.within(scope)
               .filter(event__in=list(events.values()), household_id__in=good["household_id"].unique().to_list())
               .select_related("event")}
    new, changed = [], []
    for row in good.iter_rows(named=True):
        values = {"region_code": row["region_code"], "impacts": row["impacts"] or "", "loss": round(row["loss"], 2),
                      "verified_on": row["verified_on"]}
        obj = current.get((row["event_id"], row["household_id"]))
        if obj is None:
            new.append(ShockHousehold(event=events[row["event_id"]], household_id=row["household_id"], **values))
        elif (obj.region_code, obj.impacts, float(obj.loss), obj.verified_on) != tuple(
                values[k] for k in ("region_code", "impacts", "loss", "verified_on")):
            for k, v in values.items():
                setattr(obj, k, v)
            changed.append(obj)
    if new:
        bulk_create_with_history(new, ShockHousehold, batch_size=2000)
    if changed:
        bulk_update_with_history(changed, ShockHousehold, ["region_code", "impacts", "loss", "verified_on"],
                                 batch_size=2000)
    return len(new), len(changed), outside_area


def _event_frames(scope: Scope, year: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every visible event starting in ``year`` and the scope's households listed under them."""
    events = list(visible_events(scope).filter(start_date__year=year).values_list("event_id", "name", "type",
                                                                                    "start_date"))
    events_frame = pl.DataFrame(events, schema={"event_id": pl.String, "name": pl.String, "type": pl.String,
                                                "start_date": pl.Date}, orient="row")
    affected = list(ShockHousehold.objects.within(scope).filter(event__start_date__year=year).values_list(
        "event__event_id", "household_id", "impacts", "loss"))
    affected_frame = pl.DataFrame([(e, h, i, float(v)) for e, h, i, v in affected],
                                  schema={"event_id": pl.String, "household_id": pl.String, "impact": pl.String,
                                          "loss": pl.Float64}, orient="row")
    return events_frame, affected_frame


def assess_event(scope: Scope, policy: PolicySet, event_id: str) -> ShockLeads:
    """R8 for one event inside the scope, without writing: which households should become leads."""
    event = event_of(scope, event_id)
    year = event.start_date.year
    events, affected = _event_frames(scope, year)
    households = bulk.read_households(scope, [year - 1, year])
    members = bulk.read_members(scope, [year - 1, year])
    migration = assistance_bulk.read_table(scope, "migration")
    result = engine.shock_leads(event_id, events, affected, households, members, migration=migration,
                                policy=policy, as_of=min(clock.today(), date(year, 12, 31)))
    keys = result.filter(pl.col("lead") == engine.CREATED)["natural_key"].to_list()
    there = set(Lead.objects.within(scope).filter(natural_key__in=keys).values_list("natural_key", flat=True))
    result = result.with_columns(lead=pl.when(pl.col("natural_key").is_in(list(there)))
                                 .then(pl.lit(engine.EXISTING)).otherwise(pl.col("lead")))
    out = ShockLeads(event_id, year, rows=result)
    counts = dict(result.group_by("lead").len().iter_rows())
    out.created, out.existing = counts.get(engine.CREATED, 0), counts.get(engine.EXISTING, 0)
    out.ineligible, out.no_snapshot = counts.get(engine.INELIGIBLE, 0), counts.get(engine.NO_SNAPSHOT, 0)
    return out


def shock_leads(scope: Scope, policy: PolicySet, event_id: str, *, now: datetime | None = None) -> ShockLeads:
    """R8: the event's listed households of the scope that qualify become sudden-hardship leads of
    their villages through the monitoring intake (idempotent by ``shock:<户编号>:<Y>``)."""
    if not scope.can(Capability.MATCH):
        raise ShockRefused("您的角色不能由冲击事件生成监测线索 (your role may not create leads from an event)")
    at = now or clock.now()
    out = assess_event(scope, policy, event_id)
    events, affected = _event_frames(scope, out.year)
    members = bulk.read_members(scope, out.year)
    heads = (members.filter(pl.col("relationship") == "户主").unique("household_id", keep="first")
             .select("household_id", "name", "id_number"))
    leads = engine.lead_frame(out.rows, events, affected, heads)
    created = existing = 0
    with transaction.atomic():
        for kind in ("disaster", "employment"):
            c, e = intake.bulk_create_leads(
                scope, policy, leads.filter(pl.col("kind") == kind).drop("kind"), channel=Channel.DEPARTMENT,
                purpose=Purpose.IDENTIFICATION, kind=kind, at=at, note=f"冲击事件 {event_id}：突发严重困难")
            created, existing = created + c, existing + e
    out.created, out.existing = created, out.existing + existing
    return out


@dataclass
class EventSummary:
    event: ShockEvent
    exposed: int
    listed: int
    leads: int
    loss: float


def event_summary(scope: Scope, event_id: str) -> EventSummary:
    """The event page's figures inside the scope: S(Y) households in its area, households listed,
    leads of the listed households of Y, and their losses."""
    event = event_of(scope, event_id)
    year = event.start_date.year
    households = bulk.read_households(scope, year)
    listed = list(ShockHousehold.objects.within(scope).filter(event=event).values_list("household_id", "loss"))
    keys = [f"{engine.LEAD_KEY_PREFIX}:{h}:{year}" for h, _ in listed]
    leads = 0
    for start in range(0, len(keys), 500):
        leads += Lead.objects.within(scope).filter(natural_key__in=keys[start:start + 500]).count()
    return EventSummary(event, engine.exposed_count(households, year, event.prefixes), len(listed), leads,
                        float(sum(v for _, v in listed)))


def return_curve(scope: Scope, event_id: str, *, today: date | None = None) -> pl.DataFrame:
    """The 复工 rate of the scope (R8 ``return_to_work``, summed over its counties) each week from
    the event's start to its end (or today), within the event's year: ``date, out_last_year,
    out_now, rate, returned_idle``."""
    from fupin.engine.assistance import employment

    event = event_of(scope, event_id)
    year = event.start_date.year
    last = min(event.end_date or today or clock.today(), today or clock.today(), date(year, 12, 31))
    households = bulk.read_households(scope, [year - 1, year])
    members = bulk.read_members(scope, [year - 1, year])
    migration = assistance_bulk.read_table(scope, "migration")
    weeks = pl.date_range(event.start_date, max(last, event.start_date), "1w", eager=True).to_list()
    rows = [employment.return_rate(households, members, migration, year=year, on=d, level="county")
            .select(pl.lit(d).alias("date"), pl.col("out_last_year").sum(), pl.col("out_now").sum(),
                    pl.col("returned_idle").sum()) for d in weeks]
    frame = pl.concat(rows) if rows else pl.DataFrame(schema={"date": pl.Date, "out_last_year": pl.Int64,
                                                               "out_now": pl.Int64, "returned_idle": pl.Int64})
    return frame.with_columns(rate=pl.when(pl.col("out_last_year") > 0)
                              .then((pl.col("out_now") / pl.col("out_last_year")).round(4)))


def list_events(scope: Scope) -> list[ShockEvent]:
    return list(visible_events(scope).order_by("-start_date", "event_id"))
