"""Catalog queries: totals, search, jurisdiction and facility lists, sources.

Aggregates only: every function returns counts by jurisdiction or facility, never a row of
`detainers`. Jurisdictions are identified by a stable id: ``county:42055``, ``city:4260000``,
``state:42``, or for governments without a FIPS code (federal, ICE, private, unknown)
``federal:42:us-marshals-...`` (type, state FIPS, a slug of the name, bounded: derive/ids.py).
"""

from __future__ import annotations

from typing import Any

from ..derive import ids
from ..derive.ids import JURISDICTION_GEOGRAPHY_SQL, jurisdiction_id_sql
from ..handfiles import read_csv
from ..store import dict_rows
from . import disclosure
from duckdb import DuckDBPyConnection

JURISDICTION_ID = jurisdiction_id_sql()  # a name of any length gives a bounded id


def slug(text: str) -> str:
    return ids.slug(text)


def store_coverage(con: DuckDBPyConnection) -> dict[str, Any]:
    from .coverage import coverage

    return disclosure.protect(coverage(con), "plain")


def national_totals(con: DuckDBPyConnection) -> dict[str, Any]:
    """Totals of the store (national only when the store covers every state: see coverage)."""
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT likely_duplicate), "
        "min(prepare_date)::DATE, max(prepare_date)::DATE, count(DISTINCT release) FROM detainers"
    ).fetchall()[0]
    sources = con.execute("SELECT count(*) FROM sources").fetchall()[0][0]
    return disclosure.protect(
        {
            "detainers": row[0],
            "detainers_excluding_likely_duplicates": row[1],
            "first_prepare_date": row[2] and row[2].isoformat(),
            "last_prepare_date": row[3] and row[3].isoformat(),
            "releases": row[4],
            "source_files": sources,
            "coverage": store_coverage(con),
        },
        "plain",
    )


def _contains(text: str) -> str:
    """An ILIKE pattern matching text literally: a searched % or _ is not a wildcard."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def jurisdictions(
    con: DuckDBPyConnection,
    *,
    q: str | None = None,
    state: str | None = None,
    jurisdiction_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    where, params = ["true"], []
    if q:
        where.append("(jurisdiction_name ILIKE ? ESCAPE '\\' OR facility_name ILIKE ? ESCAPE '\\')")
        params += [_contains(q), _contains(q)]
    if state:
        where.append("(state_abbr = ? OR state_fips = ?)")
        params += [state.upper(), state]
    if jurisdiction_type:
        where.append("jurisdiction_type = ?")
        params.append(jurisdiction_type)
    sql = f"""
        SELECT {JURISDICTION_ID} AS id, any_value(jurisdiction_type) AS jurisdiction_type,
               any_value(coalesce(jurisdiction_name, facility_name)) AS name,
               any_value(state_abbr) AS state, any_value(state_fips) AS state_fips,
               {JURISDICTION_GEOGRAPHY_SQL},
               count(*) AS facilities, sum(detainers) AS detainers,
               bool_or(needs_review) AS has_doubtful_facilities,
               bool_and({disclosure.protected_facilities_sql()}) AS protected_facility
        FROM facility_attribution WHERE {" AND ".join(where)}
        GROUP BY 1 ORDER BY detainers DESC, id LIMIT ? OFFSET ?"""
    return disclosure.protect(_dicts(con.execute(sql, params + [limit, offset])), "rows")


def facilities(
    con: DuckDBPyConnection,
    *,
    q: str | None = None,
    state: str | None = None,
    jurisdiction: str | None = None,
    needs_review: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    raw: bool = False,
) -> list[dict[str, Any]]:
    """Facilities as released with their attribution; raw=True gives the library's own
    unprotected counts (for building an output that is then protected whole)."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if q:
        where.append("facility_name ILIKE ? ESCAPE '\\'")
        params.append(_contains(q))
    if state:
        where.append("(state_abbr = ? OR state_fips = ?)")
        params += [state.upper(), state]
    if jurisdiction:
        where.append(f"({JURISDICTION_ID}) = ?")
        params.append(jurisdiction)
    if needs_review is not None:
        where.append("needs_review = ?")
        params.append(needs_review)
    sql = f"""
        SELECT facility_name AS facility, facility_city AS city, facility_state AS state_as_released,
               facility_code AS code, state_abbr AS state, {JURISDICTION_ID} AS jurisdiction_id,
               jurisdiction_type, jurisdiction_name, county_fips, place_fips, confidence, method,
               needs_review, review_reason, {disclosure.protected_facilities_sql()} AS protected_facility,
               detainers
        FROM facility_attribution WHERE {" AND ".join(where)}
        ORDER BY detainers DESC, facility_name, facility_city, facility_state, facility_code
        LIMIT ? OFFSET ?"""
    rows = _dicts(con.execute(sql, params + [limit, offset]))
    return rows if raw else disclosure.protect(rows, "rows")


def sources(con: DuckDBPyConnection) -> list[dict[str, Any]]:
    licences = {row["file_name"]: row for row in read_csv("source_licences.csv")}
    rows = _dicts(
        con.execute(
            "SELECT source_id, file_name, sha256, size_bytes, kind, layout, release, sheets, rows_in, "
            "rows_out, ingested_at FROM sources ORDER BY source_id"
        )
    )
    for row in rows:
        known = licences.get(row["file_name"], {})
        row["origin"] = known.get("origin") or "supplied by the user"
        row["licence"] = known.get("licence") or "not recorded"
        row["ingested_at"] = row["ingested_at"] and row["ingested_at"].isoformat()
    return disclosure.protect(rows, "plain")


_dicts = dict_rows  # the one row-to-dict helper (store/read.py)
