"""What the store covers: the states its detainer rows are in, the period they were issued in,
and the releases they come from. Every published page, CSV and JSON names it, and a request
outside it says so instead of printing zeros.

A state is covered when the store holds at least one detainer at a facility in it; the period is
the first to the last prepare (issue) date; fields a release does not record (no row of the
release in scope holds a value) are "not recorded", never 0.
"""

from __future__ import annotations

from typing import Any

import datetime as dt

from ..link import gazetteer as gz
from . import queries
from duckdb import DuckDBPyConnection

NOT_RECORDED = "not recorded"
# Person-attribute fields and the report columns built from them.
RECORDED_FIELDS = {
    "criminality": "criminal history (criminality class and tiers)",
    "threat_level": "ICE threat level",
    "aggravated_felony": "aggravated felony",
    "msc_charge_code": "most serious conviction charge",
}


def coverage(con: DuckDBPyConnection) -> dict[str, Any]:
    """{states: [...], first, last, releases: [...], text} for the whole store."""
    rows: list[tuple[Any, ...]] = [
        (r.state, r.release, r.first, r.last, r.rows) for r in queries.coverage_rows(con)
    ]
    states: dict[str, Any] = {}
    releases: dict[str, Any] = {}
    for st, release, first, last, n in rows:
        info = gz.state(st) if st else None
        if info is not None:
            states.setdefault(info.abbr, {"abbr": info.abbr, "name": info.name, "fips": info.fips})
        r = releases.setdefault(
            release, {"release": release, "first": first, "last": last, "rows": 0}
        )
        r["first"] = min(d for d in (r["first"], first) if d) if (r["first"] or first) else None
        r["last"] = max(d for d in (r["last"], last) if d) if (r["last"] or last) else None
        r["rows"] += n
    firsts = [r["first"] for r in releases.values() if r["first"]]
    lasts = [r["last"] for r in releases.values() if r["last"]]
    out = {
        "states": sorted(states.values(), key=lambda s: s["name"]),
        "first": min(firsts).isoformat() if firsts else None,
        "last": max(lasts).isoformat() if lasts else None,
        "releases": [
            {
                **r,
                "first": r["first"] and r["first"].isoformat(),
                "last": r["last"] and r["last"].isoformat(),
            }
            for r in sorted(releases.values(), key=lambda r: r["release"] or "")
        ],
    }
    out["text"] = describe(out)
    out["national"] = len(states) >= 50
    return out


def describe(cov: dict[str, Any]) -> str:
    if not cov["releases"]:
        return "The store holds no detainers."
    names = [s["name"] for s in cov["states"]]
    where = (
        "all states"
        if len(names) >= 50
        else ", ".join(names[:8]) + (f" and {len(names) - 8} more states" if len(names) > 8 else "")
    )
    rel = ", ".join(r["release"] for r in cov["releases"])
    plural = "releases" if len(cov["releases"]) > 1 else "release"
    return f"{where or 'no state'}, {cov['first']} to {cov['last']}, {plural} {rel}"


def state_covered(cov: dict[str, Any], abbr: str) -> bool:
    return any(s["abbr"] == abbr for s in cov["states"])


def period_covered(cov: dict[str, Any], start: dt.date, end: dt.date) -> bool:
    if not cov["first"]:
        return False
    return not (
        end < dt.date.fromisoformat(cov["first"]) or start > dt.date.fromisoformat(cov["last"])
    )


def recorded(con: DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, Any]:
    """For each person-attribute field: whether any detainer prepared in the period records it."""
    held = queries.values_recorded(con, list(RECORDED_FIELDS), start, end)
    return {c: held[c] for c in RECORDED_FIELDS}
