"""Opening the store. Extensions are never fetched from the network."""

from __future__ import annotations

from typing import Any

import os
import re
from pathlib import Path

import duckdb

from ..errors import UsageError
from .schema import DDL, MIGRATIONS, SCHEMA_VERSION

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
    con = _open(path, read_only, config)
    try:
        if _has_tables(con) and not _is_store(con):
            raise UsageError(
                f"{path}: a DuckDB database that is not a detainerwatch store "
                "(no meta table); give --db another file"
            )
        if not read_only:
            ensure_schema(con, path)
        elif (version := stored_version(con, path)) is not None and version > SCHEMA_VERSION:
            raise _newer(path, version)
        elif version is not None and version < SCHEMA_VERSION:
            # An older store is migrated (briefly open for writing), then read as it now is.
            con.close()
            _migrate_file(path, version)
            con = _open(path, read_only, config)
    except BaseException:
        con.close()
        raise
    return con


def _open(path: Path, read_only: bool, config: dict[str, Any] | None) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(config or _CONFIG))
    except duckdb.Error as exc:
        raise UsageError(_open_error(path, exc, read_only)) from None


def _migrate_file(path: Path, version: int) -> None:
    try:
        con = duckdb.connect(str(path), config=dict(_CONFIG))
    except duckdb.Error as exc:
        reason = _open_error(path, exc, False).split(": ", 1)[-1]
        raise UsageError(
            f"{path}: a store of schema version {version}, which this detainerwatch reads only "
            f"after upgrading it to version {SCHEMA_VERSION}, and it cannot be opened for "
            f"writing now ({reason})"
        ) from None
    try:
        ensure_schema(con, path)
    finally:
        con.close()


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


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = current_database()"
        ).fetchall()[0][0]
    )


def _is_store(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE "
            "table_catalog = current_database() AND table_name = 'meta'"
        ).fetchall()[0][0]
    )


def stored_version(con: duckdb.DuckDBPyConnection, path: Path | str = "store") -> int | None:
    """The schema version the store was written with: None for a database with no meta table
    (a new store), 1 for a store with meta but no version (before versions were recorded)."""
    if not _is_store(con):
        return None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    if not row:
        return 1
    try:
        return int(row[0][0])
    except (TypeError, ValueError):
        raise UsageError(
            f"{path}: the store's schema version {row[0][0]!r} is not a number; give --db "
            "another file"
        ) from None


def ensure_schema(con: duckdb.DuckDBPyConnection, path: Path | str = "store") -> None:
    """Make a new store's tables, or migrate an older store to SCHEMA_VERSION (in one
    transaction); refuse a store written by a newer version, which this one would misread."""
    version = stored_version(con, path)
    if version is not None and version > SCHEMA_VERSION:
        raise _newer(path, version)
    # The migration steps of an older store, then the current statements (all idempotent: a
    # table added to DDL is made in existing stores too; a change that is not additive needs
    # a new SCHEMA_VERSION and its step in MIGRATIONS).
    steps = (_steps(version) if version is not None else []) + list(DDL)
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in steps:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _newer(path: Path | str, version: int) -> UsageError:
    return UsageError(
        f"{path}: a store written by a newer detainerwatch (schema version {version}; this one "
        f"reads versions up to {SCHEMA_VERSION}); upgrade detainerwatch or give --db another file"
    )


def _steps(version: int) -> list[str]:
    return [statement for v in range(version, SCHEMA_VERSION) for statement in MIGRATIONS[v]]
