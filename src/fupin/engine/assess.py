"""Assessment and monitoring of one year's households (``spec/rules.md`` sections 1–3).

:func:`assess_lazy` builds one lazy plan over whole tables: member facts are aggregated with
``group_by``, the policy parameters are joined as columns (one row per province or policy
prefix), and every rule of :mod:`fupin.engine.rules` is a column expression. The only eager
step before the plan is reading the distinct region codes, to resolve the policy per province
(a missing value must be refused before anything is computed).

Output conventions (tested):

* ``OUTPUT_COLUMNS`` in this order, then explanation columns: ``detail_*`` and the threshold
  column ``monitoring_line`` (the quality check Q25 reads it under that name).
* Every string field of ``OUTPUT_COLUMNS`` is a string, never null: ``''`` when empty (lists
  and fields not evaluated alike). Numbers (``net_income``, ``per_capita_net_income``) are null
  when unknown.
* Households with an ``error`` finding, or no living member (Q06), get
  ``meets_standard = 'error'``, the codes in ``errors`` (sorted, ';'-joined), ``''`` in every
  other verdict field and null income figures (never assessed on part of the members).
  ``errors`` lists error-severity codes only; warnings go to ``detail_warnings``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts, quality
from fupin.engine import rules as R
from fupin.engine.policy import MONITORING_PARAMETERS, STANDARD_PARAMETERS, PolicySet
from fupin.engine.schema import polars_schema

OUTPUT_COLUMNS = [
    "household_id", "year", "region_code", "population", "net_income",
    "per_capita_net_income", "income", "food", "clothing", "education", "medical", "housing", "water",
    "meets_standard", "unmet", "unknown", "monitoring_category", "risk_factors", "elimination",
    "elimination_failed", "errors", "policy",
]
VERDICT_TEXT_COLUMNS = [
    "income", "food", "clothing", "education", "medical", "housing", "water", "meets_standard",
    "unmet", "unknown", "monitoring_category", "risk_factors", "elimination", "elimination_failed",
]

# Policy parameters joined onto households and shown as detail columns.
ASSESSMENT_PARAMETERS = (*STANDARD_PARAMETERS, "monitoring_line", *MONITORING_PARAMETERS)

DETAIL_COLUMNS = [
    "detail_as_of", "detail_income_basis",
    "detail_education_unmet_members", "detail_education_unknown_members",
    "detail_medical_unmet_members", "detail_medical_unknown_members", "detail_unmet_members",
    "detail_water_basis", "detail_water_quantity", "detail_water_quality",
    "detail_water_convenience", "detail_water_guarantee",
    "detail_medical_out_of_pocket", "detail_education_out_of_pocket", "detail_disaster_loss",
    "detail_prior_net_income", "detail_rigid_expenses", "detail_medical_cost_limit",
    "detail_income_drop_limit", "detail_serious_illness_members",
    "detail_severe_disability_members", "detail_months_monitored", "detail_quick_elimination",
    "detail_warnings", "detail_policy_title", "detail_housing_grade", "detail_housing_renovation",
    "detail_relocated", "detail_water_safe", "detail_water_litres_per_day", "detail_in_poverty",
    "monitoring_line",
    *[f"detail_{p}" for p in ASSESSMENT_PARAMETERS if p != "monitoring_line"],
    *[f"detail_source_{p}" for p in ASSESSMENT_PARAMETERS],
]


def _lazy(frame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _conform(frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
    """Add the canonical columns a frame lacks, as typed nulls (import-only ones included)."""
    have = set(frame.collect_schema().names())
    schema = polars_schema(table, exchange_only=False)
    missing = [pl.lit(None, dtype=dt).alias(name) for name, dt in schema.items() if name not in have]
    return frame.with_columns(missing) if missing else frame


def _finding_codes(errors, year: int, severity: str) -> pl.LazyFrame:
    e = _lazy(errors)
    if "year" in e.collect_schema().names():
        e = e.filter(pl.col("year").is_null() | (pl.col("year") == year))
    return (
        e.filter(pl.col("severity") == severity)
        .group_by("household_id")
        .agg(pl.col("code").cast(pl.String).unique().sort().str.join(";").alias(f"_{severity}_codes"))
    )


def assess_lazy(households, members, regions=None, *, year: int, policy: PolicySet,
                as_of: date | None = None, errors: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The assessment of ``year`` as a lazy plan (see :func:`assess`)."""
    as_of = as_of or date(year, 12, 31)
    hh = _conform(_lazy(households), "households").filter(pl.col("year") == year)
    mem = _conform(_lazy(members), "members")
    mem = mem.filter(pl.col("year").is_null() | (pl.col("year") == year))

    codes = hh.select(pl.col("region_code").unique()).collect()["region_code"]
    pframe = policy.frame(year, codes, parameters=ASSESSMENT_PARAMETERS)

    facts = R.member_facts(mem, as_of)
    flag_cols = [f"m_{f.removesuffix('_member')}" for f in R.MEMBER_FLAGS]
    name_cols = [f"{c}_names" for c in flag_cols]
    # Every join keeps the households' order: the same file gives the same rows in the same order
    # (sorting the wide result instead cost a third more time and memory).
    x = (
        hh.join(facts, on="household_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("population").fill_null(0),
            pl.col("members_without_labour").fill_null(0),
            *[pl.col(c).fill_null(False) for c in flag_cols],
            *[pl.col(c).fill_null("") for c in name_cols],
        )
        .with_columns(policy.policy_key_expr(pl.col("region_code")))
        .join(pframe.lazy(), on="policy_key", how="left", maintain_order="left")
        # The registry keeps no elimination type (the workflow's leads do).
        .with_columns(elimination_type=pl.lit(None, dtype=pl.String))
    )
    if errors is not None:
        x = x.join(_finding_codes(errors, year, "error"), on="household_id", how="left", maintain_order="left")
        x = x.join(_finding_codes(errors, year, "warning"), on="household_id", how="left", maintain_order="left")
    else:
        x = x.with_columns(_error_codes=pl.lit(None, pl.String), _warning_codes=pl.lit(None, pl.String))

    x = (
        x.with_columns(R.net_income())
        .with_columns(R.per_capita_net_income())
        .with_columns(
            R.income(), R.food(), R.clothing(), R.education(), R.medical(), R.housing(),
            *R.water_sub_indicators(),
        )
        .with_columns(R.water())
        .with_columns(
            R.meets_standard(), R.unmet(), R.unknown(), R.monitoring_applies(), R.rigid_expenses(),
            R.medical_cost_limit(), R.income_drop_limit(), R.currently_monitored(), R.in_poverty(),
            R.months_since("monitoring_since", as_of).alias("months_monitored"),
        )
        .with_columns(*[fn().alias(f"risk_{k}") for k, fn in R.RISK_RULES.items()])
        .with_columns(R.any_risk(), R.risk_factors())
        .with_columns(R.category())
        .with_columns(R.elimination_failed())
        .with_columns(R.elimination())
    )

    # Errors: a household without a living member is Q06 whatever the findings say.
    codes_expr = pl.concat_list([
        pl.col("_error_codes").fill_null("").str.split(";"),
        pl.when(pl.col("population") <= 0).then(pl.lit(["Q06"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
    ]).list.eval(pl.element().filter(pl.element() != "")).list.unique().list.sort().list.join(";")
    x = x.with_columns(errors=codes_expr.fill_null("")).with_columns(
        _has_error=pl.col("errors") != ""
    )
    blank = {c: pl.when(pl.col("_has_error")).then(pl.lit("")).otherwise(pl.col(c)) for c in VERDICT_TEXT_COLUMNS}
    blank["meets_standard"] = pl.when(pl.col("_has_error")).then(pl.lit("error")).otherwise(pl.col("meets_standard"))
    x = x.with_columns(
        **blank,
        net_income=pl.when(pl.col("_has_error")).then(None).otherwise(pl.col("net_income")),
        per_capita_net_income=pl.when(pl.col("_has_error")).then(None).otherwise(pl.col("per_capita_net_income")),
    )
    return x.select(
        pl.col("household_id"), pl.lit(year, dtype=pl.Int32).alias("year"), pl.col("region_code"),
        pl.col("population").cast(pl.Int32), pl.col("net_income").cast(pl.Float64),
        pl.col("per_capita_net_income").cast(pl.Float64),
        *[pl.col(c).fill_null("") for c in VERDICT_TEXT_COLUMNS[:-2]],
        pl.col("elimination").fill_null(""), pl.col("elimination_failed").fill_null(""),
        pl.col("errors"), pl.col("policy").fill_null(policy.identity),
        *_detail_exprs(as_of),
    )


def _detail_exprs(as_of: date) -> list[pl.Expr]:
    c = pl.col
    unmet_members = pl.concat_str(
        [
            pl.when(c("m_education_unmet_names") != "").then(pl.lit("义务教育：") + c("m_education_unmet_names")),
            pl.when(c("m_medical_unmet_names") != "").then(pl.lit("基本医疗：") + c("m_medical_unmet_names")),
        ],
        separator="；", ignore_nulls=True,
    )
    detailed = pl.any_horizontal([c(f).is_not_null() for f in R.WATER_DETAIL_FIELDS])
    exprs = [
        pl.lit(as_of).alias("detail_as_of"),
        pl.when(facts.reported_income_used()).then(pl.lit("reported"))
        .when(c("net_income").is_null()).then(pl.lit("unknown"))
        .otherwise(pl.lit("items")).alias("detail_income_basis"),
        c("m_education_unmet_names").alias("detail_education_unmet_members"),
        c("m_education_unknown_names").alias("detail_education_unknown_members"),
        c("m_medical_unmet_names").alias("detail_medical_unmet_members"),
        c("m_medical_unknown_names").alias("detail_medical_unknown_members"),
        unmet_members.fill_null("").alias("detail_unmet_members"),
        pl.when(detailed).then(pl.lit("detail")).otherwise(pl.lit("summary")).alias("detail_water_basis"),
        pl.when(detailed).then(c("water_quantity")).otherwise(pl.lit("")).alias("detail_water_quantity"),
        pl.when(detailed).then(c("water_quality_state")).otherwise(pl.lit("")).alias("detail_water_quality"),
        pl.when(detailed).then(c("water_convenience")).otherwise(pl.lit("")).alias("detail_water_convenience"),
        pl.when(detailed).then(c("water_guarantee")).otherwise(pl.lit("")).alias("detail_water_guarantee"),
        c("medical_out_of_pocket").alias("detail_medical_out_of_pocket"),
        c("education_out_of_pocket").alias("detail_education_out_of_pocket"),
        c("disaster_loss").alias("detail_disaster_loss"),
        c("prior_net_income").alias("detail_prior_net_income"),
        c("rigid_expenses").alias("detail_rigid_expenses"),
        c("medical_cost_limit").alias("detail_medical_cost_limit"),
        c("income_drop_limit").alias("detail_income_drop_limit"),
        c("m_serious_illness_names").alias("detail_serious_illness_members"),
        c("m_severe_disability_names").alias("detail_severe_disability_members"),
        c("months_monitored").alias("detail_months_monitored"),
        # The registry keeps no elimination type: the flag treats it as possibly 帮扶消除.
        R.quick_elimination().alias("detail_quick_elimination"),
        c("_warning_codes").fill_null("").alias("detail_warnings"),
        c("monitoring_line").cast(pl.Float64),
        # What the explanation needs to say why an indicator is met or a household not monitored.
        c("policy_title").alias("detail_policy_title"),
        c("housing_grade").alias("detail_housing_grade"),
        c("housing_renovation").alias("detail_housing_renovation"),
        c("relocated").alias("detail_relocated"),
        c("water_safe").alias("detail_water_safe"),
        c("water_litres_per_day").alias("detail_water_litres_per_day"),
        R.in_poverty().alias("detail_in_poverty"),
    ]
    exprs += [c(p).alias(f"detail_{p}") for p in ASSESSMENT_PARAMETERS if p != "monitoring_line"]
    exprs += [c(f"source_{p}").fill_null("").alias(f"detail_source_{p}") for p in ASSESSMENT_PARAMETERS]
    return exprs


def assess(households, members, regions=None, *, year: int, policy: PolicySet,
           as_of: date | None = None, errors: pl.DataFrame | None = None) -> pl.DataFrame:
    """Assess every household of ``year``: ``OUTPUT_COLUMNS`` then the ``detail_*`` columns.

    ``regions`` is accepted for symmetry with the other engine calls; the household verdicts
    do not depend on it. Raises :class:`fupin.engine.policy.PolicyMissing` when the policy
    lacks a value the year needs.
    """
    return assess_lazy(households, members, regions, year=year, policy=policy, as_of=as_of,
                       errors=errors).collect()


FINDING_COLUMNS = quality.OUTPUT_COLUMNS
# Checks that compare with the verdict: they run after the assessment.
AFTER_ASSESSMENT = tuple(c.key for c in R.checks.CHECKS if c.needs_assessment)


def assess_with_findings(households, members, regions=None, *, year: int, policy: PolicySet,
                         as_of: date | None = None, findings: pl.DataFrame | None = None,
                         prepared_members: pl.DataFrame | None = None):
    """The data-quality checks and the assessment of ``year``: (verdicts, findings).

    Every error finding blocks its household's verdict (rules.md "Households with errors").
    ``findings``: the checks already run while reading a file (the importer's issues, which
    include its own row errors) — they are used as they are, not run again; otherwise the
    checks run here. The checks that compare with the verdict (Q24, Q25) run once, after it.
    ``prepared_members``: :func:`quality.prepare_members` of ``members`` as those checks
    prepared it (any years, at this ``as_of`` or at each row's year end), not prepared again.
    """
    as_of = as_of or date(year, 12, 31)
    h = households.filter(pl.col("year") == year)
    m = members.filter(pl.col("year").is_null() | (pl.col("year") == year))
    if prepared_members is not None:
        # Preparing keeps keyed rows only and works within (household, year) or (ID, year):
        # the year's rows of the whole table are what preparing the year's rows gives.
        prepared = prepared_members.filter(pl.col("year") == year)
    else:
        prepared = quality.prepare_members(m, as_of=as_of)
    if findings is None:
        before = quality.run(h, prepared).select(FINDING_COLUMNS)
    else:
        before = _conform_findings(findings, year)
    verdicts = assess(h, m, regions, year=year, policy=policy, as_of=as_of, errors=before)
    after = quality.run(h, prepared, assessment=verdicts, codes=AFTER_ASSESSMENT).select(FINDING_COLUMNS)
    return verdicts, pl.concat([before, after], how="vertical").unique(maintain_order=True)


def _conform_findings(findings: pl.DataFrame, year: int) -> pl.DataFrame:
    schema = {"household_id": pl.String, "year": pl.Int32, "id_number": pl.String, "member_name": pl.String,
              "code": pl.String, "severity": pl.String, "message_zh": pl.String, "message_en": pl.String}
    present = findings.columns
    return findings.filter(pl.col("household_id").is_not_null()).select(
        [pl.col(c).cast(t) if c in present else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()]
    ).filter(pl.col("year").is_null() | (pl.col("year") == year))


# --- writing ---------------------------------------------------------------------------------

def _translate_list(col: str, kind: str) -> pl.Expr:
    mapping = R.labels(kind)
    return (
        pl.col(col).str.split(";")
        .list.eval(pl.element().replace(mapping))
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.join("、")
    )


def chinese_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """OUTPUT_COLUMNS with Chinese values and headers (for Excel)."""
    ind = R.VALUE_LABELS["indicator"]
    out = frame.select(OUTPUT_COLUMNS).with_columns(
        *[pl.col(k).replace(ind) for k in R.INDICATORS],
        pl.col("meets_standard").replace(R.VALUE_LABELS["meets_standard"]),
        pl.col("monitoring_category").replace(R.labels("category")),
        pl.col("elimination").replace(R.VALUE_LABELS["elimination"]),
        _translate_list("unmet", "indicator"), _translate_list("unknown", "indicator"),
        _translate_list("risk_factors", "risk"), _translate_list("elimination_failed", "elimination"),
    )
    return out.rename(R.COLUMN_LABELS)


def summary_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The 汇总 sheet: counts by verdict, by unmet indicator and by monitoring category."""
    n = pl.len().cast(pl.Int64).alias("户数")
    by_verdict = frame.group_by("meets_standard").agg(n).with_columns(
        分组=pl.lit("是否达标"), 项目=pl.col("meets_standard").replace(R.VALUE_LABELS["meets_standard"])
    )
    unmet_rows = pl.DataFrame({
        "分组": ["未达标指标"] * len(R.INDICATORS),
        "项目": [R.label("indicator", k) for k in R.INDICATORS],
        "户数": [int((frame[k] == "unmet").sum()) for k in R.INDICATORS],
    }, schema={"分组": pl.String, "项目": pl.String, "户数": pl.Int64})
    by_cat = frame.filter(pl.col("monitoring_category") != "").group_by("monitoring_category").agg(n).with_columns(
        分组=pl.lit("监测类别"), 项目=pl.col("monitoring_category").replace(R.labels("category"))
    )
    order = {**{v: i for i, v in enumerate(R.VALUE_LABELS["meets_standard"])}, **{c: i for i, c in enumerate(R.CATEGORIES)}}
    parts = [
        by_verdict.sort(pl.col("meets_standard").replace_strict(order, default=99)).select("分组", "项目", "户数"),
        unmet_rows,
        by_cat.sort(pl.col("monitoring_category").replace_strict(order, default=99)).select("分组", "项目", "户数"),
    ]
    return pl.concat(parts)
