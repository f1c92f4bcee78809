"""What every named question shares: the reader it is asked of, and the scope of rows it asks
about (a WHERE clause over ``detainer_facts`` with its parameters, written here and nowhere else
in publish)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from ...derive.ids import slug
from ...store import ReadStore, dict_rows

# A question is asked of the read model (store.ReadStore) or of one of its prepared connections
# (a web request's cursor, a command's connection).
Reader = ReadStore | duckdb.DuckDBPyConnection


def connection(reader: Reader) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection a question runs on."""
    return reader.con if isinstance(reader, ReadStore) else reader


def rows(reader: Reader, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of one SELECT as dicts keyed by column name."""
    return dict_rows(connection(reader).execute(sql, list(params)))


def tuples(reader: Reader, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of one SELECT as tuples."""
    return connection(reader).execute(sql, list(params)).fetchall()


def scalar(reader: Reader, sql: str, params: Sequence[Any] = ()) -> Any:
    """The one value of a one-row, one-column SELECT."""
    return tuples(reader, sql, params)[0][0]


@dataclass(frozen=True)
class Scope:
    """Which rows of detainer_facts a question counts: made by the functions below only."""

    where: str
    params: tuple[Any, ...] = ()
    # Whether `where` reads only ATTRIBUTION_COLUMNS (the same for every row of a facility):
    # a question asked of many such scopes tests each distinct attribution once, not each row.
    attribution_only: bool = False

    def counted(self) -> Scope:
        """The same rows less the likely duplicates (flagged, not dropped: never counted)."""
        return Scope(f"{self.where} AND NOT likely_duplicate", self.params)

    def duplicates(self) -> Scope:
        """Only the likely duplicates of these rows."""
        return Scope(f"{self.where} AND likely_duplicate", self.params)


def issued_between(start: dt.date, end: dt.date, state_fips: str | None = None) -> Scope:
    """Detainers issued in a period (both days included), in one state or all."""
    if state_fips:
        return Scope("issued BETWEEN ? AND ? AND state_fips = ?", (start, end, state_fips))
    return Scope("issued BETWEEN ? AND ?", (start, end))


# The columns of detainer_facts that the scopes below read (attribution_only=True): a facility's
# attribution, the same for each of its rows.
ATTRIBUTION_COLUMNS = ("jurisdiction_id", "jurisdiction_type", "state_fips", "jurisdiction_name")


def of_jurisdictions(ids: Sequence[str]) -> Scope:
    """Detainers attributed to any of these jurisdiction ids."""
    return Scope(
        f"jurisdiction_id IN ({', '.join('?' * len(ids))})", tuple(ids), attribution_only=True
    )


def of_city_named(state_fips: str | None, name: str | None) -> Scope:
    """Detainers of a city without a place code, by its name within its state: the id that name
    gives (derive/ids.py: city:<state FIPS>:<slug of the name>), so every spelling sharing it
    ("St. Marys, PA", "St Marys, PA") finds all of the id's rows, whichever the stored facts
    name it by (its one name)."""
    city_id = f"city:{state_fips or '00'}:{slug(name or 'unnamed')}"
    return Scope("jurisdiction_id = ?", (city_id,), attribution_only=True)


def of_state_government(state_fips: str | None) -> Scope:
    """Detainers at a state's own facilities (its prisons), not at its local governments'."""
    return Scope(
        "state_fips = ? AND jurisdiction_type = 'state'", (state_fips,), attribution_only=True
    )
