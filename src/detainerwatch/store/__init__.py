"""The embedded store (DuckDB): every row with its provenance, and the load reports."""

from .db import connect, default_db_path

__all__ = ["connect", "default_db_path"]
