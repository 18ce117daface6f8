"""Data-quality checks Q03–Q26 of ``spec/rules.md`` section 5, over whole tables.

Q01 and Q02 come from ID parsing in the reader (``fupin.io``). Every check is a column
expression (or a group-by) over the canonical tables; the output is one row per finding.

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
* Q19/Q26 per-capita net income: the five income items over living members; when all five are
  empty, 人均纯收入 of an export. Q26 tolerates a difference of up to 1 yuan (exports round).
* Q20 sex: from the ID number when it is valid, else the 性别 column.
* Q21 "高中 or above": 高中 中职 高职 技工 大专 本科 硕士及以上; "小学 or below": 学前教育 小学.
* Q24: assessment row of the household's exit year (year = 脱贫年度) with meets_standard = no.
* Q25: monitoring category set, risk eliminated = 是, and the assessed per-capita net income
  < monitoring line.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.engine import idnumber

ERROR = "error"
WARNING = "warning"

SEVERITY: dict[str, str] = {
    "Q01": ERROR, "Q02": WARNING, "Q03": ERROR, "Q04": ERROR, "Q05": ERROR, "Q06": ERROR,
    "Q07": ERROR, "Q08": WARNING, "Q09": WARNING, "Q10": WARNING, "Q11": WARNING, "Q12": WARNING,
    "Q13": WARNING, "Q14": WARNING, "Q15": ERROR, "Q16": WARNING, "Q17": WARNING, "Q18": WARNING,
    "Q19": WARNING, "Q20": WARNING, "Q21": WARNING, "Q22": WARNING, "Q23": WARNING, "Q24": WARNING,
    "Q25": WARNING, "Q26": WARNING,
}
ERROR_CODES = tuple(c for c, s in SEVERITY.items() if s == ERROR)

INCOME_ITEMS = ("wage_income", "business_income", "property_income", "transfer_income")
HIGH_SCHOOL_OR_ABOVE = ("高中", "中职", "高职", "技工", "大专", "本科", "硕士及以上")
PRIMARY_OR_BELOW = ("学前教育", "小学")
NO_LABOUR = ("丧失劳动力", "无劳动力")
MALE_ONLY = ("之子", "之父", "之岳父", "之公公", "之祖父", "之孙子", "之外孙子", "之女婿")
FEMALE_ONLY = ("之女", "之母", "之岳母", "之婆婆", "之祖母", "之孙女", "之外孙女", "之儿媳")
# Q20 as written lists the relationships that contradict a sex; 之女婿 (son-in-law) is male by
# definition as 之儿媳 is female, so it is checked too.

OUTPUT_COLUMNS = ("household_id", "year", "id_number", "member_name", "code", "severity",
                  "message_zh", "message_en")
_INTERNAL_SCHEMA = {
    "table": pl.String, "household_id": pl.String, "year": pl.Int32, "id_number": pl.String,
    "member_name": pl.String, "code": pl.String, "severity": pl.String, "message_zh": pl.String,
    "message_en": pl.String, "field": pl.String, "value": pl.String, "_sheet": pl.String,
    "_row": pl.Int64,
}


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
    """A column, or typed nulls when the frame lacks it (partial frames in tests and imports)."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)


def _with_defaults(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in columns.items() if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame


_MEMBER_COLUMNS = {
    "household_id": pl.String, "year": pl.Int32, "name": pl.String, "id_number": pl.String,
    "sex": pl.String, "relationship": pl.String, "school_status": pl.String,
    "dropout_reason": pl.String, "health": pl.String, "disability_grade": pl.String,
    "labour": pl.String, "work_location": pl.String, "work_months": pl.Int32, "dibao": pl.Boolean,
    "tekun": pl.Boolean, "member_status": pl.String, "_sheet": pl.String, "_row": pl.Int64,
}
_HOUSEHOLD_COLUMNS = {
    "household_id": pl.String, "year": pl.Int32, "registered": pl.Boolean,
    "poverty_status": pl.String, "exit_year": pl.Int32, "poverty_attribute": pl.String,
    "main_cause": pl.String, "other_causes": pl.String, "monitoring_category": pl.String,
    "risk_eliminated": pl.Boolean, "wage_income": pl.Float64, "business_income": pl.Float64,
    "property_income": pl.Float64, "transfer_income": pl.Float64, "business_expense": pl.Float64,
    "farmland_mu": pl.Float64, "forest_mu": pl.Float64, "road_distance_km": pl.Float64,
    "_sheet": pl.String, "_row": pl.Int64,
}


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


def _emit(frame: pl.DataFrame, table: str, code: str, zh: pl.Expr | str, en: pl.Expr | str,
          field: str | None = None, value: pl.Expr | None = None) -> pl.DataFrame:
    """Shape the rows of ``frame`` (already filtered to the finding) into findings."""
    member = table == "members"
    lit = lambda v: pl.lit(v) if isinstance(v, str) else v  # noqa: E731
    return frame.select(
        table=pl.lit(table),
        household_id=pl.col("household_id"),
        year=pl.col("year").cast(pl.Int32),
        id_number=pl.col("id_number") if member else pl.lit(None, dtype=pl.String),
        member_name=pl.col("name") if member else pl.lit(None, dtype=pl.String),
        code=pl.lit(code),
        severity=pl.lit(SEVERITY[code]),
        message_zh=lit(zh),
        message_en=lit(en),
        field=pl.lit(field, dtype=pl.String),
        value=(value if value is not None else pl.lit(None)).cast(pl.String),
        _sheet=pl.col("_sheet"),
        _row=pl.col("_row"),
    )


def _who(prefix_zh: str = "") -> pl.Expr:
    return pl.format("{}{}", pl.lit(prefix_zh), pl.col("name").fill_null("（无姓名）"))


def findings(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date | None = None,
             assessment: pl.DataFrame | None = None) -> pl.DataFrame:
    """Quality findings Q03–Q26 (one row each): household_id, year, id_number, member_name,
    code, severity, message_zh, message_en."""
    return _findings(households, members, as_of=as_of, assessment=assessment).select(OUTPUT_COLUMNS)


def _findings(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date | None = None,
              assessment: pl.DataFrame | None = None) -> pl.DataFrame:
    """Findings with the row they point at (table, field, value, _sheet, _row) for the importer."""
    h = _with_defaults(households, _HOUSEHOLD_COLUMNS)
    m = _with_defaults(members, _MEMBER_COLUMNS)
    m = m.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    h = h.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    id_sex = pl.when(pl.col("id_number").str.len_chars() == 18).then(idnumber.sex_expr(pl.col("id_number")))
    m = m.with_columns(
        _age=_ages(m, as_of),
        _living=pl.col("member_status").fill_null("正常") == "正常",
        _id_sex=id_sex,
        _works=pl.col("work_location").is_not_null() | (pl.col("work_months").fill_null(0) > 0),
        _in_school=pl.col("school_status").is_not_null() & (pl.col("school_status") != "非在校生"),
    ).with_columns(_sex=pl.coalesce(pl.col("_id_sex"), pl.col("sex")))
    living = m.filter(pl.col("_living"))
    key = ["household_id", "year"]
    out: list[pl.DataFrame] = []

    # --- member rows --------------------------------------------------------------------
    q03 = m.filter(pl.col("sex").is_not_null() & pl.col("_id_sex").is_not_null()
                   & (pl.col("sex") != pl.col("_id_sex")))
    out.append(_emit(q03, "members", "Q03",
                     pl.format("{}：性别填“{}”，但证件号码表明是“{}”", _who(), pl.col("sex"), pl.col("_id_sex")),
                     pl.format("{}: sex is '{}' but the ID number says '{}'", pl.col("name"), pl.col("sex"), pl.col("_id_sex")),
                     "sex", pl.col("sex")))

    # Only IDs that repeat can be shared: filtering first keeps the group-by off the millions
    # of members that appear once.
    ids = m.filter(pl.col("id_number").is_not_null())
    ids = ids.filter(pl.struct("id_number", "year").is_duplicated())
    shared = ids.group_by("id_number", "year").agg(
        pl.col("household_id").n_unique().alias("_n"),
        pl.col("household_id").unique().sort().str.join("、").alias("_hh"),
    ).filter(pl.col("_n") > 1)
    q04 = ids.join(shared, on=["id_number", "year"])
    out.append(_emit(q04, "members", "Q04",
                     # The ID stays in its own column: messages are shown in lists, where IDs are masked.
                     pl.format("{}：同一证件号码在同一年度出现在多个户中：{}（每人只能属于一户）", _who(), pl.col("_hh")),
                     pl.format("{}: the same ID number is in several households of the same year: {}", pl.col("name"),
                               pl.col("_hh")),
                     "id_number", pl.col("id_number")))

    q13 = m.filter((pl.col("dibao") == True) & (pl.col("tekun") == True))  # noqa: E712
    out.append(_emit(q13, "members", "Q13",
                     pl.format("{}同时享受低保和特困供养", _who()),
                     pl.format("{} is both on dibao and on tekun support", pl.col("name")),
                     "tekun", pl.lit("是")))

    q14 = living.filter(pl.col("_age").is_between(16, 59) & (pl.col("health") == "健康")
                        & ~pl.col("_in_school") & pl.col("labour").is_in(NO_LABOUR))
    out.append(_emit(q14, "members", "Q14",
                     pl.format("{}（{}岁，健康，不在校）劳动技能为“{}”", _who(), pl.col("_age"), pl.col("labour")),
                     pl.format("{} (aged {}, healthy, not in school) has labour '{}'", pl.col("name"), pl.col("_age"), pl.col("labour")),
                     "labour", pl.col("labour")))

    months = pl.col("work_months")
    q15 = m.filter(
        ~months.is_between(0, 12).fill_null(True)
        | (pl.col("work_location").is_not_null() & (months == 0)).fill_null(False)
        | ((months > 0) & pl.col("work_location").is_null()).fill_null(False)
    )
    out.append(_emit(q15, "members", "Q15",
                     pl.format("{}：务工时间“{}”个月与务工状况“{}”不符（务工时间应为0–12，有务工地点须大于0，大于0须有务工地点）",
                               _who(), months.cast(pl.String).fill_null("空"), pl.col("work_location").fill_null("空")),
                     pl.format("{}: work months '{}' and work location '{}' disagree (months 0–12; a location needs months > 0 and months > 0 need a location)",
                               pl.col("name"), months.cast(pl.String).fill_null("empty"), pl.col("work_location").fill_null("empty")),
                     "work_months", months))

    q16 = living.filter(pl.col("labour").is_in(NO_LABOUR) & pl.col("_works"))
    out.append(_emit(q16, "members", "Q16",
                     pl.format("{}劳动技能为“{}”，却有务工记录", _who(), pl.col("labour")),
                     pl.format("{} has labour '{}' but a work record", pl.col("name"), pl.col("labour")),
                     "labour", pl.col("labour")))

    # Q20: contradictions between relationship and sex, and a 户主/配偶 couple of one sex.
    q20a = m.filter((pl.col("relationship").is_in(MALE_ONLY) & (pl.col("_sex") == "女"))
                    | (pl.col("relationship").is_in(FEMALE_ONLY) & (pl.col("_sex") == "男")))
    out.append(_emit(q20a, "members", "Q20",
                     pl.format("{}与户主关系为“{}”，性别却是“{}”", _who(), pl.col("relationship"), pl.col("_sex")),
                     pl.format("{} is '{}' of the head but of sex '{}'", pl.col("name"), pl.col("relationship"), pl.col("_sex")),
                     "relationship", pl.col("relationship")))
    heads = m.filter(pl.col("relationship") == "户主").group_by(key).agg(pl.col("_sex").first().alias("_head_sex"))
    q20b = m.filter(pl.col("relationship") == "配偶").join(heads, on=key).filter(pl.col("_sex") == pl.col("_head_sex"))
    out.append(_emit(q20b, "members", "Q20",
                     pl.format("{}是配偶，与户主同为“{}”性", _who(), pl.col("_sex")),
                     pl.format("{} is the spouse and of the same sex ({}) as the head", pl.col("name"), pl.col("_sex")),
                     "relationship", pl.col("relationship")))

    q21 = living.filter(
        ((pl.col("_age") <= 14) & pl.col("school_status").is_in(HIGH_SCHOOL_OR_ABOVE))
        | ((pl.col("_age") >= 20) & pl.col("school_status").is_in(PRIMARY_OR_BELOW))
    )
    out.append(_emit(q21, "members", "Q21",
                     pl.format("{}{}岁，在校生状况为“{}”，与年龄不符", _who(), pl.col("_age"), pl.col("school_status")),
                     pl.format("{} is {} years old yet in '{}'", pl.col("name"), pl.col("_age"), pl.col("school_status")),
                     "school_status", pl.col("school_status")))

    q22 = m.filter((pl.col("health") == "残疾") & pl.col("disability_grade").is_null())
    out.append(_emit(q22, "members", "Q22",
                     pl.format("{}健康状况为残疾，未填残疾等级", _who()),
                     pl.format("{} is disabled but has no disability grade", pl.col("name")),
                     "disability_grade", pl.lit(None)))

    # --- household rows -----------------------------------------------------------------
    per_household = living.group_by(key).agg(
        pl.len().alias("_population"),
        (pl.col("relationship") == "户主").sum().alias("_heads"),
        pl.col("health").is_in(["长期慢性病", "患有大病", "残疾"]).any().alias("_ill"),
        (pl.col("health") == "残疾").any().alias("_disabled"),
        pl.col("_in_school").any().alias("_schooling"),
        (pl.col("dibao") == True).any().alias("_dibao"),  # noqa: E712
        pl.col("_works").any().alias("_any_works"),
    )
    hh = h.join(per_household, on=key, how="left").with_columns(pl.col("_population").fill_null(0))

    q05 = hh.filter((pl.col("_population") > 0) & (pl.col("_heads") != 1))
    out.append(_emit(q05, "households", "Q05",
                     pl.format("户 {} 有 {} 名户主（应恰好1名）", pl.col("household_id"), pl.col("_heads")),
                     pl.format("household {} has {} heads (exactly one required)", pl.col("household_id"), pl.col("_heads")),
                     None, pl.col("_heads")))
    q06 = hh.filter(pl.col("_population") == 0)
    out.append(_emit(q06, "households", "Q06",
                     pl.format("户 {} 没有人员状态为“正常”的成员", pl.col("household_id")),
                     pl.format("household {} has no living member (人员状态 正常)", pl.col("household_id")),
                     None, None))
    q07 = hh.filter(
        ((pl.col("registered") == True) & pl.col("poverty_status").is_null())  # noqa: E712
        | ((pl.col("poverty_status") == "已脱贫") & pl.col("exit_year").is_null())
    )
    out.append(_emit(q07, "households", "Q07",
                     pl.when(pl.col("poverty_status").is_null()).then(pl.lit("建档立卡户未填脱贫状态"))
                     .otherwise(pl.lit("脱贫状态为已脱贫，未填脱贫年度")),
                     pl.when(pl.col("poverty_status").is_null()).then(pl.lit("registered household without 脱贫状态"))
                     .otherwise(pl.lit("已脱贫 without 脱贫年度 (exit year)")),
                     "poverty_status", pl.col("poverty_status")))

    causes = pl.concat_str([pl.col("main_cause").fill_null(""), pl.col("other_causes").fill_null("")], separator="、")

    def cause_check(code, cause, flag, zh, en):
        q = hh.filter(causes.str.contains(cause, literal=True) & ~pl.col(flag).fill_null(False))
        out.append(_emit(q, "households", code, zh, en, "main_cause", pl.col("main_cause")))

    cause_check("Q08", "因病", "_ill", "致贫原因含“因病”，但没有健康状况为非“健康”的成员",
                "cause 因病 (illness) but no member with a health condition")
    cause_check("Q09", "因学", "_schooling", "致贫原因含“因学”，但没有在校生",
                "cause 因学 (schooling) but no member in school")
    cause_check("Q10", "因残", "_disabled", "致贫原因含“因残”，但没有残疾成员",
                "cause 因残 (disability) but no disabled member")

    q11 = hh.filter(pl.col("main_cause").is_not_null() & pl.col("other_causes").is_not_null()
                    & pl.col("other_causes").str.split("、").list.contains(pl.col("main_cause")))
    out.append(_emit(q11, "households", "Q11",
                     pl.format("其他致贫原因重复了主要致贫原因“{}”", pl.col("main_cause")),
                     pl.format("a secondary cause repeats the main cause '{}'", pl.col("main_cause")),
                     "other_causes", pl.col("other_causes")))

    q12 = hh.filter((pl.col("poverty_attribute") == "低保贫困户") & ~pl.col("_dibao").fill_null(False))
    out.append(_emit(q12, "households", "Q12", "贫困户属性为低保贫困户，但没有成员享受低保",
                     "低保贫困户 but no member on dibao", "poverty_attribute", pl.col("poverty_attribute")))

    q17 = hh.filter(((pl.col("wage_income") > 0) & ~pl.col("_any_works").fill_null(False))
                    | ((pl.col("wage_income") == 0) & pl.col("_any_works").fill_null(False)))
    out.append(_emit(q17, "households", "Q17",
                     pl.when(pl.col("wage_income") > 0).then(pl.lit("有工资性收入，但没有成员务工"))
                     .otherwise(pl.lit("有成员务工，但工资性收入为0")),
                     pl.when(pl.col("wage_income") > 0).then(pl.lit("wage income but no member works"))
                     .otherwise(pl.lit("a member works but wage income is 0")),
                     "wage_income", pl.col("wage_income")))

    q18 = hh.filter((pl.col("business_income") > 0) & (pl.col("business_expense") == 0))
    out.append(_emit(q18, "households", "Q18", "有生产经营性收入，但生产经营性支出为0",
                     "business income > 0 but business expense = 0", "business_expense",
                     pl.col("business_expense")))

    items = [pl.col(c) for c in (*INCOME_ITEMS, "business_expense")]
    net = pl.when(pl.all_horizontal([c.is_not_null() for c in items])).then(
        pl.sum_horizontal(INCOME_ITEMS) - pl.col("business_expense"))
    computed_pc = pl.when(pl.col("_population") > 0).then(net / pl.col("_population"))
    reported = _col(hh, "reported_per_capita_income", pl.Float64)
    all_empty = pl.all_horizontal([c.is_null() for c in items])
    hh = hh.with_columns(_computed_pc=computed_pc,
                         _pc=pl.when(all_empty & (pl.col("_population") > 0)).then(reported).otherwise(computed_pc))
    q19 = hh.filter((pl.col("_pc") <= 0) | (pl.col("_pc") > 100000))
    out.append(_emit(q19, "households", "Q19",
                     pl.format("人均纯收入 {} 元，不在 0–100000 元之间", pl.col("_pc").round(2)),
                     pl.format("per-capita net income {} yuan is not within 0–100000", pl.col("_pc").round(2)),
                     "wage_income", pl.col("_pc")))

    pc = lambda c: pl.col(c) / pl.col("_population")  # noqa: E731
    q23 = hh.filter((pl.col("_population") > 0) & (
        (pc("farmland_mu") > 50) | (pc("forest_mu") > 70) | (pl.col("road_distance_km") > 50)))
    out.append(_emit(q23, "households", "Q23",
                     pl.format("人均耕地 {} 亩、人均林地 {} 亩或与主干路距离 {} 公里超出常理（50亩、70亩、50公里）",
                               pc("farmland_mu").round(1), pc("forest_mu").round(1), pl.col("road_distance_km")),
                     pl.format("farmland {} mu or forest {} mu per person, or road distance {} km, is implausible (50, 70, 50)",
                               pc("farmland_mu").round(1), pc("forest_mu").round(1), pl.col("road_distance_km")),
                     "farmland_mu", pl.col("farmland_mu")))

    if "household_size" in hh.columns:
        q26a = hh.filter(pl.col("household_size").is_not_null() & (pl.col("household_size") != pl.col("_population")))
        out.append(_emit(q26a, "households", "Q26",
                         pl.format("人数填 {}，但正常成员为 {} 人", pl.col("household_size"), pl.col("_population")),
                         pl.format("household size says {} but there are {} living members", pl.col("household_size"), pl.col("_population")),
                         "household_size", pl.col("household_size")))
    if "reported_per_capita_income" in hh.columns:
        q26b = hh.filter(pl.col("reported_per_capita_income").is_not_null() & pl.col("_computed_pc").is_not_null()
                         & ((pl.col("reported_per_capita_income") - pl.col("_computed_pc")).abs() > 1))
        out.append(_emit(q26b, "households", "Q26",
                         pl.format("人均纯收入填 {} 元，按收入项计算为 {} 元", pl.col("reported_per_capita_income"), pl.col("_computed_pc").round(2)),
                         pl.format("per-capita income says {} yuan but the income items give {}", pl.col("reported_per_capita_income"), pl.col("_computed_pc").round(2)),
                         "reported_per_capita_income", pl.col("reported_per_capita_income")))

    if assessment is not None and assessment.height:
        a = assessment.select(
            "household_id", pl.col("year").cast(pl.Int32), "meets_standard",
            pl.col("per_capita_net_income").cast(pl.Float64), pl.col("monitoring_line").cast(pl.Float64),
        )
        q24 = hh.filter(pl.col("poverty_status") == "已脱贫").join(
            a, left_on=["household_id", "exit_year"], right_on=["household_id", "year"], suffix="_a"
        ).filter(pl.col("meets_standard") == "no")
        out.append(_emit(q24, "households", "Q24",
                         pl.format("已于 {} 年脱贫，但该年度评估未达标（疑似错退）", pl.col("exit_year")),
                         pl.format("exited in {} but did not meet the standard that year (possible wrong exit)", pl.col("exit_year")),
                         "poverty_status", pl.col("poverty_status")))
        q25 = hh.filter(pl.col("monitoring_category").is_not_null() & (pl.col("risk_eliminated") == True)).join(  # noqa: E712
            a, on=key
        ).filter(pl.col("per_capita_net_income") < pl.col("monitoring_line"))
        out.append(_emit(q25, "households", "Q25",
                         pl.format("风险已消除，但人均纯收入 {} 元低于监测线 {} 元", pl.col("per_capita_net_income").round(2), pl.col("monitoring_line")),
                         pl.format("risk eliminated with per-capita income {} below the monitoring line {}", pl.col("per_capita_net_income").round(2), pl.col("monitoring_line")),
                         "risk_eliminated", pl.lit("是")))

    result = pl.concat([f.cast(_INTERNAL_SCHEMA) for f in out], how="vertical")
    return result.sort(["household_id", "year", "code", "_row"], nulls_last=True)
