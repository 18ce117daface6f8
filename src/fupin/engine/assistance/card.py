"""The household card (明白卡) of ``spec/assistance.md`` section 5, as data: one :class:`Card` per
household of a village, with the seven sections in the spec's order. Rendering is
:mod:`fupin.io.card`'s.

Set-based for the whole village: the members, the policy rows and the money are computed with
Polars over every household at once; only the final grouping into one record per card (for the
page layout) walks the households. The money is R9's (:func:`rules.assistance_items`, the same
records and the same integer fen as B13): ``帮扶资金合计`` and each "其中帮扶" are sums of it, so a
loan or a 收入归类 无 measure is listed but adds nothing.

Inputs are canonical frames (the importer's, or the database's later):

* ``households`` / ``members`` — the registry, any years (``fupin.engine.schema``);
* ``ledger`` — :class:`rules.Ledger` (measures, dividends, placements, posts, projects, catalogue);
* ``pairings`` (optional) — ``cadre_id, household_id, start, end, order`` (序位 第一 / 第二, empty =
  第一) and ``cadres`` — ``cadre_id, name, unit, phone, left_on`` (spec 1.5, 1.6). Until they
  exist every card says "暂无，请联系村委会".

**Never on the card** (spec 5): ID numbers, members' phones, bank accounts, health, disability,
labour capacity, risk types and causes, visit notes, lead evidence, other households' data — none
of these columns is read here beyond what attribution and age need (the ID gives the age, and
is dropped), and a 敏感 小类 prints its 大类 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.engine import facts
from fupin.engine.assistance import rules
from fupin.engine.assistance import schema as S
from fupin.engine.assistance.rules import Ledger, to_fen
from fupin.engine.idnumber import age_expr, birth_date_expr
from fupin.engine.policy import PolicySet
from fupin.engine.schema import RELATIONSHIPS


@dataclass(frozen=True)
class Limits:
    """How many members and policy rows a card lists before "等 n 人" / "另有 n 项" (spec 5)."""

    members: int
    rows: int


PAPERS: dict[str, Limits] = {"A5": Limits(members=8, rows=12), "A4": Limits(members=12, rows=24)}
DEFAULT_PAPER = "A5"

NO_CADRE = "暂无，请联系村委会"
NOT_REPORTED = "未填报"
WHOLE_HOUSEHOLD = "全户"
NATIONAL_HOTLINE_NAME = "全国防止返贫监测和乡村振兴咨询服务热线"
HELP_LINE = "家庭遇到困难可随时申报"
FIRST, SECOND = "第一", "第二"

# Section 4's rows: the registry item, its label, and the R9 source that "其中帮扶" sums.
INCOME_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("wage_income", "工资性收入", "工资性"),
    ("business_income", "生产经营性收入", "生产经营性"),
    ("property_income", "财产性收入", "财产性"),
    ("transfer_income", "转移性收入", "转移性"),
    ("business_expense", "生产经营性支出", None),
    ("net_income", "家庭纯收入", None),
    ("per_capita_net_income", "人均纯收入", None),
)


@dataclass(frozen=True)
class Member:
    name: str
    relationship: str
    age: int | None


@dataclass(frozen=True)
class Item:
    """One row of 享受政策."""

    label: str          # 项目: 明白卡显示 (or 小类), the 大类 when 敏感; a dividend by its project's 类型
    beneficiary: str    # the member's name, or 全户
    when: str           # a date, start 至 end (至 MM-DD within a year), start 起, or 年度
    amount: str         # "1,000.00 元", "每月 300.00 元", or "" (no money recorded)
    unit: str           # 责任单位 (placements: 用人单位)
    fen: int            # what it adds to 帮扶资金合计 (R9), integer fen


@dataclass(frozen=True)
class IncomeLine:
    label: str
    value: str          # yuan with 2 decimals, or 未填报
    assisted: str | None  # "其中帮扶" (R9) for the four sources, None for the other rows


@dataclass(frozen=True)
class Cadre:
    name: str
    unit: str
    phone: str


@dataclass(frozen=True)
class Card:
    # 1 header
    year: int
    county: str
    town: str
    village: str
    hamlet: str
    household_id: str
    head_name: str
    population: int
    household_type: str
    # 2 家庭成员
    members: tuple[Member, ...]
    more_members: int
    # 3 享受政策
    items: tuple[Item, ...]
    more_items: int
    more_items_fen: int
    total_fen: int
    # 4 收入情况
    income: tuple[IncomeLine, ...]
    # 5 帮扶责任人
    cadres: tuple[Cadre, ...]
    # 6 监督与求助
    hotlines: tuple[str, ...]
    # 7 签字 and footer
    as_of: date
    policy: str

    @property
    def title(self) -> str:
        return f"{self.year}年度帮扶明白卡"

    @property
    def more_members_text(self) -> str | None:
        return f"等 {self.more_members} 人" if self.more_members else None

    @property
    def more_items_text(self) -> str | None:
        if not self.more_items:
            return None
        return f"另有 {self.more_items} 项（合计 {yuan(self.more_items_fen)} 元）"

    @property
    def total_text(self) -> str:
        return f"{yuan(self.total_fen)} 元"

    @property
    def footer(self) -> str:
        return f"数据截至 {self.as_of.isoformat()}　政策 {self.policy}"


def yuan(fen: int) -> str:
    """Integer fen as yuan with 2 decimals and thousands separators: 123456 -> "1,234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def household_type() -> pl.Expr:
    """户类型: 监测对象（类别） when currently monitored, else <脱贫状态>户 when registered, else 一般农户."""
    return (pl.when(facts.currently_monitored())
            .then(pl.format("监测对象（{}）", _c("monitoring_category")))
            .when(facts.registered())
            .then(pl.when(_c("poverty_status").is_not_null()).then(_c("poverty_status") + "户")
                  .otherwise(pl.lit("建档立卡户")))
            .otherwise(pl.lit(facts.GENERAL_HOUSEHOLD))).alias("household_type")


def hamlet_order() -> pl.Expr:
    """自然村 order: by the number a name like ``2组`` starts with (1组, 2组, … 10组), then by name."""
    return _c("hamlet").str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False).alias("_hamlet_no")


def _date_text(d: pl.Expr) -> pl.Expr:
    return d.dt.strftime("%Y-%m-%d")


def item_texts() -> list[pl.Expr]:
    """Expressions over :func:`rules.assistance_items` joined with the catalogue (``card_label``,
    ``sensitive``), the project (``project_kind``, ``project_name``, ``project_owner``,
    ``operator``) and the beneficiary's ``member_name``: label, beneficiary, when, unit, and
    the parts of the amount."""
    dividend_label = _c("project_kind").replace_strict(S.DIVIDEND_LABELS, default=S.DIVIDEND_LABELS["其他"],
                                                       return_dtype=pl.String)
    placement_label = (pl.when(_c("family") == S.PUBLIC_POST_FAMILY)
                       .then(pl.lit(S.PUBLIC_POST) + pl.when(_c("post_type").is_not_null())
                             .then(pl.format("（{}）", _c("post_type"))).otherwise(pl.lit("")))
                       .otherwise(pl.coalesce(_c("placement_mode"), pl.lit("务工就业"))))
    label = (pl.when(_c("kind") == "dividend")
             .then(dividend_label + pl.when(_c("project_name").is_not_null())
                   .then(pl.format("（{}）", _c("project_name"))).otherwise(pl.lit("")))
             .when(_c("kind") == "placement").then(placement_label)
             .when(_c("sensitive").fill_null(False)).then(_c("family"))
             .otherwise(pl.coalesce(_c("card_label"), _c("subtype"))))
    when = (pl.when(~_c("dated").fill_null(True)).then(pl.format("{}年度", _c("year")))
            .when(_c("duration") == S.ONE_OFF).then(_date_text(_c("lo")))
            .when(_c("hi").is_null()).then(pl.format("{} 起", _date_text(_c("lo"))))
            .when(_c("lo").dt.year() == _c("hi").dt.year())
            .then(pl.format("{} 至 {}", _date_text(_c("lo")), _c("hi").dt.strftime("%m-%d")))
            .otherwise(pl.format("{} 至 {}", _date_text(_c("lo")), _date_text(_c("hi")))))
    money = _c("amount").is_not_null() & (_c("amount") != 0)
    monthly = (_c("duration") == S.CONTINUING) & (_c("unit") == "元")
    fen = to_fen(_c("amount").fill_null(0.0))
    return [
        label.alias("label"),
        pl.when(_c("id_number").is_null()).then(pl.lit(WHOLE_HOUSEHOLD))
        .otherwise(pl.coalesce(_c("member_name"), pl.lit("家庭成员"))).alias("beneficiary"),
        when.alias("when"),
        pl.when(~money).then(pl.lit("")).when(monthly).then(pl.lit("每月 ")).otherwise(pl.lit("")).alias("_prefix"),
        fen.alias("_amount_fen"),
        pl.when(money).then(pl.lit(True)).otherwise(pl.lit(False)).alias("_has_amount"),
        pl.coalesce(_c("responsible_unit"), _c("operator"), _c("project_owner"), pl.lit("")).alias("unit"),
    ]


def _frame(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if frame is None:
        return pl.DataFrame(schema=schema)
    return frame.select([_c(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                         for c, t in schema.items()])


PAIRING_SCHEMA = {"cadre_id": pl.String, "household_id": pl.String, "start": pl.Date, "end": pl.Date,
                  "order": pl.String}
CADRE_SCHEMA = {"cadre_id": pl.String, "name": pl.String, "unit": pl.String, "phone": pl.String,
                "left_on": pl.Date}


def active_cadres(pairings: pl.DataFrame | None, cadres: pl.DataFrame | None, as_of: date) -> pl.DataFrame:
    """Section 5.5: per household the cadres of pairings active on as_of (effective end = the
    earlier of 结束日期 and the cadre's 离岗日期), 第一 before 第二, then start date:
    ``household_id, name, unit, phone, _rank``."""
    p = _frame(pairings, PAIRING_SCHEMA)
    c = _frame(cadres, CADRE_SCHEMA)
    return (p.join(c, on="cadre_id", how="inner")
            .with_columns(_end=pl.min_horizontal(_c("end"), _c("left_on")),
                          _second=_c("order").fill_null(FIRST) == SECOND)
            .filter((_c("start") <= pl.lit(as_of)) & (_c("_end").is_null() | (_c("_end") >= pl.lit(as_of))))
            .unique(["household_id", "cadre_id"], keep="first")
            .sort("household_id", "_second", "start", "name")
            .select("household_id", name=_c("name").fill_null(""), unit=_c("unit").fill_null(""),
                    phone=_c("phone").fill_null("")))


def village_cards(households: pl.DataFrame, members: pl.DataFrame, ledger: Ledger, *, village: str, year: int,
                  policy: PolicySet, as_of: date | None = None, paper: str = DEFAULT_PAPER,
                  all_households: bool = False, pairings: pl.DataFrame | None = None,
                  cadres: pl.DataFrame | None = None, region_names: dict[str, str] | None = None) -> list[Card]:
    """The cards of one village (``village``: a division-code prefix, normally the 12-digit
    village code): every household of S(Y) (registered or currently monitored), or every
    household with ``all_households``; sorted by 自然村 then 户编号. PolicyMissing when a
    parameter R9 reads is unset."""
    as_of = as_of or date(year, 12, 31)
    limits = PAPERS[paper]
    names = region_names or {}
    outcome = rules.evaluate(households, members, ledger, year=year, policy=policy, as_of=as_of, region=village,
                             with_items=True)

    hh = households.filter((_c("year") == year) & _c("region_code").str.starts_with(village))
    if not all_households:
        hh = hh.filter(facts.registered() | facts.currently_monitored())
    hh = hh.unique("household_id", keep="first")
    for col in ("reported_per_capita_income", *facts.INCOME_ITEMS):
        if col not in hh.columns:
            hh = hh.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    ids = hh.select("household_id")

    # 2 家庭成员 (living members, 户主 first, then by relationship and age).
    snapshot = members.filter(_c("year") == year)
    rel_order = {r: i for i, r in enumerate(RELATIONSHIPS)}
    mem = (snapshot.join(ids, on="household_id", how="semi")
           .with_columns(facts.living(), age=age_expr(birth_date_expr(_c("id_number")), as_of),
                         _rel=_c("relationship").replace_strict(rel_order, default=len(rel_order),
                                                                 return_dtype=pl.Int32))
           .sort("household_id", "_rel", "age", "name", descending=[False, False, True, False], nulls_last=True))
    population = mem.group_by("household_id").agg(population=_c("living").sum().cast(pl.Int32))
    heads = (mem.filter(_c("relationship") == "户主").sort("living", descending=True)
             .group_by("household_id").agg(head_name=_c("name").first()))
    living = mem.filter(_c("living")).with_columns(_rank=pl.int_range(pl.len()).over("household_id"))
    shown_members = living.filter(_c("_rank") < limits.members)
    more_members = living.group_by("household_id").agg(
        more_members=(pl.len().cast(pl.Int32) - limits.members).clip(lower_bound=0))

    # 3 享受政策: R9's records, by 大类 in catalogue order, then start date.
    cat = ledger.catalogue.frame
    fam_order = cat.group_by("family").agg(family_order=_c("family_order").min())
    projects = _frame(ledger.projects, {"project_id": pl.String, "name": pl.String, "kind": pl.String,
                                        "owner": pl.String, "operator": pl.String})
    member_names = (snapshot.filter(_c("id_number").is_not_null()).unique("id_number", keep="first")
                    .select("id_number", member_name="name"))
    items = (outcome.items.join(ids, on="household_id", how="semi")
             .join(cat.select("subtype", "card_label", "sensitive", "subtype_order"), on="subtype", how="left")
             .join(fam_order, on="family", how="left")
             .join(projects.select("project_id", project_name="name", project_kind="kind",
                                   project_owner="owner", operator="operator"), on="project_id", how="left")
             .join(member_names, on="id_number", how="left"))
    items = (items.with_columns(item_texts())
             .with_columns(amount=pl.when(_c("_has_amount"))
                           .then(pl.format("{}{} 元", _c("_prefix"),
                                           _c("_amount_fen").map_elements(yuan, return_dtype=pl.String)))
                           .otherwise(pl.lit("")))
             # Beneficiary and amount break ties, so a file and the database print the same order.
             .sort("household_id", "family_order", "lo", "subtype_order", "label", "member_name", "_amount_fen",
                   nulls_last=True)
             .with_columns(_rank=pl.int_range(pl.len()).over("household_id")))
    shown_items = items.filter(_c("_rank") < limits.rows)
    money = items.group_by("household_id").agg(
        total_fen=_c("fen").sum(),
        more_items=(_c("_rank") >= limits.rows).sum().cast(pl.Int32),
        more_items_fen=_c("fen").filter(_c("_rank") >= limits.rows).sum())
    by_source = (items.filter(_c("source").is_not_null()).group_by("household_id", "source")
                 .agg(fen=_c("fen").sum()))

    # 4 收入情况 (registry, year Y) with "其中帮扶".
    income = (hh.join(population, on="household_id", how="left")
              .with_columns(population=_c("population").fill_null(0))
              .with_columns(facts.net_income())
              .with_columns(facts.per_capita_net_income()))

    head = (hh.join(population, on="household_id", how="left").join(heads, on="household_id", how="left")
            .join(more_members, on="household_id", how="left").join(money, on="household_id", how="left")
            .with_columns(household_type(), hamlet_order())
            .sort("_hamlet_no", "hamlet", "household_id", nulls_last=True))

    cadre_rows = active_cadres(pairings, cadres, as_of).join(ids, on="household_id", how="semi")
    # The file and version as people name them (全国默认政策参数 1.0 版), not the key national@1.0.
    policy_text = policy.title_for(village)
    hotlines = _hotlines(policy, year, village)

    def grouped(frame: pl.DataFrame) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for row in frame.iter_rows(named=True):
            out.setdefault(row["household_id"], []).append(row)
        return out

    members_of = grouped(shown_members.select("household_id", "name", "relationship", "age"))
    items_of = grouped(shown_items.select("household_id", "label", "beneficiary", "when", "amount", "unit", "fen"))
    cadres_of = grouped(cadre_rows)
    sources_of: dict[str, dict[str, int]] = {}
    for hid, source, fen in by_source.iter_rows():
        sources_of.setdefault(hid, {})[source] = fen
    income_of = {r["household_id"]: r for r in income.iter_rows(named=True)}

    cards: list[Card] = []
    for r in head.iter_rows(named=True):
        hid = r["household_id"]
        code = str(r["region_code"] or "")
        cards.append(Card(
            year=year, county=names.get(code[:6].ljust(12, "0"), ""), town=names.get(code[:9].ljust(12, "0"), ""),
            village=names.get(code[:12].ljust(12, "0"), ""), hamlet=r["hamlet"] or "", household_id=hid,
            head_name=r["head_name"] or "", population=int(r["population"] or 0), household_type=r["household_type"],
            members=tuple(Member(m["name"] or "", m["relationship"] or "", m["age"]) for m in members_of.get(hid, [])),
            more_members=int(r["more_members"] or 0),
            items=tuple(Item(i["label"], i["beneficiary"], i["when"], i["amount"], i["unit"], int(i["fen"]))
                        for i in items_of.get(hid, [])),
            more_items=int(r["more_items"] or 0), more_items_fen=int(r["more_items_fen"] or 0),
            total_fen=int(r["total_fen"] or 0),
            income=_income_lines(income_of[hid], sources_of.get(hid, {})),
            cadres=tuple(Cadre(c["name"], c["unit"], c["phone"]) for c in cadres_of.get(hid, [])),
            hotlines=hotlines, as_of=as_of, policy=policy_text,
        ))
    return cards


def _income_lines(row: dict, sources: dict[str, int]) -> tuple[IncomeLine, ...]:
    lines = []
    for column, label, source in INCOME_ROWS:
        value = row.get(column)
        text = NOT_REPORTED if value is None else yuan(_fen(value))
        assisted = None if source is None else yuan(sources.get(source, 0))
        lines.append(IncomeLine(label, text, assisted))
    return tuple(lines)


def _fen(value: float) -> int:
    """One registry amount as integer fen, half to even (as :func:`rules.to_fen`)."""
    return pl.select(to_fen(pl.lit(float(value)))).item()


def _hotlines(policy: PolicySet, year: int, region: str) -> tuple[str, ...]:
    """Section 5.6: the county's hotline when the policy sets one, the national one with its name,
    and the invitation to report."""
    lines = []
    county = policy.lookup("county_hotline", year, region)
    if county is not None and county[0]:
        lines.append(f"县级帮扶热线：{county[0]}")
    national = policy.resolve("national_hotline", year, region)[0]
    lines.append(f"{NATIONAL_HOTLINE_NAME}：{national}")
    lines.append(HELP_LINE)
    return tuple(lines)
