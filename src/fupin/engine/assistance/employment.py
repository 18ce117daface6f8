"""Employment service of ``spec/assistance.md``: R7 (公益性岗位 checks B01–B07, B10–B12), R10
(送工送岗 offers) and the 复工 rate of R8 — set-based, one definition for the file and the
database runs (:func:`fupin.engine.assistance.rules.evaluate` calls :func:`public_post_findings`).

Readings (each named in a test and in docs/decisions/0007-assistance.md):

* B06 pairs two holdings of one person; a 公益岗位帮扶 measure against a placement on a 公益性岗位
  post is the same post recorded twice, not a double post: that pair is B17 (3.12), a warning
  with the measure as its ``ref``, found here because the post holdings are built here.
* B10's months of pay count up to the holding's effective end as given (empty = as_of).
* B11 flags a post whose 意外伤害保险 is not 是, an empty value included (unknown is not insured).
* R10 lists an uncovered member without any open post once, with an empty post, so that the list
  shows who is still waiting.
* 人员状态变动日期 (``status_changed_on``) is the members' field (exchange schema); a members
  frame built without it reads as every date empty.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts
from fupin.engine.assistance import schema as S
from fupin.engine.idnumber import age_expr, birth_date_expr
from fupin.engine.rules.base import ERROR, WARNING

EMPLOYMENT_PARAMETERS = ("public_post_min_age", "public_post_max_age", "public_post_away_days",
                         "public_post_away_months", "public_post_max_per_household")
AWAY_PLACES = ("县外省内", "省外")
AWAY_WORK = ("县外省内务工", "省外务工")
# 复工 rate: the year-(Y−1) 务工状况 of a 跨乡 migrant (the national 2020 measure), and the
# statuses on d that count as out at work.
CROSS_TOWN_WORK = ("乡（镇）外县内务工", "县外省内务工", "省外务工")
OUT_STATES = ("在外务工", "已返岗")
IDLE_STATE = "返乡未外出"
LOCAL_PLACE = S.WORKPLACES[0]
WEAK_LABOUR = "弱劳动力或半劳动力"
ABLE_BODIED = ("普通劳动力", "技能劳动力")
WILLING_AWAY = ("外出", "均可")
MAX_OFFERS = 5
RATE_LEVELS = {"town": 9, "county": 6}

RECORDED_TWICE = "B17"  # 3.12; registered with its labels beside B15/B16 (rules.RULES)
SEVERITY = {"B01": ERROR, "B02": WARNING, "B03": ERROR, "B04": WARNING, "B05": WARNING, "B06": ERROR,
            "B07": WARNING, "B10": ERROR, "B11": WARNING, "B12": WARNING, RECORDED_TWICE: WARNING}
LABELS = {
    "B01": ("公益岗人员不在本年度任何户中", "post holder in no household of the year"),
    "B02": ("公益岗人员所在户既非建档立卡户也非监测对象", "post holder's household neither registered nor monitored"),
    "B03": ("公益岗人员丧失劳动力或无劳动力", "post holder without labour capacity"),
    "B04": ("公益岗人员为普通或技能劳动力", "post holder is able-bodied (move to regular work)"),
    "B05": ("公益岗人员上岗年龄超出范围", "post holder's age out of range"),
    "B06": ("一人同时在两个公益性岗位（双岗）", "one person holds two public posts at once"),
    "B07": ("公益岗人员长期外出务工", "post holder away at work"),
    "B10": ("公益岗人员已死亡或减少仍在岗", "post holder dead or gone but still on the post"),
    "B11": ("公益性岗位未购买意外伤害保险", "public post without accident insurance"),
    "B12": ("一户公益岗人数超过上限", "too many public post holders in one household"),
}
OFFER_SCHEMA = {"year": pl.Int32, "as_of": pl.Date, "region_code": pl.String, "household_id": pl.String,
                "id_number": pl.String, "name": pl.String, "labour": pl.String, "away": pl.String,
                "rank": pl.Int32, "post_id": pl.String, "post_name": pl.String, "kind": pl.String,
                "employer": pl.String, "work_region": pl.String, "place": pl.String, "monthly_pay": pl.Float64,
                "openings": pl.Int64}
RATE_SCHEMA = {"region_code": pl.String, "date": pl.Date, "out_last_year": pl.Int64, "out_now": pl.Int64,
               "rate": pl.Float64, "returned_idle": pl.Int64}


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def _true(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(False)


def overlap_days(lo1: pl.Expr, hi1: pl.Expr, lo2: pl.Expr, hi2: pl.Expr, as_of: date) -> pl.Expr:
    """Section 0: days of the intersection, both ends counted, an open end read as as_of (0 when
    the intervals are apart)."""
    a = pl.max_horizontal(lo1, lo2)
    b = pl.min_horizontal(hi1.fill_null(pl.lit(as_of)), hi2.fill_null(pl.lit(as_of)))
    return pl.when(a <= b).then((b - a).dt.total_days() + 1).otherwise(0)


def month_index(d: pl.Expr) -> pl.Expr:
    return d.dt.year().cast(pl.Int32) * 12 + d.dt.month().cast(pl.Int32)


def public_placements(placements: pl.DataFrame | None, posts: pl.DataFrame | None) -> pl.LazyFrame:
    """Placements with their post's columns (``post_kind``, ``post_place``, ``post_insured``…) and
    ``public``: the placement is on a 公益性岗位 post."""
    p = S.conformed(posts, "posts").select("post_id", post_kind="kind", post_place="place",
                                       post_insured="accident_insurance", post_pay="monthly_pay")
    return (S.conformed(placements, "placements").join(p, on="post_id", how="left")
            .with_columns(public=_true(_c("post_kind") == S.PUBLIC_POST),
                          work_place=pl.coalesce(_c("place"), _c("post_place"))))


def holdings(measures: pl.LazyFrame, placements: pl.LazyFrame, first: date, as_of: date) -> pl.LazyFrame:
    """R7's post holdings in W: ``id_number, record_household, source, ref, post_id, insured, lo,
    hi`` — placements on a 公益性岗位 post, and counting member-level 公益岗位帮扶 measures
    (``measures``: the rules' counting measures with ``family``, ``lo``, ``hi``)."""
    in_w = _true((_c("lo") <= pl.lit(as_of)) & (_c("hi").is_null() | (_c("hi") >= pl.lit(first))))
    from_placements = placements.filter(_c("public")).select(
        "id_number", record_household="household_id", source=pl.lit("placement"), ref=_c("post_id"),
        post_id="post_id", insured="post_insured", lo="start", hi="end")
    from_measures = measures.filter((_c("family") == S.PUBLIC_POST_FAMILY) & _c("id_number").is_not_null()).select(
        "id_number", record_household="household_id", source=pl.lit("measure"),
        ref=pl.coalesce(_c("measure_id"), _c("subtype")), post_id=pl.lit(None, dtype=pl.String),
        insured=pl.lit(None, dtype=pl.Boolean), lo="lo", hi="hi")
    return (pl.concat([from_placements, from_measures], how="vertical_relaxed").filter(in_w)
            .with_row_index("_h"))


def public_post_findings(hh: pl.LazyFrame, mem_all: pl.LazyFrame, measures: pl.LazyFrame,
                         placements: pl.DataFrame | None, posts: pl.DataFrame | None, params: pl.DataFrame, *,
                         year: int, as_of: date, region: str | None,
                         finding_schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """R7 for the households ``hh`` of the run (``household_id, region_code, policy_key,
    registered, monitored, risk_eliminated``); ``mem_all``: year-Y members, any status
    (``member_status``, ``labour``, ``work_location``, ``work_months``, optional
    ``status_changed_on``); ``params``: :data:`EMPLOYMENT_PARAMETERS` per policy key."""
    first = date(year, 1, 1)
    pl_all = public_placements(placements, posts)
    h = holdings(measures, pl_all, first, as_of).collect().lazy()
    if "status_changed_on" not in mem_all.collect_schema().names():
        mem_all = mem_all.with_columns(status_changed_on=pl.lit(None, dtype=pl.Date))
    changed = _c("status_changed_on")
    # Only the holders' rows of the snapshot are grouped (a few of its millions of members).
    holder = (mem_all.join(h.select("id_number").unique(), on="id_number", how="semi").sort("household_id")
              .group_by("id_number", maintain_order=True)
              .agg(_c("household_id").first(), _c("name").first(), _c("member_status").first(), _c("labour").first(),
                   _c("work_location").first(), _c("work_months").first(), changed.first().alias("changed_on"))
              .with_columns(in_snapshot=pl.lit(True)))
    run_hh = hh.select("household_id", "region_code", "policy_key", "registered", "monitored", "risk_eliminated")
    pr = params.lazy().select("policy_key", *[_c(k).cast(pl.Int64) for k in EMPLOYMENT_PARAMETERS])
    # Every holding of a holder in the run, with what the checks read.
    x = (h.join(holder, on="id_number", how="left")
         .with_columns(household_id=pl.coalesce(_c("household_id"), _c("record_household")),
                       in_snapshot=_true(_c("in_snapshot")))
         .join(run_hh, on="household_id", how="left")
         # A holder outside every household of Y is kept (B01) unless a region narrows the run.
         .filter(_c("region_code").is_not_null() | (~_c("in_snapshot") & pl.lit(region is None)))
         .join(pr, on="policy_key", how="left")
         .with_columns(age=age_expr(birth_date_expr(_c("id_number")), _c("lo")), eff_end=_c("hi").fill_null(pl.lit(as_of)))
         # One chunk: polars 2.1 panics in pl.format over a filter of a many-chunked string view.
         .collect().rechunk().lazy())
    who = _c("name").fill_null("公益岗人员")

    def finding(frame: pl.LazyFrame, code: str, zh: pl.Expr, en: pl.Expr) -> pl.LazyFrame:
        return frame.select(pl.lit(year).cast(pl.Int32).alias("year"), "region_code", "household_id", "id_number",
                            code=pl.lit(code), severity=pl.lit(SEVERITY[code]), ref="ref", message_zh=zh,
                            message_en=en)

    held = x.filter(_c("in_snapshot"))
    b01 = finding(x.filter(~_c("in_snapshot")), "B01",
                  pl.format("公益岗（{}）人员的证件号码不在{}年任何户中；请核实", _c("ref"), pl.lit(year)),
                  pl.format("the holder of public post {} is in no household of {}", _c("ref"), pl.lit(year)))
    b02 = finding(held.filter(~_true(_c("registered")) & ~_true(_c("monitored"))), "B02",
                  pl.when(_true(_c("risk_eliminated")))
                  .then(pl.format("{}所在户风险已消除，既非建档立卡户也非监测对象，仍在公益性岗位（{}）；请核实是否退岗", who, _c("ref")))
                  .otherwise(pl.format("{}所在户既非建档立卡户也非监测对象，仍在公益性岗位（{}）；请核实", who, _c("ref"))),
                  pl.format("holder of public post {}: household neither registered nor monitored", _c("ref")))
    b03 = finding(held.filter(_c("labour").is_in(facts.NO_LABOUR).fill_null(False)), "B03",
                  pl.format("{}劳动技能为“{}”，不能从事公益性岗位（{}）", who, _c("labour"), _c("ref")),
                  pl.format("holder of public post {} has no labour capacity ({})", _c("ref"), _c("labour")))
    b04 = finding(held.filter(_c("labour").is_in(ABLE_BODIED).fill_null(False)), "B04",
                  pl.format("{}为{}，宜转入稳定就业，公益性岗位（{}）优先安置弱劳动力", who, _c("labour"), _c("ref")),
                  pl.format("holder of public post {} is {}: to be moved into regular work", _c("ref"), _c("labour")))
    b05 = finding(held.filter(_true((_c("age") < _c("public_post_min_age")) | (_c("age") > _c("public_post_max_age")))),
                  "B05",
                  pl.format("{}上岗（{}）时 {} 岁，超出 {}–{} 岁", who, _c("lo"), _c("age"), _c("public_post_min_age"),
                            _c("public_post_max_age")),
                  pl.format("holder of public post {} was {} at the start, outside {}-{}", _c("ref"), _c("age"),
                            _c("public_post_min_age"), _c("public_post_max_age")))
    # Two holdings of one person overlapping by a day or more: of one source a double post (B06);
    # a placement (listed first, so ``_h`` smaller) and a measure: one post recorded twice (B17).
    overlapping = (held.select("_h", "id_number", "household_id", "region_code", "name", "ref", "source", "lo", "hi")
                   .join(held.select("_h", "id_number", "ref", "source", "lo", "hi"), on="id_number", suffix="_2")
                   .filter((_c("_h") < _c("_h_2"))
                           & (overlap_days(_c("lo"), _c("hi"), _c("lo_2"), _c("hi_2"), as_of) >= 1)))
    pairs = overlapping.filter(_c("source") == _c("source_2"))
    twice = overlapping.filter((_c("source") == "placement") & (_c("source_2") == "measure"))
    b17 = finding(twice.with_columns(post_ref="ref", ref="ref_2"), RECORDED_TWICE,
                  pl.format("{}的公益岗位帮扶措施（{}）与公益性岗位（{}）的就业记录时间重叠，同一岗位登记了两次；请删除其一",
                            who, _c("ref"), _c("post_ref")),
                  pl.format("public-post measure {} overlaps the placement on public post {}: one post recorded twice",
                            _c("ref"), _c("post_ref")))
    b06 = finding(pairs, "B06",
                  pl.format("{}同时在两个公益性岗位（{}、{}），时间重叠；一人只能在一个公益性岗位", who, _c("ref"), _c("ref_2")),
                  pl.format("one person holds two public posts at once ({}, {})", _c("ref"), _c("ref_2")))
    away_jobs = pl_all.filter(~_c("public") & _c("work_place").is_in(AWAY_PLACES).fill_null(False)).select(
        "id_number", a_lo="start", a_hi="end", a_place="work_place")
    away_days = (held.join(away_jobs, on="id_number", how="inner")
                 .with_columns(days=overlap_days(_c("lo"), _c("hi"), _c("a_lo"), _c("a_hi"), as_of))
                 .group_by("_h").agg(away_days=_c("days").max()))
    b07_rows = (held.join(away_days, on="_h", how="left")
                .with_columns(by_job=_true(_c("away_days") > _c("public_post_away_days")),
                              by_registry=_true(_c("work_location").is_in(AWAY_WORK)
                                                & (_c("work_months") >= _c("public_post_away_months"))))
                .filter(_c("by_job") | _c("by_registry")))
    b07 = finding(b07_rows, "B07",
                  pl.when(_c("by_job"))
                  .then(pl.format("{}在公益性岗位（{}）期间县外务工 {} 天；请核实是否在岗", who, _c("ref"), _c("away_days")))
                  .otherwise(pl.format("{}登记为{} {} 个月，仍在公益性岗位（{}）；请核实是否在岗", who,
                                       _c("work_location"), _c("work_months"), _c("ref"))),
                  pl.format("holder of public post {} works away from the county", _c("ref")))
    gone = _true(_c("member_status") != facts.LIVING_STATUS)
    active = _true((_c("lo") <= pl.lit(as_of)) & (_c("hi").is_null() | (_c("hi") >= pl.lit(as_of))))
    months = month_index(_c("eff_end")) - month_index(_c("changed_on"))
    b10_rows = held.filter(gone & ((active) | _true(_c("changed_on") <= _c("eff_end"))))
    b10 = finding(b10_rows, "B10",
                  pl.when(_c("changed_on").is_not_null())
                  .then(pl.format("{}已于 {} {}，仍在公益性岗位（{}），此后发放 {} 个月报酬；请退岗并核查", who, _c("changed_on"),
                                  _c("member_status"), _c("ref"), pl.max_horizontal(months, pl.lit(0))))
                  .otherwise(pl.format("{}人员状态为“{}”，仍在公益性岗位（{}）；请退岗并核查", who, _c("member_status"),
                                       _c("ref"))),
                  pl.format("holder of public post {} is {} but still on the post", _c("ref"), _c("member_status")))
    b11 = finding(held.filter(_c("post_id").is_not_null() & ~_true(_c("insured"))), "B11",
                  pl.format("公益性岗位（{}）未购买意外伤害保险", _c("ref")),
                  pl.format("public post {} has no accident insurance", _c("ref")))
    # B12: the most holders of one household active on one day is reached on some holding's start.
    limit = _c("public_post_max_per_household")
    hh_h = held.filter(_true(limit > 0)).select("household_id", "region_code", "id_number", "lo", "eff_end", limit)
    crowd = (hh_h.select("household_id", "region_code", day="lo", limit="public_post_max_per_household")
             .join(hh_h.select("household_id", "id_number", "lo", "eff_end"), on="household_id")
             .filter((_c("lo") <= _c("day")) & (_c("eff_end") >= _c("day")))
             .group_by("household_id", "region_code", "day", "limit").agg(holders=_c("id_number").n_unique())
             .filter(_c("holders") > _c("limit"))
             .group_by("household_id", "region_code", "limit")
             .agg(_c("holders").max(), _c("day").sort_by("holders", descending=True).first())
             .with_columns(id_number=pl.lit(None, dtype=pl.String), ref=pl.lit(None, dtype=pl.String)))
    b12 = finding(crowd, "B12",
                  pl.format("本户 {} 起同时有 {} 人在公益性岗位，超过每户 {} 人", _c("day"), _c("holders"), _c("limit")),
                  pl.format("{} members hold public posts from {}, above {} per household", _c("holders"), _c("day"),
                            _c("limit")))
    return pl.concat([b01, b02, b03, b04, b05, b06, b07, b10, b11, b12, b17], how="vertical_relaxed").select(
        [_c(k).cast(t) for k, t in finding_schema.items()]).collect()


def open_posts(posts: pl.DataFrame | None, placements: pl.DataFrame | None, as_of: date) -> pl.LazyFrame:
    """R10: posts open on as_of (发布日期 ≤ as_of, 截止日期 empty or ≥ as_of) with openings left
    (计划人数 − its placements active on as_of > 0)."""
    taken = (S.conformed(placements, "placements").filter(
        _c("post_id").is_not_null() & (_c("start") <= pl.lit(as_of))
        & (_c("end").is_null() | (_c("end") >= pl.lit(as_of))))
        .group_by("post_id").agg(taken=pl.len()))
    place_order = {p: i for i, p in enumerate(S.WORKPLACES)}
    return (S.conformed(posts, "posts")
            .filter(_true((_c("published_on") <= pl.lit(as_of)) & (_c("closes_on").is_null() | (_c("closes_on") >= pl.lit(as_of)))))
            .join(taken, on="post_id", how="left")
            .with_columns(openings=_c("planned").cast(pl.Int64) - _c("taken").fill_null(0).cast(pl.Int64),
                          county=_c("region_code").str.slice(0, 6),
                          _place=_c("place").replace_strict(place_order, default=len(place_order), return_dtype=pl.Int32),
                          public=_c("kind") == S.PUBLIC_POST)
            .filter(_c("openings") > 0))


def _best(frame: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """The first :data:`MAX_OFFERS` rows per ``by`` in R10's order."""
    return (frame.sort("_place", "monthly_pay", "post_id", descending=[False, True, False], nulls_last=True)
            .group_by(by, maintain_order=True).head(MAX_OFFERS))


def offers(outlet: pl.DataFrame, posts: pl.DataFrame | None, placements: pl.DataFrame | None,
           labour: pl.DataFrame | None, *, year: int, as_of: date) -> pl.DataFrame:
    """R10 for the ``uncovered`` members of R1 (``outlet``): up to five open posts each —
    posts whose 工作地区划 begins with the member's county, plus 县外省内 / 省外 posts when
    外出意愿 is 外出 or 均可; 公益性岗位 only for 弱劳动力或半劳动力. Sorted by 工作地类别, 月薪酬
    descending, 岗位编号. Columns :data:`OFFER_SCHEMA`; a member with no post has one row with
    an empty post."""
    posts_open = open_posts(posts, placements, as_of).collect().lazy()
    away = (S.conformed(labour, "labour").filter(_c("year") == year).select("id_number", "away")
            .unique("id_number", keep="first"))
    people = (outlet.lazy().filter(_c("status") == "uncovered")
              .select("region_code", "household_id", "id_number", "name", "labour")
              .join(away, on="id_number", how="left")
              .with_columns(county=_c("region_code").str.slice(0, 6), weak=_c("labour") == WEAK_LABOUR,
                            goes=_true(_c("away").is_in(WILLING_AWAY))))
    # A member's list depends only on his county, whether he is weak and whether he would go
    # away: the lists are ranked once per such profile (a few hundred), then joined to the people.
    variants = pl.LazyFrame({"weak": [True, False]})
    posts_v = posts_open.join(variants, how="cross").filter(_c("weak") | ~_c("public"))
    local = _best(posts_v.filter(_c("county").is_not_null()), ["county", "weak"])
    far = _best(posts_v.filter(_c("place").is_in(AWAY_PLACES).fill_null(False)), ["weak"]).drop("county")
    profiles = people.select("county", "weak", "goes").unique().collect().lazy()
    cand = pl.concat([
        profiles.join(local, on=["county", "weak"], how="inner"),
        profiles.filter(_c("goes")).join(far, on="weak", how="inner"),
    ], how="diagonal_relaxed").unique(["county", "weak", "goes", "post_id"], keep="first")
    profile = ["county", "weak", "goes"]
    ranked = (_best(cand, profile).with_columns(rank=_c("post_id").cum_count().over(profile).cast(pl.Int32))
              .select(*profile, "rank", "post_id", post_name="name", kind="kind", employer="employer",
                      work_region="region_code", place="place", monthly_pay="monthly_pay", openings="openings"))
    out = (people.join(ranked, on=profile, how="left", nulls_equal=False)
           .select(pl.lit(year).cast(pl.Int32).alias("year"), pl.lit(as_of).alias("as_of"), *[
               c for c in OFFER_SCHEMA if c not in ("year", "as_of")])
           .sort("region_code", "household_id", "id_number", "rank", nulls_last=True))
    return out.collect().cast(OFFER_SCHEMA)


def status_on(migration: pl.DataFrame | None, d: date) -> pl.LazyFrame:
    """1.11: a person's status on d is the row with the latest 日期 ≤ d: ``id_number, state, place``."""
    return (S.conformed(migration, "migration").filter(_c("reported_on") <= pl.lit(d))
            .sort("reported_on").group_by("id_number").agg(_c("state").last(), _c("place").last()))


def return_rate(households: pl.DataFrame, members: pl.DataFrame, migration: pl.DataFrame | None, *, year: int,
                on: date, level: str, region: str | None = None) -> pl.DataFrame:
    """The 复工 rate of R8 per region of ``level`` (town / county) on date ``on``:
    ``out_last_year`` = living members of S(Y) households whose year-(Y−1) row has a 跨乡
    务工状况 with 务工时间 > 0; ``out_now`` = living members of S(Y) households 在外务工 or 已返岗
    on d outside their town; ``returned_idle`` = 返乡未外出 on d; ``rate`` = out_now ÷
    out_last_year (4 decimals, half up; may exceed 1)."""
    from fupin.engine.assistance.rules import rate

    digits = RATE_LEVELS[level]
    hh = households.lazy().filter(_c("year") == year)
    if region:
        hh = hh.filter(_c("region_code").str.starts_with(region))
    scope = hh.filter(facts.registered() | facts.currently_monitored()).select("household_id", "region_code")
    people = (members.lazy().filter((_c("year") == year) & facts.living()).select("household_id", "id_number")
              .join(scope, on="household_id", how="inner"))
    last_year = (members.lazy().filter((_c("year") == year - 1) & _c("work_location").is_in(CROSS_TOWN_WORK)
                                       & _true(_c("work_months") > 0))
                 .select("id_number").unique().with_columns(_out_before=pl.lit(True)))
    now = status_on(migration, on)
    x = (people.join(last_year, on="id_number", how="left").join(now, on="id_number", how="left")
         .select(code=_c("region_code").str.slice(0, digits).str.pad_end(12, "0"),
                 den=_true(_c("_out_before")).cast(pl.Int64),
                 num=_true(_c("state").is_in(OUT_STATES) & (_c("place").is_null() | (_c("place") != LOCAL_PLACE)))
                 .cast(pl.Int64),
                 idle=_true(_c("state") == IDLE_STATE).cast(pl.Int64)))
    return (x.group_by("code").agg(den=_c("den").sum(), num=_c("num").sum(), idle=_c("idle").sum())
            .select(region_code="code", date=pl.lit(on), out_last_year="den", out_now="num",
                    rate=rate(_c("num"), _c("den")), returned_idle="idle")
            .sort("region_code").collect().cast(RATE_SCHEMA))
