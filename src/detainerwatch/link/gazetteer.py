"""Offline reference gazetteer: states, counties (all vintages), places, city -> county.

Sources and vintages are in ``data/gazetteer/README.md``. Every lookup takes a state: a name
is never looked up across a state line.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, cache
from pathlib import Path
from typing import NamedTuple

from . import prebuilt

DATA = Path(__file__).resolve().parents[1] / "data" / "gazetteer"
VINTAGE = "counties: Census 2000-2020 via addfips, plus 2022 CT planning regions; places: 2020"

_COUNTY_SUFFIX = re.compile(
    r"\s+(county|parish|borough|census area|city and borough|municipality|municipio|"
    r"planning region)$"
)


@dataclass(frozen=True)
class State:
    abbr: str
    fips: str
    name: str


class County(NamedTuple):  # a tuple: the prebuilt indexes read back fast
    fips: str
    name: str  # as the Census names it, e.g. "Franklin County", "Baltimore city"
    state: str  # USPS

    def __reduce__(self) -> tuple[object, ...]:
        # Read back by tuple.__new__ itself, not the generated Python constructor: the prebuilt
        # indexes hold tens of thousands of these.
        return (tuple.__new__, (type(self), tuple(self)))


class Place(NamedTuple):
    state: str
    name: str
    place_fips: str
    county_fips: tuple[str, ...]
    consolidated: bool
    kind: str = "incorporated"  # incorporated, subdivision (town, township), cdp

    def __reduce__(self) -> tuple[object, ...]:
        # Read back by tuple.__new__ itself, not the generated Python constructor: the prebuilt
        # indexes hold tens of thousands of these.
        return (tuple.__new__, (type(self), tuple(self)))


_APOSTROPHE = re.compile(r"['`\u2019]")
_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)  # the same names are read again and again
def normal(text: str) -> str:
    """Upper-case words and digits only: accents, punctuation and runs of space folded."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    # An apostrophe joins its word: "St. Mary's" and "ST MARYS", "O'Brien" and "OBRIEN" agree.
    text = _APOSTROPHE.sub("", text)
    text = text.upper().replace("&", " AND ")
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def county_key(name: str) -> str:
    """'Franklin County' -> 'FRANKLIN'; 'St. Louis city' -> 'SAINT LOUIS CITY'."""
    text = name.lower().strip()
    text = _COUNTY_SUFFIX.sub("", text)
    text = re.sub(r"\bst\.?\s", "saint ", text)
    text = re.sub(r"\bste\.?\s", "sainte ", text)
    text = re.sub(r"\bft\.?\s", "fort ", text)
    text = re.sub(r"\bmt\.?\s", "mount ", text)
    return normal(text)


@lru_cache(maxsize=65536)
def _compact(name: str) -> str:
    """county_key without spaces: 'DE KALB' = 'DeKalb', 'MC LEAN' = 'McLean', 'LASALLE' =
    'La Salle' (no state has two counties that differ only in spacing)."""
    return county_key(name).replace(" ", "")


@cache
def _states() -> dict[str, State]:
    # prebuilt: importing the `us` package (and the importlib.metadata it pulls in) cost more
    # than a one-row `resolve` may take
    return prebuilt.cached("gazetteer.states", _build_states)


def _build_states() -> dict[str, State]:
    import us

    out = {}
    for st in us.states.STATES_AND_TERRITORIES + [us.states.DC]:
        assert st.fips is not None  # every state and territory has one
        state = State(st.abbr, st.fips, st.name)
        for key in (st.abbr, st.name, st.fips):
            out[normal(key)] = state
    out[normal("Washington DC")] = out[normal("DC")]
    out[normal("D.C.")] = out[normal("DC")]
    return out


def state(text: str | None) -> State | None:
    """A state from a USPS code, a FIPS code or a name in any case ('PENNSYLVANIA')."""
    if not text:
        return None
    return _states().get(normal(text))


@cache
def _counties() -> tuple[dict[str, list[County]], dict[str, County]]:
    return prebuilt.cached("gazetteer.counties", _build_counties)


def _build_counties() -> tuple[dict[str, list[County]], dict[str, County]]:
    import addfips

    base = Path(addfips.__file__).resolve().parent / "data"
    by_state: dict[str, dict[str, County]] = defaultdict(dict)
    fips_to_state = {st.fips: st.abbr for st in {s for s in _states().values()}}
    by_fips: dict[str, County] = {}
    files = sorted(base.glob("counties_*.csv"), reverse=True)  # newest name wins
    rows = []
    for path in files:
        with open(path, newline="", encoding="utf-8") as fh:
            rows += [(r["statefp"] + r["countyfp"], r["name"]) for r in csv.DictReader(fh)]
    with open(DATA / "county_additions.csv", newline="", encoding="utf-8") as fh:
        rows += [(r["county_fips"], r["name"]) for r in csv.DictReader(fh)]
    for fips, name in rows:
        abbr = fips_to_state.get(fips[:2])
        if abbr is None:
            continue
        county = County(fips, name, abbr)
        by_fips.setdefault(fips, county)
        by_state[abbr].setdefault(f"{fips}|{county_key(name)}", county)
    grouped: dict[str, list[County]] = {k: list(v.values()) for k, v in by_state.items()}
    return grouped, by_fips


def states_with_counties() -> list[str]:
    return sorted(_counties()[0])


def counties(state_abbr: str) -> list[County]:
    return _counties()[0].get(state_abbr, [])


def county_by_fips(fips: str) -> County | None:
    return _counties()[1].get(fips)


@cache
def _county_index() -> dict[tuple[str, str], list[County]]:
    return prebuilt.cached("gazetteer.county_index", _build_county_index)


def _build_county_index() -> dict[tuple[str, str], list[County]]:
    index: dict[tuple[str, str], list[County]] = defaultdict(list)
    for abbr, items in _counties()[0].items():
        for county in items:
            bucket = index[(abbr, _compact(county.name))]
            if county.fips not in {c.fips for c in bucket}:
                bucket.append(county)
    return dict(index)


def counties_named(state_abbr: str, name: str) -> list[County]:
    """Counties of one state whose name matches exactly (suffixes and 'St.' folded)."""
    return list(_county_index().get((state_abbr, _compact(name)), []))


_CITY_COUNTY_SUFFIX = re.compile(r"\s+(city|city and borough|municipality|municipio)$", re.I)


def is_city_county(county: County) -> bool:
    """A county-equivalent that is itself a city's government: an independent city ('Richmond
    city', 'Carson City') or a unified city-borough or municipality (Sitka, Anchorage)."""
    name = county.name.lower()
    return not name.endswith("county") and bool(_CITY_COUNTY_SUFFIX.search(name))


def city_county_label(county: County) -> str:
    """'Richmond city' -> 'Richmond'; 'Sitka City and Borough' -> 'Sitka'; 'Carson City' stays."""
    if county.name == "Carson City":
        return county.name
    return _CITY_COUNTY_SUFFIX.sub("", county.name)


def independent_city(state_abbr: str, name: str) -> County | None:
    """The county-equivalent that is itself a city, where there is one of that name: Virginia's
    independent cities, Baltimore, St. Louis, Carson City, Alaska's unified city-boroughs
    ('RICHMOND' in VA -> 51760, never Richmond County 51159)."""
    text = normal(name)
    text = re.sub(r"\s+CITY$", "", text)
    for key in (f"{text} city", text):
        found = [c for c in counties_named(state_abbr, key) if is_city_county(c)]
        if len(found) == 1:
            return found[0]
    return None


@lru_cache(maxsize=65536)  # the ZIP index asks for the same few thousand names many times
def city_key(name: str) -> str:
    """'ST. CLOUD' and 'Saint Cloud' -> 'SAINTCLOUD'; 'WILKESBARRE' = 'Wilkes-Barre'."""
    text = " " + normal(name) + " "
    for short, full in (
        (" ST ", " SAINT "),
        (" STE ", " SAINTE "),
        (" FT ", " FORT "),
        (" MT ", " MOUNT "),
        (" HGTS ", " HEIGHTS "),
        (" HTS ", " HEIGHTS "),
    ):
        text = text.replace(short, full)
    # A leading compass letter: 'N OLMSTED' is North Olmsted.
    text = re.sub(
        r"^ ([NSEW]) ",
        lambda m: " " + {"N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST"}[m.group(1)] + " ",
        text,
    )
    return text.replace(" ", "")


REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
_ALIAS = re.compile(r"\s+(Town|Village)$")
_PLACE_RANK = {"incorporated": 0, "subdivision": 1, "cdp": 2}


@cache
def _all_places() -> dict[tuple[str, str], tuple[Place, ...]]:
    return _place_indexes()[0]


@cache
def _place_indexes() -> tuple[
    dict[tuple[str, str], tuple[Place, ...]], dict[tuple[str, str], Place]
]:
    """The two place indexes, read together so that they share their Place objects."""
    return prebuilt.cached("gazetteer.places", _build_place_indexes)


def _build_place_indexes() -> tuple[
    dict[tuple[str, str], tuple[Place, ...]], dict[tuple[str, str], Place]
]:
    every = _build_all_places()
    return every, _build_places(every)


def _build_all_places() -> dict[tuple[str, str], tuple[Place, ...]]:
    """(state, city_key) -> every Census place and county subdivision of that name, governments
    first (incorporated places, then towns and townships, then CDPs), from
    ``data/reference/places.csv.gz`` (built by scripts/build_reference.py), with the hand list
    ``data/gazetteer/places.csv`` (consolidated city-counties) on top."""
    import gzip

    out: dict[tuple[str, str], list[Place]] = defaultdict(list)
    path = REFERENCE / "places.csv.gz"
    if path.exists():
        with gzip.open(path, "rt", newline="", encoding="utf-8") as fh:
            changes = _county_changes()
            county_lists: dict[tuple[str, ...], tuple[str, ...]] = {}
            rows = csv.reader(fh)
            header = next(rows)
            i_state, i_name, i_fips, i_kind, i_counties, i_key = (
                header.index(c)
                for c in ("state", "name", "place_fips", "kind", "county_fips", "key")
            )
            for r in rows:
                counties = r[i_counties].split(";")
                if changes.keys() & set(counties):
                    counties = [current_fips(c) for c in counties]
                name, kind = r[i_name], sys.intern(r[i_kind])
                # Shared objects: the prebuilt indexes store each state, kind and county list once.
                shared = tuple(counties)
                shared = county_lists.setdefault(shared, shared)
                place = Place(sys.intern(r[i_state]), name, r[i_fips], shared, False, kind)
                out[(r[i_state], r[i_key])].append(place)  # key: city_key(name), built in
                if kind != "cdp" and name.endswith((" Town", " Village")):
                    # 'Braintree Town' (MA), 'Westworth Village' (TX) are Braintree and
                    # Westworth as people write them.
                    out[(r[i_state], city_key(_ALIAS.sub("", name)))].append(place)
    for key, place in _hand_places():
        out[key] = [place] + [p for p in out[key] if p.place_fips != place.place_fips]
    nyc = out[("NY", city_key("New York City"))]
    out[("NY", city_key("New York"))] = nyc + out.get(("NY", city_key("New York")), [])
    out[("NY", city_key("NYC"))] = nyc
    return {k: tuple(sorted(v, key=lambda p: _PLACE_RANK.get(p.kind, 0))) for k, v in out.items()}


@cache
def _places() -> dict[tuple[str, str], Place]:
    return _place_indexes()[1]


StatePlaces = tuple[dict[str, tuple[Place, ...]], dict[str, Place]]


@cache
def _state_places(state_abbr: str) -> StatePlaces:
    """One state's part of the two place indexes, keyed by city_key alone: what a lookup within
    a state needs (a state is never crossed). Read from that state's own prebuilt piece (a
    fiftieth of the 40,000 places: a one-county profile or audit entry, or one resolved row, no
    longer unpickles them all); from the whole index when there is no such piece."""
    return prebuilt.cached(f"gazetteer.places.{state_abbr}", lambda: _split_places(state_abbr))


def _split_places(state_abbr: str) -> StatePlaces:
    """A state's part of the whole place index (the builder of its prebuilt piece)."""
    every, one = _place_indexes()
    return (
        {key: found for (abbr, key), found in every.items() if abbr == state_abbr},
        {key: place for (abbr, key), place in one.items() if abbr == state_abbr},
    )


def place_index_states() -> list[str]:
    """The states with places in the index (one prebuilt piece each)."""
    return sorted({abbr for abbr, _ in _place_indexes()[0]})


def _build_places(every: dict[tuple[str, str], tuple[Place, ...]]) -> dict[tuple[str, str], Place]:
    """(state, city_key) -> the one government place of that name: an incorporated place (or a
    hand-listed consolidated city), else a town or township when only one has the name."""
    out = {}
    for key, found in every.items():
        for kind in ("incorporated", "subdivision"):
            same = [p for p in found if p.kind == kind]
            if same:
                if len(same) == 1 or same[0].consolidated:
                    out[key] = same[0]
                break
    return out


def place(state_abbr: str, name: str) -> Place | None:
    found = _state_places(state_abbr)[1].get(city_key(name))
    if found is None:
        # 'LADUE' is Ladue, not La Due: of same-keyed municipalities, the one spelt as written.
        spelt = [
            p
            for p in places_named(state_abbr, name)
            if p.kind != "cdp" and normal(p.name) == normal(name)
        ]
        found = spelt[0] if len(spelt) == 1 else None
    return found


@cache
def _consolidated() -> tuple[Place, ...]:
    """The consolidated cities of the place index, read from the hand list alone: only
    ``data/gazetteer/places.csv`` marks a place consolidated, and of its rows sharing a name the
    last is the one the index keeps (see _build_all_places), so these are the index's own
    without reading its 40,000 places (a third of a second; tests/test_prebuilt.py compares)."""
    last = dict(_hand_places())
    return tuple(p for p in last.values() if p.consolidated)


def _hand_places() -> Iterator[tuple[tuple[str, str], Place]]:
    """The places of the hand list ``data/gazetteer/places.csv``, keyed by (state, city key), in
    file order."""
    with open(DATA / "places.csv", newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            place = Place(
                rec["state"],
                rec["name"],
                rec["place_fips"],
                tuple(rec["county_fips"].split(";")),
                rec["consolidated"] == "yes",
            )
            yield (rec["state"], city_key(rec["name"])), place


def consolidated_with(county_fips: str) -> Place | None:
    """The consolidated city whose territory includes the county (New York City's five)."""
    return next((p for p in _consolidated() if county_fips in p.county_fips), None)


def consolidated_county(county_fips: str) -> list[Place]:
    """The consolidated cities that are one government with exactly this county (the city and
    county of Philadelphia), by name: what profile and audit count as covering both."""
    found = {p for p in _consolidated() if p.county_fips == (county_fips,)}
    return sorted(found, key=lambda p: (p.name, p.place_fips))


def place_by_fips(place_fips: str) -> Place | None:
    """The government place with this 7-digit code (state + place), if the gazetteer has it.
    Looked for in its state's piece of the index only (the code's first two digits), not in the
    whole index's 40,000 places."""
    st = state(place_fips[:2])
    if st is None:
        return None
    found = _state_places(st.abbr)[1].values()
    return next((p for p in found if p.place_fips == place_fips), None)


def municipalities(state_abbr: str) -> dict[str, Place]:
    """city_key -> the government place of that name, for one state (for spelling matches)."""
    return _state_places(state_abbr)[1]


def places_named(state_abbr: str, name: str) -> tuple[Place, ...]:
    """Every place and county subdivision of that name in the state, governments first."""
    return _state_places(state_abbr)[0].get(city_key(name), ())


def place_counties(state_abbr: str, name: str) -> list[str]:
    """The counties a city of that name extends into: the government place's (all of them when
    it spans several), else those of every same-named place or subdivision; [] if unknown."""
    known = place(state_abbr, name)
    if known:
        return list(known.county_fips)
    found = places_named(state_abbr, name)
    return sorted({c for p in found for c in p.county_fips})


@cache
def _county_changes() -> dict[str, str]:
    from ..handfiles import hand_path

    with open(hand_path("county_changes.csv"), newline="", encoding="utf-8") as fh:
        return {r["old_fips"]: r["new_fips"] for r in csv.DictReader(fh)}


def current_fips(fips: str) -> str:
    """A county FIPS code as it is now: Dade 12025 -> Miami-Dade 12086 (hand/county_changes.csv)."""
    changes = _county_changes()
    seen = 0
    while fips in changes and seen < 5:
        fips, seen = changes[fips], seen + 1
    return fips


def reset() -> None:
    """Forget every loaded index (the reference build script rewrites the data under them)."""
    for fn in (
        _all_places,
        _places,
        _consolidated,
        _place_indexes,
        _state_places,
        _city_counties,
        _city_county_index,
        _county_changes,
    ):
        fn.cache_clear()


@cache
def _city_counties() -> dict[tuple[str, str], dict[str, int]]:
    return prebuilt.cached("gazetteer.zip_counties", _build_city_counties)


def _build_city_counties() -> dict[tuple[str, str], dict[str, int]]:
    """(state, city) -> {county_fips: number of ZIP codes}, from the zipcodes package."""
    import zipcodes

    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]  # zipcodes: no annotations
        abbr, county_name = z.get("state"), z.get("county") or ""
        if not abbr or not county_name:
            continue
        match = counties_named(abbr, county_name)
        if len(match) != 1:
            continue
        fips = match[0].fips
        out[(abbr, city_key(z["city"]))][fips] += 2  # the ZIP's own city counts double
        for alias in z.get("acceptable_cities") or []:
            out[(abbr, city_key(alias))][fips] += 1
    return {k: dict(v) for k, v in out.items()}


def city_counties(state_abbr: str, city: str) -> dict[str, int]:
    """Counties a city (postal name) lies in, with weights; empty when the city is unknown."""
    known = place_counties(state_abbr, city)
    if known:
        return {fips: 10 for fips in known}
    return _city_counties().get((state_abbr, city_key(city)), {})


# "state|city_key" -> the counties city_counties gives for that key ("fips fips", "" for none),
# or, where the answer depends on how the city is spelt (no government place has the key, some
# municipality does): ((normal(name), its counties), ...) and the counties for any other spelling
CityCounties = str | tuple[tuple[tuple[str, str], ...], str]


@cache
def _city_county_index() -> dict[str, CityCounties]:
    return prebuilt.cached("gazetteer.city_county_sets", _build_city_county_index)


def _build_city_county_index() -> dict[str, CityCounties]:
    """What city_counties answers, for every state and city key at once, as strings: the facility
    dictionary checks the listed county of every facility of every state (1,500 lookups over ~56
    states), and unpickling every state's piece of the place index and the ZIP list took ~0.2 s
    of a `resolve` that builds it."""
    zips = _city_counties()
    keys = set(zips)
    states = place_index_states()
    for abbr in states:
        keys.update((abbr, key) for key in _state_places(abbr)[0])
    out: dict[str, CityCounties] = {}
    for abbr, key in sorted(keys):
        every, government = _state_places(abbr) if abbr in states else ({}, {})
        zip_counties = list(zips.get((abbr, key), {}))

        def answer(counties: Sequence[str], zip_counties: list[str] = zip_counties) -> str:
            return " ".join(counties or zip_counties)  # as city_counties: else the ZIP list's

        known = government.get(key)
        found = every.get(key, ())
        named = tuple((normal(p.name), answer(p.county_fips)) for p in found if p.kind != "cdp")
        union = sorted({c for p in found for c in p.county_fips})
        if known is not None:
            out[f"{abbr}|{key}"] = answer(known.county_fips)
        elif named:
            out[f"{abbr}|{key}"] = (named, answer(union))
        else:
            out[f"{abbr}|{key}"] = answer(union)
    return out


def city_county_set(state_abbr: str, city: str) -> frozenset[str]:
    """The counties of city_counties(state_abbr, city), read from one compact index (what the
    facility dictionary's check needs: membership, not weights). tests/test_prebuilt.py
    compares the two."""
    found = _city_county_index().get(f"{state_abbr}|{city_key(city)}", "")
    if not isinstance(found, str):
        # as place(): of same-keyed municipalities, the one spelt as written
        named, other = found
        spelt = [counties for name, counties in named if name == normal(city)]
        found = spelt[0] if len(spelt) == 1 else other
    return frozenset(found.split())


def is_city(state_abbr: str, city: str) -> bool:
    """A Census place or county subdivision of that name in the state (the ZIP list's postal
    names are not places: they serve only to place a facility's given city in a county)."""
    return bool(places_named(state_abbr, city))
