"""Synthetic assistance for a synthetic registry: measures, income projects and dividends.

Deterministic by seed (one numpy stream per concern, as :mod:`fupin.synth.generator`), drawn
over whole arrays of the year-Y households and members — no loop over households. Consistent
with the registry it is drawn for:

* 产业: about 92 % of the households of S(Y) (registered or currently monitored) get one
  household-level 产业 measure in the year (calibration: > 85 % of registered households have
  one); a few general households too.
* 就业: members with labour who work (务工状况 set) get 转移就业 with a probability, others
  就近就地就业 or a 技能培训; 弱劳动力或半劳动力 members may hold a 乡村公益性岗位 (one per
  household at most, paid monthly).
* 低保 / 特困供养 for the households and people the registry marks so; 参保资助, education aid,
  小额信贷 and 危房改造 where the registry's members and housing say they apply.
* Currently monitored households get a 开发式 measure soon after their identification month
  (most within ``developmental_measure_max_days``, some late, a few none), so R3 has every status.
* Income projects per town (光伏, 资产收益, 股权量化, 代养) and dividends for registered
  households with property income.
* Money never exceeds the registry: per household and 收入归类 the amounts are scaled so that
  the R9 sum stays within the registry's income item (B13 stays quiet on generated data).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from fupin.engine import facts
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.catalogue import Catalogue
from fupin.engine.idnumber import birth_date_expr

(_S_INDUSTRY, _S_JOBS, _S_POSTS, _S_SAFETY, _S_HEALTH, _S_SCHOOL, _S_FINANCE, _S_HOUSING, _S_MONITORED,
 _S_PROJECTS, _S_DIVIDENDS, _S_STATUS, _S_PAIRING) = range(100, 113)

INDUSTRY_SHARE = 0.95          # S(Y) households with a 产业 measure in the year
GENERAL_INDUSTRY_SHARE = 0.05  # general households with one
UNITS = {"产业帮扶": "县农业农村委", "就业帮扶": "县人力社保局", "公益岗位帮扶": "乡镇人民政府", "金融帮扶": "县乡村振兴局",
         "健康帮扶": "县医保局", "义务教育保障": "县教委", "其他教育帮扶": "县教委", "住房安全保障": "县住房城乡建委",
         "综合保障": "县民政局", "资产收益": "村集体经济组织"}


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _days(year: int, offsets: np.ndarray) -> pl.Series:
    base = np.datetime64(f"{year}-01-01", "D")
    return pl.Series((base + offsets.astype("timedelta64[D]")), dtype=pl.Date)


def _rows(hid, subtype, start, amount, *, id_number=None, year=None, status=None) -> pl.DataFrame:
    n = len(hid)
    return pl.DataFrame({
        "household_id": pl.Series(hid, dtype=pl.String),
        "id_number": pl.Series(id_number if id_number is not None else [None] * n, dtype=pl.String),
        "subtype": pl.Series(subtype if not isinstance(subtype, str) else [subtype] * n, dtype=pl.String),
        "start": start if isinstance(start, pl.Series) else pl.Series(start, dtype=pl.Date),
        "amount": pl.Series(amount, dtype=pl.Float64).fill_nan(None),
        "status": pl.Series(status if status is not None else ["已落实"] * n, dtype=pl.String),
    })


def generate_assistance(households: pl.DataFrame, members: pl.DataFrame, year: int, *, seed: int = 0
                        ) -> dict[str, pl.DataFrame]:
    """``measures``, ``income_projects`` and ``dividends`` (canonical frames) for the year-Y
    households and members of a registry."""
    hh = households.filter(pl.col("year") == year).with_columns(
        in_scope=facts.registered() | facts.currently_monitored(), monitored=facts.currently_monitored())
    n = hh.height
    hid = hh["household_id"].to_numpy()
    scope = hh["in_scope"].to_numpy()
    as_of = date(year, 12, 31)
    span = (as_of - date(year, 1, 1)).days + 1
    parts: list[pl.DataFrame] = []

    # 产业 (household level)
    r = _rng(seed, _S_INDUSTRY)
    got = np.where(scope, r.random(n) < INDUSTRY_SHARE, r.random(n) < GENERAL_INDUSTRY_SHARE)
    kind = r.choice(["产业奖补", "到户产业项目", "带动主体联结（订单、托管、入社）"], size=n, p=[0.6, 0.25, 0.15])
    amount = np.round(r.uniform(800, 5000, n), 0)
    amount = np.where(kind == "带动主体联结（订单、托管、入社）", np.nan, amount)
    parts.append(_rows(hid[got], kind[got], _days(year, r.integers(0, span, n)[got]), amount[got]))

    # Members of the year with the facts the draws read.
    m = members.filter(pl.col("year") == year).join(hh.select("household_id", "in_scope"), on="household_id").with_columns(
        living=facts.living(), able=facts.with_labour(),
        age=(pl.lit(year) - birth_date_expr(pl.col("id_number")).dt.year()))
    mh = m["household_id"].to_numpy()
    mid = m["id_number"].to_numpy()
    alive = m["living"].to_numpy() & m["in_scope"].to_numpy()
    age = m["age"].fill_null(0).to_numpy()
    able = m["able"].to_numpy() & alive & (age >= 16) & (age <= 60)
    working = m["work_location"].is_not_null().to_numpy()

    # 就业 (member level)
    r = _rng(seed, _S_JOBS)
    u = r.random(len(m))
    start = r.integers(0, span, len(m))
    moved = able & working & (u < 0.6)
    near = able & ~working & (u < 0.25)
    trained = able & ~moved & ~near & (r.random(len(m)) < 0.15)
    for mask, sub in ((moved, "转移就业"), (near, "就近就地就业"), (trained, "技能培训")):
        parts.append(_rows(mh[mask], sub, _days(year, start[mask]), np.full(mask.sum(), np.nan), id_number=mid[mask],
                           status=["已落实" if sub == "技能培训" else "实施中"] * int(mask.sum())))

    # 公益岗位: a 弱劳动力或半劳动力 member, one per household.
    r = _rng(seed, _S_POSTS)
    # Not one who works away from the county (R7 B07 would flag him).
    away = m["work_location"].is_in(["县外省内务工", "省外务工"]).fill_null(False).to_numpy()
    weak = (m["labour"] == "弱劳动力或半劳动力").to_numpy() & alive & (age >= 16) & (age <= 65) & ~away
    pick = weak & (r.random(len(m)) < 0.3)
    idx = np.flatnonzero(pick)
    _u, first = np.unique(mh[idx], return_index=True)
    idx = idx[first]
    parts.append(_rows(mh[idx], r.choice(["乡村公益性岗位", "生态护林员"], size=len(idx), p=[0.7, 0.3]),
                       _days(year, r.integers(0, 150, len(idx))), np.round(r.uniform(500, 800, len(idx)), 0),
                       id_number=mid[idx], status=["实施中"] * len(idx)))
    public_holders = mid[idx]

    # 综合保障: 低保 households (household level), 特困供养 people.
    r = _rng(seed, _S_SAFETY)
    dibao_h = m.filter(pl.col("living") & pl.col("dibao").fill_null(False))["household_id"].unique().sort().to_numpy()
    parts.append(_rows(dibao_h, "低保", _days(year, np.zeros(len(dibao_h), dtype=int)),
                       np.round(r.uniform(300, 600, len(dibao_h)), 0), status=["实施中"] * len(dibao_h)))
    tekun = (m["tekun"].fill_null(False).to_numpy()) & m["living"].to_numpy()
    parts.append(_rows(mh[tekun], "特困供养", _days(year, np.zeros(tekun.sum(), dtype=int)),
                       np.round(r.uniform(500, 800, tekun.sum()), 0), id_number=mid[tekun], status=["实施中"] * int(tekun.sum())))

    # 健康: 参保资助 for members of registered households.
    r = _rng(seed, _S_HEALTH)
    ins = alive & (r.random(len(m)) < 0.5)
    parts.append(_rows(mh[ins], "参保资助", _days(year, r.integers(0, 60, len(m))[ins]),
                       np.round(r.uniform(100, 350, len(m)), 0)[ins], id_number=mid[ins]))

    # 教育
    r = _rng(seed, _S_SCHOOL)
    school = m["school_status"].to_numpy()
    u = r.random(len(m))
    starts = r.integers(240, 300, len(m))
    for codes, sub, lo, hi, p in ((("小学", "初中"), "义务教育资助", 250, 1000, 0.4),
                                  (("高中", "中职"), "高中及中职资助", 1500, 2500, 0.6),
                                  (("中职", "高职"), "雨露计划", 3000, 3000, 0.5)):
        mask = alive & np.isin(school, codes) & (u < p)
        parts.append(_rows(mh[mask], sub, _days(year, starts[mask]), np.full(mask.sum(), float(lo + hi) / 2),
                           id_number=mid[mask]))

    # 金融 and 住房 (household level)
    r = _rng(seed, _S_FINANCE)
    loan = scope & (r.random(n) < 0.12)
    parts.append(_rows(hid[loan], "小额信贷", _days(year, r.integers(0, span, n)[loan]),
                       np.round(r.uniform(10000, 50000, n), -3)[loan]))
    r = _rng(seed, _S_HOUSING)
    renovated = hh["housing_renovation"].is_in(["改造中", "已完成"]).fill_null(False).to_numpy() & (r.random(n) < 0.5)
    parts.append(_rows(hid[renovated], "危房改造", _days(year, r.integers(0, span, n)[renovated]),
                       np.round(r.uniform(20000, 35000, n), 0)[renovated]))

    # Monitored households: a 开发式 measure after identification (most in time).
    r = _rng(seed, _S_MONITORED)
    mon = hh.filter(pl.col("monitored") & pl.col("monitoring_since").is_not_null()).with_columns(
        _i=(pl.col("monitoring_since") + "-01").str.to_date("%Y-%m-%d", strict=False)).filter(pl.col("_i").is_not_null())
    k = mon.height
    delay = np.where(r.random(k) < 0.75, r.integers(0, 31, k), r.integers(31, 120, k))
    keep = r.random(k) < 0.9
    begin = mon["_i"].to_numpy().astype("datetime64[D]") + delay.astype("timedelta64[D]")
    keep &= begin <= np.datetime64(as_of)
    parts.append(_rows(mon["household_id"].to_numpy()[keep], "到户产业项目", pl.Series(begin[keep], dtype=pl.Date),
                       np.round(r.uniform(1000, 3000, k), 0)[keep]))

    measures = pl.concat([p for p in parts if p.height], how="vertical")
    # A few planned or cancelled ones (they do not count).
    r = _rng(seed, _S_STATUS)
    u = r.random(measures.height)
    measures = measures.with_columns(status=pl.when(pl.Series(u < 0.02)).then(pl.lit("计划"))
                                     .when(pl.Series(u < 0.03)).then(pl.lit("已取消")).otherwise(pl.col("status")))

    projects, dividends = _projects_and_dividends(hh, year, seed)
    measures, dividends = _within_registry(measures, dividends, hh, year)
    cat = Catalogue.default().frame.select("subtype", "family")
    measures = measures.join(cat, on="subtype", how="left").with_row_index("_i").with_columns(
        measure_id=pl.format("CS{}{}", pl.lit(year), pl.col("_i").cast(pl.String).str.pad_start(9, "0")),
        responsible_unit=pl.col("family").replace_strict(UNITS, default="乡镇人民政府", return_dtype=pl.String),
        fund_source=pl.when(pl.col("amount").is_not_null()).then(pl.lit("财政衔接资金")),
        year=pl.lit(None, dtype=pl.Int32), end=pl.lit(None, dtype=pl.Date), quantity=pl.lit(None, dtype=pl.Float64),
        campaign=pl.lit(None, dtype=pl.String), note=pl.lit(None, dtype=pl.String), wide=pl.lit(False),
    )
    out_measures = measures.select([pl.col(c).cast(t) if c in measures.columns else pl.lit(None, dtype=t).alias(c)
                                    for c, t in S.polars_schema("measures").items()])
    return {"measures": out_measures, "income_projects": projects, "dividends": dividends,
            **generate_pairing(hh, year, seed=seed),
            **generate_employment(hh, m.filter(pl.Series(moved) & ~pl.col("id_number").is_in(public_holders.tolist())),
                                  m.filter(pl.Series(alive)), year, seed=seed)}


_S_EMPLOYMENT = 113
# 1.9: where generated posts lie. Posts outside the county sit in a 东西部协作 partner city.
PARTNER_REGION = "440300000000"
POST_TEMPLATES = (  # (kind, name, place, pay low, pay high)
    ("企业岗位", "普工", "乡镇外县内", 2800, 4200), ("帮扶车间", "车间操作工", "乡镇内", 1800, 2600),
    ("以工代赈", "以工代赈务工", "乡镇内", 2000, 3000), ("企业岗位", "东西部协作普工", "省外", 4000, 6000),
)
RETURN_SHARE = 0.8   # migrants back at work by spring (国务院扶贫办 2020: ~ 80 %)


def generate_employment(hh: pl.DataFrame, moved: pl.DataFrame, alive: pl.DataFrame, year: int, *, seed: int = 0
                        ) -> dict[str, pl.DataFrame]:
    """``posts``, ``placements`` and ``migration`` (canonical frames), consistent with the
    members: every 转移就业 member (``moved``) holds a placement on a post of his county (or a
    partner city's 省外 post) with openings left over; a 公益性岗位 per town stays open for R10
    (its holders are the 公益岗位帮扶 measures); members the registry lists as working away
    (``alive``: living members of S(Y)) have a 务工动态 row home for the spring festival, most of
    them back at work by spring."""
    r = _rng(seed, _S_EMPLOYMENT)
    counties = sorted({c[:6] for c in hh["region_code"].drop_nulls().to_list()})
    towns = sorted({c[:9] for c in hh["region_code"].drop_nulls().to_list()})
    rows = []
    for county in counties:
        for i, (kind, name, place, lo, hi) in enumerate(POST_TEMPLATES):
            region = PARTNER_REGION if place == "省外" else county.ljust(12, "0")
            rows.append((f"GW{county}{i:02d}", name, kind, None, f"{county}{name}用工单位", region, place,
                         float(round(r.uniform(lo, hi), -1)), True, kind != "以工代赈",
                         "东西部协作" if place == "省外" else "送工送岗"))
    for town in towns:
        rows.append((f"GY{town}", "乡村保洁员", S.PUBLIC_POST, "保洁员", "乡镇人民政府", town.ljust(12, "0"), "乡镇内",
                     float(round(r.uniform(500, 800), -1)), bool(r.random() < 0.9), False, "其他"))
    posts = pl.DataFrame(rows, orient="row", infer_schema_length=None, schema=[
        "post_id", "name", "kind", "public_post_type", "employer", "region_code", "place", "monthly_pay",
        "accident_insurance", "injury_insurance", "channel"])
    # 转移就业 members: a county post for a quarter of them, the partner city's for the others.
    county_of = moved["household_id"].replace_strict(
        dict(zip(hh["household_id"], hh["region_code"].str.slice(0, 6), strict=True)), default=None)
    far = r.random(moved.height) < 0.75
    local_i = r.integers(0, 3, moved.height)
    post_id = pl.Series([f"GW{c}{(3 if f else li):02d}" for c, f, li in zip(county_of, far, local_i, strict=True)],
                        dtype=pl.String)
    placements = pl.DataFrame({
        "id_number": moved["id_number"], "household_id": moved["household_id"], "post_id": post_id,
        "start": _days(year, r.integers(0, 120, moved.height)),
        "mode": pl.Series(np.where(far, "转移就业", "就近就业"), dtype=pl.String),
        "service": pl.Series(r.choice(list(S.PLACEMENT_SERVICES), size=moved.height, p=[0.4, 0.3, 0.25, 0.05]),
                             dtype=pl.String),
    })
    taken = placements.group_by("post_id").len()
    posts = posts.join(taken, on="post_id", how="left").with_columns(
        planned=(pl.col("len").fill_null(0) + pl.Series(r.integers(1, 6, posts.height))).cast(pl.Int32),
        published_on=pl.lit(date(year, 1, 1)), closes_on=pl.lit(None, dtype=pl.Date)).drop("len")
    # 务工动态: the registry's cross-town migrants home for the spring festival, most back by spring.
    out = alive.filter(pl.col("work_location").is_in(["乡（镇）外县内务工", "县外省内务工", "省外务工"]))
    place = out["work_location"].replace_strict({"乡（镇）外县内务工": "乡镇外县内", "县外省内务工": "县外省内",
                                                 "省外务工": "省外"}, return_dtype=pl.String)
    home = _days(year, r.integers(0, 20, out.height))
    back = r.random(out.height) < RETURN_SHARE
    back_on = _days(year, r.integers(40, 100, out.height))
    first = pl.DataFrame({"id_number": out["id_number"], "household_id": out["household_id"], "reported_on": home,
                          "state": ["返乡未外出"] * out.height, "place": place, "returned_on": home})
    again = pl.DataFrame({"id_number": out["id_number"], "household_id": out["household_id"], "reported_on": back_on,
                          "state": ["已返岗"] * out.height, "place": place, "returned_on": home,
                          "back_on": back_on}).filter(pl.Series(back))
    migration = pl.concat([first, again], how="diagonal_relaxed")
    return {t: _canonical(f, t) for t, f in (("posts", posts), ("placements", placements), ("migration", migration))}


def _canonical(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                         for c, t in S.polars_schema(table).items()])


HOUSEHOLDS_PER_CADRE = 4
CADRE_UNITS = ("县财政局", "县教委", "县农业农村委", "县人力社保局", "县卫生健康委", "县住房城乡建委", "乡镇人民政府",
               "村委会", "市直机关工委", "东西部协作工作队")
CADRE_RANKS = ("正处", "副处", "正科", "副科", "一般干部", "村干部")
SURNAMES = tuple("王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高")
GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚")


def generate_pairing(hh: pl.DataFrame, year: int, *, seed: int = 0, as_of: date | None = None
                     ) -> dict[str, pl.DataFrame]:
    """``cadres``, ``pairings`` and ``visits`` for the year-Y households of S(Y) (``hh`` with
    ``in_scope``): about one cadre per four households of a village, 97 % of them paired; 3 % of
    the cadres leave mid-year and most of their households get a new cadre; home visits through
    the year with the last one mostly within a fortnight of as_of (some late, so R6 has both
    statuses), and phone calls between them (they do not count). Dates never pass as_of (default
    the year's end, or today when earlier: the import refuses later dates, A12)."""
    as_of = as_of or min(date(year, 12, 31), date.today())
    r = _rng(seed, _S_PAIRING)
    scope = hh.filter(pl.col("in_scope")).select("household_id", "region_code").sort("region_code", "household_id")
    scope = scope.with_columns(_k=pl.int_range(pl.len()).over("region_code") // HOUSEHOLDS_PER_CADRE)
    scope = scope.with_columns(cadre_id=pl.format("GB{}{}", pl.col("region_code"), pl.col("_k").cast(pl.String).str.pad_start(3, "0")))
    ids = scope["cadre_id"].unique(maintain_order=True)
    n = ids.len()
    span = (as_of - date(year, 1, 1)).days + 1
    names = [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c < len(GIVEN) else "") for a, b, c in
             zip(r.integers(0, len(SURNAMES), n), r.integers(0, len(GIVEN), n), r.integers(0, 2 * len(GIVEN), n),
                 strict=True)]
    leaves = r.random(n) < 0.03
    left_on = _days(year, r.integers(60, max(span - 30, 61), n))
    cadres = pl.DataFrame({
        "cadre_id": ids, "name": pl.Series(names, dtype=pl.String),
        "sex": pl.Series(r.choice(["男", "女"], n, p=[0.7, 0.3]), dtype=pl.String),
        "unit": pl.Series(r.choice(CADRE_UNITS, n), dtype=pl.String),
        "unit_level": pl.Series(["县直"] * n, dtype=pl.String),
        "rank": pl.Series(r.choice(CADRE_RANKS, n, p=[0.03, 0.07, 0.2, 0.25, 0.35, 0.1]), dtype=pl.String),
        "role": pl.Series(["帮扶责任人"] * n, dtype=pl.String),
        "phone": pl.Series([f"139{x:08d}" for x in r.integers(0, 10**8, n)], dtype=pl.String),
    }).with_columns(left_on=pl.when(pl.Series(leaves)).then(left_on))
    m = scope.height
    paired = r.random(m) < 0.97
    start = _days(year - 3, r.integers(0, 3 * 365, m))
    pairings = scope.filter(pl.Series(paired)).select("cadre_id", "household_id", start=start.filter(pl.Series(paired)))
    # A cadre who left: his households get the next cadre of the village from the day after (80 %).
    gone = cadres.filter(pl.col("left_on").is_not_null()).select("cadre_id", "left_on")
    successor = (pairings.join(gone, on="cadre_id", how="inner")
                 .filter(pl.Series(r.random(pairings.join(gone, on="cadre_id", how="inner").height) < 0.8))
                 .with_columns(cadre_id=pl.col("cadre_id").str.slice(0, 14) + "9" + pl.col("cadre_id").str.slice(15),
                               start=pl.col("left_on") + pl.duration(days=1)).drop("left_on"))
    if successor.height:
        new_ids = successor["cadre_id"].unique()
        extra = cadres.join(gone.select("cadre_id"), on="cadre_id", how="semi").with_columns(
            cadre_id=pl.col("cadre_id").str.slice(0, 14) + "9" + pl.col("cadre_id").str.slice(15),
            left_on=pl.lit(None, dtype=pl.Date), name=pl.col("name").str.slice(0, 1) + "新")
        cadres = pl.concat([cadres, extra.filter(pl.col("cadre_id").is_in(new_ids.implode()))])
        pairings = pl.concat([pairings, successor.select(pairings.columns)])
    pairings = pairings.with_columns(end=pl.lit(None, dtype=pl.Date), order=pl.lit("第一"))
    # Visits: the last home visit mostly within 14 days of as_of, 10 % late; earlier ones and calls.
    hp = pairings.unique("household_id", keep="last").select("household_id", "cadre_id")
    k = hp.height
    late = r.random(k) < 0.10
    back = np.where(late, r.integers(16, 120, k), r.integers(0, 14, k))
    last = pl.Series([as_of - timedelta(days=int(b)) for b in back], dtype=pl.Date)
    count = r.integers(1, 6, k)
    rep = np.repeat(np.arange(k), count)
    earlier = pl.Series([as_of - timedelta(days=int(b) + int(d)) for b, d in
                         zip(back[rep], r.integers(15, max(span, 16), len(rep)), strict=True)], dtype=pl.Date)
    mode = np.where(r.random(len(rep)) < 0.3, "电话", "入户走访")
    visits = pl.concat([
        hp.with_columns(visited_on=last, mode=pl.lit("入户走访")),
        hp[rep].with_columns(visited_on=earlier, mode=pl.Series(mode, dtype=pl.String)),
    ]).filter(pl.col("visited_on") >= pl.lit(date(year - 1, 1, 1))).unique(
        ["household_id", "visited_on", "cadre_id", "mode"], keep="first", maintain_order=True)
    items = r.choice(["政策宣传", "收入核实", "两不愁三保障核实、风险排查", "帮办实事", "政策宣传、收入核实"], visits.height)
    visits = visits.with_columns(items=pl.Series(items, dtype=pl.String), found_problem=pl.lit(False),
                                 visitor=pl.lit(None, dtype=pl.String), problem=pl.lit(None, dtype=pl.String),
                                 content=pl.lit(None, dtype=pl.String))

    def canonical(frame: pl.DataFrame, table: str) -> pl.DataFrame:
        return frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                             for c, t in S.polars_schema(table).items()])

    return {"cadres": canonical(cadres, "cadres"), "pairings": canonical(pairings, "pairings"),
            "visits": canonical(visits, "visits")}


def _projects_and_dividends(hh: pl.DataFrame, year: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    r = _rng(seed, _S_PROJECTS)
    towns = hh.select(town=pl.col("region_code").str.slice(0, 9)).unique().sort("town")["town"].to_numpy()
    kinds = np.array(["光伏", "资产收益", "股权量化", "代养"])
    kind = r.choice(kinds, size=len(towns))
    ids = np.array([f"XM{t}01" for t in towns], dtype=object) if len(towns) else np.array([], dtype=object)
    r = _rng(seed, _S_DIVIDENDS)
    eligible = hh.filter(pl.col("registered").fill_null(False) & (pl.col("property_income").fill_null(0) > 0))
    e = eligible.height
    take = r.random(e) < 0.8
    town_index = np.searchsorted(towns, eligible["region_code"].str.slice(0, 9).to_numpy())
    shares = r.integers(1, 6, e).astype(float)
    paid = np.where(r.random(e) < 0.1, -1, r.integers(150, 364, e))
    paid_on = pl.Series(np.datetime64(f"{year}-01-01", "D") + np.maximum(paid, 0).astype("timedelta64[D]"), dtype=pl.Date)
    dividends = pl.DataFrame({
        "project_id": pl.Series(ids[town_index] if e else [], dtype=pl.String),
        "household_id": eligible["household_id"], "id_number": pl.Series([None] * e, dtype=pl.String),
        "year": pl.Series([year] * e, dtype=pl.Int32), "shares": shares, "amount": np.round(r.uniform(300, 1500, e), 0),
        "paid_on": paid_on, "_paid": paid,
    }).filter(pl.Series(take)).with_columns(paid_on=pl.when(pl.col("_paid") < 0).then(None).otherwise(pl.col("paid_on"))
                                            ).drop("_paid")
    held = dividends.group_by("project_id").agg(pl.col("shares").sum())
    projects = pl.DataFrame({"project_id": pl.Series(ids, dtype=pl.String), "kind": pl.Series(kind, dtype=pl.String),
                             "town": pl.Series(towns, dtype=pl.String)}).join(held, on="project_id", how="left").select(
        project_id="project_id",
        name=pl.col("kind").replace_strict({"光伏": "村级光伏电站", "资产收益": "扶贫车间资产收益", "股权量化": "合作社股权量化",
                                            "代养": "肉牛代养"}, return_dtype=pl.String),
        kind="kind", region_code=pl.col("town") + "000",
        owner=pl.when(pl.col("kind") == "代养").then(pl.lit("企业")).otherwise(pl.lit("村集体")),
        operator=pl.when(pl.col("kind") == "代养").then(pl.lit("县农投公司")),
        asset_value=pl.lit(500000.0), fiscal_value=pl.lit(400000.0),
        total_shares=pl.when(pl.col("kind") == "股权量化").then((pl.col("shares").fill_null(0) * 1.2).ceil() + 10),
        guaranteed_rate=pl.lit(0.06), start=pl.lit(date(2018, 6, 1)), end=pl.lit(None, dtype=pl.Date),
    ).cast({k: v for k, v in S.polars_schema("income_projects").items()})
    dividends = dividends.select([pl.col(c).cast(t) for c, t in S.polars_schema("dividends").items()])
    return projects, dividends


def _within_registry(measures: pl.DataFrame, dividends: pl.DataFrame, hh: pl.DataFrame, year: int
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Scale amounts so that, per household and 收入归类, the R9 sum stays within the registry's
    income item; a 元 measure scaled below 1 yuan is dropped."""
    cat = Catalogue.default().frame.select("subtype", "duration", "unit", "income_source")
    x = measures.with_row_index("_k").join(cat, on="subtype", how="left").with_columns(
        months=pl.when(pl.col("duration") == S.CONTINUING).then(13 - pl.col("start").dt.month()).otherwise(1))
    counting = pl.col("status").is_in(S.COUNTING_STATUSES) & pl.col("income_source").is_in(list(S.INCOME_COLUMN))
    money = pl.when(counting & pl.col("amount").is_not_null()
                    & ((pl.col("duration") == S.ONE_OFF) | (pl.col("unit") == "元"))).then(
        pl.col("amount") * pl.col("months")).otherwise(0.0)
    x = x.with_columns(_money=money)
    d = dividends.with_row_index("_k").with_columns(income_source=pl.lit("财产性"), _money=pl.col("amount"))
    both = pl.concat([x.select("household_id", "income_source", "_money"), d.select("household_id", "income_source", "_money")])
    registry = hh.select("household_id", *facts.INCOME_SOURCES).unpivot(
        index="household_id", variable_name="item", value_name="limit").with_columns(
        income_source=pl.col("item").replace_strict({v: k for k, v in S.INCOME_COLUMN.items()}, return_dtype=pl.String))
    factor = both.group_by("household_id", "income_source").agg(total=pl.col("_money").sum()).join(
        registry, on=["household_id", "income_source"], how="left").with_columns(
        factor=pl.when(pl.col("total") > pl.col("limit").fill_null(0)).then(
            (pl.col("limit").fill_null(0) - 1).clip(lower_bound=0) / pl.col("total")).otherwise(1.0)
    ).select("household_id", "income_source", "factor")

    def scaled(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(factor, on=["household_id", "income_source"], how="left").with_columns(
            amount=pl.when(pl.col("factor") < 1).then((pl.col("amount") * pl.col("factor")).floor()).otherwise(pl.col("amount")))

    x = scaled(x).filter(~((pl.col("unit") == "元") & pl.col("amount").is_not_null() & (pl.col("amount") < 1)))
    d = scaled(d).filter(pl.col("amount") >= 1)
    return x.sort("_k").select(measures.columns), d.sort("_k").select(dividends.columns)
