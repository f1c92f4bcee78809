"""Profiles from the whole-store rows (issue 16): every profile of the PA store, and profiles of
several ids whose rows are added up, equal what the per-profile questions answer."""

from __future__ import annotations

import itertools

from detainerwatch.handfiles import HAND, steady
from detainerwatch.publish import queries
from detainerwatch.publish.profile import build_profile, profile_basis


def _per_profile(store: queries.ReadStore, ids: list[str]) -> queries.JurisdictionRows:
    scope = queries.of_jurisdictions(ids)
    counted = scope.counted()
    return queries.JurisdictionRows(
        totals=queries.profile_totals(store, counted),
        duplicates=queries.count(store, scope.duplicates()),
        by_year=queries.by_year(store, counted),
        by_month=queries.by_month(store, counted),
        facilities=queries.profile_facilities(store, counted),
        evidence=queries.sheet_evidence(store, scope),
    )


def test_every_id_and_merged_pairs_match_the_per_profile_questions(pa_store):
    with queries.connect_read(pa_store) as store:
        index = queries.jurisdiction_rows(store)
        assert len(index) > 20
        for jid in index:
            assert queries.profile_rows(index, [jid]) == _per_profile(store, [jid]), jid
        # Several ids at once (a county and its consolidated city): rows added up and sorted
        # as the per-profile ORDER BY sorts them, facilities of both ids interleaved.
        biggest = sorted(index, key=lambda j: -index[j].totals["issued"])[:6]
        for pair in itertools.combinations(biggest, 2):
            ids = list(pair)
            assert queries.profile_rows(index, ids) == _per_profile(store, ids), ids
        # An id without rows, alone or beside one with rows.
        assert queries.profile_rows(index, ["county:99999"]) == _per_profile(
            store, ["county:99999"]
        )
        ids = [biggest[0], "county:99999"]
        assert queries.profile_rows(index, ids) == _per_profile(store, ids)


def test_rows_handed_out_are_copies(pa_store):
    with queries.connect_read(pa_store) as store:
        index = queries.jurisdiction_rows(store)
    jid = max(index, key=lambda j: index[j].totals["issued"])
    first = queries.profile_rows(index, [jid])
    first.facilities[0]["issued"] = -1
    first.totals["issued"] = -1
    again = queries.profile_rows(index, [jid])
    assert again.facilities[0]["issued"] != -1 and again.totals["issued"] != -1


def test_profiles_with_a_basis_equal_profiles_without(pa_store):
    with queries.connect_read(pa_store) as store:
        con = store.cursor()
        basis = profile_basis(con)
        for name in ("Philadelphia, PA", "Dauphin County, PA", "Pennsylvania", "42101", "York, PA"):
            assert build_profile(con, name, basis) == build_profile(con, name), name


def test_steady_reads_a_hand_file_once_per_block_and_follows_edits_after(tmp_path, monkeypatch):
    import detainerwatch.handfiles as handfiles

    monkeypatch.setattr(handfiles, "HAND_DIR", tmp_path)
    (tmp_path / "x.yaml").write_text("a: 1\n")
    with steady():
        assert HAND.read_yaml("x.yaml") == {"a": 1}
        (tmp_path / "x.yaml").write_text("a: 22\n")  # a new size: an edit
        assert HAND.read_yaml("x.yaml") == {"a": 1}  # within the block: as first read
    assert HAND.read_yaml("x.yaml") == {"a": 22}


def test_rows_kept_beside_the_store_come_back_equal(pa_store, tmp_path):
    import shutil

    from detainerwatch.publish.diskcache import DiskCache

    store_copy = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, store_copy)
    with queries.connect_read(store_copy) as store:
        index = queries.jurisdiction_rows(store)
        assert queries.load_rows(queries.dump_rows(index)) == index
        con = store.cursor()
        disk = DiskCache(store_copy)
        made = profile_basis(con, disk)  # asked, and kept
        assert disk.get(queries.rows_key()) is not None
        again = profile_basis(con, disk)  # read back
        assert again.rows == made.rows == index
        disk.put(queries.rows_key(), b"damaged")
        assert profile_basis(con, disk).rows == index  # a damaged entry is asked again
        disk.close()


def test_serve_prepares_profile_rows_and_connections_before_the_first_request(pa_store, tmp_path):
    import shutil
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from detainerwatch.publish.diskcache import DiskCache
    from detainerwatch.web import views
    from detainerwatch.web.app import SPARE_CONNECTIONS, create_app
    from detainerwatch.web.warm import done_key

    db = tmp_path / "pa.duckdb"
    shutil.copy(pa_store, db)
    with TestClient(create_app(db, disk_cache=False)) as client:  # as tests and publish: lazily
        first = client.get("/jurisdiction/county:42043")
        assert first.status_code == 200
        plain = first.text
    disk = DiskCache(db)
    disk.put(done_key("*"), "1")  # no warmer child in a test: its pages are taken as made
    disk.close()
    app = create_app(db, warm=True)
    with TestClient(app) as client:
        cache: views.ResultCache = app.state.cache
        assert cache.get(("profile_basis",), lambda: None) is not None  # made at start-up
        assert len(app.state.store._spares) == SPARE_CONNECTIONS
        assert client.get("/jurisdiction/county:42043").text == plain
    # the rows were kept beside the store: a restart reads them
    disk = DiskCache(db)
    assert disk.get(queries.rows_key()) is not None
    disk.close()
