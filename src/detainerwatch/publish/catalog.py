"""Catalog queries: totals, search, jurisdiction and facility lists, sources.

Aggregates only: every function returns counts by jurisdiction or facility, never a row of
`detainers`. Jurisdictions are identified by a stable id: ``county:42055``, ``city:4260000``,
``state:42``, or for governments without a FIPS code (federal, ICE, private, unknown)
``federal:42:us-marshals-...`` (type, state FIPS, a slug of the name, bounded: derive/ids.py).
"""

from __future__ import annotations

from typing import Any

from ..derive import ids
from ..handfiles import read_csv
from . import disclosure, queries
from .queries.catalog import JurisdictionListing
from duckdb import DuckDBPyConnection

JURISDICTION_ID = queries.JURISDICTION_ID  # a name of any length gives a bounded id
WHOLE_LIST = 1 << 62  # a LIMIT no store reaches


def slug(text: str) -> str:
    return ids.slug(text)


def store_coverage(con: DuckDBPyConnection) -> dict[str, Any]:
    from .coverage import coverage

    return disclosure.protect(coverage(con), "plain")


def national_totals(con: DuckDBPyConnection) -> dict[str, Any]:
    """Totals of the store (national only when the store covers every state: see coverage)."""
    totals = queries.detainer_totals(con)
    sources = queries.source_count(con)
    return disclosure.protect(
        {
            "detainers": totals.detainers,
            "detainers_excluding_likely_duplicates": totals.counted,
            "first_prepare_date": totals.first_prepare_date
            and totals.first_prepare_date.isoformat(),
            "last_prepare_date": totals.last_prepare_date and totals.last_prepare_date.isoformat(),
            "releases": totals.releases,
            "source_files": sources,
            "coverage": store_coverage(con),
        },
        "plain",
    )


def jurisdictions(
    con: DuckDBPyConnection,
    *,
    q: str | None = None,
    state: str | None = None,
    jurisdiction_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ordered: list[JurisdictionListing] | None = None,
) -> list[dict[str, Any]]:
    """A page of the jurisdictions list, protected. `ordered`, when given, is the whole list
    (jurisdiction_listing): a page without q, state or type is then cut from it instead of
    asked of the store (the same rows: the list's order is total, by detainers then id)."""
    if ordered is not None and not (q or state or jurisdiction_type):
        found = ordered[offset : offset + limit]
    else:
        found = queries.jurisdiction_list(
            con, q=q, state=state, jurisdiction_type=jurisdiction_type, limit=limit, offset=offset
        )
    return disclosure.protect([dict(j) for j in found], "rows")


def jurisdiction_listing(con: DuckDBPyConnection) -> list[JurisdictionListing]:
    """The whole jurisdictions list, unprotected, in its order: what `jurisdictions` cuts a
    page from (the web app keeps it, so 20 pages asked at once cost one query)."""
    return queries.jurisdiction_list(con, limit=WHOLE_LIST, offset=0)


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
    rows = [
        dict(f)
        for f in queries.facility_list(
            con,
            q=q,
            state=state,
            jurisdiction=jurisdiction,
            needs_review=needs_review,
            limit=limit,
            offset=offset,
        )
    ]
    return rows if raw else disclosure.protect(rows, "rows")


# More facilities than any store holds: "every row" for facility_list's LIMIT.
EVERY = 1 << 62


def facilities_by_jurisdiction(con: DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Every facility as released (the library's own unprotected counts, as facilities(...,
    raw=True)), by jurisdiction id, each id's in the order facilities(jurisdiction=id) lists
    them: one question for a run that looks up many ids (a static site's custody pages asked
    one each, ~27 ms apiece on a national store; issue 16)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in queries.facility_list(con, limit=EVERY):
        jid = f["jurisdiction_id"]
        if jid is not None:
            out.setdefault(jid, []).append(dict(f))
    return out


def jurisdiction_names(con: DuckDBPyConnection) -> dict[str, str]:
    """Every jurisdiction id's one name, as every page shows it (derive/ids.py)."""
    return queries.jurisdiction_names(con)


def jurisdiction_name(con: DuckDBPyConnection, jid: str) -> str | None:
    """One jurisdiction id's one name (None when no facility is attributed to it)."""
    return queries.jurisdiction_names(con, jid).get(jid)


def sources(con: DuckDBPyConnection) -> list[dict[str, Any]]:
    licences = {row["file_name"]: row for row in read_csv("source_licences.csv")}
    rows: list[dict[str, Any]] = [dict(r) for r in queries.source_files(con)]
    for row in rows:
        known = licences.get(row["file_name"], {})
        row["origin"] = known.get("origin") or "supplied by the user"
        row["licence"] = known.get("licence") or "not recorded"
        row["ingested_at"] = row["ingested_at"] and row["ingested_at"].isoformat()
    return disclosure.protect(rows, "plain")
