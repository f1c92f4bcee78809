"""The stored facts (store/schema.py facts_stored_ddl) are exactly the supplied facts, and they sit
in issue-date order (what lets a period's reads skip the rest of the table)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from detainerwatch.derive import facts
from detainerwatch.store.schema import FACTS_STORED


def _assert_supplied_in_order(con: duckdb.DuckDBPyConnection) -> int:
    """The stored facts are exactly the supplied facts (both ways, with multiplicity), and in
    rowid order no row's day is before the day of the row before it; rows without a day come
    last. Returns the number of rows."""
    facts._register_view(con, "dw_facts_live")
    facts._register_supplied(con)
    n = con.execute(f"SELECT count(*) FROM {FACTS_STORED}").fetchall()[0][0]
    for a, b in ((FACTS_STORED, "dw_facts_supplied"), ("dw_facts_supplied", FACTS_STORED)):
        missing = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})")
        assert missing.fetchall()[0][0] == 0
    out_of_order = con.execute(
        "SELECT count(*) FROM (SELECT issued, lag(issued) OVER (ORDER BY rowid) AS before, "
        f"rowid AS r FROM {FACTS_STORED}) WHERE issued < before "
        "OR (r > 0 AND before IS NULL AND issued IS NOT NULL)"
    )
    assert out_of_order.fetchall()[0][0] == 0
    return int(n)


def test_stored_facts_are_the_supplied_facts_in_issue_date_order(pa_store: Path) -> None:
    con = duckdb.connect(str(pa_store), read_only=True)
    try:
        assert _assert_supplied_in_order(con) > 30_000
    finally:
        con.close()


@pytest.mark.parametrize("chunk", [1_000, 7_777])
def test_facts_sorted_by_issue_date_ranges_are_the_same_table(
    pa_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Made (and appended) one issue-date range at a time, as a large ingest does
    (SORT_CHUNK_ROWS), the stored facts are still the supplied facts in issue-date order, rows
    without a date last."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(pa_store, db)
    monkeypatch.setattr(facts, "SORT_CHUNK_ROWS", chunk)
    con = duckdb.connect(str(db))
    try:
        table = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'detainers_l_%' "
            "ORDER BY estimated_size DESC LIMIT 1"
        ).fetchall()[0][0]
        # Some rows without a day, and a source appended after the others.
        con.execute(f"UPDATE {table} SET prepare_date = NULL WHERE row_number % 997 = 3")
        assert len(facts._sort_bounds(con, None)) > 1
        facts.materialize(con)
        n = _assert_supplied_in_order(con)
        assert n > 30_000
        assert (
            con.execute(f"SELECT count(*) FROM {FACTS_STORED} WHERE issued IS NULL").fetchall()[0][
                0
            ]
            > 0
        )
        # The append path: the facts of the last source made again by ranges after the rest.
        last = con.execute("SELECT max(source_id) FROM detainers").fetchall()[0][0]
        con.execute(f"DELETE FROM {FACTS_STORED} WHERE source_id >= {last}")
        facts.materialize(con, after_source=last - 1)
        assert con.execute(f"SELECT count(*) FROM {FACTS_STORED}").fetchall()[0][0] == n
        for a, b in ((FACTS_STORED, "dw_facts_supplied"), ("dw_facts_supplied", FACTS_STORED)):
            missing = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})")
            assert missing.fetchall()[0][0] == 0
    finally:
        con.close()
