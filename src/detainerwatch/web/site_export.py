"""The static site's SQLite export written by a process of its own while the pages are fetched.

The export (publish/export.py: the store's aggregates, protected together, written to SQLite)
shares nothing with the pages but the read-only store: on a machine with a second core it is
made there, beside the crawl, rather than after it (a national store's export is seconds of
queries and of the disclosure step). With one core, or when a process cannot be started, it is
written in this process when asked for, as before. The file's bytes do not depend on where it
was written.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from .site_crawl import raise_failure, send_failure, start_child


def _work(db: Path, target: Path, conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the build, and us
    try:
        from ..publish.export import write_sqlite

        conn.send(("ok", write_sqlite(db, target)))
    except BaseException:
        send_failure(conn)
    finally:
        conn.close()


class Export:
    """`Export(db, target)` starts writing; `.result()` waits for it and gives the table counts
    (publish.export.write_sqlite's); `.close()` stops a write not waited for."""

    def __init__(self, db: Path, target: Path) -> None:
        self.db, self.target = Path(db), Path(target)
        self.proc: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None
        if (os.cpu_count() or 1) < 2:
            return
        ctx = multiprocessing.get_context("spawn")  # no DuckDB state copied into a fork
        mine, theirs = ctx.Pipe(duplex=False)
        try:
            proc = ctx.Process(target=_work, args=(self.db, self.target, theirs), daemon=True)
            start_child(proc)
        except OSError:
            mine.close()
            return  # written here when asked for
        finally:
            theirs.close()
        self.proc, self.conn = proc, mine

    def result(self) -> dict[str, int]:
        if self.proc is None or self.conn is None:
            from ..publish.export import write_sqlite

            return write_sqlite(self.db, self.target)
        try:
            kind, value = self.conn.recv()
        except EOFError:
            raise RuntimeError("the process writing the SQLite export stopped") from None
        except BaseException:  # interrupted: the export is not waited for
            if self.proc is not None:
                self.proc.terminate()
            raise
        finally:
            self.close()
        raise_failure(kind, value, "writing the SQLite export")
        counts: dict[str, int] = value
        return counts

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is not None:
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join()
            self.proc = None

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and exc[0] is not None:
            self.proc.terminate()  # the build failed: the export is not waited for
        self.close()
