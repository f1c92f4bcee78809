"""The static site's faster paths (issue 16) answer as the paths they replace: the app asked in
process against starlette's TestClient, custody facilities from one question against one
question per id, and a failed profile lookup's error with the nearest names as before."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from detainerwatch.publish import catalog
from detainerwatch.publish.profile import build_profile
from detainerwatch.web import views
from detainerwatch.web.api import ParamError
from detainerwatch.web.app import STATIC_DIR, create_app
from detainerwatch.web.inprocess import InProcessClient

PATHS = [
    "/",
    "/jurisdictions",
    "/jurisdiction/county:42101",
    "/api/v1/jurisdictions/county:42101",
    "/jurisdiction/no-such-place",
    "/api/v1/totals",
    "/report?start=2020-01-01",
    "/downloads/jurisdictions.csv",
    "/static/no-such-file.css",
    *[f"/static/{p.name}" for p in sorted(STATIC_DIR.glob("*.css"))],
]


def test_the_app_asked_in_process_answers_as_the_test_client(pa_store: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with TestClient(create_app(pa_store, disk_cache=False)) as tc:
        expected = {p: tc.get(p, headers={"accept-encoding": "identity"}) for p in PATHS}
        listed = tc.get("/jurisdictions")  # compressed, read back inflated
    with InProcessClient(create_app(pa_store, disk_cache=False)) as client:
        for path in PATHS:
            got = client.get(path, headers={"accept-encoding": "identity"})
            want = expected[path]
            assert got.status_code == want.status_code, path
            assert got.content == want.content, path
            assert got.headers.get("content-type") == want.headers.get("content-type"), path
            if "text/html" in got.headers.get("content-type", ""):
                assert got.text == want.text
        got = client.get("/jurisdictions")
        assert got.headers.get("content-encoding") == listed.headers.get("content-encoding")
        assert got.content == listed.content


def test_custody_facilities_from_one_question_equal_one_question_per_id(pa_store: Path) -> None:
    app = create_app(pa_store, disk_cache=False)
    con = app.state.store.cursor()
    every = catalog.facilities_by_jurisdiction(con)
    assert every
    cache = views.ResultCache(pa_store)
    for jid in [*every, "unknown:no-such-id"]:
        for limit in (1, 1000):
            assert views.facilities_of(con, jid, cache, limit=limit) == catalog.facilities(
                con, jurisdiction=jid, limit=limit, raw=True
            )
    app.state.store.read.close()


def test_a_failed_lookup_still_names_the_nearest_names(pa_store: Path) -> None:
    app = create_app(pa_store, disk_cache=False)
    con = app.state.store.cursor()
    name = "Philadelfia County, PA"
    with pytest.raises(Exception) as direct:
        build_profile(con, name)
    assert "did you mean" in str(direct.value)
    cache = views.ResultCache(pa_store)
    with pytest.raises(ParamError) as viewed:
        views.jurisdiction(con, name, cache)
    assert viewed.value.message == str(direct.value)
    # and the page's kind for a custody id not in CUSTODY_TYPES is unchanged
    kind, data = views.jurisdiction(con, "county:42101", cache)
    assert kind == "profile" and data["id"] == "county:42101"
    app.state.store.read.close()


def test_site_workers_by_store_size(pa_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One process for a small store, two for a national one on two cores or more, the
    environment's number when set."""
    import os

    from detainerwatch.web import static_site

    monkeypatch.delenv("DETAINERWATCH_PUBLISH_WORKERS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert static_site.site_workers(pa_store) == 1  # the PA store: a few dozen jurisdictions
    monkeypatch.setattr(static_site, "PARALLEL_FROM_JURISDICTIONS", 2)
    assert static_site.site_workers(pa_store) == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert static_site.site_workers(pa_store) == 1
    monkeypatch.setenv("DETAINERWATCH_PUBLISH_WORKERS", "3")
    assert static_site.site_workers(pa_store) == 3
    assert static_site.site_workers(None) == 3


def test_a_childs_user_error_is_raised_as_one_line() -> None:
    """A user's error in a site child process (the export, a page worker) reaches the parent as
    a UsageError (one line, exit 2), anything else with its traceback."""
    import multiprocessing

    from detainerwatch.errors import InputError, UsageError
    from detainerwatch.web.site_crawl import raise_failure, send_failure

    def through_pipe(exc: BaseException) -> tuple[str, object]:
        mine, theirs = multiprocessing.Pipe()
        try:
            raise exc
        except BaseException:
            send_failure(theirs)
        return mine.recv()

    kind, value = through_pipe(InputError("a.csv", "a date", row=3, column="x"))
    assert kind == "user"
    with pytest.raises(UsageError, match=r"^a.csv, row 3, column 'x': expected a date$"):
        raise_failure(kind, value, "writing the SQLite export")
    kind, value = through_pipe(ValueError("a bug"))
    assert kind == "error" and "Traceback" in str(value)
    with pytest.raises(RuntimeError, match="writing the SQLite export failed"):
        raise_failure(kind, value, "writing the SQLite export")
    raise_failure("ok", {}, "anything")  # an answer: nothing raised
