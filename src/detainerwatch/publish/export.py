"""The SQLite export of aggregates (what `detainerwatch publish` writes beside the site).

Aggregate tables only: no table of detainers, no person attribute, no identifier. Every table
passes the disclosure function before it is written. Moved here from web/static_site.py: what
is exported is publish logic; the web layer only calls it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..derive.facts import outcome_count_columns
from ..derive.ids import JURISDICTION_GEOGRAPHY_SQL
from ..store import dict_rows
from . import disclosure
from .catalog import sources as catalog_sources
from .disclosure import protected_facilities_sql
from .queries import connect_read


def write_sqlite(db: Path, target: Path) -> dict[str, int]:
    """Aggregate tables only: no table of detainers, no person attribute, no identifier."""
    target.unlink(missing_ok=True)
    protected = protected_facilities_sql()
    outcome_cols = outcome_count_columns()
    queries = {
        "jurisdiction_years": f"""
            SELECT jurisdiction_id, any_value(jurisdiction_name) AS jurisdiction_name,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(state_abbr) AS state,
                   {JURISDICTION_GEOGRAPHY_SQL},
                   bool_and({protected}) AS protected_facility,
                   year(issued) AS year, count(*) AS issued, {outcome_cols}
            FROM detainer_facts WHERE NOT likely_duplicate GROUP BY jurisdiction_id, year(issued)
            ORDER BY 1, year""",
        "facilities": f"""
            SELECT facility_name AS facility, facility_city AS city, facility_state AS state_as_released,
                   facility_code AS code, any_value(jurisdiction_id) AS jurisdiction_id,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(method) AS method,
                   any_value(confidence) AS confidence, bool_or(needs_review) AS needs_review,
                   bool_or({protected}) AS protected_facility,
                   count(*) AS issued, {outcome_cols}
            FROM detainer_facts WHERE NOT likely_duplicate
            GROUP BY facility_name, facility_city, facility_state, facility_code ORDER BY issued DESC""",
        "sources": "SELECT source_id, file_name, sha256, size_bytes, layout, release, rows_in, rows_out, "
        "CAST(ingested_at AS VARCHAR) AS ingested_at FROM sources ORDER BY source_id",
        "policies": "SELECT policy_id, jurisdiction_type, jurisdiction_name, state, state_fips, county_fips, "
        "place_fips, instrument_type, citation, short_title, CAST(in_force_from AS VARCHAR) "
        "AS in_force_from, CAST(in_force_to AS VARCHAR) AS in_force_to, effect, detainer_holds, "
        "notification, jail_access, agreements_287g, source_url, source_note FROM policies",
    }
    results: dict[str, list[dict[str, Any]]] = {}
    with connect_read(db) as store:
        con = store.con
        for name, sql in queries.items():
            rows = dict_rows(con.execute(sql))
            if name == "sources":  # with each file's origin and licence, as the pages show them
                known = {r["source_id"]: r for r in catalog_sources(con)}
                for r in rows:
                    r["origin"] = known.get(r["source_id"], {}).get("origin")
                    r["licence"] = known.get(r["source_id"], {}).get("licence")
            results[name] = rows
    counted = disclosure.protect_export(
        {k: v for k, v in results.items() if k in ("jurisdiction_years", "facilities")}
    )
    plain = {k: disclosure.protect(v, "plain") for k, v in results.items() if k not in counted}
    return write_sqlite_tables({**counted, **plain}, target)


def write_sqlite_tables(tables: dict[str, list[dict[str, Any]]], target: Path) -> dict[str, int]:
    """Write tables of rows (each passed through the disclosure function) to a SQLite file."""
    for name, rows in tables.items():
        disclosure.require(rows, f"SQLite table {name}")
    counts = {}
    lite = sqlite3.connect(target)
    try:
        for name, rows in tables.items():
            cols = list(rows[0]) if rows else []
            if not cols:
                continue
            lite.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
            lite.executemany(
                f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})",
                [tuple(r.get(c) for c in cols) for r in rows],
            )
            counts[name] = len(rows)
        lite.commit()
    finally:
        lite.close()
    return counts
