"""A readable account of one household's verdict, from its assessment row alone.

The row is one dict of :func:`fupin.engine.assess.assess` output (with the ``detail_*``
columns); nothing else is looked up, so an exported assessment can be explained later.
"""

from __future__ import annotations

from fupin import divisions
from fupin.engine import rules as R


def _num(v) -> str:
    if v is None:
        return "（空）"
    f = float(v)
    return f"{f:,.0f}" if f == int(f) else f"{f:,.2f}"


def _split(v) -> list[str]:
    return [k for k in (v or "").split(";") if k]


def _src(row: dict, param: str) -> str:
    s = row.get(f"detail_source_{param}") or ""
    return f"（依据：{s}）" if s else ""


def _line(row: dict, param: str):
    return row.get("monitoring_line") if param == "monitoring_line" else row.get(f"detail_{param}")


def _place(code: str | None) -> str:
    """The town by name (villages are registered by users, so the village stays a code)."""
    if not code:
        return "区划不详"
    names = divisions.names()
    town = names.get(divisions.town_of(code), "")
    county = names.get(divisions.county_of(code), "")
    where = f"{county}{town}" if town else county
    return f"{where} {code}" if where else f"区划 {code}"


def _water_subs(row: dict) -> str:
    """Each water sub-indicator with its state; the quantity with the household's litres."""
    parts = []
    for sub, (sub_zh, _en) in R.WATER_SUBINDICATORS.items():
        state = row.get(f"detail_water_{sub}") or ""
        text = f"{sub_zh}{R.VALUE_LABELS['water_sub'].get(state, '不详')}"
        if sub == "quantity" and row.get("detail_water_litres_per_day") is not None:
            text += f"（人均日供水量 {_num(row.get('detail_water_litres_per_day'))} 升）"
        parts.append(text)
    return "、".join(parts)


def _met_reason(row: dict, key: str) -> str | None:
    """Why an indicator counts as met where the raw fields alone would puzzle a cadre: an
    unsafe grade made safe, a move, water judged from its parts."""
    if key == "housing":
        grade = row.get("detail_housing_grade")
        if row.get("detail_relocated"):
            return "住房安全：已易地扶贫搬迁，住房有保障"
        if grade in R.UNSAFE_HOUSING_GRADES:
            return f"住房安全：住房鉴定为{grade}级，危房改造已完成，视为安全"
        return None
    if key == "water" and row.get("detail_water_basis") == "detail":
        filled = "" if row.get("detail_water_safe") is None else f"（饮水是否安全填为“{'是' if row['detail_water_safe'] else '否'}”）"
        return f"饮水安全：按分项判定{filled}：{_water_subs(row)}"
    return None


def _monitoring_reason(row: dict) -> str:
    """Why a household has no monitoring category (empty) or the category "none"."""
    category = row.get("monitoring_category") or ""
    line = row.get("monitoring_line")
    if not category:
        if line is None:
            return "未进行防止返贫监测评估：该年度或地区的政策没有监测线。"
        if row.get("detail_in_poverty"):
            return "未进行防止返贫监测评估：该户为未脱贫（或返贫）户，已在贫困户名单中按贫困户帮扶。"
        return "未进行防止返贫监测评估。"
    if category != "none":
        return ""
    income = row.get("per_capita_net_income")
    risks = _split(row.get("risk_factors"))
    line_text = f"监测线 {_num(line)} 元{_src(row, 'monitoring_line')}"
    if income is not None and line is not None and float(income) >= float(line):
        why = f"人均纯收入 {_num(income)} 元不低于{line_text}"
        if risks:
            why += "，按规定不纳入监测（上列风险因素仅作提示）"
    else:
        why = f"人均纯收入 {_num(income)} 元低于{line_text}，但没有风险因素"
    rigid = float(row.get("detail_rigid_expenses") or 0)
    prior = row.get("detail_prior_net_income")
    base, base_text = (prior, "上年家庭纯收入") if prior is not None else (row.get("net_income"), "家庭纯收入")
    sudden = f"刚性支出 {_num(rigid)} 元未超过{base_text} {_num(base)} 元"
    if "income_drop" in risks and row.get("population"):
        left = (float(row.get("net_income") or 0) - rigid) / float(row["population"])
        sudden += f"，收入虽大幅缩减，扣除刚性支出后人均 {_num(left)} 元不低于监测线"
    return f"监测类别：无风险——{why}；{sudden}，不属于突发严重困难户。"


def _indicator_reason(row: dict, key: str, state: str) -> str:
    zh = R.label("indicator", key)
    if key == "income":
        if state == "unknown":
            return f"{zh}：收入项目有空缺，家庭纯收入不详，需补录工资性、生产经营性、财产性、转移性收入和生产经营性支出"
        return (
            f"{zh}：人均纯收入 {_num(row.get('per_capita_net_income'))} 元，未超过扶贫标准 "
            f"{_num(_line(row, 'poverty_line'))} 元{_src(row, 'poverty_line')}"
        )
    if key in ("food", "clothing"):
        return f"{zh}：{'入户记录为“否”' if state == 'unmet' else '未记录（空）'}"
    if key == "education":
        if state == "unmet":
            return f"{zh}：6–15周岁成员非在校且不属于残疾豁免：{row.get('detail_education_unmet_members') or ''}"
        return f"{zh}：6–15周岁成员的在校生状况为空：{row.get('detail_education_unknown_members') or ''}"
    if key == "medical":
        if state == "unmet":
            return f"{zh}：成员未参加基本医疗保险：{row.get('detail_medical_unmet_members') or ''}"
        return f"{zh}：成员基本医疗保险为空：{row.get('detail_medical_unknown_members') or ''}"
    if key == "housing":
        if state == "unmet":
            return f"{zh}：住房鉴定为C级或D级，危房改造未完成，且非易地扶贫搬迁"
        return f"{zh}：没有住房安全等级，且非易地扶贫搬迁"
    if key == "water":
        if row.get("detail_water_basis") == "detail":
            subs = []
            for sub, (sub_zh, _en) in R.WATER_SUBINDICATORS.items():
                v = row.get(f"detail_water_{sub}") or ""
                if v in ("unmet", "unknown"):
                    subs.append(f"{sub_zh}{R.VALUE_LABELS['water_sub'][v]}")
            limits = (
                f"标准：人均日供水量≥{_num(row.get('detail_water_min_litres'))}升（缺水地区≥"
                f"{_num(row.get('detail_water_min_litres_scarce'))}升），取水往返≤"
                f"{_num(row.get('detail_fetch_max_minutes'))}分钟或水平距离≤"
                f"{_num(row.get('detail_fetch_max_horizontal_m'))}米或垂直高差≤"
                f"{_num(row.get('detail_fetch_max_vertical_m'))}米，年断水≤"
                f"{_num(row.get('detail_outage_max_days'))}天{_src(row, 'water_min_litres')}"
            )
            return f"{zh}：{'、'.join(subs)}；{limits}"
        return f"{zh}：饮水是否安全{'为“否”' if state == 'unmet' else '为空'}"
    return zh


def _risk_reason(row: dict, key: str) -> str:
    zh = R.label("risk", key)
    if key == "medical_cost":
        return (
            f"{zh}：合规自付医疗费用 {_num(row.get('detail_medical_out_of_pocket'))} 元，超过 "
            f"{_num(row.get('detail_medical_cost_limit'))} 元（上年农村居民人均可支配收入 "
            f"{_num(row.get('detail_rural_income_prev_year'))} 元的一定比例）"
            f"{_src(row, 'rural_income_prev_year')}"
        )
    if key == "education_cost":
        return (
            f"{zh}：非义务教育自付费用 {_num(row.get('detail_education_out_of_pocket'))} 元，超过 "
            f"{_num(row.get('detail_education_cost_max'))} 元{_src(row, 'education_cost_max')}"
        )
    if key == "disaster":
        return f"{zh}：{_num(row.get('detail_disaster_loss'))} 元"
    if key == "income_drop":
        return (
            f"{zh}：家庭纯收入 {_num(row.get('net_income'))} 元，低于上年 "
            f"{_num(row.get('detail_prior_net_income'))} 元的 "
            f"{_num(row.get('detail_income_drop_limit'))} 元{_src(row, 'income_drop_share')}"
        )
    if key == "serious_illness":
        return f"{zh}：{row.get('detail_serious_illness_members') or ''}"
    if key == "severe_disability":
        return f"{zh}：{row.get('detail_severe_disability_members') or ''}"
    if key == "no_labour":
        return f"{zh}：全部在册成员丧失劳动力或无劳动力"
    if key == "guarantee_gap":
        gaps = [R.label("indicator", k) for k in _split(row.get("unmet")) if k in R.GUARANTEE_INDICATORS]
        return f"{zh}：{'、'.join(gaps)}未达标"
    return zh


def _elimination_reason(row: dict, key: str) -> str:
    if key == "income":
        return (
            f"人均纯收入 {_num(row.get('per_capita_net_income'))} 元，未达到监测线 "
            f"{_num(row.get('monitoring_line'))} 元{_src(row, 'monitoring_line')}"
        )
    if key == "standard":
        bad = _split(row.get("unmet")) + _split(row.get("unknown"))
        return f"“两不愁三保障”及饮水安全未全部达标：{'、'.join(R.label('indicator', k) for k in bad)}"
    if key == "risk":
        present = [R.label("risk", k) for k in _split(row.get("risk_factors")) if k in R.ELIMINATION_BLOCKING_RISKS]
        return f"仍有风险：{'、'.join(present)}"
    if key == "months":
        m = row.get("detail_months_monitored")
        return (
            f"监测时间 {'不详' if m is None else f'{m}个月'}，不足 "
            f"{_num(row.get('detail_elimination_min_months'))} 个月{_src(row, 'elimination_min_months')}"
        )
    if key == "no_labour":
        return "家庭无劳动能力，继续监测"
    return key


def explain(row: dict, lang: str = "zh") -> str:
    """Chinese (default) or English text explaining one assessment row."""
    if lang != "zh":
        return _explain_en(row)
    hid, year = row.get("household_id"), row.get("year")
    head = f"户 {hid}（{year}年，{_place(row.get('region_code'))}，在册 {row.get('population')} 人）"
    lines = []
    verdict = row.get("meets_standard") or ""
    if verdict == "error":
        lines.append(f"{head}：数据有错误（{row.get('errors')}），未评估；请先更正数据。")
        return "\n".join(lines)
    lines.append(f"{head}：{R.VALUE_LABELS['meets_standard'].get(verdict, verdict)}。")
    basis = row.get("detail_income_basis")
    if basis == "reported":
        lines.append(f"收入项目全部为空，采用导出的人均纯收入 {_num(row.get('per_capita_net_income'))} 元。")
    elif row.get("per_capita_net_income") is not None:
        lines.append(
            f"家庭纯收入 {_num(row.get('net_income'))} 元，人均纯收入 {_num(row.get('per_capita_net_income'))} 元"
            f"（扶贫标准 {_num(_line(row, 'poverty_line'))} 元）。"
        )
    for kind, title in (("unmet", "未达标"), ("unknown", "不详")):
        for key in _split(row.get(kind)):
            lines.append(f"- {title}：{_indicator_reason(row, key, kind)}")
    not_met = set(_split(row.get("unmet"))) | set(_split(row.get("unknown")))
    for key in ("housing", "water"):
        reason = None if key in not_met else _met_reason(row, key)
        if reason:
            lines.append(f"- 达标：{reason}")
    cat = row.get("monitoring_category") or ""
    risks = _split(row.get("risk_factors"))
    if risks:
        lines.append("风险因素：")
        lines += [f"- {_risk_reason(row, k)}" for k in risks]
    if cat and cat != "none":
        ml = f"（监测线 {_num(row.get('monitoring_line'))} 元{_src(row, 'monitoring_line')}）"
        lines.append(f"监测类别：{R.label('category', cat)}{ml}。")
    else:
        lines.append(_monitoring_reason(row))
    if row.get("elimination"):
        lines.append(f"风险消除：{R.VALUE_LABELS['elimination'][row['elimination']]}。")
        for key in _split(row.get("elimination_failed")):
            lines.append(f"- 未满足：{_elimination_reason(row, key)}")
    if row.get("detail_quick_elimination"):
        lines.append(f"提示：识别监测后不足 {_num(row.get('detail_quick_elimination_months'))} 个月即标注风险消除，"
                     f"请复核是否为“纸面消除”{_src(row, 'quick_elimination_months')}。")
    if row.get("detail_warnings"):
        lines.append(f"数据提示：{row['detail_warnings']}")
    lines.append(f"政策：{row.get('detail_policy_title') or row.get('policy')}")
    return "\n".join(line for line in lines if line)


def _explain_en(row: dict) -> str:
    lines = [f"Household {row.get('household_id')} ({row.get('year')}, {row.get('region_code')}): "
             f"meets_standard={row.get('meets_standard')}"]
    if row.get("meets_standard") == "error":
        lines.append(f"data errors: {row.get('errors')}; not assessed")
        return "\n".join(lines)
    for kind in ("unmet", "unknown"):
        for key in _split(row.get(kind)):
            lines.append(f"- {kind}: {R.label('indicator', key, 'en')}")
    for key in _split(row.get("risk_factors")):
        lines.append(f"- risk: {R.label('risk', key, 'en')}")
    if row.get("monitoring_category"):
        lines.append(f"category: {R.label('category', row['monitoring_category'], 'en')}")
    if row.get("elimination"):
        failed = ", ".join(_split(row.get("elimination_failed"))) or "none"
        lines.append(f"elimination: {row['elimination']} (failed: {failed})")
    lines.append(f"policy: {row.get('policy')}")
    return "\n".join(lines)
