"""Department screening triggers (部门筛查预警), one per department kind.

A department's list is matched to the registry by ID number (:mod:`fupin.engine.matching`);
the matched rows of one household are aggregated by the trigger's ``measures`` and the household
becomes a lead when its ``expression`` holds. The medical trigger is the ``medical_cost`` risk
factor of rules.md section 2 applied to the department's figures: one limit expression,
:func:`fupin.engine.rules.monitoring.medical_cost_limit`, serves both.
"""

from __future__ import annotations

import polars as pl

from fupin.engine import facts
from fupin.engine.rules.base import Trigger
from fupin.engine.rules.monitoring import medical_cost_limit, medical_cost_share
from fupin.engine.rules.standard import UNSAFE_HOUSING_GRADES

DROPOUT_STATES = ("辍学", "失学")


def _medical_measures(columns: set[str]) -> list[pl.Expr]:
    return [pl.col("out_of_pocket").sum().alias("out_of_pocket")]


def _medical_evidence() -> list[pl.Expr]:
    return [
        pl.col("out_of_pocket"), medical_cost_limit().alias("threshold"), medical_cost_share().alias("share"),
        pl.col("rural_income_prev_year").alias("D"), facts.registered().alias("registered"),
        pl.col("source_rural_income_prev_year").alias("source_D"),
        pl.when(facts.registered()).then(pl.col("source_medical_share_registered"))
        .otherwise(pl.col("source_medical_share_general")).alias("source_share"),
    ]


def _education_measures(columns: set[str]) -> list[pl.Expr]:
    cost = pl.col("education_cost").sum() if "education_cost" in columns else pl.lit(0.0)
    return [pl.col("school_state").is_in(DROPOUT_STATES).any().alias("dropout"), cost.alias("education_cost")]


TRIGGERS: tuple[Trigger, ...] = (
    Trigger(
        "medical", "trigger",
        "本户年度合规自付医疗费用合计超过 D×比例（脱贫户 medical_share_registered，其他户 medical_share_general）",
        "the household's yearly out-of-pocket medical costs exceed share × D", "2",
        lambda: pl.col("out_of_pocket") > medical_cost_limit(),
        measures=_medical_measures, evidence=_medical_evidence,
        parameters=("rural_income_prev_year", "medical_share_registered", "medical_share_general"),
    ),
    Trigger(
        "civil", "trigger", "新纳入低保、特困供养或临时救助", "newly on 低保, 特困供养 or temporary assistance", "2",
        lambda: pl.lit(True),
        measures=lambda columns: [pl.col("assistance_type").unique().sort().alias("assistance_types")],
        evidence=lambda: [pl.col("assistance_types")],
    ),
    Trigger(
        "education", "trigger", "辍学或失学，或本户年度非义务教育自付费用合计超过 education_cost_max",
        "a dropout, or the household's non-compulsory education costs above education_cost_max", "2",
        lambda: pl.col("dropout") | (pl.col("education_cost").fill_null(0) > pl.col("education_cost_max")),
        measures=_education_measures,
        evidence=lambda: [pl.col("dropout"), pl.col("education_cost"), pl.col("education_cost_max").alias("threshold"),
                          pl.col("source_education_cost_max").alias("source_threshold")],
        parameters=("education_cost_max",),
    ),
    Trigger(
        "housing", "trigger", "住房鉴定为 C 级或 D 级", "the house appraised grade C or D", "2",
        lambda: pl.col("unsafe"),
        measures=lambda columns: [pl.col("housing_grade").is_in(UNSAFE_HOUSING_GRADES).any().alias("unsafe"),
                                  pl.col("housing_grade").max().alias("worst_grade")],
        evidence=lambda: [pl.col("worst_grade")],
    ),
    Trigger(
        "employment", "trigger", "失业、务工受阻或返乡未就业", "unemployed, blocked from migrant work, or back home without work",
        "2", lambda: pl.lit(True), measures=lambda columns: [], evidence=lambda: [],
    ),
    Trigger(
        "disaster", "trigger", "本户年度灾害事故损失合计大于 0", "the household's disaster or accident losses above 0", "2",
        lambda: pl.col("disaster_loss") > 0,
        measures=lambda columns: [pl.col("disaster_loss").sum().alias("disaster_loss")],
        evidence=lambda: [pl.col("disaster_loss")],
    ),
)
