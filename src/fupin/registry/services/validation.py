"""Validation of an edited household, identical to import.

An edit is checked by the importer itself: the household and every one of its members become,
as the typed strings a cadre would put in a spreadsheet and under the Chinese headers of
``fupin.engine.schema``, two raw sheets held in memory (``fupin.io.sheet_from_rows``, laid out
exactly as the households.csv / members.csv of a CSV folder would read), and
``fupin.io.validate_sheets`` — the validation ``fupin.io.read_registry`` runs after reading a
container — validates them. Every rule an import applies (code lists, numbers, months, ID
numbers, 户主 count, quality errors) thus applies to an edit, with the same messages; there is no
second copy of any rule here. Nothing is written to disk: the personal data of the household (ID
numbers, phones) never leaves memory.

The canonical values the reader produced are what an edit then saves, so an edited field is
stored exactly as an imported one would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fupin.engine import schema
from fupin.io import sheet_from_rows, validate_sheets

ERROR = "error"
# Rows of the sheets, counted as the reader counts CSV lines: header on row 1, data from row 2.
FIRST_ROW = 2


@dataclass(frozen=True)
class FieldIssue:
    """One finding of the reader, located on the form: table, field, member position."""

    table: str                  # households | members
    field: str | None           # English field name; None when it concerns the household as a whole
    member_index: int | None    # position in the members list given to validate_household
    code: str
    severity: str
    message_zh: str
    message_en: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass
class ValidationResult:
    issues: list[FieldIssue] = field(default_factory=list)
    household: dict | None = None                     # canonical values (English names)
    members: list[dict] = field(default_factory=list)  # canonical values, in input order

    @property
    def errors(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[FieldIssue]:
        return [i for i in self.issues if not i.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def as_text(value, kind: str) -> str:
    """A stored value as a cadre would type it (是/否, plain numbers, '' for unknown)."""
    if value is None:
        return ""
    if kind == "yesno":
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def instance_texts(instance, table: str) -> dict[str, str]:
    """Exchange fields of a Household or Member as typed strings, keyed by English name."""
    out = {}
    for f in schema.fields(table, exchange_only=True):
        if f.name == "household_id":
            value = instance.household_id if table == "households" else instance.household_key
        else:
            value = getattr(instance, f.name)
        out[f.name] = as_text(value, f.kind)
    return out


def _sheet(table: str, rows: list[dict[str, str]]):
    """The raw sheet of ``rows`` (typed strings keyed by English name), every exchange column.

    The sheet is named after its table: the issues (sorted by sheet, then row) then come
    households first, as the files households.csv and members.csv gave them.
    """

    fields = schema.fields(table, exchange_only=True)
    typed = [{f.zh: row.get(f.name) or "" for f in fields} for row in rows]
    return sheet_from_rows(table, typed, sheet_name=table, headers=[f.zh for f in fields])


def _field_of(table: str, header: str | None) -> str | None:
    if not header:
        return None
    return schema.header_index(table).get(schema.normalize_header(header))


def _canonical_rows(frame: pl.DataFrame, table: str, n: int) -> list[dict | None]:
    names = [f.name for f in schema.fields(table, exchange_only=True) if f.name in frame.columns]
    by_row = {r["_row"]: {k: r[k] for k in names} for r in frame.select([*names, "_row"]).to_dicts()}
    return [by_row.get(FIRST_ROW + i) for i in range(n)]


def validate_household(household: dict[str, str], members: list[dict[str, str]], *,
                       province: str = "50") -> ValidationResult:
    """Run the importer's validation over one household and all its members.

    ``household`` and each member are typed strings keyed by English field name (as
    :func:`instance_texts` gives them, with a form's changes applied).
    """

    year = int(household["year"])
    sheets = [_sheet("households", [household]), _sheet("members", members)]
    registry = validate_sheets(sheets, source_format="csv", year=year, province=province)

    result = ValidationResult()
    for issue in registry.issues.to_dicts():
        table = issue["table"] if issue["table"] in ("households", "members") else "households"
        member_index = None
        if table == "members" and issue["row"] is not None:
            member_index = int(issue["row"]) - FIRST_ROW
        if issue["code"] == "R00":
            continue  # "returned with its household": the real reason is reported on its own row
        result.issues.append(FieldIssue(
            table=table, field=_field_of(table, issue["column"]), member_index=member_index,
            code=issue["code"], severity=issue["severity"],
            message_zh=issue["message_zh"] or "", message_en=issue["message_en"] or "",
        ))
    result.household = (_canonical_rows(registry.households, "households", 1) or [None])[0]
    result.members = [m or {} for m in _canonical_rows(registry.members, "members", len(members))]
    return result
