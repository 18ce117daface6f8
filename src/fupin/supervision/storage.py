"""Evidence files on disk: under the data directory, named by their SHA-256, with size limits.

The directory is ``FUPIN_DATA_DIR`` (default ``./fupin-data``)/``evidence``. A file is written
to a temporary name while it is hashed and counted, then moved to ``evidence/ab/abcdef…``: the
same file uploaded twice is stored once, and a name from the upload never reaches the disk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A phone photo or a scanned PDF of a few pages; larger files are refused before they are kept.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_FILE_NAME = 200
ALLOWED_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".webp", ".ofd", ".doc", ".docx", ".xls", ".xlsx", ".txt")
CHUNK = 1024 * 1024


class EvidenceRefused(Exception):
    """A file that cannot be kept as evidence (Chinese + English)."""


@dataclass(frozen=True)
class Stored:
    file_name: str
    sha256: str
    size: int


def data_dir() -> Path:
    return Path(os.environ.get("FUPIN_DATA_DIR") or Path.cwd() / "fupin-data")


def path_of(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise EvidenceRefused("佐证材料编号无效 (bad evidence digest)")
    return data_dir() / "evidence" / sha256[:2] / sha256


def clean_name(name: str) -> str:
    base = Path(str(name or "").replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable())[:MAX_FILE_NAME]
    if not base:
        raise EvidenceRefused("请上传佐证材料文件 (add a file)")
    if Path(base).suffix.lower() not in ALLOWED_SUFFIXES:
        raise EvidenceRefused(f"佐证材料只接受 {'、'.join(ALLOWED_SUFFIXES)} 文件：{base} (file type not accepted)")
    return base


def store(name: str, chunks) -> Stored:
    """Keep the file whose bytes ``chunks`` yields; EvidenceRefused when too big or of another type."""
    file_name = clean_name(name)
    folder = data_dir() / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_EVIDENCE_BYTES:
                    raise EvidenceRefused(f"佐证材料不能超过 {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB：{file_name} "
                                          "(file too large)")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceRefused(f"佐证材料是空文件：{file_name} (empty file)")
        target = path_of(digest.hexdigest())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return Stored(file_name, digest.hexdigest(), size)


def read_chunks(path: Path):
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk
