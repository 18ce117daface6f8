"""Small hand-made canonical registries for the reader and writer tests."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import idnumber, schema

TOWN = "500101001000"          # 重庆 万州区 高笋塘街道
VILLAGE = "500101001201"


def pid(birth: date, seq: int, division: str = "500101") -> str:
    return idnumber.make_id(division, birth, seq)


def households_frame(rows: list[dict] | None = None) -> pl.DataFrame:
    base = dict(
        household_id="H1", year=2023, region_code=VILLAGE, registered=True, poverty_status="已脱贫",
        exit_year=2019, main_cause="因病", wage_income=12000.0, business_income=0.0,
        property_income=0.0, transfer_income=1500.5, business_expense=0.0, food_secure=True,
        clothing_secure=True, housing_grade="A",
    )
    rows = rows or [base]
    rows = [{**base, **r} for r in rows]
    frame = pl.DataFrame(rows)
    target = schema.polars_schema("households")
    return frame.select([
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in target.items()
    ])


def members_frame(rows: list[dict] | None = None) -> pl.DataFrame:
    rows = rows or [
        dict(household_id="H1", name="张三", id_number=pid(date(1970, 3, 1), 11), sex="男", relationship="户主",
             health="长期慢性病", labour="普通劳动力", work_location="省外务工", work_months=10,
             medical_insurance="城乡居民", member_status="正常"),
        dict(household_id="H1", name="李四", id_number=pid(date(1972, 5, 2), 22), sex="女", relationship="配偶",
             health="健康", labour="普通劳动力", medical_insurance="城乡居民", member_status="正常"),
    ]
    base = dict(year=2023, member_status="正常")
    frame = pl.DataFrame([{**base, **r} for r in rows])
    target = schema.polars_schema("members")
    return frame.select([
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in target.items()
    ])


def write_tables(folder, households: pl.DataFrame, members: pl.DataFrame, encoding: str = "utf-8-sig"):
    """A CSV folder from frames of raw strings with Chinese headers (for bad-input cases)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("households", households), ("members", members)):
        text = frame.write_csv()
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def raw_tables(h: pl.DataFrame | None = None, m: pl.DataFrame | None = None):
    """The default small registry as string frames with Chinese headers."""
    from fupin.io.writer import _as_text, _canonical

    h = households_frame() if h is None else h
    m = members_frame() if m is None else m
    out = []
    for table, frame in (("households", h), ("members", m)):
        text = _as_text(_canonical(frame, table), table)
        out.append(text.rename({f.name: f.zh for f in schema.fields(table, exchange_only=True)}))
    return out[0], out[1]
