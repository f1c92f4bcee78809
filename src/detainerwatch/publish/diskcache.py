"""Pages and API answers of one store, kept beside it so a restarted web app serves them at once.

(In publish, not web, so that the faces hold no SQL: issue 17.)

A served store is read-only, so a page rendered once stays right until the store changes. The
app's results cache (views.ResultCache) keeps them in memory; this file keeps the finished
pages and API answers (text and bytes only, each already checked by the disclosure function)
in `STORE.webcache` beside the store, a SQLite file. It is valid for one state of the store and
of the code: its fingerprint is the size and modification time of the store file and of its
WAL, the package version, the newest modification time of any file of the package (modules,
templates, hand files, reference data), and whether the disclosure rules are on. Any other
fingerprint empties it. When the folder is not writable, or anything goes wrong with the file,
the app simply works without it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .. import __version__
from . import disclosure

PACKAGE = Path(__file__).resolve().parents[1]


def _code_stamp() -> int:
    """The newest modification time of any file of the package: modules at every depth (the
    read model in publish/queries, derive, link), templates, hand files and reference data all
    make pages, so a change to any of them must empty the cache (about 200 files: one walk when
    the app opens the cache)."""
    newest = 0
    for p in PACKAGE.rglob("*"):
        if "__pycache__" not in p.parts and p.is_file():
            newest = max(newest, p.stat().st_mtime_ns)
    return newest


def cache_path(store: Path) -> Path:
    return store.with_name(store.name + ".webcache")


def fingerprint(store: Path) -> str:
    """The store file and its write-ahead log (changes not yet checkpointed live there), the
    code, and the disclosure switch."""
    st = store.stat()
    wal = store.with_name(store.name + ".wal")
    w = f"{wal.stat().st_size}:{wal.stat().st_mtime_ns}" if wal.exists() else "-"
    rules = "on" if disclosure.enabled() else "off"
    return f"{st.st_size}:{st.st_mtime_ns}:{w}:{__version__}:{_code_stamp()}:{rules}"


class DiskCache:
    def __init__(self, store: Path) -> None:
        self.path = cache_path(store)
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        try:
            stamp = fingerprint(store)
            con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("CREATE TABLE IF NOT EXISTS meta (fingerprint TEXT)")
            con.execute(
                "CREATE TABLE IF NOT EXISTS answers "
                "(key TEXT PRIMARY KEY, value BLOB, text INTEGER)"
            )
            row = con.execute("SELECT fingerprint FROM meta").fetchone()
            if row is None or row[0] != stamp:
                con.execute("DELETE FROM answers")
                con.execute("DELETE FROM meta")
                con.execute("INSERT INTO meta VALUES (?)", [stamp])
            self._con = con
        except (OSError, sqlite3.Error):
            self._con = None  # a read-only folder, a damaged file: no disk cache

    def get(self, key: str) -> str | bytes | None:
        if self._con is None:
            return None
        try:
            with self._lock:
                row = self._con.execute(
                    "SELECT value, text FROM answers WHERE key = ?", [key]
                ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        value, text = row
        return bytes(value).decode("utf-8") if text else bytes(value)

    def put(self, key: str, value: str | bytes) -> None:
        if self._con is None:
            return
        data, text = (value.encode("utf-8"), 1) if isinstance(value, str) else (value, 0)
        try:
            with self._lock:
                self._con.execute(
                    "INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", [key, data, text]
                )
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._con is not None:
            with self._lock:
                self._con.close()
            self._con = None
