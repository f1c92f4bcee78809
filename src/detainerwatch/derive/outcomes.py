"""What followed a detainer, within one release (issue 14): for the people with detainers of
each outcome class (declined, booked, released, open, ...) by jurisdiction and period, how
many ICE later booked into its custody, arrested (in a jail or at large: the apprehension
method, classed in hand/apprehension_methods.csv) and removed, within windows of N days.

Person identifiers are re-anonymized in every release, so a link holds only within one
release: never across releases. "Later" is on or after the first detainer of the person in
the cell (same day included). A person whose window runs past the release's last recorded
date cannot show that window in full: they are left out of that window's denominator
(censored) and counted as such, never counted as "nothing followed".

Counts here are raw; what is published goes through publish.outcomes (small cells withheld).
"""

from __future__ import annotations

from typing import Any

import datetime as dt
from collections.abc import Sequence

from ..errors import UsageError
from ..handfiles import read_csv
from . import facts
from duckdb import DuckDBPyConnection
from ..store.schema import create_temp_table, create_temp_table_as

DEFAULT_WINDOWS = (30, 90, 365)
SETTINGS = ("in_jail", "at_large", "other", "not_classified")
PERIODS = {
    "all": "'all'",
    "year": "CAST(year(f.issued) AS VARCHAR)",
    "fy": "'FY' || CAST(year(f.issued) + CASE WHEN month(f.issued) >= 10 THEN 1 ELSE 0 END AS VARCHAR)",
    "quarter": "CAST(year(f.issued) AS VARCHAR) || '-Q' || CAST(quarter(f.issued) AS VARCHAR)",
    "month": "strftime(f.issued, '%Y-%m')",
}
GROUPS = {
    "all": ("'all'", "'all jurisdictions'"),
    "state": (
        "coalesce(f.facility_state, 'not recorded')",
        "coalesce(f.facility_state, 'state not recorded')",
    ),
    "jurisdiction": ("f.jurisdiction_id", "f.jurisdiction_display_name"),  # the id's one name
}
EVENT_TABLES = {
    "stints": ("detention_stints", "book_in_date"),
    "arrests": ("arrests", "apprehension_date"),
    "removals": ("removals", "departed_date"),
}


def releases(con: DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT release FROM detainers WHERE person_id IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]


def outcomes(
    con: DuckDBPyConnection,
    release: str | None = None,
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    by: str = "jurisdiction",
    period: str = "year",
    start: dt.date | None = None,
    end: dt.date | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """Raw counts of what followed detainers of one release (see the module docstring)."""
    if by not in GROUPS:
        raise UsageError(f"--by {by!r}: expected one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise UsageError(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
    windows = sorted({int(w) for w in windows})
    if not windows or windows[0] < 0 or windows[-1] > 3650:
        raise UsageError("--window: expected whole numbers of days from 0 to 3650")
    known = releases(con)
    if release is None:
        if len(known) != 1:
            raise UsageError(
                "name a release (--release): identifiers link rows within one release "
                "only; the store holds "
                + (", ".join(known) or "no detainers with person identifiers")
            )
        release = known[0]
    elif release not in known:
        raise UsageError(
            f"--release {release!r}: no detainers with person identifiers in that "
            f"release (the store holds {', '.join(known) or 'none'})"
        )
    facts.register(con)
    facts.check_unmapped(con)
    coverage = {kind: _covered(con, table, release) for kind, (table, _) in EVENT_TABLES.items()}
    last = end_of_release(con, release)
    gid, gname = GROUPS[by]
    where = ["f.release = ?", "NOT f.likely_duplicate"]
    params: list[Any] = [release]
    if start:
        where.append("f.issued >= ?")
        params.append(start)
    if end:
        where.append("f.issued <= ?")
        params.append(end)
    if state:
        where.append("f.facility_state = ?")
        params.append(state.upper())
    _methods(con)
    create_temp_table_as(
        con,
        "dw_outcome_detainers",
        f"""SELECT {gid} AS group_id, {gname} AS group_name, {PERIODS[period]} AS period,
               f.outcome, f.issued, d.person_id
        FROM detainer_facts f JOIN detainers d
          ON d.source_id = f.source_id AND d.sheet IS NOT DISTINCT FROM f.sheet
         AND d.row_number = f.row_number
        WHERE {" AND ".join(where)}""",
        params,
    )
    cells = con.execute("""
        SELECT group_id, any_value(group_name), period, outcome, count(*),
               count(DISTINCT person_id), count(*) FILTER (WHERE person_id IS NULL)
        FROM dw_outcome_detainers GROUP BY group_id, period, outcome
        ORDER BY group_id, period, outcome""").fetchall()
    _first_events(con, release, coverage)
    per_window = {w: _window(con, w, last, coverage) for w in windows}
    rows = []
    for group_id, group_name, per, outcome, detainers, people, unlinked in cells:
        key = (group_id, per, outcome)
        rows.append(
            {
                "group_id": group_id,
                "group": group_name,
                "period": per,
                "outcome": outcome,
                "detainers": detainers,
                "people": people,
                "detainers_without_identifier": unlinked,
                "windows": {str(w): per_window[w].get(key, _empty(coverage)) for w in windows},
            }
        )
    unclassified = (
        con.execute(
            "SELECT apprehension_method, count(*) FROM arrests a LEFT JOIN dw_methods m "
            "ON lower(trim(a.apprehension_method)) = m.method_key WHERE a.release = ? "
            "AND m.method_key IS NULL GROUP BY 1 ORDER BY 2 DESC",
            [release],
        ).fetchall()
        if coverage["arrests"]["covered"]
        else []
    )
    return {
        "release": release,
        "last_date": last.isoformat() if last else None,
        "windows": windows,
        "by": by,
        "period": period,
        "issued_from": start.isoformat() if start else None,
        "issued_to": end.isoformat() if end else None,
        "state": state,
        "coverage": coverage,
        "rows": rows,
        "unclassified_methods": [{"apprehension_method": m, "arrests": n} for m, n in unclassified],
        "censoring": censoring_note(last),
    }


def censoring_note(last: dt.date | None) -> str:
    when = last.isoformat() if last else "unknown"
    return (
        f"The release's last recorded date is {when}. A person whose first detainer in a "
        f"cell was issued less than N days before it cannot show N days of what followed: "
        f"they are left out of the N-day shares (counted as censored), not counted as "
        f"people to whom nothing happened. Events after {when} are not in the release."
    )


def end_of_release(con: DuckDBPyConnection, release: str) -> dt.date | None:
    dates = ["SELECT max(prepare_date) AS d FROM detainers WHERE release = ?"]
    dates += [
        f"SELECT max({col}) FROM {table} WHERE release = ?" for table, col in EVENT_TABLES.values()
    ]
    got = con.execute(
        f"SELECT max(d) FROM ({' UNION ALL '.join(dates)})", [release] * len(dates)
    ).fetchall()[0][0]
    return got.date() if isinstance(got, dt.datetime) else got


def _covered(con: DuckDBPyConnection, table: str, release: str) -> dict[str, Any]:
    n, subsets = con.execute(
        f"SELECT count(*), count(DISTINCT c.source_id) FILTER (WHERE c.coverage = 'subset') "
        f"FROM {table} t LEFT JOIN source_extent c USING (source_id) WHERE t.release = ?",
        [release],
    ).fetchall()[0]
    if not n:
        return {
            "covered": False,
            "note": f"not covered: no {table} of release {release} in the "
            "store (shown as not covered, never as 0)",
        }
    note = f"{n:,} rows"
    if subsets:
        note += "; from a filtered download: later events outside its filter are not seen"
    return {"covered": True, "rows": n, "subset": bool(subsets), "note": note}


def _methods(con: DuckDBPyConnection) -> None:
    rows = [
        (r["apprehension_method"].strip().lower(), r["setting"])
        for r in read_csv("apprehension_methods.csv")
        if r["apprehension_method"].strip()
    ]
    create_temp_table(con, "dw_methods", "method_key VARCHAR PRIMARY KEY, setting VARCHAR")
    con.executemany("INSERT INTO dw_methods VALUES (?, ?)", rows)


def _first_events(con: DuckDBPyConnection, release: str, coverage: dict[str, Any]) -> None:
    """Per person in each cell: the first detainer (anchor) and the first of each kind of
    event on or after it, as days after the anchor (null: none, or the table not covered)."""
    join = "LEFT JOIN dw_methods m ON lower(trim(e.apprehension_method)) = m.method_key"
    events = [
        ("booked_in", "stints", "", ""),
        ("removed", "removals", "", ""),
        ("arrested_any", "arrests", "", ""),
    ]
    events += [
        (
            f"arrested_{s}",
            "arrests",
            join,
            "m.method_key IS NULL" if s == "not_classified" else f"m.setting = '{s}'",
        )
        for s in SETTINGS
    ]
    parts, params = [], []
    for name, kind, extra, cond in events:
        if not coverage[kind]["covered"]:
            parts.append(f"NULL AS {name}")
            continue
        table, col = EVENT_TABLES[kind]
        parts.append(
            f"(SELECT min(date_diff('day', c.anchor, CAST(e.{col} AS DATE))) "
            f"FROM {table} e {extra} WHERE e.release = ? AND e.person_id = c.person_id "
            f"AND CAST(e.{col} AS DATE) >= c.anchor{' AND ' + cond if cond else ''}) "
            f"AS {name}"
        )
        params.append(release)
    create_temp_table_as(
        con,
        "dw_outcome_firsts",
        f"""SELECT c.*, {", ".join(parts)}
        FROM (SELECT group_id, period, outcome, person_id, min(issued) AS anchor
              FROM dw_outcome_detainers WHERE person_id IS NOT NULL
              GROUP BY group_id, period, outcome, person_id) c""",
        params,
    )


EVENTS = ("booked_in", "arrested_any", *(f"arrested_{s}" for s in SETTINGS), "removed")


def _event_kind(event: str) -> str:
    return {"booked_in": "stints", "removed": "removals"}.get(event, "arrests")


def _empty(coverage: dict[str, Any]) -> dict[str, Any]:
    return {
        "observable": 0,
        "censored": 0,
        **{e: (0 if coverage[_event_kind(e)]["covered"] else None) for e in EVENTS},
        "median_days_at_large": None,
        "median_days_in_jail": None,
    }


def _window(
    con: DuckDBPyConnection, w: int, last: dt.date | None, coverage: dict[str, Any]
) -> dict[tuple[Any, Any, Any], dict[str, Any]]:
    """Per cell: people observable for w days, censored, and how many had each event within w
    days (None when the release holds no table of that kind: not covered)."""
    counts = []
    for e in EVENTS:
        if coverage[_event_kind(e)]["covered"]:
            counts.append(f"count(*) FILTER (WHERE obs AND {e} <= {w})")
        else:
            counts.append("NULL")
    rows = con.execute(
        f"""
        SELECT group_id, period, outcome, count(*) FILTER (WHERE obs), count(*) FILTER (WHERE NOT obs),
               {", ".join(counts)},
               median(arrested_at_large) FILTER (WHERE obs AND arrested_at_large <= {w}),
               median(arrested_in_jail) FILTER (WHERE obs AND arrested_in_jail <= {w})
        FROM (SELECT *, anchor + {w} <= ? AS obs FROM dw_outcome_firsts)
        GROUP BY group_id, period, outcome""",
        [last],
    ).fetchall()
    out = {}
    for group_id, per, outcome, observable, censored, *rest in rows:
        values = dict(zip(EVENTS, rest[: len(EVENTS)], strict=True))
        at_large, in_jail = rest[len(EVENTS) :]
        out[(group_id, per, outcome)] = {
            "observable": observable,
            "censored": censored,
            **values,
            "median_days_at_large": None if at_large is None else float(at_large),
            "median_days_in_jail": None if in_jail is None else float(in_jail),
        }
    return out
