"""The stored facts and the report's summaries extended with a new ingest's rows, when the rows
stored before are proven unaffected; otherwise rebuilt whole (issue 16).

A new ingest can change rows stored before in three ways, each checked exactly:

- attribution: ``link.refresh_attribution`` recomputes every facility's government (a new
  facility list can move an old facility), so the attribution of every facility the old rows
  name must be the same before and after (every column the facts read, the id's one name too:
  a new facility can bring a spelling that becomes the name of an old id);
- release precedence: ``releases.refresh`` decides again which release supplies each day, so
  the days each old source supplies must be the same before and after (a row without a day is
  kept when its source supplies any day: the same sets decide it);
- duplicate flags: ``flag_likely_duplicates`` recomputes them within a release, so no new
  detainer source may belong to a release that an old source belongs to.

The old rows themselves are never changed by an ingest (it only adds sources), and the hand
tables and the derived columns' rules must be those the stored tables were made with (their
stamps). When all of this holds, the old facts and summary rows are exactly what a whole
rebuild would make: only the new sources' rows are derived and appended. Anything else, or any
doubt (a stamp that does not parse, a table missing), rebuilds whole.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from duckdb import DuckDBPyConnection

from ..store.schema import FACTS_STORED, FACTS_SUMMARY, create_temp_table
from . import facts, ids, releases, summary

# The attribution columns the facts read (derive/facts.py _facts_select), the key first, as the
# facts read them: jurisdiction_name and jurisdiction_display_name are the id's one name, from
# every attribution row of the id (derive/ids.py), so a new facility whose name becomes an old
# id's name changes the old facilities' rows here too (and the ingest rebuilds whole).
_KEY = ("facility_name", "facility_city", "facility_state", "facility_code")
_ATTRIBUTION = _KEY + (
    "jurisdiction_type",
    "jurisdiction_name",
    "state_abbr",
    "state_fips",
    "county_fips",
    "place_fips",
    "needs_review",
    "confidence",
    "method",
    "jurisdiction_display_name",
)


@dataclass(frozen=True)
class Before:
    """What the stored tables were made from, read before the ingest's derived tables change."""

    last_source: int  # the newest source the stored facts and summaries count
    attribution: dict[tuple[Any, ...], list[tuple[Any, ...]]]  # facility key -> its rows
    days: frozenset[tuple[int, dt.date]]  # (source, day) each old source supplies


def snapshot(con: DuckDBPyConnection) -> Before | None:
    """What the stored facts and summaries were made from, when they are current for the
    sources stored before this ingest and no new detainer source joins an old release; else
    None (rebuild whole). Call before the attribution and the releases are refreshed."""
    try:
        return _snapshot(con)
    except ValueError:  # a stamp of another shape: rebuild whole
        return None
    # (a table of another shape is not caught here: a failed statement aborts the ingest's
    # transaction, so nothing could be rebuilt after it; the tables are checked by name first)


# The code the stored facts and summaries are derived by, beyond what their stamps cover (the
# rule for rows without a day, the lookups registered, the statements that make and append the
# tables, the hand tables' parser, DuckDB's own functions): any edit of these files, or another
# DuckDB, makes the next ingest rebuild whole, as every ingest did before the append existed.
# Paths from the package's folder.
_CODE = (
    "derive/facts.py",
    "derive/releases.py",
    "derive/summary.py",
    "derive/incremental.py",
    "derive/ids.py",
    "store/schema.py",
    "handfiles.py",
)
CODE_KEY = "derived_code"  # meta: f"{digest of _CODE}:{summary's sources state}"


def _code_digest() -> str:
    import hashlib

    digest = hashlib.sha256(f"duckdb {duckdb.__version__}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in _CODE:
        try:
            digest.update(name.encode() + b"\0" + (package / name).read_bytes())
        except OSError:  # installed without its sources: never equal, so always rebuilt whole
            return "unreadable:" + os.urandom(8).hex()
    return digest.hexdigest()[:32]


# Read once, when this code is loaded: a file edited while a long ingest runs is not the code
# that ingest derived with.
_DIGEST = _code_digest()


def code_digest() -> str:
    return _DIGEST


def stamp(con: DuckDBPyConnection) -> None:
    """Note the derived tables as made by this code for the sources they count (call after they
    are made, whole or extended, in the same transaction)."""
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [CODE_KEY, f"{code_digest()}:{facts.sources_state(con)}"],
    )


def _meta(con: DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return str(row[0][0]) if row and row[0][0] is not None else None


def _snapshot(con: DuckDBPyConnection) -> Before | None:
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'"
        ).fetchall()
    }
    needed = {FACTS_STORED, FACTS_SUMMARY, "facility_attribution", "release_segments", "meta"}
    if not needed <= tables:
        return None
    hand = facts.hand_hash()
    if _meta(con, "facts_hand_hash") != hand:
        return None
    stamp = _meta(con, summary.STAMP) or ""
    parts = stamp.split(":")
    if len(parts) != 4 or parts[0] != hand or parts[3] != summary.definition():
        return None
    n, last = int(parts[1]), int(parts[2])
    if _meta(con, CODE_KEY) != f"{code_digest()}:{n}:{last}":
        return None  # made by other code, or by code that does not stamp: rebuild whole
    if _meta(con, "release_segments_state") != f"{releases.precedence_hash()}:{n}:{last}":
        return None
    counted = con.execute("SELECT count(*) FROM sources WHERE source_id <= ?", [last]).fetchall()
    if counted[0][0] != n:
        return None
    joined = con.execute(
        "SELECT count(*) FROM sources new JOIN sources old ON new.release = old.release "
        "WHERE new.source_id > ? AND old.source_id <= ? AND new.kind = 'detainers' "
        "AND old.kind = 'detainers'",
        [last, last],
    ).fetchall()
    if joined[0][0]:
        return None  # old rows of that release can change their duplicate flags
    return Before(last, _attribution(con), _days(con, last))


def _attribution(con: DuckDBPyConnection) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    out: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for row in con.execute(
        f"SELECT {', '.join(_ATTRIBUTION)} FROM ({ids.named_attribution_sql()})"
    ).fetchall():
        out.setdefault(tuple(row[: len(_KEY)]), []).append(tuple(row))
    for rows in out.values():
        rows.sort(key=repr)
    return out


def _days(con: DuckDBPyConnection, last: int) -> frozenset[tuple[int, dt.date]]:
    """(source, day) for every day a source up to ``last`` supplies, from the stored segments."""
    out: set[tuple[int, dt.date]] = set()
    for sources, first, final in con.execute(
        "SELECT sources, day_from, day_to FROM release_segments"
    ).fetchall():
        ids = [int(s) for s in (sources or "").split(",") if s]
        day = first
        while day <= final:
            out.update((sid, day) for sid in ids if sid <= last)
            day += dt.timedelta(days=1)
    return frozenset(out)


def unaffected(con: DuckDBPyConnection, before: Before) -> bool:
    """Whether the rows stored before this ingest derive exactly as they did: the same days
    supplied by every old source, the same attribution for every facility they name. Call
    after the attribution and the releases are refreshed."""
    if _days(con, before.last_source) != before.days:
        return False
    now = _attribution(con)
    for key, rows in before.attribution.items():
        if now.get(key, []) != rows:
            return False
    added = [key for key in now if key not in before.attribution]
    if not added:
        return True
    # A facility attributed now but not before: the old rows must not name it.
    create_temp_table(con, "dw_added_facilities", ", ".join(f"{k} VARCHAR" for k in _KEY))
    import pyarrow as pa

    keys = pa.table({k: pa.array([a[i] for a in added], pa.string()) for i, k in enumerate(_KEY)})
    con.register("dw_added_arrow", keys)  # one insert (executemany was ~1 ms a row)
    try:
        con.execute("INSERT INTO dw_added_facilities SELECT * FROM dw_added_arrow")
    finally:
        con.unregister("dw_added_arrow")
    on = " AND ".join(f"f.{k} IS NOT DISTINCT FROM a.{k}" for k in _KEY)
    named = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {FACTS_STORED} f JOIN dw_added_facilities a ON {on} "
        "WHERE f.source_id <= ?)",
        [before.last_source],
    ).fetchall()[0][0]
    return not named


def extend(con: DuckDBPyConnection, before: Before) -> None:
    """The new sources' facts and summary rows appended to the stored ones (which ``unaffected``
    proved current), the tables made from all of them remade, every stamp as a whole rebuild
    writes it."""
    facts.materialize(con, after_source=before.last_source)
    summary.materialize(con, after_source=before.last_source)
