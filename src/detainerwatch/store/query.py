"""User SQL against the store, truly read-only (what `detainerwatch query` runs).

The store is opened read-only on a connection that can reach nothing else: external access
off (no file or network read or write: no COPY ... TO, EXPORT, read_csv/read_text/glob of host
files, ATTACH of another file), extension install and load off, and the configuration locked so
no statement can turn any of it back on. On top of that only statements that read are
accepted (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, and the PRAGMAs that list
tables and columns); anything else is refused before it runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import UsageError

LOCKED_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
# Statement kinds that read (DESCRIBE, SHOW and SUMMARIZE parse as SELECT).
READ_TYPES = {"SELECT", "EXPLAIN"}
# PRAGMAs that only describe the store; others (and every PRAGMA x = y, which is a SET) refused.
READ_PRAGMAS = {
    "show_tables",
    "show_tables_expanded",
    "table_info",
    "show",
    "database_size",
    "storage_info",
    "version",
    "platform",
    "database_list",
    "functions",
    "collations",
    "metadata_info",
}
_PRAGMA_NAME = re.compile(r"\s*pragma\s+([a-z_]+)", re.I)


@dataclass
class QueryResult:
    columns: list[str]  # empty when the last statement returns no rows (e.g. a PRAGMA)
    rows: list[tuple[Any, ...]]


def connect_locked(path: str | Path) -> duckdb.DuckDBPyConnection:
    """The store read-only, on a connection that reads nothing but the store (opened by
    store.db.connect, so a locked or foreign file gets the same one-line message)."""
    from .db import connect

    return connect(path, read_only=True, config=LOCKED_CONFIG)


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The statements of sql, each one that reads the store; UsageError naming the first that
    does not (or that does not parse)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise UsageError("query: no SQL statement given")
    texts = []
    for st in statements:
        kind = st.type.name
        text = st.query.strip().rstrip(";").strip()
        if kind == "PRAGMA":
            name = _PRAGMA_NAME.match(text)
            if name and name.group(1).lower() in READ_PRAGMAS:
                texts.append(text)
                continue
        if kind not in READ_TYPES:
            first = " ".join(text.split()[:2])[:60]
            raise UsageError(
                f"query is read-only: only statements that read the store are accepted (SELECT, WITH, "
                f"DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA show_tables/table_info); "
                f"refused {kind} statement {first!r}"
            )
        texts.append(text)
    return texts


def run_read_query(path: str | Path, sql: str) -> QueryResult:
    """Run user SQL on the locked connection; the last statement's columns and rows."""
    con = connect_locked(path)
    try:
        statements = check_read_only(con, sql)
        result = None
        for text in statements:
            try:
                result = con.execute(text)
            except duckdb.Error as exc:
                raise UsageError(f"query failed: {str(exc).splitlines()[0]}") from None
        if result is None or result.description is None:
            return QueryResult([], [])
        return QueryResult([d[0] for d in result.description], result.fetchall())
    finally:
        con.close()
