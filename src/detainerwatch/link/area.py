"""Facilities and landmarks of an area workbook, whose rows name no state.

An ICE LESA-STU workbook covers one area of responsibility (the Seattle area: Washington,
Oregon, Alaska and a jail across the line in Idaho); its Detention Facility and Apprehension
Landmark columns carry no state. The area is read from the workbook's preamble title
("Seattle AOR Enforcement Statistics, ..."), its states from hand/aor_states.csv. A name is
weighed in each of those states, one state at a time (no lookup ever crosses a state line):

- a state *fits* when the name places a facility or place in one of its counties (a confident
  answer of the resolver with a county or place, or, for a landmark without a facility's
  words, a municipality or else a county of that name);
- a state is *doubtful* when the name points at a county or place there only doubtfully;
- the answer is the fitting state's only when exactly one state fits and no other is doubtful.
  Otherwise the name goes to review with what each state gave (COLUMBIA COUNTY JAIL: a
  Columbia County in Washington and in Oregon).

Kept apart from resolver.py: the resolver answers for a name and its state; this module only
chooses among the states of an area and writes table area_attribution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from ..handfiles import read_csv
from ..store.schema import AREA_ATTRIBUTION_DDL
from . import gazetteer as gz
from .resolver import CONFIDENT, Attribution, Resolver, rules, split_state_suffix


@dataclass(frozen=True)
class Area:
    code: str  # ICE's three-letter AOR code, e.g. SEA
    name: str  # e.g. Seattle
    states: tuple[str, ...]  # USPS codes


@cache
def areas() -> tuple[Area, ...]:
    """The areas of hand/aor_states.csv; a state code that is no state is refused."""
    out = []
    for number, row in enumerate(read_csv("aor_states.csv"), start=2):
        states = tuple(row["states"].split())
        bad = [s for s in states if gz.state(s) is None or gz.state(s).abbr != s]  # type: ignore[union-attr]
        if bad or not states:
            raise ValueError(f"hand/aor_states.csv row {number}: {bad or 'no states'} not states")
        out.append(Area(row["code"].strip().upper(), row["area"].strip(), states))
    return tuple(out)


def area_named_in(text: str | None) -> Area | None:
    """The one area a title names ('Seattle AOR ...', 'SEA Area of Responsibility',
    'Seattle Field Office'), or None when it names none or several."""
    if not text:
        return None
    words = r"\s+(?:AOR|AREA\s+OF\s+RESPONSIBILITY|FIELD\s+OFFICE|ERO)\b"
    found = {
        area
        for area in areas()
        for label in (area.name, area.code)
        if re.search(rf"(?i)\b{re.escape(label)}{words}", text)
    }
    return found.pop() if len(found) == 1 else None


# A landmark's words that say 'around', not which place: 'YAKIMA GENERAL AREA'.
_AROUND = re.compile(r"\b(GENERAL AREA|AREA|VICINITY|METRO|DOWNTOWN|CITY LIMITS)\s*$")


def _located(a: Attribution) -> bool:
    return bool(a.county_fips or a.place_fips)


def _summary(state: str, a: Attribution) -> dict[str, Any]:
    return {
        "step": "area",
        "state": state,
        "jurisdiction": a.jurisdiction_name,
        "county_fips": a.county_fips,
        "place_fips": a.place_fips,
        "method": a.method,
        "confidence": a.confidence,
        "review_reason": a.review_reason,
    }


def _place(name: str, state: str) -> Attribution:
    """Where a landmark that names no facility is: the municipality, else the county, of that
    name in the state; doubtful when only unincorporated places or several counties match."""
    st = gz.state(state)
    assert st is not None
    out = Attribution(state_abbr=st.abbr, state_fips=st.fips)
    known = gz.place(st.abbr, name)
    counties = gz.counties_named(st.abbr, name)
    if known is not None:
        out.jurisdiction_type, out.jurisdiction_name = "city", f"{known.name}, {st.abbr}"
        out.place_fips = known.place_fips
        out.county_fips = known.county_fips[0] if len(known.county_fips) == 1 else None
        if out.county_fips is None:
            out.candidates.append({"step": "place", "counties": list(known.county_fips)})
        return Resolver._done(out, "place", CONFIDENT)
    if len(counties) == 1:
        out.jurisdiction_type = "county"
        out.jurisdiction_name = f"{counties[0].name}, {st.abbr}"
        out.county_fips = counties[0].fips
        return Resolver._done(out, "place", CONFIDENT)
    others = gz.places_named(st.abbr, name)
    if others or counties:
        fips = sorted({c for p in others for c in p.county_fips} | {c.fips for c in counties})
        out.candidates.append({"step": "place", "counties": fips})
        out.county_fips = fips[0] if len(fips) == 1 else None
        out.place_fips = others[0].place_fips if len(others) == 1 else None
        return Resolver._review(out, "place", 0.6, f"no one municipality {name.title()}")
    return Resolver._review(out, "none", 0.0, "no place of that name")


def resolve_in_area(
    resolver: Resolver, name: str | None, states: tuple[str, ...], *, landmark: bool = False
) -> Attribution:
    """The attribution of a facility (or, with `landmark`, an apprehension landmark) whose row
    names no state, among the area's `states`; see the module's docstring."""
    text = (name or "").strip()
    if not text:
        return Attribution(review_reason="no name")
    bare, suffix = split_state_suffix(text)
    if suffix is not None:
        # 'SEATTLE, WA': the name says its state; weigh that state alone.
        states = (gz.state(suffix).abbr,)  # type: ignore[union-attr]
    if landmark:
        bare = _AROUND.sub("", gz.normal(bare)).strip() or bare
    fits: list[Attribution] = []
    doubtful: list[Attribution] = []
    weighed: list[dict[str, Any]] = []
    # A landmark without a facility's words ('YAKIMA GENERAL AREA') is a place, never looked
    # up among facilities (the dictionary's fuzzy matches would find a prison in Seattle).
    place_name = landmark and not any(r.pattern.search(gz.normal(bare)) for r in rules())
    for state in states:
        a = _place(bare, state) if place_name else resolver.resolve(bare, state)
        weighed.append(_summary(state, a))
        if _located(a) and not a.needs_review and a.confidence >= CONFIDENT:
            fits.append(a)
        elif _located(a) or (a.needs_review and "reference" in a.method):
            # A county or place there, or the facility dictionary's entry, but doubtfully.
            doubtful.append(a)
    evidence = [{"step": "area", "states": list(states), "weighed": weighed}]
    if len(fits) == 1 and not doubtful:
        answer = fits[0]
        answer.candidates.append(evidence[0])
        answer.method = f"area+{answer.method}"
        return answer
    named = sorted({a.state_abbr for a in fits + doubtful if a.state_abbr})
    if len(named) == 1:
        # One state only, but doubtfully: what the resolver said there, in review.
        only = doubtful[0]
        only.candidates = evidence
        only.method = f"area+{only.method}"
        return Resolver._review(
            only, only.method, only.confidence, f"doubtful in {named[0]}: {only.review_reason}"
        )
    out = Attribution(candidates=evidence, method="area")
    out.review_reason = (
        f"the name fits more than one state of the area ({', '.join(named)})"
        if named
        else f"the name fits no state of the area ({', '.join(states)})"
    )
    return out


# The columns of each event table that name a facility or landmark and, when the row carries
# one, its state.
_NAMED = (
    ("detention_stints", "facility_name", None, False),
    ("arrests", "apprehension_landmark", "apprehension_state", True),
)


def refresh_area_attribution(
    con: duckdb.DuckDBPyConnection, resolver: Resolver | None = None
) -> int:
    """Rebuild area_attribution inside the caller's transaction, for every source of events
    whose preamble names an area or whose layout is an area workbook's; returns the names
    attributed. The resolver (with the store's facility dictionary) is built when needed."""
    con.execute(AREA_ATTRIBUTION_DDL)  # defined in store/schema.py with every table
    con.execute("DELETE FROM area_attribution")
    sources = con.execute(
        "SELECT source_id, layout, preamble FROM sources "
        "WHERE kind IN ('enforcement', 'arrests', 'stints') ORDER BY source_id"
    ).fetchall()
    written = 0
    for source_id, layout, preamble in sources:
        area = area_named_in(preamble)
        if area is None and not str(layout or "").startswith("lesa_stu"):
            continue  # rows that name their state, or no area workbook
        for table, field, state_field, landmark in _NAMED:
            where = f"source_id = ? AND {field} IS NOT NULL"
            if state_field:
                where += f" AND {state_field} IS NULL"
            names = con.execute(
                f"SELECT {field}, count(*) FROM {table} WHERE {where} GROUP BY ALL ORDER BY 1",
                [source_id],
            ).fetchall()
            for name, rows in names:
                if area is None:
                    a = Attribution(
                        method="area", review_reason="the workbook's title names no known area"
                    )
                else:
                    if resolver is None:
                        from .attribution import resolver_for

                        resolver = resolver_for(con)
                    a = resolve_in_area(resolver, name, area.states, landmark=landmark)
                d = a.as_dict()
                con.execute(
                    "INSERT INTO area_attribution VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        source_id,
                        table,
                        field,
                        name,
                        area.code if area else None,
                        " ".join(area.states) if area else None,
                        d["state_abbr"],
                        d["state_fips"],
                        d["jurisdiction_type"],
                        d["jurisdiction_name"],
                        d["county_fips"],
                        d["place_fips"],
                        d["confidence"],
                        d["method"],
                        d["candidates"],
                        d["needs_review"],
                        d["review_reason"],
                        rows,
                    ],
                )
                written += 1
    return written
