"""The report's questions answered from counts, not rows (issue 16: a report on a national
store must not scan every detainer).

The summary tables (derive/summary.py defines them; every ingest makes them) count the stored
facts by source sheet, month, facility and attribution. A report's period is made of whole
months (and whole years) counted from the summary, and the days before the first and after the
last whole month, counted from the facts themselves at the same grain (``report_cells``: one
TEMP table per report, dw_report_cells). Every question below then asks that table and answers
exactly what the question of the same name in counts.py answers over detainer_facts. A store
made before the summary existed, a store whose facts are derived live (hand tables changed
since the ingest) and a connection counting one release alone count the whole period from the
facts: slower, the same answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import duckdb

from ...derive import facts, releases
from ...derive.facts import OUTCOMES, TIERS
from ...derive.summary import (
    DECLINED_CRIMINALITY,
    FACILITY_GRAIN,
    KINDS,
    STAMP,
    count_columns,
    counts,
    definition,
    summary_select,
)
from ...store.schema import (
    COVERAGE_SUMMARY,
    FACTS_SUMMARY,
    FACTS_SUMMARY_YEAR,
    create_temp_table_as,
)
from .. import disclosure
from .base import Reader, connection, rows, scalar, tuples
from .counts import (
    FACILITY_COLUMNS,
    CountyCounts,
    CoverageRow,
    DeclinedMix,
    DoubtfulFacility,
    IssuedMix,
    JurisdictionDeclinedMix,
    KindCounts,
    ReleaseEvidence,
    ReportFacility,
    ReportJurisdiction,
    TrendPoint,
)

__all__ = [
    "summary_usable",
    "report_cells",
    "cells_totals",
    "cells_duplicates",
    "cells_jurisdictions",
    "cells_declined_mix_by_jurisdiction",
    "cells_declined_mix",
    "cells_issued_mix",
    "cells_release_evidence",
    "cells_doubtful_facilities",
    "cells_doubtful_detainers",
    "cells_trend_by_month",
    "cells_county_counts",
    "cells_facility_counts",
    "coverage_rows_summary",
]

CELLS = "dw_report_cells"
EDGES = "dw_report_edges"
SOURCES = "dw_report_sources"
MONTHS = "dw_report_months"


def _sources_state(reader: Reader) -> str:
    return facts.sources_state(connection(reader))


def _facility_columns() -> str:
    """The columns of a report's facility rows: the facility grain and every count."""
    return f"{FACILITY_GRAIN}, {', '.join(name for name, _ in counts())}"


def _stamp(reader: Reader) -> tuple[str | None, str | None]:
    """The summary's stamp and the stored facts' hand hash, or None where absent."""
    found = dict(
        tuples(
            reader,
            # duckdb_tables(), not information_schema.tables: the same answer for a table,
            # planned in 2.7-3.1 ms against 4.1-4.4 (asked twice by a report; issue 16)
            "SELECT key, value FROM meta WHERE key IN (?, 'facts_hand_hash') AND EXISTS (SELECT 1 "
            "FROM duckdb_tables() WHERE table_name = ?)",
            [STAMP, FACTS_SUMMARY_YEAR],
        )
    )
    return found.get(STAMP), found.get("facts_hand_hash")


def summary_usable(reader: Reader) -> bool:
    """Whether detainer_facts is the stored facts and the summary was made from them (the same
    hand tables and sources): only then may a count come from the summary."""
    stamp, stored_hash = _stamp(reader)
    if stamp is None or releases.override(connection(reader)) is not None:
        return False
    current = facts.hand_hash()
    made_from = f"{current}:{_sources_state(reader)}:{definition()}"
    return stored_hash == current and stamp == made_from


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first day of the first whole month in [start, end] and the first day after the last
    whole month, or None when the period holds no whole month."""
    first = start if start.day == 1 else _next_month(start)
    after = _month_start(end + dt.timedelta(days=1))
    return (first, after) if first < after else None


def whole_years(first: dt.date, after: dt.date) -> tuple[dt.date, dt.date] | None:
    """Of whole months [first, after) (each the first day of a month): the first day of the
    first whole year and the first day after the last, or None when they hold no whole year."""
    y_first = first if first.month == 1 else dt.date(first.year + 1, 1, 1)
    y_after = dt.date(after.year, 1, 1)
    return (y_first, y_after) if y_first < y_after else None


def report_cells(
    reader: Reader, start: dt.date, end: dt.date, state_fips: str | None = None
) -> None:
    """Count the detainers issued in [start, end] (in one state, or all) once, for every
    question of the report: whole months from the summary when it is usable, the rest from the
    facts at the summary's grain (dw_report_edges), into dw_report_cells (by facility and
    duplicate flag, with the facility's protected flag, publish.disclosure's rule),
    dw_report_sources (by source file: the evidence) and dw_report_months (the trend). The
    facility rows of whole years come from the summary by year (a tenth of the rows). A period
    holding no whole month (a week) is counted from the facts straight into the three tables
    (_cells_from_facts)."""
    con = connection(reader)
    state = " AND state_fips = ?" if state_fips else ""
    state_params: list[Any] = [state_fips] if state_fips else []
    months = whole_months(start, end) if summary_usable(reader) else None
    if months is None:
        _cells_from_facts(con, f"(issued BETWEEN ? AND ?){state}", [start, end, *state_params])
        return
    parts: list[str] = []
    params: list[Any] = []
    first, after = months
    parts.append(f"SELECT * FROM {FACTS_SUMMARY} WHERE month >= ? AND month < ?{state}")
    params += [first, after, *state_params]
    ranges = [(start, first - dt.timedelta(days=1)), (after, end)]
    ranges = [(a, b) for a, b in ranges if a <= b]
    if ranges:
        within = " OR ".join("issued BETWEEN ? AND ?" for _ in ranges)
        create_temp_table_as(
            con,
            EDGES,
            summary_select("detainer_facts", f"({within}){state}"),
            [d for r in ranges for d in r] + state_params,
        )
        parts.append(f"SELECT * FROM {EDGES}")
    counted = f"({' UNION ALL BY NAME '.join(parts)})"
    # The facility rows: whole years from the summary by year, the other whole months from the
    # summary by month, the other days from dw_report_edges.
    cols = _facility_columns()
    years = whole_years(*months)
    if years is None:
        cell_parts = [f"SELECT {cols} FROM {counted}"]
        cell_params = params
    else:
        y_first, y_after = years
        cell_parts = [
            f"SELECT {cols} FROM {FACTS_SUMMARY_YEAR} WHERE year >= ? AND year < ?{state}",
            f"SELECT {cols} FROM {FACTS_SUMMARY} WHERE ((month >= ? AND month < ?) "
            f"OR (month >= ? AND month < ?)){state}",
        ]
        cell_params = [y_first, y_after, *state_params, first, y_first, y_after, after]
        cell_params += state_params
        if ranges:
            cell_parts.append(f"SELECT {cols} FROM {EDGES}")
    sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name, _ in counts())
    create_temp_table_as(
        con,
        CELLS,
        f"""WITH f AS (SELECT {FACILITY_GRAIN}, {sums}
                       FROM ({" UNION ALL BY NAME ".join(cell_parts)}) GROUP BY ALL)
        SELECT *, {disclosure.protected_facilities_sql()} AS protected_facility FROM f""",
        cell_params,
    )
    create_temp_table_as(
        con,
        SOURCES,
        f"""SELECT source_id, release, source_file, sum(issued)::BIGINT AS rows,
                   min(first_row) AS first_row, max(last_row) AS last_row
            FROM {counted} GROUP BY ALL""",
        params,
    )
    create_temp_table_as(
        con,
        MONTHS,
        f"""SELECT month, likely_duplicate, sum(issued)::BIGINT AS issued,
                   sum(declined)::BIGINT AS declined, sum(booked)::BIGINT AS booked
            FROM {counted} GROUP BY ALL""",
        params,
    )


def _cells_from_facts(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> None:
    """The three tables of report_cells for a period holding no whole month (a week), or when
    the summary is not usable: counted from the facts straight into each, at its own grain (the
    same rows and types as through dw_report_edges at the summary's grain: a sum of counts is
    the count). One aggregation of 41 counts by 15 columns fewer, the largest statement of a
    weekly report on this DuckDB (issue 16: about 30 ms of a national store's week)."""
    conditions = dict(counts())
    create_temp_table_as(
        con,
        CELLS,
        f"""WITH f AS (SELECT {FACILITY_GRAIN}, {count_columns()}
                       FROM detainer_facts WHERE {where} GROUP BY ALL)
        SELECT *, {disclosure.protected_facilities_sql()} AS protected_facility FROM f""",
        params,
    )
    create_temp_table_as(
        con,
        SOURCES,
        f"""SELECT source_id, release, source_file, count(*)::BIGINT AS rows,
                   min(row_number) AS first_row, max(row_number) AS last_row
            FROM detainer_facts WHERE {where} GROUP BY ALL""",
        params,
    )
    create_temp_table_as(
        con,
        MONTHS,
        f"""SELECT date_trunc('month', issued)::DATE AS month, likely_duplicate,
                   count(*)::BIGINT AS issued,
                   count(*) FILTER (WHERE {conditions["declined"]})::BIGINT AS declined,
                   count(*) FILTER (WHERE {conditions["booked"]})::BIGINT AS booked
            FROM detainer_facts WHERE {where} GROUP BY ALL""",
        params,
    )


def _sum(column: str, alias: str | None = None, where: str | None = None) -> str:
    filt = f" FILTER (WHERE {where})" if where else ""
    return f"coalesce(sum({column}){filt}, 0)::BIGINT AS {alias or column}"


def _outcome_sums() -> str:
    return ", ".join(_sum(o) for o in OUTCOMES)


def _kind_sums() -> str:
    return ", ".join(_sum(k) for k in KINDS)


def cells_totals(reader: Reader) -> KindCounts:
    """counts.counted_totals of the report's counted rows."""
    return cast(
        KindCounts,
        rows(
            reader,
            f"SELECT {_sum('issued')}, {_outcome_sums()}, {_kind_sums()} "
            f"FROM {CELLS} WHERE NOT likely_duplicate",
        )[0],
    )


def cells_duplicates(reader: Reader) -> int:
    """counts.count of the report's likely duplicates."""
    return int(scalar(reader, f"SELECT {_sum('issued')} FROM {CELLS} WHERE likely_duplicate"))


_FACILITY = "(facility_name, facility_city, facility_code)"


def cells_jurisdictions(reader: Reader) -> list[ReportJurisdiction]:
    """counts.jurisdiction_counts of the report's counted rows."""
    return cast(
        list[ReportJurisdiction],
        rows(
            reader,
            f"""
        SELECT jurisdiction_id AS id,
               min(jurisdiction_display_name) AS name,  -- the id's one name (derive/ids.py)
               any_value(jurisdiction_type) AS jurisdiction_type,
               coalesce(any_value(state_abbr), any_value(facility_state)) AS state,
               CASE WHEN any_value(jurisdiction_type) = 'county'
                      OR (any_value(jurisdiction_type) = 'city' AND count(DISTINCT county_fips) = 1)
                    THEN any_value(county_fips) END AS county_fips,
               CASE WHEN any_value(jurisdiction_type) = 'city' THEN any_value(place_fips) END AS place_fips,
               any_value(state_fips) AS state_fips,
               {_sum("issued")}, {_outcome_sums()}, {_kind_sums()},
               count(DISTINCT {_FACILITY}) AS facilities,
               count(DISTINCT {_FACILITY}) FILTER (WHERE needs_review) AS doubtful_facilities,
               {_sum("issued", "issued_at_doubtful_facilities", "needs_review")},
               bool_and(protected_facility) AS protected_facility
        FROM {CELLS} WHERE NOT likely_duplicate
        GROUP BY 1 ORDER BY declined DESC, issued DESC, id""",
        ),
    )


def _declined_mix_sums() -> str:
    """Section II's columns in counts.declined_mix's order (pending_charges and no_conviction
    twice, as there: tier and criminality class, the same count)."""
    tiers = [_sum(f"d_{t}", t) for t in TIERS]
    crim = [_sum(f"d_{name}", name) for name in DECLINED_CRIMINALITY]
    return ", ".join([*tiers, *crim])


def cells_declined_mix_by_jurisdiction(reader: Reader) -> list[JurisdictionDeclinedMix]:
    """counts.declined_mix_by_jurisdiction of the report's counted rows."""
    return cast(
        list[JurisdictionDeclinedMix],
        rows(
            reader,
            f"""
        SELECT jurisdiction_id AS id, {_sum("declined")}, {_declined_mix_sums()}
        FROM {CELLS} WHERE NOT likely_duplicate AND declined > 0
        GROUP BY 1 ORDER BY declined DESC, id""",
        ),
    )


def cells_declined_mix(reader: Reader) -> DeclinedMix:
    """counts.declined_mix of the report's counted rows."""
    return cast(
        DeclinedMix,
        rows(
            reader,
            f"SELECT {_sum('declined')}, {_declined_mix_sums()} FROM {CELLS} "
            "WHERE NOT likely_duplicate AND declined > 0",
        )[0],
    )


def cells_issued_mix(reader: Reader) -> IssuedMix:
    """counts.issued_mix of the report's counted rows."""
    tiers = ", ".join(_sum(f"i_{t}", t) for t in TIERS)
    return cast(
        IssuedMix,
        rows(
            reader,
            f"SELECT {_sum('issued')}, count(DISTINCT jurisdiction_id) AS jurisdictions, {tiers} "
            f"FROM {CELLS} WHERE NOT likely_duplicate",
        )[0],
    )


def cells_release_evidence(reader: Reader) -> list[ReleaseEvidence]:
    """counts.release_evidence of every row of the report's period (duplicates included)."""
    return cast(
        list[ReleaseEvidence],
        rows(
            reader,
            f"""
        SELECT f.release, f.source_file, any_value(s.sha256) AS sha256,
               sum(f.rows)::BIGINT AS rows, min(f.first_row) AS first_row,
               max(f.last_row) AS last_row
        FROM {SOURCES} f JOIN sources s ON s.source_id = f.source_id
        GROUP BY f.release, f.source_file ORDER BY 1, 2""",
        ),
    )


def cells_doubtful_facilities(reader: Reader) -> list[DoubtfulFacility]:
    """counts.doubtful_facilities of the report's counted rows."""
    return cast(
        list[DoubtfulFacility],
        rows(
            reader,
            f"""
        SELECT facility_name AS facility, facility_city AS city, facility_state AS state,
               any_value(jurisdiction_type) AS best_guess_type, sum(issued)::BIGINT AS detainers
        FROM {CELLS} WHERE NOT likely_duplicate AND needs_review
        GROUP BY 1, 2, 3 ORDER BY detainers DESC, 1, 2, 3 LIMIT 50""",
        ),
    )


def cells_doubtful_detainers(reader: Reader) -> int:
    """counts.doubtful_detainers of the report's counted rows."""
    return int(
        scalar(
            reader,
            f"SELECT {_sum('issued')} FROM {CELLS} WHERE NOT likely_duplicate AND needs_review",
        )
    )


def cells_trend_by_month(reader: Reader) -> list[TrendPoint]:
    """counts.trend(unit='month') of the report's counted rows."""
    return [
        TrendPoint(*r)
        for r in tuples(
            reader,
            f"""
        SELECT month, sum(issued)::BIGINT, sum(declined)::BIGINT, sum(booked)::BIGINT
        FROM {MONTHS} WHERE NOT likely_duplicate GROUP BY 1 ORDER BY 1""",
        )
    ]


def cells_county_counts(reader: Reader) -> list[CountyCounts]:
    """counts.county_counts of the report's counted rows."""
    return [
        CountyCounts(*r)
        for r in tuples(
            reader,
            f"""
        SELECT county_fips, sum(issued)::BIGINT, sum(declined)::BIGINT
        FROM {CELLS} WHERE NOT likely_duplicate AND county_fips IS NOT NULL
          AND jurisdiction_type IN ('county', 'city', 'state')
        GROUP BY 1 ORDER BY 1""",
        )
    ]


def cells_facility_counts(reader: Reader) -> list[ReportFacility]:
    """counts.facility_counts of the report's counted rows."""
    return cast(
        list[ReportFacility],
        rows(
            reader,
            f"""
        SELECT {FACILITY_COLUMNS},
               bool_or(protected_facility) AS protected_facility,
               {_sum("issued")}, {_outcome_sums()}
        FROM {CELLS} WHERE NOT likely_duplicate
        GROUP BY facility_name, facility_city, facility_state, facility_code
        ORDER BY issued DESC, facility, city, facility_state, code""",
        ),
    )


def coverage_rows_summary(reader: Reader) -> list[CoverageRow] | None:
    """counts.coverage_rows from detainer_coverage_summary, or None when the store has no
    summary made from its current sources."""
    stamp, _ = _stamp(reader)
    if stamp is None or stamp.split(":", 1)[1] != f"{_sources_state(reader)}:{definition()}":
        return None
    return [
        CoverageRow(*r)
        for r in tuples(
            reader,
            f"""
        SELECT coalesce(a.state_abbr, d.facility_state) AS st, d.release,
               min(d.first), max(d.last), sum(d.rows)::BIGINT
        FROM {COVERAGE_SUMMARY} d LEFT JOIN facility_attribution a
          ON d.facility_name IS NOT DISTINCT FROM a.facility_name
         AND d.facility_city IS NOT DISTINCT FROM a.facility_city
         AND d.facility_state IS NOT DISTINCT FROM a.facility_state
         AND d.facility_code IS NOT DISTINCT FROM a.facility_code
        GROUP BY 1, 2""",
        )
    ]
