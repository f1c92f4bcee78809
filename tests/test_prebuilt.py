"""The prebuilt indexes of the gazetteer and the facility dictionary (link/prebuilt.py): current
with their inputs, the same as what the builders make, ignored when stale, and read only by the
commands that need them."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from detainerwatch.link import gazetteer as gz
from detainerwatch.link import prebuilt, reference


def test_the_committed_indexes_are_current() -> None:
    found = prebuilt.Prebuilt()
    assert found.valid(), (
        f"{found.stale_reason}: run .venv/bin/python scripts/build_reference.py --indexes"
    )
    assert found.provenance["built_by"] == "scripts/build_reference.py --indexes"
    assert "hand/facility_words.csv" in found.provenance["inputs_sha256"]


def test_the_prebuilt_indexes_are_what_the_builders_make() -> None:
    found = prebuilt.Prebuilt()
    assert found.get("gazetteer.states") == gz._build_states()
    assert found.get("gazetteer.counties") == gz._build_counties()
    assert found.get("gazetteer.county_index") == gz._build_county_index()
    assert found.get("reference.facilities") == reference._build_facility_indexes()


def test_indexes_built_from_other_inputs_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "indexes.pickle"
    stale = {"format": prebuilt.FORMAT, "fingerprint": "0" * 64, "pieces": {"x": b""}}
    path.write_bytes(pickle.dumps(stale))
    old = prebuilt.Prebuilt(path)
    assert old.get("x") is None and "other inputs" in (old.stale_reason or "")
    absent = prebuilt.Prebuilt(tmp_path / "none.pickle")
    assert absent.get("gazetteer.counties") is None
    # the caller then builds the index from its sources
    assert prebuilt.cached("gazetteer.counties", lambda: "built", absent) == "built"


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_commands_load_only_what_they_need() -> None:
    # The command line itself loads no reference data, no resolver, no DuckDB.
    loaded = _modules_after("import detainerwatch.cli")
    assert not {"detainerwatch.link.gazetteer", "detainerwatch.link.resolver", "duckdb"} & loaded
    # One county jail reads the county index, not the 40,000 places or the facility dictionary.
    code = (
        "from detainerwatch.link import gazetteer as gz, reference\n"
        "from detainerwatch.link.resolver import Resolver\n"
        "a = Resolver().resolve('DAUPHIN COUNTY PRISON', 'PA')\n"
        "assert a.county_fips == '42043', a\n"
        "assert gz._place_indexes.cache_info().currsize == 0\n"
        "assert reference._facility_indexes.cache_info().currsize == 0\n"
    )
    loaded = _modules_after(code)
    assert "duckdb" not in loaded and "pyarrow" not in loaded


def test_consolidated_cities_read_from_the_hand_list_are_the_place_index_own() -> None:
    # gazetteer._consolidated reads data/gazetteer/places.csv alone; the place index (40,000
    # places) must hold exactly those consolidated places, and both questions answer the same
    # for every county as they did when asked of the whole index.
    index = gz._places()
    in_index = {p for p in index.values() if p.consolidated}
    assert set(gz._consolidated()) == in_index and len(in_index) >= 5
    for county in gz._build_counties()[1]:
        assert gz.consolidated_with(county) == next(
            (p for p in index.values() if p.consolidated and county in p.county_fips), None
        )
        assert gz.consolidated_county(county) == sorted(
            {p for p in in_index if p.county_fips == (county,)},
            key=lambda p: (p.name, p.place_fips),
        )


def test_a_place_found_by_its_code_is_the_whole_index_place_of_that_code() -> None:
    # place_by_fips looks only in the state piece named by the code's first two digits
    index = list(gz._places().values())
    for p in index[:: max(1, len(index) // 400)] + [p for p in index if p.consolidated]:
        assert gz.place_by_fips(p.place_fips) == next(
            q for q in index if q.place_fips == p.place_fips
        ), p
    assert gz.place_by_fips("4260000").name == "Philadelphia"
    assert gz.place_by_fips("9999999") is None and gz.place_by_fips("0000000") is None


def test_each_state_has_its_part_of_the_place_index_and_lookups_read_only_it() -> None:
    found = prebuilt.Prebuilt()
    states = gz.place_index_states()
    assert len(states) >= 50
    for abbr in states:
        assert found.get(f"gazetteer.places.{abbr}") == gz._split_places(abbr), abbr
    # a state with no piece falls back to the whole index (empty here: no such state)
    assert gz._split_places("XX") == ({}, {})
    code = (
        "from detainerwatch.link import gazetteer as gz\n"
        "assert gz.place('PA', 'Philadelphia').place_fips == '4260000'\n"
        "assert gz.places_named('PA', 'Lower Merion')\n"
        "assert 'PITTSBURGH' in gz.municipalities('PA')\n"
        "assert gz.city_counties('CA', 'Los Angeles')\n"
        "assert gz._place_indexes.cache_info().currsize == 0\n"
    )
    _modules_after(code)


def test_the_compact_city_county_index_answers_as_city_counties() -> None:
    # the facility dictionary's check reads city_county_set (one compact index) instead of
    # city_counties (every state's piece of the place index and the ZIP list): the same counties
    # for every place and ZIP-list city name, spelt as the lists spell them and upper-cased,
    # and for names in no list
    import zipcodes

    found = prebuilt.Prebuilt()
    assert found.get("gazetteer.city_county_sets") == gz._build_city_county_index()
    names: set[tuple[str, str]] = set()
    for abbr in gz.place_index_states():
        for places in gz._state_places(abbr)[0].values():
            names.update((abbr, p.name) for p in places)
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if z.get("state"):
            names.add((z["state"], z["city"]))
            names.update((z["state"], alias) for alias in z.get("acceptable_cities") or [])
    names.update({("PA", "Nowhere Such"), ("ZZ", "Albany"), ("NY", "")})
    assert len(names) > 40_000
    for abbr, name in sorted(names):
        for spelt in (name, name.upper()):
            want = set(gz.city_counties(abbr, spelt))
            assert gz.city_county_set(abbr, spelt) == want, (abbr, spelt)
