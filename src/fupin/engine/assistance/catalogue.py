"""The measure catalogue (帮扶措施目录, ``spec/assistance.md`` 1.1) as policy data.

The default ships as ``fupin/policies/assistance_catalogue.toml``: 大类 in order, each with its
方式 and source, and its 小类 with unit, duration, flags (I 收益类, O 出路类, S 敏感), 收入归类,
对象, aliases and a source of their own. A county's 帮扶措施目录 sheet adds 小类 or replaces them
by name (:meth:`Catalogue.merged`); every 大类 has the implicit 小类 ``其他<大类>`` (unit 项, no
flags, 收入归类 无, 对象 户或人).

The catalogue frame (:attr:`Catalogue.frame`), one row per 小类:

==================  =========  =========================================================
column              dtype      meaning
==================  =========  =========================================================
family              String     大类
subtype             String     小类 (unique)
aliases             String     别名 joined with 、 ('' when none)
mode                String     开发式 / 保障式
unit                String     元 / 人 / 户 / 次 / 人次 / 项
duration            String     一次性 / 持续
income_measure      Boolean    收益类 (R2)
outlet              Boolean    出路类 (R1, R3)
income_source       String     工资性 / 生产经营性 / 财产性 / 转移性 / 无 (R9)
target              String     户 / 人 / 户或人 (A11)
card_label          String     明白卡显示 (null = 小类)
sensitive           Boolean    敏感 (the card prints the 大类 only)
active              Boolean    启用 (false: new rows rejected, A03)
family_order        Int32      the 大类's place in the catalogue (card and report order)
subtype_order       Int32      the 小类's place within its 大类
source, confidence  String     where the entry comes from, and how far to trust it
==================  =========  =========================================================
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

from fupin.engine.assistance import schema as S

DEFAULT_FILE = "assistance_catalogue.toml"
IMPLICIT_SOURCE = "assistance.md 1.1：每个大类隐含小类“其他<大类>”（单位 项，无标志）"

CATALOGUE_SCHEMA: dict[str, pl.DataType] = {
    "family": pl.String(), "subtype": pl.String(), "aliases": pl.String(), "mode": pl.String(),
    "unit": pl.String(), "duration": pl.String(), "income_measure": pl.Boolean(), "outlet": pl.Boolean(),
    "income_source": pl.String(), "target": pl.String(), "card_label": pl.String(), "sensitive": pl.Boolean(),
    "active": pl.Boolean(), "family_order": pl.Int32(), "subtype_order": pl.Int32(), "source": pl.String(),
    "confidence": pl.String(),
}


class CatalogueError(ValueError):
    """A catalogue file that cannot be used (Chinese, then English)."""


def _check(value, allowed, what: str, where: str) -> None:
    if value not in allowed:
        raise CatalogueError(f"帮扶措施目录 {where}：{what}“{value}”不在 {'、'.join(allowed)} 中 "
                             f"(measure catalogue {where}: {what} {value!r} is not one of {', '.join(allowed)})")


def _rows_from_toml(data: dict, shown: str) -> list[dict]:
    rows: list[dict] = []
    families = data.get("family")
    if not isinstance(families, list) or not families:
        raise CatalogueError(f"帮扶措施目录 {shown} 没有 [[family]] 表 (catalogue {shown} has no [[family]] tables)")
    for fi, fam in enumerate(families):
        name = fam.get("name")
        where = f"{shown} 大类 {name}"
        if not name or not fam.get("source"):
            raise CatalogueError(f"帮扶措施目录 {where}：缺少 name 或 source (family needs name and source)")
        _check(fam.get("mode"), S.MODES, "方式", where)
        for si, m in enumerate(fam.get("measures", [])):
            sub = m.get("subtype")
            w = f"{where} 小类 {sub}"
            if not sub or not m.get("source"):
                raise CatalogueError(f"帮扶措施目录 {w}：缺少 subtype 或 source (measure needs subtype and source)")
            _check(m.get("unit"), S.UNITS, "单位", w)
            _check(m.get("duration"), S.DURATIONS, "持续性", w)
            _check(m.get("income_source"), S.INCOME_SOURCES, "收入归类", w)
            _check(m.get("target"), S.TARGETS, "对象", w)
            flags = str(m.get("flags", ""))
            if set(flags) - set("IOS"):
                raise CatalogueError(f"帮扶措施目录 {w}：flags 只能含 I、O、S (flags may hold I, O, S only)")
            rows.append({
                "family": name, "subtype": sub, "aliases": "、".join(m.get("aliases", [])), "mode": fam["mode"],
                "unit": m["unit"], "duration": m["duration"], "income_measure": "I" in flags, "outlet": "O" in flags,
                "income_source": m["income_source"], "target": m["target"], "card_label": m.get("card_label") or None,
                "sensitive": "S" in flags, "active": bool(m.get("active", True)), "family_order": fi,
                "subtype_order": si, "source": m["source"], "confidence": str(m.get("confidence", "—")),
            })
    return rows


def _with_implicit(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``其他<大类>`` for every 大类 that lacks it (unit 项, no flags)."""
    fams = frame.group_by("family").agg(
        pl.col("mode").first(), pl.col("family_order").first(), pl.col("subtype_order").max())
    implicit = fams.select(
        "family", subtype=pl.lit(S.OTHER_PREFIX) + pl.col("family"), aliases=pl.lit(""), mode="mode",
        unit=pl.lit("项"), duration=pl.lit(S.ONE_OFF), income_measure=pl.lit(False), outlet=pl.lit(False),
        income_source=pl.lit("无"), target=pl.lit(S.EITHER_TARGET), card_label=pl.lit(None, dtype=pl.String),
        sensitive=pl.lit(False), active=pl.lit(True), family_order="family_order",
        subtype_order=pl.col("subtype_order") + 1, source=pl.lit(IMPLICIT_SOURCE), confidence=pl.lit("M"),
    ).join(frame.select("subtype"), on="subtype", how="anti")
    return pl.concat([frame, implicit.cast(CATALOGUE_SCHEMA)], how="vertical").sort("family_order", "subtype_order")


@dataclass(frozen=True)
class Catalogue:
    """The catalogue in force: the default, possibly merged with a county's sheet."""

    frame: pl.DataFrame
    name: str = "assistance_catalogue"
    version: str = ""

    @property
    def identity(self) -> str:
        return f"{self.name}@{self.version}"

    @classmethod
    def from_toml_text(cls, text: str, shown: str = DEFAULT_FILE) -> Catalogue:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(f"帮扶措施目录 {shown} 格式错误：{exc} (catalogue {shown} is not valid TOML)") from exc
        frame = pl.DataFrame(_rows_from_toml(data, shown), schema=CATALOGUE_SCHEMA)
        dup = frame.filter(pl.col("subtype").is_duplicated())["subtype"].unique().to_list()
        if dup:
            raise CatalogueError(f"帮扶措施目录 {shown}：小类重复 {'、'.join(dup)} (duplicate subtypes: {dup})")
        return cls(_with_implicit(frame), str(data.get("name", "assistance_catalogue")), str(data.get("version", "")))

    @classmethod
    def default(cls) -> Catalogue:
        return _default()

    def merged(self, county: pl.DataFrame, *, source: str = "县级帮扶措施目录") -> Catalogue:
        """The catalogue with a county's rows (canonical columns of the 帮扶措施目录 sheet):
        a row whose 小类 exists replaces it, a new one is added after its 大类's rows (a new
        大类 comes after all others)."""
        if county.height == 0:
            return self
        base = self.frame
        orders = base.group_by("family").agg(pl.col("family_order").first(), pl.col("subtype_order").max())
        next_family = (base["family_order"].max() or 0) + 1
        rows = county.select([c for c in CATALOGUE_SCHEMA if c in county.columns]).with_columns(
            aliases=pl.col("aliases").fill_null("") if "aliases" in county.columns else pl.lit(""),
        ).join(orders, on="family", how="left")
        new_families = rows.filter(pl.col("family_order").is_null())["family"].unique(maintain_order=True).to_list()
        rows = rows.with_columns(
            family_order=pl.coalesce(pl.col("family_order"), pl.col("family").replace_strict(
                {f: next_family + i for i, f in enumerate(new_families)}, default=None, return_dtype=pl.Int32)),
            subtype_order=pl.coalesce(pl.col("subtype_order"), pl.lit(0))
            + pl.int_range(1, pl.len() + 1).over("family"),
            source=pl.lit(source), confidence=pl.lit("—"),
        )
        # A replaced 小类 keeps its place.
        rows = rows.join(base.select("subtype", _o="subtype_order", _f="family"), on="subtype", how="left").with_columns(
            subtype_order=pl.when(pl.col("_f") == pl.col("family")).then(pl.col("_o")).otherwise(pl.col("subtype_order")),
        ).drop("_o", "_f")
        rows = rows.select([pl.col(c).cast(t) if c in rows.columns else pl.lit(None, dtype=t).alias(c)
                            for c, t in CATALOGUE_SCHEMA.items()])
        kept = base.join(rows.select("subtype"), on="subtype", how="anti")
        frame = _with_implicit(pl.concat([kept, rows], how="vertical"))
        return Catalogue(frame, self.name, f"{self.version}+county")

    # --- lookups ------------------------------------------------------------------------------

    def families(self) -> list[str]:
        return self.frame.sort("family_order").get_column("family").unique(maintain_order=True).to_list()

    def subtypes_of(self, family: str) -> list[str]:
        return self.frame.filter(pl.col("family") == family).sort("subtype_order")["subtype"].to_list()

    def names(self) -> pl.DataFrame:
        """Every spelling that names a 小类: ``key`` (:func:`schema.code_key` of the 小类 or an
        别名), ``subtype``, ``family``, ``active``. A 小类's own name wins over another's alias;
        among aliases the catalogue's first wins."""
        own = self.frame.select(pl.col("subtype").alias("spelling"), "subtype", "family", "active",
                                "family_order", "subtype_order", _rank=pl.lit(0))
        alias = self.frame.select(
            pl.col("aliases").str.split("、").alias("spelling"), "subtype", "family", "active", "family_order",
            "subtype_order", _rank=pl.lit(1),
        ).explode("spelling").filter(pl.col("spelling").is_not_null() & (pl.col("spelling") != ""))
        both = pl.concat([own, alias], how="vertical")
        keys = pl.Series([S.code_key(s) for s in both["spelling"].to_list()], dtype=pl.String)
        return (both.with_columns(key=keys).sort("_rank", "family_order", "subtype_order")
                .unique("key", keep="first", maintain_order=True).select("key", "subtype", "family", "active"))

    def family_names(self) -> pl.DataFrame:
        """Per 大类: the spellings that name one of its 小类 within it (wide layout, 2.3), with
        ``其他`` naming ``其他<大类>``: ``family``, ``key``, ``subtype``, ``active``."""
        own = self.frame.select("family", spelling=pl.col("subtype"), subtype="subtype", active="active", _rank=pl.lit(0))
        alias = self.frame.select("family", spelling=pl.col("aliases").str.split("、"), subtype="subtype",
                                  active="active", _rank=pl.lit(1)).explode("spelling").filter(
            pl.col("spelling").is_not_null() & (pl.col("spelling") != ""))
        other = self.frame.filter(pl.col("subtype") == pl.lit(S.OTHER_PREFIX) + pl.col("family")).select(
            "family", spelling=pl.lit(S.OTHER_PREFIX), subtype="subtype", active="active", _rank=pl.lit(2))
        both = pl.concat([own, alias, other], how="vertical")
        keys = pl.Series([S.code_key(s) for s in both["spelling"].to_list()], dtype=pl.String)
        return (both.with_columns(key=keys).sort("_rank").unique(["family", "key"], keep="first", maintain_order=True)
                .select("family", "key", "subtype", "active"))

    def subtype_list_text(self) -> pl.DataFrame:
        """Per 大类 its active 小类 joined with 、 (messages of A03): ``family``, ``subtypes``."""
        return (self.frame.filter(pl.col("active")).sort("subtype_order")
                .group_by("family", maintain_order=True).agg(subtypes=pl.col("subtype").str.join("、")))


@lru_cache(maxsize=1)
def _default() -> Catalogue:
    text = resources.files("fupin.policies").joinpath(DEFAULT_FILE).read_text("utf-8")
    return Catalogue.from_toml_text(text, DEFAULT_FILE)


# --- 一户一策: the catalogue's proposal per unmet indicator and risk factor ------------------------

PLAN_SCHEMA = {"kind": pl.String(), "reason": pl.String(), "subtype": pl.String(), "family": pl.String(),
               "responsible_unit": pl.String(), "source": pl.String()}


@dataclass(frozen=True)
class PlanMapping:
    """``[plan]`` of the catalogue file: ``actions`` (one row per indicator or risk key:
    ``kind`` indicator/risk, ``reason``, ``subtype``, ``family``, ``responsible_unit``,
    ``source``) and ``due_soon_days`` (the village work list's horizon)."""

    actions: pl.DataFrame
    due_soon_days: int


def plan_mapping_from_toml(text: str, catalogue: Catalogue, shown: str = DEFAULT_FILE) -> PlanMapping:
    data = tomllib.loads(text).get("plan", {})
    families = dict(catalogue.frame.select("subtype", "family").iter_rows())
    rows = []
    for kind in ("indicator", "risk"):
        for reason, entry in data.get(kind, {}).items():
            sub = entry.get("subtype")
            if sub not in families or not entry.get("source"):
                raise CatalogueError(f"帮扶措施目录 {shown} [plan.{kind}] {reason}：小类“{sub}”不在目录中或缺少 source "
                                     f"(plan {kind} {reason}: subtype {sub!r} not in the catalogue, or no source)")
            rows.append({"kind": kind, "reason": reason, "subtype": sub, "family": families[sub],
                         "responsible_unit": entry.get("unit", ""), "source": entry["source"]})
    return PlanMapping(pl.DataFrame(rows, schema=PLAN_SCHEMA), int(data.get("due_soon_days", 7)))


@lru_cache(maxsize=1)
def plan_mapping() -> PlanMapping:
    """The shipped mapping (checked against the default catalogue)."""
    text = resources.files("fupin.policies").joinpath(DEFAULT_FILE).read_text("utf-8")
    return plan_mapping_from_toml(text, Catalogue.default())
