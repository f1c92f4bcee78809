"""The stored facts and summaries extended with a new ingest's rows (derive/incremental.py) are
exactly the tables a whole rebuild makes, over several ingest orders; a new ingest that changes
old rows' release precedence, duplicate flags or attribution rebuilds whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import FACILITY_LISTS, PA_EXTRACT, run
from release_fixtures import Rows, write_release

from detainerwatch.derive import facts, incremental, summary
from detainerwatch.store.schema import (
    COVERAGE_SUMMARY,
    FACTS_STORED,
    FACTS_SUMMARY,
    FACTS_SUMMARY_YEAR,
    VALUE_COUNTS,
)

TABLES = (FACTS_STORED, FACTS_SUMMARY, FACTS_SUMMARY_YEAR, COVERAGE_SUMMARY, VALUE_COUNTS)
STAMPS = ("facts_hand_hash", "summary_state", "value_counts_sources")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Releases in the 2026 layout: A and B of different requests that meet without
    overlapping, C overlapping A (it supplies some of A's days), A2 a second file of A's
    release (A's duplicate flags are found again)."""
    tmp = tmp_path_factory.mktemp("incremental")
    gen = Rows(23)
    spans = {
        "a": ((dt.date(2023, 1, 1), dt.date(2023, 3, 31)), "2026-ICLI-00005 Detainers"),
        "b": ((dt.date(2023, 4, 1), dt.date(2023, 6, 30)), "2026-ICLI-00123 Detainers"),
        "c": ((dt.date(2023, 3, 1), dt.date(2023, 5, 15)), "2026-ICLI-00777 Detainers"),
        "a2": ((dt.date(2023, 1, 1), dt.date(2023, 3, 31)), "2026-ICLI-00005 Detainers"),
    }
    out = {}
    for name, (period, title) in spans.items():
        rows = gen.days(*period, 2)
        if name == "a2":  # a second, smaller file of A's release
            rows = rows[:40]
        out[name] = write_release(tmp / f"{name}.xlsx", "2026", rows, *period, title=title)
    out["pa"] = PA_EXTRACT
    out["lists"] = FACILITY_LISTS[0]
    return out


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Each derived table's rows (in an order of all columns) and its column types, and the
    stamps."""
    out: dict[str, Any] = {}
    for table in TABLES:
        out[table] = (
            con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall(),
            con.execute(f"DESCRIBE {table}").fetchall(),
        )
    out["meta"] = con.execute(
        f"SELECT key, value FROM meta WHERE key IN {STAMPS} ORDER BY key"
    ).fetchall()
    return out


def _same_as_whole_rebuild(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        stored = _tables(con)
        con.execute("BEGIN")
        facts.materialize(con)
        summary.materialize(con)
        rebuilt = _tables(con)
        con.execute("ROLLBACK")
    finally:
        con.close()
    for key in stored:
        assert stored[key] == rebuilt[key], key


@pytest.mark.parametrize(
    "order, extended",
    [
        # A then B (a new release, days apart): extended; then C, which takes days from A and B
        (["a", "b", "c"], [False, True, False]),
        # B then A: extended; A2 joins A's release (flags found again): whole
        (["b", "a", "a2"], [False, True, False]),
        # the PA extract, then releases of other years: extended each time
        (["pa", "a", "b"], [False, True, True]),
        # a facility list after detainers: the old rows' facilities attributed again
        (["a", "pa", "lists", "b"], [False, True, None, True]),
    ],
)
def test_extended_tables_equal_a_whole_rebuild(
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    order: list[str],
    extended: list[bool | None],
) -> None:
    calls: list[bool] = []
    extend = incremental.extend

    def spy(con: duckdb.DuckDBPyConnection, before: incremental.Before) -> None:
        calls.append(True)
        extend(con, before)

    monkeypatch.setattr(incremental, "extend", spy)
    db = tmp_path / "s.duckdb"
    for name, expected in zip(order, extended, strict=True):
        calls.clear()
        result = run(db, "ingest", "--quiet", files[name])
        assert result.exit_code == 0, result.output
        if expected is not None:  # None: whichever the attribution decides
            assert bool(calls) == expected, name
        _same_as_whole_rebuild(db)


def test_an_old_facility_attributed_again_rebuilds_whole(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check itself: the old rows' facility given another government is seen."""
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", files["a"]).exit_code == 0
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN")
        before = incremental.snapshot(con)
        assert before is not None
        assert incremental.unaffected(con, before)
        con.execute(
            "UPDATE facility_attribution SET jurisdiction_name = jurisdiction_name || ' (moved)' "
            "WHERE facility_name = (SELECT min(facility_name) FROM detainer_facts_stored)"
        )
        assert not incremental.unaffected(con, before)
        con.execute("ROLLBACK")
        con.execute("BEGIN")  # a facility the old rows name, newly attributed
        con.execute(
            "DELETE FROM facility_attribution WHERE facility_name = "
            "(SELECT min(facility_name) FROM detainer_facts_stored)"
        )
        before = incremental.snapshot(con)
        assert before is not None
        con.execute("ROLLBACK")
        assert not incremental.unaffected(con, before)
    finally:
        con.close()


def test_tables_made_by_other_code_are_rebuilt_whole(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamps cover the hand tables and the facts' select, not every rule (the rows without
    a day, the lookups): tables made before an edit of the deriving code are rebuilt whole by
    the next ingest, as every ingest did before the append existed."""
    calls: list[bool] = []
    extend = incremental.extend
    monkeypatch.setattr(incremental, "extend", lambda con, b: (calls.append(True), extend(con, b)))
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", files["a"]).exit_code == 0
    con = duckdb.connect(str(db))
    try:
        (value,) = con.execute(
            "SELECT value FROM meta WHERE key = ?", [incremental.CODE_KEY]
        ).fetchall()[0]
        assert value.startswith(incremental.code_digest() + ":")
    finally:
        con.close()
    monkeypatch.setattr(incremental, "code_digest", lambda: "another code")
    assert run(db, "ingest", "--quiet", files["b"]).exit_code == 0
    assert not calls  # B alone would have been appended (test above): rebuilt whole instead
    _same_as_whole_rebuild(db)
