"""A text file's batches are read in a worker thread a batch ahead of the ingest
(sources/ahead.py): the same batches, the reader's error raised to the ingest, and the worker
stopped and joined whenever the consumer stops (its own error, Ctrl-C, closing early)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PA_EXTRACT, run
from detainerwatch.errors import InputError
from detainerwatch.sources import readers
from detainerwatch.sources.ahead import read_ahead
from detainerwatch.sources.layouts import ALL


def _alive(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


class _Reader:
    """batches() yielding 0..n-1 (then raising `fail`, if given), noting where it ran and
    whether it was closed."""

    def __init__(self, n: int, fail: BaseException | None = None) -> None:
        self.n, self.fail = n, fail
        self.threads: set[str] = set()
        self.closed = False
        self.made = 0

    def __call__(self) -> Iterator[int]:
        try:
            for i in range(self.n):
                self.threads.add(threading.current_thread().name)
                self.made += 1
                yield i
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed = True


def test_same_batches_in_order_made_in_the_worker():
    reader = _Reader(50)
    assert list(read_ahead(reader, "t-order")) == list(range(50))
    assert reader.threads == {"t-order"} and reader.closed
    assert not _alive("t-order")


def test_the_readers_error_is_raised_after_the_batches_before_it():
    reader = _Reader(3, InputError(Path("x.csv"), "well-formed delimited text", row=5))
    got = []
    with pytest.raises(InputError, match="row 5"):
        for batch in read_ahead(reader, "t-error"):
            got.append(batch)
    assert got == [0, 1, 2] and reader.closed and not _alive("t-error")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_consumer_that_stops_stops_and_joins_the_worker(stop):
    reader = _Reader(1_000_000)
    batches = read_ahead(reader, "t-stop", depth=1)
    with pytest.raises(stop):
        try:
            for batch in batches:
                if batch == 2:
                    raise stop()
        except BaseException:
            batches.close()  # as the ingest does (_load_sheet): joined while the error is held
            raise
    assert not _alive("t-stop")  # joined before the consumer went on
    assert reader.closed
    assert reader.made <= 2 + 3  # a batch held, one queued, one made: not read on to the end


class _Interrupt:
    """A progress that presses Ctrl-C once some rows are stored."""

    def start(self, label: str, total: int | None) -> None:
        pass

    def stop(self) -> None:
        pass

    def advance(self, rows: int) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize("how", ["Ctrl-C", "a bad date late in the file"])
def test_an_ingest_that_fails_joins_the_text_reader_before_the_error_goes_on(tmp_path, how):
    from detainerwatch.store import connect
    from detainerwatch.store import ingest as store_ingest

    lines = PA_EXTRACT.read_bytes().splitlines(keepends=True)
    lines = lines[:1] + lines[1:] * 6  # ~196,000 rows: four batches, the reader still busy
    if how != "Ctrl-C":
        first = lines[20_000].split(b",", 1)
        lines[20_000] = b"2010-13-45," + first[1]
    path = tmp_path / "t.csv"
    path.write_bytes(b"".join(lines))
    con = connect(tmp_path / "s.duckdb")
    progress = _Interrupt() if how == "Ctrl-C" else None
    with pytest.raises(KeyboardInterrupt if how == "Ctrl-C" else InputError):
        try:
            store_ingest.ingest(con, [path], progress=progress)
        except BaseException:
            assert not _alive("dw-read-text")  # while the traceback still holds the reader
            raise
    assert con.execute("SELECT count(*) FROM sources").fetchall()[0][0] == 0
    con.close()


def test_text_is_read_in_the_worker_with_the_same_rows(monkeypatch):
    def rows() -> list[tuple]:
        wb = readers.open_source(PA_EXTRACT, ALL)
        return [tuple(r.values()) for b in wb.sheets[0].batches() for r in b.to_pylist()]

    seen: set[str] = set()
    batches = readers.text_arrow.batches

    def noted(*args, **kwargs):
        seen.add(threading.current_thread().name)
        yield from batches(*args, **kwargs)

    monkeypatch.setattr(readers.text_arrow, "batches", noted)
    ahead = rows()
    assert seen == {"dw-read-text"}
    monkeypatch.setattr(readers, "read_ahead", lambda batches, name: batches())
    assert rows() == ahead and len(ahead) == 32_757


def test_a_fault_late_in_text_is_one_line_and_leaves_no_reader(tmp_path):
    lines = PA_EXTRACT.read_bytes().splitlines(keepends=True)
    lines[20_000] = lines[20_000].replace(b"PENNSYLVANIA", b"PENNSYLV\xe9NIA", 1)
    path = tmp_path / "late.csv"
    path.write_bytes(b"".join(lines))
    store = tmp_path / "s.duckdb"
    result = run(store, "ingest", path)
    assert result.exit_code == 2
    message = result.output.strip()
    assert "row 20001" in message and "\n" not in message and "Traceback" not in message
    assert not store.exists()  # the store it would have made is not left behind
    assert not _alive("dw-read-text")
