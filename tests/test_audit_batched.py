"""The audit's three questions asked of every entry's scope at once (publish/queries/catalog.py,
issue 16) answer, scope by scope, what one query per scope answers: the same counts, dates,
request kinds and top facilities, in the scopes' order, empty scopes included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from detainerwatch.publish import disclosure, queries
from detainerwatch.publish.queries import Scope


def _one_query(con: Any, scope: Scope, start: dt.date, end: dt.date) -> tuple[Any, ...]:
    """The questions as they were asked before, one scope at a time (the period's counted rows
    of the scope, straight from detainer_facts)."""
    where = f"{scope.where} AND issued BETWEEN ? AND ? AND NOT likely_duplicate"
    params = [*scope.params, start, end]
    whole = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE outcome = 'booked'), "
        "count(*) FILTER (WHERE outcome = 'declined'), count(*) FILTER (WHERE outcome = 'open'), "
        "count(*) FILTER (WHERE outcome IN ('booked', 'declined')), min(issued), max(issued) "
        f"FROM detainer_facts WHERE {where}",
        params,
    ).fetchall()[0]
    kinds = con.execute(
        "SELECT request_kind, count(*), count(*) FILTER (WHERE outcome = 'booked'), "
        f"count(*) FILTER (WHERE outcome = 'declined') FROM detainer_facts WHERE {where} "
        "GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()
    facilities = con.execute(
        "SELECT facility_name, facility_city, count(*), "
        "count(*) FILTER (WHERE outcome = 'declined'), "
        f"bool_or({disclosure.protected_facilities_sql()}) FROM detainer_facts WHERE {where} "
        "GROUP BY facility_name, facility_city ORDER BY 3 DESC, 1, 2 LIMIT 50",
        params,
    ).fetchall()
    return whole, kinds, facilities


def test_every_scope_answers_as_alone(pa_store: Path) -> None:
    with queries.connect_read(pa_store) as store:
        con = store.con
        ids = [
            r[0]
            for r in con.execute(
                "SELECT jurisdiction_id FROM detainer_facts GROUP BY 1 ORDER BY count(*) DESC "
                "LIMIT 4"
            ).fetchall()
        ]
        scopes = [
            queries.of_jurisdictions(ids[:1]),
            queries.of_state_government("06"),  # no rows
            queries.of_jurisdictions(ids[:3]),  # overlaps the first: rows in both
            queries.of_state_government("42"),
            queries.of_city_named("42", "philadelphia"),
            queries.of_jurisdictions(ids[3:4]),
        ]
        start, end = con.execute("SELECT min(issued), max(issued) FROM detainer_facts").fetchall()[
            0
        ]
        recent = end - dt.timedelta(days=365)
        practices = queries.practices(con, scopes, start, end, recent, ["booked", "declined"])
        kinds = queries.by_request_kinds(con, scopes, start, end)
        facilities = queries.audit_facility_lists(con, scopes, start, end)
        assert len(practices) == len(kinds) == len(facilities) == len(scopes)
        seen = 0
        for k, scope in enumerate(scopes):
            whole, kind_rows, facility_rows = _one_query(con, scope, start, end)
            p = practices[k]
            assert (*p.whole, p.first_issued, p.last_issued) == whole
            assert p == queries.practice(con, scope, start, end, recent, ["booked", "declined"])
            assert [tuple(vars(r).values()) for r in kinds[k]] == kind_rows
            assert [
                (f.facility, f.city, f.issued, f.declined, f.protected_facility)
                for f in facilities[k]
            ] == facility_rows
            seen += bool(whole[0])
        assert seen >= 4 and practices[1].whole == (0, 0, 0, 0, 0)


def test_attribution_scopes_answer_as_scopes_tested_row_by_row(pa_store: Path) -> None:
    """Scopes that read only a facility's attribution are tested once per distinct attribution
    and joined to the rows (issue 16: ~100 CASEs a row were most of a national audit): the same
    answers as the same scopes tested on every row."""
    import dataclasses

    with queries.connect_read(pa_store) as store:
        con = store.con
        ids = [
            r[0]
            for r in con.execute(
                "SELECT jurisdiction_id FROM detainer_facts GROUP BY 1 ORDER BY count(*) DESC"
            ).fetchall()
        ]
        keyed = [
            *(queries.of_jurisdictions([i]) for i in ids),
            queries.of_jurisdictions(ids),
            queries.of_state_government("42"),
            queries.of_city_named("42", "PHILADELPHIA"),
            queries.of_city_named(None, None),
        ]
        assert all(s.attribution_only for s in keyed)
        by_row = [dataclasses.replace(s, attribution_only=False) for s in keyed]
        start, end = dt.date(2000, 1, 1), dt.date(2030, 1, 1)
        recent = dt.date(2016, 1, 1)
        for ask in (
            lambda scopes: queries.practices(con, scopes, start, end, recent, ["declined"]),
            lambda scopes: queries.by_request_kinds(con, scopes, start, end),
            lambda scopes: queries.audit_facility_lists(con, scopes, start, end),
        ):
            assert ask(keyed) == ask(by_row)
