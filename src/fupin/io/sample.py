"""A plain, fast registry of N households for the reader's own tests and benchmarks.

Not the project's synthetic generator (``fupin.synth``): no realism, just valid canonical rows
of every kind of column, built column-wise so that millions of rows take seconds.
"""

from __future__ import annotations

import polars as pl

from fupin.engine import idnumber, schema

VILLAGE = "500101001201"


def make_registry(n_households: int, *, year: int = 2023, per_household: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    i = pl.int_range(0, n_households, dtype=pl.Int64)
    households = pl.select(idx=i).select(
        household_id=pl.format("H{}", pl.col("idx").cast(pl.String).str.pad_start(9, "0")),
        year=pl.lit(year, dtype=pl.Int32),
        region_code=pl.lit(VILLAGE),
        hamlet=pl.format("{}组", pl.col("idx") % 9 + 1),
        registered=pl.col("idx") % 3 == 0,
        poverty_status=pl.when(pl.col("idx") % 3 == 0).then(pl.lit("已脱贫")),
        exit_year=pl.when(pl.col("idx") % 3 == 0).then(pl.lit(2019, dtype=pl.Int32)),
        main_cause=pl.when(pl.col("idx") % 3 == 0).then(pl.lit("缺资金")),
        wage_income=(pl.col("idx") % 50000 + 12000).cast(pl.Float64) + 0.5,
        business_income=pl.lit(0.0), property_income=pl.lit(120.25),
        transfer_income=(pl.col("idx") % 3000).cast(pl.Float64), business_expense=pl.lit(0.0),
        food_secure=pl.lit(True), clothing_secure=pl.lit(True),
        housing_grade=pl.lit("B"), water_safe=pl.when(pl.col("idx") % 7 != 0).then(pl.lit(True)),
        phone=pl.format("139{}", pl.col("idx").cast(pl.String).str.pad_start(8, "0")),
    )
    n = n_households * per_household
    j = pl.int_range(0, n, dtype=pl.Int64)
    pos = j % per_household
    hh = j // per_household
    # Unique IDs up to 1.5M households: the day of birth and the sequence number encode the index.
    base = pl.when(pos == 0).then(pl.lit(-3650)).when(pos == 1).then(pl.lit(-2000)).otherwise(pl.lit(12800))
    birth = (pl.lit(0).cast(pl.Date) + pl.duration(days=base + (hh % 3000) + pos)).dt.strftime("%Y%m%d")
    seq = (hh // 3000 % 500) * 2 + pl.when(pos == 1).then(0).otherwise(1)  # odd = male
    first17 = pl.format("500101{}", birth)
    members = pl.select(j=j).select(
        household_id=pl.format("H{}", (pl.col("j") // per_household).cast(pl.String).str.pad_start(9, "0")),
        year=pl.lit(year, dtype=pl.Int32),
        name=pl.format("成员{}", pl.col("j")),
        _first17=first17 + seq.cast(pl.String).str.pad_start(3, "0"),
        sex=pl.when(pos == 1).then(pl.lit("女")).otherwise(pl.lit("男")),
        relationship=pl.when(pos == 0).then(pl.lit("户主")).when(pos == 1).then(pl.lit("配偶")).otherwise(pl.lit("之子")),
        ethnicity=pl.lit("汉族"),
        school_status=pl.when(pos >= 2).then(pl.lit("初中")),
        health=pl.lit("健康"), labour=pl.when(pos >= 2).then(pl.lit("无劳动力")).otherwise(pl.lit("普通劳动力")),
        work_location=pl.when(pos == 0).then(pl.lit("省外务工")),
        work_months=pl.when(pos == 0).then(pl.lit(10, dtype=pl.Int32)),
        medical_insurance=pl.lit("城乡居民"), member_status=pl.lit("正常"),
    )
    members = members.with_columns(
        id_number=pl.col("_first17") + idnumber.check_characters(members["_first17"])
    ).drop("_first17")
    target = {"households": households, "members": members}
    out = []
    for table, frame in target.items():
        s = schema.polars_schema(table)
        out.append(frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                                 for c, t in s.items()]))
    return out[0], out[1]
