"""A real browser (Debian chromium, headless) against the served app: home, search a county,
open its profile, follow a link to the evidence; no request may leave localhost."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from browser import Browser, external


@pytest.fixture(scope="module")
def server(pa_store):
    import uvicorn

    from detainerwatch.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(pa_store), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_home_search_profile_evidence(server, tmp_path):
    with Browser() as b:
        b.goto(server + "/")
        assert "detainerwatch" in b.evaluate("document.title")
        assert b.evaluate("document.querySelectorAll('figure svg').length") == 2
        b.evaluate("document.querySelector('#q').value = 'Franklin'")
        b.evaluate("setTimeout(() => document.querySelector('form.search').submit(), 0); true")
        b.wait_for("Page.loadEventFired")
        assert "/search?q=Franklin" in b.evaluate("location.href")
        b.click("table.results a[href^='/jurisdiction/county:']")
        assert "Franklin County, PA" in b.evaluate("document.querySelector('h1').textContent")
        b.screenshot(tmp_path / "profile.png")
        b.click("a.evidence-link")
        assert "/sources#sha-" in b.evaluate("location.href")
        assert "pa_detainers.csv" in b.evaluate("document.body.textContent")
        shot = b.screenshot(tmp_path / "evidence.png")
        requests = list(b.requests)
    assert shot.stat().st_size > 10_000
    assert len(requests) >= 4 and external(requests) == [], external(requests)
