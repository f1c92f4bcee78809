"""The tables of the SQLite export (publish/export.py writes them, after the disclosure
function): aggregates by jurisdiction and year and by facility, the source files and the policy
records. Rows keyed by column name: the export writes whatever columns a table has."""

from __future__ import annotations

from typing import Any

from ...derive.facts import outcome_count_columns
from ...derive.ids import JURISDICTION_GEOGRAPHY_SQL
from ..disclosure import protected_facilities_sql
from .base import Reader, rows

__all__ = ["ExportRow", "export_tables"]

ExportRow = dict[str, Any]


def export_tables(reader: Reader) -> dict[str, list[ExportRow]]:
    """Each table of the export by name, its rows as the store holds them (unprotected)."""
    protected = protected_facilities_sql()
    outcome_cols = outcome_count_columns()
    # Whether a facility is for children or a hospital (name patterns, the facility list's
    # type) depends only on its name and code: tested once per name and code of each group, not
    # once per detainer (seven regular expressions over each of 4M rows: ~18 s of a national
    # store's export; issue 16). The groups' counts are asked as before, the flag beside them
    # set from those names (bool_and / bool_or of one value per name and code is the same).
    tables = {
        "jurisdiction_years": f"""
            WITH flags AS (
                SELECT jurisdiction_id, year, bool_and({protected}) AS protected_facility
                FROM (SELECT DISTINCT jurisdiction_id, year(issued) AS year, facility_name,
                             facility_code
                      FROM detainer_facts WHERE NOT likely_duplicate)
                GROUP BY jurisdiction_id, year)
            SELECT m.* REPLACE (f.protected_facility AS protected_facility)
            FROM (SELECT jurisdiction_id, min(jurisdiction_name) AS jurisdiction_name,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(state_abbr) AS state,
                   {JURISDICTION_GEOGRAPHY_SQL},
                   NULL::BOOLEAN AS protected_facility,
                   year(issued) AS year, count(*) AS issued, {outcome_cols}
                  FROM detainer_facts WHERE NOT likely_duplicate
                  GROUP BY jurisdiction_id, year(issued)) m
            JOIN flags f ON m.jurisdiction_id IS NOT DISTINCT FROM f.jurisdiction_id
                        AND m.year IS NOT DISTINCT FROM f.year
            ORDER BY m.jurisdiction_id, m.year""",
        "facilities": f"""
            SELECT * EXCLUDE (facility_name, facility_code)
                     REPLACE ({protected} AS protected_facility)
            FROM (SELECT facility_name AS facility, facility_city AS city,
                   facility_state AS state_as_released,
                   facility_code AS code, any_value(jurisdiction_id) AS jurisdiction_id,
                   any_value(jurisdiction_type) AS jurisdiction_type, any_value(method) AS method,
                   any_value(confidence) AS confidence, bool_or(needs_review) AS needs_review,
                   NULL::BOOLEAN AS protected_facility,
                   count(*) AS issued, {outcome_cols}, facility_name, facility_code
                  FROM detainer_facts WHERE NOT likely_duplicate
                  GROUP BY facility_name, facility_city, facility_state, facility_code)
            ORDER BY issued DESC, facility, city, state_as_released, code""",
        "sources": "SELECT source_id, file_name, sha256, size_bytes, layout, release, rows_in, rows_out, "
        "CAST(ingested_at AS VARCHAR) AS ingested_at FROM sources ORDER BY source_id",
        "policies": "SELECT policy_id, jurisdiction_type, jurisdiction_name, state, state_fips, county_fips, "
        "place_fips, instrument_type, citation, short_title, CAST(in_force_from AS VARCHAR) "
        "AS in_force_from, CAST(in_force_to AS VARCHAR) AS in_force_to, effect, detainer_holds, "
        "notification, jail_access, agreements_287g, source_url, source_note FROM policies",
    }
    return {name: rows(reader, sql) for name, sql in tables.items()}
