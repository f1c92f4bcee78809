"""A place and only a kind of custody: the one listed facility of that kind in that place.

'CHARLESTON CORRECTIONAL F', ME names no facility, only a town and what kind of custody it is.
When the bundled facility lists (HIFLD, ICE's, the Marshals', state DOC lists) hold exactly one
facility of that kind in that town of that state, that facility is the evidence: its government
type and county (state + place + kind + a listed facility, never the name alone). With two or
more, or none, the name abstains (the resolver sends it to review).

The words (which kinds, which words may stand beside them) are hand decisions:
hand/resolver_settings.yaml ``place_kind``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from rapidfuzz import fuzz, process

from . import gazetteer as gz
from . import reference


@cache
def settings() -> dict[str, Any]:
    cfg: dict[str, Any] = reference.settings()["place_kind"]
    return cfg


def _families(words: set[str]) -> set[str]:
    """The kinds of custody (hand: place_kind.families) these words name."""
    families: dict[str, list[str]] = settings()["families"]
    return {family for family, kind_words in families.items() if words & set(kind_words)}


def _place(words: list[str], state: str) -> tuple[str, str] | None:
    """(place as written, how) when the words are a place of the state: exactly, or the one
    municipality spelt like it (hand: place_kind.fuzzy; 'VANDELIA' for Vandalia)."""
    named = " ".join(words)
    if not named:
        return None
    if gz.places_named(state, named):
        return named, "exact"
    cfg = settings()["fuzzy"]
    key = gz.city_key(named)
    if len(key) < int(cfg["min_letters"]):
        return None
    choices = gz.municipalities(state)
    found = process.extract(key, list(choices), scorer=fuzz.ratio, limit=2)
    if not found:
        return None
    best, score, _ = found[0]
    runner = found[1][1] if len(found) > 1 else 0.0
    if score >= cfg["accept"] and score - runner >= cfg["margin"]:
        return choices[best].name, "fuzzy"
    return None


def lookup(name: str, state: str) -> reference.Match | None:
    """The one facility of the kind the name says in the place it names, or None.

    The name must hold nothing but a place of the state, kind words (JAIL, CORRECTIONAL...),
    words that say no more than a facility (FACILITY, CENTER...), the state's own name, and
    words that each begin a word of the facility found ('W.KEY CC, FORT SUPPLY': William S. Key
    Correctional Center); a last word cut at the column width ('CORRECTIONAL F') counts as the
    word it begins."""
    cfg = settings()
    # 'SCOTTSDALE JAIL DIST 2': a numbered district or unit is a part of the facility.
    name = re.sub(cfg["qualifiers"], " ", gz.normal(name))
    full, _core, kinds = reference.analyse(name, state)
    if kinds:
        return None  # a county, city, state or federal word: the rules' and dictionary's
    words = full.split()
    st = gz.state(state)
    own = set(gz.normal(st.name).split()) if st is not None else set()
    allowed = set(cfg["generic_words"]) | {w for ws in cfg["families"].values() for w in ws}
    if words and words[-1] not in allowed and len(words) > 1:
        last = words[-1]
        if len(last) <= 2 and any(w.startswith(last) for w in cfg["generic_words"]):
            words = words[:-1]  # 'CHARLESTON CORRECTIONAL F': cut at the column width
    families = _families(set(words))
    juvenile = "juvenile" in families
    adult = families - {"juvenile"}
    if not families or len(adult) > 1:
        return None
    at = [i for i, w in enumerate(words) if w not in allowed and w not in own]
    # The words left, in runs: one run is the place; any other run's words ('W.KEY CC, FORT
    # SUPPLY': W KEY) must each begin a word of the one facility found (below).
    runs: list[list[str]] = []
    for i in at:
        if runs and i - 1 in at:
            runs[-1].append(words[i])
        else:
            runs.append([words[i]])
    place, extra = None, []
    for n, run in reversed(list(enumerate(runs))):  # a place after the name, first
        place = _place(run, state)
        if place is not None:
            extra = [w for m, other in enumerate(runs) if m != n for w in other]
            break
    if place is None:
        # 'SAN FRANCISCO JUVY HALL' leaves SAN FRANCISCO HALL, no place: it abstains.
        return None
    refs = []
    for ref in reference.in_city(state, place[0]):
        ref_words = set(reference.analyse(ref.name, state)[0].split())
        ref_families = _families(ref_words)
        if ("juvenile" in ref_families) != juvenile:
            continue  # a juvenile hall is never an adult jail's answer, nor the reverse
        if adult and not adult & ref_families:
            continue
        if reference.analyse(ref.name, state)[2]:
            # 'KENT COUNTY CORRECTIONAL FACILITY' in Grand Rapids is no answer to 'GR RAPIDS
            # COR CEN' (a state centre, closed): its name says a government this one does not.
            continue
        refs.append(ref)
    if not refs:
        return None
    # One facility: every listed name of them the same but for the place's own words (ICE's
    # 'SOUTHWEST VIRGINIA REGIONAL JAIL' and HIFLD's '... - DUFFIELD' in Duffield).
    place_words = set(gz.normal(place[0]).split())
    cores = {frozenset(reference.analyse(r.name, state)[1]) - place_words for r in refs}
    widest = max(cores, key=len)
    if any(not c <= widest for c in cores):
        return None
    names = {w for r in refs for w in reference.analyse(r.name, state)[0].split()}
    if not all(any(n.startswith(w) for n in names) for w in extra):
        # 'SE COR CNTR BRIDGEWATER': Bridgewater's one listed prison is Old Colony; SE (the
        # closed Southeastern centre) begins none of its words.
        return None
    match = reference.decide(reference.Match("place", refs, 100.0 if place[1] == "exact" else 90.0))
    if not match.county_fips or match.conflict:
        return None
    return match
