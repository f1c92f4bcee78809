"""serve's warmer prepares every profile (page and API answer) beside the store after the
whole-store pages, so that a first view of a profile is a lookup (issue 16)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from detainerwatch.publish.diskcache import DiskCache
from detainerwatch.web.app import create_app
from detainerwatch.web.warm import (
    ALL_DONE,
    WHOLE_STORE,
    WHOLE_STORE_DONE,
    Warmer,
    done_key,
    warm,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_the_warmer_prepares_every_profile_after_the_whole_store_pages(
    pa_store: Path, tmp_path: Path
) -> None:
    db = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, db)
    with TestClient(create_app(db, disk_cache=False)) as client:  # computed on request
        listed = client.get("/api/v1/jurisdictions", params={"limit": 1000}).json()
        ids = [j["id"] for j in listed]
        plain = {i: client.get(f"/jurisdiction/{i}").text for i in ids[:5]}
        answers = {i: client.get(f"/api/v1/jurisdictions/{i}").content for i in ids[:5]}
    assert warm(db) == 0  # the child's work, in this process
    disk = DiskCache(db)
    try:
        assert disk.get(WHOLE_STORE_DONE) is not None and disk.get(ALL_DONE) is not None
        for path in WHOLE_STORE:  # each made, linked from a page or not (/api/v1/report)
            assert disk.get(done_key(path)) is not None, path
        unset = tuple((k, "None") for k in ("end", "start", "state", "week"))
        assert disk.get(repr(("api", "/report", unset))) is not None
        for i in ids:
            assert disk.get(repr(("jurisdiction_page", i))) is not None, i
            assert disk.get(repr(("api", "/jurisdictions/{id}", (("id", i),)))) is not None, i
    finally:
        disk.close()
    # served from beside the store, byte for byte what a request computes
    app = create_app(db)
    with TestClient(app) as client:
        for i in ids[:5]:
            assert client.get(f"/jurisdiction/{i}").text == plain[i]
            assert client.get(f"/api/v1/jurisdictions/{i}").content == answers[i]
        assert not app.state.cache.entries() or all(
            key[1] != "profile" for key in app.state.cache._items
        )  # no profile was computed: every one was a lookup


class _Running:
    def poll(self) -> None:
        return None


def test_whole_store_pages_are_served_once_marked_while_profiles_are_prepared(
    tmp_path: Path,
) -> None:
    (tmp_path / "x.duckdb").write_bytes(b"")  # a store file to fingerprint
    disk = DiskCache(tmp_path / "x.duckdb")
    warmer = Warmer(tmp_path / "x.duckdb", disk)
    warmer.proc = _Running()  # type: ignore[assignment]
    assert not warmer.ready("/report")
    disk.put(done_key("/report"), "1")
    assert warmer.ready("/report") and not warmer.ready("/audits/x.csv")
    disk.put(WHOLE_STORE_DONE, "1")  # the child now prepares profiles only
    assert warmer.ready("/audits/x.csv") and warmer.ready("/")
    disk.close()
