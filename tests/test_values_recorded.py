"""publish.queries.values_recorded: whether any detainer of a period holds a value, asked with
one EXISTS per column (it stops at the first row holding one), answers as counting every value
did (issue 16: counting read a national store's whole week)."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb

from detainerwatch.publish import queries

COLUMNS = ["criminality", "threat_level", "aggravated_felony", "msc_charge_code"]


def _store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE detainers (prepare_date TIMESTAMP, criminality VARCHAR, "
        "threat_level VARCHAR, aggravated_felony VARCHAR, msc_charge_code VARCHAR)"
    )
    day = dt.datetime(2020, 1, 1, 13, 30)
    rows = []
    for i in range(60):
        # each column recorded on its own days only; one column never
        rows.append(
            (
                day + dt.timedelta(days=i),
                "convicted" if i % 7 == 3 else None,
                "1" if 20 <= i < 25 else None,
                "Y" if i == 59 else None,
                None,
            )
        )
    con.executemany("INSERT INTO detainers VALUES (?, ?, ?, ?, ?)", rows)
    return con


def _counted(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, bool]:
    cols = ", ".join(f"count({c})" for c in COLUMNS)
    counts = con.execute(
        f"SELECT {cols} FROM detainers d WHERE d.prepare_date::DATE BETWEEN ? AND ?",
        [start, end],
    ).fetchall()[0]
    return {c: n > 0 for c, n in zip(COLUMNS, counts, strict=True)}


def test_the_same_answers_as_counting_every_value() -> None:
    con = _store()
    days = [dt.date(2019, 12, 30) + dt.timedelta(days=d) for d in range(0, 66, 3)]
    for start, end in itertools.combinations_with_replacement(days, 2):
        assert queries.values_recorded(con, COLUMNS, start, end) == _counted(con, start, end), (
            start,
            end,
        )
    # a day's bounds hold the whole day (the dates are times of day in the store)
    assert queries.values_recorded(con, COLUMNS, dt.date(2020, 2, 29), dt.date(2020, 2, 29)) == {
        "criminality": True,  # day 59: 59 % 7 == 3
        "threat_level": False,
        "aggravated_felony": True,
        "msc_charge_code": False,
    }
