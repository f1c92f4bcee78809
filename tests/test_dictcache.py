"""The store's facility dictionary kept beside the store (link/dictcache.py): built once, read
back equal, built again when the store, the code or the reference data change or the file is
damaged, and `resolve` answers the same with or without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from detainerwatch.link import dictcache, prebuilt
from detainerwatch.link.dictionary import Entry, build

from conftest import FACILITY_LISTS, run


@pytest.fixture
def store(pa_store: Path, tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    shutil.copy(pa_store, db)
    return db


def _built(db: Path) -> dict[str, Entry]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return build(con)
    finally:
        con.close()


class Counting:
    def __init__(self, db: Path) -> None:
        self.db, self.calls = db, 0

    def __call__(self) -> dict[str, Entry]:
        self.calls += 1
        return _built(self.db)


def test_built_once_then_read_back_equal(store: Path) -> None:
    fresh = _built(store)
    assert len(fresh) > 1000  # the three real facility lists
    first = Counting(store)
    assert dictcache.load(store, first) == fresh
    assert first.calls == 1 and dictcache.cache_path(store).exists()
    again = Counting(store)
    kept = dictcache.load(store, again)
    assert again.calls == 0
    assert kept == fresh and list(kept) == list(fresh)  # same entries, same order


def test_built_again_when_the_store_changes(store: Path) -> None:
    dictcache.load(store, Counting(store))
    st = store.stat()
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    again = Counting(store)
    dictcache.load(store, again)
    assert again.calls == 1


def test_built_again_when_code_or_reference_changes(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference.csv"
    reference.write_text("a\n", encoding="utf-8")
    inputs = prebuilt._input_files()
    monkeypatch.setattr(prebuilt, "_input_files", lambda: [*inputs, reference])
    dictcache.load(store, Counting(store))
    reference.write_text("a,b\n", encoding="utf-8")  # another size: another fingerprint
    again = Counting(store)
    dictcache.load(store, again)
    assert again.calls == 1
    monkeypatch.setattr(dictcache, "__version__", "another version")
    third = Counting(store)
    dictcache.load(store, third)
    assert third.calls == 1


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"fingerprint": 3}', b"[1, 2]"])
def test_damaged_file_is_built_again(store: Path, damage: bytes) -> None:
    dictcache.cache_path(store).write_bytes(damage)
    again = Counting(store)
    assert dictcache.load(store, again) == _built(store)
    assert again.calls == 1


def test_resolve_answers_the_same_with_the_kept_dictionary(store: Path, tmp_path: Path) -> None:
    listing = tmp_path / "facilities.csv"
    listing.write_text(
        "facility,state,city\nLOS ANGELES COUNTY JAIL,CA,LOS ANGELES\n"
        "YORK COUNTY PRISON,PA,YORK\nPIKE COUNTY CORRECTIONAL FACILITY,PA,LORDS VALLEY\n",
        encoding="utf-8",
    )
    first = run(store, "resolve", listing)
    assert first.exit_code == 0, first.output
    assert dictcache.cache_path(store).exists()
    second = run(store, "resolve", listing)
    assert second.exit_code == 0 and second.output == first.output
    dictcache.cache_path(store).unlink()
    assert run(store, "resolve", listing).output == first.output


def test_ingest_keeps_the_dictionary_of_the_store_it_wrote(tmp_path: Path) -> None:
    """The first resolve after an ingest reads the dictionary the ingest kept (issue 16: it was
    built by that resolve, ~0.8 s of the demo store's first run)."""
    db = tmp_path / "fresh.duckdb"
    result = run(db, "ingest", FACILITY_LISTS[0], "--quiet")
    assert result.exit_code == 0, result.output
    assert dictcache.cache_path(db).exists()
    unused = Counting(db)
    assert dictcache.load(db, unused) == _built(db)
    assert unused.calls == 0  # matches the store as written: not built again
    kept = dictcache.cache_path(db).stat().st_mtime_ns
    again = run(db, "ingest", FACILITY_LISTS[0], "--quiet")  # already ingested: nothing changes
    assert again.exit_code == 0, again.output
    assert dictcache.cache_path(db).stat().st_mtime_ns == kept
    other = run(db, "ingest", FACILITY_LISTS[2], "--quiet")  # another list: kept up to date
    assert other.exit_code == 0, other.output
    unused = Counting(db)
    assert dictcache.load(db, unused) == _built(db) and unused.calls == 0


def test_a_store_written_since_keeps_its_entries_when_its_lists_are_the_same(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written since (its file stats changed) but with the same facility lists, code
    and data: the kept entries are used again under the new fingerprint, not built (issue 16:
    ~0.3 s instead of ~1 s); another list in the store builds them again."""
    from detainerwatch.link import dictionary

    fresh = dictcache.for_store(store)
    calls: list[int] = []
    real = dictionary.build

    def counting(con: duckdb.DuckDBPyConnection) -> dict[str, Entry]:
        calls.append(1)
        return real(con)

    monkeypatch.setattr(dictionary, "build", counting)
    st = store.stat()
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    kept = dictcache.for_store(store)
    assert not calls and kept == fresh and list(kept) == list(fresh)
    assert dictcache.load(store, lambda: pytest.fail("built")) == fresh  # the new fingerprint
    con = duckdb.connect(str(store))
    try:  # one list fewer: another content
        last = con.execute("SELECT max(source_id) FROM facility_list").fetchall()[0][0]
        con.execute("DELETE FROM facility_list WHERE source_id = ?", [last])
    finally:
        con.close()
    rebuilt = dictcache.for_store(store)
    assert calls == [1] and rebuilt == _built(store) and rebuilt != fresh


def test_a_list_of_another_file_with_the_same_id_and_rows_builds_again(store: Path) -> None:
    """A new store numbers its sources from 1 again: a kept dictionary beside a store remade
    with a corrected list of as many rows must not be read as that list's (the content key
    holds each list's file name and SHA-256, not its id and rows alone)."""
    fresh = dictcache.for_store(store)
    con = duckdb.connect(str(store))
    try:  # the same ids and row counts, another file's rows
        con.execute("UPDATE facility_list SET source_sha256 = 'another file'")
        con.execute("UPDATE facility_list SET state = 'WY' WHERE detloc = 'ABRDNWA'")
    finally:
        con.close()
    rebuilt = dictcache.for_store(store)
    assert rebuilt == _built(store) and rebuilt != fresh
