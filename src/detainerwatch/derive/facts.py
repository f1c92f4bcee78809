"""Per-detainer derived facts: outcome class, request kind, criminal-history tier, and the
attribution of its facility, as one view (``detainer_facts``) over the store.

The classes come from the reviewed tables in ``hand/`` (lift_reasons.csv, detainer_types.csv,
ncic_categories.csv; tiers.md explains the tiers). A lift reason or detainer type that the
tables do not map is refused by the ingest that brings it (store/ingest.py), unless the user
accepted it explicitly (--accept-unmapped); the store can then be trusted here. Such a value, or
one a later edit of the tables left unmapped, is never folded into another class: its outcome or
request kind is "unclassified", and check_unmapped() gives the warning pages show with it
(value, count, a source row). The view is a TEMP object, so it works on a read-only store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ..errors import UsageError
from ..handfiles import read_csv
from ..store.schema import (
    FACTS_STORED,
    VALUE_COUNTS,
    facts_stored_append,
    facts_stored_ddl,
    value_counts_ddl,
)
from . import releases
from .ids import jurisdiction_id_sql, named_attribution_sql, slug_sql, unresolved_name_sql
from duckdb import DuckDBPyConnection
from ..store.schema import create_temp_table, create_temp_table_as, create_temp_view

OUTCOMES = [
    "booked",
    "declined",
    "released",
    "withdrawn",
    "transferred",
    "died",
    "wrongly_issued",
    "open",
]


def outcome_count_columns(outcomes: Sequence[str] = OUTCOMES) -> str:
    """SQL select-list items over detainer_facts: one count per outcome class, named after it
    (the one place these columns are written)."""
    return ", ".join(f"count(*) FILTER (WHERE outcome = '{o}') AS {o}" for o in outcomes)


REQUEST_KINDS = ["hold", "notification", "not recorded"]
TIERS = [
    "violent_or_sex",
    "other_serious",
    "drugs",
    "dui_traffic",
    "other",
    "immigration_only",
    "convicted_code_unknown",
    "pending_charges",
    "no_conviction",
    "not_recorded",
]
CRIMINALITY = {
    "1 Convicted Criminal": "convicted",
    "2 Pending Criminal Charges": "pending_charges",
    "3 Other Immigration Violator": "no_conviction",
}
# The governments that can decline in the policy sense; "regional" is a jail run jointly by
# several local governments (Hampton Roads Regional Jail), which the resolver names as such.
LOCAL_TYPES = ("county", "city", "regional", "state")

JURISDICTION_ID = jurisdiction_id_sql("a.")  # names bounded: see derive/ids.py
# The view computes a jurisdiction id once per attribution row (a distinct facility as
# released), not once per detainer: the slug's regular expression per row was the largest
# cost of the stored facts. A detainer whose facility has no attribution row gets the id the
# same rule gives with every attribution column null (type unknown, state 00, its name).
# The facts' jurisdiction_name is the id's one name and jurisdiction_display_name the name
# pages show (derive/ids.py named_attribution_sql: from all of the id's attribution rows), so
# every page reads the same name for an id; facility_attribution keeps each facility's own.
UNATTRIBUTED_ID = "'unknown:00:' || " + slug_sql("coalesce(d.facility_name, 'unnamed')")
# Its name as shown: the rule of derive/ids.py over its own row (the ingest attributes every
# facility it brings, so such a detainer is one of a store left without attribution rows).
UNATTRIBUTED_NAME = unresolved_name_sql("d.facility_name")


UNCLASSIFIED = "unclassified"  # outcome / request kind of a value no reviewed table maps


class UnmappedValue(UsageError):
    """A released value the reviewed tables do not classify (kept for callers that catch it;
    reading the store no longer raises it: see check_unmapped)."""


HAND_TABLES = (
    "lift_reasons.csv",
    "detainer_types.csv",
    "ncic_categories.csv",
    "release_precedence.yaml",
)
STORED = FACTS_STORED  # the stored table is defined in store/schema.py


def hand_hash() -> str:
    import hashlib

    from ..handfiles import hand_path

    digest = hashlib.sha256()
    for name in HAND_TABLES:
        digest.update(hand_path(name).read_bytes())
    # The rules written in code too: stored facts made by an older rule are not reused.
    digest.update(jurisdiction_id_sql("a.").encode())
    digest.update(UNCLASSIFIED.encode())
    digest.update(_facts_select().encode())  # every derived column's rule
    return digest.hexdigest()


def materialize(con: DuckDBPyConnection, after_source: int | None = None) -> None:
    """Store the facts as a table (inside the caller's transaction), stamped with the hash of
    the hand tables they were derived with; register() uses it only while the hash matches.
    Only the rows of the release that supplies their day (derive.releases) are stored.
    With ``after_source`` only the facts of the sources after it are derived and appended
    (derive/incremental.py decides when the stored ones are still exact)."""
    # The named attribution as a table of its own first: the ingest has just made the
    # attribution again in this transaction, and over those rows the planner took the id's
    # name (a window) for empty and built its hash join on the detainers instead (2M-row text:
    # the facts 2.0 -> 4.8 s). A table's count is exact: the plan of committed attribution.
    create_temp_table_as(con, "dw_named_attribution", named_attribution_sql())
    _register_view(con, "dw_facts_live", attribution="dw_named_attribution")
    _register_supplied(con)
    bounds = _sort_bounds(con, after_source)
    if after_source is None:
        statements = facts_stored_ddl("dw_facts_supplied", bounds)
    else:
        statements = facts_stored_append("dw_facts_supplied", after_source, bounds)
    for statement in statements:
        con.execute(statement)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('facts_hand_hash', ?)", [hand_hash()])
    _materialize_value_counts(con)


# Rows sorted at a time when the stored facts are made. The one sort by issue date held every
# row (29 columns) at once and set the peak of an ingest: a 1M-row workbook's facts statement
# took ~690 MB of the ingest's ~990 MB peak (goal 1 GiB). Sorted and written by issue-date
# ranges of about this many detainers, the table is the same and costs about as much (one run
# each, 2 cores, the statement alone: 1M rows 1.43 s, 690 MB -> 1.46 s, 570 MB; 2M-row text
# 1.73 s, 1,080 MB -> 1.75 s, 490 MB; 4M rows 7.0 s, 2,170 MB -> 5.9 s, 600 MB. Whole ingests
# by bench.stages: the 1M workbook's peak 997 -> 800 MB, the 2M text's 1,235 -> ~720 MB for
# ~0.15 s more; ranges of 300,000 rows cost the text ~0.35 s; issue 16).
SORT_CHUNK_ROWS = 500_000


def _sort_bounds(con: DuckDBPyConnection, after_source: int | None) -> list[Any]:
    """Issue dates that split the detainers to derive into ranges of about SORT_CHUNK_ROWS
    (their quantiles; none when they are fewer)."""
    only = "true" if after_source is None else f"source_id > {int(after_source)}"
    n = con.execute(f"SELECT count(*) FROM detainers WHERE {only}").fetchall()[0][0]
    k = -(-n // SORT_CHUNK_ROWS)
    if k <= 1:
        return []
    fractions = ", ".join(str(i / k) for i in range(1, k))
    (found,) = con.execute(
        f"SELECT quantile_disc(CAST(prepare_date AS DATE), [{fractions}]) FROM detainers "
        f"WHERE prepare_date IS NOT NULL AND {only}"
    ).fetchall()[0]
    return sorted({d for d in found or () if d is not None})


# The coded columns check_unmapped reads, each counted by released value (raw, as stored).
_CHECKED_COLUMNS = ("detainer_type", "lift_reason")


def sources_state(con: DuckDBPyConnection) -> str:
    """What the sources in the store are, for stamps: their count and newest id (an ingest only
    adds a source)."""
    n, last = releases.sources_count(con)
    return f"{n}:{last}"


def _materialize_value_counts(con: DuckDBPyConnection) -> None:
    """Each checked column's released values with their count and first source file and row
    (store/schema.py VALUE_COUNTS), stamped with the sources counted."""
    select = " UNION ALL ".join(
        f"SELECT '{c}' AS column_name, {c} AS value, count(*) AS n, min(source_file) AS "
        f"first_file, min(row_number) AS first_row FROM detainers WHERE {c} IS NOT NULL "
        f"AND trim({c}) <> '' GROUP BY {c}"
        for c in _CHECKED_COLUMNS
    )
    con.execute(value_counts_ddl(select))
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('value_counts_sources', ?)", [sources_state(con)]
    )


def _value_counts_current(con: DuckDBPyConnection) -> bool:
    """Whether the value counts exist and were made from the sources now in the store."""
    found = con.execute(
        "SELECT value FROM meta WHERE key = 'value_counts_sources' AND EXISTS (SELECT 1 FROM "
        f"information_schema.tables WHERE table_name = '{VALUE_COUNTS}')"
    ).fetchall()
    return bool(found) and found[0][0] == sources_state(con)


def _state(con: DuckDBPyConnection) -> str:
    """What the registration depends on: the hand tables, the sources in the store and the
    release counted alone on this connection (releases.use_release), if any."""
    return f"{hand_hash()}:{sources_state(con)}:{releases.override(con)}"


def _registered(con: DuckDBPyConnection, state: str, column: str = "state") -> bool:
    try:
        row = con.execute(f"SELECT {column} FROM dw_registered WHERE state = ?", [state]).fetchall()
    except duckdb.Error:  # not registered on this connection yet
        return False
    return bool(row and row[0][0])


def register(con: DuckDBPyConnection) -> None:
    """Create the detainer_facts view on this connection: the stored facts when they were
    derived from the current hand tables, else computed live. Once per connection while the
    hand tables and the sources stay the same (reports and profiles call it for every query).
    Each day holds the rows of one release only (derive.releases: the precedence rule, or the
    one release of releases.use_release)."""
    state = _state(con)
    if _registered(con, state):
        return
    _register_view(con, "dw_facts_live")
    alone = releases.override(con)
    stored = con.execute(
        "SELECT value FROM meta WHERE key = 'facts_hand_hash' AND EXISTS (SELECT 1 FROM "
        f"information_schema.tables WHERE table_name = '{STORED}')"
    ).fetchall()
    if alone is not None:
        source = "dw_facts_live WHERE release = '" + alone.replace("'", "''") + "'"
    elif stored and stored[0][0] == hand_hash():
        source = STORED
    else:
        _register_supplied(con)
        source = "dw_facts_supplied"
    create_temp_view(con, "detainer_facts", f"SELECT * FROM {source}")
    create_temp_table_as(con, "dw_registered", "SELECT ? AS state, false AS checked", [state])


def _register_supplied(con: DuckDBPyConnection) -> None:
    """dw_facts_supplied: the live facts of the release that supplies each day."""
    releases.register_days(con)
    create_temp_view(
        con, "dw_facts_supplied", f"SELECT * FROM dw_facts_live f WHERE {releases.SUPPLIED_FILTER}"
    )


def _insert_all(
    con: DuckDBPyConnection, table: str, rows: Sequence[tuple[Any, ...]], width: int
) -> None:
    """The rows inserted by one statement (executemany inserts a row at a time: ~0.1 s for the
    three lookup tables on every connection)."""
    if rows:
        values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows))
        con.execute(f"INSERT INTO {table} VALUES {values}", [v for row in rows for v in row])


def _register_view(con: DuckDBPyConnection, view: str, attribution: str | None = None) -> None:
    """The lookup tables and the live view that derives the facts (from ``attribution``, a
    table of named_attribution_sql()'s rows, when given)."""
    lifts = [
        (r["lift_reason"].strip().lower(), r["outcome_class"])
        for r in read_csv("lift_reasons.csv")
        if r["lift_reason"].strip()
    ]
    types = [
        (r["detainer_type"].strip().lower(), r["request_kind"])
        for r in read_csv("detainer_types.csv")
        if r["detainer_type"].strip()
    ]
    ncic = [(r["category"], r["name"], r["tier"]) for r in read_csv("ncic_categories.csv")]
    create_temp_table(con, "dw_lift", "lift_key VARCHAR PRIMARY KEY, outcome VARCHAR")
    _insert_all(con, "dw_lift", lifts, 2)
    create_temp_table(con, "dw_types", "type_key VARCHAR PRIMARY KEY, kind VARCHAR")
    _insert_all(con, "dw_types", types, 2)
    create_temp_table(con, "dw_ncic", "category VARCHAR PRIMARY KEY, name VARCHAR, tier VARCHAR")
    _insert_all(con, "dw_ncic", ncic, 3)
    create_temp_view(con, view, _facts_select(attribution))


def _facts_select(attribution: str | None = None) -> str:
    """The SELECT deriving the facts from the detainers and the lookup tables (dw_lift,
    dw_types, dw_ncic) and the attribution with each id's one name (derive/ids.py
    named_attribution_sql, or ``attribution``: a table of its rows)."""
    named = attribution or f"({named_attribution_sql()})"
    criminality = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CRIMINALITY.items())
    return f"""SELECT d.source_id, d.source_file, d.sheet, d.row_number, d.release,
               CAST(d.prepare_date AS DATE) AS issued, d.likely_duplicate,
               d.facility_name, d.facility_city, d.facility_state, d.facility_code,
               CASE WHEN d.lift_reason IS NULL OR trim(d.lift_reason) = '' THEN 'open'
                    ELSE coalesce(l.outcome, '{UNCLASSIFIED}') END AS outcome,
               CASE WHEN d.detainer_type IS NULL OR trim(d.detainer_type) = '' THEN 'not recorded'
                    ELSE coalesce(t.kind, '{UNCLASSIFIED}') END AS request_kind,
               CASE WHEN d.criminality IS NULL THEN 'not_recorded'
                    ELSE coalesce(CASE d.criminality {criminality} END, 'unmapped') END AS criminality_class,
               d.threat_level,
               CASE WHEN regexp_full_match(trim(d.msc_charge_code), '[0-9]{{4}}')
                    THEN left(trim(d.msc_charge_code), 2) END AS msc_category,
               n.name AS msc_category_name,
               CASE
                 WHEN d.criminality IS NULL THEN 'not_recorded'
                 WHEN d.criminality = '2 Pending Criminal Charges' THEN 'pending_charges'
                 WHEN d.criminality = '3 Other Immigration Violator' THEN 'no_conviction'
                 WHEN d.criminality = '1 Convicted Criminal' THEN coalesce(n.tier, 'convicted_code_unknown')
                 ELSE 'not_recorded' END AS tier,
               upper(trim(d.aggravated_felony)) = 'YES' AS aggravated_felony,
               coalesce(a.jurisdiction_type, 'unknown') AS jurisdiction_type,
               a.jurisdiction_name, a.state_abbr, a.state_fips, a.county_fips, a.place_fips,
               coalesce(a.needs_review, true) AS needs_review, a.confidence, a.method,
               coalesce(a.jurisdiction_id, {UNATTRIBUTED_ID}) AS jurisdiction_id,
               coalesce(a.jurisdiction_display_name, {UNATTRIBUTED_NAME}) AS jurisdiction_display_name
        FROM detainers d
        LEFT JOIN dw_lift l ON lower(trim(d.lift_reason)) = l.lift_key
        LEFT JOIN dw_types t ON lower(trim(d.detainer_type)) = t.type_key
        LEFT JOIN dw_ncic n ON n.category = CASE WHEN regexp_full_match(trim(d.msc_charge_code), '[0-9]{{4}}')
                                                 THEN left(trim(d.msc_charge_code), 2) END
        LEFT JOIN {named} a
          ON d.facility_name IS NOT DISTINCT FROM a.facility_name
         AND d.facility_city IS NOT DISTINCT FROM a.facility_city
         AND d.facility_state IS NOT DISTINCT FROM a.facility_state
         AND d.facility_code IS NOT DISTINCT FROM a.facility_code"""


def _unmapped(
    con: DuckDBPyConnection, column: str, lookup: str, key: str, counted: bool = False
) -> list[tuple[Any, ...]]:
    """Released values of a detainers column that the lookup table does not map: value, count
    and the first source file and row, most frequent first (then by value). From the value
    counts made at ingest when `counted` (they are current), else from every detainer."""
    if counted:
        return con.execute(
            f"SELECT v.value, v.n, v.first_file, v.first_row FROM {VALUE_COUNTS} v "
            f"LEFT JOIN {lookup} t ON lower(trim(v.value)) = t.{key} "
            f"WHERE v.column_name = ? AND t.{key} IS NULL ORDER BY 2 DESC, 1",
            [column],
        ).fetchall()
    return con.execute(
        f"SELECT d.{column}, count(*), min(d.source_file), min(d.row_number) FROM detainers d "
        f"LEFT JOIN {lookup} t ON lower(trim(d.{column})) = t.{key} "
        f"WHERE t.{key} IS NULL AND d.{column} IS NOT NULL AND trim(d.{column}) <> '' "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_unmapped(con: DuckDBPyConnection) -> list[str]:
    """Warnings for lift reasons and detainer types the reviewed tables do not map, shown as
    "unclassified" (never counted as another class, nor as "type not recorded"). The ingest
    refuses such values unless accepted explicitly, so this is normally empty; it never raises,
    so no page fails on what the store holds. Computed once per registration."""
    state = _state(con)
    if _registered(con, state, "checked"):
        return [r[0] for r in con.execute("SELECT note FROM dw_unclassified ORDER BY k").fetchall()]
    notes = []
    counted = _value_counts_current(con)
    for column, lookup, key, table, what in (
        ("detainer_type", "dw_types", "type_key", "detainer_types.csv", "request kind"),
        ("lift_reason", "dw_lift", "lift_key", "lift_reasons.csv", "outcome"),
    ):
        rows = _unmapped(con, column, lookup, key, counted)
        if not rows:
            continue
        total = sum(r[1] for r in rows)
        listed = "; ".join(
            f"{_short(v)!r} ({n:,}, e.g. {_short(f)} row {r})" for v, n, f, r in rows[:5]
        )
        more = f"; and {len(rows) - 5} other values" if len(rows) > 5 else ""
        notes.append(
            f"Warning: {total:,} detainers have a {column.replace('_', ' ')} that "
            f'hand/{table} does not map, so their {what} is shown as "{UNCLASSIFIED}" and '
            f"counted in no other class: {listed}{more}."
        )
    create_temp_table(con, "dw_unclassified", "k INTEGER, note VARCHAR")
    if notes:
        con.executemany("INSERT INTO dw_unclassified VALUES (?, ?)", list(enumerate(notes)))
    if _registered(con, state):
        con.execute("UPDATE dw_registered SET checked = true")
    return notes


def unknown_ncic(con: DuckDBPyConnection) -> list[tuple[str, int]]:
    """MSC charge codes whose category the table does not know: listed, never guessed."""
    return con.execute(
        "SELECT msc_category, count(*) FROM detainer_facts WHERE criminality_class = 'convicted' "
        "AND msc_category IS NOT NULL AND msc_category_name IS NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
