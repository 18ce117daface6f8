"""Household composition and member attributes, as numpy arrays over all members at once.

Members of one household are contiguous and in this order: head (户主), spouse, the head's (or
the spouse's) parents, a sibling, children, a child's spouse, grandchildren. Relationships
follow the sexes (rules.md Q20), ages follow the generations, and schooling, health, labour
and work follow age (Q14–Q16, Q21). Codes are indices into the code lists of
:mod:`fupin.engine.schema`; -1 means empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fupin.engine.schema import (
    DISABILITY_GRADES,
    DROPOUT_REASONS,
    EDUCATION_LEVELS,
    HEALTH,
    LABOUR,
    MEDICAL_INSURANCE,
    MEMBER_STATUSES,
    RELATIONSHIPS,
    SCHOOL_STATUSES,
    WORK_LOCATIONS,
)

NONE = -1

# Member kinds (positions in the household), not exchange codes.
HEAD, SPOUSE, PARENT, SIBLING, CHILD, CHILD_SPOUSE, GRANDCHILD = range(7)

R = {name: i for i, name in enumerate(RELATIONSHIPS)}
SCH = {name: i for i, name in enumerate(SCHOOL_STATUSES)}
EDU = {name: i for i, name in enumerate(EDUCATION_LEVELS)}
HLT = {name: i for i, name in enumerate(HEALTH)}
LAB = {name: i for i, name in enumerate(LABOUR)}
INS = {name: i for i, name in enumerate(MEDICAL_INSURANCE)}
STA = {name: i for i, name in enumerate(MEMBER_STATUSES)}
DRP = {name: i for i, name in enumerate(DROPOUT_REASONS)}
N_GRADES = len(DISABILITY_GRADES)
N_WORK = len(WORK_LOCATIONS)

NON_COMPULSORY_SCHOOL = np.array(
    [SCH[s] for s in ("高中", "中职", "高职", "技工", "大专", "本科", "硕士及以上")]
)
CAPABLE_LABOUR = np.array([LAB["普通劳动力"], LAB["技能劳动力"], LAB["弱劳动力或半劳动力"]])


@dataclass
class Members:
    household: np.ndarray      # household index of each member
    kind: np.ndarray           # HEAD … GRANDCHILD
    relationship: np.ndarray
    male: np.ndarray
    age: np.ndarray
    education_level: np.ndarray
    school_status: np.ndarray
    dropout_reason: np.ndarray
    home_schooling: np.ndarray  # 1 = 是, -1 = empty
    health: np.ndarray
    disability_grade: np.ndarray
    labour: np.ndarray
    work_location: np.ndarray
    work_months: np.ndarray
    medical_insurance: np.ndarray
    critical_illness: np.ndarray  # 1 是, 0 否, -1 empty
    pension: np.ndarray
    status: np.ndarray

    @property
    def living(self) -> np.ndarray:
        return self.status == STA["正常"]


def _pick(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    """Category indices with the given probabilities (a row of probs, or one row per draw)."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=-1)
    u = rng.random(n)
    if probs.ndim == 1:
        return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(probs) - 1)
    cum = cum / cum[:, -1:]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def compose(rng: np.random.Generator, size: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kinds, sexes, relationships and ages of all members from the household sizes."""
    h = len(size)
    head_age = np.where(
        size == 1, rng.normal(66, 12, h), np.where(size == 2, rng.normal(58, 13, h), rng.normal(48, 11, h))
    )
    head_age = np.clip(np.floor(head_age), 20, 95).astype(np.int64)
    old = head_age >= 55
    has_spouse = (size >= 2) & (rng.random(h) < np.where(size == 2, 0.8, 0.9))
    head_male = rng.random(h) < np.where(has_spouse, 0.93, 0.6)
    rest = size - 1 - has_spouse
    # Young heads live with their children and, in some households, with (their or the
    # spouse's) parents; older heads with adult children, a child's spouse and grandchildren.
    n_parents = np.where(
        ~old & (rest >= 2) & (rng.random(h) < 0.35), 1 + ((rest >= 3) & (rng.random(h) < 0.5)), 0
    )
    in_law = has_spouse & (rng.random(h) < 0.25)
    n_sibling = (old & ~has_spouse & (size == 2) & (rng.random(h) < 0.1)).astype(np.int64)
    n_child_spouse = (old & (rest - n_sibling >= 2) & (rng.random(h) < 0.7)).astype(np.int64)
    n_grand = np.where(old, np.clip(rest - n_sibling - 1 - n_child_spouse, 0, 4), 0)
    n_children = rest - n_parents - n_sibling - n_child_spouse - n_grand
    first_child_male = rng.random(h) < 0.55

    # Boundaries of each kind inside the household.
    b_spouse = 1 + has_spouse
    b_parent = b_spouse + n_parents
    b_sibling = b_parent + n_sibling
    b_child = b_sibling + n_children
    b_cs = b_child + n_child_spouse

    hh = np.repeat(np.arange(h), size)
    starts = np.cumsum(size) - size
    pos = np.arange(len(hh)) - starts[hh]
    kind = np.select(
        [pos == 0, pos < b_spouse[hh], pos < b_parent[hh], pos < b_sibling[hh], pos < b_child[hh],
         pos < b_cs[hh]],
        [HEAD, SPOUSE, PARENT, SIBLING, CHILD, CHILD_SPOUSE],
        GRANDCHILD,
    )
    m = len(hh)
    coin = rng.random(m) < 0.5
    hmale = head_male[hh]
    fcm = first_child_male[hh]
    # Parents: with two, the first is the father; with one, the mother more often.
    parent_no = pos - b_spouse[hh]
    parent_male = np.where(n_parents[hh] == 2, parent_no == 0, rng.random(m) < 0.4)
    child_no = pos - b_sibling[hh]
    child_male = np.where(child_no == 0, fcm, coin)
    grand_no = pos - b_cs[hh]
    male = np.select(
        [kind == HEAD, kind == SPOUSE, kind == PARENT, kind == CHILD, kind == CHILD_SPOUSE],
        [hmale, ~hmale, parent_male, child_male, ~fcm],
        coin,
    )
    parent_rel = np.where(
        in_law[hh] & hmale,
        np.where(male, R["之岳父"], R["之岳母"]),
        np.where(in_law[hh], np.where(male, R["之公公"], R["之婆婆"]), np.where(male, R["之父"], R["之母"])),
    )
    grand_rel = np.where(
        fcm, np.where(male, R["之孙子"], R["之孙女"]), np.where(male, R["之外孙子"], R["之外孙女"])
    )
    relationship = np.select(
        [kind == HEAD, kind == SPOUSE, kind == PARENT, kind == SIBLING, kind == CHILD,
         kind == CHILD_SPOUSE],
        [R["户主"], R["配偶"], parent_rel, R["之兄弟姐妹"], np.where(male, R["之子"], R["之女"]),
         np.where(fcm, R["之儿媳"], R["之女婿"])],
        grand_rel,
    )

    ha = head_age[hh].astype(float)
    gap = rng.uniform(21, 33, h)
    # Ages that would fall before birth (a young head's later children) become infants.
    infant = rng.uniform(0, 3, m)
    first_child_age = np.maximum(head_age - gap, 0)
    spacing = rng.uniform(1.5, 4.0, m)
    child_age = first_child_age[hh] - child_no * spacing
    child_age = np.where(child_age < 0, infant, child_age)
    first_grand_age = first_child_age - rng.uniform(21, 32, h)
    grand_age = first_grand_age[hh] - grand_no * spacing
    grand_age = np.where(grand_age < 0, infant, grand_age)
    age = np.select(
        [kind == HEAD, kind == SPOUSE, kind == PARENT, kind == SIBLING, kind == CHILD,
         kind == CHILD_SPOUSE],
        [ha,
         np.maximum(ha + np.where(hmale, -1, 1) * rng.normal(2, 2.5, m), 18),
         np.minimum(ha + rng.uniform(22, 34, m), 99),
         np.clip(ha + rng.normal(0, 6, m), 16, 95),
         child_age,
         np.maximum(first_child_age[hh] + rng.normal(np.where(fcm, -2, 2), 2.5), 18)],
        grand_age,
    )
    return hh, kind, relationship, male, np.floor(age).astype(np.int64)


def attributes(
    rng: np.random.Generator,
    hh: np.ndarray,
    kind: np.ndarray,
    relationship: np.ndarray,
    male: np.ndarray,
    age: np.ndarray,
    registered: np.ndarray,
) -> Members:
    """Schooling, health, labour, work, insurance and status of each member.

    ``registered`` (per household) raises illness and disability rates: registered poor
    households are where illness and disability concentrate (因病、因残 are the main causes).
    """
    m = len(hh)
    reg = registered[hh]

    # --- schooling ---------------------------------------------------------------------
    school = np.full(m, NONE)
    school[(age >= 3) & (age <= 5)] = np.where(rng.random(((age >= 3) & (age <= 5)).sum()) < 0.85,
                                                SCH["学前教育"], SCH["非在校生"])
    school[(age >= 6) & (age <= 11)] = SCH["小学"]
    school[age == 12] = np.where(rng.random((age == 12).sum()) < 0.3, SCH["小学"], SCH["初中"])
    school[(age >= 13) & (age <= 14)] = SCH["初中"]
    at15 = age == 15
    school[at15] = np.array([SCH["初中"], SCH["高中"], SCH["中职"]])[
        _pick(rng, at15.sum(), [0.7, 0.22, 0.08])
    ]
    teen = (age >= 16) & (age <= 18)
    school[teen] = np.array([SCH["高中"], SCH["中职"], SCH["技工"], SCH["非在校生"]])[
        _pick(rng, teen.sum(), [0.55, 0.2, 0.03, 0.22])
    ]
    young = (age >= 19) & (age <= 22)
    school[young] = np.array([SCH["大专"], SCH["本科"], SCH["高职"], SCH["非在校生"]])[
        _pick(rng, young.sum(), [0.12, 0.12, 0.1, 0.66])
    ]
    school[age >= 23] = SCH["非在校生"]

    # A few children of compulsory-school age are out of school; half of those are disabled
    # and taught at home (送教上门), which exempts them from the education indicator.
    compulsory = (age >= 6) & (age <= 15)
    out = compulsory & (rng.random(m) < 0.004)
    school[out] = SCH["非在校生"]
    home = out & (rng.random(m) < 0.5)

    education = np.full(m, NONE)
    education[age <= 6] = EDU["学龄前儿童"]
    education[school == SCH["小学"]] = EDU["小学"]
    education[school == SCH["初中"]] = EDU["初中"]
    education[np.isin(school, [SCH["高中"], SCH["中职"], SCH["技工"]])] = EDU["初中"]
    education[np.isin(school, [SCH["大专"], SCH["本科"], SCH["高职"]])] = EDU["高中"]
    education[out] = EDU["小学"]
    adult_levels = [EDU["文盲或半文盲"], EDU["小学"], EDU["初中"], EDU["高中"], EDU["大专及以上"]]
    for lo, hi, probs in (
        (16, 22, [0.01, 0.09, 0.75, 0.15, 0.0]),
        (23, 39, [0.01, 0.12, 0.55, 0.2, 0.12]),
        (40, 59, [0.08, 0.4, 0.42, 0.08, 0.02]),
        (60, 200, [0.3, 0.5, 0.17, 0.03, 0.0]),
    ):
        sel = (age >= lo) & (age <= hi) & (school == SCH["非在校生"]) & ~out
        education[sel] = np.array(adult_levels)[_pick(rng, sel.sum(), probs)]

    # --- health ------------------------------------------------------------------------
    band = np.select([age < 15, age < 40, age < 60], [0, 1, 2], 3)
    chronic = np.array([0.01, 0.03, 0.10, 0.25])[band] * np.where(reg, 1.6, 1.0)
    serious = np.array([0.003, 0.008, 0.02, 0.04])[band] * np.where(reg, 2.0, 1.0)
    disabled = np.array([0.008, 0.02, 0.04, 0.07])[band] * np.where(reg, 1.8, 1.0)
    u = rng.random(m)
    health = np.select(
        [u < disabled, u < disabled + serious, u < disabled + serious + chronic],
        [HLT["残疾"], HLT["患有大病"], HLT["长期慢性病"]],
        HLT["健康"],
    )
    health[home] = HLT["残疾"]
    disability_grade = np.where(
        health == HLT["残疾"], _pick(rng, m, [0.1, 0.2, 0.3, 0.4]), NONE
    )
    disability_grade[home] = np.where(rng.random(home.sum()) < 0.6, 0, 1)  # 一级/二级
    # A realistic slip: a few disabled people recorded without a grade (warning Q22).
    disability_grade[(health == HLT["残疾"]) & ~home & (rng.random(m) < 0.01)] = NONE
    dropout = np.where(out, np.where(home, DRP["身体原因"], DRP["其他"]), NONE)
    home_schooling = np.where(home, 1, NONE)

    # --- labour ------------------------------------------------------------------------
    ordinary, skilled, weak, lost, none_ = (
        LAB["普通劳动力"], LAB["技能劳动力"], LAB["弱劳动力或半劳动力"], LAB["丧失劳动力"], LAB["无劳动力"]
    )
    in_school = (school != NONE) & (school != SCH["非在校生"])
    working_age = (age >= 16) & (age <= 59) & ~in_school
    severe = (health == HLT["残疾"]) & (disability_grade <= 1) & (disability_grade >= 0)
    probs = np.zeros((m, 5))
    probs[:] = [0, 0, 0, 0, 1]                            # children, students, the very old
    probs[working_age & (health == HLT["健康"])] = [0.7, 0.25, 0.05, 0, 0]
    probs[working_age & (health == HLT["长期慢性病"])] = [0.45, 0.0, 0.5, 0.05, 0]
    probs[working_age & (health == HLT["患有大病"])] = [0, 0, 0.5, 0.5, 0]
    probs[working_age & (health == HLT["残疾"]) & ~severe] = [0.3, 0, 0.6, 0.1, 0]
    probs[working_age & severe] = [0, 0, 0.2, 0.8, 0]
    probs[(age >= 60) & (age <= 64) & ~in_school] = [0.4, 0, 0.5, 0.1, 0]
    probs[(age >= 65) & (age <= 74)] = [0.05, 0, 0.4, 0.05, 0.5]
    probs[(age >= 60) & (health == HLT["患有大病"])] = [0, 0, 0.2, 0.8, 0]
    labour = np.array([ordinary, skilled, weak, lost, none_])[_pick(rng, m, probs)]

    # --- status (deaths among the old, some moved out or married out) --------------------
    u = rng.random(m)
    p_dead = np.where(age >= 70, 0.03, 0.002)
    p_moved = np.where((age >= 18) & (age <= 40), 0.006, 0.001)
    p_married = np.where(~male & (kind == CHILD) & (age >= 20) & (age <= 35), 0.03, 0.0)
    status = np.select(
        [u < p_dead, u < p_dead + p_moved, u < p_dead + p_moved + p_married],
        [STA["死亡"], STA["迁出"], STA["婚出"]],
        STA["正常"],
    )
    status[kind == HEAD] = STA["正常"]
    living = status == STA["正常"]

    # --- migrant work ------------------------------------------------------------------
    capable = np.isin(labour, CAPABLE_LABOUR) & (age >= 16) & (age <= 64) & living
    p_work = np.where(labour == weak, 0.25, 0.62)
    works = capable & (rng.random(m) < p_work)
    work_location = np.where(works, _pick(rng, m, [0.15, 0.2, 0.25, 0.35, 0.05]), NONE)
    local = work_location == 0
    months = np.where(local, rng.integers(3, 13, m), rng.integers(6, 13, m))
    work_months = np.where(works, months, NONE)

    # --- insurance ---------------------------------------------------------------------
    u = rng.random(m)
    uninsured = u < np.where(reg, 0.002, 0.005)
    employee = ~uninsured & works & (work_location >= 2) & (rng.random(m) < 0.08)
    insurance = np.select([uninsured, employee], [INS["未参保"], INS["职工"]], INS["城乡居民"])
    critical = np.where(uninsured, 0, np.where(rng.random(m) < 0.97, 1, NONE))
    adult = (age >= 16) & ~in_school
    u = rng.random(m)
    pension = np.where(adult, np.select([u < 0.88, u < 0.98], [1, 0], NONE), NONE)

    return Members(
        household=hh, kind=kind, relationship=relationship, male=male, age=age,
        education_level=education, school_status=school, dropout_reason=dropout,
        home_schooling=home_schooling, health=health, disability_grade=disability_grade,
        labour=labour, work_location=work_location, work_months=work_months,
        medical_insurance=insurance, critical_illness=critical, pension=pension, status=status,
    )
