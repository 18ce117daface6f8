"""The API's parameter types, bounded so that no value reaches the database it cannot hold.

An unbounded ``int`` lets a 25-digit page or id overflow SQLite's INTEGER (a 500); a negative
offset makes Django refuse the slice (a 500); a NUL byte in a string makes PostgreSQL refuse
the query (a 500). Every parameter of every endpoint uses one of these types instead, so a bad
value is a 422 that names the parameter.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Path, Query
from pydantic import Field

MAX_ROW_ID = 2**53          # below both databases' bigint, and exact in JSON numbers
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PAGE = 100_000
MAX_LIMIT = 500
NO_NUL = r"^[^\x00]*$"

RowId = Annotated[int, Path(..., ge=1, le=MAX_ROW_ID)]
HouseholdKey = Annotated[str, Path(..., min_length=1, max_length=64, pattern=NO_NUL)]
RegionPath = Annotated[str, Path(..., pattern=r"^\d{2,12}$")]

# Fields of request bodies.
Text = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
Key = Annotated[str, Field(max_length=64, pattern=NO_NUL)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
BodyYear = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
BodyRegion = Annotated[str | None, Field(None, pattern=r"^\d{0,12}$")]

Year = Annotated[int | None, Query(None, ge=FIRST_YEAR, le=LAST_YEAR)]
Region = Annotated[str | None, Query(None, pattern=r"^\d{0,12}$")]
Page = Annotated[int, Query(1, ge=1, le=MAX_PAGE)]
Limit = Annotated[int, Query(100, ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(0, ge=0, le=MAX_PAGE * MAX_LIMIT)]


def choice(default: str | None, values) -> object:
    """A query parameter that must be one of ``values`` (listed in the schema)."""
    pattern = "^(" + "|".join(values) + ")$"
    return Query(default, pattern=pattern)
