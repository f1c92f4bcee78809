"""The embedded store (DuckDB): every row with its provenance, and the load reports."""

from .db import connect, default_db_path
from .read import ReadStore, connect_read, dict_rows

__all__ = ["ReadStore", "connect", "connect_read", "default_db_path", "dict_rows"]
