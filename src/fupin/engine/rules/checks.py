"""Section 5 of ``spec/rules.md``: the data-quality checks, each a named expression.

Each :class:`~fupin.engine.rules.base.Check` selects the rows of a prepared table that have the
finding: member checks run over :func:`prepare_members` (every member row, with its age, sex,
whether it is living, works, is in school, the households sharing its ID number and the sex of its
household's head), household checks over :func:`prepare_households` (every household with the
aggregates of its living members and, for Q24/Q25, its assessment). :mod:`fupin.engine.quality`
runs them; the importer (``fupin.io``) reports them per row.

Q01 and Q02 are decided by the ID-number parser while a file is read; they are listed here so
that every code has one entry (severity, labels) in the rule registry.

Readings chosen where the rule text leaves room (documented here, reported to the project):

* "living members" (人员状态 正常, empty counts as 正常) for every check about what a household
  *is* (Q05 户主 count, Q08–Q10, Q12, Q14, Q16, Q17, Q19, Q21, Q23, Q26); pure data-consistency
  checks (Q03 sex vs ID, Q04, Q13, Q15, Q20, Q22) look at every member row.
* Q05 is not reported for a household without living members (Q06 says it already).
* Q08: 因病 fires when no living member has a known health other than 健康 (empty health is
  not evidence of illness).
* Q09 "in school": 在校生状况 set and not 非在校生.  Q14 "not in school": empty or 非在校生.
* Q15: months outside 0–12; a location with 务工时间 = 0; 务工时间 > 0 with no location.
* Q17 "works": 务工状况 set or 务工时间 > 0.  Q18 needs 生产经营性支出 = 0 (empty is unknown).
* Q19/Q26 per-capita net income: the five income items over living members (rules.md Terms,
  :mod:`fupin.engine.facts`); when all five are empty, 人均纯收入 of an export. Q26 tolerates a
  difference of up to 1 yuan (exports round).
* Q20 sex: from the ID number when it is valid, else the 性别 column. 之女婿 (son-in-law) is male
  by definition as 之儿媳 is female, so it is checked too.
* Q21 "高中 or above": 高中 中职 高职 技工 大专 本科 硕士及以上; "小学 or below": 学前教育 小学.
* Q24: assessment row of the household's exit year (year = 脱贫年度) with meets_standard = no.
* Q25: monitoring category set, risk eliminated = 是, and the assessed per-capita net income
  < monitoring line.
* Q27 (not in rules.md section 5, added with 人员状态变动日期 of assistance.md 1.8): the date is
  for 人员状态 ≠ 正常, so a date on a 正常 (or empty) row is suspicious; so is a date after the
  row's snapshot (31 December of its 年度) or after the assessment / import date when one is given.
  A warning: the row loads, B10 reads the date as given.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import facts, idnumber
from fupin.engine.rules.base import ERROR, WARNING, Check, Finding

HIGH_SCHOOL_OR_ABOVE = ("高中", "中职", "高职", "技工", "大专", "本科", "硕士及以上")
PRIMARY_OR_BELOW = ("学前教育", "小学")
MALE_ONLY = ("之子", "之父", "之岳父", "之公公", "之祖父", "之孙子", "之外孙子", "之女婿")
FEMALE_ONLY = ("之女", "之母", "之岳母", "之婆婆", "之祖母", "之孙女", "之外孙女", "之儿媳")
ILLNESS_HEALTH = ("长期慢性病", "患有大病", "残疾")
KEY = ["household_id", "year"]

MEMBER_COLUMNS = {
    "household_id": pl.String, "year": pl.Int32, "name": pl.String, "id_number": pl.String,
    "sex": pl.String, "relationship": pl.String, "school_status": pl.String,
    "dropout_reason": pl.String, "health": pl.String, "disability_grade": pl.String,
    "labour": pl.String, "work_location": pl.String, "work_months": pl.Int32, "dibao": pl.Boolean,
    "tekun": pl.Boolean, "member_status": pl.String, "status_changed_on": pl.Date,
    "_sheet": pl.String, "_row": pl.Int64,
}
HOUSEHOLD_COLUMNS = {
    "household_id": pl.String, "year": pl.Int32, "registered": pl.Boolean,
    "poverty_status": pl.String, "exit_year": pl.Int32, "poverty_attribute": pl.String,
    "main_cause": pl.String, "other_causes": pl.String, "monitoring_category": pl.String,
    "risk_eliminated": pl.Boolean, "wage_income": pl.Float64, "business_income": pl.Float64,
    "property_income": pl.Float64, "transfer_income": pl.Float64, "business_expense": pl.Float64,
    "farmland_mu": pl.Float64, "forest_mu": pl.Float64, "road_distance_km": pl.Float64,
    "household_size": pl.Int32, "reported_per_capita_income": pl.Float64,
    "_sheet": pl.String, "_row": pl.Int64,
}


def _with_defaults(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in columns.items() if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def _ages(members: pl.DataFrame, as_of: date | None) -> pl.Expr:
    """Age at ``as_of``, or at 31 December of each row's year (one branch per distinct year)."""
    birth = idnumber.birth_date_expr(pl.col("id_number"))
    if as_of is not None:
        return idnumber.age_expr(birth, as_of)
    years = sorted(y for y in members["year"].unique().to_list() if y is not None)
    if not years:
        return pl.lit(None, dtype=pl.Int32)
    expr = pl.when(pl.col("year") == years[0]).then(idnumber.age_expr(birth, date(years[0], 12, 31)))
    for y in years[1:]:
        expr = expr.when(pl.col("year") == y).then(idnumber.age_expr(birth, date(y, 12, 31)))
    return expr.otherwise(None)


def _changed_limit(as_of: date | None) -> pl.Expr:
    """Q27: the latest plausible 人员状态变动日期 of a row — 31 December of its 年度, or as_of
    when that is earlier."""
    year_end = pl.date(pl.col("year"), 12, 31)
    return year_end if as_of is None else pl.min_horizontal(year_end, pl.lit(as_of))


# --- prepared tables -----------------------------------------------------------------------

def prepare_members(members: pl.DataFrame, *, as_of: date | None = None) -> pl.DataFrame:
    """Every keyed member row with the columns the member checks read (``_``-prefixed)."""
    m = _with_defaults(members, MEMBER_COLUMNS)
    m = m.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    id_sex = pl.when(pl.col("id_number").str.len_chars() == 18).then(idnumber.sex_expr(pl.col("id_number")))
    m = m.with_columns(
        _age=_ages(m, as_of),
        _living=facts.living(),
        _id_sex=id_sex,
        _works=pl.col("work_location").is_not_null() | (pl.col("work_months").fill_null(0) > 0),
        _in_school=pl.col("school_status").is_not_null() & (pl.col("school_status") != "非在校生"),
        _changed_limit=_changed_limit(as_of),
    ).with_columns(_sex=pl.coalesce(pl.col("_id_sex"), pl.col("sex")))
    # Q04: only IDs that repeat can be shared, so the group-by stays off the millions of members
    # that appear once; the other rows get a null.
    repeated = m.filter(pl.col("id_number").is_not_null() & pl.struct("id_number", "year").is_duplicated())
    shared = repeated.group_by("id_number", "year").agg(
        _sharing=pl.col("household_id").n_unique(),
        _shared_households=pl.col("household_id").unique().sort().str.join("、"),
    ).filter(pl.col("_sharing") > 1).drop("_sharing")
    heads = m.filter(pl.col("relationship") == "户主").group_by(KEY).agg(_head_sex=pl.col("_sex").first())
    return (
        m.join(shared, on=["id_number", "year"], how="left")
        .join(heads, on=KEY, how="left")
    )


def prepare_households(households: pl.DataFrame, members: pl.DataFrame,
                       assessment: pl.DataFrame | None = None, *, aggregates: bool = True) -> pl.DataFrame:
    """Every keyed household with its living members' aggregates (``_``-prefixed columns) and, when
    an assessment is given, the verdict of its exit year and of its own year. ``aggregates=False``:
    the household rows and the verdicts only — what the checks after the assessment read (Q24,
    Q25), without grouping the members again."""
    h = _with_defaults(households, HOUSEHOLD_COLUMNS)
    h = h.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    if not aggregates:
        return _with_assessment(h, assessment)
    living = members.filter(pl.col("_living"))
    per_household = living.group_by(KEY).agg(
        pl.len().alias("_population"),
        (pl.col("relationship") == "户主").sum().alias("_heads"),
        pl.col("health").is_in(ILLNESS_HEALTH).any().alias("_ill"),
        (pl.col("health") == "残疾").any().alias("_disabled"),
        pl.col("_in_school").any().alias("_schooling"),
        (pl.col("dibao") == True).any().alias("_dibao"),  # noqa: E712
        pl.col("_works").any().alias("_any_works"),
    )
    hh = h.join(per_household, on=KEY, how="left").with_columns(pl.col("_population").fill_null(0))
    computed = pl.when(pl.col("_population") > 0).then(facts.net_income_from_items() / pl.col("_population"))
    hh = hh.with_columns(
        _causes=pl.concat_str([pl.col("main_cause").fill_null(""), pl.col("other_causes").fill_null("")],
                              separator="、"),
        _computed_pc=computed,
        _pc=pl.when(facts.income_items_all_empty() & (pl.col("_population") > 0))
        .then(pl.col("reported_per_capita_income")).otherwise(computed),
    )
    return _with_assessment(hh, assessment)


def _with_assessment(hh: pl.DataFrame, assessment: pl.DataFrame | None) -> pl.DataFrame:
    if assessment is None or assessment.height == 0:
        return hh.with_columns(
            _exit_year_verdict=pl.lit(None, dtype=pl.String),
            _assessed_pc=pl.lit(None, dtype=pl.Float64), _monitoring_line=pl.lit(None, dtype=pl.Float64),
        )
    a = assessment.select(
        "household_id", pl.col("year").cast(pl.Int32), "meets_standard",
        pl.col("per_capita_net_income").cast(pl.Float64), pl.col("monitoring_line").cast(pl.Float64),
    )
    exit_year = a.select("household_id", exit_year="year", _exit_year_verdict="meets_standard")
    same_year = a.select(*KEY, _assessed_pc="per_capita_net_income", _monitoring_line="monitoring_line")
    return (
        hh.join(exit_year, on=["household_id", "exit_year"], how="left")
        .join(same_year, on=KEY, how="left")
    )


# --- helpers for messages ---------------------------------------------------------------------

def _who() -> pl.Expr:
    return pl.col("name").fill_null("（无姓名）")


def _name() -> pl.Expr:
    return pl.col("name")


def _months() -> pl.Expr:
    return pl.col("work_months")


def _per_person(column: str) -> pl.Expr:
    return pl.col(column) / pl.col("_population")


def _cause(cause: str) -> pl.Expr:
    return pl.col("_causes").str.contains(cause, literal=True)


# --- the checks -----------------------------------------------------------------------------

def _check(code, severity, zh, en, table, condition, message_zh, message_en, field=None, value=None,
           needs_assessment=False, more: tuple[Finding, ...] = ()) -> Check:
    findings = (Finding(condition, message_zh, message_en, field, value), *more)

    def any_finding() -> pl.Expr:
        return pl.any_horizontal([f.condition() for f in findings])

    return Check(code, "quality", zh, en, "5", any_finding, severity=severity, table=table, field=field,
                 findings=findings, needs_assessment=needs_assessment)


_M, _H = "members", "households"

CHECKS: tuple[Check, ...] = (
    Check("Q01", "quality", "证件号码错误", "ID number malformed or wrong check character", "5", None,
          severity=ERROR, table=_M, field="id_number"),
    Check("Q02", "quality", "15位身份证号已升级", "15-digit ID upgraded", "5", None,
          severity=WARNING, table=_M, field="id_number"),
    _check(
        "Q03", ERROR, "性别与证件号码不符", "sex disagrees with the ID number", _M,
        lambda: pl.col("sex").is_not_null() & pl.col("_id_sex").is_not_null() & (pl.col("sex") != pl.col("_id_sex")),
        lambda: pl.format("{}：性别填“{}”，但证件号码表明是“{}”", _who(), pl.col("sex"), pl.col("_id_sex")),
        lambda: pl.format("{}: sex is '{}' but the ID number says '{}'", _name(), pl.col("sex"), pl.col("_id_sex")),
        "sex", lambda: pl.col("sex"),
    ),
    _check(
        "Q04", ERROR, "同一证件号码在同年度的多个户中", "one ID number in two households of the same year", _M,
        lambda: pl.col("_shared_households").is_not_null(),
        # The ID stays in its own column: messages are shown in lists, where IDs are masked.
        lambda: pl.format("{}：同一证件号码在同一年度出现在多个户中：{}（每人只能属于一户）", _who(),
                          pl.col("_shared_households")),
        lambda: pl.format("{}: the same ID number is in several households of the same year: {}", _name(),
                          pl.col("_shared_households")),
        "id_number", lambda: pl.col("id_number"),
    ),
    _check(
        "Q05", ERROR, "户主人数不是1", "household has no 户主, or more than one", _H,
        lambda: (pl.col("_population") > 0) & (pl.col("_heads") != 1),
        lambda: pl.format("户 {} 有 {} 名户主（应恰好1名）", pl.col("household_id"), pl.col("_heads")),
        lambda: pl.format("household {} has {} heads (exactly one required)", pl.col("household_id"), pl.col("_heads")),
        None, lambda: pl.col("_heads"),
    ),
    _check(
        "Q06", ERROR, "没有在世成员", "household has no living member", _H,
        lambda: pl.col("_population") == 0,
        lambda: pl.format("户 {} 没有人员状态为“正常”的成员", pl.col("household_id")),
        lambda: pl.format("household {} has no living member (人员状态 正常)", pl.col("household_id")),
    ),
    _check(
        "Q07", ERROR, "脱贫状态或脱贫年度缺失", "registered without 脱贫状态, or 已脱贫 without 脱贫年度", _H,
        lambda: ((pl.col("registered") == True) & pl.col("poverty_status").is_null())  # noqa: E712
        | ((pl.col("poverty_status") == "已脱贫") & pl.col("exit_year").is_null()),
        lambda: pl.when(pl.col("poverty_status").is_null()).then(pl.lit("建档立卡户未填脱贫状态"))
        .otherwise(pl.lit("脱贫状态为已脱贫，未填脱贫年度")),
        lambda: pl.when(pl.col("poverty_status").is_null()).then(pl.lit("registered household without 脱贫状态"))
        .otherwise(pl.lit("已脱贫 without 脱贫年度 (exit year)")),
        "poverty_status", lambda: pl.col("poverty_status"),
    ),
    _check(
        "Q08", WARNING, "因病致贫但无患病成员", "因病 as a cause with no ill member", _H,
        lambda: _cause("因病") & ~pl.col("_ill").fill_null(False),
        lambda: pl.lit("致贫原因含“因病”，但没有健康状况为非“健康”的成员"),
        lambda: pl.lit("cause 因病 (illness) but no member with a health condition"),
        "main_cause", lambda: pl.col("main_cause"),
    ),
    _check(
        "Q09", WARNING, "因学致贫但无在校生", "因学 as a cause with no member in school", _H,
        lambda: _cause("因学") & ~pl.col("_schooling").fill_null(False),
        lambda: pl.lit("致贫原因含“因学”，但没有在校生"),
        lambda: pl.lit("cause 因学 (schooling) but no member in school"),
        "main_cause", lambda: pl.col("main_cause"),
    ),
    _check(
        "Q10", WARNING, "因残致贫但无残疾成员", "因残 as a cause with no disabled member", _H,
        lambda: _cause("因残") & ~pl.col("_disabled").fill_null(False),
        lambda: pl.lit("致贫原因含“因残”，但没有残疾成员"),
        lambda: pl.lit("cause 因残 (disability) but no disabled member"),
        "main_cause", lambda: pl.col("main_cause"),
    ),
    _check(
        "Q11", WARNING, "其他致贫原因重复主要原因", "a secondary cause repeats the main cause", _H,
        lambda: pl.col("main_cause").is_not_null() & pl.col("other_causes").is_not_null()
        & pl.col("other_causes").str.split("、").list.contains(pl.col("main_cause")),
        lambda: pl.format("其他致贫原因重复了主要致贫原因“{}”", pl.col("main_cause")),
        lambda: pl.format("a secondary cause repeats the main cause '{}'", pl.col("main_cause")),
        "other_causes", lambda: pl.col("other_causes"),
    ),
    _check(
        "Q12", WARNING, "低保贫困户无低保成员", "低保贫困户 with no member on 低保", _H,
        lambda: (pl.col("poverty_attribute") == "低保贫困户") & ~pl.col("_dibao").fill_null(False),
        lambda: pl.lit("贫困户属性为低保贫困户，但没有成员享受低保"),
        lambda: pl.lit("低保贫困户 but no member on dibao"),
        "poverty_attribute", lambda: pl.col("poverty_attribute"),
    ),
    _check(
        "Q13", WARNING, "同时享受低保和特困供养", "one person both on 低保 and 特困供养", _M,
        lambda: (pl.col("dibao") == True) & (pl.col("tekun") == True),  # noqa: E712
        lambda: pl.format("{}同时享受低保和特困供养", _who()),
        lambda: pl.format("{} is both on dibao and on tekun support", _name()),
        "tekun", lambda: pl.lit("是"),
    ),
    _check(
        "Q14", WARNING, "劳动年龄健康成员无劳动力", "aged 16–59, healthy, not in school, yet without labour", _M,
        lambda: pl.col("_living") & pl.col("_age").is_between(16, 59) & (pl.col("health") == "健康")
        & ~pl.col("_in_school") & pl.col("labour").is_in(facts.NO_LABOUR),
        lambda: pl.format("{}（{}岁，健康，不在校）劳动技能为“{}”", _who(), pl.col("_age"), pl.col("labour")),
        lambda: pl.format("{} (aged {}, healthy, not in school) has labour '{}'", _name(), pl.col("_age"),
                          pl.col("labour")),
        "labour", lambda: pl.col("labour"),
    ),
    _check(
        "Q15", ERROR, "务工时间与务工状况不符", "work months outside 0–12, or disagreeing with the location", _M,
        lambda: ~_months().is_between(0, 12).fill_null(True)
        | (pl.col("work_location").is_not_null() & (_months() == 0)).fill_null(False)
        | ((_months() > 0) & pl.col("work_location").is_null()).fill_null(False),
        lambda: pl.format("{}：务工时间“{}”个月与务工状况“{}”不符（务工时间应为0–12，有务工地点须大于0，大于0须有务工地点）",
                          _who(), _months().cast(pl.String).fill_null("空"), pl.col("work_location").fill_null("空")),
        lambda: pl.format("{}: work months '{}' and work location '{}' disagree (months 0–12; a location needs "
                          "months > 0 and months > 0 need a location)", _name(),
                          _months().cast(pl.String).fill_null("empty"), pl.col("work_location").fill_null("empty")),
        "work_months", _months,
    ),
    _check(
        "Q16", WARNING, "无劳动力成员有务工记录", "member without labour capacity with a work record", _M,
        lambda: pl.col("_living") & pl.col("labour").is_in(facts.NO_LABOUR) & pl.col("_works"),
        lambda: pl.format("{}劳动技能为“{}”，却有务工记录", _who(), pl.col("labour")),
        lambda: pl.format("{} has labour '{}' but a work record", _name(), pl.col("labour")),
        "labour", lambda: pl.col("labour"),
    ),
    _check(
        "Q17", WARNING, "工资性收入与务工不符", "wage income and work records disagree", _H,
        lambda: ((pl.col("wage_income") > 0) & ~pl.col("_any_works").fill_null(False))
        | ((pl.col("wage_income") == 0) & pl.col("_any_works").fill_null(False)),
        lambda: pl.when(pl.col("wage_income") > 0).then(pl.lit("有工资性收入，但没有成员务工"))
        .otherwise(pl.lit("有成员务工，但工资性收入为0")),
        lambda: pl.when(pl.col("wage_income") > 0).then(pl.lit("wage income but no member works"))
        .otherwise(pl.lit("a member works but wage income is 0")),
        "wage_income", lambda: pl.col("wage_income"),
    ),
    _check(
        "Q18", WARNING, "有经营收入无经营支出", "business income > 0 and business expense = 0", _H,
        lambda: (pl.col("business_income") > 0) & (pl.col("business_expense") == 0),
        lambda: pl.lit("有生产经营性收入，但生产经营性支出为0"),
        lambda: pl.lit("business income > 0 but business expense = 0"),
        "business_expense", lambda: pl.col("business_expense"),
    ),
    _check(
        "Q19", WARNING, "人均纯收入不合理", "per-capita net income ≤ 0 or > 100000", _H,
        lambda: (pl.col("_pc") <= 0) | (pl.col("_pc") > 100000),
        lambda: pl.format("人均纯收入 {} 元，不在 0–100000 元之间", pl.col("_pc").round(2)),
        lambda: pl.format("per-capita net income {} yuan is not within 0–100000", pl.col("_pc").round(2)),
        "wage_income", lambda: pl.col("_pc"),
    ),
    _check(
        "Q20", WARNING, "与户主关系与性别矛盾", "relationship contradicts sex", _M,
        lambda: (pl.col("relationship").is_in(MALE_ONLY) & (pl.col("_sex") == "女"))
        | (pl.col("relationship").is_in(FEMALE_ONLY) & (pl.col("_sex") == "男")),
        lambda: pl.format("{}与户主关系为“{}”，性别却是“{}”", _who(), pl.col("relationship"), pl.col("_sex")),
        lambda: pl.format("{} is '{}' of the head but of sex '{}'", _name(), pl.col("relationship"), pl.col("_sex")),
        "relationship", lambda: pl.col("relationship"),
        more=(Finding(
            lambda: (pl.col("relationship") == "配偶") & (pl.col("_sex") == pl.col("_head_sex")),
            lambda: pl.format("{}是配偶，与户主同为“{}”性", _who(), pl.col("_sex")),
            lambda: pl.format("{} is the spouse and of the same sex ({}) as the head", _name(), pl.col("_sex")),
            "relationship", lambda: pl.col("relationship"),
        ),),
    ),
    _check(
        "Q21", WARNING, "在校生状况与年龄不符", "schooling contradicts age", _M,
        lambda: pl.col("_living") & (
            ((pl.col("_age") <= 14) & pl.col("school_status").is_in(HIGH_SCHOOL_OR_ABOVE))
            | ((pl.col("_age") >= 20) & pl.col("school_status").is_in(PRIMARY_OR_BELOW))
        ),
        lambda: pl.format("{}{}岁，在校生状况为“{}”，与年龄不符", _who(), pl.col("_age"), pl.col("school_status")),
        lambda: pl.format("{} is {} years old yet in '{}'", _name(), pl.col("_age"), pl.col("school_status")),
        "school_status", lambda: pl.col("school_status"),
    ),
    _check(
        "Q22", WARNING, "残疾未填残疾等级", "残疾 without 残疾等级", _M,
        lambda: (pl.col("health") == "残疾") & pl.col("disability_grade").is_null(),
        lambda: pl.format("{}健康状况为残疾，未填残疾等级", _who()),
        lambda: pl.format("{} is disabled but has no disability grade", _name()),
        "disability_grade", lambda: pl.lit(None),
    ),
    _check(
        "Q23", WARNING, "人均耕地、林地或距离不合理", "implausible farmland, forest or road distance", _H,
        lambda: (pl.col("_population") > 0) & (
            (_per_person("farmland_mu") > 50) | (_per_person("forest_mu") > 70) | (pl.col("road_distance_km") > 50)
        ),
        lambda: pl.format("人均耕地 {} 亩、人均林地 {} 亩或与主干路距离 {} 公里超出常理（50亩、70亩、50公里）",
                          _per_person("farmland_mu").round(1), _per_person("forest_mu").round(1),
                          pl.col("road_distance_km")),
        lambda: pl.format("farmland {} mu or forest {} mu per person, or road distance {} km, is implausible (50, 70, 50)",
                          _per_person("farmland_mu").round(1), _per_person("forest_mu").round(1),
                          pl.col("road_distance_km")),
        "farmland_mu", lambda: pl.col("farmland_mu"),
    ),
    _check(
        "Q24", WARNING, "脱贫年度未达标（疑似错退）", "exited household not meeting the standard in its exit year", _H,
        lambda: (pl.col("poverty_status") == "已脱贫") & (pl.col("_exit_year_verdict") == "no"),
        lambda: pl.format("已于 {} 年脱贫，但该年度评估未达标（疑似错退）", pl.col("exit_year")),
        lambda: pl.format("exited in {} but did not meet the standard that year (possible wrong exit)",
                          pl.col("exit_year")),
        "poverty_status", lambda: pl.col("poverty_status"), needs_assessment=True,
    ),
    _check(
        "Q25", WARNING, "风险消除但收入低于监测线", "risk eliminated with income below the monitoring line", _H,
        lambda: pl.col("monitoring_category").is_not_null() & (pl.col("risk_eliminated") == True)  # noqa: E712
        & (pl.col("_assessed_pc") < pl.col("_monitoring_line")),
        lambda: pl.format("风险已消除，但人均纯收入 {} 元低于监测线 {} 元", pl.col("_assessed_pc").round(2),
                          pl.col("_monitoring_line")),
        lambda: pl.format("risk eliminated with per-capita income {} below the monitoring line {}",
                          pl.col("_assessed_pc").round(2), pl.col("_monitoring_line")),
        "risk_eliminated", lambda: pl.lit("是"), needs_assessment=True,
    ),
    _check(
        "Q26", WARNING, "人数或人均纯收入与计算值不符", "household size or per-capita income disagrees with the data", _H,
        lambda: pl.col("household_size").is_not_null() & (pl.col("household_size") != pl.col("_population")),
        lambda: pl.format("人数填 {}，但正常成员为 {} 人", pl.col("household_size"), pl.col("_population")),
        lambda: pl.format("household size says {} but there are {} living members", pl.col("household_size"),
                          pl.col("_population")),
        "household_size", lambda: pl.col("household_size"),
        more=(Finding(
            lambda: pl.col("reported_per_capita_income").is_not_null() & pl.col("_computed_pc").is_not_null()
            & ((pl.col("reported_per_capita_income") - pl.col("_computed_pc")).abs() > 1),
            lambda: pl.format("人均纯收入填 {} 元，按收入项计算为 {} 元", pl.col("reported_per_capita_income"),
                              pl.col("_computed_pc").round(2)),
            lambda: pl.format("per-capita income says {} yuan but the income items give {}",
                              pl.col("reported_per_capita_income"), pl.col("_computed_pc").round(2)),
            "reported_per_capita_income", lambda: pl.col("reported_per_capita_income"),
        ),),
    ),
    _check(
        "Q27", WARNING, "人员状态变动日期与人员状态不符", "人员状态变动日期 contradicts 人员状态", _M,
        lambda: pl.col("status_changed_on").is_not_null() & pl.col("_living"),
        lambda: pl.format("{}人员状态为正常，却填了人员状态变动日期 {}；该日期只用于死亡、迁出等状态，请核实",
                          _who(), pl.col("status_changed_on")),
        lambda: pl.format("{} is 正常 (living) yet has a status change date {}", _name(),
                          pl.col("status_changed_on")),
        "status_changed_on", lambda: pl.col("status_changed_on"),
        more=(Finding(
            lambda: pl.col("status_changed_on") > pl.col("_changed_limit"),
            lambda: pl.format("{}人员状态变动日期 {} 晚于 {}（本年度末或导入日期）；请核对日期", _who(),
                              pl.col("status_changed_on"), pl.col("_changed_limit")),
            lambda: pl.format("{}'s status change date {} is after {} (the year's end or the import date)", _name(),
                              pl.col("status_changed_on"), pl.col("_changed_limit")),
            "status_changed_on", lambda: pl.col("status_changed_on"),
        ),),
    ),
)

SEVERITY: dict[str, str] = {c.key: c.severity for c in CHECKS}
