"""The stored facts (store/schema.py facts_stored_ddl) are exactly the supplied facts, and they sit
in issue-date order (what lets a period's reads skip the rest of the table)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from detainerwatch.derive import facts
from detainerwatch.store.schema import FACTS_STORED


def test_stored_facts_are_the_supplied_facts_in_issue_date_order(pa_store: Path) -> None:
    con = duckdb.connect(str(pa_store), read_only=True)
    try:
        facts._register_view(con, "dw_facts_live")
        facts._register_supplied(con)
        n = con.execute(f"SELECT count(*) FROM {FACTS_STORED}").fetchall()[0][0]
        assert n > 30_000
        for a, b in ((FACTS_STORED, "dw_facts_supplied"), ("dw_facts_supplied", FACTS_STORED)):
            missing = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})")
            assert missing.fetchall()[0][0] == 0
        # In rowid order, no row's day is before the day of the row before it; rows without a
        # day come last.
        out_of_order = con.execute(
            "SELECT count(*) FROM (SELECT issued, lag(issued) OVER (ORDER BY rowid) AS before, "
            f"rowid AS r FROM {FACTS_STORED}) WHERE issued < before "
            "OR (r > 0 AND before IS NULL AND issued IS NOT NULL)"
        )
        assert out_of_order.fetchall()[0][0] == 0
    finally:
        con.close()
