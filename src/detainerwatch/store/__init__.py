"""The embedded store (DuckDB): every row with its provenance, and the load reports.

The names below are imported on first use, so that `store.schema` (table definitions, read by
the resolver for its jurisdiction types) can be imported without loading DuckDB: `resolve`
without a store starts faster (issue 16, start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import connect, default_db_path
    from .read import ReadStore, connect_read, dict_rows

__all__ = ["ReadStore", "connect", "connect_read", "default_db_path", "dict_rows"]

_HOME = {
    "connect": "db",
    "default_db_path": "db",
    "ReadStore": "read",
    "connect_read": "read",
    "dict_rows": "read",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
