"""Stable issue codes of the importer (the ``code`` column of ``Registry.issues``).

Row-level parse and consistency codes (all ``error``: the row, and with it its household, does
not load):

====  ==========================================================================================
E01   required value missing (also conditionally required: 识别监测时间 and 风险是否已消除 when
      监测对象类别 is set, 风险消除时间 when 风险是否已消除 = 是, 年度 of a member when households
      have several years)
E02   not a number / not an integer (money, numbers, years, 务工时间)
E03   negative money or number
E04   value not in the code list (codes, yes/no, causes, more than two 其他致贫原因)
E05   month not understood (not ``YYYY-MM`` / ``YYYYMM``, or month not 1–12)
E06   duplicate key in one file: (户编号, 年度) in 户, (证件号码, 年度) twice in one household
      in 人, 区划代码 in 区划
E07   member whose household (户编号, 年度) is not in the households table
E08   unknown town: region code that is not 12 digits, or whose first 9 digits are not a
      town of the official table (regions: an unknown county/town code)
E09   年度 differs from the year given for the import (``--year``)
E10   birth date in the ID number after the assessment date or before 1900
E11   location names (县 / 乡(镇) / 行政村) unknown, ambiguous, or contradicting 区划代码
E12   flat layout: a household field differs between the rows of one household
E13   a year (年度, 脱贫年度, 首次识别年度, 摘帽年度) outside 1900–2100
R00   sound row returned because another row of its household has an error
S01   the importer's scope: a region code outside it (set by the import use case)
S02   the importer's scope: a household number registered outside it that year
W01   phone number is neither an 11-digit mobile nor an area-code landline (warning)
====  ==========================================================================================

Quality codes Q01–Q26 are those of ``spec/rules.md`` section 5 (Q01/Q02 are produced by the ID
parsing here, the others by :mod:`fupin.engine.quality`).
"""

from __future__ import annotations

from fupin.engine import rules
from fupin.engine.rules import SEVERITY

ERROR = "error"
WARNING = "warning"

# code -> (severity, Chinese title, English title)
CODES: dict[str, tuple[str, str, str]] = {
    "E01": (ERROR, "必填项为空", "required value missing"),
    "E02": (ERROR, "不是有效数字", "not a valid number"),
    "E03": (ERROR, "金额或数值为负数", "negative amount or number"),
    "E04": (ERROR, "取值不在代码表中", "value not in the code list"),
    "E05": (ERROR, "年月格式不对", "month not understood"),
    "E06": (ERROR, "同一文件中主键重复", "duplicate key in one file"),
    "E07": (ERROR, "人员所属的户不存在", "member whose household is missing"),
    "E08": (ERROR, "区划代码未知", "unknown region code"),
    "E09": (ERROR, "年度与导入年度不符", "year differs from the import year"),
    "E10": (ERROR, "出生日期不合理", "birth date out of range"),
    "E11": (ERROR, "地名无法对应区划", "location names do not resolve"),
    "E12": (ERROR, "同一户的户信息在各行不一致", "household fields differ between rows"),
    "E13": (ERROR, "年份超出范围", "year out of range"),
    "R00": (ERROR, "随本户退回", "returned with its household"),
    "S01": (ERROR, "不在管辖范围内", "outside your region"),
    "S02": (ERROR, "户编号已在其他地区登记", "household number registered elsewhere"),
    "W01": (WARNING, "联系电话格式异常", "unusual phone number"),
    # Q01/Q02 are the rule registry's (decided while the ID numbers are parsed here).
    **{code: (SEVERITY[code], rules.label("quality", code), rules.label("quality", code, "en"))
       for code in ("Q01", "Q02")},
}

RETURNED_ZH = "本行无误，因本户其他行有问题随户一并退回，请与本户其他行一起修改后重新导入"
RETURNED_EN = (
    "this row is sound; it is returned with its household because another row of the household "
    "has a problem — fix the household and import it again"
)

# Columns the rejects workbook adds; the importer recognises and ignores them.
REJECT_COLUMNS = ("原工作表", "原行号", "问题列", "问题值", "问题说明", "Problem")
UNKNOWN_COLUMNS_SHEET = "未识别列"
FLAT_REJECTS_SHEET = "明细"

ISSUE_SCHEMA = {
    "table": "str", "sheet": "str", "row": "i64", "column": "str", "value": "str", "code": "str",
    "severity": "str", "message_zh": "str", "message_en": "str", "household_id": "str",
    "year": "i32",
}


def severity(code: str) -> str:
    """Of an importer's code, or of a quality check of the rule registry."""
    if code in CODES:
        return CODES[code][0]
    return SEVERITY[code]
