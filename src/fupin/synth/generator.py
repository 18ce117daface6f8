"""The synthetic registry: households, members and regions as canonical Polars frames.

Everything is drawn with numpy over whole arrays (one stream per concern, derived from the
seed, so that a change to one concern does not reshuffle the others); the only Python loops
build small pools. See :mod:`fupin.synth.calibration` for the figures it is calibrated to.

How the registry hangs together:

* A share of households was ever registered (建档立卡), each in an identification year
  (mostly 2014). Ever-registered households identified after ``year`` are general households
  in that year's snapshot (``registered`` False).
* Exit years are assigned within each identification cohort in order of a hardness score
  (illness, disability, no labour, old age, living alone), so that the households left in
  poverty in 2018–2019 are the hard cases, and the cohort's exit shares follow the incidence
  calibration; a few exited households fall back (返贫) for a year.
* Each village's registered rural population is its ever-registered people divided by a
  village share of registered people (around ``REGISTERED_SHARE``), so that remaining poor /
  population follows the published incidence.
* Income per head is lognormal around the calibrated mean for registered, poor, and general
  households, split into wage (only when someone works), business (with expenses), property
  and transfer income.
* For years from 2021, the households with the lowest incomes and hardest circumstances
  become monitoring objects; about half of the older cases have their risk eliminated.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from fupin.engine.idnumber import check_characters
from fupin.engine.schema import (
    CAUSES,
    DISABILITY_GRADES,
    DROPOUT_REASONS,
    EDUCATION_LEVELS,
    ETHNICITIES,
    HEALTH,
    HOUSING_GRADES,
    HOUSING_RENOVATION,
    LABOUR,
    MEDICAL_INSURANCE,
    MEMBER_STATUSES,
    MONITORING_CATEGORIES,
    POVERTY_ATTRIBUTES,
    POVERTY_STATUSES,
    RELATIONSHIPS,
    SCHOOL_STATUSES,
    WATER_QUALITY,
    WORK_LOCATIONS,
    polars_schema,
)
from fupin.synth import calibration as cal
from fupin.synth import geography, people
from fupin.synth.people import HLT, NONE, SCH
from fupin.synth.pools import pools

# One random stream per concern.
(_S_VILLAGES, _S_HOUSEHOLDS, _S_COMPOSE, _S_ATTRIBUTES, _S_STATUS, _S_INCOME, _S_EXPENSES,
 _S_HOUSING, _S_WATER, _S_LAND, _S_MONITORING, _S_NAMES, _S_IDS, _S_REGIONS) = range(14)

MAX_HOUSEHOLDS = 50_000_000


class SynthError(ValueError):
    """Bad arguments to :func:`generate`."""


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _pick(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    return people._pick(rng, n, probs)


# --- column builders -------------------------------------------------------------------------

def _codes(values: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    """Strings of a code list by index; -1 gives null."""
    pool = pl.Series([*values, None], dtype=pl.String)
    return pool.gather(np.where(idx < 0, len(values), idx).astype(np.uint32))


def _masked(values: np.ndarray, known: np.ndarray | None, dtype: pl.DataType) -> pl.Series:
    if known is None:
        return pl.Series(values).cast(dtype)
    return pl.Series(pa.array(values, mask=~known)).cast(dtype)


def _yesno(code: np.ndarray) -> pl.Series:
    """1 是 / 0 否 / -1 empty."""
    return _masked(code == 1, code >= 0, pl.Boolean())


def _months(index: np.ndarray, known: np.ndarray) -> pl.Series:
    """``YYYY-MM`` from a month index (12 × year + month − 1); null where not known."""
    years = index // 12
    text = pl.select(
        pl.format(
            "{}-{}",
            pl.Series(years).cast(pl.String),
            pl.Series(index % 12 + 1).cast(pl.String).str.zfill(2),
        )
    ).to_series()
    return pl.select(pl.when(pl.Series(known)).then(text)).to_series()


def _bincount(hh: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(hh, weights=weights, minlength=n)


def _any(hh: np.ndarray, n: int, mask: np.ndarray) -> np.ndarray:
    return np.bincount(hh[mask], minlength=n) > 0


# --- the generator ---------------------------------------------------------------------------

def generate(
    households: int, year: int, *, region: str | None = None, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A synthetic registry of ``households`` households for ``year``.

    ``region`` is a division-code prefix or 12-digit code (province, city, county or town;
    default ``500101`` 万州区); households are spread over its real towns, in synthetic
    villages (town code + ``2NN``). Returns the canonical ``households``, ``members`` and
    ``regions`` frames. The same arguments always give identical frames.
    """
    if not isinstance(households, (int, np.integer)) or isinstance(households, bool) or not (
        1 <= households <= MAX_HOUSEHOLDS
    ):
        raise SynthError(
            f"户数“{households}”无效：应为1到{MAX_HOUSEHOLDS}之间的整数 / "
            f"households “{households}” must be an integer from 1 to {MAX_HOUSEHOLDS}"
        )
    if not isinstance(year, (int, np.integer)) or not (cal.FIRST_YEAR <= year <= 2100):
        raise SynthError(
            f"年度“{year}”无效：建档立卡始于{cal.FIRST_YEAR}年，请给{cal.FIRST_YEAR}年及以后的年度 / "
            f"year “{year}” is invalid: the registry starts in {cal.FIRST_YEAR}; give a later year"
        )
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SynthError(f"随机种子“{seed}”无效：应为非负整数 / seed “{seed}” must be a non-negative integer")
    try:
        prefix = geography.resolve_scope(region)
    except geography.RegionError as exc:
        raise SynthError(str(exc)) from None
    households, year, seed = int(households), int(year), int(seed)
    return _Generator(households, year, prefix, seed).run()


class _Generator:
    def __init__(self, households: int, year: int, prefix: str, seed: int):
        self.n = households
        self.year = year
        self.prefix = prefix
        self.seed = seed

    def rng(self, stream: int) -> np.random.Generator:
        return _rng(self.seed, stream)

    def run(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        self._villages()
        self._households()
        self._members()
        self._aggregates()
        self._status()
        self._attribute_and_causes()
        self._income()
        self._expenses()
        self._housing_and_water()
        self._land()
        self._monitoring()
        self._income_items()
        households = self._household_frame()
        members = self._member_frame(households["household_id"])
        regions = self._region_frame()
        return households, members, regions

    # --- where ----------------------------------------------------------------------------

    def _villages(self) -> None:
        v = geography.make_villages(self.prefix, self.n, self.rng(_S_VILLAGES))
        self.v = v
        self.hh_village = np.repeat(np.arange(len(v.code)), v.counts)
        starts = np.cumsum(v.counts) - v.counts
        self.seq = np.arange(self.n) - starts[self.hh_village]
        self.hh_town = v.town[self.hh_village]

    # --- who ------------------------------------------------------------------------------

    def _households(self) -> None:
        rng = self.rng(_S_HOUSEHOLDS)
        n = self.n
        self.ever = rng.random(n) >= cal.GENERAL_HOUSEHOLD_SHARE
        cohorts = np.array(list(cal.IDENTIFIED_SHARES))
        self.identified = np.where(
            self.ever, cohorts[_pick(rng, n, list(cal.IDENTIFIED_SHARES.values()))], NONE
        )
        self.registered = self.ever & (self.identified <= self.year)
        size_reg = _pick(rng, n, cal.SIZE_WEIGHTS_REGISTERED) + 1
        size_gen = _pick(rng, n, cal.SIZE_WEIGHTS_GENERAL) + 1
        self.size = np.where(self.ever, size_reg, size_gen)

    def _members(self) -> None:
        hh, kind, relationship, male, age = people.compose(self.rng(_S_COMPOSE), self.size)
        self.m = people.attributes(
            self.rng(_S_ATTRIBUTES), hh, kind, relationship, male, age, self.ever
        )

    def _aggregates(self) -> None:
        m, n = self.m, self.n
        hh, living = m.household, m.living
        self.pop = _bincount(hh, n, living).astype(np.int64)
        self.workers = _bincount(hh, n, living & (m.work_location >= 0))
        capable = _bincount(hh, n, living & np.isin(m.labour, people.CAPABLE_LABOUR))
        self.no_labour = capable == 0
        self.ill = _any(hh, n, living & (m.health != HLT["健康"]))
        self.serious = _any(hh, n, living & (m.health == HLT["患有大病"]))
        self.chronic = _any(hh, n, living & (m.health == HLT["长期慢性病"]))
        self.disabled = _any(hh, n, living & (m.health == HLT["残疾"]))
        self.students = _any(hh, n, living & np.isin(m.school_status, people.NON_COMPULSORY_SCHOOL))
        head_age = m.age[m.kind == people.HEAD]
        rng = self.rng(_S_STATUS)
        hardness = (
            1.5 * self.serious + 1.0 * self.disabled + 1.5 * self.no_labour
            + 0.5 * (head_age >= 65) + 0.5 * (self.pop == 1) + rng.normal(0, 1, n)
        )
        self.hardness = (hardness - hardness.mean()) / (hardness.std() or 1.0)

    # --- poverty status -------------------------------------------------------------------

    def _status(self) -> None:
        rng = self.rng(_S_STATUS + 100)
        n, year = self.n, self.year
        # People-weighted quantile of hardness within each identification cohort.
        order = np.lexsort((self.hardness, self.identified))
        weights = self.pop[order].astype(float)
        cohort_sorted = self.identified[order]
        cum = np.cumsum(weights)
        before = cum - weights
        first = np.r_[True, cohort_sorted[1:] != cohort_sorted[:-1]]
        group_id = np.cumsum(first) - 1
        starts = np.flatnonzero(first)
        ends = np.r_[starts[1:], n] - 1
        totals = cum[ends] - before[starts]
        q_sorted = (before + weights / 2 - before[starts][group_id]) / np.maximum(totals[group_id], 1)
        q = np.empty(n)
        q[order] = q_sorted

        schedule = cal.exit_schedule()
        years = np.arange(cal.FIRST_YEAR, cal.LAST_EXIT_YEAR + 1)
        table = np.zeros((max(schedule) + 1 - cal.FIRST_YEAR, len(years)))
        for cohort, row in schedule.items():
            table[cohort - cal.FIRST_YEAR] = row
        cohort_idx = np.clip(self.identified - cal.FIRST_YEAR, 0, table.shape[0] - 1)
        exited_share = table[cohort_idx]                       # (n, years)
        first_exit = cal.FIRST_YEAR + (exited_share <= q[:, None]).sum(axis=1)
        first_exit = np.minimum(first_exit, cal.LAST_EXIT_YEAR)

        relapse = (
            self.ever & (first_exit <= cal.LAST_EXIT_YEAR - 2)
            & (rng.random(n) < cal.RELAPSE_SHARE)
        )
        relapse_year = np.minimum(first_exit + rng.integers(1, 3, n), cal.LAST_EXIT_YEAR - 1)
        second_exit = relapse_year + 1

        reg = self.registered
        poor = reg & (year < first_exit)
        back = reg & relapse & (relapse_year <= year) & (year < second_exit)
        exited = reg & ~poor & ~back
        status = np.full(n, NONE)
        status[poor] = POVERTY_STATUSES.index("未脱贫")
        status[exited] = POVERTY_STATUSES.index("已脱贫")
        status[back] = POVERTY_STATUSES.index("返贫")
        exit_year = np.where(
            exited, np.where(relapse & (year >= second_exit), second_exit, first_exit),
            np.where(back, first_exit, NONE),
        )
        self.poor, self.back, self.exited = poor, back, exited
        self.status = status
        self.exit_year = exit_year

    def _attribute_and_causes(self) -> None:
        rng = self.rng(_S_STATUS + 200)
        n = self.n
        u = rng.random(n)
        p_tekun = 0.5 * ((self.pop == 1) & self.no_labour)
        p_dibao = 0.08 + 0.3 * self.no_labour + 0.15 * self.serious + 0.1 * self.disabled
        attribute = np.select(
            [u < p_tekun, rng.random(n) < p_dibao], [2, 1], 0
        )
        self.attribute = np.where(self.registered, attribute, NONE)

        c = {name: i for i, name in enumerate(CAUSES)}
        w = np.zeros((n, len(CAUSES)))
        w[:, c["因病"]] = 3.0 * self.ill
        w[:, c["因残"]] = 3.0 * self.disabled
        w[:, c["因学"]] = 2.0 * self.students
        w[:, c["因灾"]] = 0.15
        w[:, c["缺土地"]] = 0.2
        w[:, c["缺水"]] = 0.1
        w[:, c["缺技术"]] = 1.0
        w[:, c["缺劳力"]] = 2.0 * self.no_labour + 0.3
        w[:, c["缺资金"]] = 0.8
        w[:, c["交通条件落后"]] = 0.3
        w[:, c["自身发展动力不足"]] = 0.2
        w[:, c["其他"]] = 0.1
        main = _pick(rng, n, w)
        self.main_cause = np.where(self.registered, main, NONE)
        generic = np.array([c[k] for k in ("缺技术", "缺资金", "交通条件落后", "自身发展动力不足", "缺土地")])
        count = _pick(rng, n, [0.45, 0.4, 0.15])
        a = rng.integers(0, len(generic), n)
        b = (a + 1 + rng.integers(0, len(generic) - 1, n)) % len(generic)
        c1 = np.where((count >= 1) & (generic[a] != main) & self.registered, generic[a], NONE)
        # A realistic slip: a few secondary causes repeat the main one (warning Q11).
        c1 = np.where((count >= 1) & self.registered & (rng.random(n) < 0.003), main, c1)
        c2 = np.where((count >= 2) & (generic[b] != main) & self.registered, generic[b], NONE)
        self.other_causes = (c1, c2)

    # --- money ----------------------------------------------------------------------------

    def _income(self) -> None:
        rng = self.rng(_S_INCOME)
        n, year = self.n, self.year
        z = -0.35 * self.hardness + np.sqrt(1 - 0.35**2) * rng.normal(0, 1, n)
        self.z = z
        sr, sg = cal.INCOME_SIGMA_REGISTERED, cal.INCOME_SIGMA_GENERAL
        rel_reg = np.exp(sr * z - sr * sr / 2)
        rel_gen = np.exp(sg * z - sg * sg / 2)
        factor = np.where(self.poor, cal.poor_income_factor(year), 1.0)
        factor = np.where(self.back, 0.9 * cal.poor_income_factor(year), factor)
        reg = self.registered
        pop = np.maximum(self.pop, 1)
        weighted = (factor * rel_reg * pop)[reg].sum()
        scale = cal.registered_income(year) * pop[reg].sum() / weighted if weighted > 0 else 0.0
        general = cal.rural_income(year) * cal.GENERAL_INCOME_FACTOR * rel_gen
        general = np.where(self.ever & ~reg, general * cal.FUTURE_REGISTERED_INCOME_FACTOR, general)
        self.per_capita = np.where(reg, scale * factor * rel_reg, general)

    def _expenses(self) -> None:
        rng = self.rng(_S_EXPENSES)
        m, n = self.m, self.n
        u = rng.random(n)
        medical = np.select(
            [self.serious & (u < 0.8), self.chronic & (u < 0.5), u < 0.05],
            [rng.lognormal(np.log(6000), 0.8, n), rng.lognormal(np.log(1500), 0.7, n),
             rng.lognormal(np.log(300), 0.6, n)],
            0.0,
        )
        # Registered households are reimbursed more (健康扶贫), so they pay less themselves.
        self.medical = np.round(np.where(self.registered, 0.5 * medical, medical))
        upper = np.isin(m.school_status, [SCH["高中"], SCH["中职"], SCH["技工"]])
        college = np.isin(m.school_status, [SCH["大专"], SCH["本科"], SCH["高职"], SCH["硕士及以上"]])
        cost = np.where(upper, rng.uniform(1500, 5000, len(upper)), 0.0)
        cost = np.where(college, rng.uniform(5000, 16000, len(upper)), cost)
        education = _bincount(m.household, n, np.where(m.living, cost, 0.0))
        self.education = np.round(np.where(self.registered, 0.6 * education, education))
        self.disaster = np.round(np.where(rng.random(n) < 0.015, rng.lognormal(np.log(5000), 1.0, n), 0.0))

    # --- living conditions ----------------------------------------------------------------

    def _housing_and_water(self) -> None:
        rng = self.rng(_S_HOUSING)
        n, year = self.n, self.year
        grade = _pick(rng, n, [0.5, 0.4, 0.07, 0.03])
        relocation_year = rng.integers(2016, 2021, n)
        relocated = np.where(
            self.ever, (rng.random(n) < 0.08) & (relocation_year <= year), rng.random(n) < 0.003
        )
        grade = np.where(relocated, 0, grade)
        ren = {name: i for i, name in enumerate(HOUSING_RENOVATION)}
        u = rng.random(n)
        done_share = np.where(
            self.exited | self.back, 0.995,
            np.where(self.poor, min(0.35 + 0.12 * (year - 2014), 0.95), 0.5),
        )
        unsafe = grade >= 2
        renovation = np.where(
            unsafe,
            np.where(u < done_share, ren["已完成"],
                     np.where(rng.random(n) < 0.6, ren["未改造"], ren["改造中"])),
            np.where(rng.random(n) < 0.6, ren["无需"], NONE),
        )
        self.grade, self.renovation, self.relocated = grade, renovation, relocated

        u = rng.random(n)
        self.food = np.select([u < 0.003, (u < 0.004) & ~self.exited], [NONE, 0], 1)
        u = rng.random(n)
        self.clothing = np.select([u < 0.003, (u < 0.004) & ~self.exited], [NONE, 0], 1)

        rng = self.rng(_S_WATER)
        mode = _pick(rng, n, [0.55, 0.4, 0.05])          # detail, summary only, nothing
        detail, summary = mode == 0, mode == 1
        unmet = rng.random(n) < np.where(self.exited, 0.003, np.where(self.poor, 0.1, 0.02))
        broken = rng.integers(0, 4, n)                     # which sub-indicator fails
        scarce = _pick(rng, n, [0.08, 0.87, 0.05])         # 是, 否, empty
        tap = rng.random(n) < 0.78
        tap = np.where(unmet & (broken == 2), False, tap)
        minimum = np.where(scarce == 0, 20.0, 35.0) + 1
        litres = np.where(tap, rng.lognormal(np.log(90), 0.3, n), rng.lognormal(np.log(50), 0.3, n))
        litres = np.maximum(litres, minimum)
        litres = np.where(unmet & (broken == 0), rng.uniform(8, 19.5, n), litres)
        quality = np.where(rng.random(n) < 0.8, 0, 1)
        quality = np.where(rng.random(n) < 0.01, NONE, quality)
        quality = np.where(unmet & (broken == 1), 2, quality)
        fails_convenience = unmet & (broken == 2)
        minutes = np.where(fails_convenience, rng.uniform(25, 60, n), rng.uniform(3, 20, n))
        horizontal = np.where(fails_convenience, rng.uniform(900, 2000, n), rng.uniform(30, 800, n))
        vertical = np.where(fails_convenience, rng.uniform(90, 200, n), rng.uniform(0, 80, n))
        outage = np.minimum(np.round(rng.lognormal(np.log(3), 0.8, n)), 36)
        outage = np.where(unmet & (broken == 3), rng.integers(40, 121, n), outage)
        self.water = {
            "litres": (np.round(litres, 1), detail),
            "scarce": (np.where(detail, scarce, NONE),),
            "quality": (np.where(detail, quality, NONE),),
            "tap": (np.where(detail, tap.astype(int), NONE),),
            "minutes": (np.round(minutes), detail & ~tap & ((rng.random(n) < 0.8) | fails_convenience)),
            "horizontal": (np.round(horizontal), detail & ~tap & ((rng.random(n) < 0.6) | fails_convenience)),
            "vertical": (np.round(vertical), detail & ~tap & ((rng.random(n) < 0.5) | fails_convenience)),
            "outage": (outage, detail & (rng.random(n) >= 0.03)),
            "safe": (np.where(summary | (detail & (rng.random(n) < 0.3)), (~unmet).astype(int), NONE),),
        }

    def _land(self) -> None:
        rng = self.rng(_S_LAND)
        n = self.n
        pop = np.maximum(self.pop, 1)
        farmland = pop * np.minimum(rng.lognormal(0.0, 0.6, n), 20) * np.where(self.relocated, 0.5, 1)
        forest = np.where(rng.random(n) < 0.45, 0.0, np.minimum(rng.lognormal(np.log(2.5), 1.0, n), 30 * pop))
        road = np.clip(rng.lognormal(np.log(0.4), 0.9, n), 0.01, 15)
        self.land = {
            "farmland": (np.round(farmland, 1), rng.random(n) >= 0.03),
            "forest": (np.round(forest, 1), rng.random(n) >= 0.1),
            "road": (np.round(road, 2), rng.random(n) >= 0.1),
        }

    # --- monitoring (2021 on) -------------------------------------------------------------

    def _monitoring(self) -> None:
        n, year = self.n, self.year
        self.category = np.full(n, NONE)
        self.since = np.zeros(n, dtype=np.int64)
        self.eliminated = np.full(n, NONE)
        self.eliminated_at = np.zeros(n, dtype=np.int64)
        if year < cal.FIRST_MONITORING_YEAR:
            return
        rng = self.rng(_S_MONITORING)
        score = self.hardness - self.z + rng.normal(0, 0.5, n)
        cat = {name: i for i, name in enumerate(MONITORING_CATEGORIES)}
        chosen = np.zeros(n, dtype=bool)
        for group, share in ((self.registered, cal.MONITORED_SHARE_REGISTERED),
                             (~self.registered, cal.MONITORED_SHARE_GENERAL)):
            idx = np.flatnonzero(group)
            k = int(round(share * len(idx)))
            if k:
                top = idx[np.argpartition(-score[idx], k - 1)[:k]]
                chosen[top] = True
        sudden = rng.random(n) < np.where(self.registered, 0.2, 0.3)
        category = np.where(
            sudden, cat["突发严重困难户"],
            np.where(self.registered, cat["脱贫不稳定户"], cat["边缘易致贫户"]),
        )
        self.category = np.where(chosen, category, NONE)

        first_month = 12 * 2020 + 2          # 2020-03: the monitoring mechanism starts
        last_month = 12 * year + 10          # November of the year
        lo = np.where(sudden, np.maximum(first_month, last_month - 18), first_month)
        since = lo + np.floor(rng.random(n) * (last_month - lo + 1)).astype(np.int64)
        elapsed = 12 * year + 11 - since     # whole months to 31 December
        p_eliminated = np.clip((elapsed - 6) / 18, 0, 0.85)
        eliminated = chosen & (rng.random(n) < p_eliminated)
        at = since + 6 + np.floor(rng.random(n) * np.maximum(elapsed - 6, 1)).astype(np.int64)
        self.since = since
        self.eliminated = np.where(chosen, eliminated.astype(int), NONE)
        self.eliminated_at = at

        line = cal.MONITORING_REFERENCE_LINE
        active = chosen & ~eliminated
        # Households still monitored mostly live below the line (a quarter have risen above it
        # and wait for the elimination review); eliminated ones rose above it.
        recovering = rng.random(n) < 0.25
        monitored_income = np.where(
            recovering, rng.uniform(1.05, 1.6, n), rng.uniform(0.55, 0.98, n)
        ) * line
        self.per_capita = np.where(active, monitored_income, self.per_capita)
        lifted = rng.uniform(1.15, 2.0, n) * line * 1.07 ** (year - cal.FIRST_MONITORING_YEAR)
        self.per_capita = np.where(eliminated, np.maximum(self.per_capita, lifted), self.per_capita)
        shock = active & sudden & ~recovering
        by_disaster = rng.random(n) < 0.5
        self.disaster = np.where(
            shock & by_disaster, np.round(rng.lognormal(np.log(20000), 0.5, n)), self.disaster
        )
        self.medical = np.where(
            shock & ~by_disaster, np.round(rng.lognormal(np.log(25000), 0.5, n)), self.medical
        )

    def _income_items(self) -> None:
        rng = self.rng(_S_INCOME + 100)
        n, year = self.n, self.year
        net = self.per_capita * np.maximum(self.pop, 1)
        has_workers = self.workers > 0
        social = self.attribute >= 1
        transfer = np.where(self.registered, rng.uniform(0.1, 0.3, n), rng.uniform(0.03, 0.15, n))
        transfer = transfer + 0.25 * social
        transfer = np.where(has_workers, transfer, rng.uniform(0.35, 0.75, n) + 0.1 * social)
        transfer = np.minimum(transfer, 0.9)
        prop = np.where(rng.random(n) < 0.4, rng.uniform(0.005, 0.05, n), 0.0)
        rest = 1.0 - transfer - prop
        business_share = np.where(has_workers, rest * rng.uniform(0.05, 0.45, n), rest)
        wage_share = rest - business_share
        business_net = net * business_share
        expense_ratio = rng.uniform(0.2, 0.5, n)
        business = np.round(business_net / (1 - expense_ratio))
        expense = np.where(business > 0, np.maximum(np.round(business - business_net), 1), 0.0)
        # A realistic slip: a few households record business income without its costs (Q18).
        expense = np.where(rng.random(n) < 0.003, 0.0, expense)
        self.items = {
            "wage": np.round(net * wage_share),
            "business": business,
            "property": np.round(net * prop),
            "transfer": np.round(net * transfer),
            "expense": expense,
        }
        total = (self.items["wage"] + business + self.items["property"] + self.items["transfer"]
                 - expense)
        growth = np.where(
            self.registered,
            cal.registered_income(year) / cal.registered_income(max(year - 1, cal.FIRST_YEAR)),
            cal.rural_income(year) / cal.rural_income(year - 1),
        )
        prior = total / growth * rng.lognormal(0, 0.12, n)
        dropped = rng.random(n) < 0.025
        prior = np.where(dropped, total / rng.uniform(0.35, 0.65, n), prior)
        self.prior = (np.round(prior), rng.random(n) >= 0.05)

    # --- frames ---------------------------------------------------------------------------

    def _household_frame(self) -> pl.DataFrame:
        n, year = self.n, self.year
        rng = self.rng(_S_NAMES)
        v = self.v
        width = max(4, len(str(int(v.counts.max()))))
        village_codes = pl.Series(v.code.tolist(), dtype=pl.String)
        ids = pl.select(
            pl.concat_str(
                village_codes.gather(self.hh_village),
                pl.Series(self.seq + 1).cast(pl.String).str.zfill(width),
            )
        ).to_series()
        groups = v.groups[self.hh_village]
        hamlet_no = 1 + (self.seq * groups) // v.counts[self.hh_village]
        hamlets = pl.Series([f"{k}组" for k in range(1, int(groups.max()) + 1)], dtype=pl.String)
        prefixes = np.array(pools()["mobile_prefixes"], dtype=object)
        phone = pl.select(
            pl.concat_str(
                pl.Series(prefixes.tolist(), dtype=pl.String).gather(rng.integers(0, len(prefixes), n)),
                pl.Series(rng.integers(0, 100_000_000, n)).cast(pl.String).str.zfill(8),
            )
        ).to_series()
        phone = pl.select(pl.when(pl.Series(rng.random(n) >= 0.08)).then(phone)).to_series()
        c1, c2 = self.other_causes
        other = pl.select(
            pl.concat_str(_codes(CAUSES, c1), _codes(CAUSES, c2), separator="、", ignore_nulls=True)
        ).to_series()
        other = pl.select(pl.when(pl.Series((c1 >= 0) | (c2 >= 0))).then(other)).to_series()
        monitored = self.category >= 0
        eliminated = self.eliminated == 1
        w = self.water
        f64, i32 = pl.Float64(), pl.Int32()
        columns = {
            "household_id": ids,
            "year": pl.Series(np.full(n, year)).cast(i32),
            "region_code": village_codes.gather(self.hh_village),
            "hamlet": hamlets.gather(hamlet_no - 1),
            "registered": pl.Series(self.registered),
            "poverty_status": _codes(POVERTY_STATUSES, self.status),
            "exit_year": _masked(self.exit_year, self.exit_year >= 0, i32),
            "identified_year": _masked(self.identified, self.registered, i32),
            "poverty_attribute": _codes(POVERTY_ATTRIBUTES, self.attribute),
            "main_cause": _codes(CAUSES, self.main_cause),
            "other_causes": other,
            "monitoring_category": _codes(MONITORING_CATEGORIES, self.category),
            "monitoring_since": _months(self.since, monitored),
            "risk_eliminated": _yesno(self.eliminated),
            "risk_eliminated_at": _months(self.eliminated_at, eliminated),
            "phone": phone,
            "wage_income": _masked(self.items["wage"], None, f64),
            "business_income": _masked(self.items["business"], None, f64),
            "property_income": _masked(self.items["property"], None, f64),
            "transfer_income": _masked(self.items["transfer"], None, f64),
            "business_expense": _masked(self.items["expense"], None, f64),
            "prior_net_income": _masked(*self.prior, f64),
            "medical_out_of_pocket": _masked(self.medical, None, f64),
            "education_out_of_pocket": _masked(self.education, None, f64),
            "disaster_loss": _masked(self.disaster, None, f64),
            "food_secure": _yesno(self.food),
            "clothing_secure": _yesno(self.clothing),
            "housing_grade": _codes(HOUSING_GRADES, self.grade),
            "housing_renovation": _codes(HOUSING_RENOVATION, self.renovation),
            "relocated": _masked(self.relocated, None, pl.Boolean()),
            "water_litres_per_day": _masked(*w["litres"], f64),
            "water_scarce_area": _yesno(np.select([w["scarce"][0] == 0, w["scarce"][0] == 1], [1, 0], NONE)),
            "water_quality": _codes(WATER_QUALITY, w["quality"][0]),
            "tap_water": _yesno(w["tap"][0]),
            "fetch_minutes": _masked(*w["minutes"], f64),
            "fetch_horizontal_m": _masked(*w["horizontal"], f64),
            "fetch_vertical_m": _masked(*w["vertical"], f64),
            "outage_days": _masked(*w["outage"], f64),
            "water_safe": _yesno(w["safe"][0]),
            "farmland_mu": _masked(*self.land["farmland"], f64),
            "forest_mu": _masked(*self.land["forest"], f64),
            "road_distance_km": _masked(*self.land["road"], f64),
        }
        return _frame("households", columns)

    def _member_frame(self, household_ids: pl.Series) -> pl.DataFrame:
        m, n = self.m, self.n
        hh = m.household
        count = len(hh)
        rng = self.rng(_S_NAMES + 100)
        p = pools()

        # Ethnicity: the household's from its town; spouses and in-laws drawn on their own.
        towns = self.v.towns
        eth1, eth2 = towns["eth1"].to_numpy(), towns["eth2"].to_numpy()
        p1, p2 = towns["p1"].to_numpy(), towns["p2"].to_numpy()
        minorities = geography.other_minorities()

        def draw_ethnicity(town: np.ndarray, size: int) -> np.ndarray:
            u = rng.random(size)
            other = minorities[rng.integers(0, len(minorities), size)]
            return np.select(
                [u < p1[town], u < p1[town] + p2[town], u > 0.985], [eth1[town], eth2[town], other], 0
            )

        household_eth = draw_ethnicity(self.hh_town, n)
        own_eth = draw_ethnicity(self.hh_town[hh], count)
        married_in = np.isin(m.kind, [people.SPOUSE, people.CHILD_SPOUSE]) | (
            (m.kind == people.PARENT)
            & np.isin(m.relationship, [people.R[r] for r in ("之岳父", "之岳母", "之公公", "之婆婆")])
        )
        ethnicity = np.where(married_in, own_eth, household_eth[hh])

        # Names: children carry the father's surname; spouses and in-laws their own.
        n_surnames = len(p["surnames"])
        head_surname = rng.integers(0, n_surnames, n)
        spouse_surname = rng.integers(0, n_surnames, n)
        own_surname = rng.integers(0, n_surnames, count)
        head_male = m.male[m.kind == people.HEAD]
        has_spouse = _any(hh, n, m.kind == people.SPOUSE)
        child_surname = np.where(head_male | ~has_spouse, head_surname, spouse_surname)
        rel = m.relationship
        surname = np.select(
            [m.kind == people.HEAD, m.kind == people.SPOUSE,
             np.isin(rel, [people.R["之父"], people.R["之兄弟姐妹"]]),
             np.isin(rel, [people.R["之岳父"], people.R["之公公"]]),
             m.kind == people.CHILD,
             np.isin(rel, [people.R["之孙子"], people.R["之孙女"]])],
            [head_surname[hh], spouse_surname[hh], head_surname[hh], spouse_surname[hh],
             child_surname[hh], child_surname[hh]],
            own_surname,
        )
        given_male = pl.Series(p["given_male"], dtype=pl.String).gather(rng.integers(0, len(p["given_male"]), count))
        given_female = pl.Series(p["given_female"], dtype=pl.String).gather(
            rng.integers(0, len(p["given_female"]), count)
        )
        names = pl.select(
            pl.concat_str(
                pl.Series(p["surnames"], dtype=pl.String).gather(surname),
                pl.when(pl.Series(m.male)).then(given_male).otherwise(given_female),
            )
        ).to_series()

        ids = self._id_numbers(rng)

        registered = self.registered[hh]
        attribute = self.attribute[hh]
        # 特困供养 is the head's (a person living alone, as a rule); 低保 covers the household.
        tekun = (attribute == 2) & (m.kind == people.HEAD)
        dibao = ((attribute == 1) | (~registered & (rng.random(n) < 0.01)[hh])) & m.living
        b = pl.Boolean()
        columns = {
            "household_id": household_ids.gather(hh),
            "year": pl.Series(np.full(count, self.year)).cast(pl.Int32()),
            "name": names,
            "id_number": ids,
            "sex": pl.Series(["男", "女"], dtype=pl.String).gather(np.where(m.male, 0, 1)),
            "relationship": _codes(RELATIONSHIPS, m.relationship),
            "ethnicity": _codes(ETHNICITIES, ethnicity),
            "education_level": _codes(EDUCATION_LEVELS, m.education_level),
            "school_status": _codes(SCHOOL_STATUSES, m.school_status),
            "dropout_reason": _codes(DROPOUT_REASONS, m.dropout_reason),
            "home_schooling": _yesno(m.home_schooling),
            "health": _codes(HEALTH, m.health),
            "disability_grade": _codes(DISABILITY_GRADES, m.disability_grade),
            "labour": _codes(LABOUR, m.labour),
            "work_location": _codes(WORK_LOCATIONS, m.work_location),
            "work_months": _masked(m.work_months, m.work_months >= 0, pl.Int32()),
            "medical_insurance": _codes(MEDICAL_INSURANCE, m.medical_insurance),
            "critical_illness_insurance": _yesno(m.critical_illness),
            "pension_insurance": _yesno(m.pension),
            "dibao": _masked(dibao & ~tekun, None, b),
            "tekun": _masked(tekun, None, b),
            "member_status": _codes(MEMBER_STATUSES, m.status),
            # Optional (assistance.md 1.8); the generator does not date status changes.
            "status_changed_on": pl.repeat(None, count, dtype=pl.Date(), eager=True),
        }
        return _frame("members", columns)

    def _id_numbers(self, rng: np.random.Generator) -> pl.Series:
        """18-digit IDs: county of the village, birth date giving the age on 31 December of the
        year, a sequence unique within (county, birth date, sex), odd for men."""
        m = self.m
        hh = m.household
        count = len(hh)
        county = np.array([int(c[:6]) for c in self.v.towns["code"].to_list()], dtype=np.int64)
        county_of_member = county[self.hh_town[hh]]
        _, county_idx = np.unique(county_of_member, return_inverse=True)
        birth_year = self.year - m.age
        start = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
        end = (birth_year - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
        female = (~m.male).astype(np.int64)
        day = start + np.floor(rng.random(count) * (end - start)).astype(np.int64)
        # Rank within (county, birth date, sex); the rare overflow of 499 slots moves to
        # another day of the same year (the age stays the same).
        for _ in range(100):
            key = ((county_idx.astype(np.int64) << 20) | (day + 40000)) << 1 | female
            order = np.argsort(key, kind="stable")
            sorted_key = key[order]
            first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
            group_start = np.maximum.accumulate(np.where(first, np.arange(count), 0))
            rank = np.empty(count, dtype=np.int64)
            rank[order] = np.arange(count) - group_start
            overflow = rank >= 499
            if not overflow.any():
                break
            day = np.where(
                overflow, start + np.floor(rng.random(count) * (end - start)).astype(np.int64), day
            )
        else:
            raise SynthError(
                "一个区县的人数过多，无法分配不重复的身份证号：请减少户数或扩大区域 / "
                "too many people in one county for unique ID numbers: fewer households or a wider region"
            )
        # One random offset per group spreads the sequences over the whole range while the
        # slots of a group stay distinct.
        group_offset = np.empty(count, dtype=np.int64)
        group_offset[order] = rng.integers(0, 499, count)[group_start]
        slot = (rank + group_offset) % 499
        sequence = np.where(m.male, 2 * slot + 1, 2 * slot + 2)
        first17 = pl.select(
            pl.concat_str(
                pl.Series(county_of_member).cast(pl.String),
                pl.Series(day.astype("datetime64[D]")).dt.strftime("%Y%m%d"),
                pl.Series(sequence).cast(pl.String).str.zfill(3),
            )
        ).to_series()
        return pl.select(pl.concat_str(first17, check_characters(first17))).to_series()

    def _region_frame(self) -> pl.DataFrame:
        rng = self.rng(_S_REGIONS)
        v, m = self.v, self.m
        n_villages = len(v.code)
        living = m.living
        village_of_member = self.hh_village[m.household]
        everyone = _bincount(village_of_member, n_villages, living)
        ever_people = _bincount(village_of_member, n_villages, living & self.ever[m.household])
        share = np.clip(
            rng.lognormal(np.log(cal.REGISTERED_SHARE), cal.REGISTERED_SHARE_SIGMA, n_villages), 0.02, 0.35
        )
        raw = ever_people / share
        total = raw.sum()
        scale = ever_people.sum() / cal.REGISTERED_SHARE / total if total > 0 else 1.0
        population = np.maximum(np.round(raw * scale), np.ceil(everyone * 1.5)).astype(np.int64)

        county_codes = sorted(set(v.towns["county_code"].to_list()))
        flags, exit_years = geography.poverty_counties(county_codes)
        names = geography.divisions.names()
        counties = pl.DataFrame(
            {
                "region_code": county_codes,
                "name": [names.get(c) for c in county_codes],
                "registered_rural_population": [None] * len(county_codes),
                "zone": [geography.zone_of(c) for c in county_codes],
                "poverty_county": flags,
                "county_exit_year": exit_years,
                "poor_village": [None] * len(county_codes),
                "deep_poverty": [None] * len(county_codes),
            },
            schema=polars_schema("regions"),
        )
        villages = pl.DataFrame(
            {
                "region_code": v.code.tolist(),
                "name": v.name.tolist(),
                "registered_rural_population": population,
                "zone": [None] * n_villages,
                "poverty_county": [None] * n_villages,
                "county_exit_year": [None] * n_villages,
                "poor_village": [None] * n_villages,
                "deep_poverty": [None] * n_villages,
            },
            schema=polars_schema("regions"),
        )
        villages = villages.with_columns(
            zone=pl.col("region_code").str.slice(0, 2).replace_strict(
                geography.ZONE_OF_PROVINCE, default=None, return_dtype=pl.String
            )
        )
        return _frame("regions", dict(pl.concat([counties, villages]).to_dict()))


def _frame(table: str, columns: dict[str, pl.Series]) -> pl.DataFrame:
    schema = polars_schema(table)
    missing = set(schema) - set(columns)
    extra = set(columns) - set(schema)
    assert not missing and not extra, (missing, extra)
    return pl.DataFrame([columns[name].alias(name).cast(dtype) for name, dtype in schema.items()])
