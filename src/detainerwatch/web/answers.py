"""Finished answers of one app, served again without routing, a worker thread or compression.

The served store is read-only and every route answers a GET from the store, the code and the
request alone, so a 200 answer once sent is the answer to the same request for the app's
lifetime. This pure ASGI layer keeps each such answer (status, headers and body exactly as
sent, compressed or not as the request accepted) and sends it again from the event loop: a
page asked for a second time then costs a dictionary lookup rather than a trip through the
router, a thread of the pool and the gzip middleware, which at 20 clients at once is most of a
cached page's wait. The layer belongs to one app (a new app, a restart, starts empty); its size
is bounded in bytes, the least recently used answer dropped first. What it keeps already passed
the disclosure function on its way out (each route checks its tables before answering).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BYTES = 256 * 1024 * 1024  # all answers kept
MAX_ANSWER = 16 * 1024 * 1024  # one answer (a national download may be larger: not kept)
# Served by their own handler (conditional requests, ranges): never kept here.
SKIP = ("/static/",)

Key = tuple[str, bytes, bool, bool]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"accept-encoding" and b"gzip" in value.lower():
            return True
    return False


class Answers:
    """Pure ASGI middleware keeping finished GET answers (status 200) of one app. `rules` is
    asked for the disclosure switch at each request, so answers made under one setting are
    never sent under the other (tests switch it in one process)."""

    def __init__(self, app: ASGIApp, rules: Callable[[], bool], max_bytes: int = MAX_BYTES) -> None:
        self.app = app
        self.rules = rules
        self.max_bytes = max_bytes
        self._items: OrderedDict[Key, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # requests being answered, by key: others for the same key wait (the event loop's
        # own dict: only touched from the loop's thread)
        self._pending: dict[Key, asyncio.Event] = {}

    def __len__(self) -> int:
        return len(self._items)

    def _get(self, key: Key) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer

    def _put(self, key: Key, answer: Answer) -> None:
        size = len(answer[2])
        if size > MAX_ANSWER:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._items[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped[2])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") != "GET" or path.startswith(SKIP):
            await self.app(scope, receive, send)
            return
        key: Key = (path, scope.get("query_string", b""), _accepts_gzip(scope), self.rules())
        answer = self._get(key)
        pending = self._pending.get(key) if answer is None else None
        if pending is not None:
            # the same request is being answered: wait for that answer rather than make it
            # (and compress it) again; 20 clients asking a national report right after a
            # restart each compressed its megabytes
            await pending.wait()
            answer = self._get(key)
        if answer is not None:
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if pending is None:
            mine = self._pending[key] = asyncio.Event()
        else:  # that answer was not kept (an error, too large): make this one
            mine = None

        start: Message = {}
        chunks: list[bytes] = []

        def release() -> None:
            # the waiting requests go on as soon as the answer is kept (or will not be), not
            # when this request's client has read it: one client that stops reading must not
            # hold every other request for the same page
            if mine is not None and self._pending.get(key) is mine:
                del self._pending[key]
                mine.set()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                if message.get("status") != 200:
                    release()  # not kept: the waiting requests make their own
            elif message["type"] == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._put(key, (200, list(start.get("headers", [])), b"".join(chunks)))
                    release()
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            release()
