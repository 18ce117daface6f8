"""The exchange-format column reference (``docs/exchange-format.md``), written from the schema
module and the importer's codes, so that the document cannot drift from what the importer
accepts. ``python -m fupin.io.reference > docs/exchange-format.md`` rewrites it; a test fails
when the file in ``docs/`` differs from what this module writes."""

from __future__ import annotations

from fupin.engine import schema
from fupin.io import codes

KIND_TEXT = {
    "text": "文本", "int": "整数", "money": "金额（元，≥ 0）", "number": "数值（≥ 0）",
    "yesno": "是/否（也接受 " + "/".join(schema.YES_WORDS[1:]) + " 与 " + "/".join(schema.NO_WORDS[1:])
             + "；空 = 不详，不等于否）", "code": "代码表中的值", "month": "年月 YYYY-MM 或 YYYYMM",
    "region": "12 位区划代码", "id_number": "18 位居民身份证号（15 位自动升位）",
    "causes": "致贫原因，多个用“、”分隔（最多两个）",
    "date": "日期 YYYY-MM-DD（也接受 YYYYMMDD、YYYY/M/D 与 Excel 日期）",
}
TABLE_TITLE = {"households": "户表", "members": "人表", "regions": "区划表"}
KEY_TEXT = {"households": "户编号 + 年度", "members": "证件号码 + 年度", "regions": "区划代码"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _codes(f: schema.Field) -> str:
    if not f.codes:
        return ""
    listed = "、".join(f.codes)
    if f.code_aliases:
        listed += f"（也接受 {len(f.code_aliases)} 种全国系统写法，如 " + "、".join(
            f"{k}→{v}" for k, v in list(f.code_aliases.items())[:3]) + "）"
    return listed


def _table(name: str) -> list[str]:
    sheets = "、".join(f"`{s}`" for s in schema.SHEET_NAMES[name])
    lines = [
        f"## {TABLE_TITLE[name]}（工作表 {sheets}，CSV/Parquet 文件 `{name}`）",
        "",
        f"唯一键：{KEY_TEXT[name]}。",
        "",
        "| 列名 | 字段 (field) | 类型 | 必填 | 也接受的列名 | 代码表 |",
        "|---|---|---|---|---|---|",
    ]
    for f in schema.fields(name, exchange_only=True):
        lines.append("| " + " | ".join(_cell(x) for x in (
            f.zh, f"`{f.name}`", KIND_TEXT[f.kind], "是" if f.required else "",
            "、".join(f.aliases), _codes(f))) + " |")
    flat = [f for f in schema.fields(name) if f.import_only]
    if flat:
        lines += ["", "只在导入全国系统“一人一行”导出表（平铺格式）时识别的列：", "",
                  "| 列名 | 字段 (field) | 类型 | 也接受的列名 | 代码表 |", "|---|---|---|---|---|"]
        for f in flat:
            lines.append("| " + " | ".join(_cell(x) for x in (
                f.zh, f"`{f.name}`", KIND_TEXT[f.kind], "、".join(f.aliases), _codes(f))) + " |")
    return [*lines, ""]


def render() -> str:
    lines = [
        "# 交换格式列说明 (exchange-format column reference)",
        "",
        "<!-- Written by `python -m fupin.io.reference > docs/exchange-format.md` from",
        "     src/fupin/engine/schema.py and src/fupin/io/codes.py; do not edit by hand. -->",
        "",
        "登记数据以三张表交换：户、人、区划。可用三种容器：一个 `.xlsx` 工作簿（工作表 户/人/区划）；"
        "一个 CSV 文件夹（`households.csv`、`members.csv`、`regions.csv`，UTF-8、带 BOM 的 UTF-8 或 GB18030）；"
        "一个 Parquet 文件夹（`households.parquet`、`members.parquet`、`regions.parquet`）。"
        "全国系统一人一行的导出表（平铺格式）也可直接导入。列名可用中文、英文字段名或下表列出的别名，"
        "不区分全角半角和空格；列的顺序不限；无法识别的列在退回表中单独列出。",
        "",
    ]
    for name in schema.TABLES:
        lines += _table(name)
    lines += [
        "## 退回原因代码 (importer codes)",
        "",
        "每一行要么导入，要么连同所在的户一起出现在退回表中，附工作表、行号、列、值和原因；"
        "在退回表中改正后可直接再次导入。数据质量代码 Q03–Q27 见 `spec/rules.md` 第 5 节（Q27：人员状态变动日期与人员状态不符，见 docs/decisions/0007）。",
        "",
        "| 代码 | 级别 | 说明 | Meaning |",
        "|---|---|---|---|",
    ]
    severity_text = {"error": "错误（不导入）", "warning": "提示（照常导入）"}
    for code, (severity, zh, en) in sorted(codes.CODES.items()):
        lines.append(f"| {code} | {severity_text.get(severity, severity)} | {_cell(zh)} | {_cell(en)} |")
    lines += ["", "退回表另加的列（导入时自动忽略）：" + "、".join(codes.REJECT_COLUMNS) + "。", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
