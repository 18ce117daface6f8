"""URL converters with bounds: a path segment that cannot name a row is a 404, not an overflow.

Django's ``<int:…>`` accepts any number of digits, and a 25-digit id overflows SQLite's
INTEGER inside the query (a 500). These take at most 15 digits (below both databases'
bigint); villages are exactly 12 digits; household keys are at most 64 characters.
"""

from __future__ import annotations

from django.urls import register_converter


class RowId:
    regex = "[0-9]{1,15}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class Year:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class Village:
    regex = "[0-9]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class HouseholdKey:
    regex = "[^/\x00]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(RowId, "id")
register_converter(Year, "year")
register_converter(Village, "village")
register_converter(HouseholdKey, "household")
