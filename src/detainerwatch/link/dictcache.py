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

The file also keeps what the entries were built from (``content``): the code and reference
data's stats and the store's facility lists (each source's id, file name, SHA-256 and row count;
a source's rows never change once stored). A store written since (a detainer workbook ingested, policies
refreshed) changes the file stats but not its facility lists: the store is opened, its lists
compared, and the kept entries used again under the new fingerprint (~0.3 s instead of a
build).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from . import prebuilt
from .dictionary import Entry

if TYPE_CHECKING:  # a kept dictionary is read without importing DuckDB
    from duckdb import DuckDBPyConnection

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


def _code_lines() -> list[str]:
    """The package version and the stats of every file the dictionary's code and reference data
    are made of."""
    files = {
        p
        for folder in CODE_AND_DATA
        for p in (PACKAGE / folder).rglob("*")
        if "__pycache__" not in p.parts and p.is_file()
    }
    files.update(prebuilt._input_files())
    return [f"format {FORMAT} {__version__}", *sorted(_stamp(p) for p in files)]


def _digest(lines: list[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def fingerprint(store: Path) -> str:
    """The store and its write-ahead log, the package version, and the stats of every file the
    dictionary's code and reference data are made of."""
    wal = store.with_name(store.name + ".wal")
    return _digest([_stamp(store), _stamp(wal), *_code_lines()])


def content_key(lists: list[tuple[int, str, str, int]]) -> str:
    """What the entries are built from: the code and reference data, and the store's facility
    lists as (source id, file name, file's SHA-256, rows): a new store numbers its sources from
    1 again, so the id and count alone could match another list."""
    return _digest(
        [*_code_lines(), *(f"list {sid}:{name}:{sha}:{n}" for sid, name, sha, n in sorted(lists))]
    )


def _read(path: Path) -> tuple[str, str | None, dict[str, Entry]] | None:
    """The kept file's fingerprint, content key and entries, or None."""
    try:
        with open(path, encoding="utf-8") as fh:
            kept = json.load(fh)
        if kept.get("fields") != FIELDS:
            return None
        entries = {row[0]: Entry(*row) for row in kept["entries"]}
        content = kept.get("content")
        return str(kept["fingerprint"]), content if isinstance(content, str) else None, entries
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None  # absent, damaged or of another shape: built again


def _write(path: Path, stamp: str, content: str | None, entries: dict[str, Entry]) -> None:
    kept = {
        "fingerprint": stamp,
        "content": content,
        "fields": FIELDS,
        "entries": [[getattr(e, name) for name in FIELDS] for e in entries.values()],
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)  # whole or not at all: a reader never sees half a file
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only folder: no file, built each time


def load(
    store: Path,
    build: Callable[[], dict[str, Entry]],
    content: Callable[[], str] | None = None,
) -> dict[str, Entry]:
    """The store's dictionary from the file beside it, or `build()`'s (then kept there).
    ``content`` gives the current content key (it opens the store): asked only when the file's
    fingerprint no longer matches, its kept entries are used again when their content key does."""
    # taken before building: a store changed meanwhile leaves a file that no longer matches it
    stamp = fingerprint(store)
    path = cache_path(store)
    kept = _read(path)
    if kept is not None and kept[0] == stamp:
        return kept[2]
    key = content() if content is not None else None
    if kept is not None and key is not None and kept[1] == key:
        entries = kept[2]  # the store changed, not its facility lists, code or data
    else:
        entries = build()
    _write(path, stamp, key, entries)
    return entries


def _lists(con: DuckDBPyConnection) -> list[tuple[int, str, str, int]]:
    """The store's facility lists: (source id, file name, SHA-256, rows) of each."""
    from .dictionary import has_facility_list

    if not has_facility_list(con):
        return []
    found = con.execute(
        "SELECT source_id, source_file, source_sha256, count(*) FROM facility_list GROUP BY ALL"
    ).fetchall()
    return [(int(sid), str(name), str(sha), int(n)) for sid, name, sha, n in found]


def for_store(store: Path) -> dict[str, Entry]:
    """The store's dictionary, read from the file beside it or built and kept there (`resolve`
    reads it; `ingest` calls this once the store is written and closed)."""
    from ..store import connect_read
    from .dictionary import build

    with contextlib.ExitStack() as stack:
        opened: list[DuckDBPyConnection] = []

        def con() -> DuckDBPyConnection:  # opened once, only when the file does not match
            if not opened:
                opened.append(stack.enter_context(connect_read(store)).con)
            return opened[0]

        return load(store, lambda: build(con()), lambda: content_key(_lists(con())))
