"""Faults at the faces: Ctrl-C at each stage of an ingest, a locked store, a file that is not a
store, options after the subcommand, a busy port, resolve's output on failure, an interrupted
publish. Each ends in one line and a known exit status, with the store and output untouched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import detainer_row, run, snapshot, write_detainer_workbook

DETAINERWATCH = str(Path(sys.executable).parent / "detainerwatch")
INTERRUPTED = "interrupted; the store is unchanged"


@pytest.fixture()
def store(tmp_path) -> Path:
    """A store holding one small workbook (committed without the derived tables: quick)."""
    from detainerwatch.store import connect
    from detainerwatch.store.ingest import ingest

    db = tmp_path / "s.duckdb"
    book = write_detainer_workbook(tmp_path / "first.xlsx", [detainer_row(), detainer_row()])
    con = connect(db)
    ingest(con, [book])
    con.close()
    return db


@pytest.fixture()
def workbook(tmp_path) -> Path:
    return write_detainer_workbook(
        tmp_path / "second.xlsx",
        [detainer_row(**{"Anonymized Identifier": f"Q{i}"}) for i in range(300)],
    )


# Ctrl-C arrives while the named stage runs: the hook sends SIGINT to the process itself from
# inside that stage, as a terminal would.
STAGES = {
    "reading": ("detainerwatch.sources.xlsx_stream", "_table"),  # in the scan thread
    # the checks of a typed batch, in the ingest's own thread (markers and typing run in a
    # thread of their own, where no KeyboardInterrupt lands)
    "typing": ("detainerwatch.store.ingest", "_raise_first_failure"),
    "commit": ("detainerwatch.pipeline", "after_ingest"),  # derived tables, pre-commit
}


def _interrupt_at(
    stage: str, db: Path, path: Path, in_query: bool = False
) -> subprocess.CompletedProcess:
    module, name = STAGES[stage]
    script = textwrap.dedent(f"""
        import importlib, os, signal, sys, threading, time
        # As a terminal's Ctrl-C would: SIGINT unblocked and handled by Python, also when the
        # test runs under a parent that blocks or ignores it (a background job: the signal then
        # never arrives and the ingest simply finishes).
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {{signal.SIGINT}})
        signal.signal(signal.SIGINT, signal.default_int_handler)
        mod = importlib.import_module({module!r})
        real = getattr(mod, {name!r})
        def hooked(*args, **kwargs):
            if {in_query!r}:
                # Ctrl-C while DuckDB is busy: DuckDB stops the query itself
                threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
                con = args[0]
                con.execute("SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3").fetchall()
            os.kill(os.getpid(), signal.SIGINT)
            if threading.current_thread() is threading.main_thread():
                time.sleep(5)  # the interrupt lands here
            return real(*args, **kwargs)
        setattr(mod, {name!r}, hooked)
        from detainerwatch.cli import main
        sys.argv = ["detainerwatch", "--db", {str(db)!r}, "ingest", "--quiet", {str(path)!r}]
        main()
    """)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    proc.elapsed = time.monotonic() - started
    return proc


@pytest.mark.parametrize("stage", list(STAGES))
def test_ctrl_c_at_each_stage_rolls_back_in_one_line(stage, store, workbook):
    before = snapshot(store)
    proc = _interrupt_at(stage, store, workbook)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert proc.stderr.strip() == INTERRUPTED, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert snapshot(store) == before
    assert proc.elapsed < 60


def test_ctrl_c_while_duckdb_runs_a_query(store, workbook):
    before = snapshot(store)
    proc = _interrupt_at("commit", store, workbook, in_query=True)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert proc.stderr.strip() == INTERRUPTED
    assert snapshot(store) == before


def test_a_store_in_use_is_one_line(store, workbook):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(store)!r})
        print("holding", flush=True)
        time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        for args in (["ingest", workbook], ["query", "SELECT 1"]):
            result = subprocess.run(
                [DETAINERWATCH, "--db", str(store), *map(str, args)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 2, result.stderr
            message = result.stderr.strip()
            assert "\n" not in message and "in use by another process" in message
            assert f"PID {holder.pid}" in message
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    "content, what",
    [
        (None, "an SQLite database"),
        (b"date,state\n2020-01-01,PA\n", "not a DuckDB database"),
        (b"", "an empty file"),
    ],
)
def test_a_file_that_is_not_a_store_is_one_line(tmp_path, workbook, content, what):
    db = tmp_path / "other.db"
    if content is None:
        import sqlite3

        sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.commit()
    else:
        db.write_bytes(content)
    before = db.read_bytes()
    for args in (["ingest", workbook], ["query", "SELECT 1"]):
        result = run(db, *args)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and what in result.stderr
        assert "not a detainerwatch store" in result.stderr
    assert db.read_bytes() == before


def test_a_duckdb_file_of_something_else_is_refused(tmp_path):
    import duckdb

    db = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    result = run(db, "query", "SELECT 1")
    assert result.exit_code == 2 and "not a detainerwatch store" in result.stderr


def test_options_before_or_after_the_subcommand(tmp_path, store, workbook):
    from click.testing import CliRunner

    from detainerwatch.cli import cli

    db = tmp_path / "after.duckdb"
    result = CliRunner().invoke(cli, ["ingest", "--quiet", str(workbook), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert db.exists() and "300 rows stored" in result.output
    result = CliRunner().invoke(cli, ["--quiet", "ingest", f"--db={db}", str(workbook)])
    assert result.exit_code == 0 and "already ingested" in result.output
    result = CliRunner().invoke(
        cli, ["--format", "csv", "query", "SELECT count(*) AS n FROM sources", "--db", str(store)]
    )
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "1"]
    result = CliRunner().invoke(
        cli, ["query", "--db", str(store), "--format=json", "SELECT 1 AS x"]
    )
    assert result.exit_code == 0 and '"x": 1' in result.output


def test_an_empty_query_is_one_line(store):
    result = run(store, "query", "")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_serve_on_a_busy_port_exits_2_before_any_success_line(store):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [DETAINERWATCH, "--db", str(store), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        busy.close()
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert (
        proc.stderr.count("\n") == 1
        and f"127.0.0.1:{port}" in proc.stderr
        and "in use" in proc.stderr
    )


def test_resolve_writes_nothing_when_a_row_fails(tmp_path):
    rows = ["facility,state"] + [f"COUNTY JAIL {i},PA" for i in range(30)]
    rows[20] = "COUNTY JAIL X,ZZ"
    csv_file = tmp_path / "facilities.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    result = run(tmp_path / "none.duckdb", "resolve", csv_file)
    assert result.exit_code == 2
    assert result.stdout == "" and "row 21" in result.stderr


def test_publish_replaces_the_folder_only_when_whole(tmp_path, store, monkeypatch):
    from detainerwatch.web import static_site

    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("an old page")
    result = run(store, "publish", "--out", out)  # not a site published here: left alone
    assert result.exit_code == 2 and "holding other files" in result.stderr
    (out / "index.html").write_text("an old index")
    (out / "metadata.json").write_text("{}")

    def interrupted(db, folder, progress=None):
        (Path(folder) / "index.html").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(static_site, "publish_site", interrupted)
    result = run(store, "publish", "--out", out)
    assert result.exit_code == 130 and result.stderr.strip() == INTERRUPTED
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "metadata.json", "stale.html"]
    assert (out / "index.html").read_text() == "an old index"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []

    def whole(db, folder, progress=None):
        (Path(folder) / "index.html").write_text("new")
        (Path(folder) / "detainerwatch.sqlite").write_bytes(b"")
        return {"pages": 1, "sqlite": str(Path(folder) / "detainerwatch.sqlite"), "tables": {}}

    monkeypatch.setattr(static_site, "publish_site", whole)
    result = run(store, "publish", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["detainerwatch.sqlite", "index.html"]
    assert f"{out}/detainerwatch.sqlite" in result.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


@pytest.mark.parametrize(
    "encoding, content, expected",
    [
        ("rot13", None, "not a text encoding"),
        ("base64", None, "not a text encoding"),
        ("no-such-codec", None, "not a text encoding Python knows"),
        ("utf-7", b"+2D8-", "lone surrogate"),
        ("unicode_escape", b"\\ud800", "lone surrogate"),
        ("utf-16", b"", "text in utf-16"),  # no BOM: found by the fuzz campaign (a traceback)
    ],
)
def test_text_encodings_never_bring_a_traceback_or_a_surrogate(
    tmp_path, store, encoding, content, expected
):
    from conftest import PA_EXTRACT

    lines = PA_EXTRACT.read_bytes().split(b"\n")[:20]
    if content is not None:
        lines[5] = lines[5].replace(b",", b"," + content, 1)
    path = tmp_path / "text.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = snapshot(store)
    result = run(store, "ingest", "--encoding", encoding, path)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert snapshot(store) == before


def test_special_files_are_refused_before_a_byte_is_read(tmp_path, store):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path, what in ((fifo, "a named pipe"), (zero, "a device")):
        proc = subprocess.run(
            [DETAINERWATCH, "--db", str(store), "ingest", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and what in proc.stderr
