"""Policy files: lines and thresholds per year and province, each value with its source.

A policy file is TOML::

    name = "chongqing"
    version = "2024.1"
    extends = "national"          # optional: a built-in name or a path
    region = "50"                 # optional: division-code prefix the file applies to

    [monitoring_line]
    2022 = { value = 6500, source = "...", confidence = "—" }
    default = { value = ..., source = "...", confidence = "..." }   # any year not listed

Resolution of one parameter for (year, region code): among the files that apply to the
region code (no ``region``, or a prefix of the code), the most specific file wins (longest
``region``; among equals the one loaded last); within a file an exact year beats ``default``.
``load_policies`` always starts from the built-in ``national`` file.

A value the engine needs that no file gives raises :class:`PolicyMissing`, naming the
parameter, the year and the province, in Chinese and English.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import polars as pl

from fupin import divisions

BUILTIN = ("national",)

# Chinese names used in messages; the rule registry holds the rule labels.
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "poverty_line": ("扶贫标准（贫困线）", "poverty line"),
    "monitoring_line": ("防止返贫监测线", "monitoring line"),
    "rural_income_prev_year": ("上年农村居民人均可支配收入", "rural per-capita disposable income of the previous year"),
    "water_min_litres": ("人均日供水量下限", "minimum litres per person per day"),
    "water_min_litres_scarce": ("缺水地区人均日供水量下限", "minimum litres per person per day, water-scarce areas"),
    "fetch_max_minutes": ("取水往返时间上限（分钟）", "maximum water-fetching round trip, minutes"),
    "fetch_max_horizontal_m": ("取水水平距离上限（米）", "maximum horizontal fetching distance, metres"),
    "fetch_max_vertical_m": ("取水垂直高差上限（米）", "maximum vertical fetching height, metres"),
    "outage_max_days": ("年断水天数上限", "maximum days without water a year"),
    "medical_share_registered": ("脱贫户医疗费用预警比例（×D）", "medical cost share of D, registered households"),
    "medical_share_general": ("一般户医疗费用预警比例（×D）", "medical cost share of D, other households"),
    "education_cost_max": ("非义务教育自付费用上限", "maximum non-compulsory education cost"),
    "income_drop_share": ("收入大幅缩减比例", "income drop share"),
    "elimination_min_months": ("风险消除最少监测月数", "minimum months before risk elimination"),
    "quick_elimination_months": ("帮扶消除复核期（识别后不足该月数即消除的需复核）", "a 帮扶消除 fewer whole months than this after identification is flagged"),
    "exit_incidence": ("贫困村退出贫困发生率", "village exit incidence"),
    "exit_incidence_west": ("西部地区贫困村退出贫困发生率", "village exit incidence, west zone"),
    "listed_village_poor_min": ("挂牌督战村贫困人口下限", "listed-supervision village minimum poor people"),
    "listed_village_incidence_min": ("挂牌督战村贫困发生率下限", "listed-supervision village minimum incidence"),
    "identification_max_days": ("识别认定时限（天）", "identification deadline, days"),
    "notice_min_days": ("公示最少天数", "minimum public-notice days"),
    "exit_review_max_days": ("贫困户退出：民主评议时限（天）", "household exit: village review deadline, days"),
    "exit_max_days": ("贫困户退出：县级审批时限（天）", "household exit: county approval deadline, days"),
    "verification_max_working_days": ("入户核实时限（工作日）", "home-verification deadline, working days"),
    "zone": ("所属区域（东中西部）", "zone (east/central/west)"),
    # spec/assistance.md section 4
    "labour_age_min": ("劳动年龄下限（岁）", "minimum working age"),
    "labour_age_max_male": ("男性劳动年龄上限（岁）", "maximum working age, men"),
    "labour_age_max_female": ("女性劳动年龄上限（岁）", "maximum working age, women"),
    "developmental_measure_max_days": ("识别后落实开发式帮扶措施时限（天）", "days to a developmental measure after identification"),
    "visit_max_days_poor": ("未脱贫户走访间隔上限（天）", "maximum days between visits, households in poverty"),
    "visit_max_days_monitored": ("监测户走访间隔上限（天）", "maximum days between visits, monitored households"),
    "visit_max_days_exited": ("脱贫户走访间隔上限（天）", "maximum days between visits, exited households"),
    "visit_modes_counted": ("计入走访的方式", "visit modes that count"),
    "pairing_max_households": ("帮扶责任人结对户数上限（按职级）", "maximum households per cadre, by rank"),
    "public_post_min_age": ("公益性岗位最低年龄", "minimum age for a public-welfare post"),
    "public_post_max_age": ("公益性岗位最高年龄", "maximum age for a public-welfare post"),
    "public_post_away_days": ("公益岗人员外出务工天数上限", "days away that flag a public-welfare post holder"),
    "public_post_away_months": ("公益岗人员外出务工月数上限", "months away that flag a public-welfare post holder"),
    "public_post_max_per_household": ("每户公益性岗位人数上限（0 不检查）", "public-welfare posts per household (0 = off)"),
    "shock_wage_share_min": ("务工中断风险：工资性收入占比下限", "minimum wage share for the work-loss shock"),
    "income_check_tolerance": ("帮扶收入与登记收入比对容差（元）", "tolerance of the assistance-income check, yuan"),
    "national_hotline": ("全国咨询服务热线", "national hotline"),
    # supervision-analytics.md A and B (listed supervision, rectification ledger)
    "listed_deep_poverty": ("深度贫困地区挂牌督战（1 是，0 否）", "list deep-poverty areas with poor people left (1/0)"),
    "problem_claim_days": ("问题签收期限（天）", "days to claim a problem"),
    "problem_deadline_days": ("问题整改时限（天）", "days to rectify a problem"),
    "problem_immediate_days": ("立行立改问题整改时限（天）", "days to rectify an immediate problem"),
    "problem_escalation_step_days": ("问题超期逐级上报间隔（天）", "days overdue per escalation level"),
    # supervision-analytics.md C and D (third-party sampling, MPI)
    "sample_villages": ("第三方评估抽样村数", "villages sampled per assessment"),
    "sample_poor_village_share": ("抽样村中贫困村比例", "share of poor villages in the village sample"),
    "sample_households_per_village": ("每村抽样户数", "households sampled per village"),
    "sample_registered_share": ("每村抽样户中建档立卡户比例", "share of registered households per village"),
    "sample_reserve_share": ("备选户比例", "share of reserve households"),
    "sample_confidence_level": ("置信水平", "confidence level"),
    "assess_wrong_exit_max": ("错退率上限", "maximum wrong-exit rate"),
    "assess_missed_max": ("漏评率上限", "maximum missed-household rate"),
    "assess_approval_min": ("群众认可度下限", "minimum public approval"),
    "mpi_weights": ("多维贫困指数维度与指标权重", "MPI dimension and indicator weights"),
    "mpi_k": ("多维贫困临界值k", "MPI poverty cutoff k"),
}

# Parameters the assessment of section 1 needs for every year.
STANDARD_PARAMETERS = (
    "poverty_line", "water_min_litres", "water_min_litres_scarce", "fetch_max_minutes",
    "fetch_max_horizontal_m", "fetch_max_vertical_m", "outage_max_days",
)
# Parameters monitoring (sections 2–3) needs wherever a monitoring line applies.
MONITORING_PARAMETERS = (
    "rural_income_prev_year", "medical_share_registered", "medical_share_general",
    "education_cost_max", "income_drop_share", "elimination_min_months", "quick_elimination_months",
)
# Parameters of the village and county aggregates (section 4).
REGION_PARAMETERS = (
    "exit_incidence", "exit_incidence_west", "listed_village_poor_min",
    "listed_village_incidence_min", "listed_deep_poverty",
)
# The year from which a monitoring line is required (rules.md section 2).
MONITORING_FROM_YEAR = 2020


class PolicyError(Exception):
    """A policy file that cannot be read or is malformed."""


class PolicyMissing(PolicyError):
    """A value the rules need that no policy file gives."""

    def __init__(self, parameter: str, year: int, region_code: str | None):
        self.parameter = parameter
        self.year = year
        self.province_code = (region_code or "")[:2]
        self.province_name = _province_name(self.province_code)
        zh, en = PARAMETER_LABELS.get(parameter, (parameter, parameter))
        where_zh = f"{self.province_code} {self.province_name}".strip() or "全国"
        where_en = f"{self.province_code} ({self.province_name})" if self.province_code else "national"
        super().__init__(
            f"缺少政策参数 {parameter}（{zh}）：{year}年 {where_zh} 没有任何政策文件给出该值。"
            f"请在该省的政策文件中设置 [{parameter}] {year} = {{ value = ..., source = \"...\", "
            f"confidence = \"...\" }}，并用 --policy 指定该文件。 "
            f"(missing policy value {parameter} ({en}) for year {year}, province {where_en}: "
            f"no policy file sets it; add it to a policy file and pass it with --policy)"
        )


def _province_name(prefix2: str) -> str:
    return divisions.names().get(prefix2 + "0" * 10, "") if prefix2 else ""


@dataclass(frozen=True)
class Value:
    value: object
    source: str
    confidence: str


# What each confidence mark of a policy value means, for people reading an explanation.
CONFIDENCE_TEXT = {"H": "官方来源", "M": "地方或新闻来源", "—": "项目默认值，待核实"}


@dataclass
class PolicyFile:
    name: str
    version: str
    path: str  # shown as the source file: "national.toml" for built-ins
    region: str = ""
    extends: str | None = None
    parameters: dict[str, dict[str, Value]] = field(default_factory=dict)
    title: str = ""  # what a person calls the file ("全国默认政策参数"); its name when not given

    def cite(self, value: Value, year: int) -> str:
        """A value's source as a cadre reads it: the file's title, the year, the document and
        how far it can be trusted — never a file name."""
        trust = CONFIDENCE_TEXT.get(value.confidence, f"可信度 {value.confidence}")
        return f"{self.title or self.name}（{year}年）：{value.source}（{trust}）"

    @property
    def identity(self) -> str:
        return f"{self.name}@{self.version}"

    def lookup(self, parameter: str, year: int) -> Value | None:
        table = self.parameters.get(parameter)
        if not table:
            return None
        return table.get(str(year)) or table.get("default")

    def applies_to(self, region_code: str | None) -> bool:
        return not self.region or (region_code or "").startswith(self.region)


def shipped_policy(name: str) -> str | None:
    """The path of a policy file shipped with fupin (``chongqing`` or ``chongqing.toml``), for a
    name that is not a file where the user is: the README's examples work from any folder."""
    if "/" in name or os.sep in name or Path(name).exists():
        return None
    candidate = resources.files("fupin.policies").joinpath(name if name.endswith(".toml") else f"{name}.toml")
    return str(candidate) if candidate.is_file() else None


def _read(path_or_name: str) -> PolicyFile:
    if path_or_name in BUILTIN:
        text = resources.files("fupin.policies").joinpath(f"{path_or_name}.toml").read_text("utf-8")
        shown = f"{path_or_name}.toml"
    else:
        path = Path(path_or_name)
        if not path.is_file():
            raise PolicyError(
                f"找不到政策文件 {path_or_name}，请检查路径。 (policy file {path_or_name} not found)"
            )
        text = path.read_text("utf-8")
        shown = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"政策文件 {shown} 格式错误：{exc} (policy file {shown} is not valid TOML: {exc})") from exc
    for key in ("name", "version"):
        if not isinstance(data.get(key), str | int | float):
            raise PolicyError(
                f"政策文件 {shown} 缺少 {key}。 (policy file {shown} has no '{key}')"
            )
    parameters: dict[str, dict[str, Value]] = {}
    for param, table in data.items():
        if param in ("name", "version", "extends", "region", "title"):
            continue
        if not isinstance(table, dict):
            raise PolicyError(
                f"政策文件 {shown} 中 {param} 应为表（按年度或 default 给值）。 "
                f"(policy file {shown}: '{param}' must be a table keyed by year or 'default')"
            )
        entries: dict[str, Value] = {}
        for key, entry in table.items():
            if key != "default" and not str(key).isdigit():
                raise PolicyError(
                    f"政策文件 {shown} 中 {param}.{key}：键应为年度或 default。 "
                    f"(policy file {shown}: {param}.{key} must be a year or 'default')"
                )
            if not isinstance(entry, dict) or "value" not in entry:
                raise PolicyError(
                    f"政策文件 {shown} 中 {param}.{key} 应写成 {{ value = ..., source = \"...\", confidence = \"...\" }}。 "
                    f"(policy file {shown}: {param}.{key} needs value, source and confidence)"
                )
            if not entry.get("source"):
                raise PolicyError(
                    f"政策文件 {shown} 中 {param}.{key} 没有注明来源 source。 "
                    f"(policy file {shown}: {param}.{key} has no source)"
                )
            entries[str(key)] = Value(entry["value"], str(entry["source"]), str(entry.get("confidence", "—")))
        parameters[param] = entries
    return PolicyFile(
        name=str(data["name"]), version=str(data["version"]), path=shown,
        region=str(data.get("region") or ""), extends=data.get("extends"), parameters=parameters,
        title=str(data.get("title") or ""),
    )


@dataclass
class PolicySet:
    """The loaded files, most general first."""

    files: list[PolicyFile]

    @property
    def identity(self) -> str:
        return "+".join(f.identity for f in self.files)

    def _applicable(self, region_code: str | None) -> list[PolicyFile]:
        indexed = [(len(f.region), i, f) for i, f in enumerate(self.files) if f.applies_to(region_code)]
        return [f for _l, _i, f in sorted(indexed, key=lambda t: (t[0], t[1]), reverse=True)]

    def identity_for(self, region_code: str | None) -> str:
        return "+".join(f.identity for f in self.files if f.applies_to(region_code))

    def title_for(self, region_code: str | None) -> str:
        """The files in force for a region as people name them: "全国默认政策参数 1.0 版、…"."""
        return "、".join(f"{f.title or f.name} {f.version} 版" for f in self.files if f.applies_to(region_code))

    def parameters(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.files:
            for p in f.parameters:
                seen.setdefault(p, None)
        return list(seen)

    def lookup(self, parameter: str, year: int, region_code: str | None = None):
        """(value, source_file, source, confidence) or None when no file gives it."""
        found = self._found(parameter, year, region_code)
        if found is None:
            return None
        f, v = found
        return v.value, f.path, v.source, v.confidence

    def _found(self, parameter: str, year: int, region_code: str | None) -> tuple[PolicyFile, Value] | None:
        for f in self._applicable(region_code):
            v = f.lookup(parameter, year)
            if v is not None:
                return f, v
        return None

    def citation(self, parameter: str, year: int, region_code: str | None = None) -> str | None:
        """Where the value in force comes from, in words (:meth:`PolicyFile.cite`)."""
        found = self._found(parameter, year, region_code)
        return None if found is None else found[0].cite(found[1], year)

    def resolve(self, parameter: str, year: int, region_code: str | None = None):
        """(value, source_file, source, confidence); raises PolicyMissing when not set."""
        found = self.lookup(parameter, year, region_code)
        if found is None:
            raise PolicyMissing(parameter, year, region_code)
        return found

    def needed(self, year: int, region_code: str | None = None) -> tuple[str, ...]:
        """The parameters that must be set for assessing ``year`` in ``region_code``."""
        params = list(STANDARD_PARAMETERS)
        if year >= MONITORING_FROM_YEAR or self.lookup("monitoring_line", year, region_code):
            params += ["monitoring_line", *MONITORING_PARAMETERS]
        return tuple(params)

    def prefixes(self) -> list[str]:
        """Region prefixes of the files, longest first."""
        return sorted({f.region for f in self.files if f.region}, key=len, reverse=True)

    def policy_key_expr(self, region_code: pl.Expr) -> pl.Expr:
        """The key a household's parameters are resolved under.

        The longest file prefix of at least two digits that the code starts with, or else the
        province (two digits): every code under one key sees exactly the same files.
        """
        expr = region_code.str.slice(0, 2)
        for prefix in sorted((p for p in self.prefixes() if len(p) > 2), key=len):
            expr = pl.when(region_code.str.starts_with(prefix)).then(pl.lit(prefix)).otherwise(expr)
        return expr.alias("policy_key")

    def frame(self, year: int, region_codes, *, needed: tuple[str, ...] | None = None,
              parameters: tuple[str, ...] | None = None) -> pl.DataFrame:
        """One row per policy key (province or longer file prefix) of ``region_codes``.

        Columns: ``policy_key``, ``policy`` (identity of the files used), then for every
        parameter its value and ``source_<parameter>`` (:meth:`PolicyFile.cite`: title, year,
        document, trust).
        ``needed`` (default: :meth:`needed` of the year) must resolve, else PolicyMissing.
        """
        codes = pl.Series("region_code", list(region_codes), dtype=pl.String).drop_nulls().unique()
        keys = sorted(pl.DataFrame({"region_code": codes}).select(
            self.policy_key_expr(pl.col("region_code"))
        )["policy_key"].unique().to_list())
        params = list(parameters or self.parameters())
        for p in needed or ():
            if p not in params:
                params.append(p)
        rows: dict[str, list] = {"policy_key": keys, "policy": [], "policy_title": []}
        for p in params:
            rows[p] = []
            rows[f"source_{p}"] = []
        for key in keys:
            rows["policy"].append(self.identity_for(key))
            rows["policy_title"].append(self.title_for(key))
            must = needed if needed is not None else self.needed(year, key)
            for p in params:
                found = self._found(p, year, key)
                if found is None and p in must:
                    raise PolicyMissing(p, year, key)
                rows[p].append(None if found is None else found[1].value)
                rows[f"source_{p}"].append(None if found is None else found[0].cite(found[1], year))
        schema: dict[str, pl.DataType] = {"policy_key": pl.String, "policy": pl.String, "policy_title": pl.String}
        for p in params:
            values = [v for v in rows[p] if v is not None]
            if any(isinstance(v, dict) for v in values):
                # A table-valued parameter (mpi_weights) travels as its JSON text in a frame.
                rows[p] = [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in rows[p]]
                values = rows[p]
            schema[p] = pl.String if any(isinstance(v, str) for v in values) else pl.Float64
            schema[f"source_{p}"] = pl.String
        return pl.DataFrame(rows, schema=schema)


def load_policies(paths: list[str] | tuple[str, ...] = ()) -> PolicySet:
    """National first, then each file (its ``extends`` chain before it), each once."""
    files: list[PolicyFile] = []
    loaded: set[str] = set()

    def add(ref: str, chain: tuple[str, ...] = ()) -> None:
        key = ref if ref in BUILTIN else str(Path(ref).resolve())
        if key in loaded:
            return
        if key in chain:
            raise PolicyError(f"政策文件循环继承：{ref} (policy files extend each other in a cycle: {ref})")
        pf = _read(ref)
        if pf.extends:
            parent = pf.extends
            if parent not in BUILTIN and ref not in BUILTIN:
                parent = str((Path(ref).parent / parent))
            add(parent, (*chain, key))
        loaded.add(key)
        files.append(pf)

    add("national")
    for p in paths:
        add(str(p))
    return PolicySet(files)
