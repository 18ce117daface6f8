"""Limits on what an imported file may make the reader allocate, and the checks enforcing them.

A workbook, an archive or a Parquet file is small on disk and can describe something enormous: an
.xlsx holding one cell at XFD1048576 makes calamine allocate the whole range A1..XFD1048576
(17 billion cells, ~512 GB); a 1 MB shared-strings part can inflate to a 1 GB string; a zip of a
CSV folder can unpack to terabytes. The checks here look at the file *before* any parser does,
with bounded memory (zip entries are streamed in chunks, never read whole), and refuse with an
:class:`~fupin.io.errors.ExchangeFormatError` saying — in Chinese and English — which file, which
sheet or column, what is too big and what to do.

What is checked, where:

* :func:`check_xlsx` — every .xlsx before calamine opens it (``containers.read_xlsx``,
  ``department.read_department_file``): the zip container (entries, sizes, compression ratio),
  each worksheet's real extent (from the cells' own references — the ``<dimension>`` element is
  not trusted, calamine does not use it either), long text runs in any XML part, the number of
  shared strings. It returns where each sheet lives, for the header-first read.
* :func:`check_zip_archive` / :func:`unpack_zip` — a zipped CSV or Parquet folder: no path may
  leave the target, no symlinks, sizes and ratios within the limits, all checked before anything
  is written.
* :func:`check_csv` — a CSV file's longest line and header width, before polars reads it.
* :func:`check_parquet_schema` / :func:`check_parquet_size` — a Parquet file's column types
  (plain scalars only) and the rows it claims, before it is read.
"""

from __future__ import annotations

import os
import posixpath
import queue
import re
import stat
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote
from xml.parsers import expat

import numpy as np
import polars as pl

from fupin.io.errors import ExchangeFormatError

# --- the limits ------------------------------------------------------------------------------

# Excel's own limits (Excel 2007 and later): a sheet has at most 1,048,576 rows and 16,384
# columns (A..XFD), and a cell holds at most 32,767 characters. A file Excel wrote never exceeds
# them, so whatever lies beyond was not made by Excel and is refused.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767

# Rows of a sheet: Excel's maximum. A members sheet of a whole province may fill it.
MAX_SHEET_ROWS = EXCEL_MAX_ROWS

# Columns of a sheet: the widest exchange layout (the flat national export, household and member
# fields side by side) has about 62 columns; 1,024 leaves room for any number of extra columns a
# county adds, while a sheet reaching column XFD is refused before calamine allocates its range.
MAX_SHEET_COLUMNS = 1_024

# Cells of a sheet's used range (rows x columns from the first to the last cell with a value).
# calamine allocates this whole rectangle, 32 bytes per cell, before returning anything: 64
# columns x 1,048,576 rows (the widest layout at Excel's full height) is a 2 GiB range, the most
# an accepted sheet can cost; A1..XFD1048576 (17 billion cells, 512 GiB) is refused.
MAX_SHEET_CELLS = 64 * EXCEL_MAX_ROWS

# A used range larger than SPARSE_SHEET_CELLS (4 Mi cells, a 128 MiB range) must have at least one
# cell with a value for every MIN_SHEET_DENSITY cells of its area. A real table is dense — even
# one with many empty optional columns fills a fifth of its range — whereas one stray cell far
# from the table (or a crafted file) makes calamine allocate gigabytes of empty cells for nothing.
SPARSE_SHEET_CELLS = 4 * 1024 * 1024
MIN_SHEET_DENSITY = 16

# Sheets in a workbook: the format uses three (户, 人, 区划); Excel has no fixed limit.
MAX_SHEETS = 256

# Strings in the shared-strings table (calamine keeps them all in memory, ~40 bytes each plus the
# text). A full-height sheet has at most ~16 distinct texts per row in any registry (names, ID
# numbers, addresses, phone numbers; the coded columns repeat), so 16 Mi is ample.
MAX_SHARED_STRINGS = 16 * 1024 * 1024

# Longest run of XML text between two tags (a cell's text, an attribute). Excel's cell limit is
# 32,767 characters; in UTF-8 XML a character takes at most 4 bytes, 6 as an entity such as
# &quot; (10 as &#1114111;), so 16 bytes per character bounds any text Excel can write. A longer
# run is a 'string bomb' (one 1 GB string in a 1 MB file), refused before calamine loads it.
MAX_XML_TEXT_BYTES = 16 * EXCEL_MAX_CELL_CHARS

# Any zip (the .xlsx container itself, or an uploaded archive of a CSV/Parquet folder):
# - the total uncompressed size: the largest legitimate workbook — 1,048,575 members and their
#   households — unpacks to about 1.6 GB of XML; 4 GiB also matches the upload limit of an archive.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
# - the number of entries: a workbook has a dozen, a CSV/Parquet folder a handful of files (a
#   partitioned Parquet dataset a few per county); the central directory of a million is refused.
MAX_ZIP_ENTRIES = 10_000
# - the compression ratio, per entry and over the whole archive: registry XML compresses 9-12:1,
#   a sheet of numbers only ~30:1, CSV 4-8:1; deflate's maximum is ~1,032:1 and that is what
#   zip bombs use. 200:1 is far above any real file and far below a bomb. Entries smaller than
#   RATIO_GRACE_BYTES uncompressed are not held to it (a tiny repetitive part is harmless).
MAX_COMPRESSION_RATIO = 200
RATIO_GRACE_BYTES = 1024 * 1024

# Header-first reading: the header is looked for in the first HEADER_SCAN_ROWS rows (a title row
# or two above it is common), and at most HEADER_PEEK_BYTES of a sheet's XML are read to find them.
HEADER_SCAN_ROWS = 30
HEADER_PEEK_BYTES = 16 * 1024 * 1024

# CSV: the longest physical line. A registry line is ~1-2 KB; a line holding one cell of Excel's
# maximum length in Chinese is ~100 KB. polars needs ~6x a line's length to read it (a 100 MB
# line took 626 MB), and a header line of many separators makes one column each (200,000
# columns took 485 MB); files smaller than the limit cannot hold a longer line and are not scanned.
MAX_CSV_LINE_BYTES = 1024 * 1024

# Parquet: a few bytes of run-length encoding can claim a billion rows. A table may have at most
# MAX_TABLE_ROWS rows (16x Excel's sheet, more than any province's registry) and
# MAX_TABLE_CELLS cells (rows x columns), and beyond SPARSE_SHEET_CELLS cells no more than
# MAX_CELLS_PER_BYTE cells per byte of file (real registries store 0.5-5 cells per byte).
MAX_TABLE_ROWS = 16 * EXCEL_MAX_ROWS
MAX_TABLE_CELLS = 256 * EXCEL_MAX_ROWS
MAX_CELLS_PER_BYTE = 1_024

# Chunk in which zip entries and files are streamed by the checks.
SCAN_CHUNK_BYTES = 4 * 1024 * 1024


# --- helpers ---------------------------------------------------------------------------------

def column_letters(column: int) -> str:
    """1 -> A, 16384 -> XFD."""
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters or "?"


def _size(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 1024**2:
        return f"{n / 1024**2:.1f} MB"
    return f"{n / 1024:.0f} KB"


def _refuse(zh: str, en: str) -> ExchangeFormatError:
    return ExchangeFormatError(zh, en)


def _corrupt(name: str, detail: str) -> ExchangeFormatError:
    return ExchangeFormatError(
        f"文件“{name}”已损坏，无法读取（{detail}）。请用 Excel 打开并另存为 .xlsx 后再导入。",
        f"file '{name}' is corrupt and cannot be read ({detail}); open it in Excel and save it again as .xlsx",
    )


# --- zip archives ----------------------------------------------------------------------------

def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _check_entries(infos: list[zipfile.ZipInfo], name: str, *, what_zh: str, what_en: str) -> None:
    """Entries, sizes and compression ratios of a zip, from its central directory."""
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _refuse(
            f"{what_zh}“{name}”中有 {len(infos)} 个文件，超过上限 {MAX_ZIP_ENTRIES} 个，未读取。请只打包需要导入的文件。",
            f"{what_en} '{name}' holds {len(infos)} entries, more than the limit of {MAX_ZIP_ENTRIES}; "
            "pack only the files to import",
        )
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(
            f"{what_zh}“{name}”解压后共 {_size(total)}，超过上限 {_size(MAX_UNCOMPRESSED_BYTES)}，未读取。"
            "请拆分成几个较小的文件后分批导入。",
            f"{what_en} '{name}' unpacks to {_size(total)}, more than the limit of {_size(MAX_UNCOMPRESSED_BYTES)}; "
            "split it into smaller files and import them one by one",
        )
    worst = max(((i.file_size / max(i.compress_size, 1), i) for i in infos if i.file_size > RATIO_GRACE_BYTES),
                default=(0.0, None), key=lambda t: t[0])
    overall = total / max(packed, 1) if total > RATIO_GRACE_BYTES else 0.0
    if worst[0] > MAX_COMPRESSION_RATIO or overall > MAX_COMPRESSION_RATIO:
        ratio, entry = worst if worst[0] >= overall else (overall, None)
        part = f"中的“{entry.filename}”" if entry is not None else "整体"
        part_en = f"entry '{entry.filename}'" if entry is not None else "the archive as a whole"
        raise _refuse(
            f"{what_zh}“{name}”{part}的压缩比为 {ratio:.0f}:1（解压后 {_size(entry.file_size if entry else total)}），"
            f"超过上限 {MAX_COMPRESSION_RATIO}:1，疑似“压缩炸弹”，未读取。请用 Excel 或压缩软件重新保存后再导入。",
            f"{what_en} '{name}': {part_en} has a compression ratio of {ratio:.0f}:1 "
            f"(unpacks to {_size(entry.file_size if entry else total)}), above the limit of "
            f"{MAX_COMPRESSION_RATIO}:1 — a likely zip bomb; nothing was read. Save it again with Excel or a zip tool",
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(
                f"{what_zh}“{name}”中的“{info.filename}”设有密码，无法读取。请去掉密码后重新打包。",
                f"{what_en} '{name}': entry '{info.filename}' is encrypted; remove the password and pack it again",
            )


def check_zip_archive(path) -> list[zipfile.ZipInfo]:
    """Check an archive of a CSV or Parquet folder before anything is unpacked; returns its entries.

    Refuses: a file that is no zip, more than :data:`MAX_ZIP_ENTRIES` entries, a total over
    :data:`MAX_UNCOMPRESSED_BYTES`, a ratio over :data:`MAX_COMPRESSION_RATIO`, encrypted entries,
    absolute paths or ``..`` (any path leaving the folder it is unpacked into), symlinks and other
    special files, and two entries of the same name.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(
            f"压缩包“{path.name}”已损坏或不是 zip 文件（{exc}），未读取。请重新打包（.zip）后上传。",
            f"archive '{path.name}' is corrupt or not a zip file ({exc}); pack the folder again as .zip",
        ) from None
    _check_entries(infos, path.name, what_zh="压缩包", what_en="archive")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if (not name or name.startswith(("/", "\\")) or ".." in parts or "\0" in name
                or (parts and len(parts[0]) >= 2 and parts[0][1] == ":")):
            raise _refuse(
                f"压缩包“{path.name}”中的路径“{name}”不安全（指向压缩包以外），未导入。请只打包需要导入的文件夹。",
                f"archive '{path.name}': the path '{name}' is unsafe (it leads outside the folder); nothing was imported",
            )
        kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
        if _is_symlink(info) or kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(
                f"压缩包“{path.name}”中的“{name}”是符号链接或特殊文件，未导入。请只打包普通文件。",
                f"archive '{path.name}': '{name}' is a symbolic link or special file; pack plain files only",
            )
        key = "/".join(parts).rstrip("/").lower()
        if key in seen:
            raise _refuse(
                f"压缩包“{path.name}”中有两个同名的“{name}”，未导入。请重新打包。",
                f"archive '{path.name}' holds '{name}' twice; pack the folder again",
            )
        seen.add(key)
    return infos


def unpack_zip(archive, into) -> Path:
    """Unpack a zipped CSV or Parquet folder into ``into``, after :func:`check_zip_archive`.

    Every entry is streamed to its file within ``into``; an entry that decompresses to more than
    its declared size, or whose CRC is wrong, stops the unpacking with a message. Returns the
    folder to read: the single top-level folder when there is exactly one (``__MACOSX`` and dot
    files ignored), else ``into`` itself.
    """
    archive = Path(archive)
    infos = check_zip_archive(archive)
    root = Path(into).resolve()
    root.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in infos:
                rel = PurePosixPath(info.filename.replace("\\", "/"))
                target = (root / rel).resolve()
                if target != root and root not in target.parents:
                    raise _refuse(
                        f"压缩包“{archive.name}”中的路径“{info.filename}”不安全（指向压缩包以外），未导入。",
                        f"archive '{archive.name}': the path '{info.filename}' is unsafe; nothing was imported",
                    )
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(SCAN_CHUNK_BYTES):
                        written += len(chunk)
                        if written > MAX_UNCOMPRESSED_BYTES:
                            raise _refuse(
                                f"压缩包“{archive.name}”解压后超过上限 {_size(MAX_UNCOMPRESSED_BYTES)}，未导入。",
                                f"archive '{archive.name}' unpacks to more than {_size(MAX_UNCOMPRESSED_BYTES)}",
                            )
                        dst.write(chunk)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise _refuse(
            f"压缩包“{archive.name}”已损坏，无法解压（{exc}），未导入。请重新打包后上传。",
            f"archive '{archive.name}' is corrupt and cannot be unpacked ({exc}); pack the folder again",
        ) from None
    entries = [p for p in root.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root


# --- xlsx ------------------------------------------------------------------------------------

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass
class SheetExtent:
    """Where a sheet lives in the workbook and how far its cells with values reach (1-based)."""

    name: str
    entry: str
    min_row: int = 0
    max_row: int = 0
    min_col: int = 0
    max_col: int = 0
    cells: int = 0
    # Every cell tag of the sheet read <c r="A1" with an uppercase reference of 1-3 letters and
    # 1-7 digits, no namespace prefix: a cell's position is then its r alone, so a reader
    # looking for one column's cells may match that text (fupin.io.containers does, for the
    # cell types of a few columns).
    plain_refs: bool = False

    @property
    def area(self) -> int:
        if not self.cells:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)


@dataclass
class XlsxScan:
    """What :func:`check_xlsx` found: the sheets in workbook order and the shared-strings part."""

    path: Path
    sheets: dict[str, SheetExtent] = field(default_factory=dict)
    shared_strings: str | None = None
    shared_string_count: int = 0


class _TooLong(Exception):
    pass


class _HasDoctype(Exception):
    pass


_ELEMENT_START = re.compile(rb"<[A-Za-z_]")


class _TextRuns:
    """Longest run of bytes without '<' in a stream, checked in O(len / limit) finds per chunk.

    Any run of at least ``limit`` bytes contains a whole aligned segment of ``limit // 2`` bytes;
    only segments without '<' are measured exactly. Runs crossing chunk boundaries are carried.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.half = max(limit // 2, 1)
        self.carry = 0
        self.prolog = True
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.prolog:
            # No Excel part has a DTD; one is refused (entity expansion, 'billion laughs'). It can
            # only stand before the root element (after it the XML parsers reject it anyway).
            if b"<!DOCTYPE" in self.tail + chunk:
                raise _HasDoctype
            self.tail = chunk[-9:]
            self.prolog = _ELEMENT_START.search(chunk) is None
        first = chunk.find(b"<")
        if first < 0:
            self.carry += len(chunk)
            if self.carry > self.limit:
                raise _TooLong
            return
        if self.carry + first > self.limit:
            raise _TooLong
        last = chunk.rfind(b"<")
        pos = first + 1
        half = self.half
        while pos + half <= last:
            if chunk.find(b"<", pos, pos + half) >= 0:
                pos += half
                continue
            start = chunk.rfind(b"<", 0, pos) + 1
            end = chunk.find(b"<", pos + half)
            if end - start > self.limit:
                raise _TooLong
            pos = end + 1
        self.carry = len(chunk) - last - 1

    def finish(self) -> None:
        """The end of the part: its last run too."""
        if self.carry > self.limit:
            raise _TooLong


def _is_letter(x: np.ndarray) -> np.ndarray:
    return ((x >= 65) & (x <= 90)) | ((x >= 97) & (x <= 122))


def _is_digit(x: np.ndarray) -> np.ndarray:
    return (x >= 48) & (x <= 57)


def _is_space(x: np.ndarray) -> np.ndarray:
    return (x == 0x20) | (x == 0x09) | (x == 0x0A) | (x == 0x0D)


def _is_delim(x: np.ndarray) -> np.ndarray:
    return _is_space(x) | (x == 0x2F) | (x == 0x3E)


def _leading(masks: list[np.ndarray]) -> np.ndarray:
    """How many of the masks hold from the first on (per element)."""
    acc = masks[0].copy()
    n = acc.astype(np.int64)
    for m in masks[1:]:
        acc &= m
        n += acc
    return n


_FAR = 1 << 40   # a position beyond any limit (a reference too long to be Excel's)


class _Restart(Exception):
    """A sheet needs the general path after parts read by the fast one: scan it again."""


def _find2(data: bytes, pattern: bytes, n: int | None = None) -> np.ndarray:
    """Positions of a 2-byte pattern in data[:n] (numpy compares of the data seen as 16-bit words)."""
    value = int.from_bytes(pattern, "little")
    n = len(data) if n is None else n
    even = np.flatnonzero(np.frombuffer(data, "<u2", count=n // 2) == value) * 2
    odd = np.flatnonzero(np.frombuffer(data, "<u2", offset=1, count=(n - 1) // 2) == value) * 2 + 1
    return np.concatenate([even, odd])


def _parse_refs(a: np.ndarray, s: np.ndarray, *, letters: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, ok) of the references starting at positions ``s`` and ending with '"'.

    ``letters=False`` parses a row number only. Up to 4 letters and 8 digits are read; more make
    the value :data:`_FAR` (beyond every limit), which is what matters for the checks.
    """
    if letters:
        b = [a[s + i] for i in range(4)]
        nl = _leading([_is_letter(x) for x in b])
        v = [(x | 0x20).astype(np.int64) - 96 for x in b[:3]]
        col = np.where(nl == 1, v[0], np.where(nl == 2, v[0] * 26 + v[1], v[0] * 676 + v[1] * 26 + v[2]))
        col = np.where(nl >= 4, _FAR, col)
        if (nl >= 4).any():  # skip any further letters
            more = [_is_letter(a[s + 4 + i]) for i in range(8)]
            nl = nl + np.where(nl >= 4, _leading(more), 0)
    else:
        nl = np.zeros(s.size, dtype=np.int64)
        col = np.zeros(s.size, dtype=np.int64)
    d0 = s + nl
    digits = [a[d0 + i] for i in range(9)]
    nd = _leading([_is_digit(x) for x in digits])
    row = np.zeros(s.size, dtype=np.int64)
    for i in range(8):
        row = np.where(i < nd, row * 10 + (digits[i].astype(np.int64) - 48), row)
    row = np.where(nd >= 8, _FAR, row)
    ok = (nd > 0) & (nd < 9) & (a[d0 + np.minimum(nd, 8)] == 0x22)
    if letters:
        ok &= (nl > 0) & (nl < 12)
    return row, col, ok


_B = 0x0101010101010101       # one in every byte
_HIGH = 0x8080808080808080    # the high bit of every byte


def _bytes_in(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Per byte of x (uint64): its high bit set where lo <= byte <= hi (bytes >= 0x80 never)."""
    low7 = x & np.uint64(0x7F7F7F7F7F7F7F7F)
    ge = (low7 + np.uint64((0x80 - lo) * _B)) & np.uint64(_HIGH)
    gt = (low7 + np.uint64((0x7F - hi) * _B)) & np.uint64(_HIGH)
    return ge & ~gt & ~(x & np.uint64(_HIGH))


def _count_low_bytes(flags: np.ndarray) -> np.ndarray:
    """How many of the lowest bytes have their flag (high bit) set, before the first one that has not."""
    missing = ~flags & np.uint64(_HIGH)
    lowest = missing & (~missing + np.uint64(1))
    below = (lowest - np.uint64(1)) & np.uint64(_HIGH)   # all flags when none is missing
    return _popcount(below).astype(np.int64)


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    out = np.zeros(x.shape, dtype=np.int64)   # numpy < 2: the high bits of bytes, counted
    for i in range(8):
        out += ((x >> np.uint64(8 * i + 7)) & np.uint64(1)).astype(np.int64)
    return out


def _parse_fast(part: bytes, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort keys of the references ``A1"`` at positions ``s`` (at least 24 bytes from the end).

    Returns (row key, column key, ok). Eight bytes are read per reference at once (a uint64 view
    of the data at any offset) and the letters, then the digits, found with whole-word arithmetic.
    The keys order like the numbers they stand for — (count of digits, the digits big-endian),
    (count of letters, the letters) — so that only the extremes need converting
    (:func:`_row_of_key`, :func:`_col_of_key`).
    """
    words = np.ndarray(shape=(len(part) - 8,), dtype="<u8", buffer=part, strides=(1,))
    x = words[s]
    nl = _count_low_bytes(_bytes_in(x | np.uint64(0x2020202020202020), 0x61, 0x7A))
    nl_ok = np.clip(nl, 1, 3).astype(np.uint64)
    y = words[s + nl_ok.astype(np.int64)]
    nd = _count_low_bytes(_bytes_in(y, 0x30, 0x39))
    ok = (nl >= 1) & (nl <= 3) & (nd >= 1) & (nd <= 7)
    nd_ok = np.clip(nd, 1, 7).astype(np.uint64)
    bits = np.uint64(8) * nd_ok
    ok &= ((y >> bits) & np.uint64(0xFF)) == np.uint64(0x22)
    digits = (y & ((np.uint64(1) << bits) - np.uint64(1))).byteswap() >> (np.uint64(64) - bits)
    row_key = (nd_ok << np.uint64(56)) | digits
    lbits = np.uint64(8) * nl_ok
    letters = ((x | np.uint64(0x2020202020202020)) & ((np.uint64(1) << lbits) - np.uint64(1))).byteswap() \
        >> (np.uint64(64) - lbits)
    col_key = (nl_ok << np.uint64(56)) | letters
    return row_key, col_key, ok


def _uppercase(part: bytes, s: np.ndarray) -> bool:
    """Whether the letters of every reference at ``s`` are uppercase (calamine's form of A1)."""
    words = np.ndarray(shape=(len(part) - 8,), dtype="<u8", buffer=part, strides=(1,))
    x = words[s]
    upper = _count_low_bytes(_bytes_in(x, 0x41, 0x5A))
    either = _count_low_bytes(_bytes_in(x | np.uint64(0x2020202020202020), 0x61, 0x7A))
    return bool((upper == either).all())


def _row_of_key(key: int) -> int:
    n = key >> 56
    return int((key & ((1 << 56) - 1)).to_bytes(n, "big").decode("ascii"))


def _col_of_key(key: int) -> int:
    n = key >> 56
    col = 0
    for ch in (key & ((1 << 56) - 1)).to_bytes(n, "big"):
        col = col * 26 + (ch & 0x1F)
    return col


_ATTR_R = re.compile(rb"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{1,4})([0-9]{1,9})")
_PLAIN_REF = re.compile(rb"[A-Z]{1,3}[0-9]{1,7}")
_WINDOW = 64
_GENERAL_PIECE = 1 << 20


def _ref(value: bytes, *, letters: bool) -> tuple[int, int]:
    """(row, column) of a reference; :data:`_FAR` for what calamine could not make sense of."""
    if not letters:
        return (int(value), 0) if value.isdigit() and len(value) <= 8 else (_FAR, 0)
    m = _REF.fullmatch(value)
    if not m:
        return _FAR, _FAR
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ch - 64
    return int(m.group(2)), col


class _SheetScan:
    """The real extent of a worksheet's cells, from its XML in consecutive parts.

    Follows calamine's rules: a cell with ``r`` sits there; a cell without takes the column after
    the previous cell of the row (the first column after a row ends); a row with ``r`` sets the
    row, a row without it is the row after the previous one. A self-closing cell holds no value
    and is skipped (as calamine does); ``<c r="B2"></c>`` counts although calamine would skip it
    too (conservative). ``<dimension>`` is not read: calamine does not trust it either.

    Each part is handled with numpy at the positions of '<' (no Python step per cell), for
    any attribute order and with or without ``r``; a tag whose ``r`` is not its first attribute
    is parsed on its own. A part where an element name carries a namespace prefix other than
    the root element's (``<x:c>`` in a sheet whose root is ``<worksheet>``) is parsed tag by tag.
    """

    def __init__(self, extent: SheetExtent, prefix: bytes = b""):
        self.extent = extent
        self.prefix = prefix
        self.row = 1    # 1-based row the next cell without r falls in
        self.col = 1    # 1-based column the next cell without r falls in
        self.general = False
        self.fast_parts = 0
        self.plain = True   # see SheetExtent.plain_refs; only the fast path keeps it

    # -- per part
    def feed(self, part: bytes, n: int | None = None) -> None:
        """The next ``part[:n]`` of the sheet's XML, ending just before a '<'."""
        n = len(part) if n is None else n
        if n <= 0:
            return
        if self.prefix:
            part = part[:n].replace(b"<" + self.prefix, b"<").replace(b"</" + self.prefix, b"</")
            n = len(part)
        if not self.general:
            if self._fast(part, n):
                self.fast_parts += 1
                return
            if self.fast_parts:
                # The carried row/column are only kept by the general path: start again with it.
                raise _Restart
            self.general = True
        # In pieces of ~1 MB cut before a '<': the general path keeps a dozen arrays per tag.
        start = 0
        while start < n:
            end = n if n - start <= _GENERAL_PIECE else part.rfind(b"<", start + 1, start + _GENERAL_PIECE)
            if end <= start:
                end = n
            self._general(part[start:end])
            start = end

    def _fast(self, part: bytes, n: int) -> bool:
        """Every cell reads ``<c r="…"``: only the cells are looked at. False when another form occurs."""
        a = np.frombuffer(part, dtype=np.uint8, count=n)
        if part.find(b":", 0, n) >= 0:
            for q in (_find2(part, b":c", n), _find2(part, b":r", n)):
                q = q[q + 5 < n]
                if q.size and (_is_delim(a[q + 2]) | ((a[q + 2] == 0x6F) & (a[q + 3] == 0x77) & _is_delim(a[q + 4]))).any():
                    return False
        c = _find2(part, b"<c", n)
        if c.size == 0:
            return True
        tail = c[c + _WINDOW >= n]
        c = c[c + _WINDOW < n]
        c = c[_is_delim(a[c + 2])]
        if not ((a[c + 2] == 0x20) & (a[c + 3] == 0x72) & (a[c + 4] == 0x3D) & (a[c + 5] == 0x22)).all():
            return False
        extra: list[tuple[int, int]] = []
        for start in tail.tolist():  # the last cells of the part, too close to its end for the windows
            if start + 2 >= n or part[start + 2:start + 3] not in (b" ", b"\t", b"\n", b"\r", b"/", b">"):
                continue
            tag_end = part.find(b">", start, n)
            if tag_end < 0 or not part.startswith(b' r="', start + 2):
                return False
            m = _ATTR_R.search(part, start + 2, tag_end + 1)
            if not m:
                return False
            value = m.group(1) if m.group(1) is not None else m.group(2)
            if m.group(1) is None or not _PLAIN_REF.fullmatch(value):
                self.plain = False
            if part[tag_end - 1:tag_end] != b"/":
                extra.append(_ref(value, letters=True))
        for r0, c0 in extra:
            _add(self.extent, 1, r0, r0, c0, c0)
        row_key, col_key, ok = _parse_fast(part, c + 6)
        if self.plain and c.size and not (ok.all() and _uppercase(part, c + 6)):
            self.plain = False
        valued = np.ones(c.size, dtype=bool)
        ends = _find2(part, b"/>", n)
        if ends.size and c.size:
            order = np.argsort(c, kind="stable")
            c, row_key, col_key, ok = c[order], row_key[order], col_key[order], ok[order]
            j = np.searchsorted(c, ends) - 1
            has = j >= 0
            ends, j = ends[has], j[has]
            owner = c[j]
            near = (ends - owner) < _WINDOW
            ends, j, owner = ends[near], j[near], owner[near]
            if ends.size:
                window = a[owner[:, None] + 1 + np.arange(_WINDOW)[None, :]]
                inside = np.arange(_WINDOW)[None, :] < (ends - owner - 1)[:, None]
                alone = ~((window == 0x3C) & inside).any(axis=1)
                valued[j[alone]] = False
        good = valued & ok
        if good.any():
            rk, ck = row_key[good], col_key[good]
            _add(self.extent, int(good.sum()), _row_of_key(int(rk.min())), _row_of_key(int(rk.max())),
                 _col_of_key(int(ck.min())), _col_of_key(int(ck.max())))
        odd = valued & ~ok
        if odd.any():
            # References of another shape (4+ letters, 8+ digits, '$', …): the exact parser.
            row, col, fine = _parse_refs(a, c[odd] + 6, letters=True)
            row, col = np.where(fine, row, _FAR), np.where(fine, col, _FAR)
            _add(self.extent, int(odd.sum()), int(row.min()), int(row.max()), int(col.min()), int(col.max()))
        return True

    def _general(self, part: bytes) -> None:
        n = len(part)
        a = np.frombuffer(part + b"\0" * (_WINDOW + 32), dtype=np.uint8)
        colon = np.flatnonzero(a[:n] == 0x3A)
        if colon.size:
            c1 = a[colon + 1]
            odd = ((c1 == 0x63) & _is_delim(a[colon + 2])) | (
                (c1 == 0x72) & (a[colon + 2] == 0x6F) & (a[colon + 3] == 0x77) & _is_delim(a[colon + 4]))
            if odd.any():
                self._by_tag(part)
                return
        lt = np.flatnonzero(a[:n] == 0x3C)
        if lt.size == 0:
            return
        b1 = a[lt + 1]
        sel = (b1 == 0x63) | (b1 == 0x72) | ((b1 == 0x2F) & (a[lt + 2] == 0x72))
        ev = lt[sel]
        if ev.size == 0:
            return
        b1 = b1[sel]
        is_cell = (b1 == 0x63) & _is_delim(a[ev + 2])
        is_row = (b1 == 0x72) & (a[ev + 2] == 0x6F) & (a[ev + 3] == 0x77) & _is_delim(a[ev + 4])
        is_close = ((b1 == 0x2F) & (a[ev + 3] == 0x6F) & (a[ev + 4] == 0x77)
                    & (_is_space(a[ev + 5]) | (a[ev + 5] == 0x3E)))
        keep = is_cell | is_row | is_close
        ev, is_cell, is_row, is_close = ev[keep], is_cell[keep], is_row[keep], is_close[keep]
        if ev.size == 0:
            return
        gt = np.flatnonzero(a[:n] == 0x3E)
        if gt.size == 0:
            self._by_tag(part)
            return
        end = gt[np.minimum(np.searchsorted(gt, ev), gt.size - 1)]
        end = np.where(end > ev, end, n)                     # unterminated: conservative
        selfclosing = (end < n) & (a[np.minimum(end, n) - 1] == 0x2F)

        # r of cells and rows: -1 none; parsed where it is the first attribute, else looked up.
        name_len = np.where(is_cell, 1, 3)
        attrs = ev + 1 + name_len                            # the delimiter after the name
        first_r = (_is_space(a[attrs]) & (a[attrs + 1] == 0x72) & (a[attrs + 2] == 0x3D) & (a[attrs + 3] == 0x22)
                   & ~is_close)
        rr = np.full(ev.size, -1, dtype=np.int64)
        rc = np.full(ev.size, -1, dtype=np.int64)
        if first_r.any():
            idx = np.flatnonzero(first_r)
            cells_here = is_cell[idx]
            starts = attrs[idx] + 4
            if cells_here.any():
                ci = idx[cells_here]
                row, col, ok = _parse_refs(a, starts[cells_here], letters=True)
                rr[ci], rc[ci] = np.where(ok, row, _FAR), np.where(ok, col, _FAR)
            if (~cells_here).any():
                ri = idx[~cells_here]
                row, _col, ok = _parse_refs(a, starts[~cells_here], letters=False)
                rr[ri] = np.where(ok, row, _FAR)
        # Tags with attributes but no r first: does an r appear anywhere in the tag?
        other = ~first_r & ~is_close & (end - attrs > 1)
        if other.any():
            oi = np.flatnonzero(other)
            short = (end[oi] - attrs[oi]) < _WINDOW
            window = a[attrs[oi][:, None] + np.arange(_WINDOW)[None, :]]
            inside = np.arange(_WINDOW)[None, :] < (end[oi] - attrs[oi])[:, None]
            maybe_r = (window[:, 1:] == 0x72) & _is_space(window[:, :-1]) & inside[:, 1:]
            look = oi[maybe_r.any(axis=1) | ~short]
            for i in look.tolist():
                m = _ATTR_R.search(part, int(attrs[i]), int(end[i]) + 1)
                if m:
                    value = m.group(1) if m.group(1) is not None else m.group(2)
                    rr[i], rc[i] = _ref(value, letters=bool(is_cell[i]))
        self._apply(is_cell, is_row, is_close, selfclosing, rr, rc)

    def _apply(self, is_cell, is_row, is_close, selfclosing, rr, rc) -> None:
        """Positions of the cells from the ordered events of one part, then the carried state."""
        # A self-closing row is a row and its end: add the end right after it.
        if (is_row & selfclosing).any():
            rep = np.where(is_row & selfclosing, 2, 1)
            pos = np.repeat(np.arange(is_cell.size), rep)
            second = np.zeros(pos.size, dtype=bool)
            second[1:] = pos[1:] == pos[:-1]
            is_cell, is_row, is_close = is_cell[pos] & ~second, is_row[pos] & ~second, is_close[pos] | second
            selfclosing, rr, rc = selfclosing[pos], rr[pos], rc[pos]
        n = is_cell.size
        idx = np.arange(n)
        # Row of every event: the last row start with r (or the carried row), plus the row ends
        # since then.
        closes = np.cumsum(is_close)
        known = is_row & (rr >= 0)
        last = np.maximum.accumulate(np.where(known, idx, -1))
        base = np.where(last >= 0, rr[np.maximum(last, 0)], self.row)
        closes_at_base = np.where(last >= 0, closes[np.maximum(last, 0)], 0)
        row_now = base + closes - closes_at_base
        # Column of a cell without r: the last anchor before it (a cell with r: its column + 1; a
        # row end: 1; the carried column) plus the cells in between.
        cells = np.cumsum(is_cell)
        has_r = is_cell & (rr >= 0)
        anchor = has_r | is_close
        anchor_next = np.where(has_r, rc + 1, 1)
        prev = np.empty(n, dtype=np.int64)
        prev[0] = -1
        prev[1:] = np.maximum.accumulate(np.where(anchor, idx, -1))[:-1]
        next_col = np.where(prev >= 0, anchor_next[np.maximum(prev, 0)], self.col)
        between = cells - 1 - np.where(prev >= 0, cells[np.maximum(prev, 0)], 0)
        col_now = next_col + between
        cell_row = np.where(has_r, rr, row_now)
        cell_col = np.where(has_r, rc, col_now)
        valued = is_cell & ~selfclosing
        if valued.any():
            r, c = cell_row[valued], cell_col[valued]
            _add(self.extent, int(valued.sum()), int(r.min()), int(r.max()), int(c.min()), int(c.max()))
        # Carried state: the row now, and the column after the last cell (or 1 after a row end).
        self.row = int(row_now[-1])
        last_anchor = int(np.maximum.accumulate(np.where(anchor, idx, -1))[-1])
        cells_after = int(cells[-1] - (cells[last_anchor] if last_anchor >= 0 else 0))
        start = int(anchor_next[last_anchor]) if last_anchor >= 0 else self.col
        self.col = start + cells_after

    def _by_tag(self, part: bytes) -> None:
        """The same rules, one tag at a time (a part with unusual namespace prefixes)."""
        e = self.extent
        for m in _TAG.finditer(part):
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            selfclosing = attrs.endswith(b"/")
            r = _ATTR_R.search(b" " + attrs)
            value = (r.group(1) if r.group(1) is not None else r.group(2)) if r else None
            if name == b"row":
                if closing:
                    self.row += 1
                    self.col = 1
                    continue
                if value is not None:
                    self.row = _ref(value, letters=False)[0]
                if selfclosing:
                    self.row += 1
                    self.col = 1
                continue
            if closing:
                continue
            pos = _ref(value, letters=True) if value is not None else (self.row, self.col)
            self.col = pos[1] + 1
            if not selfclosing:
                _add(e, 1, pos[0], pos[0], pos[1], pos[1])


def _add(e: SheetExtent, count: int, rmin: int, rmax: int, cmin: int, cmax: int) -> None:
    if e.cells == 0:
        e.min_row, e.max_row, e.min_col, e.max_col = rmin, rmax, cmin, cmax
    else:
        e.min_row, e.max_row = min(e.min_row, rmin), max(e.max_row, rmax)
        e.min_col, e.max_col = min(e.min_col, cmin), max(e.max_col, cmax)
    e.cells += count


_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(c|row)(?=[\s/>])([^>]*)>")


class _Unsafe(Exception):
    pass


def safe_expat(namespaces: bool = False):
    """An expat parser that refuses any DTD (so no entity can be declared, let alone expanded)."""
    parser = expat.ParserCreate(namespace_separator="}" if namespaces else None)

    def refuse(*_args):
        raise _Unsafe

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _sheet_targets(zf: zipfile.ZipFile, names: set[str], path: Path) -> list[tuple[str, str]]:
    """(sheet name, zip entry) in workbook order, from xl/workbook.xml and its relationships."""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, tuple[str, str]] = {}

    def on_workbook(name: str, attrs: dict) -> None:
        if name.rsplit("}", 1)[-1] == "sheet":
            rid = attrs.get(f"{_NS_REL}}}id") or attrs.get("id") or ""
            sheets.append((attrs.get("name", ""), rid))

    lower = {n.lower(): n for n in names}

    def resolve(target: str) -> str:
        """The entry a relationship target names (as a reader might resolve it: absolute or
        relative to xl/, %-escapes decoded, any letter case)."""
        for raw in (target, unquote(target)):
            for candidate in (raw.lstrip("/"), posixpath.normpath("xl/" + raw), raw):
                found = candidate if candidate in names else lower.get(candidate.lower())
                if found:
                    return found
        return ""

    def on_rels(name: str, attrs: dict) -> None:
        if name.rsplit("}", 1)[-1] == "Relationship":
            target = attrs.get("Target", "")
            targets[attrs.get("Id", "")] = (resolve(target), attrs.get("Type", ""))

    def parse(entry: str, handler) -> bool:
        if entry not in names:
            return False
        runs = _TextRuns(MAX_XML_TEXT_BYTES)
        parser = safe_expat(namespaces=True)
        parser.StartElementHandler = handler
        try:
            with zf.open(entry) as fh:
                while chunk := fh.read(SCAN_CHUNK_BYTES):
                    runs.feed(chunk)
                    parser.Parse(chunk, False)
                runs.finish()
                parser.Parse(b"", True)
        except _TooLong:
            raise _long_text(path, entry, None) from None
        except (_HasDoctype, _Unsafe):
            raise _doctype(path, entry) from None
        except expat.ExpatError as exc:
            raise _corrupt(path.name, f"{entry}: {exc}") from None
        return True

    if not parse("xl/workbook.xml", on_workbook):
        raise _corrupt(path.name, "xl/workbook.xml missing")
    parse("xl/_rels/workbook.xml.rels", on_rels)
    out = [(name, targets.get(rid, ("", ""))[0]) for name, rid in sheets]
    out += [("", entry) for entry, _type in targets.values() if entry and entry not in {e for _n, e in out}]
    if len(out) > MAX_SHEETS:
        raise _refuse(
            f"文件“{path.name}”中有 {len(out)} 张工作表，超过上限 {MAX_SHEETS} 张，未读取。"
            "请只保留需要导入的工作表（户、人、区划）后另存再导入。",
            f"file '{path.name}' has {len(out)} sheets, more than the limit of {MAX_SHEETS}; "
            "keep only the sheets to import and save it again",
        )
    return out


def _long_text(path: Path, entry: str, sheet: str | None) -> ExchangeFormatError:
    if sheet is not None:
        where_zh, where_en = f"工作表“{sheet}”中", f"sheet '{sheet}'"
    elif entry.lower().endswith("sharedstrings.xml"):
        where_zh, where_en = "共享文字表（sharedStrings.xml）中", "the shared strings (sharedStrings.xml)"
    else:
        where_zh, where_en = f"“{entry}”中", f"part '{entry}'"
    return _refuse(
        f"文件“{path.name}”的{where_zh}有一段文字超过 {EXCEL_MAX_CELL_CHARS} 个字符（Excel 单元格的上限），未读取。"
        "文件可能已损坏或被篡改；请检查超长的单元格，删除或缩短后在 Excel 中另存再导入。",
        f"file '{path.name}': {where_en} holds a text longer than {EXCEL_MAX_CELL_CHARS} characters "
        "(Excel's limit for a cell); nothing was read. Shorten or delete that cell and save the file again in Excel",
    )


def _doctype(path: Path, entry: str) -> ExchangeFormatError:
    return _refuse(
        f"文件“{path.name}”的“{entry}”中含有文档类型定义（<!DOCTYPE>），Excel 文件中不会有，可能是恶意构造的文件，未读取。"
        "请在 Excel 中打开后另存为新的 .xlsx 再导入。",
        f"file '{path.name}': part '{entry}' holds a document type definition (<!DOCTYPE>), which no Excel file has "
        "(a possible entity-expansion attack); nothing was read. Open it in Excel and save it as a new .xlsx",
    )


def _extent_error(path: Path, e: SheetExtent) -> ExchangeFormatError | None:
    file = path.name
    col = column_letters(min(e.max_col, EXCEL_MAX_COLUMNS * 1024))
    row = e.max_row
    if e.max_row > MAX_SHEET_ROWS or e.max_col > MAX_SHEET_COLUMNS:
        far_row, far_col = row > EXCEL_MAX_ROWS * 10, e.max_col > EXCEL_MAX_COLUMNS
        row_zh = f"第 {EXCEL_MAX_ROWS} 行以后" if far_row else f"第 {row} 行"
        row_en = f"beyond row {EXCEL_MAX_ROWS}" if far_row else f"row {row}"
        col_zh = "第 XFD 列以后" if far_col else f"第 {col} 列"
        col_en = "beyond column XFD" if far_col else f"column {col}"
        return _refuse(
            f"文件“{file}”中工作表“{e.name}”的数据延伸到{row_zh}、{col_zh}，超出上限"
            f"（最多 {MAX_SHEET_ROWS} 行、{MAX_SHEET_COLUMNS} 列，即到第 {column_letters(MAX_SHEET_COLUMNS)} 列），未读取。"
            "请删除表格以外的单元格（选中多余的行或列→右键“删除”），或把表格复制到新的工作簿，另存后再导入。",
            f"file '{file}', sheet '{e.name}': data reaches {row_en}, {col_en}, beyond the "
            f"limit of {MAX_SHEET_ROWS} rows and {MAX_SHEET_COLUMNS} columns (up to column "
            f"{column_letters(MAX_SHEET_COLUMNS)}); nothing was read. Delete the cells outside the table (select the "
            "extra rows or columns, right-click, Delete) or copy the table into a new workbook, save and import again",
        )
    area = e.area
    rows, cols = e.max_row - e.min_row + 1, e.max_col - e.min_col + 1
    first = f"{column_letters(e.min_col)}{e.min_row}"
    last = f"{col}{row}"
    if area > MAX_SHEET_CELLS:
        return _refuse(
            f"文件“{file}”中工作表“{e.name}”的数据区域 {first}:{last} 共 {rows} 行 × {cols} 列（{area} 个单元格），"
            f"超出上限 {MAX_SHEET_CELLS} 个单元格，未读取。请把表格拆分成几个文件后分批导入，或删除不需要的列。",
            f"file '{file}', sheet '{e.name}': the data range {first}:{last} is {rows} rows x {cols} columns "
            f"({area} cells), more than the limit of {MAX_SHEET_CELLS} cells; nothing was read. Split the table "
            "into several files and import them one by one, or delete columns that are not needed",
        )
    if area > SPARSE_SHEET_CELLS and e.cells * MIN_SHEET_DENSITY < area:
        return _refuse(
            f"文件“{file}”中工作表“{e.name}”的数据区域延伸到 {last}（{rows} 行 × {cols} 列），但其中只有 {e.cells} "
            "个单元格有内容：表格以外有零散的单元格，未读取。请删除表格以外的单元格（选中多余的行或列→右键“删除”），"
            "或把表格复制到新的工作簿，另存后再导入。",
            f"file '{file}', sheet '{e.name}': the data range reaches {last} ({rows} rows x {cols} columns) but only "
            f"{e.cells} cells hold a value — there are stray cells far from the table; nothing was read. Delete the "
            "cells outside the table or copy the table into a new workbook, save and import again",
        )
    return None


def _root_prefix(head: bytes) -> bytes | None:
    """The namespace prefix of the root element (b'' for none); None when not found."""
    m = re.search(rb"<(?:([A-Za-z_][\w.\-]*):)?worksheet[\s>]", head)
    if not m:
        return None
    return (m.group(1) + b":") if m.group(1) else b""


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, extent: SheetExtent, path: Path) -> None:
    """Stream one worksheet: its text runs and the real extent of its cells (see :class:`_SheetScan`)."""
    try:
        _stream_sheet(zf, info, extent, general=False)
    except _Restart:
        _stream_sheet(zf, info, extent, general=True)
    except _TooLong:
        raise _long_text(path, info.filename, extent.name) from None
    except _HasDoctype:
        raise _doctype(path, info.filename) from None
    error = _extent_error(path, extent)
    if error is not None:
        raise error


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The entry's bytes in chunks, inflated (and CRC-checked) by a helper thread one step ahead,
    so that inflating and scanning overlap (zlib and numpy release the GIL)."""
    if info.file_size <= 2 * SCAN_CHUNK_BYTES:
        with zf.open(info) as fh:
            while chunk := fh.read(SCAN_CHUNK_BYTES):
                yield chunk
        return
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            with zf.open(info) as fh:
                while not stop.is_set():
                    chunk = fh.read(SCAN_CHUNK_BYTES)
                    ready.put(chunk)
                    if not chunk:
                        return
        except BaseException as exc:  # handed to the consumer
            ready.put(exc)

    worker = threading.Thread(target=produce, name="fupin-xlsx-inflate", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()


def _stream_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, extent: SheetExtent, *, general: bool) -> None:
    extent.cells = extent.min_row = extent.max_row = extent.min_col = extent.max_col = 0
    runs = _TextRuns(MAX_XML_TEXT_BYTES)
    scanner: _SheetScan | None = None
    carry = b""
    with closing(_chunks(zf, info)) as chunks:
        for chunk in chunks:
            runs.feed(chunk)
            buf = carry + chunk if carry else chunk
            if scanner is None:
                scanner = _SheetScan(extent, _root_prefix(buf[:65536]) or b"")
                scanner.general = general
            # Whole tags only: up to the last '<' (the rest is carried; text runs are bounded).
            cut = buf.rfind(b"<")
            if cut <= 0:
                carry = buf
                continue
            scanner.feed(buf, cut)
            carry = buf[cut:]
            if extent.max_row > MAX_SHEET_ROWS or extent.max_col > MAX_SHEET_COLUMNS or extent.area > MAX_SHEET_CELLS:
                return  # refused by the caller; no need to read on
    runs.finish()
    if scanner is not None and carry:
        scanner.feed(carry)
    extent.plain_refs = bool(scanner is not None and not scanner.general and not scanner.prefix and scanner.plain)


def _count_si(data: bytes) -> int:
    """Opening <si> tags (with or without a namespace prefix)."""
    return sum(data.count(p) for p in (b"<si>", b"<si ", b"<si/", b":si>", b":si ", b":si/"))


def _scan_text(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, *, count_items: bool = False) -> int:
    """Long text runs in an XML part (and, for the shared strings, how many strings it holds)."""
    runs = _TextRuns(MAX_XML_TEXT_BYTES)
    items = 0
    tail = b""
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(SCAN_CHUNK_BYTES):
                runs.feed(chunk)
                if not count_items:
                    continue
                buf = tail + chunk
                cut = max(len(buf) - 8, 0)
                # The 4-byte tags starting before ``cut`` (and only those) lie within buf[:cut + 3];
                # the others are counted with the next chunk, which starts at ``cut``.
                items += _count_si(buf[:cut + 3] if cut else b"")
                tail = buf[cut:] if cut else buf
                if items > MAX_SHARED_STRINGS:
                    raise _refuse(
                        f"文件“{path.name}”的共享文字表中有超过 {MAX_SHARED_STRINGS} 条文字，超出上限，未读取。"
                        "文件可能已损坏或被篡改；请在 Excel 中打开后另存为新的 .xlsx 再导入。",
                        f"file '{path.name}': the shared strings hold more than {MAX_SHARED_STRINGS} texts, "
                        "beyond the limit; nothing was read. Open it in Excel and save it as a new .xlsx",
                    )
            runs.finish()
            items += _count_si(tail)
    except _TooLong:
        raise _long_text(path, info.filename, None) from None
    except _HasDoctype:
        raise _doctype(path, info.filename) from None
    return items


def check_xlsx(path) -> XlsxScan:
    """Check a workbook before calamine touches it; returns where its sheets are.

    The zip container: entries, total size and compression ratios (:func:`_check_entries`).
    Every worksheet: the real extent of its cells (rows, columns, used area and how densely it
    is filled) and text runs; the shared strings: text runs and how many; every other XML part
    calamine reads: text runs. Entries are streamed in :data:`SCAN_CHUNK_BYTES` chunks; a size
    declared in the zip that the data exceeds fails the CRC and is refused as corrupt.
    """
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt(path.name, str(exc) or type(exc).__name__) from None
    scan = XlsxScan(path)
    with zf:
        infos = zf.infolist()
        _check_entries(infos, path.name, what_zh="文件", what_en="file")
        by_name = {i.filename: i for i in infos}
        try:
            targets = _sheet_targets(zf, set(by_name), path)
            sheet_entries: dict[str, SheetExtent] = {}
            for name, entry in targets:
                extent = SheetExtent(name, entry)
                if name:
                    scan.sheets[name] = extent
                if entry in by_name:
                    sheet_entries.setdefault(entry, extent)
            def check(info: zipfile.ZipInfo):
                low = info.filename.lower()
                if low.endswith("sharedstrings.xml"):
                    scan.shared_strings = info.filename
                    scan.shared_string_count = _scan_text(zf, info, path, count_items=True)
                elif info.filename in sheet_entries or (low.startswith("xl/") and low.endswith(".xml")):
                    # Every part the workbook points to, and every XML part under xl/, is scanned
                    # as a sheet: whatever a reader takes for a sheet has its extent checked.
                    extent = sheet_entries.get(info.filename) or SheetExtent(info.filename, info.filename)
                    _scan_sheet(zf, info, extent, path)
                    for other in scan.sheets.values():
                        if other.entry == info.filename and other is not extent:
                            other.cells, other.min_row, other.max_row = extent.cells, extent.min_row, extent.max_row
                            other.min_col, other.max_col = extent.min_col, extent.max_col
                            other.plain_refs = extent.plain_refs
                elif low.endswith(_XML_SUFFIXES) and (low.startswith("xl/") or "/" not in low or low == "_rels/.rels"):
                    _scan_text(zf, info, path)

            # The largest parts first, two at a time (each also inflates one chunk ahead).
            order = sorted(infos, key=lambda i: -i.file_size)
            big = [i for i in order if i.file_size > 2 * SCAN_CHUNK_BYTES]
            with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1, len(big)))) as pool:
                for _done in pool.map(check, big):
                    pass
            for info in order[len(big):]:
                check(info)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, ValueError) as exc:
            raise _corrupt(path.name, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return scan


# --- CSV -------------------------------------------------------------------------------------

def check_csv(path, name: str | None = None) -> None:
    """The longest line of a CSV file and the width of its header, before polars reads it.

    ``path`` is the UTF-8 file to read (perhaps a transcoded copy), ``name`` the file the user
    gave. Files no larger than :data:`MAX_CSV_LINE_BYTES` are not scanned (no line can be longer).
    """
    path = Path(path)
    name = name or path.name
    size = path.stat().st_size
    with open(path, "rb") as fh:
        first = fh.readline(MAX_CSV_LINE_BYTES + 1)
    if len(first) <= MAX_CSV_LINE_BYTES:
        text = first.decode("utf-8-sig", errors="replace")
        separator = "\t" if text.count("\t") > text.count(",") else ","
        columns = text.count(separator) + 1
        if columns > MAX_SHEET_COLUMNS:
            raise _refuse(
                f"文件“{name}”的表头有 {columns} 列，超过上限 {MAX_SHEET_COLUMNS} 列，未读取。"
                "请检查分隔符，并删除多余的列后再导入。",
                f"file '{name}': the header has {columns} columns, more than the limit of {MAX_SHEET_COLUMNS}; "
                "nothing was read. Check the separator and delete the extra columns",
            )
    if size <= MAX_CSV_LINE_BYTES:
        return
    line = 1
    current = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(SCAN_CHUNK_BYTES):
            first_nl = chunk.find(b"\n")
            if first_nl < 0:
                current += len(chunk)
                if current > MAX_CSV_LINE_BYTES:
                    break
                continue
            if current + first_nl > MAX_CSV_LINE_BYTES:
                break
            last = chunk.rfind(b"\n")
            pos, half = first_nl + 1, MAX_CSV_LINE_BYTES // 2
            found = False
            while pos + half <= last:
                if chunk.find(b"\n", pos, pos + half) >= 0:
                    pos += half
                    continue
                start = chunk.rfind(b"\n", 0, pos) + 1
                end = chunk.find(b"\n", pos + half)
                if end - start > MAX_CSV_LINE_BYTES:
                    line += chunk.count(b"\n", 0, start)
                    found = True
                    break
                pos = end + 1
            if found:
                break
            line += chunk.count(b"\n")
            current = len(chunk) - last - 1
        else:
            return
    raise _refuse(
        f"文件“{name}”第 {line} 行超过 {_size(MAX_CSV_LINE_BYTES)}（上限），不是正常的表格数据，未读取。"
        "请检查该行（是否缺少换行、引号不配对或粘贴了大段文字），改正后再导入。",
        f"file '{name}': line {line} is longer than {_size(MAX_CSV_LINE_BYTES)} (the limit) — not tabular "
        "data; nothing was read. Check that line (a missing line break, unbalanced quotes, pasted text) and fix it",
    )


def check_cell_lengths(frame: pl.DataFrame, name: str, *, first_row: int = 2) -> None:
    """No cell longer than Excel's 32,767 characters (a CSV read without that limit)."""
    text = [(i, c) for i, (c, t) in enumerate(frame.schema.items()) if t == pl.String and c not in ("_sheet", "_row")]
    if not text or frame.height == 0:
        return
    # Positional columns: a header such as "*" or "^.*$" is no wildcard/regex here.
    longest = frame.select([pl.nth(i).str.len_bytes().max().alias(f"_{i}") for i, _c in text]).row(0)
    for (_i, column), n in zip(text, longest, strict=True):
        if n is None or n <= EXCEL_MAX_CELL_CHARS:
            continue
        chars = frame.to_series(_i).str.len_chars()
        if chars.max() <= EXCEL_MAX_CELL_CHARS:
            continue
        index = int(chars.arg_max())
        row = frame["_row"][index] if "_row" in frame.columns else index + first_row
        raise _refuse(
            f"文件“{name}”第 {row} 行“{column}”列的内容有 {chars.max()} 个字符，超过单元格上限 "
            f"{EXCEL_MAX_CELL_CHARS} 个字符（Excel 的上限），未读取。请检查该单元格（可能是引号不配对），改正后再导入。",
            f"file '{name}', line {row}, column '{column}': the cell has {chars.max()} characters, more than "
            f"{EXCEL_MAX_CELL_CHARS} (Excel's limit for a cell); nothing was read. Check that cell (unbalanced quotes?)",
        )


# --- Parquet ---------------------------------------------------------------------------------

def _plain(dtype: pl.DataType) -> bool:
    return (dtype.is_numeric() or dtype.is_temporal()
            or dtype in (pl.String, pl.Boolean, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum))


def check_parquet_schema(schema: pl.Schema | dict, name: str) -> None:
    """Every column a plain scalar (text, number, boolean, date/time); else name the column."""
    if not len(schema):
        raise _refuse(
            f"Parquet 文件“{name}”中没有任何列，未读取。请重新导出后再导入。",
            f"Parquet file '{name}' has no columns; nothing was read. Export it again",
        )
    if len(schema) > MAX_SHEET_COLUMNS:
        raise _refuse(
            f"Parquet 文件“{name}”有 {len(schema)} 列，超过上限 {MAX_SHEET_COLUMNS} 列，未读取。",
            f"Parquet file '{name}' has {len(schema)} columns, more than the limit of {MAX_SHEET_COLUMNS}",
        )
    for column, dtype in schema.items():
        if not _plain(dtype):
            raise _refuse(
                f"Parquet 文件“{name}”的“{column}”列是 {dtype} 类型（列表、结构、二进制或对象），不是单个的文字或数字，未读取。"
                "请把该列转换为文字（字符串）或数字后重新导出，或删除该列。",
                f"Parquet file '{name}': column '{column}' is of type {dtype} (a list, struct, binary or object), "
                "not a single text or number; nothing was read. Convert it to text or a number, or drop it, and export again",
            )


def check_parquet_size(rows: int, columns: int, file_bytes: int, name: str) -> None:
    """The rows a Parquet table claims (from its metadata), against the limits."""
    cells = rows * max(columns, 1)
    dense_enough = cells <= SPARSE_SHEET_CELLS or cells <= MAX_CELLS_PER_BYTE * max(file_bytes, 1)
    if rows > MAX_TABLE_ROWS or cells > MAX_TABLE_CELLS or not dense_enough:
        raise _refuse(
            f"Parquet 文件“{name}”声明有 {rows} 行 × {columns} 列（文件仅 {_size(file_bytes)}），超出上限"
            f"（最多 {MAX_TABLE_ROWS} 行、{MAX_TABLE_CELLS} 个单元格），未读取。文件可能已损坏或被篡改；请拆分或重新导出后再导入。",
            f"Parquet file '{name}' claims {rows} rows x {columns} columns (the file is {_size(file_bytes)}), "
            f"beyond the limits ({MAX_TABLE_ROWS} rows, {MAX_TABLE_CELLS} cells); nothing was read. "
            "Split it or export it again",
        )


__all__ = [
    "EXCEL_MAX_CELL_CHARS", "EXCEL_MAX_COLUMNS", "EXCEL_MAX_ROWS", "HEADER_PEEK_BYTES", "HEADER_SCAN_ROWS",
    "MAX_CELLS_PER_BYTE", "MAX_COMPRESSION_RATIO", "MAX_CSV_LINE_BYTES", "MAX_SHARED_STRINGS", "MAX_SHEETS",
    "MAX_SHEET_CELLS", "MAX_SHEET_COLUMNS", "MAX_SHEET_ROWS", "MAX_TABLE_CELLS", "MAX_TABLE_ROWS",
    "MAX_UNCOMPRESSED_BYTES", "MAX_XML_TEXT_BYTES", "MAX_ZIP_ENTRIES", "MIN_SHEET_DENSITY", "RATIO_GRACE_BYTES",
    "SPARSE_SHEET_CELLS", "SheetExtent", "XlsxScan", "check_cell_lengths", "check_csv", "check_parquet_schema",
    "check_parquet_size", "check_xlsx", "check_zip_archive", "column_letters", "unpack_zip",
]

