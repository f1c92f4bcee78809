"""Opening the store. Extensions are never fetched from the network."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ..errors import UsageError
from .schema import DDL, SCHEMA_VERSION

DEFAULT_DB = "detainerwatch.duckdb"
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def default_db_path() -> Path:
    return Path(os.environ.get("DETAINERWATCH_DB") or DEFAULT_DB)


def connect(path: str | Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path) if path else default_db_path()
    if read_only:
        if not path.exists():
            raise UsageError(f"{path}: no store here yet (run `detainerwatch ingest` first)")
        try:
            return duckdb.connect(str(path), read_only=True, config=dict(_CONFIG))
        except duckdb.Error as exc:
            raise UsageError(f"{path}: cannot open the store read-only ({exc})") from None
    try:
        con = duckdb.connect(str(path), config=dict(_CONFIG))
    except duckdb.Error as exc:
        raise UsageError(f"{path}: cannot open the store ({exc})") from None
    ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
