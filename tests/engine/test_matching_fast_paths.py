"""Department matching's fast paths give what the plain forms give.

The ID numbers are resolved by one join of the ID column and the few other rows written into
place (not a join of the whole list), rows are grouped by a number per household (not the
household's text), typed columns are checked as they are (not through text), and the emptiness
of a month or a date is tested once per distinct value. Each is checked here against the plain
reading: a per-row reference, the same list as text, the registry in another order.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin.engine import idnumber, matching
from fupin.engine.policy import load_policies

YEAR = 2022
POLICY = load_policies()


def pid(seq: int) -> str:
    return idnumber.make_id("500101", date(1970, 1, 1 + seq % 28), 11 + 2 * seq)


PEOPLE = [pid(i) for i in range(12)]
STRANGER = idnumber.make_id("610101", date(1980, 5, 5), 17)  # valid, in no registry


def _registry(order: list[int] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """12 people in 6 households of two (R… registered, G… not), and the households."""
    members = pl.DataFrame({
        "household_id": [f"{'R' if i < 6 else 'G'}{i // 2}" for i in range(12)], "year": [YEAR] * 12,
        "id_number": PEOPLE, "name": [f"人{i}" for i in range(12)],
    })
    if order is not None:
        members = members[order]
    ids = sorted(set(members["household_id"]))
    households = pl.DataFrame({
        "household_id": ids, "year": [YEAR] * len(ids), "region_code": ["500101102201"] * len(ids),
        "registered": [h.startswith("R") for h in ids], "poverty_status": ["已脱贫"] * len(ids),
        "monitoring_category": [None] * len(ids), "risk_eliminated": [None] * len(ids),
    }, schema_overrides={"monitoring_category": pl.String, "risk_eliminated": pl.Boolean})
    return members, households


def _run(raw: pl.DataFrame, registry) -> matching.MatchResult:
    members, households = registry
    return matching.match_department(raw, kind="medical", year=YEAR, members=members, households=households,
                                     policy=POLICY, source="f.parquet")


def _same(a: matching.MatchResult, b: matching.MatchResult) -> None:
    assert a.stats == b.stats
    assert a.leads.equals(b.leads)
    assert a.issues.equals(b.issues)


def _spellings(i: int) -> list[str | None]:
    """Ways a department writes person i's ID number, and things that are no ID number."""
    p = PEOPLE[i]
    return [p, p, p, f" {p} ", p.lower(), f"{p[:6]}{p[8:17]}", p[:-1] + ("0" if p[-1] != "0" else "1"),
            "5001011990", "", "   ", None, STRANGER, f"{p}\u3000"]


id_cells = st.builds(lambda i, k: _spellings(i)[k], st.integers(0, 11), st.integers(0, 12))
amounts = st.one_of(st.none(), st.floats(-100, 40000, allow_nan=False).map(lambda x: round(x, 2)))
months = st.sampled_from([f"{YEAR}-{m:02d}" for m in range(1, 13)] + [f"{YEAR}年3月", "2021-05", "13月", "  ", None])
names = st.sampled_from(["人0", "人1", "人2", "张三", " ", None])


@st.composite
def lists(draw):
    n = draw(st.integers(1, 40))
    return pl.DataFrame({
        "姓名": draw(st.lists(names, min_size=n, max_size=n)),
        "证件号码": draw(st.lists(id_cells, min_size=n, max_size=n)),
        "月份": draw(st.lists(months, min_size=n, max_size=n)),
        "合规自付医疗费用": pl.Series(draw(st.lists(amounts, min_size=n, max_size=n)), dtype=pl.Float64),
    }, schema_overrides={"姓名": pl.String, "证件号码": pl.String, "月份": pl.String}).with_columns(
        _sheet=pl.lit("f.parquet"), _row=pl.int_range(1, n + 1, dtype=pl.Int64))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lists())
def test_a_typed_amount_column_gives_the_issues_and_leads_of_its_text_form(raw):
    # Parquet keeps 合规自付医疗费用 as numbers: checked as numbers, never written out as text.
    as_text = raw.with_columns(pl.col("合规自付医疗费用").cast(pl.String))
    _same(_run(raw, _registry()), _run(as_text, _registry()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lists(), st.permutations(list(range(12))))
def test_the_registry_in_any_order_gives_the_same_leads_and_issues(raw, order):
    # Sorted by household (as the database gives it) the households are numbered by runs,
    # otherwise by their place among the distinct ones: the sums and leads are the same.
    _same(_run(raw, _registry()), _run(raw, _registry(order)))


def _reference_resolution(raw_ids: list[str | None], registry: pl.DataFrame) -> list[tuple]:
    """Row by row: the text itself when the registry holds it, else its parsed form."""
    position = {r: i for i, r in enumerate(registry["id_number"].to_list())}
    out = []
    for raw in raw_ids:
        if raw is not None and raw.strip() and raw in position:
            out.append((raw, idnumber.OK, position[raw], False, False))
            continue
        parsed = idnumber.parse(pl.Series([raw], dtype=pl.String), as_of=None).row(0, named=True)
        empty = raw is None or not raw.strip()
        invalid = parsed["id_status"] not in idnumber.LOADABLE and not empty
        out.append((parsed["id_number"], parsed["id_status"], position.get(parsed["id_number"]), empty, invalid))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(id_cells, min_size=1, max_size=50))
def test_ids_resolved_in_place_agree_with_a_row_by_row_reference(raw_ids):
    registry = _registry()[0].select("id_number", "household_id", registry_name="name").with_row_index("_member")
    frame = pl.DataFrame({"raw_id_number": raw_ids}, schema={"raw_id_number": pl.String})
    got = matching._resolve_ids(frame, registry).select(
        "id_number", pl.col("id_status").cast(pl.String), "_member", "_id_empty", "_id_invalid").rows()
    assert got == _reference_resolution(raw_ids, registry)


def test_a_row_whose_id_two_registry_persons_share_counts_for_both_of_them():
    # Not possible from the database (one ID number per year), but a frame may hold it: the
    # row is matched to each person, as a join gives (the rows are not silently dropped).
    members, households = _registry()
    members = pl.concat([members, members.head(1).with_columns(household_id=pl.lit("G9"))])
    households = pl.concat([households, households.head(1).with_columns(household_id=pl.lit("G9"),
                                                                         registered=pl.lit(False))])
    raw = pl.DataFrame({"姓名": ["人0", "人0"], "证件号码": [PEOPLE[0], PEOPLE[0].lower()],
                        "月份": [f"{YEAR}-01", f"{YEAR}-02"], "合规自付医疗费用": [30000.0, 1.0]}).with_columns(
        _sheet=pl.lit("f.parquet"), _row=pl.int_range(1, 3, dtype=pl.Int64))
    result = _run(raw, (members, households))
    assert result.stats["matched_rows"] == 4 and result.stats["households"] == 2
    evidence = {row["household_id"]: json.loads(row["evidence"]) for row in result.leads.iter_rows(named=True)}
    assert set(evidence) == {"R0", "G9"}
    assert all(e["out_of_pocket"] == 30001.0 for e in evidence.values())


def test_a_blank_id_in_the_registry_matches_no_blank_row():
    members, households = _registry()
    members = pl.concat([members, members.head(1).with_columns(id_number=pl.lit(""))])
    raw = pl.DataFrame({"姓名": ["人0"], "证件号码": [""], "月份": [f"{YEAR}-01"],
                        "合规自付医疗费用": [30000.0]}).with_columns(_sheet=pl.lit("f.parquet"), _row=pl.lit(1, pl.Int64))
    result = _run(raw, (members, households))
    assert result.issues.select("code", "row").rows() == [("D01", 1)]
    assert result.leads.height == 0 and result.stats["matched_rows"] == 0


@pytest.mark.parametrize(("month", "codes"), [
    ("  ", ["D01"]),             # blank: nothing says the period
    (None, ["D01"]),
    ("2022年3月", []),
    ("2022-13", ["D05"]),        # there, but not a month
    ("三月", ["D05"]),
])
def test_a_month_checked_once_per_distinct_value_gives_each_row_its_issue(month, codes):
    # Many rows share few months: the blank and unparsable ones are found among the distinct
    # values, and every row carrying one gets the issue.
    raw = pl.DataFrame({"姓名": ["人0", "人1", "人2"], "证件号码": PEOPLE[:3], "月份": [month, f"{YEAR}-01", month],
                        "合规自付医疗费用": ["10", "10", "10"]},
                       schema_overrides={"月份": pl.String}).with_columns(
        _sheet=pl.lit("f.csv"), _row=pl.int_range(2, 5, dtype=pl.Int64))
    issues = _run(raw, _registry()).issues
    assert issues.filter(pl.col("row") == 2)["code"].to_list() == codes
    assert issues.filter(pl.col("row") == 4)["code"].to_list() == codes
    assert issues.filter(pl.col("row") == 3).height == 0


@pytest.mark.parametrize("settled", ["  ", None, "2022-02-30", "2022/3/15"])
def test_a_settlement_date_checked_once_per_distinct_value_gives_each_row_its_issue(settled):
    raw = pl.DataFrame({"姓名": ["人0", "人1"], "证件号码": PEOPLE[:2], "结算日期": [settled, "2022-03-01"],
                        "单据号": ["A1", "A2"], "合规自付医疗费用": ["10", "10"]},
                       schema_overrides={"结算日期": pl.String}).with_columns(
        _sheet=pl.lit("f.csv"), _row=pl.int_range(2, 4, dtype=pl.Int64))
    issues = _run(raw, _registry()).issues
    expected = {"  ": ["D01"], None: ["D01"], "2022-02-30": ["D05"], "2022/3/15": []}[settled]
    assert sorted(issues.filter(pl.col("row") == 2)["code"].to_list()) == expected
    assert issues.filter(pl.col("row") == 3).height == 0
