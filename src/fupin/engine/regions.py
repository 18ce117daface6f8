"""Village, town and county aggregates (``spec/rules.md`` section 4).

Readings chosen (tested):

* ``households``/``people`` count every household of the year and its living members;
  ``registered_households``/``registered_people`` only 建档立卡 households.
* **Projected incidence** counts remaining-poor households whose ``meets_standard`` is not
  ``yes`` (``no``, ``unverified`` or ``error``): only a household shown to meet the standard is
  projected out of poverty, so a village cannot qualify for exit on unverified data.
* **Registered rural population** of a town or county is its own row of the regions table when
  given, else the sum over its villages when every village with households has a figure,
  else unknown (a partial sum would overstate incidence).
* **Zone**: the regions table row of the code, its town, county or province, else the policy
  parameter ``zone`` (e.g. chongqing.toml sets 西部), else unknown → the ordinary threshold.
* **Listed supervision**: any reason of :func:`listed_reasons` (supervision-analytics.md A.1
  without ``ranking``): villages by the 2020 rule; counties when 是否贫困县 = 是 and no 摘帽年度
  or one after the assessment year; any level marked 是否深度贫困 with poor people left when the
  policy ``listed_deep_poverty`` is 1. Towns have no other reason: null while it is 0.
"""

from __future__ import annotations

import polars as pl

from fupin import divisions
from fupin.engine import facts
from fupin.engine import rules as R
from fupin.engine.policy import REGION_PARAMETERS, PolicySet

LEVEL_DIGITS = {"village": 12, "town": 9, "county": 6}


def _pad(expr: pl.Expr) -> pl.Expr:
    return expr.str.pad_end(12, "0")


def _regions_frame(regions) -> pl.DataFrame:
    schema = {"region_code": pl.String, "name": pl.String, "registered_rural_population": pl.Int64,
              "zone": pl.String, "poverty_county": pl.Boolean, "county_exit_year": pl.Int32,
              "poor_village": pl.Boolean, "deep_poverty": pl.Boolean}
    if regions is None:
        return pl.DataFrame(schema=schema)
    r = regions.collect() if isinstance(regions, pl.LazyFrame) else regions
    r = r.with_columns([pl.lit(None, dtype=dt).alias(c) for c, dt in schema.items() if c not in r.columns])
    return r.select(
        _pad(pl.col("region_code").cast(pl.String)).alias("region_code"), pl.col("name"),
        pl.col("registered_rural_population").cast(pl.Int64), pl.col("zone"),
        pl.col("poverty_county"), pl.col("county_exit_year").cast(pl.Int32),
        pl.col("poor_village").cast(pl.Boolean), pl.col("deep_poverty").cast(pl.Boolean),
    ).unique("region_code", keep="last")


regions_frame = _regions_frame

# The reasons of A.1 a rule decides, in the order the spec lists them (``ranking`` is a choice of
# the user, added by fupin.engine.supervision).
LISTED_REASONS = ("poor_people", "incidence", "not_exited", "deep_poverty")


def listed_reasons(level: str, year: int) -> dict[str, pl.Expr]:
    """Boolean expressions, one per reason of supervision-analytics.md A.1 (null: the reason does
    not apply at ``level``), over a region row with its figures, its regions-table flags
    (``poverty_county``, ``county_exit_year``, ``deep_poverty``) and the policy columns."""
    none = pl.lit(None, dtype=pl.Boolean)
    village = level == "village"
    return {
        "poor_people": (pl.col("remaining_poor_people") > pl.col("listed_village_poor_min")) if village else none,
        "incidence": (pl.col("incidence") > pl.col("listed_village_incidence_min")).fill_null(False)
        if village else none,
        "not_exited": pl.col("poverty_county").fill_null(False) & (
            pl.col("county_exit_year").is_null() | (pl.col("county_exit_year") > year)) if level == "county" else none,
        "deep_poverty": pl.when(pl.col("listed_deep_poverty").cast(pl.Float64) == 1).then(
            pl.col("deep_poverty").fill_null(False) & (pl.col("remaining_poor_people") > 0)),
    }


def listed_expr(level: str, year: int) -> pl.Expr:
    """``listed_supervision``: any reason of :func:`listed_reasons` (null when none applies)."""
    reasons = [e for e in listed_reasons(level, year).values()]
    return pl.when(pl.any_horizontal([r.is_not_null() for r in reasons])).then(
        pl.any_horizontal([r.fill_null(False) for r in reasons]))


VERDICT_COLUMNS = ("meets_standard", "monitoring_category", *R.INDICATORS)


def region_summary(assessment: pl.DataFrame | None, households: pl.DataFrame, members, regions, *,
                   year: int, level: str = "village", region: str | None = None,
                   policy: PolicySet) -> pl.DataFrame:
    """One row per region at ``level`` (village | town | county), sorted by code.

    The counts of households and people (in total, registered, remaining poor) and the incidence
    come from the registry; the figures that need a verdict (projected incidence, exit, leads,
    unmet indicators) from ``assessment``, and are empty (null) without one — a year that has
    not been assessed still has its registry figures.
    """
    if level not in LEVEL_DIGITS:
        raise ValueError(f"level 应为 village、town 或 county (level must be village, town or county): {level}")
    digits = LEVEL_DIGITS[level]
    hh = households.lazy() if isinstance(households, pl.DataFrame) else households
    mem = members.lazy() if isinstance(members, pl.DataFrame) else members
    hh = hh.filter(pl.col("year") == year).select("household_id", "region_code", "registered", "poverty_status")
    people = facts.population_of(mem.filter(pl.col("year").is_null() | (pl.col("year") == year))).select(
        "household_id", "population")
    a = hh.join(people, on="household_id", how="left")
    assessed = assessment is not None
    if assessed:
        verdicts = assessment.lazy().select("household_id", *VERDICT_COLUMNS)
        a = a.join(verdicts, on="household_id", how="left")
    else:
        a = a.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in VERDICT_COLUMNS])
    if region:
        a = a.filter(pl.col("region_code").str.starts_with(divisions.scope_prefix(region)))
    a = a.with_columns(
        code=_pad(pl.col("region_code").str.slice(0, digits)),
        village=_pad(pl.col("region_code")),
        _poor=facts.remaining_poor(),
        _reg=facts.registered(),
    )
    pop = pl.col("population").fill_null(0)

    def when_assessed(expr: pl.Expr) -> pl.Expr:
        return expr if assessed else pl.lit(None, dtype=pl.Int64)

    counts = a.group_by("code").agg(
        households=pl.len().cast(pl.Int64),
        people=pop.sum().cast(pl.Int64),
        registered_households=pl.col("_reg").sum().cast(pl.Int64),
        registered_people=pop.filter(pl.col("_reg")).sum().cast(pl.Int64),
        remaining_poor_households=pl.col("_poor").sum().cast(pl.Int64),
        remaining_poor_people=pop.filter(pl.col("_poor")).sum().cast(pl.Int64),
        projected_poor_people=when_assessed(
            pop.filter(pl.col("_poor") & (pl.col("meets_standard") != "yes").fill_null(True)).sum().cast(pl.Int64)),
        **{f"leads_{c}": when_assessed((pl.col("monitoring_category") == c).sum().cast(pl.Int64))
           for c in R.WORK_LIST_CATEGORIES},
        monitored=when_assessed((pl.col("monitoring_category") == "monitored").sum().cast(pl.Int64)),
        **{f"unmet_{k}": when_assessed((pl.col(k) == "unmet").sum().cast(pl.Int64)) for k in R.INDICATORS},
    ).collect()

    reg = _regions_frame(regions)
    explicit = reg.select(pl.col("region_code").alias("code"), pl.col("registered_rural_population").alias("_explicit"))
    villages = a.select("code", "village").unique().collect().join(
        reg.select(pl.col("region_code").alias("village"), pl.col("registered_rural_population").alias("_vpop")),
        on="village", how="left",
    )
    village_sums = villages.group_by("code").agg(
        _vsum=pl.when(pl.col("_vpop").is_null().any()).then(None).otherwise(pl.col("_vpop").sum())
    )
    out = counts.join(explicit, on="code", how="left").join(village_sums, on="code", how="left").with_columns(
        registered_rural_population=pl.coalesce("_explicit", "_vsum").cast(pl.Int64)
    )

    # Zone: the code's own row, then its town, county, province; then the policy.
    zone_of = reg.select(pl.col("region_code"), pl.col("zone")).filter(pl.col("zone").is_not_null())
    zone_cols = []
    for i, n in enumerate((12, 9, 6, 2)):
        if n > digits:
            continue
        out = out.with_columns(_pad(pl.col("code").str.slice(0, n)).alias(f"_z{i}")).join(
            zone_of.rename({"region_code": f"_z{i}", "zone": f"_zone{i}"}), on=f"_z{i}", how="left"
        )
        zone_cols.append(f"_zone{i}")

    pframe = policy.frame(year, out["code"], needed=REGION_PARAMETERS, parameters=(*REGION_PARAMETERS, "zone"))
    out = out.with_columns(policy.policy_key_expr(pl.col("code"))).join(pframe, on="policy_key", how="left")
    if "zone" not in out.columns:
        out = out.with_columns(zone=pl.lit(None, dtype=pl.String))
    out = out.with_columns(zone=pl.coalesce(*zone_cols, pl.col("zone").cast(pl.String)))

    rrp = pl.col("registered_rural_population")
    out = out.with_columns(
        incidence=pl.when(rrp > 0).then(pl.col("remaining_poor_people") / rrp),
        projected_incidence=pl.when(rrp > 0).then(pl.col("projected_poor_people") / rrp),
        exit_threshold=pl.when(pl.col("zone") == "西部").then(pl.col("exit_incidence_west"))
        .otherwise(pl.col("exit_incidence")),
    ).with_columns(exit_eligible=pl.col("projected_incidence") < pl.col("exit_threshold"))

    flags = reg.select(pl.col("region_code").alias("code"), "poverty_county", "county_exit_year", "deep_poverty")
    out = out.join(flags, on="code", how="left").with_columns(listed_supervision=listed_expr(level, year))

    names = _names(out["code"].to_list(), reg)
    out = out.with_columns(name=pl.col("code").replace_strict(names, default=None, return_dtype=pl.String),
                           level=pl.lit(level))
    return out.select(
        "code", "name", "level", "households", "people", "registered_households", "registered_people",
        "remaining_poor_households", "remaining_poor_people", "registered_rural_population", "incidence",
        "projected_poor_people", "projected_incidence", "zone", "exit_threshold", "exit_eligible",
        "listed_supervision", "leads_unstable", "leads_marginal", "leads_sudden", "leads_unknown", "monitored",
        *[f"unmet_{k}" for k in R.INDICATORS], "policy",
    ).sort("code")


def _names(codes: list[str], reg: pl.DataFrame) -> dict[str, str | None]:
    """Village names from the regions table; towns and counties from the division table."""
    given = dict(zip(reg["region_code"].to_list(), reg["name"].to_list(), strict=True))
    table = divisions.names()
    return {c: given.get(c) or table.get(c) for c in codes}
