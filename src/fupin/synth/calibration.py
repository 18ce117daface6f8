"""Published figures the synthetic registry is calibrated to, and the generator's own choices.

These are parameters of the synthetic data only; the rules engine never reads them (its
thresholds come from policy files). Each figure says where it comes from; a figure marked
*assumption* is the generator's choice, made to look plausible, not a published number.
"""

from __future__ import annotations

# --- published figures (Chongqing) -----------------------------------------------------------

# Poverty incidence of registered poor (remaining poor / registered rural population).
# 2014 7.1% and 2018 0.7%: issue text (Chongqing official figures); 2019 0.12%: Chongqing's
# end-2019 figure as reported in 2020; 2020: all registered poor exited. 2015–2017 are
# interpolated geometrically between 2014 and 2018 (assumption).
INCIDENCE_PUBLISHED = {2014: 0.071, 2018: 0.007, 2019: 0.0012, 2020: 0.0}

# Per-capita net income of registered poor households, yuan: 4697 (2014), 12303 (2020), from
# the issue text; years between are interpolated geometrically, later years grow 8% a year
# (assumption, close to the 2021–2023 growth of rural incomes of exited households).
REGISTERED_INCOME_2014 = 4697.0
REGISTERED_INCOME_2020 = 12303.0
REGISTERED_INCOME_GROWTH_AFTER_2020 = 0.08

# Chongqing rural per-capita disposable income, yuan (statistical bulletins, rounded); used for
# households that were never registered. Later years grow 6% a year (assumption).
RURAL_INCOME = {
    2014: 9490.0, 2015: 10505.0, 2016: 11549.0, 2017: 12638.0, 2018: 13781.0, 2019: 15133.0,
    2020: 16361.0, 2021: 18100.0, 2022: 19313.0, 2023: 20820.0,
}
RURAL_INCOME_GROWTH = 0.06

# --- the generator's choices (assumptions) -----------------------------------------------

FIRST_YEAR = 2014          # the registry (建档立卡) starts in 2014
LAST_EXIT_YEAR = 2020      # every registered poor household has exited by the end of 2020
FIRST_MONITORING_YEAR = 2021

# People ever registered / registered rural population. Chongqing registered 1.66 million poor
# people in 2014 and about 1.9 million in all, of roughly 21–23 million rural residents.
REGISTERED_SHARE = 0.09
# Spread of that share between villages (lognormal sigma): poor villages reach 20–30%.
REGISTERED_SHARE_SIGMA = 0.5

# Share of ever-registered people identified in each year (most in the 2014 identification,
# the rest added by the 2015–2017 reviews); sums to 1.
IDENTIFIED_SHARES = {2014: 0.87, 2015: 0.05, 2016: 0.03, 2017: 0.03, 2018: 0.015, 2019: 0.005}

# Share of the households in the generated registry that were never registered. The file is
# the registry plus a sample of general rural households (the candidates for 边缘易致贫户), not
# the whole village: the regions table carries the full registered rural population.
GENERAL_HOUSEHOLD_SHARE = 0.35

# Share of exited households that fall back (返贫) for a year before exiting again (≤ 2019).
RELAPSE_SHARE = 0.012

# Per-capita income of households still in poverty relative to exited ones, by year: in 2014
# most registered poor were above the line (quota-based identification), the last ones were
# far below it.
POOR_INCOME_FACTOR = {2014: 0.85, 2015: 0.6, 2016: 0.45, 2017: 0.38, 2018: 0.33, 2019: 0.3}
# Households registered in a later year earn this share of general households' income before.
FUTURE_REGISTERED_INCOME_FACTOR = 0.45
# General households in the sample are somewhat poorer than the average rural resident.
GENERAL_INCOME_FACTOR = 0.9
INCOME_SIGMA_REGISTERED = 0.42
INCOME_SIGMA_GENERAL = 0.55

# Monitoring objects (years ≥ 2021): share of registered and of general households ever
# identified, and the reference monitoring line the synthetic incomes are placed around
# (6000 yuan in 2021, policy-sources.md; provinces set their own later).
MONITORED_SHARE_REGISTERED = 0.035
MONITORED_SHARE_GENERAL = 0.008
MONITORING_REFERENCE_LINE = 6000.0

# Household size distribution (sizes 1–7), mean about 3.1 for general and 2.9 for registered
# households (Chongqing rural households average about 3 people).
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7)
SIZE_WEIGHTS_GENERAL = (0.10, 0.24, 0.27, 0.21, 0.11, 0.05, 0.02)
SIZE_WEIGHTS_REGISTERED = (0.15, 0.26, 0.24, 0.18, 0.10, 0.05, 0.02)

# Villages per town (5–20 for 乡/镇, fewer for 街道) and the smallest mean number of households
# per village before the generator narrows the towns it uses.
VILLAGES_PER_TOWN = (5, 20)
VILLAGES_PER_SUBDISTRICT = (1, 6)
MIN_HOUSEHOLDS_PER_VILLAGE = 80


def incidence_target(year: int) -> float:
    """Remaining-poor incidence aimed at for ``year`` (0 from 2020 on)."""
    if year >= LAST_EXIT_YEAR:
        return 0.0
    if year in INCIDENCE_PUBLISHED:
        return INCIDENCE_PUBLISHED[year]
    a, b = INCIDENCE_PUBLISHED[2014], INCIDENCE_PUBLISHED[2018]
    return a * (b / a) ** ((year - 2014) / 4)


def registered_income(year: int) -> float:
    """Per-capita net income of registered households aimed at for ``year``."""
    if year <= 2020:
        ratio = REGISTERED_INCOME_2020 / REGISTERED_INCOME_2014
        return REGISTERED_INCOME_2014 * ratio ** ((year - 2014) / 6)
    return REGISTERED_INCOME_2020 * (1 + REGISTERED_INCOME_GROWTH_AFTER_2020) ** (year - 2020)


def rural_income(year: int) -> float:
    last = max(RURAL_INCOME)
    if year in RURAL_INCOME:
        return RURAL_INCOME[year]
    if year > last:
        return RURAL_INCOME[last] * (1 + RURAL_INCOME_GROWTH) ** (year - last)
    return RURAL_INCOME[min(RURAL_INCOME)]


def poor_income_factor(year: int) -> float:
    return POOR_INCOME_FACTOR.get(year, POOR_INCOME_FACTOR[2019])


def exit_schedule() -> dict[int, list[float]]:
    """Cumulative share of each identification cohort that has exited by the end of each year.

    Exit hazards h(y) are solved from the incidence targets: the stock of remaining poor (as a
    share of ever-registered people) is S(y) = (S(y-1) + new(y)) × (1 - h(y)). Returns
    cohort → [exited share by end of 2014, …, 2020]; 0 before the cohort's year.
    """
    years = list(range(FIRST_YEAR, LAST_EXIT_YEAR + 1))
    stock = 0.0
    hazards = {}
    for y in years:
        target = incidence_target(y) / REGISTERED_SHARE
        inflow = stock + IDENTIFIED_SHARES.get(y, 0.0)
        hazards[y] = 1.0 - target / inflow if inflow > 0 else 1.0
        stock = target
    schedule = {}
    for cohort in IDENTIFIED_SHARES:
        survival = 1.0
        row = []
        for y in years:
            if y >= cohort:
                survival *= 1.0 - hazards[y]
            row.append(0.0 if y < cohort else 1.0 - survival)
        row[-1] = 1.0
        schedule[cohort] = row
    return schedule

