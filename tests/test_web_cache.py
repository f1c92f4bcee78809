"""The web app's results cache (issue 16, issue 17 item 4): the app's own, never module state;
finished pages and API answers kept beside the store for the next start, while the store, the
code and the disclosure switch are unchanged."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from unittest import mock

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from detainerwatch.publish import disclosure
from detainerwatch.publish.diskcache import DiskCache, cache_path
from detainerwatch.web import views
from detainerwatch.web.app import create_app

PAGE = "/jurisdiction/county:42101"


@pytest.fixture
def store(pa_store: Path, tmp_path: Path) -> Path:
    db = tmp_path / "copy.duckdb"
    shutil.copy(pa_store, db)
    return db


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("computed again")


def test_each_app_has_its_own_cache_and_a_restart_serves_pages_from_disk(store: Path) -> None:
    app = create_app(store)
    with TestClient(app) as c:
        first = c.get(PAGE)
        answer = c.get("/api/v1/jurisdictions/county:42101")
    assert first.status_code == 200 and answer.status_code == 200
    assert app.state.cache.entries() > 0 and cache_path(store).exists()
    other = create_app(store, disk_cache=False)
    assert other.state.cache.entries() == 0  # nothing shared between apps
    # a restarted app: its memory is empty, the page and the answer come from beside the store
    with mock.patch.object(views, "build_profile", _refuse):
        with TestClient(create_app(store)) as c:
            assert c.get(PAGE).text == first.text
            assert c.get("/api/v1/jurisdictions/county:42101").content == answer.content
        with TestClient(create_app(store, disk_cache=False)) as c, pytest.raises(AssertionError):
            c.get(PAGE)


def test_the_disk_cache_is_emptied_when_the_store_or_the_rules_change(store: Path) -> None:
    cache = DiskCache(store)
    cache.put("k", "page")
    cache.close()
    assert DiskCache(store).get("k") == "page"
    disclosure.set_enabled(False)
    try:  # pages made under other disclosure rules are never served
        assert DiskCache(store).get("k") is None
    finally:
        disclosure.set_enabled(True)
    cache = DiskCache(store)
    cache.put("k", b"answer")
    cache.close()
    st = store.stat()
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # as an ingest would
    assert DiskCache(store).get("k") is None


def test_an_unwritable_folder_means_no_disk_cache_not_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "x.duckdb"
    cache = DiskCache(missing)
    cache.put("k", "v")
    assert cache.get("k") is None


@pytest.mark.parametrize(
    "relative", ["publish/queries/counts.py", "derive/facts.py", "hand/outcome_classes.csv"]
)
def test_the_disk_cache_is_emptied_when_any_file_of_the_package_changes(
    store: Path, relative: str
) -> None:
    """The read model (publish/queries), derive and the hand files make pages as much as the
    templates do: a page kept from before an upgrade or an edit of a hand file is not served."""
    from detainerwatch.publish import diskcache

    cache = DiskCache(store)
    cache.put("k", "page")
    cache.close()
    path = diskcache.PACKAGE / relative
    st = path.stat()
    try:
        newest = diskcache._code_stamp()
        os.utime(path, ns=(st.st_atime_ns, newest + 1_000_000_000))
        assert DiskCache(store).get("k") is None
    finally:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
