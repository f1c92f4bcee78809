"""Per-detainer derived facts: outcome class, request kind, criminal-history tier, and the
attribution of its facility, as one view (``detainer_facts``) over the store.

The classes come from the reviewed tables in ``hand/`` (lift_reasons.csv, detainer_types.csv,
ncic_categories.csv; tiers.md explains the tiers). A lift reason that the table does not map
stops everything (UnmappedValue), naming the value, its count and a source row; it is never
folded into another class. The view is a TEMP object, so it works on a read-only store.
"""
from __future__ import annotations

import duckdb

from ..errors import UsageError
from ..handfiles import read_csv

OUTCOMES = ["booked", "declined", "released", "withdrawn", "transferred", "died", "wrongly_issued",
            "open"]
REQUEST_KINDS = ["hold", "notification", "not recorded"]
TIERS = ["violent_or_sex", "other_serious", "drugs", "dui_traffic", "other", "immigration_only",
         "convicted_code_unknown", "pending_charges", "no_conviction", "not_recorded"]
CRIMINALITY = {"1 Convicted Criminal": "convicted", "2 Pending Criminal Charges": "pending_charges",
               "3 Other Immigration Violator": "no_conviction"}
LOCAL_TYPES = ("county", "city", "state")  # the governments that can decline in the policy sense

JURISDICTION_ID = """
CASE
  WHEN a.jurisdiction_type = 'county' AND a.county_fips IS NOT NULL THEN 'county:' || a.county_fips
  WHEN a.jurisdiction_type = 'city' AND a.place_fips IS NOT NULL THEN 'city:' || a.place_fips
  WHEN a.jurisdiction_type = 'state' AND a.state_fips IS NOT NULL THEN 'state:' || a.state_fips
  ELSE coalesce(a.jurisdiction_type, 'unknown') || ':' || coalesce(a.state_fips, '00') || ':' ||
       trim(regexp_replace(lower(coalesce(a.jurisdiction_name, a.facility_name, 'unnamed')),
                           '[^a-z0-9]+', '-', 'g'), '-')
END"""


class UnmappedValue(UsageError):
    """A released value the reviewed tables do not classify."""


HAND_TABLES = ("lift_reasons.csv", "detainer_types.csv", "ncic_categories.csv")
STORED = "detainer_facts_stored"


def hand_hash() -> str:
    import hashlib

    from ..handfiles import hand_path

    digest = hashlib.sha256()
    for name in HAND_TABLES:
        digest.update(hand_path(name).read_bytes())
    return digest.hexdigest()


def materialize(con) -> None:
    """Store the facts as a table (inside the caller's transaction), stamped with the hash of
    the hand tables they were derived with; register() uses it only while the hash matches."""
    _register_view(con, "dw_facts_live")
    # Ordered by issue date, so a period's rows sit together and DuckDB skips the rest.
    con.execute(f"CREATE OR REPLACE TABLE {STORED} AS SELECT * FROM dw_facts_live ORDER BY issued")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('facts_hand_hash', ?)", [hand_hash()])


def _state(con) -> str:
    """What the registration depends on: the hand tables and the sources in the store."""
    n, last = con.execute("SELECT count(*), max(source_id) FROM sources").fetchall()[0]
    return f"{hand_hash()}:{n}:{last}"


def _registered(con, state: str, column: str = "state") -> bool:
    try:
        row = con.execute(f"SELECT {column} FROM dw_registered WHERE state = ?", [state]).fetchall()
    except duckdb.Error:  # not registered on this connection yet
        return False
    return bool(row and row[0][0])


def register(con) -> None:
    """Create the detainer_facts view on this connection: the stored facts when they were
    derived from the current hand tables, else computed live. Once per connection while the
    hand tables and the sources stay the same (reports and profiles call it for every query)."""
    state = _state(con)
    if _registered(con, state):
        return
    _register_view(con, "dw_facts_live")
    stored = con.execute(
        "SELECT value FROM meta WHERE key = 'facts_hand_hash' AND EXISTS (SELECT 1 FROM "
        f"information_schema.tables WHERE table_name = '{STORED}')").fetchall()
    source = STORED if stored and stored[0][0] == hand_hash() else "dw_facts_live"
    con.execute(f"CREATE OR REPLACE TEMP VIEW detainer_facts AS SELECT * FROM {source}")
    con.execute("CREATE OR REPLACE TEMP TABLE dw_registered AS SELECT ? AS state, false AS checked",
                [state])


def _register_view(con, view: str) -> None:
    """The lookup tables and the live view that derives the facts."""
    lifts = [(r["lift_reason"].strip().lower(), r["outcome_class"]) for r in read_csv("lift_reasons.csv")
             if r["lift_reason"].strip()]
    types = [(r["detainer_type"].strip().lower(), r["request_kind"]) for r in read_csv("detainer_types.csv")
             if r["detainer_type"].strip()]
    ncic = [(r["category"], r["name"], r["tier"]) for r in read_csv("ncic_categories.csv")]
    con.execute("CREATE OR REPLACE TEMP TABLE dw_lift (lift_key VARCHAR PRIMARY KEY, outcome VARCHAR)")
    con.executemany("INSERT INTO dw_lift VALUES (?, ?)", lifts)
    con.execute("CREATE OR REPLACE TEMP TABLE dw_types (type_key VARCHAR PRIMARY KEY, kind VARCHAR)")
    con.executemany("INSERT INTO dw_types VALUES (?, ?)", types)
    con.execute("CREATE OR REPLACE TEMP TABLE dw_ncic (category VARCHAR PRIMARY KEY, name VARCHAR, "
                "tier VARCHAR)")
    con.executemany("INSERT INTO dw_ncic VALUES (?, ?, ?)", ncic)
    criminality = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CRIMINALITY.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {view} AS
        SELECT d.source_id, d.source_file, d.sheet, d.row_number, d.release,
               CAST(d.prepare_date AS DATE) AS issued, d.likely_duplicate,
               d.facility_name, d.facility_city, d.facility_state, d.facility_code,
               CASE WHEN d.lift_reason IS NULL OR trim(d.lift_reason) = '' THEN 'open'
                    ELSE coalesce(l.outcome, 'UNMAPPED') END AS outcome,
               CASE WHEN d.detainer_type IS NULL OR trim(d.detainer_type) = '' THEN 'not recorded'
                    ELSE coalesce(t.kind, 'unmapped') END AS request_kind,
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
               {JURISDICTION_ID.replace('a.facility_name', 'd.facility_name')} AS jurisdiction_id
        FROM detainers d
        LEFT JOIN dw_lift l ON lower(trim(d.lift_reason)) = l.lift_key
        LEFT JOIN dw_types t ON lower(trim(d.detainer_type)) = t.type_key
        LEFT JOIN dw_ncic n ON n.category = CASE WHEN regexp_full_match(trim(d.msc_charge_code), '[0-9]{{4}}')
                                                 THEN left(trim(d.msc_charge_code), 2) END
        LEFT JOIN facility_attribution a
          ON d.facility_name IS NOT DISTINCT FROM a.facility_name
         AND d.facility_city IS NOT DISTINCT FROM a.facility_city
         AND d.facility_state IS NOT DISTINCT FROM a.facility_state
         AND d.facility_code IS NOT DISTINCT FROM a.facility_code""")


def _unmapped(con, column: str, lookup: str, key: str) -> list[tuple]:
    """Released values of a detainers column that the lookup table does not map: value, count
    and the first source file and row, most frequent first."""
    return con.execute(
        f"SELECT d.{column}, count(*), min(d.source_file), min(d.row_number) FROM detainers d "
        f"LEFT JOIN {lookup} t ON lower(trim(d.{column})) = t.{key} "
        f"WHERE t.{key} IS NULL AND d.{column} IS NOT NULL AND trim(d.{column}) <> '' "
        "GROUP BY 1 ORDER BY 2 DESC").fetchall()


def check_unmapped(con) -> None:
    """Fail loudly on a lift reason or detainer type the reviewed tables do not map (an unknown
    form is never counted as "type not recorded"). Once per registration."""
    state = _state(con)
    if _registered(con, state, "checked"):
        return
    types = _unmapped(con, "detainer_type", "dw_types", "type_key")
    if types:
        value, count, file, row = types[0]
        raise UnmappedValue(
            f"detainer type {value!r} ({count:,} detainers, e.g. {file} row {row}) is not in "
            "hand/detainer_types.csv: add it there as a hold or notification request")
    rows = _unmapped(con, "lift_reason", "dw_lift", "lift_key")
    if rows:
        value, count, file, row = rows[0]
        more = f" (and {len(rows) - 1} other unmapped values)" if len(rows) > 1 else ""
        raise UnmappedValue(
            f"lift reason {value!r} ({count:,} detainers, e.g. {file} row {row}) is not in "
            f"hand/lift_reasons.csv{more}: add it there with its outcome class")
    if _registered(con, state):
        con.execute("UPDATE dw_registered SET checked = true")


def unknown_ncic(con) -> list[tuple[str, int]]:
    """MSC charge codes whose category the table does not know: listed, never guessed."""
    return con.execute(
        "SELECT msc_category, count(*) FROM detainer_facts WHERE criminality_class = 'convicted' "
        "AND msc_category IS NOT NULL AND msc_category_name IS NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
