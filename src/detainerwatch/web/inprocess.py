"""The app's pages asked in this process through its ASGI interface, from one event loop.

The static site is the app's own answers written as files (web/static_site.py). It asked them
through starlette's TestClient: an HTTP client (httpx) building and parsing each request and
response, and an event loop in another thread that every request and every chunk of every answer
crossed to and back (issue 16: on a national store that carriage cost about as much CPU as the
pages' disclosure step). Here each request is the ASGI call the TestClient made (the same scope:
path, query and headers as it builds them), awaited on an event loop of this thread; the app's
answer, status, headers and body, is what the TestClient would have returned. The app's
lifespan (start-up and shutdown) runs as under the TestClient.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote

import httpx

Message = MutableMapping[str, Any]
# What the TestClient sent with every request (its defaults; accept-encoding as asked).
BASE = "http://testserver"
DEFAULT_HEADERS = {
    "accept": "*/*",
    "accept-encoding": "gzip, deflate",
    "connection": "keep-alive",
    "user-agent": "testclient",
}


class Answer:
    """One answer of the app: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        for name, value in headers:  # a repeated header joined as httpx joins it
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text
        self.content = _decoded(body, self.headers.get("content-encoding", ""))

    @property
    def text(self) -> str:
        """The body decoded as httpx decodes it: the content type's charset, else UTF-8."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"'")
        return self.content.decode(charset, errors="replace")


def _decoded(body: bytes, encoding: str) -> bytes:
    """The body as httpx hands it to its caller: a compressed answer inflated."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding == "gzip":
            body = zlib.decompress(body, zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -zlib.MAX_WBITS)
        elif coding != "identity":
            raise ValueError(f"an answer encoded {coding!r}: not one this client reads")
    return body


class InProcessClient:
    """Asks an ASGI app for pages, in this thread: `with InProcessClient(app) as c: c.get(path)`.

    Every request is awaited inside one task that lives as long as the client (the app's
    lifespan runs in it too): the threads that run the app's routes belong to the task that
    first asked for them, and the app keeps a prepared store connection per thread; a task per
    request would have started a thread, and prepared a connection, for every page."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[tuple[str, dict[str, str], asyncio.Future[Answer]] | None]
        self._queue = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> InProcessClient:
        ready: asyncio.Future[None] = self.loop.create_future()
        self._task = self.loop.create_task(self._serve(ready))
        try:
            self._wait(ready)
        except BaseException:
            self._task = None
            self.loop.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._task is not None:
                self._queue.put_nowait(None)
                self._wait(self._task)  # the app's shutdown
                self._task = None
        finally:
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    def _wait(self, future: asyncio.Future[Any]) -> Any:
        """Run the loop until `future` is done; if the serving task ends first (an error in
        the app's start-up or shutdown), its error."""
        task = self._task
        if task is None or future is task:
            return self.loop.run_until_complete(future)
        # a plain future to wait on, not a task: a task run by run_until_complete would be
        # taken for the root of the app's threads (anyio), ending them with each request
        either: asyncio.Future[None] = self.loop.create_future()

        def fire(_: object) -> None:
            if not either.done():
                either.set_result(None)

        future.add_done_callback(fire)
        task.add_done_callback(fire)
        try:
            self.loop.run_until_complete(either)
        finally:
            future.remove_done_callback(fire)
            task.remove_done_callback(fire)
        if future.done():
            return future.result()
        task.result()  # raises the serving task's error
        raise RuntimeError("the app stopped answering")

    async def _serve(self, ready: asyncio.Future[None]) -> None:
        async with self.app.router.lifespan_context(self.app):
            ready.set_result(None)
            while True:
                asked = await self._queue.get()
                if asked is None:
                    return
                path, headers, answer = asked
                try:
                    answer.set_result(await self._get(path, headers))
                except Exception as exc:  # the caller's: raised where it asked
                    answer.set_exception(exc)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        answer: asyncio.Future[Answer] = self.loop.create_future()
        self._queue.put_nowait((path, headers or {}, answer))
        result: Answer = self._wait(answer)
        return result

    async def _get(self, path: str, extra: dict[str, str]) -> Answer:
        url = httpx.URL(BASE + path)  # the path and query as the TestClient's request held them
        sent = {"host": url.netloc.decode("ascii"), **DEFAULT_HEADERS}
        sent.update({k.lower(): v for k, v in extra.items()})
        scope: dict[str, Any] = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": "",
            "scheme": "http",
            "query_string": url.query,
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
            "client": ("testclient", 50000),
            "server": ["testserver", 80],
            "extensions": {"http.response.debug": {}, "http.response.trailers": {}},
            "state": {},
        }
        asked = False
        done = asyncio.Event()
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal asked
            if asked:
                await done.wait()
                return {"type": "http.disconnect"}
            asked = True
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        return Answer(status, headers, b"".join(chunks))
