"""What the pages hand back as files, and the request values they read, in one place.

Every Excel download of the workbench is a workbook written to a temporary file that goes away
once sent (:func:`xlsx_download`; the report-like ones through :func:`report_download`, i.e.
``io/report.py``'s one writer); every optional whole number in a query string is read by
:func:`int_or_none` (a value that is no number is absent, never a 500).
"""

from __future__ import annotations

import tempfile
from typing import Callable

from django.http import FileResponse

from fupin.io import report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def xlsx_download(write: Callable[[str], object], filename: str) -> FileResponse:
    """A workbook written by ``write(path)`` as a download."""
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=True)  # noqa: SIM115 - FileResponse closes it
    write(tmp.name)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX)


def report_download(sheets: list[report.Sheet], heading: report.Heading, filename: str) -> FileResponse:
    """A report-like workbook (title, region, date, policy, 合计) as a download."""
    return xlsx_download(lambda path: report.write_report(path, sheets, heading), filename)
