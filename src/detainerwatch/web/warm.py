"""Pages prepared in the background when `serve` starts, and a clear answer meanwhile.

A page over the whole store (home, the report, the list of jurisdictions, downloads, audits)
takes seconds to compute on a national store; a reader should not wait on it. When `serve`
starts, the app starts one child process (lower priority, so requests keep the cores) that
fetches the site's pages but profiles from its own app over the same read-only store (the crawl
of `publish`): the finished pages land in the file beside the store (publish/diskcache.py),
where the serving app finds them, and each page fetched is marked done there. Until a whole-store
page is done, the app answers it at once with 503 "being prepared" and Retry-After, rather than
computing it in a request. Then the child prepares every jurisdiction's profile, page and API
answer, in the order the list of jurisdictions gives them (largest first): a first view of a
profile is then a lookup beside the store rather than the disclosure step of a large table
(a quarter of a second of CPU on a national store, issue 16). A profile not prepared yet is
computed when asked, and kept. The marks: "whole store" once the whole-store pages are made,
"*" once the profiles are too (a later start prepares nothing more). Once the child is done
(or has stopped), every page is answered as before. The warmer belongs to its app: started by
the app's start-up, stopped by its shutdown; no module state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..publish.diskcache import DiskCache
from .answers import ASGIApp, Receive, Scope, Send

RETRY_AFTER_S = 2
# Pages over the whole store: answered "being prepared" until the warmer has made them.
WHOLE_STORE = ("/", "/report", "/jurisdictions", "/api/v1/report")
WHOLE_STORE_PREFIXES = ("/downloads/", "/audits/", "/api/v1/audits/")
# Profiles: never answered "being prepared" (computed when asked if not made yet); prepared
# after the whole-store pages.
ON_DEMAND = ("/jurisdiction/", "/api/v1/jurisdictions/")
PROFILE_PAGE, PROFILE_API = ON_DEMAND


def done_key(url: str) -> str:
    """The mark, in the file of finished pages, that the warmer has made the page at url."""
    return repr(("warmed", url))


# Every whole-store page made (profiles may still be in the making).
WHOLE_STORE_DONE = done_key("whole store")
# Every page made, profiles included: a later start of the app starts no warmer.
ALL_DONE = done_key("*")


def whole_store(path: str, query: bytes) -> bool:
    if query:  # a report for a chosen period, a search: made when asked
        return False
    return path in WHOLE_STORE or path.startswith(WHOLE_STORE_PREFIXES)


class Warmer:
    """The child process preparing one store's pages, and what it has done so far."""

    def __init__(self, store: Path, disk: DiskCache | None) -> None:
        self.store = Path(store)
        self.disk = disk
        self.proc: subprocess.Popen[bytes] | None = None
        self.reported = False  # a failed child is reported once
        self.whole_store_done = False

    def start(self) -> None:
        if self.disk is None or self.disk.get(ALL_DONE) is not None:
            return  # no file to share pages through, or every page already made
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "detainerwatch.web.warm", str(self.store)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the server's console: a failure of the child is seen, not swallowed
            start_new_session=True,  # a Ctrl-C to the server stops it through stop()
        )

    def running(self) -> bool:
        if self.proc is None:
            return False
        code = self.proc.poll()
        if code is None:
            return True
        if code != 0 and not self.reported:
            self.reported = True
            print(
                f"detainerwatch serve: preparing pages stopped (exit {code}); "
                "pages are computed when asked",
                file=sys.stderr,
            )
        return False

    def ready(self, url: str) -> bool:
        """Whether a whole-store page may be computed or served now."""
        if self.whole_store_done or not self.running() or self.disk is None:
            return True
        if self.disk.get(WHOLE_STORE_DONE) is not None:
            self.whole_store_done = True  # the child now prepares profiles only
            return True
        return self.disk.get(done_key(url)) is not None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Preparing:
    """Pure ASGI middleware: a whole-store page the warmer has not made yet is answered at
    once with `busy` (503, Retry-After)."""

    def __init__(
        self,
        app: ASGIApp,
        warmer: Warmer,
        busy: Callable[[str], Callable[[Scope, Receive, Send], Awaitable[None]]],
    ) -> None:
        self.app = app
        self.warmer = warmer
        self.busy = busy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") == "GET"
            and whole_store(scope.get("path", ""), scope.get("query_string", b""))
            and not self.warmer.ready(scope["path"])
        ):
            await self.busy(scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)


def warm(store: Path) -> int:
    """The child process: fetch the site's pages but profiles (the publish crawl, no files
    written), marking each one done, and mark the whole-store pages done; then every profile
    page and API answer the crawl found a link to, in the order found; then mark the whole site
    done. Stops when its app's process has gone (killed without its shutdown)."""
    from html import unescape

    from .app import create_app
    from .inprocess import InProcessClient
    from .static_site import FOLLOW, SEEDS

    app: Any = create_app(store)
    marks = DiskCache(store)
    parent = os.getppid()
    # the site's seeds and every whole-store page, linked from a page or not (/api/v1/report is
    # linked from none: unmade, it was computed by the first request after a restart, 3 s at 4M)
    queue = list(SEEDS) + [p for p in WHOLE_STORE if p not in SEEDS]
    seen = set(queue)
    profiles: list[str] = []  # ids of /jurisdiction/{id}, in the order the crawl found them
    with InProcessClient(app) as client:

        def get(path: str) -> Any:
            return client.get(path, headers={"accept-encoding": "identity"})

        while queue:
            if os.getppid() != parent:
                return 1
            path = queue.pop(0)
            response = get(path)
            if response.status_code != 200:
                marks.put(done_key(path), "1")  # computed (an error page): no longer waited on
                continue
            if "text/html" in response.headers.get("content-type", ""):
                for link in FOLLOW.findall(response.text):
                    link = unescape(link)
                    if link in seen:
                        continue
                    seen.add(link)
                    if link.startswith(PROFILE_PAGE):
                        profiles.append(link[len(PROFILE_PAGE) :])
                    elif not link.startswith(ON_DEMAND):
                        queue.append(link)
            marks.put(done_key(path), "1")
        marks.put(WHOLE_STORE_DONE, "1")
        for jid in profiles:  # kept beside the store by the app's cache (page and answer)
            if os.getppid() != parent:
                return 1
            get(PROFILE_PAGE + jid)
            get(PROFILE_API + jid)
    marks.put(ALL_DONE, "1")
    marks.close()
    return 0


if __name__ == "__main__":
    try:
        os.nice(10)
    except OSError:
        pass
    sys.exit(warm(Path(sys.argv[1])))
