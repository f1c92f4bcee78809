"""Tables of the store: every table the store keeps is defined here, with the schema version.

Provenance columns lead every row table. Objects that live only on one connection (the TEMP
lookup tables and views that derive/ builds from the hand tables while computing, e.g. the
``detainer_facts`` view) are not part of the store (a read-only store can hold nothing else),
but they are named here too: TEMP_OBJECTS lists each with its purpose, and only
create_temp_view / create_temp_table / create_temp_table_as issue their DDL (the caller supplies
the SELECT or the columns), refusing a name not listed. No CREATE is written outside this module.

Versions (``meta.schema_version``; a store with a meta table but no version is version 1):
  1  the tables up to issue 16; the policy records table was made by the first policy refresh
     and the upstream provenance columns of detainers were added on open.
  2  every table below is defined in this one module and made when the store is (the policy
     table included; the stored facts by the first ingest of detainers); a version-1 store is
     migrated on open (MIGRATIONS), a store of a newer version is refused in one line.
  3  detainer rows are stored in one table per layout (``detainers_<layout>``: the provenance
     columns, the fields that layout maps, extras, likely_duplicate), so an ingest writes only
     the columns its file can fill; ``detainers`` is a view over them and ``detainers_base``, a
     table with every column (empty, or holding a version-2 store's rows, renamed on migration),
     so every column a reader names exists with its type. The view is remade, in the ingest's
     transaction, when a layout's table is first made (detainer_tables_ddl).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the resolver imports this module and must not load DuckDB
    from duckdb import DuckDBPyConnection

from ..sources.fields import (
    DETAINER_FIELDS,
    FACILITY_FIELDS,
    FIELDS_BY_KIND,
    EVENT_KINDS,
    UPSTREAM_FIELDS,
    Field,
)

SCHEMA_VERSION = 3

_SQL_TYPES = {"text": "VARCHAR", "date": "TIMESTAMP", "int": "BIGINT"}

PROVENANCE = """
    source_id INTEGER NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number BIGINT NOT NULL,
    release VARCHAR NOT NULL,
    layout VARCHAR NOT NULL"""


def _columns(fields: Sequence[Field]) -> str:
    return ",\n    ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in fields)


def _detainers_ddl(table: str, fields: Sequence[Field]) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {table} ({PROVENANCE},
    {_columns(fields)},
    extras MAP(VARCHAR, VARCHAR),
    likely_duplicate BOOLEAN NOT NULL DEFAULT false)"""


# The detainer rows of every layout, as one relation (readers name only this).
DETAINERS = "detainers"
# The table with every detainer column: empty in a store made at version 3, the rows of a
# version-2 store migrated (they were written with every column). It leads the view, so the
# view's columns are its columns, in its order.
DETAINERS_BASE = "detainers_base"
_LAYOUT_TABLE_PREFIX = "detainers_l_"


DDL = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    file_path VARCHAR,
    sha256 VARCHAR NOT NULL UNIQUE,
    size_bytes BIGINT,
    kind VARCHAR,
    layout VARCHAR,
    release VARCHAR,
    sheets INTEGER,
    rows_in BIGINT,
    rows_out BIGINT,
    preamble VARCHAR,
    ingested_at TIMESTAMP,
    tool_version VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS load_sheets (
    source_id INTEGER, sheet VARCHAR, layout VARCHAR, header_row INTEGER,
    first_row BIGINT, last_row BIGINT, rows_in BIGINT, rows_out BIGINT, note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS load_columns (
    source_id INTEGER, sheet VARCHAR, field VARCHAR, source_header VARCHAR, position INTEGER,
    blanks BIGINT, redactions BIGINT, anomalies BIGINT)""",
    """CREATE TABLE IF NOT EXISTS load_values (
    source_id INTEGER, sheet VARCHAR, field VARCHAR, value VARCHAR, count BIGINT,
    example_rows VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS load_anomalies (
    source_id INTEGER, sheet VARCHAR, row_number BIGINT, field VARCHAR, raw_value VARCHAR,
    problem VARCHAR)""",
    _detainers_ddl(DETAINERS_BASE, DETAINER_FIELDS),
    f"CREATE VIEW IF NOT EXISTS {DETAINERS} AS SELECT * FROM {DETAINERS_BASE}",
    f"""CREATE TABLE IF NOT EXISTS facility_list ({PROVENANCE},
    {_columns(FACILITY_FIELDS)},
    extras MAP(VARCHAR, VARCHAR))""",
]

# Who holds a facility's detainees (facility_attribution.jurisdiction_type): the governments
# that can decline (county, city, regional jail, state) and the custody that cannot. The one
# list: link checks hand tables against it, the web API offers it as a filter. (Policy records
# use other types: who enacted them; derive/policies.py POLICY_JURISDICTION_TYPES.)
JURISDICTION_TYPES = (
    "county",
    "city",
    "regional",
    "state",
    "federal",
    "ice",
    "private",
    "non_government",  # a hospital, hotel or shelter (link/custody.py): never a local government's
    "unknown",
)

# Written by `link` (facility -> government responsible), read by `derive`/`publish`.
# One row per distinct facility as released (name, city, state, code); detainers join to it
# on those four columns with IS NOT DISTINCT FROM.
ATTRIBUTION_DDL = """CREATE TABLE IF NOT EXISTS facility_attribution (
    facility_name VARCHAR, facility_city VARCHAR, facility_state VARCHAR, facility_code VARCHAR,
    state_abbr VARCHAR,           -- USPS code of the state the facility is in
    state_fips VARCHAR,           -- 2 digits
    jurisdiction_type VARCHAR,    -- one of JURISDICTION_TYPES
    jurisdiction_name VARCHAR,    -- e.g. 'Franklin County, PA', 'Philadelphia, PA'
    county_fips VARCHAR,          -- 5 digits, where a county (or the county a city lies in)
    place_fips VARCHAR,           -- 7 digits (state + place), where a city
    confidence DOUBLE,            -- 0-1
    method VARCHAR,               -- the rule that decided: override, code, name_state, parse, city, fuzzy, ...
    candidates VARCHAR,           -- JSON list of what was weighed
    needs_review BOOLEAN,         -- doubtful: in the review queue, never counted as confident
    review_reason VARCHAR,
    detainers BIGINT)             -- rows in detainers with this facility
"""
DDL.append(ATTRIBUTION_DDL)

# Written by link.area.refresh_area_attribution after every ingest (one row per distinct name of a
# source, table and column); derive and publish read it beside facility_attribution.
AREA_ATTRIBUTION_DDL = """CREATE TABLE IF NOT EXISTS area_attribution (
    source_id INTEGER, event_table VARCHAR, field VARCHAR, name VARCHAR,
    area VARCHAR, area_states VARCHAR,  -- the area's code and the states weighed
    state_abbr VARCHAR, state_fips VARCHAR, jurisdiction_type VARCHAR, jurisdiction_name VARCHAR,
    county_fips VARCHAR, place_fips VARCHAR, confidence DOUBLE, method VARCHAR,
    candidates VARCHAR, needs_review BOOLEAN, review_reason VARCHAR,
    rows BIGINT)                -- rows of that source and table with this name"""
DDL.append(AREA_ATTRIBUTION_DDL)

# Written by derive.releases after every ingest: the period each detainer source covers and
# whether it holds a whole release or a filtered subset (source_coverage), and which release
# supplies each day under hand/release_precedence.yaml (release_segments, one row per run of
# consecutive days; every day in a segment is counted from that release only).
RELEASES_DDL = [
    """CREATE TABLE IF NOT EXISTS source_coverage (
    source_id INTEGER, release VARCHAR, file_name VARCHAR, layout VARCHAR,
    request VARCHAR,              -- FOIA request number named in the preamble, if any
    covers_from DATE, covers_to DATE,  -- one row per stated period (inclusive)
    basis VARCHAR,                -- where the period comes from: preamble, sheet name, rows
    whole BOOLEAN,                -- false: a filtered subset of a release
    subset_reason VARCHAR,
    rows BIGINT, rows_from DATE, rows_to DATE)""",
    """CREATE TABLE IF NOT EXISTS release_segments (
    release VARCHAR, day_from DATE, day_to DATE,  -- inclusive
    days INTEGER, rows BIGINT,
    basis VARCHAR,                -- why this release supplies these days
    sources VARCHAR)              -- its sources whose rows count (ids, comma-separated): a
                                  -- whole file of the release wins over a filtered subset""",
]
DDL.extend(RELEASES_DDL)

TARGET_TABLE = {"detainers": "detainers", "facilities": "facility_list"}

# Enforcement events of the same releases (issue 14): one table per kind, with the same
# provenance columns as detainers, the upstream provenance of republished rows, and extras.
EVENT_TABLE = {
    "arrests": "arrests",
    "stints": "detention_stints",
    "removals": "removals",
    "encounters": "encounters",
}
TARGET_TABLE.update(EVENT_TABLE)
for _kind in EVENT_KINDS:
    DDL.append(f"""CREATE TABLE IF NOT EXISTS {EVENT_TABLE[_kind]} ({PROVENANCE},
    {_columns(FIELDS_BY_KIND[_kind])},
    extras MAP(VARCHAR, VARCHAR))""")
# Stores made before the upstream provenance columns existed get them (null) on open (a step
# of the migration from version 1: version 2 had them in its detainers table, and version 3
# has them in detainers_base).
_UPSTREAM_DDL = [
    f"ALTER TABLE detainers ADD COLUMN IF NOT EXISTS {f.name} {_SQL_TYPES[f.type]}"
    for f in UPSTREAM_FIELDS
]
# Checks of a file against itself or against what it says of itself (a Summary sheet's totals,
# upstream row numbers, upstream duplicate flags): one row per check, in the load report.
DDL.append("""CREATE TABLE IF NOT EXISTS load_checks (
    source_id INTEGER, sheet VARCHAR, check_name VARCHAR, subject VARCHAR,
    expected BIGINT, found BIGINT, ok BOOLEAN, note VARCHAR)""")
# What part of a release a source holds, as ingest saw it: 'whole' (as delivered) or 'subset'
# (a filtered download), with the evidence. derive.releases reads it into source_coverage, and
# coverage shown anywhere must say so for a subset.
DDL.append("""CREATE TABLE IF NOT EXISTS source_extent (
    source_id INTEGER PRIMARY KEY, coverage VARCHAR NOT NULL, evidence VARCHAR)""")

# Policy records (derive/policies.py reads and validates them; hand/policies/README.md).
POLICIES_DDL = """CREATE TABLE IF NOT EXISTS policies (
    policy_id VARCHAR PRIMARY KEY, origin VARCHAR, origin_file VARCHAR, origin_row INTEGER,
    jurisdiction_type VARCHAR, jurisdiction_name VARCHAR, state VARCHAR, state_fips VARCHAR,
    county_fips VARCHAR, place_fips VARCHAR, instrument_type VARCHAR, citation VARCHAR,
    short_title VARCHAR, enacted_date VARCHAR, effective_date VARCHAR, end_date VARCHAR,
    in_force_from DATE, in_force_to DATE, date_precision VARCHAR, effect VARCHAR,
    detainer_holds VARCHAR, notification VARCHAR, jail_access VARCHAR, agreements_287g VARCHAR,
    summary VARCHAR, source_url VARCHAR, source_note VARCHAR)"""
DDL.append(POLICIES_DDL)

# The per-detainer facts as of the last ingest (derive/facts.py: materialize), stamped in meta
# ('facts_hand_hash') with the hand tables they were derived with. Its columns are those of the
# detainer_facts view, which derive/ computes from the hand tables: the table is (re)made from
# that view, inside the ingest's transaction, by this one statement. Absent until the first
# ingest of detainers; readers fall back to the live view while it is absent or stale.
FACTS_STORED = "detainer_facts_stored"


def _issue_date_ranges(bounds: Sequence[dt.date]) -> list[str]:
    """WHERE conditions on ``issued`` that split the facts at ``bounds`` (ascending dates) into
    ranges, in order; the last takes the rows without a date too (ORDER BY puts them last)."""
    if not bounds:
        return ["true"]
    lits = [f"DATE '{b.isoformat()}'" for b in bounds]
    ranges = [f"issued < {lits[0]}"]
    ranges += [f"issued >= {lo} AND issued < {hi}" for lo, hi in pairwise(lits)]
    ranges.append(f"(issued >= {lits[-1]} OR issued IS NULL)")
    return ranges


def facts_stored_ddl(select_from: str, bounds: Sequence[dt.date] = ()) -> list[str]:
    """The statements that (re)make the stored facts from a view of the facts; ordered by issue
    date, so a period's rows sit together and DuckDB skips the rest. With ``bounds`` the rows
    are sorted and written one issue-date range at a time (derive/facts.py chooses them): the
    same table, sorted the same way, without holding every row of the sort at once."""
    if not bounds:
        return [
            f"CREATE OR REPLACE TABLE {FACTS_STORED} AS SELECT * FROM {select_from} ORDER BY issued"
        ]
    return [f"CREATE OR REPLACE TABLE {FACTS_STORED} AS SELECT * FROM {select_from} LIMIT 0"] + [
        f"INSERT INTO {FACTS_STORED} SELECT * FROM {select_from} WHERE {r} ORDER BY issued"
        for r in _issue_date_ranges(bounds)
    ]


def facts_stored_append(
    select_from: str, after_source: int, bounds: Sequence[dt.date] = ()
) -> list[str]:
    """The statements that append to the stored facts the facts of the sources after
    ``after_source`` (derive/incremental.py: the rows before them proven unchanged), ordered by
    issue date among themselves (one issue-date range at a time with ``bounds``)."""
    return [
        f"INSERT INTO {FACTS_STORED} SELECT * FROM {select_from} "
        f"WHERE source_id > {int(after_source)} AND ({r}) ORDER BY issued"
        for r in _issue_date_ranges(bounds)
    ]


# The released values of the detainers' coded text columns (detainer type, lift reason) with
# their counts and first source row, made by derive/facts.py after every ingest and stamped in
# meta 'value_counts_sources' with the sources they were counted from: the check for values the
# hand tables do not map (run on opening a store for reading) reads them instead of scanning
# every detainer twice (0.3 s on a 4M store). Absent in a store made before them; the check
# then scans.
VALUE_COUNTS = "detainer_value_counts"


def value_counts_ddl(select_sql: str) -> str:
    """The statement that (re)makes the value counts from its SELECT (over detainers)."""
    return f"CREATE OR REPLACE TABLE {VALUE_COUNTS} AS {select_sql}"


# Counts of the stored facts and of the detainers at the grain the report needs
# (derive/summary.py defines them and makes them after every ingest, from
# pipeline.after_ingest, stamped in meta 'summary_state'): a report on a national store counts
# whole months from them instead of scanning every row. Absent in a store made before them;
# readers then count from the facts.
FACTS_SUMMARY = "detainer_facts_summary"
FACTS_SUMMARY_YEAR = (
    "detainer_facts_summary_year"  # by facility and year: a long period's facilities
)
COVERAGE_SUMMARY = "detainer_coverage_summary"


def facts_summary_ddl(select_sql: str) -> str:
    """The statement that (re)makes the facts' summary from its SELECT (over the stored facts)."""
    return f"CREATE OR REPLACE TABLE {FACTS_SUMMARY} AS {select_sql} ORDER BY month"


def facts_summary_append(select_sql: str) -> str:
    """The statement that appends the rows of its SELECT (new sources' counts) to the summary."""
    return f"INSERT INTO {FACTS_SUMMARY} {select_sql} ORDER BY month"


def facts_summary_year_ddl(select_sql: str) -> str:
    """The statement that (re)makes the facts' summary by year (over the summary by month)."""
    return f"CREATE OR REPLACE TABLE {FACTS_SUMMARY_YEAR} AS {select_sql} ORDER BY year"


def coverage_summary_ddl(select_sql: str) -> str:
    """The statement that (re)makes the detainers' coverage summary from its SELECT."""
    return f"CREATE OR REPLACE TABLE {COVERAGE_SUMMARY} AS {select_sql}"


# ---- detainer rows: one table per layout, the view over them ------------------------------


def detainer_table(layout: str) -> str:
    """The table holding the detainer rows of a layout (its name made an SQL identifier)."""
    return _LAYOUT_TABLE_PREFIX + re.sub(r"[^a-z0-9]+", "_", layout.lower()).strip("_")


def detainer_layout_fields(columns: Iterable[str]) -> list[Field]:
    """The detainer fields a layout maps (its columns' canonical fields), in the order of
    DETAINER_FIELDS: the columns of its table besides provenance, extras and the flag."""
    mapped = set(columns)
    return [f for f in DETAINER_FIELDS if f.name in mapped]


def detainer_tables(con: DuckDBPyConnection) -> list[str]:
    """The store's tables of detainer rows: detainers_base, then each layout's by name."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary AND starts_with(table_name, ?) "
        "ORDER BY table_name",
        [_LAYOUT_TABLE_PREFIX],
    ).fetchall()
    return [DETAINERS_BASE, *(r[0] for r in rows)]


def detainers_span_sql(con: DuckDBPyConnection) -> str:
    """The SELECT of the first and last prepare day of the store's detainers, as
    ``SELECT min(prepare_date)::DATE, max(prepare_date)::DATE FROM detainers`` gives them,
    asked of each table apart: DuckDB answers a table's least and greatest value from its
    statistics, but scans every row through the view (4M rows: 1.7 -> 20 ms, 25 MB more)."""
    each = " UNION ALL ".join(
        f"SELECT min(prepare_date) AS lo, max(prepare_date) AS hi FROM {t}"
        for t in detainer_tables(con)
    )
    return f"SELECT min(lo)::DATE, max(hi)::DATE FROM ({each})"


def detainers_view_ddl(tables: Sequence[str]) -> str:
    """The statement that (re)makes the detainers view over the tables (detainers_base first:
    the view has its columns, in its order; a layout's table lacks the fields it does not map,
    which the view gives as nulls of the column's type)."""
    selects = " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in tables)
    return f"CREATE OR REPLACE VIEW {DETAINERS} AS {selects}"


def ensure_detainer_table(con: DuckDBPyConnection, layout: str, columns: Iterable[str]) -> str:
    """The layout's table of detainer rows, made (with the view remade over it) if absent, on
    the caller's connection and in its transaction; returns its name. A table made by an
    earlier version of the layout that mapped fewer fields gains the fields it lacks (null for
    its rows, as the view gave them)."""
    table = detainer_table(layout)
    tables = detainer_tables(con)
    fields = detainer_layout_fields(columns)
    if table not in tables:
        con.execute(_detainers_ddl(table, fields))
    else:
        have = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = 'main' AND table_name = ?",
                [table],
            ).fetchall()
        }
        missing = [f for f in fields if f.name not in have]
        if not missing:
            return table
        for f in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {f.name} {_SQL_TYPES[f.type]}")
    con.execute(detainers_view_ddl([DETAINERS_BASE, *sorted({*tables, table} - {DETAINERS_BASE})]))
    return table


# ---- migrations ---------------------------------------------------------------------------

# The detainers table of version 2 (every column); the step from version 1 makes it.
DETAINERS_V2_DDL = _detainers_ddl(DETAINERS, DETAINER_FIELDS)

# Steps from each version to the next, run in order inside one transaction on open for write,
# then the current statements (DDL, all idempotent).
# 1 -> 2: every change was additive (tables created if absent, columns added if absent): the
#         detainers table as version 2 had it, with the upstream columns, then the rest of DDL.
# 2 -> 3: the detainers table becomes detainers_base (its rows and columns as they were) and
#         detainers a view over it (made by DDL; no layout table exists yet).
MIGRATIONS: dict[int, list[str]] = {
    1: [DETAINERS_V2_DDL, *_UPSTREAM_DDL],
    2: [f"ALTER TABLE {DETAINERS} RENAME TO {DETAINERS_BASE}"],
}


# ---- objects of one connection (TEMP), never stored --------------------------------------

TEMP_OBJECTS: dict[str, str] = {
    # derive/facts.py: the facts every page counts, and what they are made from
    "detainer_facts": "view: the facts pages count (stored facts, supplied live facts, or one "
    "release alone)",
    "dw_named_attribution": "table: the attribution rows with their id's one name, made by an "
    "ingest's facts statement (derive/facts.py materialize)",
    "dw_facts_live": "view: facts derived live from detainers, attribution and the hand tables",
    "dw_facts_supplied": "view: the live facts of the release that supplies each day",
    "dw_registered": "table: the state (hand tables, sources, release) detainer_facts was "
    "registered for, and whether the hand tables were checked",
    "dw_lift": "table: hand/lift_reasons.csv, lift reason -> outcome class",
    "dw_types": "table: hand/detainer_types.csv, detainer type -> request kind",
    "dw_ncic": "table: hand/ncic_categories.csv, charge category -> name and tier",
    "dw_unclassified": "table: warnings for released values the hand tables do not map",
    # derive/incremental.py
    "dw_added_facilities": "table: facilities attributed by this ingest that were not before "
    "(the rows stored before must not name them for the stored facts to be extended)",
    # derive/outcomes.py
    "dw_outcome_detainers": "table: the detainers of an outcomes question with their cell",
    "dw_methods": "table: hand/apprehension_methods.csv, apprehension method -> setting",
    "dw_outcome_firsts": "table: per person in each cell, the first detainer and first events",
    # derive/release_diff.py
    "dw_diff": "table: the rows of two releases in a period, keyed for pairing",
    "dw_diff_same": "table: pairs of rows of the two releases with the same outcome",
    "dw_diff_moved": "table: pairs of rows of the two releases whose outcome moved",
    "dw_diff_rows": "table: each row of either release with its pairing status",
    # derive/releases.py
    "dw_release_days": "table: the sources whose rows count each day (precedence rule)",
    "dw_release_override": "table: the one release this connection counts alone, if any",
    # publish/queries/summary.py
    "dw_report_edges": "table: a report's days outside whole months, at the summary's grain",
    "dw_report_cells": "table: a report's detainers by facility and duplicate flag (whole "
    "months from the summary, the other days from dw_report_edges)",
    "dw_report_sources": "table: a report's detainers by source file, with their row spans",
    "dw_report_months": "table: a report's detainers by month of issue and duplicate flag",
    # store/ingest.py
    "dw_ingest_commit": "table: the token telling whether an interrupted ingest committed",
    "dw_duplicate_flags": "table: the detainer rows of a release whose duplicate flag changes",
}


def _temp_name(name: str) -> str:
    if name not in TEMP_OBJECTS:
        raise ValueError(f"{name!r} is not a temporary object of store/schema.py (TEMP_OBJECTS)")
    return name


def create_temp_view(con: DuckDBPyConnection, name: str, select_sql: str) -> None:
    """(Re)make the registered TEMP view name on this connection as select_sql."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_temp_name(name)} AS {select_sql}")


def create_temp_table(con: DuckDBPyConnection, name: str, columns: str) -> None:
    """(Re)make the registered TEMP table name, empty, with columns ("a VARCHAR, b INTEGER")."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_temp_name(name)} ({columns})")


def create_temp_table_as(
    con: DuckDBPyConnection, name: str, select_sql: str, params: Sequence[Any] = ()
) -> None:
    """(Re)make the registered TEMP table name from select_sql (with its parameters)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_temp_name(name)} AS {select_sql}", list(params))
