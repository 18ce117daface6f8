"""The cell types of the money and ID columns read from the sheet XML (containers._typed_cells)
give exactly what calamine's typed second load gives, and the lookup steps aside (calamine
decides) whenever the XML is in any form it does not read with certainty."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest

from fupin.io import containers, read_registry, write_registry
from tests.io.io_helpers import households_frame, members_frame, pid


def _read_both(path, monkeypatch):
    """read_xlsx by the XML lookup and by calamine alone; also whether the lookup answered."""
    answered = []
    lookup = containers._typed_cells

    def spy(scan, raw, kinds):
        grid = lookup(scan, raw, kinds)
        answered.append(grid is not None)
        return grid

    monkeypatch.setattr(containers, "_typed_cells", spy)
    fast = containers.read_xlsx(path)
    monkeypatch.setattr(containers, "_typed_cells", lambda *a: None)
    slow = containers.read_xlsx(path)
    monkeypatch.setattr(containers, "_typed_cells", lookup)
    return fast, slow, answered


def _assert_same(fast, slow):
    assert [r.sheet for r in fast] == [r.sheet for r in slow]
    for a, b in zip(fast, slow, strict=True):
        assert a.frame.equals(b.frame), a.sheet
        assert (a.numeric_id_rows is None) == (b.numeric_id_rows is None), a.sheet
        if a.numeric_id_rows is not None:
            assert sorted(a.numeric_id_rows.to_list()) == sorted(b.numeric_id_rows.to_list()), a.sheet


def _registry_workbook(tmp_path, name="r.xlsx"):
    h = households_frame([
        {"household_id": "H1", "wage_income": 1 / 3, "transfer_income": 1500.5},
        {"household_id": "H2", "wage_income": 12000.0, "transfer_income": 0.1 + 0.2},
        {"household_id": "H3", "wage_income": 2.5e-7, "transfer_income": 123456789.123456},
    ])
    m = members_frame()
    extra = m.head(1).with_columns(household_id=pl.lit("H2"), id_number=pl.lit(pid(date(1980, 1, 1), 33)))
    extra3 = m.head(1).with_columns(household_id=pl.lit("H3"), id_number=pl.lit(pid(date(1981, 2, 2), 44)))
    path = tmp_path / name
    write_registry(path, h, m.vstack(extra).vstack(extra3))
    return path


def _edit(path, edits):
    """Change cells with openpyxl: {(sheet, header, row index from 0): (value, number_format)}."""
    wb = openpyxl.load_workbook(path)
    for (sheet, header, index), (value, fmt) in edits.items():
        ws = wb[sheet]
        col = [c.value for c in ws[1]].index(header) + 1
        cell = ws.cell(row=2 + index, column=col)
        cell.value = value
        if fmt:
            cell.number_format = fmt
    wb.save(path)
    return path


def _rewrite_sheet(path, sheet_index, change):
    """Rewrite one worksheet's XML text with ``change`` (bytes -> bytes)."""
    out = path.with_name("x_" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                data = change(data)
            dst.writestr(info, data)
    return out


def test_plain_workbook_is_read_from_the_xml_and_matches_calamine(tmp_path, monkeypatch):
    path = _registry_workbook(tmp_path)
    fast, slow, answered = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert answered and all(answered)


def test_ids_and_amounts_stored_as_numbers_match_calamine(tmp_path, monkeypatch):
    path = _registry_workbook(tmp_path)
    first_id = openpyxl.load_workbook(path)["人"]["D2"].value
    _edit(path, {
        ("人", "证件号码", 0): (int(first_id[:17] + "0"), None),      # a number cell
        ("人", "证件号码", 1): (True, None),                           # a boolean cell
        ("户", "工资性收入", 0): (1 / 3, None),
        ("户", "转移性收入", 1): ("12.5", None),                        # text of a number
        ("户", "转移性收入", 2): (0.1 + 0.2, "#,##0.00"),               # a plain custom format
    })
    fast, slow, answered = _read_both(path, monkeypatch)
    _assert_same(fast, slow)
    assert all(answered)
    members = next(r for r in fast if r.kind == "members")
    assert members.numeric_id_rows.len() == 2


@pytest.mark.parametrize("edit", [
    ("户", "工资性收入", 0, datetime(2020, 1, 2), "yyyy-mm-dd"),   # a date to calamine
    ("户", "工资性收入", 0, 12.5, '"¥"#,##0.00'),                    # a format with a quote
    ("户", "工资性收入", 0, "=1/3", None),                           # a formula
    ("户", "工资性收入", 0, True, None),                             # a boolean among amounts
    ("户", "工资性收入", 0, "inf", None),                            # text the parsers may differ on
    ("户", "工资性收入", 0, " 1.5", None),
    ("人", "证件号码", 0, datetime(2020, 1, 2), "yyyy-mm-dd"),
])
def test_unusual_cells_match_calamine(tmp_path, monkeypatch, edit):
    sheet, header, index, value, fmt = edit
    path = _edit(_registry_workbook(tmp_path), {(sheet, header, index): (value, fmt)})
    fast, slow, _answered = _read_both(path, monkeypatch)
    _assert_same(fast, slow)


def _lowercase_refs(data: bytes) -> bytes:
    return re.sub(rb'<c r="([A-Z]+)', lambda m: b'<c r="' + m.group(1).lower(), data)


@pytest.mark.parametrize("change", [
    _lowercase_refs,
    lambda d: re.sub(rb'<c r="[A-Z]+[0-9]+" ', b"<c ", d),                       # positions implied
    lambda d: d.replace(b'<c r="', b"<c  r=\""),                                  # other spacing
    lambda d: d.replace(b"<sheetData>", b"<sheetData><!-- <c r=\"D9\"><v>1</v></c> -->"),
    lambda d: re.sub(rb'<c r="([A-Z]+)([0-9]+)"', rb"<c r='\1\2'", d),           # single quotes
    lambda d: d.replace(b'<c r="', b'<c r="$'),
])
def test_unusual_xml_is_left_to_calamine(tmp_path, monkeypatch, change):
    path = _edit(_registry_workbook(tmp_path), {("人", "证件号码", 0): (500101198001010000, None),
                                                 ("户", "工资性收入", 0): (1 / 3, None)})
    for index in (1, 2):
        path = _rewrite_sheet(path, index, change)
    try:
        fast, slow, answered = _read_both(path, monkeypatch)
    except Exception as exc:  # calamine may refuse such a file outright: then both refuse alike
        with pytest.raises(type(exc)):
            containers.read_xlsx(path)
        return
    _assert_same(fast, slow)
    assert not any(answered)


def test_import_outcome_is_the_same_either_way(tmp_path, monkeypatch):
    path = _registry_workbook(tmp_path)
    first_id = openpyxl.load_workbook(path)["人"]["D2"].value
    _edit(path, {("人", "证件号码", 0): (int(first_id[:17] + "0"), None), ("户", "工资性收入", 1): (1 / 7, None)})
    fast = read_registry(path)
    monkeypatch.setattr(containers, "_typed_cells", lambda *a: None)
    slow = read_registry(path)
    for a, b in ((fast.households, slow.households), (fast.members, slow.members), (fast.issues, slow.issues)):
        assert a.equals(b)
