"""Where an ingest's time goes: one ingest run in this process with a timer around each stage.

Run: `python -m bench.stages FILE [FILE ...]` (e.g. the cached bench/cache/*.xlsx or *.csv).
Stages, in the order an ingest meets them: the file's checksum; the wait for the next batch,
read (inflate and scan for a workbook, Arrow's or the line-by-line parser for text) with its
redaction markers, layout null texts and control characters found (Arrow) and its date and
number columns typed (SQL) in threads of their own (store/ingest.py _prepared), with the time
of the markers inside those threads shown on the line below it; the SQL that records values
outside the value sets and implausible years; the insert into the row table; the unmapped-value
check; duplicate flagging; the derived tables (attribution, policies, releases, facts, the
report's summaries); the commit. Wall time is per stage; CPU time is the whole process's during
the stage, so it includes threads working beside it (the reader's and the prepare thread).
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TIMES: dict[str, list[float]] = {}
# The ingest's thread waiting for the next batch read, its markers found and its dates and
# numbers typed (store/ingest.py _prepared: a thread of its own, beside the reader's)
WAIT = "wait: read, markers, typing (their threads)"
_INSIDE = threading.local()  # timed stages this thread runs: SQL they run is theirs, not again


PEAKS: dict[str, float] = {}  # the resident high-water mark (MB) reached within each stage


def _high_water() -> float:
    """VmHWM since it was last reset, in MB, which is then reset (/proc/self/clear_refs): the
    peak is put on the stage that ends first after it was reached. 0 where /proc lacks it."""
    try:
        with open("/proc/self/status") as fh:
            found = [line.split()[1] for line in fh if line.startswith("VmHWM:")]
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return 0.0
    return int(found[0]) / 1024 if found else 0.0


def _add(stage: str, wall: float, cpu: float) -> None:
    spent = TIMES.setdefault(stage, [0.0, 0.0])
    spent[0] += wall
    spent[1] += cpu
    PEAKS[stage] = max(PEAKS.get(stage, 0.0), _high_water())


def _timed(owner: Any, name: str, stage: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        _INSIDE.depth = getattr(_INSIDE, "depth", 0) + 1
        try:
            return original(*args, **kwargs)
        finally:
            _INSIDE.depth -= 1
            _add(stage, time.perf_counter() - wall, time.process_time() - cpu)

    setattr(owner, name, wrapper)


def _timed_batches(batches: Callable[[], Iterator[Any]]) -> Callable[[], Iterator[Any]]:
    def wrapper() -> Iterator[Any]:
        it = batches()
        while True:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                batch = next(it)
            except StopIteration:
                _add(WAIT, time.perf_counter() - wall, time.process_time() - cpu)
                return
            _add(WAIT, time.perf_counter() - wall, time.process_time() - cpu)
            yield batch

    return wrapper


class _Connection:
    """The store connection with each statement timed by what it does. The per-batch SQL reads
    the batch as the caller's local dw_batch (DuckDB's replacement scan looks in the calling
    frame), so the caller's dw_batch is made a local here too."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any) -> Any:
        caller = sys._getframe(1).f_locals
        dw_batch = caller.get("dw_batch")  # noqa: F841 - read by DuckDB
        dw_rows = caller.get("dw_rows")  # noqa: F841 - read by DuckDB
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self._con.execute(sql, *args)
        finally:
            if not getattr(_INSIDE, "depth", 0):
                _add(_stage_of(sql), time.perf_counter() - wall, time.process_time() - cpu)


def _stage_of(sql: str) -> str:
    if "FROM dw_batch" in sql and sql.startswith("INSERT INTO load_anomalies"):
        return "batch SQL: values, anomalies"
    if "FROM dw_batch" in sql or "FROM dw_rows" in sql:
        return "insert rows" if sql.startswith("INSERT") else "batch SQL: values, anomalies"
    if sql.strip() == "COMMIT":
        return "commit"
    return "other SQL (load report, sources)"


def run(
    paths: list[Path],
    derive_threads: int | None = None,
    derive_memory: str | None = None,
    read_ahead: bool = True,
) -> None:
    import detainerwatch.pipeline as pipeline
    import detainerwatch.store.ingest as store_ingest
    from detainerwatch.derive import facts, policies, releases, summary
    from detainerwatch.store import connect

    import detainerwatch.link as link
    import detainerwatch.link.area as area

    _timed(store_ingest, "file_sha256", "checksum")
    markers = "  of which markers, null texts, controls (Arrow)"
    _timed(store_ingest, "null_markers", markers)
    _timed(store_ingest, "null_texts", markers)
    _timed(store_ingest, "replace_controls", markers)
    _timed(store_ingest, "check_mapped", "unmapped-value check")
    _timed(store_ingest, "flag_likely_duplicates", "duplicate flags")
    _timed(link, "refresh_attribution", "derived: attribution (gazetteer, resolver)")
    _timed(area, "refresh_area_attribution", "derived: area attribution")
    _timed(policies, "refresh_policies", "derived: policies")
    _timed(releases, "refresh", "derived: releases")
    _timed(facts, "materialize", "derived: facts table")
    _timed(summary, "materialize", "derived: report summaries")
    if not read_ahead:  # text read in the ingest's own thread, as before (A/B runs)
        import detainerwatch.sources.readers as readers

        def in_turn(batches: Callable[[], Iterator[Any]], name: str) -> Iterator[Any]:
            return batches()

        readers.read_ahead = in_turn
    prepared = store_ingest._prepared

    def timed_prepared(*args: Any, **kwargs: Any) -> Any:
        return _timed_batches(lambda: prepared(*args, **kwargs))()

    store_ingest._prepared = timed_prepared
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "stages.duckdb")
        wall, cpu = time.perf_counter(), time.process_time()

        def finalize(con: Any) -> None:
            if derive_threads is not None:  # the ingest's own choice overridden (A/B runs)
                con.execute(f"SET threads = {derive_threads}")
            if derive_memory is not None:
                con.execute(f"SET memory_limit = '{derive_memory}'")
            pipeline.after_ingest(con)

        store_ingest.ingest(_Connection(con), paths, finalize=finalize)
        con.close()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    accounted = sum(w for stage, (w, _) in TIMES.items() if not stage.startswith("  of which"))
    TIMES["rest (Python between stages)"] = [wall - accounted, 0.0]
    names = ", ".join(p.name for p in paths)
    print(f"\nwhere the time of `ingest {names}` goes (one run, this process)")
    print(f"  {'stage':<48} {'wall s':>8} {'share':>6} {'CPU s':>8} {'peak MB':>8}")
    for stage, (w, c) in TIMES.items():
        high = f"{PEAKS[stage]:>8.0f}" if PEAKS.get(stage) else ""
        print(f"  {stage:<48} {w:>8.2f} {w / wall:>6.0%} {c:>8.2f} {high}")
    # clear_refs resets the rusage peak too: the highest of the stages' marks is the peak
    peak = max([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, *PEAKS.values()])
    print(f"  {'total':<48} {wall:>8.2f} {1:>6.0%} {cpu:>8.2f}   peak {peak:.0f} MB")
    print(f"  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--derive-threads",
        type=int,
        default=None,
        help="DuckDB threads for the derived tables (default: what the ingest sets)",
    )
    parser.add_argument(
        "--derive-memory-limit",
        default=None,
        help="DuckDB's memory_limit for the derived tables, e.g. 400MB (default: unchanged)",
    )
    parser.add_argument(
        "--no-read-ahead",
        action="store_true",
        help="read text in the ingest's thread, not a worker thread a batch ahead",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run(args.paths, args.derive_threads, args.derive_memory_limit, not args.no_read_ahead)


if __name__ == "__main__":
    main()
