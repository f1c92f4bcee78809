"""A Ctrl-C that lands after an ingest's COMMIT (just after COMMIT returned, in the cleanup after
it, or while the load report prints) is told as such: the store holds the ingest, and the line
says so instead of "the store is unchanged". Before COMMIT the line and the rollback stay."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import detainerwatch.store
from conftest import detainer_row, run, write_detainer_workbook
from detainerwatch.cli import INTERRUPTED, INTERRUPTED_AFTER_COMMIT
from detainerwatch.store import ingest as store_ingest


class _InterruptAfterCommit:
    """A store connection on which Ctrl-C lands the moment COMMIT returns."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args, **kwargs):
        # DuckDB finds Arrow tables named in SQL among the caller's variables; this frame
        # stands between, so the caller's are registered by name.
        for name, value in sys._getframe(1).f_locals.items():
            if isinstance(value, pa.Table) and name in sql:
                self._con.register(name, value)
        result = self._con.execute(sql, *args, **kwargs)
        if sql.strip().upper() == "COMMIT":
            raise KeyboardInterrupt
        return result

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def _sources(db: Path) -> int:
    if not db.exists():
        return 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM sources").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture()
def books(tmp_path: Path) -> tuple[Path, Path]:
    first = write_detainer_workbook(tmp_path / "first.xlsx", [detainer_row(), detainer_row()])
    second = write_detainer_workbook(
        tmp_path / "second.xlsx",
        [detainer_row(**{"Anonymized Identifier": f"Q{i}"}) for i in range(30)],
    )
    return first, second


def _interrupt_just_after_commit(monkeypatch) -> None:
    real = detainerwatch.store.connect
    monkeypatch.setattr(
        detainerwatch.store, "connect", lambda *a, **k: _InterruptAfterCommit(real(*a, **k))
    )


def test_ctrl_c_just_after_commit_on_an_existing_store_says_it_committed(
    tmp_path, books, monkeypatch
):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", books[0]).exit_code == 0
    _interrupt_just_after_commit(monkeypatch)
    result = run(db, "ingest", "--quiet", books[1])
    assert result.exit_code == 130
    assert result.stderr.strip() == INTERRUPTED_AFTER_COMMIT
    assert _sources(db) == 2  # the second file is in the store, as the line says


def test_ctrl_c_just_after_commit_of_a_first_ingest_removes_the_new_store(
    tmp_path, books, monkeypatch
):
    db = tmp_path / "s.duckdb"
    _interrupt_just_after_commit(monkeypatch)
    result = run(db, "ingest", "--quiet", books[1])
    assert result.exit_code == 130
    assert result.stderr.strip() == INTERRUPTED  # the new store is removed: as it was
    assert not db.exists()


def test_ctrl_c_in_the_cleanup_after_commit(tmp_path, books, monkeypatch):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", books[0]).exit_code == 0

    def stop(self) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store_ingest._NoProgress, "stop", stop)
    result = run(db, "ingest", "--quiet", books[1])
    assert (result.exit_code, result.stderr.strip()) == (130, INTERRUPTED_AFTER_COMMIT)
    assert _sources(db) == 2


def test_ctrl_c_while_the_load_report_prints(tmp_path, books, monkeypatch):
    import detainerwatch.cli.ingest as cli_ingest

    def report(rep) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_ingest, "_print_load_report", report)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", books[0])
    assert (result.exit_code, result.stderr.strip()) == (130, INTERRUPTED_AFTER_COMMIT)
    assert _sources(db) == 1


def test_ctrl_c_before_commit_still_rolls_back_and_an_old_commit_is_not_remembered(
    tmp_path, books, monkeypatch
):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", books[0]).exit_code == 0  # committed, in this process

    def finalize(con) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("detainerwatch.pipeline.after_ingest", finalize)
    result = run(db, "ingest", "--quiet", books[1])
    assert (result.exit_code, result.stderr.strip()) == (130, INTERRUPTED)
    assert _sources(db) == 1
