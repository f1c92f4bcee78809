"""The read side of the store: one read-only connection, prepared once, and rows as dicts.

``connect_read(path)`` opens the store read-only (a store of an older schema version is
migrated first, a newer one refused: store/db.py) and runs the caller's preparation once on
that connection: the publish layer's read model (publish/queries/) registers the
``detainer_facts`` view and checks the hand tables there. Everything the faces show is then
asked of it through named functions; no face writes SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from .db import connect


class ReadStore:
    """A read-only store: ``con`` for one caller, ``cursor()`` for each thread (each request of
    the web app), both prepared once."""

    def __init__(
        self,
        path: str | Path,
        prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.con = connect(self.path, read_only=True)
        self._prepare = prepare
        self._lock = threading.Lock()
        try:
            if threads is not None:  # DuckDB's worker threads for this store (all its cursors)
                self.con.execute(f"SET threads = {int(threads)}")
            if prepare is not None:
                prepare(self.con)
        except BaseException:
            self.con.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the same store (TEMP views are per connection, so the
        preparation runs on it too)."""
        with self._lock:
            cur = self.con.cursor()
        if self._prepare is not None:
            self._prepare(cur)
        return cur

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ReadStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect_read(
    path: str | Path,
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    threads: int | None = None,
) -> ReadStore:
    """The store at path, read-only, with prepare(con) run once on its connection (and DuckDB
    held to that many threads when given; its default is one per core)."""
    return ReadStore(path, prepare, threads)


def dict_rows(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts keyed by column name (the one helper)."""
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
