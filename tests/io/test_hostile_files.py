"""Hostile files: each is refused with a Chinese and English message — never a crash, a traceback or
an exhausted machine — and the checks never refuse a good file.

The files are generated here (tests/io/hostile.py); nothing binary is committed. Where memory is the
danger, the read runs in a child process limited to 2 GB of address space (RLIMIT_AS): before the
checks, calamine aborted on the far cell (it asks for ~512 GB) and grew past 9 GB on the 1 GB
shared string.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import polars as pl
import pytest

from fupin.engine.matching import DepartmentFileError
from fupin.io import (
    ExchangeFormatError,
    containers,
    limits,
    read_registry,
    write_registry,
)
from fupin.io.department import read_department_file
from fupin.io.sample import make_registry
from tests.io import hostile

LIMIT = 2 * 1024**3


def refused(call, *args, error=ExchangeFormatError):
    with pytest.raises(error) as err:
        call(*args)
    e = err.value
    assert e.message_zh and e.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message_zh)
    assert e.message_en.isascii() or "'" in e.message_en
    return e


# --- in a child process limited to 2 GB -------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, resource, sys
    from fupin.engine.matching import DepartmentFileError
    from fupin.io import ExchangeFormatError, read_registry
    from fupin.io.department import read_department_file
    out = {}
    for key, how, path in json.loads(sys.argv[1]):
        try:
            if how == "registry":
                read_registry(path)
            else:
                read_department_file(path, "medical")
            out[key] = ["read", "", ""]
        except (ExchangeFormatError, DepartmentFileError) as exc:
            out[key] = ["refused", exc.message_zh, exc.message_en]
        out[key].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(json.dumps(out, ensure_ascii=False))
""")


def _limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def shared(tmp_path_factory, name: str, build) -> Path:
    """A folder built once per session, even across xdist workers (under a lock in their common root)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    target = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "done").exists():
            target.mkdir(exist_ok=True)
            build(target)
            (target / "done").write_text("")
    return target


def _read_limited(d: Path) -> None:
    jobs = [
        ("far_cell", "registry", hostile.far_cell(d / "far.xlsx")),
        ("far_cell_department", "department", hostile.far_cell_department(d / "far-dept.xlsx")),
        ("huge_shared_string", "registry", hostile.huge_shared_string(d / "string.xlsx")),
        ("huge_shared_string_department", "department", d / "string.xlsx"),
        ("stray_cell", "registry", hostile.stray_cell(d / "stray.xlsx")),
        ("rows_without_numbers", "registry", hostile.rows_without_numbers(d / "rows.xlsx")),
        ("wide_row_without_refs", "registry", hostile.wide_row_without_refs(d / "wide.xlsx")),
    ]
    spec = json.dumps([[k, how, str(p)] for k, how, p in jobs])
    proc = subprocess.run([sys.executable, "-c", CHILD, spec], capture_output=True, text=True, timeout=300,
                          preexec_fn=_limit_address_space)
    (d / "child.json").write_text(json.dumps({
        "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr[-4000:],
        "paths": {k: str(p) for k, _how, p in jobs}}))


@pytest.fixture(scope="module")
def limited_reads(tmp_path_factory):
    """The memory-danger files, read by one child process under RLIMIT_AS = 2 GB."""
    child = json.loads((shared(tmp_path_factory, "limited", _read_limited) / "child.json").read_text())
    assert child["returncode"] == 0, f"child died ({child['returncode']}): {child['stderr']}"
    assert "MemoryError" not in child["stderr"] and "Traceback" not in child["stderr"], child["stderr"]
    return json.loads(child["stdout"]), {k: Path(p) for k, p in child["paths"].items()}


def outcome(limited_reads, key):
    results, paths = limited_reads
    status, zh, en, peak_kb = results[key]
    assert status == "refused", (key, status)
    assert zh and en
    assert peak_kb < 1024 * 1024, f"{key}: peak RSS {peak_kb} KB"
    return zh, en, paths[key]


def test_far_cell_at_XFD1048576_is_refused_in_2GB_without_calamine(limited_reads):
    zh, en, path = outcome(limited_reads, "far_cell")
    assert path.stat().st_size < 4000
    assert "“人”" in zh and "1048576" in zh and "XFD" in zh and "删除" in zh
    assert "sheet '人'" in en and "XFD" in en and "far.xlsx" in en


def test_far_cell_in_a_department_file_is_refused_in_2GB(limited_reads):
    zh, en, _path = outcome(limited_reads, "far_cell_department")
    assert "医疗" in zh and "XFD" in zh and "far-dept.xlsx" in en


def test_a_1GB_shared_string_in_a_1MB_file_is_refused_in_2GB(limited_reads):
    zh, en, path = outcome(limited_reads, "huge_shared_string")
    assert path.stat().st_size < 2 << 20
    assert "sharedStrings.xml" in zh and "压缩比" in zh and "zip bomb" in en


def test_a_1GB_shared_string_in_a_department_file_is_refused_in_2GB(limited_reads):
    zh, _en, _path = outcome(limited_reads, "huge_shared_string_department")
    assert "压缩比" in zh


def test_a_stray_cell_at_Z1048576_is_refused_as_a_mostly_empty_range(limited_reads):
    zh, en, _path = outcome(limited_reads, "stray_cell")
    assert "Z1048576" in zh and "零散" in zh and "stray cells" in en


def test_1048577_rows_without_numbers_are_counted_as_calamine_counts_them(limited_reads):
    zh, en, _path = outcome(limited_reads, "rows_without_numbers")
    assert "1048579" in zh and "row 1048579" in en


def test_a_row_of_20000_cells_without_references_is_refused(limited_reads):
    zh, en, _path = outcome(limited_reads, "wide_row_without_refs")
    assert "XFD 列以后" in zh and "beyond column XFD" in en


# --- in process ---------------------------------------------------------------------------------

def test_a_row_beyond_excels_1048576_rows_is_refused(tmp_path):
    e = refused(read_registry, hostile.beyond_excel_rows(tmp_path / "b.xlsx"))
    assert "1048577" in e.message_zh and "1048576" in e.message_zh


def test_a_long_random_shared_string_passing_the_ratio_is_refused_by_the_cell_length_limit(tmp_path):
    path = hostile.long_random_string(tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        assert info.file_size / info.compress_size < 2  # no bomb: the text itself is too long
    e = refused(read_registry, path)
    assert "32767" in e.message_zh and "sharedStrings.xml" in e.message_zh
    e = refused(read_department_file, path, "medical", error=DepartmentFileError)
    assert "32767" in e.message_zh


def test_a_deeply_nested_rich_text_header_is_no_crash(tmp_path):
    # 200,000 nested runs, stored (no compression, so no ratio refusal): the header is read with
    # a streaming parser and the sheet, of unknown headers, is never loaded.
    cell = '<c r="A1" t="inlineStr"><is>' + "<r>" * 200_000 + "<t>x</t>" + "</r>" * 200_000 + "</is></c>"
    path = hostile.workbook(tmp_path / "n.xlsx", {"Sheet1": f'<row r="1">{cell}</row>'}, stored=True)
    e = refused(read_registry, path)
    assert "Sheet1" in e.message_zh
    compressed = refused(read_registry, hostile.deeply_nested(tmp_path / "c.xlsx"))
    assert "压缩比" in compressed.message_zh


def test_a_dtd_with_entities_is_refused_in_shared_strings_and_workbook(tmp_path):
    e = refused(read_registry, hostile.doctype_bomb(tmp_path / "d.xlsx"))
    assert "DOCTYPE" in e.message_zh and "sharedStrings.xml" in e.message_zh
    e = refused(read_registry, hostile.doctype_in_workbook(tmp_path / "w.xlsx"))
    assert "xl/workbook.xml" in e.message_zh


def test_too_many_sheets_and_too_many_zip_entries_are_refused(tmp_path):
    e = refused(read_registry, hostile.too_many_sheets(tmp_path / "s.xlsx"))
    assert "302" in e.message_zh and str(limits.MAX_SHEETS) in e.message_zh
    e = refused(read_registry, hostile.many_entries(tmp_path / "e.xlsx"))
    assert str(limits.MAX_ZIP_ENTRIES) in e.message_zh


def test_a_zip_entry_whose_declared_size_lies_is_refused_as_corrupt(tmp_path):
    e = refused(read_registry, hostile.lying_size(tmp_path / "l.xlsx"))
    assert "CRC" in e.message_zh and "l.xlsx" in e.message_zh


def test_a_text_file_named_xlsx_is_refused(tmp_path):
    e = refused(read_registry, hostile.text_as_xlsx(tmp_path / "t.xlsx"))
    assert "t.xlsx" in e.message_zh
    e = refused(read_department_file, tmp_path / "t.xlsx", "medical", error=DepartmentFileError)
    assert "t.xlsx" in e.message_zh


def test_more_shared_strings_than_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS", 100)
    e = refused(read_registry, hostile.too_many_shared_strings(tmp_path / "s.xlsx", 101))
    assert "100" in e.message_zh


def test_a_dense_range_over_the_cell_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 1000)
    rows = "".join(f'<row r="{r}">' + "".join(hostile.number(f"{hostile.col(c)}{r}", 1) for c in range(1, 21))
                   + "</row>" for r in range(1, 61))
    e = refused(read_registry, hostile.workbook(tmp_path / "d.xlsx", {**hostile.registry_sheets(), "人": rows}))
    assert "60 行 × 20 列" in e.message_zh and "1200" in e.message_zh


def test_an_entry_inflating_over_the_ratio_is_refused_before_anything_is_read(tmp_path):
    e = refused(read_registry, hostile.deeply_nested(tmp_path / "r.xlsx"))
    assert f"{limits.MAX_COMPRESSION_RATIO}:1" in e.message_zh


# --- archives -----------------------------------------------------------------------------------

def test_a_zip_bomb_of_a_csv_folder_is_refused_before_unpacking(tmp_path):
    bomb = hostile.zip_bomb(tmp_path / "bomb.zip")
    into = tmp_path / "unpacked"
    e = refused(limits.unpack_zip, bomb, into)
    assert "households.csv" in e.message_zh and "压缩比" in e.message_zh
    assert not into.exists() or not any(into.iterdir())
    refused(limits.check_zip_archive, bomb)
    refused(read_registry, bomb)  # given as a file, it is checked as a workbook container


def test_an_archive_over_the_total_size_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", 1 << 20)
    folder = hostile.csv_giant_line(tmp_path / "reg", size=2 << 20)
    e = refused(limits.unpack_zip, hostile.csv_folder_zip(tmp_path / "big.zip", folder), tmp_path / "out")
    assert "1.0 MB" in e.message_zh


@pytest.mark.parametrize("name", ["../evil.csv", "registry/../../evil.csv", "/tmp/evil.csv"])
def test_an_archive_path_leaving_the_folder_is_refused_and_nothing_is_written(tmp_path, name):
    into = tmp_path / "a" / "unpacked"
    e = refused(limits.unpack_zip, hostile.traversal_zip(tmp_path / "t.zip", name), into)
    assert "不安全" in e.message_zh and "unsafe" in e.message_en
    assert not (tmp_path / "a" / "evil.csv").exists() and not (tmp_path / "evil.csv").exists()
    assert not into.exists()


def test_an_archive_with_a_symlink_is_refused(tmp_path):
    e = refused(limits.unpack_zip, hostile.symlink_zip(tmp_path / "s.zip"), tmp_path / "out")
    assert "符号链接" in e.message_zh and "members.csv" in e.message_zh
    assert not (tmp_path / "out").exists()


def test_a_good_archive_unpacks_to_its_single_folder_and_reads(tmp_path):
    h, m = make_registry(50)
    write_registry(tmp_path / "registry", h, m)
    folder = limits.unpack_zip(hostile.csv_folder_zip(tmp_path / "r.zip", tmp_path / "registry"), tmp_path / "out")
    assert folder == (tmp_path / "out" / "registry").resolve()
    reg = read_registry(folder)
    assert reg.households.height == 50 and reg.members.height == 150


# --- Parquet --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["list", "struct", "binary", "map"])
def test_a_parquet_column_that_is_no_plain_scalar_is_refused_naming_it(tmp_path, kind):
    import pyarrow as pa

    table = pa.table({"户编号": ["H1"], "备注": hostile.NESTED_COLUMNS[kind]})
    e = refused(read_registry, hostile.parquet_registry(tmp_path / "p", households=table))
    assert "“备注”" in e.message_zh and "'备注'" in e.message_en and "households.parquet" in e.message_zh
    e = refused(read_department_file, hostile.parquet_with_column(tmp_path / f"{kind}.parquet", kind), "medical",
                error=DepartmentFileError)
    assert "“备注”" in e.message_zh


def test_an_empty_or_unreadable_parquet_is_a_message(tmp_path):
    folder = hostile.parquet_registry(tmp_path / "p")
    hostile.empty_file(folder / "households.parquet")
    e = refused(read_registry, folder)
    assert "households.parquet" in e.message_zh and "空" in e.message_zh
    e = refused(read_department_file, hostile.empty_file(tmp_path / "e.parquet"), "medical", error=DepartmentFileError)
    assert "e.parquet" in e.message_zh
    (tmp_path / "g.parquet").write_bytes(b"PAR1 not really")
    e = refused(read_department_file, tmp_path / "g.parquet", "medical", error=DepartmentFileError)
    assert "g.parquet" in e.message_zh
    e = refused(read_department_file, hostile.zero_row_parquet(tmp_path / "z.parquet"), "medical",
                error=DepartmentFileError)
    assert "没有数据行" in e.message_zh and "no data rows" in e.message_en


def test_a_parquet_claiming_20_million_rows_in_57KB_is_refused(tmp_path):
    folder = hostile.parquet_registry(tmp_path / "p")
    hostile.parquet_rle_bomb(folder / "households.parquet")
    e = refused(read_registry, folder)
    assert "20000000" in e.message_zh


# --- CSV ----------------------------------------------------------------------------------------

def test_a_csv_line_of_20MB_is_refused_naming_the_line(tmp_path):
    e = refused(read_registry, hostile.csv_giant_line(tmp_path / "c"))
    assert "第 2 行" in e.message_zh and "households.csv" in e.message_zh and "line 2" in e.message_en


def test_a_csv_header_of_100000_columns_is_refused(tmp_path):
    e = refused(read_registry, hostile.csv_wide_header(tmp_path / "c"))
    assert "100000" in e.message_zh and str(limits.MAX_SHEET_COLUMNS) in e.message_zh


def test_a_csv_cell_longer_than_excels_limit_is_refused(tmp_path):
    e = refused(read_registry, hostile.csv_long_cell(tmp_path / "c"))
    assert "32767" in e.message_zh and "第 2 行" in e.message_zh


def test_a_giant_csv_line_in_a_department_file_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("姓名,证件号码\n张三,".encode() + b"9" * (3 << 20) + b"\n")
    e = refused(read_department_file, path, "medical", error=DepartmentFileError)
    assert "第 2 行" in e.message_zh


# --- good files pass -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    h, m = make_registry(20_000)
    d = shared(tmp_path_factory, "genuine", lambda d: write_registry(d / "r.xlsx", h, m))
    return d / "r.xlsx", h, m


def test_a_genuine_20000_household_workbook_passes_every_check_and_reads_as_before(genuine, monkeypatch):
    path, h, m = genuine
    scan = limits.check_xlsx(path)
    assert scan.sheets["人"].max_row == m.height + 1 and scan.sheets["人"].cells > m.height
    reg = read_registry(path)
    assert reg.issues.filter(pl.col("severity") == "error").height == 0
    assert reg.households.select(h.columns).equals(h)
    assert reg.members.select(m.columns).equals(m)
    # As before the header-first read: every sheet loaded whole to find its header.
    monkeypatch.setattr(containers, "peek_grid",
                        lambda scan, name, reader=None, rows=30: (lambda g: (g[0].head(rows), g[1]))(
                            containers.load_grid(reader, scan.path, name)))
    before = read_registry(path)
    for table in ("households", "members", "regions", "issues"):
        assert getattr(reg, table).equals(getattr(before, table)), table
    assert reg.raw.keys() == before.raw.keys() and all(reg.raw[k].equals(before.raw[k]) for k in reg.raw)


def test_dimension_is_not_trusted_16384_columns_declared_only_in_dimension_is_read(genuine, tmp_path):
    path, h, m = genuine
    lying = hostile.lying_dimension(tmp_path / "lying.xlsx", path)
    with zipfile.ZipFile(lying) as zf:
        assert b'<dimension ref="A1:XFD1048576"/>' in zf.read("xl/worksheets/sheet2.xml")[:2000]
    reg = read_registry(lying)
    assert reg.households.select(h.columns).equals(h)
    assert reg.members.select(m.columns).equals(m)


def test_a_department_workbook_reads_only_its_best_sheet(tmp_path):
    rows = hostile.header_row(hostile.MEDICAL_HEADERS) + '<row r="2">' + hostile.inline("A2", "张三") + \
        hostile.inline("B2", "500101197001011234") + hostile.number("C2", 2022) + hostile.number("D2", 100) + "</row>"
    other = hostile.header_row(["备注"]) + '<row r="2">' + hostile.inline("A2", "x") + "</row>"
    path = hostile.workbook(tmp_path / "m.xlsx", {"说明": other, "医疗": rows})
    frame = read_department_file(path, "medical")
    assert frame.height == 1 and frame["姓名"].to_list() == ["张三"] and frame["_sheet"][0] == "医疗"


# --- the scanner agrees with calamine ------------------------------------------------------------

A1 = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
SHAPES = {
    "styled_empty": A1 + '<row r="1000"><c r="Z1000" s="0"/></row>',
    "inline_empty": A1 + '<row r="1000"><c r="Z1000" t="inlineStr"><is><t></t></is></c></row>',
    "no_r": '<row><c t="inlineStr"><is><t>a</t></is></c>' + "<c/>" * 50 + "<c><v>1</v></c></row>" + "<row/>" * 5
            + "<row><c><v>2</v></c></row>",
    "cell_r_wins_over_row_r": A1 + '<row r="2"><c r="C3000"><v>1</v></c></row>',
    "prefixed": A1 + '<x:row r="5"><x:c r="AB5"><x:v>1</x:v></x:c></x:row>',
    "r_not_first": A1 + '<row r="7"><c s="0" r="AC7"><v>1</v></c></row>',
    "rows_without_r": A1 + '<row r="10"><c r="B10"><v>1</v></c></row><row><c r="C11"><v>1</v></c></row>'
                      '<row><c><v>3</v></c></row>',
    "mixed": '<row r="3"><c r="D3"><v>1</v></c><c><v>2</v></c><c s="1"><v>3</v></c></row>'
             '<row spans="1:3"><c><v>1</v></c></row>',
    "shared_formula": A1 + '<row r="2"><c r="B2"><f t="shared" si="0"/><v>1</v></c><c r="E2" s="1"/></row>',
    "spaces_around_equals": A1 + '<row r = "4"><c r = "F4"><v>1</v></c></row>',
    "lower_case": A1 + '<row r="4"><c r="g4"><v>1</v></c></row>',
    "newline_before_r": A1 + '<row r="4"><c\nr="H4"><v>1</v></c></row>',
    "self_closing_row": A1 + '<row r="8"/><row><c><v>1</v></c></row>',
    "many_rows": "".join(
        f'<row r="{r}">' + "".join(f'<c r="{hostile.col(c)}{r}" s="1"' + ("/>" if (r * c) % 7 == 0 else "><v>1</v></c>")
                                   for c in range(1, 30)) + "</row>" for r in range(1, 8000)),
    "many_rows_without_r": "".join(
        "<row>" + "<c><v>1</v></c>" * (r % 37) + "</row>" for r in range(1, 20000)),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_scanner_finds_the_range_calamine_builds(tmp_path, shape):
    import fastexcel

    path = hostile.workbook(tmp_path / "x.xlsx", {"S": SHAPES[shape]}, root_attrs=f' xmlns:x="{hostile.NS}"')
    extent = limits.check_xlsx(path).sheets["S"]
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
    columns = [c.absolute_index + 1 for c in sheet.selected_columns]
    values = pl.DataFrame(sheet.to_arrow()).select(pl.all().is_not_null().sum()).sum_horizontal()[0]
    assert (extent.max_row, extent.min_col, extent.max_col, extent.cells) == \
        (sheet.height, min(columns), max(columns), values)


def test_header_peek_equals_the_first_rows_of_the_whole_sheet(genuine, tmp_path):
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人"
    ws.append(["2023 年人员表"])
    ws.append([])
    ws.append(["户编号", "姓名", "证件号码", CellRichText([TextBlock(InlineFont(b=True), "与户"), "主关系"])])
    for i in range(40):
        ws.append([f"H{i}", "张三", "500101197001011234", "户主", i])
    wb.save(tmp_path / "o.xlsx")
    for path in (genuine[0], tmp_path / "o.xlsx"):
        scan, reader = containers.open_workbook(Path(path))
        for name in reader.sheet_names:
            top, cols = containers.peek_grid(scan, name, reader)
            whole, whole_cols = containers.load_grid(reader, Path(path), name)
            assert cols == whole_cols
            assert top.equals(whole.head(30)), (path, name)


def test_text_runs_are_measured_across_chunk_boundaries():
    def longest_ok(pieces, limit=100):
        runs = limits._TextRuns(limit)
        try:
            for piece in pieces:
                runs.feed(piece)
            runs.finish()
        except limits._TooLong:
            return False
        return True

    # A run is everything between two '<' (here "a>" and the x's).
    assert longest_ok([b"<a>" + b"x" * 98 + b"<", b"/a>"])
    assert not longest_ok([b"<a>" + b"x" * 99 + b"<", b"/a>"])
    assert not longest_ok([b"<a>" + b"x" * 60, b"x" * 60 + b"</a>"])           # across two chunks
    assert not longest_ok([b"<a>" + b"x" * 40, b"x" * 40, b"x" * 40 + b"<"])  # across three
    assert not longest_ok([b"<a>" + b"x" * 30, b"x" * 30 + b"</a><b>" + b"y" * 101])  # the last run
    assert longest_ok([(b"<a>" + b"x" * 98) * 1000 + b"<"])


def test_a_refused_sheet_leaves_no_inflating_thread_behind(tmp_path):
    import threading

    # The far cell comes first: the scan stops at once while the helper thread is inflating ahead.
    rows = "".join(f'<row r="{r}">' + hostile.inline(f"A{r}", "x" * 50) + "</row>" for r in range(1, 200_000))
    path = hostile.workbook(tmp_path / "t.xlsx", {**hostile.registry_sheets(), "人": '<row r="1048577">'
                                                  + hostile.inline("A1048577", "x") + "</row>" + rows})
    before = threading.active_count()
    refused(limits.check_xlsx, path)
    assert threading.active_count() == before
