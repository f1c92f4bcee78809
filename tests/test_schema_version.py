"""The store's schema version: a store written by an older version (1, 2) opens migrated, one
written by a newer version is refused in one line, never misread (issue 17). Version 3 keeps
detainer rows in one table per layout behind the detainers view (issue 16)."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from conftest import detainer_row, run, snapshot, write_detainer_workbook
from detainerwatch.errors import UsageError
from detainerwatch.store import connect
from detainerwatch.store.ingest import flag_likely_duplicates
from detainerwatch.store.schema import (
    DETAINERS_BASE,
    DETAINERS_V2_DDL,
    SCHEMA_VERSION,
    UPSTREAM_FIELDS,
    detainer_tables,
)


def _version(db) -> str | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        return row[0][0] if row else None
    finally:
        con.close()


@pytest.fixture(scope="module")
def current_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schema")
    rows = [detainer_row(), detainer_row(**{"Detainer Lift Reason": None})] * 3
    book = write_detainer_workbook(tmp / "d.xlsx", rows)
    db = tmp / "current.duckdb"
    assert run(db, "ingest", "--quiet", book).exit_code == 0
    return db


def _as_version_2(src, dst):
    """A copy of a store as version 2 wrote it: every detainer row in one table, detainers,
    with every column (no view, no table per layout), schema_version '2'."""
    shutil.copy(src, dst)
    con = duckdb.connect(str(dst))
    con.execute("CREATE TEMP TABLE rows AS SELECT * FROM detainers")
    tables = detainer_tables(con)
    con.execute("DROP VIEW detainers")
    for table in tables:
        con.execute(f"DROP TABLE {table}")
    con.execute(DETAINERS_V2_DDL)
    con.execute("INSERT INTO detainers BY NAME SELECT * FROM rows")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    return dst


def _as_version_1(src, dst, *, record_version: bool = True):
    """A copy of a store as version 1 wrote it: no schema version 2 objects (the policy table
    came with the first policy refresh, the stored facts are optional, the upstream provenance
    columns were added on open), schema_version '1' or (before versions) none."""
    _as_version_2(src, dst)
    con = duckdb.connect(str(dst))
    con.execute("DROP TABLE policies")
    con.execute("DROP TABLE IF EXISTS detainer_facts_stored")
    con.execute("DELETE FROM meta WHERE key = 'facts_hand_hash'")
    for f in UPSTREAM_FIELDS:
        con.execute(f"ALTER TABLE detainers DROP COLUMN {f.name}")
    if record_version:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    else:
        con.execute("DELETE FROM meta WHERE key = 'schema_version'")
    con.close()
    return dst


def _report_figures(db, out):
    result = run(db, "report", "--all", "--out", out)
    assert result.exit_code == 0, result.stderr
    return {
        k: v
        for k, v in json.loads((out / "report.json").read_text()).items()
        if k in ("jurisdictions", "facilities", "totals", "other_custody")
    }


def _columns(con, relation):
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {relation}").fetchall()]


def test_current_store_records_its_version(current_store):
    assert SCHEMA_VERSION == 3
    assert _version(current_store) == "3"


def test_detainer_rows_in_their_layouts_table(current_store):
    """The rows are in their layout's table, which has only the columns that layout maps; the
    detainers view has every column of detainers_base, with its type, in its order."""
    con = duckdb.connect(str(current_store), read_only=True)
    try:
        tables = detainer_tables(con)
        assert tables == [DETAINERS_BASE, "detainers_l_ice_detainers_2026"]
        base, layout = (_columns(con, t) for t in tables)
        assert _columns(con, "detainers") == base
        assert set(layout) < set(base)
        from detainerwatch.sources.layouts.ice_2026 import LAYOUT

        mapped = set(LAYOUT.columns.values())
        assert [n for n, _ in layout][7:-2] == [n for n, _ in base if n in mapped]
        assert [n for n, _ in layout][-2:] == ["extras", "likely_duplicate"]
        assert con.execute(f"SELECT count(*) FROM {DETAINERS_BASE}").fetchall() == [(0,)]
        assert con.execute(f"SELECT count(*) FROM {tables[1]}").fetchall() == [(6,)]
        assert con.execute("SELECT count(*) FROM detainers").fetchall() == [(6,)]
        # Fields the layout does not map are read as nulls of their type.
        assert con.execute(
            "SELECT count(*) FROM detainers WHERE upstream_row IS NULL AND departed_date IS NULL"
        ).fetchall() == [(6,)]
    finally:
        con.close()


def test_version_2_store_opens_migrated(current_store, tmp_path):
    """A version-2 store (every row in the detainers table) is migrated on opening: its rows go
    to detainers_base, the view reads them, and a report reads the same figures."""
    old = _as_version_2(current_store, tmp_path / "v2.duckdb")
    assert _version(old) == "2"
    assert _report_figures(old, tmp_path / "old") == _report_figures(
        current_store, tmp_path / "cur"
    )
    assert _version(old) == "3"
    con = connect(old, read_only=True)
    try:
        assert detainer_tables(con) == [DETAINERS_BASE]
        assert con.execute(f"SELECT count(*) FROM {DETAINERS_BASE}").fetchall() == [(6,)]
        assert con.execute("SELECT count(*) FROM detainers").fetchall() == [(6,)]
    finally:
        con.close()


def test_migrated_store_takes_new_rows_beside_its_own(tmp_path):
    """After migration, a new file of the same release goes to its layout's table; duplicate
    flags are set across both tables (the release spans them) exactly as in a store that
    ingested both files at version 3, and the reports read the same."""
    first = write_detainer_workbook(
        tmp_path / "a.xlsx", [detainer_row(), detainer_row(**{"Anonymized Identifier": "P2"})]
    )
    second = write_detainer_workbook(
        tmp_path / "b.xlsx",
        [detainer_row(**{"Gender": "Female"}), detainer_row(**{"Anonymized Identifier": "P3"})],
    )
    fresh, made = tmp_path / "fresh.duckdb", tmp_path / "made.duckdb"
    for db in (fresh, made):
        assert run(db, "ingest", "--quiet", "--release", "r", first).exit_code == 0
    migrated = _as_version_2(made, tmp_path / "migrated.duckdb")
    for db in (fresh, migrated):
        result = run(db, "ingest", "--quiet", "--release", "r", second)
        assert result.exit_code == 0, result.stderr
    flags = "SELECT source_id, row_number, likely_duplicate FROM detainers ORDER BY 1, 2"
    want = [(1, 8, False), (1, 9, False), (2, 8, True), (2, 9, False)]
    for db in (fresh, migrated):
        con = duckdb.connect(str(db))
        try:
            assert con.execute(flags).fetchall() == want
        finally:
            con.close()
    con = duckdb.connect(str(migrated))
    try:
        tables = detainer_tables(con)
        assert tables == [DETAINERS_BASE, "detainers_l_ice_detainers_2026"]
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables]
        assert counts == [2, 2]
        # Flags set wrongly in both tables are set right by one call.
        for table in tables:
            con.execute(f"UPDATE {table} SET likely_duplicate = NOT likely_duplicate")
        assert flag_likely_duplicates(con, "r") == 1
        assert con.execute(flags).fetchall() == want
    finally:
        con.close()
    assert _report_figures(migrated, tmp_path / "m") == _report_figures(fresh, tmp_path / "f")


@pytest.mark.parametrize("record_version", [True, False])
def test_version_1_store_opens_migrated(current_store, tmp_path, record_version):
    old = _as_version_1(current_store, tmp_path / "v1.duckdb", record_version=record_version)
    assert _version(old) == ("1" if record_version else None)
    # A read-only command migrates it first, then reads the same figures as the current store.
    figures = [
        _report_figures(old, tmp_path / "old"),
        _report_figures(current_store, tmp_path / "cur"),
    ]
    assert figures[0] == figures[1] and figures[0]["jurisdictions"]
    assert _version(old) == "3"
    con = connect(old, read_only=True)
    try:
        cols = {r[0] for r in con.execute("DESCRIBE detainers").fetchall()}
        assert {f.name for f in UPSTREAM_FIELDS} <= cols
        assert detainer_tables(con) == [DETAINERS_BASE]
        assert con.execute("SELECT count(*) FROM policies").fetchall()[0][0] == 0
    finally:
        con.close()


def test_newer_store_is_refused_in_one_line(current_store, tmp_path):
    db = tmp_path / "v99.duckdb"
    shutil.copy(current_store, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = snapshot(db)
    for args in (("report", "--all"), ("query", "SELECT 1"), ("ingest", "--quiet", db)):
        result = run(db, *args)
        assert result.exit_code == 2
        assert result.stderr.strip().count("\n") == 0
        assert "newer detainerwatch (schema version 99" in result.stderr, result.stderr
    with pytest.raises(UsageError, match="schema version 99"):
        connect(db)
    assert snapshot(db) == before


def test_unreadable_version_is_refused(current_store, tmp_path):
    db = tmp_path / "bad.duckdb"
    shutil.copy(current_store, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = 'two' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(UsageError, match="'two' is not a number"):
        connect(db, read_only=True)


def test_second_layout_gets_its_table_and_a_failed_one_leaves_none(tmp_path):
    """A store with rows of one layout takes a file of another into a table of its own, the
    view remade over both; a file of a new layout that fails leaves no table and the view as
    it was (the whole ingest rolls back)."""
    from conftest import ROOT

    pa_csv = ROOT / "data/raw/eads-geocode-pa-detainers/pa_detainers.csv"
    db = tmp_path / "two.duckdb"
    assert run(db, "ingest", "--quiet", pa_csv).exit_code == 0
    bad = write_detainer_workbook(
        tmp_path / "bad.xlsx", [detainer_row(), detainer_row(**{"Detainer Prepare Date": "soon"})]
    )
    before = snapshot(db)
    result = run(db, "ingest", "--quiet", bad)
    assert result.exit_code == 2 and "soon" in result.stderr
    assert snapshot(db) == before
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert detainer_tables(con) == [
            DETAINERS_BASE,
            "detainers_l_ice_detainers_fy2008_2015_extract",
        ]
    finally:
        con.close()
    good = write_detainer_workbook(tmp_path / "good.xlsx", [detainer_row()] * 3)
    assert run(db, "ingest", "--quiet", good).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = detainer_tables(con)
        assert tables == [
            DETAINERS_BASE,
            "detainers_l_ice_detainers_2026",
            "detainers_l_ice_detainers_fy2008_2015_extract",
        ]
        assert _columns(con, "detainers") == _columns(con, DETAINERS_BASE)
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables]
        assert counts == [0, 3, 32757]
        by_layout = con.execute(
            "SELECT layout, count(*) FROM detainers GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert by_layout == [
            ("ice_detainers_2026", 3),
            ("ice_detainers_fy2008_2015_extract", 32757),
        ]
    finally:
        con.close()


def test_a_layouts_table_gains_the_fields_a_later_version_maps(tmp_path):
    """A layout that maps one more field than when its table was made (layouts grow between
    releases): the table gains the column (null for its rows), the view shows it, and new rows
    keep their values (the insert named a column the table lacked: a DuckDB traceback)."""
    from detainerwatch.store.schema import detainer_table, ensure_detainer_table

    con = connect(tmp_path / "grow.duckdb")
    try:
        first = ["prepare_date", "facility_name"]
        table = ensure_detainer_table(con, "a layout", first)
        assert table == detainer_table("a layout")
        provenance = "source_id, source_file, source_sha256, sheet, row_number, release, layout"
        values = "1, 'a.csv', 'x', NULL, 2, 'r', 'a layout'"
        con.execute(f"INSERT INTO {table} ({provenance}, facility_name) VALUES ({values}, 'OLD')")
        assert ensure_detainer_table(con, "a layout", first) == table  # nothing to add
        ensure_detainer_table(con, "a layout", [*first, "citizenship_country"])
        con.execute(
            f"INSERT INTO {table} ({provenance}, facility_name, citizenship_country) "
            f"VALUES ({values.replace('2,', '3,')}, 'NEW', 'MEXICO')"
        )
        found = con.execute(
            "SELECT facility_name, citizenship_country FROM detainers ORDER BY row_number"
        ).fetchall()
        assert found == [("OLD", None), ("NEW", "MEXICO")]
    finally:
        con.close()
