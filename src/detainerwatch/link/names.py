"""Jurisdiction names as people type them: 'Dauphin County, PA', 'dauphin county pa',
'Franklin County' (no state), 'Philadelfia, PA' (misspelt). The faces (profile, audit, web search)
call these; the answers come from the gazetteer only, within a state when one is given."""

from __future__ import annotations

import re

from . import gazetteer as gz

_COUNTY_WORDS = re.compile(r"(?i)\b(county|parish|borough|census area|city and borough)\s*$")


def split_name_state(text: str) -> tuple[str, gz.State | None]:
    """('Dauphin County', PA) from 'Dauphin County, PA', 'dauphin county pa',
    'Dauphin County Pennsylvania'; (text, None) when no state is written."""
    raw = re.sub(r"\s+", " ", text.strip())
    name, comma, state_text = raw.rpartition(",")
    if comma:
        return name.strip(), gz.state(state_text.strip())
    words = raw.split(" ")
    for n in (3, 2, 1):  # 'new hampshire', 'district of columbia', 'pa'
        if len(words) > n:
            st = gz.state(" ".join(words[-n:]))
            if st is not None:
                return " ".join(words[:-n]), st
    return raw, None


def _county_label(county: gz.County) -> str:
    return f"{county.name}, {county.state}"


def candidates(name: str, st: gz.State | None = None, limit: int = 30) -> list[str]:
    """Jurisdictions whose name is exactly `name` (county suffixes folded), with their
    states: 'Franklin County' -> ['Franklin County, AL', 'Franklin County, AR', ...]."""
    states = [st.abbr] if st else gz.states_with_counties()
    out: list[str] = []
    for abbr in states:
        out += [_county_label(c) for c in gz.counties_named(abbr, name)]
        if not _COUNTY_WORDS.search(name):
            place = gz.place(abbr, name)
            if place is not None:
                out.append(f"{place.name}, {abbr}")
    return sorted(dict.fromkeys(out))[:limit]


def suggest(text: str, limit: int = 5) -> list[str]:
    """Did-you-mean: the jurisdictions spelt most like `text` (within its state when it names
    one); exact same-name jurisdictions of every state when it names none."""
    from rapidfuzz import fuzz, process

    name, st = split_name_state(text)
    if not name:
        return []
    exact = candidates(name, st)
    if exact:
        return exact if st is None else exact[:limit]
    choices: dict[str, str] = {}
    for abbr in [st.abbr] if st else gz.states_with_counties():
        for county in gz.counties(abbr):
            choices.setdefault(_county_label(county), gz.county_key(county.name) + " COUNTY")
        if st is not None:
            for place in gz.municipalities(abbr).values():
                choices.setdefault(f"{place.name}, {abbr}", gz.normal(place.name))
    wanted = gz.normal(name)
    found = process.extract(wanted, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=80)
    return [label for _text, _score, label in found]
