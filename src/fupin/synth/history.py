"""Earlier years of a synthetic registry: the same households and people one year before.

:func:`fupin.synth.generate` draws one year-Y snapshot. The 复工 rate (assistance.md R8) and
R8's ``shock_work_loss`` read the year-(Y−1) member rows, so ``fupin generate --years N`` writes
the N−1 snapshots before Y as well. Each earlier snapshot is derived from the one after it, over
whole columns (no loop over households), so that it is a plausible previous year of the same
registry:

* the same households (same 户编号, village, hamlet, phone, housing, water and land) and the same
  people (same ID numbers): minus the children born in the later year; a share of the members
  who died, moved or married out in the later year are still 正常 the year before;
* ages one year lower: children one school year back (Q21 stays quiet), a 16-year-old worker of
  the later year was 15 and without labour;
* migrant work mostly as in the later year, with some churn: a few migrants of the later year
  started in it (not working the year before), a few able people who stay home in the later
  year worked away the year before — so the 复工 rate has members in its numerator only and in
  its denominator only (edge case 15);
* the incomes of that year: each household's income items scaled to the later year's
  上年家庭纯收入 (exactly, where it is given), else deflated by the calibrated growth; its own
  上年家庭纯收入 deflated again;
* status of that year: a household identified in the later year was not yet registered, one
  that exited in the later year was still 未脱贫; monitoring objects identified in the later year
  were not yet monitored, and a risk eliminated in the later year was not yet eliminated.

Deterministic: one numpy stream per snapshot year, derived from the seed.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fupin.synth import calibration as cal

_S_HISTORY = 300                     # random streams of this module: [seed, 300, year]
STILL_LIVING_SHARE = 0.6             # members gone in Y who were still 正常 in Y−1
NEW_MIGRANT_SHARE = 0.08             # cross-town migrants of Y (with a co-worker) who started in Y
STOPPED_MIGRANT_SHARE = 0.05         # able non-workers of Y (with a working relative) who worked away in Y−1
CROSS_TOWN = ("乡（镇）外县内务工", "县外省内务工", "省外务工")
INCOME_ITEMS = ("wage_income", "business_income", "property_income", "business_expense")
LIVING = pl.col("member_status") == "正常"
MAX_PER_CAPITA = 90_000.0            # below Q19's plausible range


class HistoryError(ValueError):
    """Earlier years that cannot be generated (Chinese / English)."""


def with_history(households: pl.DataFrame, members: pl.DataFrame, years: int, *, seed: int = 0
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The year-Y frames preceded by ``years`` − 1 earlier snapshots (oldest first). ``years`` = 1
    returns the frames unchanged."""
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise HistoryError(f"年数“{years}”无效：应为不小于1的整数 / years “{years}” must be an integer of at least 1")
    if years == 1:
        return households, members
    newest = int(households["year"].max()) if households.height else None
    if newest is None:
        return households, members
    if newest - years + 1 < cal.FIRST_YEAR:
        raise HistoryError(
            f"年数 {years} 过多：{newest} 年往前 {years} 年早于建档立卡起始年 {cal.FIRST_YEAR} / "
            f"{years} years back from {newest} start before the registry's first year {cal.FIRST_YEAR}")
    hh_parts, m_parts = [households], [members]
    for _ in range(years - 1):
        h, m = previous_year(hh_parts[0], m_parts[0], seed=seed)
        hh_parts.insert(0, h)
        m_parts.insert(0, m)
    return pl.concat(hh_parts), pl.concat(m_parts)


def _growth(year: int, registered: pl.Series) -> np.ndarray:
    """Per-capita income of ``year`` over that of ``year`` − 1, by registration."""
    reg = cal.registered_income(year) / cal.registered_income(max(year - 1, cal.FIRST_YEAR))
    rural = cal.rural_income(year) / cal.rural_income(year - 1)
    return np.where(registered.fill_null(False).to_numpy(), reg, rural)


def previous_year(households: pl.DataFrame, members: pl.DataFrame, *, seed: int = 0
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The snapshot of the year before the (single-year) frames given."""
    year = int(households["year"].max())
    prev = year - 1
    rng = np.random.default_rng([seed, _S_HISTORY, prev])
    earlier = _members(members, year, rng)
    return _households(households, earlier, year, rng), earlier


def _households(hh: pl.DataFrame, earlier: pl.DataFrame, year: int, rng: np.random.Generator) -> pl.DataFrame:
    """The year-(Y−1) households from the year-Y ones and the year-(Y−1) members (``earlier``)."""
    prev = year - 1
    hh = hh.filter(pl.col("year") == year)
    columns = hh.schema
    n = hh.height
    people = earlier.filter(LIVING).group_by("household_id").agg(
        _pop=pl.len(), _workers=pl.col("work_location").is_not_null().sum(),
        _ill=(pl.col("health").is_not_null() & (pl.col("health") != "健康")).sum(),
        _disabled=(pl.col("health") == "残疾").sum())
    hh = hh.join(people, on="household_id", how="left").with_columns(
        pl.col("_pop", "_workers", "_ill", "_disabled").fill_null(0))
    registered = pl.col("registered").fill_null(False) & (pl.col("identified_year") <= prev).fill_null(False)
    exited_now = (pl.col("poverty_status") == "已脱贫") & (pl.col("exit_year") >= year).fill_null(False)
    # Monitoring of the year before: identified by its December, eliminated by then.
    last_month = f"{prev}-12"
    monitored = pl.col("monitoring_category").is_not_null() & (pl.col("monitoring_since") <= last_month).fill_null(False)
    eliminated = monitored & pl.col("risk_eliminated").fill_null(False) & (
        pl.col("risk_eliminated_at") <= last_month).fill_null(False)

    # Incomes: scaled to the year's 上年家庭纯收入 where it is given, else deflated.
    net = (pl.col("wage_income").fill_null(0) + pl.col("business_income").fill_null(0)
           + pl.col("property_income").fill_null(0) + pl.col("transfer_income").fill_null(0)
           - pl.col("business_expense").fill_null(0))
    growth = _growth(year, hh["registered"])
    noise = rng.lognormal(0, 0.08, n)
    x = hh.with_columns(_net=net, _deflate=pl.Series(1 / growth * noise))
    factor = (pl.when(pl.col("prior_net_income").is_not_null() & (pl.col("_net") > 0) & (pl.col("prior_net_income") > 0))
              .then(pl.col("prior_net_income") / pl.col("_net")).otherwise(pl.col("_deflate")).clip(0.2, 3.5))
    # Per-capita income stays plausible (Q19) when the household was smaller.
    cap = MAX_PER_CAPITA * pl.col("_pop").clip(lower_bound=1) / pl.col("_net")
    factor = pl.when(pl.col("_net") > 0).then(pl.min_horizontal(factor, cap)).otherwise(factor)
    # Wage income only where someone worked that year (Q17): else it was sent home (transfer).
    x = x.with_columns(_f=factor).with_columns(
        transfer_income=pl.when(pl.col("_workers") == 0).then(pl.col("transfer_income") + pl.col("wage_income"))
        .otherwise(pl.col("transfer_income")),
        wage_income=pl.when(pl.col("_workers") == 0).then(0.0).otherwise(pl.col("wage_income")),
    ).with_columns([(pl.col(c) * pl.col("_f")).round(0).alias(c) for c in INCOME_ITEMS])
    others = (pl.col("wage_income").fill_null(0) + pl.col("business_income").fill_null(0)
              + pl.col("property_income").fill_null(0) - pl.col("business_expense").fill_null(0))
    scaled_transfer = (pl.col("transfer_income") * pl.col("_f")).round(0)
    exact = (pl.col("_net") * pl.col("_f")).round(0) - others   # the later year's 上年家庭纯收入 where given
    x = x.with_columns(transfer_income=pl.when(pl.col("prior_net_income").is_not_null() & (exact >= 0))
                       .then(exact).otherwise(scaled_transfer).cast(pl.Float64))
    prior_growth = _growth(prev, x["registered"]) if prev > cal.FIRST_YEAR else np.ones(n)
    prev_net = (x["wage_income"].fill_null(0) + x["business_income"].fill_null(0) + x["property_income"].fill_null(0)
                + x["transfer_income"].fill_null(0) - x["business_expense"].fill_null(0)).to_numpy()
    prior = np.round(prev_net / prior_growth * rng.lognormal(0, 0.12, n))
    prior_known = rng.random(n) >= 0.05
    medical = np.round(x["medical_out_of_pocket"].fill_null(0).to_numpy() * rng.uniform(0.6, 1.0, n))
    disaster = np.round(np.where(rng.random(n) < 0.015, rng.lognormal(np.log(5000), 1.0, n), 0.0))

    x = x.with_columns(
        prior_net_income=pl.when(pl.Series(prior_known)).then(pl.Series(prior)).cast(pl.Float64),
        medical_out_of_pocket=pl.when(pl.col("medical_out_of_pocket").is_not_null()).then(pl.Series(medical))
        .cast(pl.Float64),
        disaster_loss=pl.when(pl.col("disaster_loss").is_not_null()).then(pl.Series(disaster)).cast(pl.Float64),
    )
    registry_fields = ("poverty_status", "exit_year", "identified_year", "poverty_attribute", "main_cause",
                       "other_causes")
    # Causes the year's members no longer support (a disabled child born in Y): a generic cause (Q08, Q10).
    unsupported = {"因病": pl.col("_ill") == 0, "因残": pl.col("_disabled") == 0}
    main = pl.col("main_cause")
    for cause, missing in unsupported.items():
        main = pl.when((pl.col("main_cause") == cause) & missing).then(pl.lit("缺技术")).otherwise(main)
    other = pl.col("other_causes").fill_null("").str.split("、")
    for cause, missing in unsupported.items():
        other = pl.when(missing).then(other.list.filter(pl.element() != cause)).otherwise(other)
    other = other.list.filter(pl.element() != "").list.join("、")
    x = x.with_columns(main_cause=main, other_causes=pl.when(other != "").then(other))
    x = x.with_columns(
        _reg=registered, _exited_now=exited_now, _monitored=monitored, _eliminated=eliminated,
    ).with_columns(
        [pl.when(pl.col("_reg")).then(pl.col(c)).alias(c) for c in registry_fields],
    ).with_columns(
        registered=pl.col("_reg"),
        poverty_status=pl.when(pl.col("_exited_now")).then(pl.lit("未脱贫")).otherwise(pl.col("poverty_status")),
        exit_year=pl.when(pl.col("_exited_now")).then(None).otherwise(pl.col("exit_year")),
        monitoring_category=pl.when(pl.col("_monitored")).then(pl.col("monitoring_category")),
        monitoring_since=pl.when(pl.col("_monitored")).then(pl.col("monitoring_since")),
        risk_eliminated=pl.when(pl.col("_monitored")).then(pl.col("_eliminated")),
        risk_eliminated_at=pl.when(pl.col("_eliminated")).then(pl.col("risk_eliminated_at")),
        year=pl.lit(prev, dtype=hh.schema["year"]),
    )
    return x.select([pl.col(c).cast(t) for c, t in columns.items()])


def _members(members: pl.DataFrame, year: int, rng: np.random.Generator) -> pl.DataFrame:
    """The year-(Y−1) members from the year-Y ones."""
    prev = year - 1
    m = members.filter(pl.col("year") == year)
    birth_year = pl.col("id_number").str.slice(6, 4).cast(pl.Int32, strict=False)
    m = m.filter((birth_year <= prev).fill_null(True))
    k = m.height
    c = pl.col
    m = m.with_columns(
        _age=(pl.lit(prev) - birth_year).fill_null(40),
        _u_status=pl.Series(rng.random(k)), _u_new=pl.Series(rng.random(k)), _u_stop=pl.Series(rng.random(k)),
        _place=pl.Series(np.array(CROSS_TOWN, dtype=object)[rng.integers(0, len(CROSS_TOWN), k)].tolist(),
                         dtype=pl.String),
        _away=pl.Series(rng.integers(6, 13, k)),
    )
    age, school = c("_age"), c("school_status")
    # Status: some of those gone in Y were still there in Y−1.
    revived = (~LIVING).fill_null(False) & (c("_u_status") < STILL_LIVING_SHARE)
    # Schooling one year back (the bands of fupin.synth.people.attributes).
    new_school = (
        pl.when(age <= 2).then(None)
        .when(age.is_between(3, 5) & (school == "小学")).then(pl.lit("学前教育"))
        .when(age.is_between(6, 11) & school.is_in(["小学", "初中"])).then(pl.lit("小学"))
        .when(age.is_between(13, 14) & school.is_in(["初中", "高中", "中职"])).then(pl.lit("初中"))
        .when((age == 15) & (school == "技工")).then(pl.lit("中职"))
        .when((age == 15) & (school == "非在校生") & c("dropout_reason").is_null()).then(pl.lit("初中"))
        .when(age.is_between(16, 18) & school.is_in(["大专", "本科", "高职"])).then(pl.lit("高中"))
        .otherwise(school)
    )
    level_of = {"学前教育": "学龄前儿童", "小学": "小学", "初中": "初中", "高中": "初中", "中职": "初中", "技工": "初中",
                "大专": "高中", "本科": "高中", "高职": "高中"}
    m = m.with_columns(_revived=revived, _school=new_school).with_columns(
        _changed=c("_school").ne_missing(school),
        # 务工 of the household in Y: the churn below keeps a working household working.
        _workers=c("work_location").is_not_null().sum().over("household_id"),
    )
    level = (pl.when(~c("_changed")).then(c("education_level"))
             .when((age <= 6) & c("_school").ne_missing(pl.lit("小学"))).then(pl.lit("学龄前儿童"))
             .otherwise(c("_school").replace_strict(level_of, default=c("education_level"), return_dtype=pl.String)))
    child = age < 16
    in_school = c("_school").is_not_null() & (c("_school") != "非在校生")
    labour = (pl.when(child & c("labour").is_not_null() & (c("labour") != "无劳动力")).then(pl.lit("无劳动力"))
              # below 60 a healthy person has not lost his labour (Q14): weak at worst
              .when((age < 60) & (c("health") == "健康") & ~in_school & (c("labour") == "丧失劳动力"))
              .then(pl.lit("弱劳动力或半劳动力"))
              .otherwise(c("labour")))
    new_in_y = c("work_location").is_in(CROSS_TOWN).fill_null(False) & (c("_workers") >= 2) & (
        c("_u_new") < NEW_MIGRANT_SHARE)
    stopped = (c("labour").is_in(["普通劳动力", "技能劳动力"]).fill_null(False) & age.is_between(20, 50) & LIVING
               & c("work_location").is_null() & (c("_workers") >= 1) & (c("_u_stop") < STOPPED_MIGRANT_SHARE))
    off = child | new_in_y | c("_revived")
    dibao_household = c("dibao").fill_null(False).any().over("household_id")
    out = m.with_columns(
        year=pl.lit(prev, dtype=m.schema["year"]),
        member_status=pl.when(c("_revived")).then(pl.lit("正常")).otherwise(c("member_status")),
        school_status=c("_school"),
        education_level=level,
        labour=labour,
        work_location=pl.when(stopped).then(c("_place")).when(off).then(None).otherwise(c("work_location")),
        work_months=pl.when(stopped).then(c("_away")).when(off).then(None).otherwise(c("work_months"))
        .cast(m.schema["work_months"]),
        dibao=pl.when(c("_revived")).then(dibao_household).otherwise(c("dibao")),
    )
    return out.select([pl.col(col).cast(t) for col, t in members.schema.items()])
