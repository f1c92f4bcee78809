"""The store's schema version: a store written by the previous version (1) opens migrated, one
written by a newer version is refused in one line, never misread (issue 17)."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from conftest import detainer_row, run, snapshot, write_detainer_workbook
from detainerwatch.errors import UsageError
from detainerwatch.store import connect
from detainerwatch.store.schema import SCHEMA_VERSION, UPSTREAM_FIELDS


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


def _as_version_1(src, dst, *, record_version: bool = True):
    """A copy of a store as version 1 wrote it: no schema version 2 objects (the policy table
    came with the first policy refresh, the stored facts are optional, the upstream provenance
    columns were added on open), schema_version '1' or (before versions) none."""
    shutil.copy(src, dst)
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


def test_current_store_records_its_version(current_store):
    assert SCHEMA_VERSION == 2
    assert _version(current_store) == "2"


@pytest.mark.parametrize("record_version", [True, False])
def test_version_1_store_opens_migrated(current_store, tmp_path, record_version):
    old = _as_version_1(current_store, tmp_path / "v1.duckdb", record_version=record_version)
    assert _version(old) == ("1" if record_version else None)
    # A read-only command migrates it first, then reads the same figures as the current store.
    new = run(old, "report", "--all", "--out", tmp_path / "old")
    assert new.exit_code == 0, new.stderr
    assert run(current_store, "report", "--all", "--out", tmp_path / "cur").exit_code == 0
    figures = [
        {
            k: v
            for k, v in json.loads((tmp_path / d / "report.json").read_text()).items()
            if k in ("jurisdictions", "facilities", "totals", "other_custody")
        }
        for d in ("old", "cur")
    ]
    assert figures[0] == figures[1] and figures[0]["jurisdictions"]
    assert _version(old) == "2"
    con = connect(old, read_only=True)
    try:
        cols = {r[0] for r in con.execute("DESCRIBE detainers").fetchall()}
        assert {f.name for f in UPSTREAM_FIELDS} <= cols
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
