"""Custody outside any government's lockup: hospitals, hotels, shelters and children's homes.

A detainer lodged at such a place was lodged with whoever held the person there (ICE itself at
a hotel, a jail or the state guarding a patient, ORR's contractor for a minor), and the name
does not say who. Such a place is never a county's or a city's: its attribution type is
``non_government``, with the county where it lies when evidence says so, and the report and
profiles never count it as a local government's (derive/facts.LOCAL_TYPES holds only county,
city, regional and state). The words that mark such a place are reviewed rows of
hand/non_government_custody.csv; confidences and the words of government lockups that rule it
out are in hand/resolver_settings.yaml (``non_government``).

Where it lies, from evidence only, never from the name's look alone:

1. the facility dictionary (data/reference) lists a facility of that name in the state with a
   county and no government type (ICE's 2017 list holds hospitals and hotels it used);
2. a place named after the custody words ('SOUTHWEST KEY LEMON GROVE', 'HOLIDAY INN, QUEENS')
   that lies in one county (or a county of that name).

Without either, the answer goes to review with its reason (type non_government, no county).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..handfiles import read_csv
from . import gazetteer as gz
from . import reference

TYPE = "non_government"


@dataclass(frozen=True)
class Place:
    """Where a non-government custody place lies, and what says so."""

    county_fips: str
    evidence: dict[str, Any]


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    rows = sorted(read_csv("non_government_custody.csv"), key=lambda r: int(r["order"]))
    return tuple((re.compile(r["pattern"]), r["kind"]) for r in rows)


@cache
def _exclude() -> re.Pattern[str]:
    return re.compile(str(reference.settings()["non_government"]["exclude"]))


def settings() -> dict[str, Any]:
    out: dict[str, Any] = reference.settings()["non_government"]
    return out


def kind_of(name: str) -> tuple[str, int] | None:
    """(kind, end of the custody words in the normalised name) when the name says a hospital,
    hotel or shelter and no word of a government lockup or agency; else None."""
    text = gz.normal(name)
    if _exclude().search(text):
        return None
    for pattern, kind in _patterns():
        found = list(pattern.finditer(text))
        if found:
            return kind, found[-1].end()
    return None


def listed_as_government(name: str, state: str) -> bool:
    """The facility dictionary lists a facility of this name in the state with a government
    type: a state prison's hospital ('RECEPTION AND MEDICAL CENTER', FL; 'LEMUEL SHATTUCK
    HOSPITAL', MA) is that government's custody, not a private place's."""
    match = reference.lookup(name, state, frozenset())
    return (
        match is not None
        and match.how in ("exact", "core")
        and bool(set(match.kinds) - {"unknown", "private", "igsa"})
    )


def locate(name: str, state: str) -> Place | None:
    """The one county the evidence puts this place in, or None."""
    match = reference.lookup(name, state, frozenset())
    if (
        match is not None
        and match.county_fips
        and not match.conflict
        and match.kind == "unknown"
        and match.how in ("exact", "core", "fuzzy")
    ):
        return Place(match.county_fips, match.evidence())
    found = kind_of(name)
    if found is None:
        return None
    words = gz.normal(name)[found[1] :].split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        counties = set(gz.place_counties(state, candidate))
        counties |= {c.fips for c in gz.counties_named(state, candidate)}
        if len(counties) == 1:
            fips = next(iter(counties))
            return Place(fips, {"step": TYPE, "place_named": candidate, "counties": [fips]})
        if counties:
            # A place spanning counties (Houston): where it is within them is not known.
            return None
    return None
