"""Hostile files, generated on the fly for the limits tests and the benchmark (nothing binary is kept).

Workbooks are written by hand with :mod:`zipfile` (the XML parts as a spreadsheet would hold
them), so that each one is exactly the attack it names: a cell at XFD1048576, a 1 GB shared
string in a 1 MB file, a dimension that lies, a DTD, an entry whose declared size lies, ...
"""

from __future__ import annotations

import random
import re
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.parquet as pq

from fupin.engine import schema

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HOUSEHOLD_HEADERS = [f.zh for f in schema.fields("households", exchange_only=True)]
MEMBER_HEADERS = [f.zh for f in schema.fields("members", exchange_only=True)]
MEDICAL_HEADERS = ["姓名", "证件号码", "年度", "合规自付医疗费用"]

Chunks = bytes | str | Iterable[bytes]


def col(n: int) -> str:
    """1 -> A, 16384 -> XFD."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def number(ref: str, value) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def header_row(headers: list[str], r: int = 1) -> str:
    return f'<row r="{r}">' + "".join(inline(f"{col(i)}{r}", h) for i, h in enumerate(headers, 1)) + "</row>"


def _parts(content: Chunks) -> Iterable[bytes]:
    if isinstance(content, str):
        yield content.encode()
    elif isinstance(content, bytes):
        yield content
    else:
        for piece in content:
            yield piece.encode() if isinstance(piece, str) else piece


def sheet_xml(sheet_data: Chunks, *, dimension: str | None = None, root_attrs: str = "") -> Iterable[bytes]:
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}" '
           f'xmlns:r="{NS_R}"{root_attrs}>').encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from _parts(sheet_data)
    yield b"</sheetData></worksheet>"


def workbook(path: Path, sheets: dict[str, Chunks], *, shared_strings: Chunks | None = None,
             dimension: str | None = None, compresslevel: int = 6, stored: bool = False,
             extra: dict[str, bytes] | None = None, workbook_prolog: str = "", root_attrs: str = "") -> Path:
    """An .xlsx of the given sheets (their <sheetData> content, streamed into the zip)."""
    path = Path(path)
    names = list(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1))
    if shared_strings is not None:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>")
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{NS_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    book = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{workbook_prolog}'
        f'<workbook xmlns="{NS}" xmlns:r="{NS_R}"><sheets>'
        + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
        + "</sheets></workbook>")
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i}" Type="{NS_R}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in range(1, len(names) + 1))
        + (f'<Relationship Id="rId{len(names) + 1}" Type="{NS_R}/sharedStrings" Target="sharedStrings.xml"/>'
           if shared_strings is not None else "")
        + "</Relationships>")
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method, compresslevel=None if stored else compresslevel) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", book)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, name in enumerate(names, 1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as fh:
                for piece in sheet_xml(sheets[name], dimension=dimension, root_attrs=root_attrs):
                    fh.write(piece)
        if shared_strings is not None:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
                for piece in _parts(shared_strings):
                    fh.write(piece)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def registry_sheets(far: str | None = None) -> dict[str, str]:
    """户 and 人 with their headers and one household; ``far`` adds a cell there on 人."""
    households = header_row(HOUSEHOLD_HEADERS) + '<row r="2">' + inline("A2", "H1") + number("B2", 2023) + "</row>"
    members = header_row(MEMBER_HEADERS) + '<row r="2">' + inline("A2", "H1") + inline("C2", "张三") + "</row>"
    if far:
        digits = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        members += f'<row r="{digits}">{inline(far, "x")}</row>'
    return {"户": households, "人": members}


# --- the corpus -----------------------------------------------------------------------------

def far_cell(path: Path, ref: str = "XFD1048576") -> Path:
    """A 1.7 KB workbook whose 人 sheet has a header at A1 and one cell at XFD1048576."""
    return workbook(path, registry_sheets(far=ref))


def far_cell_department(path: Path, ref: str = "XFD1048576") -> Path:
    digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    data = header_row(MEDICAL_HEADERS) + f'<row r="{digits}">{inline(ref, "x")}</row>'
    return workbook(path, {"医疗": data})


def stray_cell(path: Path) -> Path:
    """A small table and one stray value at Z1048576: a 26-million-cell range holding ~40 values."""
    return workbook(path, registry_sheets(far="Z1048576"))


def beyond_excel_rows(path: Path) -> Path:
    """A row numbered 1,048,577: more rows than Excel has."""
    return workbook(path, registry_sheets(far="A1048577"))


def rows_without_numbers(path: Path, rows: int = 1_048_577) -> Path:
    """1,048,577 rows without r (each the row after the previous), then a value: row 1,048,578."""
    members = header_row(MEMBER_HEADERS) + "".join(["<row/>"] * rows) + '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(path, {**registry_sheets(), "人": members}, stored=True)


def wide_row_without_refs(path: Path, cells: int = 20_000) -> Path:
    """One row of 20,000 cells without r: columns A..ADDX (calamine counts them one by one)."""
    members = header_row(MEMBER_HEADERS) + "<row>" + "<c><v>1</v></c>" * cells + "</row>"
    return workbook(path, {**registry_sheets(), "人": members})


def deeply_nested(path: Path, depth: int = 200_000) -> Path:
    """An unknown sheet whose first cell nests 200,000 rich-text runs (a tree-building parser's trap)."""
    cell = '<c r="A1" t="inlineStr"><is>' + "<r>" * depth + "<t>x</t>" + "</r>" * depth + "</is></c>"
    return workbook(path, {"Sheet1": f'<row r="1">{cell}</row>'})


def lying_dimension(path: Path, source: Path) -> Path:
    """A genuine workbook whose every sheet declares <dimension ref="A1:XFD1048576"/> (Excel's maximum)."""
    return rewrite(source, path, lambda name, data: _redimension(data) if "worksheets/" in name else data)


def _redimension(data: bytes) -> bytes:
    if b"<dimension" in data:
        return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data, count=1)
    return data.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)


def rewrite(source: Path, target: Path, fn) -> Path:
    """A copy of a zip with each entry's bytes passed through ``fn(name, data)``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, fn(info.filename, src.read(info)))
    return Path(target)


def huge_shared_string(path: Path, size: int = 1 << 30) -> Path:
    """~1 MB on disk, a 1 GB string in xl/sharedStrings.xml (deflate at ~1000:1)."""
    def strings():
        yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>'
        block = b"a" * (64 << 20)
        left = size
        while left > 0:
            yield block[:left]
            left -= len(block)
        yield "</t></si></sst>"
    sheets = registry_sheets()
    sheets["人"] += '<row r="3"><c r="A3" t="s"><v>0</v></c></row>'
    return workbook(path, sheets, shared_strings=strings(), compresslevel=9)


def long_random_string(path: Path, size: int = 2 << 20) -> Path:
    """A 2 MB shared string of random letters: compresses ~1.3:1 (no bomb), but 64x Excel's cell limit."""
    rng = random.Random(1)
    text = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=size))
    strings = f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
    return workbook(path, registry_sheets(), shared_strings=strings)


def too_many_shared_strings(path: Path, n: int) -> Path:
    strings = f'<sst xmlns="{NS}">' + "<si><t>x</t></si>" * n + "</sst>"
    return workbook(path, registry_sheets(), shared_strings=strings, stored=True)


def doctype_bomb(path: Path) -> Path:
    """'Billion laughs' in the shared strings: ten levels of ten entities, 10^9 'lol's."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    strings = (f'<?xml version="1.0"?>\n<!DOCTYPE sst [{entities}]>\n'
               f'<sst xmlns="{NS}"><si><t>&lol9;</t></si></sst>')
    return workbook(path, registry_sheets(), shared_strings=strings)


def doctype_in_workbook(path: Path) -> Path:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(f'<!ENTITY a{i} "{"&a;" * 10}">' for i in range(1, 3))
    return workbook(path, registry_sheets(), workbook_prolog=f"<!DOCTYPE workbook [{entities}]>\n")


def too_many_sheets(path: Path, n: int = 300) -> Path:
    sheets = registry_sheets()
    sheets.update({f"S{i}": "" for i in range(n)})
    return workbook(path, sheets)


def many_entries(path: Path, n: int = 20_000) -> Path:
    return workbook(path, registry_sheets(), extra={f"xl/media/e{i}.bin": b"" for i in range(n)})


def lying_size(path: Path, real_rows: int = 50_000) -> Path:
    """The 人 sheet declares in the zip a tenth of its real uncompressed size (and keeps its CRC)."""
    members = header_row(MEMBER_HEADERS) + "".join(
        f'<row r="{r}">{inline(f"A{r}", f"H{r}")}</row>' for r in range(2, real_rows))
    workbook(path, {**registry_sheets(), "人": members})
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    smaller = (info.file_size // 10).to_bytes(4, "little")
    local = info.header_offset
    data[local + 22:local + 26] = smaller
    marker = b"PK\x01\x02"
    pos = data.find(marker)
    while pos >= 0:
        name_len = int.from_bytes(data[pos + 28:pos + 30], "little")
        if data[pos + 46:pos + 46 + name_len] == b"xl/worksheets/sheet2.xml":
            data[pos + 24:pos + 28] = smaller
        pos = data.find(marker, pos + 4)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def text_as_xlsx(path: Path) -> Path:
    Path(path).write_text("户编号,姓名\nH1,张三\n", encoding="utf-8")
    return Path(path)


# --- archives -------------------------------------------------------------------------------

def zip_bomb(path: Path, size: int = 300 << 20) -> Path:
    """A zipped CSV folder whose households.csv inflates 1000:1 (300 MB from ~300 KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("registry/households.csv", "w", force_zip64=True) as fh:
            fh.write("户编号,年度\n".encode())
            block = b"0" * (16 << 20)
            left = size
            while left > 0:
                fh.write(block[:left])
                left -= len(block)
        zf.writestr("registry/members.csv", "户编号,姓名\n".encode())
    return Path(path)


def traversal_zip(path: Path, name: str = "../evil.csv") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("registry/households.csv", "户编号\n")
        zf.writestr(name, "x")
    return Path(path)


def symlink_zip(path: Path, target: str = "/etc/passwd") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("registry/households.csv", "户编号\n")
        info = zipfile.ZipInfo("registry/members.csv")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return Path(path)


def csv_folder_zip(path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, Path(folder.name) / p.relative_to(folder))
        zf.writestr("__MACOSX/._x", b"")
    return Path(path)


# --- CSV and Parquet ------------------------------------------------------------------------

def csv_giant_line(folder: Path, size: int = 20 << 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "households.csv", "wb") as fh:
        fh.write(",".join(HOUSEHOLD_HEADERS[:3]).encode() + b"\n")
        fh.write(b"H1,2023," + b"x" * size + b"\n")
    (folder / "members.csv").write_text(",".join(MEMBER_HEADERS[:3]) + "\n", encoding="utf-8")
    return folder


def csv_wide_header(folder: Path, columns: int = 100_000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "households.csv").write_text(",".join(f"c{i}" for i in range(columns)) + "\n1\n", encoding="utf-8")
    (folder / "members.csv").write_text(",".join(MEMBER_HEADERS[:3]) + "\n", encoding="utf-8")
    return folder


def csv_long_cell(folder: Path, chars: int = 100_000) -> Path:
    """A quoted cell of 100,000 characters over many short lines (no line is long)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(["一二三四五六七八九十" * 10] * (chars // 100))
    (folder / "households.csv").write_text(",".join(HOUSEHOLD_HEADERS[:3]) + f'\nH1,2023,"{text}"\n', encoding="utf-8")
    (folder / "members.csv").write_text(",".join(MEMBER_HEADERS[:3]) + "\n", encoding="utf-8")
    return folder


def parquet_registry(folder: Path, households: pa.Table | None = None, members: pa.Table | None = None) -> Path:
    """A Parquet folder; tables default to one plain row each."""
    folder.mkdir(parents=True, exist_ok=True)
    households = households if households is not None else pa.table({"户编号": ["H1"], "年度": [2023]})
    members = members if members is not None else pa.table({"户编号": ["H1"], "姓名": ["张三"]})
    pq.write_table(households, folder / "households.parquet")
    pq.write_table(members, folder / "members.parquet")
    return folder


NESTED_COLUMNS = {
    "list": pa.array([[1, 2]], type=pa.list_(pa.int64())),
    "struct": pa.array([{"a": 1, "b": "x"}], type=pa.struct([("a", pa.int64()), ("b", pa.string())])),
    "binary": pa.array([b"\x00\x01"], type=pa.binary()),
    "map": pa.array([[("k", 1)]], type=pa.map_(pa.string(), pa.int64())),
}


def parquet_with_column(path: Path, kind: str, base: dict | None = None) -> Path:
    base = base or {"姓名": ["张三"], "证件号码": ["500101197001011234"], "年度": ["2023"], "合规自付医疗费用": ["100"]}
    columns = {k: pa.array(v) for k, v in base.items()}
    columns["备注"] = NESTED_COLUMNS[kind]
    pq.write_table(pa.table(columns), path)
    return Path(path)


def parquet_rle_bomb(path: Path, rows: int = 20_000_000) -> Path:
    """A few KB of run-length encoding claiming 20 million rows of one value."""
    table = pa.table({"户编号": pa.array(["H1"] * 1_000_000)})
    writer = pq.ParquetWriter(str(path), table.schema, compression="zstd", use_dictionary=True)
    try:
        for _ in range(rows // table.num_rows):
            writer.write_table(table)
    finally:
        writer.close()
    return Path(path)


def empty_file(path: Path) -> Path:
    Path(path).write_bytes(b"")
    return Path(path)


def zero_row_parquet(path: Path) -> Path:
    pq.write_table(pa.table({"姓名": pa.array([], pa.string()), "证件号码": pa.array([], pa.string())}), path)
    return Path(path)

