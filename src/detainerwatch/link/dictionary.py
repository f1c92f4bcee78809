"""The facility dictionary: DETLOC code -> name, address, city, county, state, type, from the
ICE facility lists in the store, with each listed county cross-checked before it is trusted.

The lists carry errors of their own (ALBANY COUNTY JAIL, city ALBANY, county "KINGS"): a listed
county that is not a county of the state, that the city does not lie in, or that contradicts a
county named in the facility's own name is flagged and not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import gazetteer as gz

if TYPE_CHECKING:  # the resolver alone must not import DuckDB (start-up time, issue 16)
    from duckdb import DuckDBPyConnection

COUNTY_WORD = re.compile(r"\b(COUNTY|CNTY|CTY|CO|PARISH|BOROUGH|SHERIFFS?)\b")
# Words that name a county only in some states: elsewhere a borough is a municipality (PA, NJ,
# CT, NYC's five), and Louisiana alone has parishes.
COUNTY_WORD_STATES = {"PARISH": {"LA"}, "BOROUGH": {"AK"}}


@dataclass
class Entry:
    code: str
    name: str
    city: str | None
    state: str | None  # USPS
    county_listed: str | None
    county_fips: str | None  # trusted county, or None
    county_flag: str | None  # why the listed county is not trusted
    type: str | None
    type_detailed: str | None
    operator: str | None
    sources: list[str] = field(default_factory=list)


def county_words(text: str, state: str | None = None) -> list[re.Match[str]]:
    """The county words of a normalised name that count in `state` (all of them if None)."""
    return [
        m
        for m in COUNTY_WORD.finditer(text)
        if state is None or state in COUNTY_WORD_STATES.get(m.group(1), {state})
    ]


def county_named_in(name: str, state: str | None = None) -> str | None:
    """The county a facility's own name states ('FRANKLIN COUNTY JAIL' -> 'FRANKLIN')."""
    text = gz.normal(name)
    m = re.match(r"^(?:THE )?COUNTY OF ([A-Z ]+?)(?: JAIL| SHERIFF| DETENTION| CORR|$)", text)
    if m:
        return m.group(1).strip()
    words = county_words(text, state)
    if not words:
        return None
    before = text[: words[0].start()].strip()
    return before or None


def check_county(
    state: str, city: str | None, name: str, listed: str | None
) -> tuple[str | None, str | None]:
    """(county_fips or None, flag or None) for a listed county."""
    if not listed or not listed.strip():
        return None, None
    matches = gz.counties_named(state, listed)
    if len(matches) != 1:
        return None, f"listed county {listed.strip()!r} is not a county of {state}"
    fips = matches[0].fips
    if city:
        city_counties = gz.city_county_set(state, city)
        if city_counties and fips not in city_counties:
            return None, (
                f"listed county {listed.strip()!r} does not contain the city {city.strip()!r}"
            )
    named = county_named_in(name, state)
    if named:
        named_matches = gz.counties_named(state, named)
        if len(named_matches) == 1 and named_matches[0].fips != fips:
            return None, (
                f"listed county {listed.strip()!r} contradicts the name ({named_matches[0].name})"
            )
    return fips, None


def build(con: DuckDBPyConnection) -> dict[str, Entry]:
    """One entry per DETLOC code; the most recently ingested list wins for each field."""
    rows = (
        con.execute(
            "SELECT detloc, name, city, state, county, type, type_detailed, operator, source_file "
            "FROM facility_list WHERE detloc IS NOT NULL ORDER BY source_id DESC, row_number"
        ).fetchall()
        if has_facility_list(con)
        else []
    )
    entries: dict[str, Entry] = {}
    for code, name, city, state, county, ftype, detailed, operator, source in rows:
        code = code.strip().upper()
        st = gz.state(state)
        if code in entries:
            entry = entries[code]
            if source not in entry.sources:
                entry.sources.append(source)
            if entry.county_listed is None and county:
                entry.county_listed = county.strip()
            continue
        entries[code] = Entry(
            code,
            (name or "").strip(),
            city and city.strip(),
            st.abbr if st else None,
            county and county.strip(),
            None,
            None,
            ftype,
            detailed,
            operator,
            [source],
        )
    for entry in entries.values():
        if entry.state:
            entry.county_fips, entry.county_flag = check_county(
                entry.state, entry.city, entry.name, entry.county_listed
            )
    return entries


def by_state_and_name(entries: dict[str, Entry]) -> dict[tuple[str, str], list[Entry]]:
    index: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries.values():
        if entry.state:
            index.setdefault((entry.state, gz.normal(entry.name)), []).append(entry)
    return index


def has_facility_list(con: DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'facility_list'"
        ).fetchall()[0][0]
    )
