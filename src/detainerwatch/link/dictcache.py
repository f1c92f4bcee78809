"""The store's facility dictionary, kept beside the store so `resolve` does not rebuild it.

Building the dictionary (link/dictionary.py) opens the store, reads its facility lists and checks
every listed county against the gazetteer's county, city and place indexes: most of a second,
on every `resolve`. The built entries are kept in `STORE.dictionary` beside the store, a JSON
file (data only, nothing executed on reading), valid for one state of the store and of the code
and reference data that build it. Its fingerprint is the size and modification time of the store
file and of its write-ahead log, the package version, and the name, size and modification time of
every module of `link/`, the hand files, the bundled gazetteer and reference data, and the other
inputs of the prebuilt indexes (link/prebuilt.py). Any other fingerprint, a damaged file, or one
this code cannot read: the dictionary is built again and the file rewritten. When the folder is
not writable the dictionary is simply built each time.

A hit needs no DuckDB (not even its import): only the fingerprint's file stats and the JSON.
`ingest` writes the file once the store is written (for_store), so the first `resolve` after an
ingest reads it too instead of building it (~0.8 s CPU on the demo store).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from .. import __version__
from . import prebuilt
from .dictionary import Entry

FORMAT = 1
PACKAGE = Path(__file__).resolve().parents[1]
CODE_AND_DATA = ("link", "hand", "data/gazetteer", "data/reference")
FIELDS = [f.name for f in fields(Entry)]


def cache_path(store: Path) -> Path:
    return store.with_name(store.name + ".dictionary")


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:absent"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def fingerprint(store: Path) -> str:
    """The store and its write-ahead log, the package version, and the stats of every file the
    dictionary's code and reference data are made of."""
    wal = store.with_name(store.name + ".wal")
    files = {
        p
        for folder in CODE_AND_DATA
        for p in (PACKAGE / folder).rglob("*")
        if "__pycache__" not in p.parts and p.is_file()
    }
    files.update(prebuilt._input_files())
    digest = hashlib.sha256(f"format {FORMAT} {__version__}".encode())
    for line in [_stamp(store), _stamp(wal), *sorted(_stamp(p) for p in files)]:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _read(path: Path, stamp: str) -> dict[str, Entry] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            kept = json.load(fh)
        if kept.get("fingerprint") != stamp or kept.get("fields") != FIELDS:
            return None
        return {row[0]: Entry(*row) for row in kept["entries"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None  # absent, damaged or of another shape: built again


def _write(path: Path, stamp: str, entries: dict[str, Entry]) -> None:
    kept = {
        "fingerprint": stamp,
        "fields": FIELDS,
        "entries": [[getattr(e, name) for name in FIELDS] for e in entries.values()],
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)  # whole or not at all: a reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only folder: no file, built each time


def load(store: Path, build: Callable[[], dict[str, Entry]]) -> dict[str, Entry]:
    """The store's dictionary from the file beside it, or `build()`'s (then kept there)."""
    # taken before building: a store changed meanwhile leaves a file that no longer matches it
    stamp = fingerprint(store)
    path = cache_path(store)
    entries = _read(path, stamp)
    if entries is None:
        entries = build()
        _write(path, stamp, entries)
    return entries


def _build(store: Path) -> dict[str, Entry]:
    """The store's facility dictionary, built from its facility lists."""
    from ..store import connect_read
    from .dictionary import build

    with connect_read(store) as read:
        return build(read.con)


def for_store(store: Path) -> dict[str, Entry]:
    """The store's dictionary, read from the file beside it or built and kept there (`resolve`
    reads it; `ingest` calls this once the store is written and closed)."""
    return load(store, lambda: _build(store))
