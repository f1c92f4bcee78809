"""Issue 16: finished answers sent again as they were, whole-store pages "being prepared" while
the background warmer makes them, and the static site the same whether its pages were fetched
by one process or several. (Speed itself is measured by bench/web.py and bench/waits.py.)"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from detainerwatch.web.answers import Answers
from detainerwatch.web.app import create_app
from detainerwatch.web.warm import done_key, whole_store


def _answers(app) -> Answers:
    layer = app.middleware_stack
    while not isinstance(layer, Answers):
        layer = layer.app
    return layer


def test_a_finished_answer_is_sent_again_byte_for_byte(pa_store):
    app = create_app(pa_store, disk_cache=False)
    with TestClient(app) as client:
        client.get("/")  # builds the middleware stack
        kept = _answers(app)
        before = len(kept)
        for path in ("/jurisdiction/county:42055", "/api/v1/jurisdictions/county:42055"):
            for encoding in ("gzip", "identity"):
                first = client.get(path, headers={"accept-encoding": encoding})
                again = client.get(path, headers={"accept-encoding": encoding})
                assert first.status_code == again.status_code == 200
                assert first.content == again.content
                assert dict(first.headers) == dict(again.headers)
                assert "default-src 'self'" in again.headers["content-security-policy"]
        assert len(kept) == before + 4  # two paths, each compressed and not
        # errors and bad parameters are not kept; they are answered each time
        assert client.get("/jurisdiction/county:99999").status_code == 404
        assert client.get("/api/v1/jurisdictions?limit=abc").status_code == 400
        assert len(kept) == before + 4


class _Running:
    """Stands for the warmer's child process while it works."""

    def poll(self) -> None:
        return None

    def terminate(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_whole_store_pages_are_being_prepared_until_the_warmer_made_them(pa_store, tmp_path):
    db = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, db)
    app = create_app(db, warm=True)
    warmer = app.state.warmer
    warmer.disk.put(done_key("*"), "1")  # no child process in a test: we play its part
    with TestClient(app) as client:
        warmer.proc = _Running()
        for path in ("/", "/report", "/jurisdictions", "/api/v1/report", "/downloads/x.csv"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["retry-after"] == "2"
            assert "being prepared" in response.text
            assert "default-src 'self'" in response.headers["content-security-policy"]
        assert client.get("/api/v1/report").json()["parameter"] == "path"
        # a browser ignores Retry-After: the page asks to be reloaded itself; the API does not
        assert '<meta http-equiv="refresh" content="2">' in client.get("/report").text
        assert "refresh" not in client.get("/api/v1/report").text
        # a profile, a chosen period, a search: computed when asked
        assert client.get("/jurisdiction/county:42055").status_code == 200
        assert client.get("/report?start=2015-01-01").status_code == 200
        assert client.get("/search?q=franklin").status_code == 200
        warmer.disk.put(done_key("/"), "1")
        assert client.get("/").status_code == 200
        warmer.proc = None  # the child has finished: every page as before
        assert client.get("/report").status_code == 200
        assert client.get("/jurisdictions").status_code == 200


def test_which_pages_wait_for_the_warmer():
    assert whole_store("/", b"") and whole_store("/downloads/facilities.csv", b"")
    assert whole_store("/audits/doj.csv", b"") and whole_store("/api/v1/audits/doj.csv", b"")
    assert not whole_store("/report", b"start=2015-01-01")
    assert not whole_store("/jurisdiction/county:42055", b"")
    assert not whole_store("/api/v1/totals", b"")


@pytest.mark.parametrize("workers", [2])
def test_the_site_is_the_same_built_by_one_process_or_several(pa_store, tmp_path, workers):
    from detainerwatch.publish.diskcache import cache_path
    from detainerwatch.web.static_site import publish_site

    db = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, db)
    sites = {}
    for n in (1, workers):
        for suffix in ("", "-wal", "-shm"):  # every page computed again, none from the disk
            Path(str(cache_path(db)) + suffix).unlink(missing_ok=True)
        sites[n] = tmp_path / f"site-{n}"
        result = publish_site(db, sites[n], workers=n)
        assert result["pages"] > 100
    one = sorted(p.relative_to(sites[1]) for p in sites[1].rglob("*") if p.is_file())
    many = sorted(p.relative_to(sites[workers]) for p in sites[workers].rglob("*") if p.is_file())
    assert one == many
    for rel in one:
        assert (sites[1] / rel).read_bytes() == (sites[workers] / rel).read_bytes(), rel


def test_a_result_is_made_once_while_others_asking_for_it_wait():
    # 20 clients opening the same uncached page at once: one computes, the rest get its answer
    # (a search on a big store took p99 7 s when all 20 computed it; bench/web.py)
    import threading
    import time

    from detainerwatch.web.views import ResultCache

    cache = ResultCache("store.duckdb", size=8)
    made: list[int] = []

    def compute() -> str:
        made.append(1)
        time.sleep(0.2)
        return "answer"

    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get(("search", "county"), compute)))
        for _ in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["answer"] * 12 and len(made) == 1
    assert cache.get(("search", "other"), compute) == "answer" and len(made) == 2
    # no cache (library callers): computed each time, nothing kept
    bare = ResultCache(size=0)
    bare.get(("x",), compute)
    bare.get(("x",), compute)
    assert len(made) == 4 and bare.entries() == 0


def test_a_search_is_kept_for_the_next_reader(pa_store, tmp_path):
    db = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, db)
    app = create_app(db)
    with TestClient(app) as client:
        before = app.state.cache.entries()
        first = client.get("/search?q=franklin")
        assert first.status_code == 200 and "Franklin" in first.text
        assert app.state.cache.entries() == before + 1
        assert client.get("/search?q=franklin").text == first.text
        assert app.state.cache.entries() == before + 1


def test_a_failed_page_preparation_is_reported_once(tmp_path, capsys):
    from detainerwatch.web.warm import Warmer

    class _Failed:
        def poll(self) -> int:
            return 1

    warmer = Warmer(tmp_path / "x.duckdb", None)
    warmer.proc = _Failed()  # type: ignore[assignment]
    assert not warmer.running() and not warmer.running()
    err = capsys.readouterr().err
    assert err.count("preparing pages stopped (exit 1)") == 1
    assert warmer.ready("/")  # pages are then computed when asked


def test_the_same_request_asked_at_once_is_answered_once() -> None:
    # web/answers.py: requests arriving while the same one is being answered wait for it
    import asyncio

    calls = []

    async def slow_app(scope, receive, send) -> None:
        calls.append(scope["path"])
        await asyncio.sleep(0.05)
        status = 200 if scope["path"] != "/bad" else 500
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"made once", "more_body": False})

    layer = Answers(slow_app, rules=lambda: True)

    async def ask(path: str) -> tuple[int, bytes]:
        sent: list = []

        async def send(message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        await layer(scope, None, send)
        return sent[0]["status"], sent[1]["body"]

    async def main() -> None:
        answers = await asyncio.gather(*(ask("/report") for _ in range(20)))
        assert answers == [(200, b"made once")] * 20 and calls == ["/report"]
        # an answer that is not kept (an error): each waiting request then makes its own
        errors = await asyncio.gather(*(ask("/bad") for _ in range(3)))
        assert errors == [(500, b"made once")] * 3 and calls.count("/bad") == 3
        assert not layer._pending

    asyncio.run(main())


def test_requests_waiting_for_an_answer_go_on_once_it_is_kept() -> None:
    # a first request whose client stops reading (its send never returns) must not hold the
    # requests that waited for the same answer
    import asyncio

    async def app(scope, receive, send) -> None:
        await asyncio.sleep(0.02)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"kept", "more_body": False})

    layer = Answers(app, rules=lambda: True)
    stalled = asyncio.Event()

    async def main() -> None:
        async def never_read(message) -> None:
            if message["type"] == "http.response.body":
                await stalled.wait()  # the client stopped reading

        got: list = []

        async def read(message) -> None:
            got.append(message)

        scope = {"type": "http", "method": "GET", "path": "/api/v1/report", "headers": []}
        first = asyncio.create_task(layer(dict(scope), None, never_read))
        await asyncio.sleep(0.005)  # the second arrives while the first is being answered
        await asyncio.wait_for(layer(dict(scope), None, read), timeout=2)
        assert got[1]["body"] == b"kept" and not first.done()
        stalled.set()
        await first

    asyncio.run(main())
