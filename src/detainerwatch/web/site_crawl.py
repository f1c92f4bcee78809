"""Fetching the static site's pages from the app, in this process or in several.

The store is read-only, so processes can each open it with their own app and fetch pages side
by side: the site is built on every core rather than one page after another. Each worker
process keeps its own app (and so its own results cache) for the whole build; a jurisdiction's
page and its API answer go to the same worker (they share one profile), every page over the
whole store (home, reports, lists, downloads, audits) to the first, as they share the whole
period's report. Pages are written by whoever fetched them; the bytes of a page do not depend
on which process made it.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# A page's outcome: written or not (not 200), and the links the crawl follows from it.
Found = dict[str, tuple[bool, list[str]]]
PROFILE_PREFIXES = ("/jurisdiction/", "/api/v1/jurisdictions/")
SEARCH = "search page"  # asks a worker for the static search page


def _client(db: Path) -> Any:
    """The app over the store, asked in this thread (web/inprocess.py: the ASGI call a test
    client makes, without its HTTP client and its event loop in another thread)."""
    from .app import create_app
    from .inprocess import InProcessClient

    return InProcessClient(create_app(db))


def fetch_pages(client: Any, out: Path, paths: list[str]) -> Found:
    """Fetch each path from the app and write what answered 200 under `out`."""
    from .static_site import FOLLOW, relative_links, target_file

    found: Found = {}
    for path in paths:
        # Uncompressed: the bytes are written as they are, nothing to inflate again.
        response = client.get(path, headers={"accept-encoding": "identity"})
        if response.status_code != 200:
            found[path] = (False, [])
            continue
        target = out / target_file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        links: list[str] = []
        if "text/html" in response.headers.get("content-type", ""):
            html = response.text
            links = [unescape(link) for link in FOLLOW.findall(html)]
            target.write_text(relative_links(html, target_file(path)), encoding="utf-8")
        else:
            target.write_bytes(response.content)
        found[path] = (True, links)
    return found


def write_search_page(client: Any, out: Path) -> None:
    """The search box needs a server: the static site's search is the full list."""
    from .static_site import relative_links

    (out / "search").mkdir(exist_ok=True)
    (out / "search" / "index.html").write_text(
        relative_links(client.get("/jurisdictions").text, "search/index.html"), encoding="utf-8"
    )


def worker_of(path: str, workers: int) -> int:
    """Which worker fetches a path: a jurisdiction's page and API answer by its id, any other
    page the first worker."""
    for prefix in PROFILE_PREFIXES:
        if path.startswith(prefix):
            return zlib.crc32(path[len(prefix) :].encode("utf-8")) % workers
    return 0


def _work(db: Path, out: Path, conn: Connection) -> None:
    """A worker process: one app for the whole build; lists of paths in, outcomes out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the build, and us
    try:
        with _client(db) as client:
            conn.send(("ready", None))
            while True:
                asked = conn.recv()
                if asked is None:
                    break
                if asked == SEARCH:
                    write_search_page(client, out)
                    conn.send(("ok", {}))
                else:
                    conn.send(("ok", fetch_pages(client, out, asked)))
    except BaseException:
        send_failure(conn)
    finally:
        conn.close()


def send_failure(conn: Connection) -> None:
    """A child process's failure sent to its parent (which raises it), when the pipe is open: a
    user's error as its one line ("user"; raised again as a UsageError, exit 2), anything else
    with its traceback ("error")."""
    import sys

    from ..errors import InputError, UsageError

    exc = sys.exc_info()[1]
    if isinstance(exc, (InputError, UsageError)):
        message = ("user", str(exc))
    else:
        message = ("error", traceback.format_exc())
    try:
        conn.send(message)
    except (OSError, ValueError):
        pass


def raise_failure(kind: str, value: Any, what: str) -> None:
    """A failure a child sent (send_failure) raised in the parent; `what` names the child."""
    if kind == "user":
        from ..errors import UsageError

        raise UsageError(str(value))
    if kind == "error":
        raise RuntimeError(f"{what} failed:\n{value}")


def start_child(proc: multiprocessing.process.BaseProcess) -> None:
    """Start a child process that ignores Ctrl-C from its first instruction (its parent stops
    it): started with SIGINT ignored, which it inherits, so an interrupt while it is still
    importing prints no traceback of its own. Only the main thread can set the handler."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        proc.start()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc.start()
    finally:
        signal.signal(signal.SIGINT, previous)


class Crawler:
    """Fetches rounds of paths: in this process, or spread over worker processes."""

    def __init__(self, db: Path, out: Path, workers: int) -> None:
        self.db, self.out = Path(db), Path(out)
        self.client: Any = None
        self.procs: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        if workers <= 1:
            self.client = _client(self.db).__enter__()
            return
        from ..publish.diskcache import DiskCache

        # Settle the file of finished pages beside the store once, before the workers share it.
        DiskCache(self.db).close()
        ctx = multiprocessing.get_context("spawn")  # no DuckDB state copied into a fork
        try:
            for _ in range(workers):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_work, args=(self.db, self.out, theirs), daemon=True)
                start_child(proc)
                theirs.close()
                self.procs.append((proc, mine))
            for _, conn in self.procs:
                self._answer(conn)
        except BaseException:
            self.close(abort=True)
            raise

    @staticmethod
    def _answer(conn: Connection) -> Any:
        try:
            kind, value = conn.recv()
        except EOFError:
            raise RuntimeError("a page-writing worker process stopped") from None
        raise_failure(kind, value, "a page-writing worker")
        return value

    def __call__(self, paths: list[str]) -> Found:
        if self.client is not None:
            return fetch_pages(self.client, self.out, paths)
        shares: list[list[str]] = [[] for _ in self.procs]
        for path in paths:
            shares[worker_of(path, len(self.procs))].append(path)
        found: Found = {}
        asked = []
        for share, (_, conn) in zip(shares, self.procs, strict=True):
            if share:
                conn.send(share)
                asked.append(conn)
        for conn in asked:
            found.update(self._answer(conn))
        return found

    def search_page(self) -> None:
        if self.client is not None:
            write_search_page(self.client, self.out)
            return
        conn = self.procs[0][1]  # the worker that wrote the list pages
        conn.send(SEARCH)
        self._answer(conn)

    def close(self, abort: bool = False) -> None:
        """Stop the workers: asked to finish and waited for, or (abort: the build failed or was
        interrupted) stopped at once; a worker ignores Ctrl-C and would finish its pages."""
        if self.client is not None:
            self.client.__exit__(None, None, None)
            self.client = None
        for proc, conn in self.procs:
            if abort:
                proc.terminate()
            else:
                try:
                    conn.send(None)
                except (OSError, ValueError):
                    pass
            conn.close()
        for proc, _ in self.procs:
            proc.join(None if abort else 10)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        self.procs = []


@contextmanager
def crawler(db: Path, out: Path, workers: int) -> Iterator[Crawler]:
    c = Crawler(db, out, workers)
    try:
        yield c
    except BaseException:
        c.close(abort=True)
        raise
    c.close()
