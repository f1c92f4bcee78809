"""Opening the store. Extensions are never fetched from the network."""

from __future__ import annotations

from typing import Any

import os
import re
from pathlib import Path

import duckdb

from ..errors import UsageError
from .schema import DDL, SCHEMA_VERSION
from duckdb import DuckDBPyConnection

DEFAULT_DB = "detainerwatch.duckdb"
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def default_db_path() -> Path:
    return Path(os.environ.get("DETAINERWATCH_DB") or DEFAULT_DB)


def connect(
    path: str | Path | None = None, *, read_only: bool = False, config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """The store; config replaces the default connection settings (store.query locks them)."""
    path = Path(path) if path else default_db_path()
    if read_only and not path.exists():
        raise UsageError(f"{path}: no store here yet (run `detainerwatch ingest` first)")
    _check_store_file(path)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(config or _CONFIG))
    except duckdb.Error as exc:
        raise UsageError(_open_error(path, exc, read_only)) from None
    try:
        if _has_tables(con) and not _is_store(con):
            raise UsageError(
                f"{path}: a DuckDB database that is not a detainerwatch store "
                "(no meta table); give --db another file"
            )
        if not read_only:
            ensure_schema(con)
    except BaseException:
        con.close()
        raise
    return con


# What a file given as the store turns out to be, by its first bytes.
_NOT_A_STORE = [
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PK\x03\x04", "a zip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
]


def _check_store_file(path: Path) -> None:
    """A file that is there but not a DuckDB database is refused before DuckDB opens it (it
    would offer to install an SQLite extension, or overwrite nothing useful)."""
    try:
        if not path.exists() or path.is_dir():
            if path.is_dir():
                raise UsageError(f"{path}: a folder, not a store file; give --db a file name")
            return
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the store ({exc.strerror or type(exc).__name__})"
        ) from None
    if len(head) >= 12 and head[8:12] == b"DUCK":
        return
    what = next(
        (name for magic, name in _NOT_A_STORE if head.startswith(magic)),
        "an empty file" if not head else "a file that is not a DuckDB database",
    )
    raise UsageError(f"{path}: not a detainerwatch store ({what}); give --db another file")


def _open_error(path: Path, exc: Exception, read_only: bool) -> str:
    text = " ".join(str(exc).split())
    m = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    if m or "Could not set lock" in text:
        who = f" ({os.path.basename(m.group(1))}, PID {m.group(2)})" if m else ""
        return (
            f"{path}: the store is in use by another process{who}; stop it (or wait for it) "
            "and try again"
        )
    return f"{path}: cannot open the store{' read-only' if read_only else ''} ({text[:200]})"


def _has_tables(con: DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = current_database()"
        ).fetchall()[0][0]
    )


def _is_store(con: DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE "
            "table_catalog = current_database() AND table_name = 'meta'"
        ).fetchall()[0][0]
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
