"""Policy scenarios (``spec/supervision-analytics.md`` part E): what a changed line would do.

The same registry is assessed twice in one run — the baseline with the loaded policy, the
scenario with ``--set PARAM=VALUE`` overrides — and the two verdict tables are joined by
household: region figures side by side, the households whose verdict or category changed, and
the income needed to bring households up to each line (shortfall) in exact fen.

Readings chosen (tested, named in the tests):

* **Overrides beat every file**: :class:`ScenarioPolicy` answers an overridden parameter for any
  region code under ``where`` before looking at the files, so a more specific provincial file
  cannot hide it; ``where`` becomes a policy key of its own (the engine resolves the policy per
  key, so a county inside a province gets its own row of parameters).
* **The findings are run once**: the quality checks do not read the policy, so both runs block
  the same ``error`` households.
* **exit_eligible / listed** are counts: 1 or 0 on a region row (null when unknown, as in
  ``regions``), the number of regions of the level on the ``total`` row.
* **Shortfall**: per household ``line × population − net_income`` in yuan, brought to integer fen
  (round half to even) before summing; output yuan = fen / 100 (one division).
* **changed households** (``--households``) are those whose ``meets_standard`` or
  ``monitoring_category`` differs.

Nothing here writes anything: a scenario is never stored.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import polars as pl

from fupin import divisions
from fupin.engine import quality
from fupin.engine import rules as R
from fupin.engine.assess import FINDING_COLUMNS, _conform_findings, assess_lazy
from fupin.engine.policy import PARAMETER_LABELS, PolicyFile, PolicySet, Value
from fupin.engine.regions import LEVEL_DIGITS, region_summary

# Counted per region for the baseline (``<m>_base``) and the scenario (``<m>_scen``), in this order.
MEASURES = (
    "yes", "no", "unverified", "income_unmet", "leads", "projected_poor_people", "exit_eligible", "listed",
    "shortfall_poverty", "shortfall_monitoring",
)
# ``leads``: the categories a lead is created for (unstable, marginal, sudden).
LEAD_CATEGORIES = R.LEAD_CATEGORIES
OUTPUT_COLUMNS = [
    "code", "name", "level", "households", "people", "error",
    *[f"{m}_{side}" for m in MEASURES for side in ("base", "scen")],
    "verdict_changed_households", "verdict_changed_people", "became_no", "became_yes",
    "category_changed_households", "scenario",
]
HOUSEHOLD_COLUMNS = [
    "household_id", "region_code", "population", "per_capita_net_income",
    "meets_standard_base", "meets_standard_scen", "monitoring_category_base", "monitoring_category_scen",
    "unmet_base", "unmet_scen", "unknown_base", "unknown_scen",
    "shortfall_poverty_base", "shortfall_poverty_scen", "shortfall_monitoring_base", "shortfall_monitoring_scen",
]
MONEY_COLUMNS = tuple(c for c in OUTPUT_COLUMNS if c.startswith("shortfall_"))

# Parameters that are shares or incidences (valid in [0, 1]) and those counted in whole days or
# months; every other number must not be negative. Text parameters take any text.
_FRACTION_WORDS = ("share", "incidence")
_FRACTION_NAMES = ("assess_wrong_exit_max", "assess_missed_max", "assess_approval_min", "sample_confidence_level")
_WHOLE_SUFFIXES = ("_days", "_months")
_WHOLE_WORDS = ("_days_", "_months_")


class ScenarioError(ValueError):
    """A scenario that cannot run as asked; Chinese first, English in brackets."""


# --- overrides ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Override:
    parameter: str
    text: str       # the value as the user wrote it
    value: object   # float for numbers (exact rationals read through Fraction), str for text


def known_parameters(policy: PolicySet) -> list[str]:
    """Every parameter a scenario may set: those with a label and those any loaded file sets."""
    return sorted({*PARAMETER_LABELS, *policy.parameters()})


def parameter_kind(parameter: str, policy: PolicySet) -> str:
    """``text``, ``number`` or ``table`` (a structured value --set cannot replace), from the values
    the loaded files give it; a parameter no file sets is a number."""
    values = [v.value for f in policy.files for v in f.parameters.get(parameter, {}).values()]
    if any(isinstance(v, dict | list) for v in values):
        return "table"
    if any(isinstance(v, str) for v in values):
        return "text"
    return "number"


def _is_fraction_parameter(p: str) -> bool:
    return p in _FRACTION_NAMES or any(w in p for w in _FRACTION_WORDS)


def _is_whole_parameter(p: str) -> bool:
    return p.endswith(_WHOLE_SUFFIXES) or any(w in p for w in _WHOLE_WORDS)


def _rational(text: str) -> Fraction | None:
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None
    return value


def parse_overrides(texts: Sequence[str] | None, policy: PolicySet) -> list[Override]:
    """The ``--set PARAM=VALUE`` list, validated against the policy's parameters (in the order
    given). Raises :class:`ScenarioError` with the spec's message."""
    if not texts:
        raise ScenarioError("至少需要一个 --set 参数=值 (at least one --set PARAM=VALUE is needed)")
    known = known_parameters(policy)
    seen: dict[str, Override] = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise ScenarioError(f"--set 格式应为 参数=值：{text} (--set must be PARAM=VALUE)")
        if name not in known:
            # The spec's message lists what is available: the look-alikes, else every parameter
            # (0.6: at 0.5 "nope" was offered "zone" alone, three letters alike, as if meant).
            near = difflib.get_close_matches(name, known, n=5, cutoff=0.6) or known
            raise ScenarioError(f"未知的政策参数 {name}；可用：{'、'.join(near)} (unknown policy parameter {name})")
        if name in seen:
            raise ScenarioError(f"{name} 被设置了两次 ({name} is set twice)")
        seen[name] = Override(name, raw, _value(name, raw, policy))
    return list(seen.values())


def _value(name: str, raw: str, policy: PolicySet) -> object:
    invalid = ScenarioError(f"{name} 的值无效：{raw} (invalid value for {name})")
    kind = parameter_kind(name, policy)
    if kind == "table":
        raise invalid
    if kind == "text":
        return raw
    value = _rational(raw)
    if value is None or value < 0:
        raise invalid
    if _is_fraction_parameter(name) and value > 1:
        raise invalid
    if _is_whole_parameter(name) and value.denominator != 1:
        raise invalid
    as_float = float(value)
    if not math.isfinite(as_float):
        raise invalid
    return as_float


def scenario_text(overrides: Sequence[Override]) -> str:
    """The ``scenario`` column: the --set list as given, ';'-joined."""
    return ";".join(f"{o.parameter}={o.text}" for o in overrides)


# --- the scenario's policy ---------------------------------------------------------------------

SCENARIO_FILE = PolicyFile(name="scenario", version="set", path="--set", title="情景分析设定值")


@dataclass
class ScenarioPolicy(PolicySet):
    """The loaded policy with overridden parameters under ``where`` ('' = everywhere).

    An override is found before any file, so it beats more specific files (spec E "applied after
    resolution"); elsewhere the files resolve as they always do."""

    overrides: dict[str, object] = field(default_factory=dict)
    where: str = ""

    @classmethod
    def of(cls, policy: PolicySet, overrides: Sequence[Override], where: str = "") -> ScenarioPolicy:
        return cls(files=list(policy.files), overrides={o.parameter: o.value for o in overrides}, where=where)

    def _under(self, region_code: str | None) -> bool:
        return (region_code or "").startswith(self.where)

    def _found(self, parameter, year, region_code):
        if parameter in self.overrides and self._under(region_code):
            return SCENARIO_FILE, Value(self.overrides[parameter], "情景分析 --set", "—")
        return super()._found(parameter, year, region_code)

    def prefixes(self) -> list[str]:
        found = set(super().prefixes())
        if len(self.where) > 2:
            found.add(self.where)
        return sorted(found, key=len, reverse=True)

    def identity_for(self, region_code: str | None) -> str:
        base = super().identity_for(region_code)
        return f"{base}+scenario" if self._under(region_code) else base

    @property
    def identity(self) -> str:
        return f"{super().identity}+scenario"


# --- the run -----------------------------------------------------------------------------------

@dataclass
class ScenarioResult:
    regions: pl.DataFrame      # OUTPUT_COLUMNS, a row per region at the level then ``total``
    households: pl.DataFrame   # HOUSEHOLD_COLUMNS, the changed households
    overrides: list[Override]
    base_policy: str
    where: str


def check_where(where: str, region: str | None) -> None:
    """``--where`` and ``--region`` must overlap (one is a prefix of the other)."""
    if where and region:
        w, r = divisions.scope_prefix(where), divisions.scope_prefix(region)
        if not (w.startswith(r) or r.startswith(w)):
            raise ScenarioError("--where 与 --region 不相交 (--where and --region do not overlap)")


def _fen(expr: pl.Expr) -> pl.Expr:
    """Yuan to integer fen, round half to even per value (spec "Numbers")."""
    return (expr * 100).round(0, mode="half_to_even").cast(pl.Int64)


def _shortfalls(verdicts: pl.LazyFrame) -> list[pl.Expr]:
    """Per household, in fen: income to bring it to the poverty line (per-capita income ≤ line) and
    to the monitoring line (< line, where one applies); 0 elsewhere, null never (error households
    and unknown income add nothing)."""
    c = pl.col
    known = (c("meets_standard") != "error") & c("net_income").is_not_null() & c("per_capita_net_income").is_not_null()
    poverty = pl.when(known & (c("per_capita_net_income") <= c("detail_poverty_line"))).then(
        _fen(c("detail_poverty_line") * c("population") - c("net_income"))).otherwise(0)
    monitoring = pl.when(known & c("monitoring_line").is_not_null()
                         & (c("per_capita_net_income") < c("monitoring_line"))).then(
        _fen(c("monitoring_line") * c("population") - c("net_income"))).otherwise(0)
    return [poverty.cast(pl.Int64).alias("shortfall_poverty"), monitoring.cast(pl.Int64).alias("shortfall_monitoring")]


VERDICT_KEEP = ("household_id", "region_code", "population", "per_capita_net_income", "meets_standard",
                "monitoring_category", *R.INDICATORS, "unmet", "unknown")


def _side(lazy: pl.LazyFrame) -> pl.LazyFrame:
    return lazy.with_columns(_shortfalls(lazy)).select(*VERDICT_KEEP, "shortfall_poverty", "shortfall_monitoring")


def run_scenario(households: pl.DataFrame, members: pl.DataFrame, regions, *, year: int, policy: PolicySet,
                 overrides: Sequence[Override], level: str, where: str | None = None, region: str | None = None,
                 as_of: date | None = None, findings: pl.DataFrame | None = None) -> ScenarioResult:
    """Baseline and scenario of ``year`` over the same households, joined (module doc).

    ``findings``: the checks already run while reading a file (the importer's issues); otherwise
    the checks run here, once for both runs. ``where`` defaults to ``region``, else everywhere.
    Raises ScenarioError, PolicyMissing (the scenario's policy may need values the baseline did not)."""
    if level not in LEVEL_DIGITS:
        raise ScenarioError(f"level 应为 village、town 或 county：{level} (level must be village, town or county)")
    if not overrides:
        raise ScenarioError("至少需要一个 --set 参数=值 (at least one --set PARAM=VALUE is needed)")
    check_where(where or "", region)
    as_of = as_of or date(year, 12, 31)
    h = households.filter(pl.col("year") == year)
    if region:
        h = h.filter(pl.col("region_code").str.starts_with(divisions.scope_prefix(region)))
    if h.height == 0:
        raise ScenarioError(f"区划 {region or '全部'} 下没有 {year} 年度的户 (no households of {year} there)")
    scope_where = divisions.scope_prefix(where) if where else (divisions.scope_prefix(region) if region else "")
    if where and h.filter(pl.col("region_code").str.starts_with(scope_where)).height == 0:
        raise ScenarioError(f"区划 {where} 下没有 {year} 年度的户 (no households of {year} under --where {where})")
    in_scope = pl.col("household_id").is_in(h["household_id"].implode())
    m = members.filter((pl.col("year").is_null() | (pl.col("year") == year)) & in_scope)

    if findings is None:
        before = quality.run(h, quality.prepare_members(m, as_of=as_of)).select(FINDING_COLUMNS)
    else:
        before = _conform_findings(findings, year).filter(in_scope)
    scenario_policy = ScenarioPolicy.of(policy, overrides, scope_where)

    base_lazy = _side(assess_lazy(h, m, regions, year=year, policy=policy, as_of=as_of, errors=before))
    scen_lazy = _side(assess_lazy(h, m, regions, year=year, policy=scenario_policy, as_of=as_of, errors=before))
    # One collect: the member facts and joins the two plans share are computed once.
    base, scen = pl.collect_all([base_lazy, scen_lazy])

    joined = base.join(
        scen.select("household_id", *[pl.col(c).alias(f"{c}_scen") for c in scen.columns if c != "household_id"]),
        on="household_id", how="left",
    ).rename({c: f"{c}_base" for c in base.columns if c not in ("household_id", "region_code", "population",
                                                                  "per_capita_net_income")})
    per_region = _by_region(joined, h, m, regions, base, scen, year=year, level=level, region=region,
                            policy=policy, scenario_policy=scenario_policy)
    text = scenario_text(overrides)
    per_region = per_region.with_columns(scenario=pl.lit(text))
    money = [(pl.col(c) / 100).alias(c) for c in MONEY_COLUMNS]
    changed = joined.filter(
        (pl.col("meets_standard_base") != pl.col("meets_standard_scen"))
        | (pl.col("monitoring_category_base") != pl.col("monitoring_category_scen"))
    ).with_columns(
        *[(pl.col(f"{k}_{s}") / 100).alias(f"{k}_{s}") for k in ("shortfall_poverty", "shortfall_monitoring")
          for s in ("base", "scen")]
    ).select(HOUSEHOLD_COLUMNS).sort("region_code", "household_id")
    return ScenarioResult(per_region.with_columns(money).select(OUTPUT_COLUMNS), changed, list(overrides),
                          policy.identity, scope_where)


def _counts(prefix_side: str) -> dict[str, pl.Expr]:
    c = pl.col
    s = prefix_side
    return {
        f"yes_{s}": (c(f"meets_standard_{s}") == "yes").sum(),
        f"no_{s}": (c(f"meets_standard_{s}") == "no").sum(),
        f"unverified_{s}": (c(f"meets_standard_{s}") == "unverified").sum(),
        f"income_unmet_{s}": (c(f"income_{s}") == "unmet").sum(),
        f"leads_{s}": c(f"monitoring_category_{s}").is_in(LEAD_CATEGORIES).sum(),
        f"shortfall_poverty_{s}": c(f"shortfall_poverty_{s}").sum(),
        f"shortfall_monitoring_{s}": c(f"shortfall_monitoring_{s}").sum(),
    }


def _by_region(joined: pl.DataFrame, h, m, regions, base, scen, *, year, level, region, policy,
               scenario_policy) -> pl.DataFrame:
    c = pl.col
    digits = LEVEL_DIGITS[level]
    changed = c("meets_standard_base") != c("meets_standard_scen")
    aggs = dict(
        households=pl.len(),
        people=c("population").fill_null(0).sum(),
        error=(c("meets_standard_base") == "error").sum(),
        **_counts("base"), **_counts("scen"),
        verdict_changed_households=changed.sum(),
        verdict_changed_people=c("population").fill_null(0).filter(changed).sum(),
        became_no=((c("meets_standard_base") != "no") & (c("meets_standard_scen") == "no")).sum(),
        became_yes=((c("meets_standard_base") != "yes") & (c("meets_standard_scen") == "yes")).sum(),
        category_changed_households=(c("monitoring_category_base") != c("monitoring_category_scen")).sum(),
    )
    aggs = {k: v.cast(pl.Int64).alias(k) for k, v in aggs.items()}
    keyed = joined.with_columns(code=c("region_code").str.slice(0, digits).str.pad_end(12, "0"))
    rows = keyed.group_by("code").agg(**aggs)
    total = joined.select(**aggs)

    figures = []
    for side, verdicts, pol in (("base", base, policy), ("scen", scen, scenario_policy)):
        summary = region_summary(verdicts, h, m, regions, year=year, level=level, region=region, policy=pol)
        figures.append(summary.select(
            "code", *(["name"] if side == "base" else []),
            c("projected_poor_people").cast(pl.Int64).alias(f"projected_poor_people_{side}"),
            c("exit_eligible").cast(pl.Int64).alias(f"exit_eligible_{side}"),
            c("listed_supervision").cast(pl.Int64).alias(f"listed_{side}"),
        ))
    rows = rows.join(figures[0], on="code", how="left").join(figures[1], on="code", how="left").with_columns(
        level=pl.lit(level)).sort("code")
    sums = rows.select([c(f"{m}_{s}").sum().cast(pl.Int64) for m in ("projected_poor_people", "exit_eligible", "listed")
                        for s in ("base", "scen")])
    total = pl.concat([total, sums], how="horizontal").with_columns(
        code=pl.lit(divisions.pad12(divisions.scope_prefix(region)) if region else ""),
        name=pl.lit("合计"), level=pl.lit("total"))
    columns = [col for col in OUTPUT_COLUMNS if col != "scenario"]
    return pl.concat([rows.select(columns), total.select(columns)], how="vertical_relaxed")
