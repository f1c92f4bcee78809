"""The SQLite export of aggregates (what `detainerwatch publish` writes beside the site).

Aggregate tables only: no table of detainers, no person attribute, no identifier. Every table
passes the disclosure function before it is written. Moved here from web/static_site.py: what
is exported is publish logic; the web layer only calls it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from . import disclosure, queries
from .catalog import sources as catalog_sources
from .queries import connect_read


def write_sqlite(db: Path, target: Path) -> dict[str, int]:
    """Aggregate tables only: no table of detainers, no person attribute, no identifier."""
    target.unlink(missing_ok=True)
    results: dict[str, list[dict[str, Any]]] = {}
    with connect_read(db) as store:
        con = store.con
        for name, rows in queries.export_tables(con).items():
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
