"""R8 shocks (assistance.md R8 `shock`): which households listed under an event become
sudden-hardship leads, set-based over the event, every event's affected households and the
registry of the event's year.

Readings:

* Y is the year of the event's 开始日期; the losses summed are those of the household over *all*
  events starting in Y (so two events in one year count each loss once, and the second event's
  run finds the same natural key ``shock:<户编号>:<Y>``: no second lead).
* ``shock_loss`` compares medical + education + max(灾害事故损失, Σ 损失金额) with 上年家庭纯收入,
  or with the net income when the prior year is empty; with neither the reason cannot be
  computed and is absent.
* ``shock_work_loss``: the 影响类型 read is the household's row under *this* event; a member
  "had a year-(Y−1) 务工状况" when his year-(Y−1) row has any 务工状况 with 务工时间 > 0 and he is
  living in that row; his status on as_of comes from 务工动态 (1.11); without a row he is not
  返乡未外出, so the reason does not hold. Without 务工动态 or a policy the reason is absent.
* "may become a lead" is rules.md section 2's: not currently monitored and not in poverty.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts, rules
from fupin.engine.assistance.employment import IDLE_STATE, status_on
from fupin.engine.policy import PolicySet

EVENT_TYPES = ("疫情", "洪涝", "地质灾害", "旱灾", "生物灾害", "气象灾害", "地震", "其他")
IMPACT_TYPES = ("房屋损毁", "农作物受灾", "务工中断", "经营中断", "人员伤亡", "其他")
EPIDEMIC = "疫情"
WORK_INTERRUPTED = "务工中断"
WORK_LOSS_PARAMETERS = ("monitoring_line", "shock_wage_share_min")
LEAD_KEY_PREFIX = "shock"
SUDDEN = "sudden"
assert SUDDEN in rules.LEAD_CATEGORIES
# lead column values (R8 "Columns")
CREATED, EXISTING, INELIGIBLE, NO_SNAPSHOT = "created", "existing", "ineligible", "no_snapshot"

RESULT_SCHEMA = {"event_id": pl.String, "household_id": pl.String, "region_code": pl.String, "loss": pl.Float64,
                 "reasons": pl.String, "lead": pl.String, "year": pl.Int32, "natural_key": pl.String,
                 "rigid_expenses": pl.Float64, "income_base": pl.Float64, "kind": pl.String}


def event_year(events: pl.DataFrame, event_id: str) -> int:
    """Y of the event: the year of its 开始日期."""
    row = events.filter(pl.col("event_id") == event_id)
    if row.height == 0:
        raise KeyError(event_id)
    return row["start_date"][0].year


def natural_key() -> pl.Expr:
    return pl.format("{}:{}:{}", pl.lit(LEAD_KEY_PREFIX), pl.col("household_id"), pl.col("year"))


def summed_losses(events: pl.DataFrame, affected: pl.DataFrame, year: int) -> pl.DataFrame:
    """Per household: Σ 损失金额 over every event starting in ``year`` (empty loss = 0)."""
    of_year = events.filter(pl.col("start_date").dt.year() == year).select("event_id")
    return (affected.join(of_year, on="event_id", how="semi")
            .group_by("household_id").agg(loss=pl.col("loss").fill_null(0).sum().cast(pl.Float64)))


def under(prefix: str | pl.Expr) -> pl.Expr:
    """region_code lies under an area prefix (a literal, or a column of prefixes): the one
    area test of R8, B18 and the event's exposed count."""
    return pl.col("region_code").str.starts_with(prefix)


def in_regions(prefixes: list[str]) -> pl.Expr:
    """region_code under one of the event's 区划范围 prefixes."""
    if not prefixes:
        return pl.lit(False)
    return pl.any_horizontal([under(p) for p in prefixes])


OUTSIDE_AREA = "B18"
OUTSIDE_SCHEMA = {"event_id": pl.String, "household_id": pl.String, "region_code": pl.String, "code": pl.String,
                  "severity": pl.String, "message_zh": pl.String, "message_en": pl.String}


def outside_area(rows: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """B18 (3.12, warning), one finding per row of ``rows`` (``event_id, household_id,
    region_code`` and any columns to carry, e.g. ``_sheet``/``_row``) whose village lies under
    none of its event's 区划范围 prefixes; ``areas``: ``event_id, prefix`` (one row per prefix).
    Rows of an event without prefixes are outside. Columns :data:`OUTSIDE_SCHEMA` + the carried ones."""
    from fupin.engine.assistance.rules import SEVERITY

    indexed = rows.with_row_index("_b18")
    inside = (indexed.select("_b18", "event_id", "region_code").join(areas, on="event_id", how="inner")
              .filter(under(pl.col("prefix"))).select("_b18").unique())
    listed = areas.group_by("event_id").agg(_area=pl.col("prefix").sort().str.join(";"))
    carried = [c for c in rows.columns if c not in OUTSIDE_SCHEMA]
    return (indexed.join(inside, on="_b18", how="anti").join(listed, on="event_id", how="left").sort("_b18")
            .select(pl.col("event_id").cast(pl.String), pl.col("household_id").cast(pl.String),
                    pl.col("region_code").cast(pl.String), *carried,
                    code=pl.lit(OUTSIDE_AREA), severity=pl.lit(SEVERITY[OUTSIDE_AREA]),
                    message_zh=pl.format("户 {} 所在村 {} 不在冲击事件 {} 的区划范围（{}）内；已照常导入，请核实户编号或事件范围",
                                         pl.col("household_id"), pl.col("region_code"), pl.col("event_id"),
                                         pl.col("_area").fill_null("")),
                    message_en=pl.format("household {} (village {}) lies outside the area ({}) of event {}; loaded, "
                                         "please check", pl.col("household_id"), pl.col("region_code"),
                                         pl.col("_area").fill_null(""), pl.col("event_id")))
            .select(*OUTSIDE_SCHEMA, *carried))


def shock_leads(event_id: str, events: pl.DataFrame, affected: pl.DataFrame, households: pl.DataFrame,
                members: pl.DataFrame, *, migration: pl.DataFrame | None = None, policy: PolicySet | None = None,
                as_of: date | None = None) -> pl.DataFrame:
    """One row per household listed under ``event_id``: ``RESULT_SCHEMA``.

    ``events``: event_id, type, start_date (Date); ``affected``: event_id, household_id, impact,
    loss; ``households`` / ``members``: the registry (any years; year Y is used).
    ``lead`` is ``created`` for every household that should have a lead — the caller turns it
    into ``existing`` for keys already in the database. ``shock_work_loss`` is evaluated when
    ``migration`` (务工动态: id_number, reported_on, state, place) and ``policy`` are given; it
    needs the year-(Y−1) households and members in ``households`` / ``members``.
    """
    year = event_year(events, event_id)
    listed = (affected.filter(pl.col("event_id") == event_id).select("event_id", "household_id")
              .unique("household_id", keep="first", maintain_order=True))
    hh = households.filter(pl.col("year") == year)
    if "reported_per_capita_income" not in hh.columns:  # the database registry has no national 人均纯收入
        hh = hh.with_columns(reported_per_capita_income=pl.lit(None, dtype=pl.Float64))
    population = facts.population_of(members.filter(pl.col("year") == year)).select(
        "household_id", "population").collect()
    hh = hh.join(population, on="household_id", how="left").with_columns(pl.col("population").fill_null(0))
    hh = hh.with_columns(facts.net_income()).with_columns(
        _rigid_base=pl.col("medical_out_of_pocket").fill_null(0) + pl.col("education_out_of_pocket").fill_null(0),
        _may_lead=~facts.currently_monitored() & ~facts.in_poverty(),
        _snapshot=pl.lit(True),
    )
    frame = (listed.join(hh.select("household_id", "region_code", "prior_net_income", "net_income", "disaster_loss",
                                   "_rigid_base", "_may_lead", "_snapshot"), on="household_id", how="left")
             .join(summed_losses(events, affected, year), on="household_id", how="left"))
    rigid = pl.col("_rigid_base") + pl.max_horizontal(pl.col("disaster_loss").fill_null(0),
                                                      pl.col("loss").fill_null(0))
    base = pl.coalesce("prior_net_income", "net_income")
    frame = frame.with_columns(rigid_expenses=rigid.cast(pl.Float64), income_base=base.cast(pl.Float64),
                               year=pl.lit(year, dtype=pl.Int32))
    shock_loss = (pl.col("rigid_expenses") > pl.col("income_base")).fill_null(False)
    event_type = events.filter(pl.col("event_id") == event_id)["type"][0]
    if migration is not None and policy is not None:
        work = _work_loss(event_id, event_type, affected, households, members, migration, policy, year,
                          as_of or date(year, 12, 31), population)
        frame = frame.join(work, on="household_id", how="left")
    else:
        frame = frame.with_columns(shock_work_loss=pl.lit(None, dtype=pl.Boolean))
    work_loss = pl.col("shock_work_loss").fill_null(False)
    frame = frame.with_columns(
        reasons=pl.concat_list(pl.when(shock_loss).then(pl.lit("shock_loss")),
                               pl.when(work_loss).then(pl.lit("shock_work_loss"))).list.drop_nulls().list.join(";"),
        kind=pl.when(work_loss & ~shock_loss).then(pl.lit("employment")).otherwise(pl.lit("disaster")),
    ).with_columns(
        lead=pl.when(pl.col("_snapshot").is_null()).then(pl.lit(NO_SNAPSHOT))
        .when((pl.col("reasons") != "") & pl.col("_may_lead")).then(pl.lit(CREATED))
        .otherwise(pl.lit(INELIGIBLE)),
        natural_key=natural_key(),
        loss=pl.col("loss").fill_null(0),
    )
    return frame.select([pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items()])


def _work_loss(event_id: str, event_type: str, affected: pl.DataFrame, households: pl.DataFrame,
               members: pl.DataFrame, migration: pl.DataFrame, policy: PolicySet, year: int,
               as_of: date, population: pl.DataFrame) -> pl.DataFrame:
    """household_id, shock_work_loss (null when a part cannot be computed); ``population``: the
    year-Y population (computed once by the caller)."""
    listed = affected.filter(pl.col("event_id") == event_id).select(
        "household_id", interrupted=pl.col("impact").fill_null("").str.contains(WORK_INTERRUPTED))
    if event_type == EPIDEMIC:
        listed = listed.with_columns(interrupted=pl.lit(True))
    before = members.filter((pl.col("year") == year - 1) & facts.living() & (pl.col("work_months") > 0)
                            & pl.col("work_location").is_not_null())
    status = status_on(migration.join(before.select("id_number"), on="id_number", how="semi"), as_of).collect()
    migrants = (before.select("household_id", "id_number").join(status, on="id_number", how="left")
                .group_by("household_id").agg(all_idle=(pl.col("state") == IDLE_STATE).fill_null(False).all()))
    prior = households.filter(pl.col("year") == year - 1)
    if "reported_per_capita_income" not in prior.columns:
        prior = prior.with_columns(reported_per_capita_income=pl.lit(None, dtype=pl.Float64))
    prior_population = facts.population_of(members.filter(pl.col("year") == year - 1)).collect()
    prior = (prior.join(prior_population.select("household_id", "population"), on="household_id", how="left")
             .with_columns(facts.net_income()).select("household_id", prior_net="net_income",
                                                       prior_wage="wage_income"))
    now = households.filter(pl.col("year") == year).select("household_id", "region_code")
    table = policy.frame(year, now["region_code"].unique().to_list(), needed=(), parameters=WORK_LOSS_PARAMETERS)
    frame = (listed.join(now, on="household_id", how="inner").join(population, on="household_id", how="left")
             .join(migrants, on="household_id", how="left").join(prior, on="household_id", how="left")
             .with_columns(policy.policy_key_expr(pl.col("region_code")))
             .join(table.select("policy_key", *WORK_LOSS_PARAMETERS), on="policy_key", how="left"))
    holds = (pl.col("interrupted") & pl.col("all_idle").fill_null(False)
             & (pl.col("prior_wage") >= pl.col("shock_wage_share_min") * pl.col("prior_net"))
             & ((pl.col("prior_net") - pl.col("prior_wage")) / pl.col("population") < pl.col("monitoring_line")))
    return frame.select("household_id", shock_work_loss=holds)


def lead_frame(result: pl.DataFrame, events: pl.DataFrame, affected: pl.DataFrame,
               heads: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``result`` that become leads, in intake's frame (natural_key … evidence,
    category) plus ``kind`` (disaster, or employment when only ``shock_work_loss`` holds); evidence = the household's events of Y with their losses, and the comparison."""
    wanted = result.filter(pl.col("lead") == CREATED)
    year_events = events.select("event_id", "name", "type", "start_date")
    per_event = (affected.join(wanted.select("household_id"), on="household_id", how="semi")
                 .join(year_events, on="event_id", how="inner")
                 .filter(pl.col("start_date").dt.year().is_in(wanted["year"].unique().to_list()))
                 .group_by("household_id").agg(
                     pl.struct(pl.col("event_id"), pl.col("name"), pl.col("type"),
                               pl.col("start_date").cast(pl.String), pl.col("loss").fill_null(0)).alias("events")))
    evidence = pl.struct(
        pl.lit("R8 shock").alias("rule"), pl.col("year"), pl.col("events"), pl.col("loss"),
        pl.col("rigid_expenses"), pl.col("income_base"), pl.col("reasons"),
        pl.lit("shock_loss：刚性支出（医疗+教育+max(灾害事故损失, 当年受灾损失合计)）超过上年家庭纯收入；"
               "shock_work_loss：外出务工成员均返乡未外出，上年工资性收入占比不低于 shock_wage_share_min，"
               "扣除工资性收入后人均低于监测标准").alias("threshold"),
    ).struct.json_encode().alias("evidence")
    return (wanted.join(per_event, on="household_id", how="left").join(heads, on="household_id", how="left")
            .select("natural_key", "household_id", "year", "region_code", pl.col("name"), pl.col("id_number"),
                    evidence, "kind", category=pl.lit(SUDDEN),
                    risk_types=pl.format('["{}"]', pl.col("kind"))))


def exposed_count(households: pl.DataFrame, year: int, prefixes: list[str]) -> int:
    """S(Y) households (registered or currently monitored) inside the event's 区划范围."""
    return households.filter(
        (pl.col("year") == year) & (facts.registered() | facts.currently_monitored()) & in_regions(prefixes)
    ).height
