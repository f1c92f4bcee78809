"""The bundled national facility dictionary: name within a state -> facilities, with the
government type and county each source gives.

Data: ``data/reference/facilities.csv.gz`` (built by ``scripts/build_reference.py`` from HIFLD
Prison Boundaries, the ICE facility lists, the US Marshals' list and state DOC / BOP lists; see
``data/reference/SOURCES.md``). Words: ``hand/facility_words.csv`` (abbreviations expanded, type
words set aside); thresholds: ``hand/resolver_settings.yaml``. Loaded on first use only.

A name is matched within its state only, three ways in order: the whole name with its
abbreviations expanded; its *core* (the name without type words such as JAIL, CORRECTIONAL,
CTR, CI, and without the state's own name), also against each facility's core plus its city
('DOWNSTATE CF, FISHKILL'); and a close spelling of the core. The facilities found must not
contradict the kind the name states (a COUNTY name never matches a state prison), and must
agree on one county; otherwise the candidates are returned for review.
"""

from __future__ import annotations

from typing import Any

import csv
import gzip
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, cache
from pathlib import Path
from typing import NamedTuple


from ..handfiles import hand_path, read_yaml
from . import gazetteer as gz
from . import prebuilt


# (exact name -> refs, core -> refs, per state: core strings for spelling matches, and core word
# sets for the subset match)
NameIndex = tuple[
    dict[tuple[str, str], list["Ref"]],
    dict[tuple[str, tuple[Any, ...]], list["Ref"]],
    dict[str, list[str]],
    dict[str, list[tuple[frozenset[Any], list["Ref"]]]],
]

DATA = Path(__file__).resolve().parents[1] / "data" / "reference" / "facilities.csv.gz"
KIND_WORDS = ("county", "city", "state", "federal", "regional", "ice")
PRISON_WORDS = {
    "PRISON",
    "PEN",
    "PENN",
    "PENITENTIARY",
    "JAIL",
    "HOSPITAL",
    "FARM",
    "CORR",
    "CORRECTIONAL",
    "HOSP",
    "REFORMATORY",
    "POLICE",
    "PATROL",
    "TRAINING",
    "SCHOOL",
}
# Which dictionary kinds a name's own kind words allow.
COMPATIBLE = {
    "county": {"county", "igsa", "multi", "private", "unknown"},
    "city": {"local", "city", "igsa", "private", "unknown"},
    "state": {"state", "private", "unknown"},
    "federal": {"federal", "private", "ice", "unknown"},
    "regional": {"multi", "county", "local", "igsa", "private", "unknown"},
    "ice": {"ice", "federal", "private", "unknown"},
}
# When sources disagree on one facility's type: the contract types of ICE and the Marshals say
# who operates it (private); HIFLD's TYPE says whose system it belongs to.
KIND_ORDER = (
    "private",
    "ice",
    "federal",
    "state",
    "multi",
    "county",
    "local",
    "city",
    "igsa",
    "unknown",
)
OPERATOR_SOURCES = ("ice-2017", "ice-2015", "ice-detention-stats", "ice-over72", "usms-2025")


class Ref(NamedTuple):  # a tuple: the prebuilt indexes read back fast
    state: str
    name: str
    city: str
    county_fips: str
    county_from: str  # listed (by the source), city (the one county of the source's city), ''
    kind: str
    operator: str
    code: str
    source: str
    key: str = ""  # the name as gazetteer.normal() reads it (parenthesised parts dropped)
    city_key: str = ""

    def __reduce__(self) -> tuple[object, ...]:
        # Read back by tuple.__new__ itself (see gazetteer.Place).
        return (tuple.__new__, (type(self), tuple(self)))


@dataclass
class Match:
    how: str  # exact, core, fuzzy
    refs: list[Ref]
    score: float = 100.0
    kind: str = "unknown"
    county_fips: str | None = None
    counties: list[str] = field(default_factory=list)
    operator: str | None = None
    conflict: bool = False  # facilities of different government types
    kinds: list[str] = field(default_factory=list)
    narrowed: bool = False  # the facilities of exactly the name, others of its core set aside

    def evidence(self) -> dict[str, Any]:
        return {
            "step": "reference",
            "how": self.how,
            "score": round(self.score, 1),
            "facilities": [
                [r.name, r.city, r.county_fips, r.kind, r.source] for r in self.refs[:6]
            ],
        }


@cache
def settings() -> dict[str, Any]:
    # as `make install` keeps it (handfiles: JSON of the same value), so resolving imports no
    # YAML parser (~40 ms of a `resolve`'s start-up)
    settings: dict[str, Any] = read_yaml("resolver_settings.yaml")
    return settings


@cache
def words() -> dict[str, tuple[tuple[str, ...], str]]:
    with open(hand_path("facility_words.csv"), newline="", encoding="utf-8") as fh:
        return {r["word"]: (tuple(r["means"].split()), r["class"]) for r in csv.DictReader(fh)}


@cache
def _classes() -> dict[str, str]:
    """The class of each expanded word."""
    table = words()
    # A word an abbreviation stands for keeps its own row's class; one with no row of its own
    # ('TRANSFER' of FTC, 'CAMP' of FPC) is part of the name.
    out = {w: "plain" for means, _cls in table.values() for w in means if w not in table}
    out.update({w: cls for w, (means, cls) in table.items() if w in means})
    return out


@cache
def _own_words(state: str) -> frozenset[str]:
    """The state's own name and code: no part of a facility's identity within it."""
    st = gz.state(state)
    return frozenset(gz.normal(st.name).split()) | {st.abbr} if st else frozenset()


@cache
def _type_words() -> tuple[str, ...]:
    """The written-out type words a cut name can end in."""
    return tuple(sorted({w for w, cls in _classes().items() if cls != "plain" and len(w) > 3}))


@lru_cache(maxsize=8192)
def analyse(name: str, state: str) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """(expanded name, core words sorted, kind words) of a facility name in a state."""
    # '(FSP)', '(SOUTHEAST)': acronyms and wings
    return _analyse(gz.normal(re.sub(r"\([^)]*\)", " ", name)), state)


@cache
def _analyse(text: str, state: str) -> tuple[str, tuple[str, ...], frozenset[str]]:
    table = words()
    raw: list[str] = []
    joining = False  # 'U S PEN', 'F C I': initials written apart are one word (US, FCI)
    for word in text.split():
        if len(word) == 1 and word.isalpha() and joining:
            raw[-1] += word
            continue
        joining = len(word) == 1 and word.isalpha()
        raw.append(word)
    if raw and raw[-1] not in table and len(raw[-1]) >= 3:
        # A name cut at the column width: 'DETENTION FACILI', 'CORRECTIONAL INS'.
        whole = [w for w in _type_words() if w.startswith(raw[-1])]
        if len(whole) == 1:
            raw[-1] = whole[0]
    # A type word misspelt by one letter ('CORRECTONAL'): a long word no table row knows.
    raw = [_type_word_misspelt(w) if len(w) >= 8 and w not in table else w for w in raw]
    own = _own_words(state)
    expanded: list[str] = []
    st = gz.state(state)
    for i, word in enumerate(raw):
        if st is not None and word == st.abbr and len(raw) > 1:
            expanded += gz.normal(st.name).split()  # 'N.J. STATE PRISON'
            continue
        if word == "ST":
            after = raw[i + 1] if i + 1 < len(raw) else ""
            expanded += ["STATE"] if after in PRISON_WORDS or not after else ["SAINT"]
            continue
        expanded += list(table[word][0]) if word in table else [word]
    classes = _classes()
    kinds = frozenset(classes[w] for w in expanded if classes.get(w) in KIND_WORDS)
    core = tuple(sorted({w for w in expanded if w not in classes or classes[w] == "plain"} - own))
    return " ".join(expanded), core, kinds


@lru_cache(maxsize=4096)
def _type_word_misspelt(word: str) -> str:
    """The written-out type word one edit away from `word`, if exactly one is; else `word`."""
    from rapidfuzz.distance import Levenshtein

    near = [w for w in _type_words() if Levenshtein.distance(word, w, score_cutoff=1) <= 1]
    return near[0] if len(near) == 1 else word


@cache
def _facility_indexes() -> tuple[
    tuple[Ref, ...],
    dict[str, list[Ref]],
    NameIndex,
    dict[tuple[str, str], list[Ref]],
]:
    """The facility rows and their indexes, read together so that they share their Ref objects
    (prebuilt by scripts/build_reference.py --indexes; see prebuilt.py)."""
    return prebuilt.cached("reference.facilities", _build_facility_indexes)


def _build_facility_indexes() -> tuple[
    tuple[Ref, ...],
    dict[str, list[Ref]],
    NameIndex,
    dict[tuple[str, str], list[Ref]],
]:
    refs = _build_refs()
    return refs, _build_codes(refs), _build_index(refs), _build_by_city(refs)


def _refs() -> tuple[Ref, ...]:
    return _facility_indexes()[0]


def _build_refs() -> tuple[Ref, ...]:
    """Every facility row: the built dictionary plus hand/facility_additions.csv (reviewed
    facilities no source lists under a usable name, e.g. RIKERS ISLAND)."""
    hand = []
    with open(hand_path("facility_additions.csv"), newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            hand.append(
                Ref(
                    r["state"],
                    r["name"],
                    r["city"],
                    r["county_fips"],
                    "listed",
                    r["kind"],
                    r["operator"],
                    r["code"],
                    "hand/facility_additions.csv",
                )
            )
    replaced = {r.code for r in hand if r.code}
    out = []
    if DATA.exists():
        with gzip.open(DATA, "rt", newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            if header != list(Ref._fields):
                raise ValueError(
                    f"{DATA}: columns {header}; rebuild it with scripts/build_reference.py"
                )
            # A reviewed hand row replaces the source rows of its code.
            # Shared strings: the prebuilt indexes store each state, kind, source ... once.
            shared = (0, 3, 4, 5, 6, 8)
            for row in rows:
                for i in shared:
                    row[i] = sys.intern(row[i])
                ref = Ref(*row)
                if ref.code not in replaced:
                    out.append(ref)
    return tuple(out + hand)


def _codes() -> dict[str, list[Ref]]:
    return _facility_indexes()[1]


def _build_codes(every: tuple[Ref, ...]) -> dict[str, list[Ref]]:
    out: dict[str, list[Ref]] = defaultdict(list)
    for ref in every:
        if ref.code and not ref.source.startswith("hifld"):  # HIFLD ids are no ICE codes
            out[ref.code].append(ref)
    return dict(out)


def by_code(code: str) -> list[Ref]:
    """The facilities listed under an ICE DETLOC (or BOP / DOC) code."""
    return list(_codes().get(code.strip().upper(), []))


def _index() -> NameIndex:
    return _facility_indexes()[2]


def _build_index(every: tuple[Ref, ...]) -> NameIndex:
    """(exact name -> refs, core -> refs, per state: core strings for spelling matches, and
    core word sets for the subset match)."""
    exact: dict[tuple[str, str], list[Ref]] = defaultdict(list)
    core: dict[tuple[str, tuple[Any, ...]], list[Ref]] = defaultdict(list)
    for ref in every:
        full, words_, _ = _analyse(ref.key, ref.state) if ref.key else analyse(ref.name, ref.state)
        exact[(ref.state, full)].append(ref)
        if words_:
            core[(ref.state, words_)].append(ref)
        if ref.city:
            # The name with its city: 'DOWNSTATE CF, FISHKILL'; 'CMF-VACAVILLE' for the
            # California Medical Facility (whose name is all type words).
            city = tuple((ref.city_key or gz.normal(ref.city)).split())
            if not set(city) <= set(words_):
                core[(ref.state, tuple(sorted(set(words_) | set(city))))].append(ref)
    by_state: dict[str, list[str]] = defaultdict(list)
    sets: dict[str, list[tuple[frozenset[Any], list[Ref]]]] = defaultdict(list)
    for (state, words_), refs in core.items():
        by_state[state].append(" ".join(words_))
        sets[state].append((frozenset(words_), refs))
    return dict(exact), dict(core), dict(by_state), dict(sets)


def lookup(name: str, state: str, kinds: frozenset[str] | None = None) -> Match | None:
    """The facilities of `state` this name can be, agreeing on one county, or None."""
    full, core, own_kinds = analyse(name, state)
    kinds = own_kinds if kinds is None else kinds
    if "state" in kinds:
        # 'TRAVIS COUNTY STATE JAIL': the county word says where a state facility is.
        kinds = kinds - {"county"}
    exact, cores, strings, sets = _index()
    cfg = settings()["reference"]
    # The whole name, and with it every facility of the same core name (the same facility as
    # other sources spell it: 'MILAN FEDERAL CORRECTIONAL INSTITUTE' and 'FCI MILAN').
    named = _compatible(exact.get((state, full), []), kinds)
    same = _compatible(cores.get((state, core), []), kinds) if core else []
    if named or same:
        pooled = _decide(
            Match(
                "exact" if named else "core",
                _prefer_plain(named + [r for r in same if r not in named], kinds),
            )
        )
        if named and cfg["exact_name_first"] and (pooled.conflict or not pooled.county_fips):
            # Sources in conflict, or counties apart, only because other facilities share the
            # name's core words (LAWTON CITY JAIL beside LAWTON CORRECTIONAL FACILITY): the
            # facilities of exactly this name decide, when they agree on one county and type.
            # Never when a facility set aside is this one under a longer name (MCNEIL ISLAND
            # CORRECTIONS CENTER for MCNEIL ISLAND CORRECTIONS): its type counts.
            words = set(full.split())
            aside = [r for r in pooled.refs if r not in named]
            alone = _decide(Match("exact", _prefer_plain(named, kinds), narrowed=True))
            if (
                aside
                and alone.county_fips
                and not alone.conflict
                and not any(
                    words <= set(analyse(r.name, state)[0].split())
                    and (r.kind not in alone.kinds or r.county_fips not in ("", alone.county_fips))
                    for r in aside
                )
            ):
                return alone
        return pooled
    if not core:
        # 'CORRECTIONAL RECEPTION' (OH): a name of type words only, cut before its last word:
        # the one listed name that is exactly it and one such word more (hand: reference
        # cut_last_words), if its facilities agree on a county and a type.
        longer = [
            _compatible(exact.get((state, f"{full} {word}"), []), kinds)
            for word in cfg["cut_last_words"]
        ]
        listed = [refs_ for refs_ in longer if refs_]
        if len(listed) == 1:
            match = _decide(Match("cut", listed[0]))
            if match.county_fips and not match.conflict:
                return match
        return None
    if len(" ".join(core)) < 5:
        return None
    prison = _prison_named(full)
    if kinds & {"state", "federal"} or _distinctive(core) or (prison and _distinctive(core, True)):
        # 'CHUCKWALLA STATE PRISON' (Chuckwalla Valley), 'LANCASTER STATE PRISON' (California
        # State Prison, Los Angeles County, in Lancaster): a prison whose name (with its city)
        # holds every word of this one; only when the name says whose prison it is.
        wanted = set(core)
        refs = [r for words_, found in sets.get(state, []) if wanted < words_ for r in found]
        refs = _compatible(list(dict.fromkeys(refs)), kinds)
        if prison and not kinds:
            # 'TURNEY CENTER PRISON' (Turney Center Industrial Complex): a name that says only
            # that it is a prison matches prisons, never a juvenile centre or a jail of the words.
            refs = [r for r in refs if _prison_named(analyse(r.name, state)[0])]
        if refs:
            match = _decide(Match("subset", refs, cfg["fuzzy_accept"]))
            if match.county_fips and not match.conflict:
                return match
    from rapidfuzz import fuzz, process

    found = process.extract(
        " ".join(core),
        strings.get(state, []),
        scorer=fuzz.token_sort_ratio,
        limit=6,
        score_cutoff=cfg["fuzzy_accept"] - cfg["fuzzy_margin"],
    )
    scored = []
    for text, score, _ in found:
        refs = _compatible(cores[(state, tuple(text.split()))], kinds)
        if refs:
            scored.append((score, refs))
    if not scored or scored[0][0] < cfg["fuzzy_accept"]:
        return _abbreviated(full, core, state, kinds)
    best_score, best = scored[0]
    best_counties = {r.county_fips for r in best if r.county_fips}
    for score, refs in scored[1:]:
        if (
            best_score - score < cfg["fuzzy_margin"]
            and {r.county_fips for r in refs if r.county_fips} != best_counties
        ):
            # Two facilities of different counties spelt alike: no answer from spelling.
            return _decide(Match("fuzzy", best + refs, best_score))
    return _decide(Match("fuzzy", best, best_score))


_PRISONISH = re.compile(r"\bCORR|\bCOR\b|\bPRISON|\bPEN")


@cache
def _prison_words() -> dict[str, tuple[tuple[Ref, frozenset[str]], ...]]:
    """Every state's prison-named facilities with the words of their expanded names (one pass;
    a cheap look at the raw name first, so most facilities are never expanded)."""
    out: dict[str, list[tuple[Ref, frozenset[str]]]] = defaultdict(list)
    for ref in _refs():
        if not _PRISONISH.search(ref.key or ref.name.upper()):
            continue
        full = (_analyse(ref.key, ref.state) if ref.key else analyse(ref.name, ref.state))[0]
        if _prison_named(full):
            out[ref.state].append((ref, frozenset(full.split())))
    return {state: tuple(found) for state, found in out.items()}


def _prison_words_by_state(state: str) -> tuple[tuple[Ref, frozenset[str]], ...]:
    return _prison_words().get(state, ())


def _abbreviated(
    full: str, core: tuple[str, ...], state: str, kinds: frozenset[str]
) -> Match | None:
    """'HUNT CORR INSTITUTE' (Elayn Hunt Correctional Center), 'RUSTBURG CORR. UNIT #9': a
    prison name whose every word (unit numbers aside) begins a word of one listed prison's name,
    or is that word with a suffix ('NORTHEASTERN' for NORTHEAST), when every prison so matched
    agrees on one county and type (hand/resolver_settings.yaml reference.abbreviated)."""
    cfg = settings()["reference"]["abbreviated"]
    if not cfg["enabled"] or not _prison_named(full):
        return None
    words = [w for w in core if not w.isdigit()]
    common = set(settings()["reference"]["subset_common_words"])
    if not words or not any(w not in common and len(w) >= cfg["distinct_letters"] for w in words):
        return None
    shortest, suffix = int(cfg["min_letters"]), int(cfg["max_suffix"])

    def covered(word: str, facility: frozenset[str]) -> bool:
        return any(
            (len(word) >= shortest and f.startswith(word))
            or (len(f) > shortest and word.startswith(f) and len(word) - len(f) <= suffix)
            for f in facility
        )

    refs = [
        ref
        for ref, facility in _prison_words_by_state(state)
        if all(covered(w, facility) for w in words)
    ]
    refs = _compatible(refs, kinds)
    if not refs:
        return None
    match = _decide(Match("abbreviated", refs, float(cfg["score"])))
    return match if match.county_fips and not match.conflict else None


def _by_city() -> dict[tuple[str, str], list[Ref]]:
    return _facility_indexes()[3]


def _build_by_city(every: tuple[Ref, ...]) -> dict[tuple[str, str], list[Ref]]:
    out: dict[tuple[str, str], list[Ref]] = defaultdict(list)
    for ref in every:
        if ref.city:
            out[(ref.state, gz.city_key(ref.city_key or ref.city))].append(ref)
    return dict(out)


def lookup_in_city(
    name: str, city: str, state: str, kinds: frozenset[str] | None = None
) -> Match | None:
    """'W.KEY CC', Fort Supply (OK): the facilities of that city whose name shares a word of
    four or more letters with this one (HARP: Joseph Harp Correctional Center, Lexington), if they
    agree on a county and a government type."""
    _full, core, own_kinds = analyse(name, state)
    kinds = own_kinds if kinds is None else kinds
    wanted = {w for w in core if len(w) >= 4} - set(gz.normal(city).split())
    if not wanted:
        return None
    refs = [
        r
        for r in _by_city().get((state, gz.city_key(city)), [])
        if wanted & set(analyse(r.name, state)[1])
    ]
    refs = _compatible(refs, kinds)
    if not refs:
        return None
    match = _decide(Match("city", refs, 100.0))
    return match if match.county_fips and not match.conflict else None


def _ref_kinds(ref: Ref) -> frozenset[str]:
    return (_analyse(ref.key, ref.state) if ref.key else analyse(ref.name, ref.state))[2]


def _prefer_plain(refs: list[Ref], kinds: frozenset[str]) -> list[Ref]:
    """Among facilities of one core name, those whose own name says no kind the given name
    does not say: 'CAYUGA CORRECTIONAL' is Cayuga Correctional Facility before Cayuga County
    Jail; 'HOUSTON POLICE' is no hold room. All of them when none qualifies."""
    plain = [r for r in refs if _ref_kinds(r) <= kinds]
    return plain or refs


# Kind words a facility's own name must share with the name looked up: an ICE office or a
# police department is never the match of a name that does not say so.
OWN_KINDS_REQUIRED = frozenset({"ice", "city"})


def _distinctive(core: tuple[str, ...], prison: bool = False) -> bool:
    """A core that names a facility without any kind word: long enough not to be a common word
    ('METROPOLITAN' in New Mexico; not 'WEST'). A name with a prison word (CORRECTIONAL,
    PRISON, PENITENTIARY) needs fewer letters ('BIG MUDDY', 'TURNEY'), but never only a compass
    word or a common place word ('CENTRAL', 'NORTHEAST')."""
    cfg = settings()["reference"]
    if prison:
        common = set(cfg["subset_common_words"])
        return any(w not in common for w in core) and sum(
            len(w) for w in core if w not in common
        ) >= int(cfg["subset_min_letters_prison"])
    return sum(len(w) for w in core) >= int(cfg["subset_min_letters"])


PRISON_TYPE_WORDS = frozenset({"CORRECTIONAL", "PRISON", "PENITENTIARY"})


def _prison_named(full: str) -> bool:
    return bool(PRISON_TYPE_WORDS & set(full.split()))


def _compatible(refs: list[Ref], kinds: frozenset[str]) -> list[Ref]:
    out = [r for r in refs if not (_ref_kinds(r) & OWN_KINDS_REQUIRED) - kinds]
    for kind in kinds:
        out = [r for r in out if r.kind in COMPATIBLE[kind]]
    return out


# How far a source's county can be trusted: HIFLD's polygons, then a DOC's own county column,
# then a county ICE listed (checked against the gazetteer), then the one county of the city.
COUNTY_TRUST = {"hand": 4, "hifld": 3, "stiles": 2, "ice": 1}


def _trust(ref: Ref) -> int:
    if ref.county_from != "listed":
        return 0
    return next((v for k, v in COUNTY_TRUST.items() if ref.source.startswith(k)), 0)


def _decide(match: Match) -> Match:
    counties = sorted({r.county_fips for r in match.refs if r.county_fips})
    match.counties = counties
    if len(counties) > 1:
        # Sources disagree on the county: the most trusted sources decide, if they agree.
        best = max(_trust(r) for r in match.refs if r.county_fips)
        top = {r.county_fips for r in match.refs if r.county_fips and _trust(r) == best}
        match.county_fips = next(iter(top)) if len(top) == 1 and best > 0 else None
    else:
        match.county_fips = counties[0] if counties else None
    kinds = {r.kind for r in match.refs}
    private = [r for r in match.refs if r.kind == "private" and r.source in OPERATOR_SOURCES]
    if private:
        match.kind = "private"
        operators = sorted({r.operator for r in private if r.operator})
        match.operator = operators[0] if len(operators) == 1 else None
    else:
        match.kind = next((k for k in KIND_ORDER if k in kinds and k != "private"), "unknown")
        if "private" in kinds and len(kinds) == 1:
            match.kind = "private"
    match.kinds = sorted(kinds)
    governments = kinds - {"private", "igsa", "unknown"}
    if {"local", "city"} <= governments:
        # HIFLD's 'local' and ICE's 'city' are the same kind of government: a municipality.
        governments -= {"local"}
    match.conflict = len(governments) > 1 and not private
    return match


def in_city(state: str, city: str) -> list[Ref]:
    """Every listed facility of that city in the state (link/place_kind.py)."""
    return _by_city().get((state, gz.city_key(city)), [])


def decide(match: Match) -> Match:
    """The county, government type and conflict of a match's facilities."""
    return _decide(match)


def typed_twin(match: Match, state: str) -> Match | None:
    """An entry no list types but as IGSA or not at all (ICE's 'LAS COLINAS WOMEN'S DETENTION
    FACILITY', Santee) with the facilities of a government type listed in the same city and
    county whose names share its distinctive words, the city's aside (HIFLD's 'LAS COLINAS
    DETENTION AND REENTRY FACILITY': the county's): the same facility, typed; None unless they
    agree on one type."""
    if match.kind not in ("igsa", "unknown") or not match.county_fips:
        return None
    cities = {r.city for r in match.refs if r.city}
    if len(cities) != 1:
        return None
    city = next(iter(cities))
    place_words = set(gz.normal(city).split())
    common = set(settings()["reference"]["subset_common_words"])
    own = {w for r in match.refs for w in analyse(r.name, state)[1]} - place_words - common
    twins = [
        ref
        for ref in in_city(state, city)
        if ref not in match.refs
        and ref.county_fips == match.county_fips
        and ref.kind in ("state", "county", "local", "city", "multi")
        and _distinctive(tuple(sorted((set(analyse(ref.name, state)[1]) - place_words) & own)))
    ]
    if not twins:
        return None
    twin = _decide(Match("twin", match.refs + twins, match.score))
    return twin if twin.county_fips == match.county_fips and not twin.conflict else None
