"""A bound on every uploaded request body while it arrives, before anything is written to disk.

Django parses a multipart body (and saves its files to temporary files) the first time anything
reads ``request.POST`` — the request-hygiene middleware does, for every form, before any view or
form could look at a file's size. A form's own size check therefore comes too late to protect
the disk: this handler refuses a body over ``FUPIN_MAX_UPLOAD_BYTES`` from its declared length,
and counts the bytes as they come for a body that lies about it. The refusal is Django's
:class:`~django.core.exceptions.RequestDataTooBig`, answered by the 400 page with the limit.
What is inside an accepted file is bounded later by :mod:`fupin.io.limits`, before any parser
opens it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import TemporaryFileUploadHandler

DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024   # a county's registry workbook is a few hundred MB at most


def max_upload_bytes() -> int:
    return int(getattr(settings, "FUPIN_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


class UploadTooLarge(RequestDataTooBig):
    def __init__(self, limit: int):
        mb = limit // (1024 * 1024)
        super().__init__(f"上传的文件超过 {mb} MB 的上限，请拆分成几个文件分别上传，或由县级管理员用命令行导入 "
                         f"(the upload is larger than the {mb} MB limit)")


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Files go to temporary files as Django's default does, never more than the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = max_upload_bytes()
        self.received = 0
        if content_length and content_length > self.limit:
            raise UploadTooLarge(self.limit)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge(self.limit)
        return super().receive_data_chunk(raw_data, start)
