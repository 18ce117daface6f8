"""A deliberately simple per-household reading of rules.md sections 1–3.

The oracle of the differential test (tests/engine/test_differential.py) and the per-household
loop that benchmarks/bench_assess.py times against the engine: one copy, so that the loop the
benchmark measures is the one the tests prove agrees with the engine.
"""

from __future__ import annotations

from datetime import date

PARAMETERS = (
    "poverty_line", "monitoring_line", "rural_income_prev_year", "medical_share_registered",
    "medical_share_general", "education_cost_max", "income_drop_share", "elimination_min_months",
    "water_min_litres", "water_min_litres_scarce", "fetch_max_minutes", "fetch_max_horizontal_m",
    "fetch_max_vertical_m", "outage_max_days",
)


def age(id_number: str | None, as_of: date) -> int | None:
    if not id_number or len(id_number) != 18:
        return None
    b = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return as_of.year - b.year - ((b.month, b.day) > (as_of.month, as_of.day))


def tri(v):
    return "unknown" if v is None else ("met" if v else "unmet")


def reference(h: dict, members: list[dict], P: dict, as_of: date) -> dict:
    """The expected output fields of one household, computed the plain way.

    ``P`` holds the policy values under their parameter names (policy-sources.md)."""
    living = [m for m in members if m["member_status"] in (None, "正常")]
    pop = len(living)
    if pop == 0:
        return {"meets_standard": "error", "errors": "Q06"}
    items = [h[k] for k in ("wage_income", "business_income", "property_income", "transfer_income", "business_expense")]
    if all(i is None for i in items) and h["reported_per_capita_income"] is not None:
        pc = h["reported_per_capita_income"]
        net = pc * pop
    elif any(i is None for i in items):
        pc = net = None
    else:
        net = items[0] + items[1] + items[2] + items[3] - items[4]
        pc = net / pop
    ind = {"income": "unknown" if pc is None else ("met" if pc > P["poverty_line"] else "unmet"),
           "food": tri(h["food_secure"]), "clothing": tri(h["clothing_secure"])}
    edu_unmet = edu_unknown = med_unmet = med_unknown = False
    for m in living:
        a = age(m["id_number"], as_of)
        exempt = m["health"] == "残疾" and (m["home_schooling"] is True or m["dropout_reason"] == "身体原因")
        if a is not None and 6 <= a <= 15 and not exempt:
            edu_unmet |= m["school_status"] == "非在校生"
            edu_unknown |= m["school_status"] is None
        med_unmet |= m["medical_insurance"] == "未参保"
        med_unknown |= m["medical_insurance"] is None
    ind["education"] = "unmet" if edu_unmet else "unknown" if edu_unknown else "met"
    ind["medical"] = "unmet" if med_unmet else "unknown" if med_unknown else "met"
    if h["relocated"] is True or h["housing_grade"] in ("A", "B"):
        ind["housing"] = "met"
    elif h["housing_grade"] in ("C", "D"):
        ind["housing"] = "met" if h["housing_renovation"] == "已完成" else "unmet"
    else:
        ind["housing"] = "unknown"
    detail = ("water_litres_per_day", "water_scarce_area", "water_quality", "tap_water", "fetch_minutes",
              "fetch_horizontal_m", "fetch_vertical_m", "outage_days")
    if any(h[k] is not None for k in detail):
        litres = h["water_litres_per_day"]
        need = P["water_min_litres_scarce"] if h["water_scarce_area"] is True else P["water_min_litres"]
        q = None if litres is None else litres >= need
        ql = None if h["water_quality"] is None else h["water_quality"] in ("达标", "基本达标")
        conv = ("tap_water", "fetch_minutes", "fetch_horizontal_m", "fetch_vertical_m")
        if (h["tap_water"] is True
                or (h["fetch_minutes"] is not None and h["fetch_minutes"] <= P["fetch_max_minutes"])
                or (h["fetch_horizontal_m"] is not None and h["fetch_horizontal_m"] <= P["fetch_max_horizontal_m"])
                or (h["fetch_vertical_m"] is not None and h["fetch_vertical_m"] <= P["fetch_max_vertical_m"])):
            cv = True
        else:
            cv = None if all(h[k] is None for k in conv) else False
        g = None if h["outage_days"] is None else h["outage_days"] <= P["outage_max_days"]
        subs = [tri(x) for x in (q, ql, cv, g)]
        ind["water"] = "unmet" if "unmet" in subs else "unknown" if "unknown" in subs else "met"
    else:
        ind["water"] = tri(h["water_safe"])
    order = ["income", "food", "clothing", "education", "medical", "housing", "water"]
    unmet = [k for k in order if ind[k] == "unmet"]
    unknown = [k for k in order if ind[k] == "unknown"]
    verdict = "no" if unmet else "unverified" if unknown else "yes"

    mo = h["medical_out_of_pocket"] or 0.0
    eo = h["education_out_of_pocket"] or 0.0
    dl = h["disaster_loss"] or 0.0
    prior = h["prior_net_income"]
    share = P["medical_share_registered"] if h["registered"] is True else P["medical_share_general"]
    risks = {
        "medical_cost": mo > share * P["rural_income_prev_year"],
        "education_cost": eo > P["education_cost_max"],
        "disaster": dl > 0,
        "income_drop": prior is not None and prior > 0 and net is not None and net < (1 - P["income_drop_share"]) * prior,
        "serious_illness": any(m["health"] == "患有大病" for m in living),
        "severe_disability": any(m["health"] == "残疾" and m["disability_grade"] in ("一级", "二级") for m in living),
        "no_labour": all(m["labour"] in ("丧失劳动力", "无劳动力") for m in living),
        "guarantee_gap": any(ind[k] == "unmet" for k in ("education", "medical", "housing", "water")),
    }
    rigid = mo + eo + dl
    ml = P["monitoring_line"]
    monitored = h["monitoring_category"] is not None and h["risk_eliminated"] is not True
    if monitored:
        cat = "monitored"
    elif h["poverty_status"] in ("未脱贫", "返贫"):
        cat = ""
    elif net is None:
        cat = "unknown"
    elif h["registered"] is True and pc < ml and any(risks.values()):
        cat = "unstable"
    elif h["registered"] is not True and pc < ml and any(risks.values()):
        cat = "marginal"
    elif (rigid > prior if prior is not None else rigid > net) or (
            risks["income_drop"] and (net - rigid) / pop < ml):
        cat = "sudden"
    else:
        cat = "none"
    failed = []
    if cat == "monitored":
        since = h["monitoring_since"]
        months = None if since is None else (as_of.year - int(since[:4])) * 12 + as_of.month - int(since[5:7])
        if not (pc is not None and pc >= ml):
            failed.append("income")
        if verdict != "yes":
            failed.append("standard")
        if any(risks[k] for k in ("medical_cost", "education_cost", "disaster", "income_drop")):
            failed.append("risk")
        if not (months is not None and months >= P["elimination_min_months"]):
            failed.append("months")
        if risks["no_labour"]:
            failed.append("no_labour")
    return {
        "population": pop, "per_capita_net_income": pc, **ind, "meets_standard": verdict,
        "unmet": ";".join(unmet), "unknown": ";".join(unknown),
        "monitoring_category": cat, "risk_factors": ";".join(k for k, v in risks.items() if v),
        "elimination": "" if cat != "monitored" else ("ready" if not failed else "not_ready"),
        "elimination_failed": ";".join(failed), "errors": "",
    }
