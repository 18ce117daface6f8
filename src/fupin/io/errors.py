"""File-level errors of the exchange format."""

from __future__ import annotations


class ExchangeFormatError(Exception):
    """A problem with the file as a whole (not with some rows): nothing was read.

    ``str(e)`` is the Chinese message followed by the English one; both name the file (and
    sheet/column where there is one) and say what to do.
    """

    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh}\n{message_en}")
