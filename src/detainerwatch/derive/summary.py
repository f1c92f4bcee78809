"""The report's summary tables: the stored facts counted, made by every ingest (issue 16: a
report on a national store must not scan every detainer).

Made by ``materialize`` after every ingest (pipeline.after_ingest, inside the ingest's
transaction; their statements are in store/schema.py):

- ``detainer_facts_summary``: the stored facts counted by source file and sheet, month of
  issue, likely-duplicate flag and facility as released (with its attribution), one count
  column per thing the report counts, and the span of source rows each count comes from
  (first_row, last_row): the report's evidence still names the files and rows behind it.
- ``detainer_facts_summary_year``: the same by facility and year (whole years of a report).
- ``detainer_coverage_summary``: the detainers by facility as released and release, with their
  first and last prepare days (what the coverage rows count).

Each is stamped in ``meta`` (``summary_state``) with the hand tables, the sources and a digest
of these definitions; publish/queries/summary.py reads them only while the stamp is current.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from ..store.schema import (
    FACTS_STORED,
    FACTS_SUMMARY,
    coverage_summary_ddl,
    facts_summary_append,
    facts_summary_ddl,
    facts_summary_year_ddl,
)
from . import facts
from .facts import OUTCOMES, TIERS

__all__ = [
    "STAMP",
    "GRAIN",
    "FACILITY_GRAIN",
    "KINDS",
    "DECLINED_CRIMINALITY",
    "COVERAGE_SELECT",
    "counts",
    "summary_select",
    "year_select",
    "definition",
    "materialize",
]

STAMP = "summary_state"  # meta key: what the summary tables were made from

# The grain: a source file's sheet, a month of issue, the duplicate flag, a facility as released
# and its attribution (the same for every row of the facility: detainer_facts joins it on the
# facility's four columns).
GRAIN = (
    "source_id, release, source_file, sheet, "
    "date_trunc('month', issued)::DATE AS month, likely_duplicate, "
    "facility_name, facility_city, facility_state, facility_code, "
    "jurisdiction_id, jurisdiction_name, jurisdiction_display_name, jurisdiction_type, "
    "state_abbr, state_fips, "
    "county_fips, place_fips, needs_review, confidence, method"
)
# A report's facility rows keep every column of the summary's grain but the source and month.
FACILITY_GRAIN = (
    "likely_duplicate, facility_name, facility_city, facility_state, facility_code, "
    "jurisdiction_id, jurisdiction_name, jurisdiction_display_name, jurisdiction_type, "
    "state_abbr, state_fips, "
    "county_fips, place_fips, needs_review, confidence, method"
)
# The criminal-history columns of section II among declined detainers (counts.py
# _CRIMINALITY_COLUMNS), under the names the summary keeps them.
DECLINED_CRIMINALITY = {
    "convicted": "criminality_class = 'convicted'",
    "pending_charges": "criminality_class = 'pending_charges'",
    "no_conviction": "criminality_class = 'no_conviction'",
    "criminality_not_recorded": "criminality_class = 'not_recorded'",
    "threat_level_1": "threat_level = '1'",
    "threat_level_2": "threat_level = '2'",
    "threat_level_3": "threat_level = '3'",
    "threat_level_none": "threat_level IS NULL",
    "aggravated_felony": "aggravated_felony",
}
KINDS = {
    "hold_requests": "request_kind = 'hold'",
    "notification_requests": "request_kind = 'notification'",
    "type_not_recorded": "request_kind = 'not recorded'",
    "declined_hold_requests": "outcome = 'declined' AND request_kind = 'hold'",
    "declined_notification_requests": "outcome = 'declined' AND request_kind = 'notification'",
}

COVERAGE_SELECT = """
    SELECT facility_name, facility_city, facility_state, facility_code, release,
           min(prepare_date)::DATE AS first, max(prepare_date)::DATE AS last, count(*) AS rows
    FROM detainers GROUP BY ALL"""


def counts() -> list[tuple[str, str]]:
    """The count columns of the summary, (name, condition): rows, each outcome class, request
    kinds, the tier mix of all rows (i_), the mix of declined rows (d_)."""
    out = [("issued", "true")]
    out += [(o, f"outcome = '{o}'") for o in OUTCOMES]
    out += list(KINDS.items())
    out += [(f"i_{t}", f"tier = '{t}'") for t in TIERS]
    out += [(f"d_{t}", f"outcome = 'declined' AND tier = '{t}'") for t in TIERS]
    out += [  # pending_charges and no_conviction: a tier and a criminality class, one count
        (f"d_{name}", f"outcome = 'declined' AND {cond}")
        for name, cond in DECLINED_CRIMINALITY.items()
        if name not in TIERS
    ]
    return out


def count_columns() -> str:
    """The summary's count columns as aggregates over rows of facts (count(*) per condition)."""
    return ", ".join(
        "count(*) AS issued" if cond == "true" else f"count(*) FILTER (WHERE {cond}) AS {name}"
        for name, cond in counts()
    )


def _counted_columns() -> str:
    """The summary's count columns and the span of source rows behind them."""
    return count_columns() + ", min(row_number) AS first_row, max(row_number) AS last_row"


def summary_select(source: str, where: str = "true") -> str:
    """The summary's rows from a relation of facts (the stored facts, or detainer_facts)."""
    return f"SELECT {GRAIN}, {_counted_columns()} FROM {source} WHERE {where} GROUP BY ALL"


def year_select() -> str:
    """The summary by facility and year, from the summary by month (no source or row span:
    it counts the facility rows of whole years only; evidence and trend read the months)."""
    sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name, _ in counts())
    return (
        f"SELECT date_trunc('year', month)::DATE AS year, {FACILITY_GRAIN}, {sums} "
        f"FROM {FACTS_SUMMARY} GROUP BY ALL"
    )


@cache
def definition() -> str:
    """A digest of the summary tables' definitions (their SELECTs, with every count's name and
    condition): a summary made by other code is never used, even from the same sources."""
    text = "\n".join((summary_select(FACTS_STORED), year_select(), COVERAGE_SELECT))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def materialize(con: Any, after_source: int | None = None) -> None:
    """(Re)make the summary tables from the stored facts and the detainers, inside the
    caller's transaction, and stamp them (meta summary_state) with the hand tables and sources
    they were made from. Call after derive.facts.materialize. With ``after_source`` the rows
    of the sources after it are appended to the summary by month (its grain has the source:
    the rows of the others stay exact when derive/incremental.py says so); the tables made
    from all of them are remade."""
    if after_source is None:
        con.execute(facts_summary_ddl(summary_select(FACTS_STORED)))
    else:
        where = f"source_id > {int(after_source)}"
        con.execute(facts_summary_append(summary_select(FACTS_STORED, where)))
    con.execute(facts_summary_year_ddl(year_select()))
    con.execute(coverage_summary_ddl(COVERAGE_SELECT))
    stamp = f"{facts.hand_hash()}:{facts.sources_state(con)}:{definition()}"
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [STAMP, stamp])
