"""The derived tables an ingest writes, made faster (issue 16), say what they said before."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from detainerwatch.derive import facts
from detainerwatch.derive.ids import jurisdiction_id_sql


@pytest.fixture(autouse=True)
def _collected() -> Iterator[None]:
    """Connections earlier tests left in reference cycles closed before and after each test
    (else a later read-only open of the session's PA store can meet one of them)."""
    gc.collect()
    yield
    gc.collect()


PER_ROW_ID = jurisdiction_id_sql("a.", facility_name="d.facility_name")  # the rule, per row
JOIN = """FROM detainers d LEFT JOIN facility_attribution a
    ON d.facility_name IS NOT DISTINCT FROM a.facility_name
   AND d.facility_city IS NOT DISTINCT FROM a.facility_city
   AND d.facility_state IS NOT DISTINCT FROM a.facility_state
   AND d.facility_code IS NOT DISTINCT FROM a.facility_code"""


def _ids(
    con: duckdb.DuckDBPyConnection,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    facts._register_view(con, "dw_facts_live")
    view = con.execute(
        "SELECT source_id, sheet, row_number, jurisdiction_id FROM dw_facts_live ORDER BY 1, 2, 3"
    ).fetchall()
    rule = con.execute(
        f"SELECT d.source_id, d.sheet, d.row_number, {PER_ROW_ID} {JOIN} ORDER BY 1, 2, 3"
    ).fetchall()
    return view, rule


def test_jurisdiction_ids_computed_per_facility_equal_the_per_row_rule(tmp_path: Path) -> None:
    from conftest import PA_EXTRACT, run

    db = tmp_path / "pa.duckdb"  # a store of its own: the session's PA store is left alone
    assert run(db, "ingest", "--quiet", str(PA_EXTRACT)).exit_code == 0
    con = duckdb.connect(str(db))
    try:
        view, rule = _ids(con)
        assert view == rule and len(view) > 30_000
        assert len({r[3] for r in view}) > 10
        # Facilities without an attribution row (a store whose attribution is stale): the id
        # the rule gives with every attribution column null, from the released name.
        con.execute(
            "DELETE FROM facility_attribution WHERE facility_name IN (SELECT facility_name "
            "FROM facility_attribution WHERE facility_name IS NOT NULL ORDER BY detainers DESC "
            "LIMIT 3) OR facility_name IS NULL"
        )
        view, rule = _ids(con)
        assert view == rule
        assert sum(str(r[3]).startswith("unknown:00:") for r in view) > 1_000
    finally:
        con.close()


def test_duplicate_flags_follow_the_release_across_files(tmp_path: Path) -> None:
    import datetime as dt

    from detainerwatch.store.ingest import flag_likely_duplicates
    from detainerwatch.store.schema import detainer_tables

    from conftest import detainer_row, run, write_detainer_workbook

    a = write_detainer_workbook(
        tmp_path / "a.xlsx",
        [detainer_row(**{"Anonymized Identifier": k}) for k in ("A", "A", "B")],
    )
    b = write_detainer_workbook(
        tmp_path / "b.xlsx",
        [
            detainer_row(**{"Anonymized Identifier": "B"}),  # B's second row: in another file
            detainer_row(
                **{"Anonymized Identifier": "A", "Detainer Prepare Date": dt.date(2025, 11, 1)}
            ),
            detainer_row(**{"Anonymized Identifier": None}),
            detainer_row(**{"Anonymized Identifier": None}),
        ],
    )
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--release", "r1", a).exit_code == 0
    assert run(db, "ingest", "--release", "r1", b).exit_code == 0
    flags = "SELECT source_id, row_number, likely_duplicate FROM detainers ORDER BY 1, 2"
    want = [(1, 8, False), (1, 9, True), (1, 10, False)]
    want += [(2, 8, True), (2, 9, False), (2, 10, False), (2, 11, False)]
    con = duckdb.connect(str(db))
    try:
        assert con.execute(flags).fetchall() == want
        # Flags a store holds wrongly (rows without an identifier included) are set right.
        for table in detainer_tables(con):  # detainers is a view over them
            con.execute(f"UPDATE {table} SET likely_duplicate = NOT likely_duplicate")
        assert flag_likely_duplicates(con, "r1") == 2
        assert con.execute(flags).fetchall() == want
    finally:
        con.close()
