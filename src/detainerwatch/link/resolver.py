"""Resolve a facility as released (name, city, state, code) to the government responsible.

One chain; the step that decided is the result's ``method``:

1. ``override``: a reviewed row of hand/facility_overrides.csv (wins over every rule);
1b. ``non_government``: a hospital, hotel or shelter (hand/non_government_custody.csv; link/custody.py)
   is no government's lockup: type non_government, with a county only where evidence says;
2. ``code``: the DETLOC code in the facility dictionary gives context (name, city, county, type);
3. ``name_state``: the normalised name within the same state in the dictionary, likewise;
4. ``parse``: the name's own words (hand/facility_name_rules.csv): federal, ICE, county,
   city, state prison; the county or city it names is looked up within the state, exactly or,
   for a misspelling, by ``fuzzy`` match (rapidfuzz) with its score;
5. ``city``: city + state -> county, when the name says what kind of government but not which;
6. ``fuzzy``: the name matched against the dictionary's facilities of the same state.

Never across a state line. A doubtful answer (close candidates, contradictions, nothing
matched) gets ``needs_review`` and a confidence below 0.9: it is never counted as confident.
"""

from __future__ import annotations

from typing import Any

import csv
import json
import re
from dataclasses import dataclass, field, fields
from functools import cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from ..handfiles import hand_path
from ..store.schema import JURISDICTION_TYPES
from . import gazetteer as gz
from . import custody, place_kind, reference
from .dictionary import Entry, county_named_in, county_words

_SETTINGS = reference.settings()  # hand/resolver_settings.yaml
CONFIDENT = _SETTINGS["confident"]
FUZZY_ACCEPT = _SETTINGS["fuzzy_accept"]  # rapidfuzz ratio needed to accept a misspelt county
FUZZY_MARGIN = _SETTINGS["fuzzy_margin"]  # and its lead over the next candidate
TERRITORIES = ("GU", "MP", "VI", "AS")  # one government, no county governments
TYPE_HINTS = {"SPC": "ice", "CDF": "private", "BOP": "federal", "HOLD": "ice", "STAGING": "ice"}


@cache
def unified_corrections() -> dict[str, str]:
    """States whose prisons and jails are one state system (hand/unified_corrections.csv): a
    'county jail' or sheriff there is the state's, the county word only says where it is."""
    with open(hand_path("unified_corrections.csv"), newline="", encoding="utf-8") as fh:
        return {r["state"]: r["note"] for r in csv.DictReader(fh)}


# Review reasons that record a contradiction: the facility dictionary never overrules them.
HARD_REVIEWS = (
    "lies in",
    "puts it in",
    "name says",
    "CTY:",
    "PARISH in a name",
    "more than one operator",
    "the facility list types it",
    "is a county of",
    "the facility's city is ",
    "a department of corrections named after",
)
_CITY_WORDS = (
    r"POLICE|P ?D|POL DEPT|CITY OF|CITY JAIL|MUNICIPAL|TOWN JAIL|VILLAGE|PUBLIC SAFETY|"
    r"TOWNSHIP|TWP|BOROUGH|BORO|CITY MARSHALS?"
)


@dataclass
class Attribution:
    state_abbr: str | None = None
    state_fips: str | None = None
    jurisdiction_type: str = "unknown"
    jurisdiction_name: str | None = None
    county_fips: str | None = None
    place_fips: str | None = None
    confidence: float = 0.0
    method: str = "none"
    candidates: list[Any] = field(default_factory=list)
    needs_review: bool = True
    review_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        # Shallow: the candidates are written as JSON at once (asdict's deep copy of them was
        # a third of resolve's time).
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["candidates"] = json.dumps(self.candidates)
        return out


# Operator codes of the ICE facility lists, spelled out.
_OPERATORS = {
    "GEO": "GEO Group",
    "CCA": "CoreCivic (Corrections Corporation of America)",
    "CEC": "Community Education Centers",
    "M&TC": "Management & Training Corporation",
    "MTC": "Management & Training Corporation",
    "EMERALD": "Emerald Correctional",
    "LASALLE": "LaSalle Corrections",
    "AHTNA": "Ahtna",
}


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    jurisdiction_type: str
    jurisdiction_name: str
    confidence: float


@cache
def rules() -> tuple[Rule, ...]:
    with open(hand_path("facility_name_rules.csv"), newline="", encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: int(r["order"]))
    return tuple(
        Rule(
            re.compile(r["pattern"]),
            r["jurisdiction_type"],
            r["jurisdiction_name"],
            float(r["confidence"]),
        )
        for r in rows
    )


@cache
def overrides() -> dict[tuple[Any, ...], dict[str, Any]]:
    with open(hand_path("facility_overrides.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for number, r in enumerate(rows, start=2):
        st = gz.state(r["facility_state"])
        problem = None
        if st is None:
            problem = f"facility_state {r['facility_state']!r} is not a state"
        elif r["jurisdiction_type"] not in JURISDICTION_TYPES:
            problem = (
                f"jurisdiction_type {r['jurisdiction_type']!r} is not one of {JURISDICTION_TYPES}"
            )
        elif (r["state_fips"] or st.fips) != st.fips or any(
            (r[c] or st.fips)[:2] != st.fips for c in ("county_fips", "place_fips")
        ):
            problem = f"a FIPS code outside {st.abbr} (an override never crosses a state line)"
        if problem or st is None:  # (st is None always comes with a problem)
            raise ValueError(f"hand/facility_overrides.csv row {number}: {problem}")
        key = (
            gz.normal(r["facility_name"]),
            gz.normal(r["facility_city"] or ""),
            st.abbr,
            (r["facility_code"] or "").upper(),
        )
        out[key] = r
    return out


@cache
def _overrides_by_name() -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (name, _city, state, _code), row in overrides().items():
        out.setdefault((name, state), []).append(row)
    return out


def split_state_suffix(name: str) -> tuple[str, str | None]:
    """'CHESTER CNTY JAIL, PA' -> ('CHESTER CNTY JAIL', 'PA')."""
    m = re.match(r"^(.*?)[,\s]+([A-Z]{2})\.?\s*$", name.strip())
    if m and gz.state(m.group(2)) and ("," in name or "." in name[-4:]):
        return m.group(1).strip(" ,"), m.group(2)
    return name.strip(), None


def _label(kind: str, name: str, state: str) -> str:
    return f"{name}, {state}" if kind in ("county", "city") else name


class Resolver:
    def __init__(self, dictionary: dict[str, Entry] | None = None) -> None:
        self.dictionary = dictionary or {}
        self.by_name: dict[tuple[str, str], list[Entry]] = {}
        self.names_by_state: dict[str, list[str]] = {}
        for entry in self.dictionary.values():
            if entry.state:
                key = (entry.state, gz.normal(entry.name))
                self.by_name.setdefault(key, []).append(entry)
                self.names_by_state.setdefault(entry.state, []).append(gz.normal(entry.name))

    # -- the chain --------------------------------------------------------------------
    def resolve(
        self, name: str | None, state: str | None, city: str | None = None, code: str | None = None
    ) -> Attribution:
        name = (name or "").strip()
        code = (code or "").strip().upper() or None
        bare, suffix = split_state_suffix(name)
        st = gz.state(state) or (gz.state(suffix) if suffix else None)
        if st is None:
            return Attribution(review_reason=f"state {state!r} is not a state")
        out = Attribution(state_abbr=st.abbr, state_fips=st.fips)
        if suffix and gz.state(suffix) != st:
            out.review_reason = f"name says {suffix} but the record says {st.abbr}"
            out.candidates.append({"step": "state", "name_state": suffix})
            return out

        hit = (
            overrides().get((gz.normal(name), gz.normal(city or ""), st.abbr, code or ""))
            or overrides().get((gz.normal(name), gz.normal(city or ""), st.abbr, ""))
            or overrides().get((gz.normal(name), "", st.abbr, ""))
        )
        if not hit and not city:
            # No city given: an override of that name in the state, if it is the only one.
            same = _overrides_by_name().get((gz.normal(name), st.abbr), [])
            if len(same) == 1:
                hit = same[0]
        if hit:
            return self._from_override(out, hit)
        place_kind = custody.kind_of(bare)
        if place_kind is not None and not custody.listed_as_government(bare, st.abbr):
            return self._non_government(out, bare, st, place_kind[0])

        entry, context_method = None, None
        if code and code in self.dictionary:
            candidate = self.dictionary[code]
            if candidate.state == st.abbr:
                entry, context_method = candidate, "code"
            else:
                out.candidates.append(
                    {
                        "step": "code",
                        "code": code,
                        "state": candidate.state,
                        "rejected": "dictionary entry is in another state",
                    }
                )
        if entry is None and code and not out.candidates:
            # A code of ICE's (or a DOC's) lists in the bundled dictionary: its listed name.
            listed = [r for r in reference.by_code(code) if r.state == st.abbr]
            if listed:
                out.candidates.append(
                    {
                        "step": "code",
                        "code": code,
                        "listed_as": listed[0].name,
                        "source": listed[0].source,
                    }
                )
                if not bare or reference.lookup(bare, st.abbr) is None:
                    bare = listed[0].name
                city = city or listed[0].city or None
            elif reference.by_code(code):
                out.candidates.append(
                    {"step": "code", "code": code, "rejected": "listed in another state"}
                )
        if entry is None:
            same_name = self.by_name.get((st.abbr, gz.normal(bare)), [])
            if len(same_name) == 1:
                entry, context_method = same_name[0], "name_state"
            elif len(same_name) > 1:
                out.candidates.append({"step": "name_state", "codes": [e.code for e in same_name]})
        city = city or (entry.city if entry else None)

        result = self._parse(out, bare, st, city, entry)
        if result.method == "none" and entry is None:
            result = self._fuzzy_dictionary(out, bare, st, city)
        result = self._reference(result, bare, st, city)
        if context_method and result.method in ("parse", "city"):
            result.method = f"{context_method}+{result.method}"
        return result

    def _non_government(self, out: Attribution, name: str, st: gz.State, kind: str) -> Attribution:
        """A hospital, hotel or shelter (hand/non_government_custody.csv): no government's
        lockup, so never a county's or city's; confident only where evidence says where it is."""
        out.jurisdiction_type = custody.TYPE
        cfg = custody.settings()
        out.candidates.append({"step": custody.TYPE, "kind": kind})
        where = custody.locate(name, st.abbr)
        if where is None:
            out.jurisdiction_name = f"{kind} (non-government custody), {st.abbr}"
            return self._review(
                out,
                custody.TYPE,
                cfg["unlocated"],
                f"a {kind}: non-government custody, and nothing says where it is",
            )
        county = gz.county_by_fips(where.county_fips)
        out.candidates.append(where.evidence)
        out.county_fips = where.county_fips
        place = county.name if county is not None else where.county_fips
        out.jurisdiction_name = f"{kind} in {place}, {st.abbr} (non-government custody)"
        return self._done(out, custody.TYPE, cfg["located"])

    def _from_override(self, out: Attribution, row: dict[str, Any]) -> Attribution:
        out.jurisdiction_type = row["jurisdiction_type"]
        out.jurisdiction_name = row["jurisdiction_name"] or None
        out.county_fips = row["county_fips"] or None
        out.place_fips = row["place_fips"] or None
        out.confidence, out.method, out.needs_review, out.review_reason = (
            1.0,
            "override",
            False,
            None,
        )
        out.candidates.append(
            {
                "step": "override",
                "reason": row["reason"],
                "reviewed_by": row["reviewed_by"],
                "reviewed_on": row["reviewed_on"],
            }
        )
        return out

    def _parse(
        self, out: Attribution, name: str, st: gz.State, city: str | None, entry: Entry | None
    ) -> Attribution:
        text = gz.normal(name)
        matched = [r for r in rules() if r.pattern.search(text)]
        kinds = [r.jurisdiction_type for r in matched]
        if entry is not None and entry.type:
            hint = TYPE_HINTS.get(gz.normal(entry.type_detailed or "")) or TYPE_HINTS.get(
                gz.normal(entry.type)
            )
            if hint and hint not in kinds:
                out.candidates.append({"step": "code", "type_hint": hint, "type": entry.type})
        else:
            hint = None
        if not matched:
            # 'WARM SPRINGS COR. FAC.', 'BALTIMORE CIT JAIL': the rules read the name with its
            # abbreviations written out (hand/facility_words.csv), as the dictionary does.
            # (Never with ST in it: 'NASHUA ST. JAIL' is Nashua Street's, Suffolk County's jail,
            # and the dictionary's reading of ST before JAIL as STATE must not make it a rule.)
            # A state named at the end says where, not whose ('CORR. CTR OF NORTHWEST OHIO' is a
            # multi-county jail): it is left out; before the type words ('E. MO CORR. CENTER')
            # it says whose, as the state's name does in the rules.
            expanded = reference.analyse(re.sub(rf"\s+{st.abbr}$", "", text), st.abbr)[0]
            expanded = re.sub(rf"(\s+OF)?(\s+\w+)??\s+{gz.normal(st.name)}$", "", expanded)
            # Between a place and the last word ('BOULDER CITY NEVADA JAIL') it says where the
            # place is, as a state's code after a city does: left out too.
            expanded = re.sub(rf"(?<=\w) {gz.normal(st.name)}(?= \w+$)", "", expanded)
            # Nor with REGIONAL: a regional facility is several governments' or the state's
            # (WESTERN MASSACHUSETTS REGIONAL WOMEN'S CORR is Hampden County's), the dictionary's
            # to say.
            cut = re.search(r"\bST\b|\bREG(IONAL)?\b", text) is not None
            matched = [] if cut else [r for r in rules() if r.pattern.search(expanded)]
            if matched:
                out.candidates.append({"step": "parse", "expanded": expanded})
                text, name = expanded, expanded
                kinds = [r.jurisdiction_type for r in matched]
        if not matched:
            return self._no_rule(out, st, city, entry, name)
        rule = matched[0]
        if (
            rule.jurisdiction_type == "federal"
            and "county" in kinds
            and not rule.pattern.search(re.sub(r"\b(MDC|MCC)\b", " ", text))
        ):
            # MDC / MCC alone also abbreviate county jails ('BERNALILLO COUNTY MDC').
            rule = next(r for r in matched if r.jurisdiction_type == "county")
        out.candidates.append({"step": "parse", "rules": kinds})
        result = self._by_rule(out, rule, text, name, st, city, entry)
        if (
            hint == "federal"
            and entry is not None
            and result.jurisdiction_type not in ("federal", "private")
            and not result.needs_review
        ):
            # The facility list says Bureau of Prisons; the name says otherwise (a BOP contract
            # prison such as DALBY CORRECTIONAL INSTITUTE is neither state nor county).
            return self._review(
                result,
                result.method,
                0.7,
                f"the facility list types it {entry.type}, the name "
                f"says {result.jurisdiction_type}",
            )
        return result

    def _by_rule(
        self,
        out: Attribution,
        rule: Rule,
        text: str,
        name: str,
        st: gz.State,
        city: str | None,
        entry: Entry | None,
    ) -> Attribution:
        if rule.jurisdiction_type in ("federal", "ice"):
            out.jurisdiction_type, out.jurisdiction_name = (
                rule.jurisdiction_type,
                rule.jurisdiction_name,
            )
            out.county_fips = self._county_from_city(st, city)
            return self._done(out, "parse", rule.confidence)
        if rule.jurisdiction_type == "private":
            hit = rule.pattern.search(text)
            assert hit is not None  # the rule was picked because it matches this text
            operator = rule.jurisdiction_name or (
                hit.group(0).title()
                if rule.confidence >= CONFIDENT
                else (entry.operator if entry is not None and entry.operator else name.strip())
            )
            out.jurisdiction_type, out.jurisdiction_name = "private", operator
            out.county_fips = (entry.county_fips if entry else None) or self._county_from_city(
                st, city
            )
            operators = {
                r.jurisdiction_name or (m.group(0) if m else "")
                for r in rules()
                if r.jurisdiction_type == "private" and (m := r.pattern.search(text))
            }
            if len(operators) > 1:
                out.candidates.append({"step": "parse", "operators": sorted(operators)})
                return self._review(out, "parse", 0.7, "the name names more than one operator")
            if rule.confidence >= CONFIDENT:
                return self._done(out, "parse", rule.confidence)
            return self._review(
                out,
                "parse",
                rule.confidence,
                "contract facility: the name does not give the operator",
            )
        if rule.jurisdiction_type == "county":
            return self._county(out, name, st, city, entry, rule)
        if rule.jurisdiction_type == "city":
            return self._city(out, name, st, city, rule.confidence)
        # State prison words. A county word elsewhere would have matched first; words such as
        # PRISON or CORRECTIONAL FACILITY alone are weaker evidence than SCI, C.F. or DOC.
        strong: re.Match[str] | bool | None = re.search(
            r"\bS ?C ?I\b|\bSTATE\b|\bC ?F\b|\bDOC\b|\bD O C\b|\bDEP(ARTMEN)?T OF CORR|"
            r"\bSRCF\b|\bCSP\b|\bCORRECTIONAL INSTITUT(ION|E)\b|\bTDCJ\b|"
            r"\bDEP(ARTMEN)?T OF CRIMINAL JUSTICE\b|\bPATROL\b",
            text,
        )
        out.jurisdiction_type, out.jurisdiction_name = "state", st.name
        out.county_fips = self._county_from_city(st, city)
        department = re.match(r"^(.*?)\s*\b(DOC|D O C|DEP(ARTMEN)?T OF CORR)", text)
        if department and department.group(1):
            # 'NYC DEPT OF CORRECTION' is a city's department, 'VIRGINIA DEPARTMENT OF
            # CORRECTIONS' the state's: a department named after a place of the state is doubtful.
            owner = department.group(1)
            territory = st.abbr in TERRITORIES
            if (
                not territory
                and gz.state(owner) is None
                and owner not in ("STATE", "ST")
                and (
                    gz.place(st.abbr, owner)
                    or gz.counties_named(st.abbr, owner)
                    or gz.is_city(st.abbr, owner)
                )
            ):
                out.candidates.append({"step": "parse", "department_of": owner})
                return self._review(
                    out,
                    "parse",
                    0.6,
                    f"a department of corrections named after {owner.title()}: state or local?",
                )
        own = gz.normal(st.name)
        if not strong and re.search(
            rf"\b({st.abbr}|{own[0]})DOC\b|\bST (PRISON|PEN|PENITENTIARY)\b", text
        ):
            # 'ADOC MARANA': the state's code or initial joined to DOC is its department of
            # corrections (ADOC, IDOC, MDOC, PADOC; another letter may be a county's: MCDOC);
            # 'ST.PRISON AT CLALLUM BAY': ST before PRISON is STATE, as the dictionary reads it.
            out.candidates.append({"step": "parse", "state_named": True})
            strong = True
        if not strong and re.search(rf"(^| ){own}( (?!CITY\b)|$)|^{st.abbr} (?!CITY\b)", text):
            # 'TENNESSEE PRISON FOR WOMEN', 'NEBRASKA ... CORRECTI': the state's own name; its
            # code before the other words ('MD RECEPTION DIAGN. CENT.', 'NH CORRECTIONAL
            # FACILITY FOR WOMEN': every listed name so begun is the state's).
            strong = True
        if strong or rule.confidence >= 0.95:
            # (A rule that names a state agency by itself, at 0.95 in the hand file: parole.)
            return self._done(out, "parse", 0.95)
        if st.abbr in unified_corrections():
            out.candidates.append({"step": "parse", "unified_corrections": st.abbr})
            return self._done(out, "parse", CONFIDENT)
        return self._review(out, "parse", 0.6, "only generic prison words; state or local?")

    def _county(
        self,
        out: Attribution,
        name: str,
        st: gz.State,
        city: str | None,
        entry: Entry | None,
        rule: Rule,
    ) -> Attribution:
        text = gz.normal(name)
        words = county_words(text, st.abbr)
        if not words:
            if re.search(r"\bBOROUGH\b", text):
                # Outside Alaska a borough is a municipality ('STATE COLLEGE BOROUGH POLICE').
                return self._city(out, name, st, city, CONFIDENT)
            return self._review(
                out, "parse", 0.4, f"PARISH in a name of {st.abbr}: only Louisiana has parishes"
            )
        named = county_named_in(name, st.abbr)
        if not named and st.abbr in unified_corrections():
            # 'COUNTY JAIL' in Vermont: the state's, wherever it is.
            out.jurisdiction_type, out.jurisdiction_name = "state", st.name
            out.county_fips = self._county_from_city(st, city, unique=True)
            out.candidates.append({"step": "parse", "unified_corrections": st.abbr})
            return self._done(out, "parse", _SETTINGS["reference"]["state_named_county"])
        if not named:
            # 'COUNTY JAIL' with no name: the city says which county.
            fips = self._county_from_city(st, city, unique=True)
            if fips:
                county = gz.county_by_fips(fips)
                assert county is not None  # the fips came from the gazetteer
                out.jurisdiction_type, out.jurisdiction_name = (
                    "county",
                    _label("county", county.name, st.abbr),
                )
                out.county_fips = fips
                return self._done(out, "city", 0.9)
            return self._review(out, "parse", 0.3, "a county word but no county name")
        exact = gz.counties_named(st.abbr, named)
        independent = gz.independent_city(st.abbr, named) if not exact else None
        if independent is not None:
            # 'MARTINSVILLE COUNTY JAIL' (VA): no county of that name; the independent city of
            # that name is its own county-equivalent and runs the jail.
            out.candidates.append({"step": "parse", "independent_city": independent.fips})
            self._independent(out, independent, st)
            return self._done(out, "parse", CONFIDENT)
        if len(exact) == 1:
            county, score = exact[0], 100.0
        else:
            county, score = self._fuzzy_county(out, named, st)
            if county is None:
                seat = self._county_of_town(named, st, words[0].group(1))
                if seat is not None:
                    # 'FORT MYERS SHERIFF', 'LISBON COUNTY JAIL': a sheriff or county jail named
                    # after the town it sits in, a town of one county: that county's.
                    out.candidates.append(
                        {"step": "place", "place": seat[1].name, "counties": [seat[0].fips]}
                    )
                    county, score = seat[0], 0.0
                else:
                    # Maybe the county word is part of a city name ('JERSEY CITY' is no county).
                    return self._review(out, "parse", 0.4, f"no county {named!r} in {st.abbr}")
        out.jurisdiction_type = "county"
        out.jurisdiction_name = _label("county", county.name, st.abbr)
        out.county_fips = county.fips
        method = "parse" if score == 100.0 else "place" if score == 0.0 else "fuzzy"
        confidence = rule.confidence if score == 100.0 else CONFIDENT
        if gz.is_city_county(county):
            # 'RICHMOND CITY SHERIFF', 'CARSON CITY SHERIFF': a city that is its own county.
            self._independent(out, county, st)
        if words[0].group(1) == "CTY" and gz.is_city(st.abbr, f"{named} CITY"):
            out.candidates.append({"step": "parse", "city": f"{named} CITY"})
            return self._review(
                out, method, 0.6, f"CTY: {named.title()} County or {named.title()} City?"
            )
        if st.abbr in unified_corrections():
            # 'KENT COUNTY SHERIFF' (DE), 'ADDISON COUNTY JAIL' (VT): the state runs it; the
            # county named is where it is, not who runs it.
            out.jurisdiction_type, out.jurisdiction_name = "state", st.name
            out.candidates.append(
                {"step": "parse", "unified_corrections": st.abbr, "county_named": county.name}
            )
            return self._done(
                out, method, min(confidence, _SETTINGS["reference"]["state_named_county"])
            )
        city_counties = gz.city_counties(st.abbr, city) if city else {}
        if city_counties and county.fips not in city_counties:
            out.candidates.append({"step": "city", "city": city, "counties": sorted(city_counties)})
            return self._review(
                out,
                method,
                0.7,
                f"the name says {county.name} but {city} lies in "
                f"{', '.join(sorted(city_counties))}",
            )
        if entry is not None and entry.county_fips and entry.county_fips != county.fips:
            return self._review(
                out, method, 0.7, f"the facility list puts it in {entry.county_fips}"
            )
        return self._done(out, method, confidence)

    @staticmethod
    def _county_of_town(named: str, st: gz.State, word: str) -> tuple[gz.County, gz.Place] | None:
        """The one county of the municipality `named`, when the county word is COUNTY or
        SHERIFF (never CO or CTY, which are other words too)."""
        if word not in ("COUNTY", "CNTY", "SHERIFF", "SHERIFFS", "PARISH"):
            return None
        place = gz.place(st.abbr, named)
        if place is None or place.kind == "cdp" or len(place.county_fips) != 1:
            return None
        county = gz.county_by_fips(place.county_fips[0])
        return (county, place) if county is not None else None

    @staticmethod
    def _independent(out: Attribution, county: gz.County, st: gz.State) -> None:
        """An independent city (a county-equivalent that is a city): type city, its own FIPS."""
        label = gz.city_county_label(county)
        known = gz.place(st.abbr, label)
        out.jurisdiction_type = "city"
        out.jurisdiction_name = _label("city", known.name if known else label, st.abbr)
        out.county_fips = county.fips
        out.place_fips = known.place_fips if known else None

    def _fuzzy_municipality(self, out: Attribution, named: str, st: gz.State) -> gz.Place | None:
        """The one municipality of the state spelt like `named` (incorporated places, towns and
        townships; never a census-designated place), or None."""
        choices = gz.municipalities(st.abbr)
        found = process.extract(gz.city_key(named), list(choices), scorer=fuzz.ratio, limit=3)
        if not found:
            return None
        out.candidates.append(
            {
                "step": "fuzzy_municipality",
                "looked_for": named,
                "scores": [[choices[c].name, round(s, 1)] for c, s, _ in found],
            }
        )
        best, score, _ = found[0]
        runner = found[1][1] if len(found) > 1 else 0.0
        cfg = _SETTINGS["municipality_fuzzy"]
        if score >= cfg["accept"] and score - runner >= cfg["margin"]:
            return choices[best]
        return None

    def _fuzzy_county(
        self, out: Attribution, named: str, st: gz.State
    ) -> tuple[gz.County | None, float]:
        choices = {gz.county_key(c.name): c for c in gz.counties(st.abbr)}
        key = gz.county_key(named)
        # 'PT COUPEE': an abbreviated word of county names (hand: county_abbreviations), when
        # exactly one county of the state is named so written out.
        for short, longs in _SETTINGS["county_abbreviations"].items():
            if re.search(rf"\b{short}\b", key):
                written = {re.sub(rf"\b{short}\b", full, key) for full in longs} & set(choices)
                if len(written) == 1:
                    out.candidates.append({"step": "fuzzy", "written_out": next(iter(written))})
                    return choices[next(iter(written))], 99.0
        found = process.extract(key, list(choices), scorer=fuzz.ratio, limit=3)
        out.candidates.append(
            {"step": "fuzzy", "looked_for": key, "scores": [[c, round(s, 1)] for c, s, _ in found]}
        )
        if not found:
            return None, 0.0
        best, score, _ = found[0]
        runner = found[1][1] if len(found) > 1 else 0.0
        if score >= FUZZY_ACCEPT and score - runner >= FUZZY_MARGIN:
            return choices[best], score
        # Two letters swapped or changed in a long name ('HENNIPEN'): the one county of the
        # state within that many edits, when every other county is much further.
        edits = _SETTINGS["county_edits"]
        if len(key) >= edits["min_length"]:
            near = sorted((Levenshtein.distance(key, c), c) for c in choices)
            if near[0][0] <= edits["accept"] and (
                len(near) == 1 or near[1][0] >= near[0][0] + edits["margin"]
            ):
                out.candidates.append({"step": "fuzzy", "edits": [[c, d] for d, c in near[:3]]})
                return choices[near[0][1]], float(score)
        # A county's name cut after whole words ('ST JOHN PARISH' for St. John the Baptist
        # Parish): the one county of the state whose name begins with those words.
        short = _SETTINGS["county_words_cut"]
        if len(key.replace(" ", "")) >= short["min_letters"] and " " in key:
            begins = [c for c in choices if c.startswith(key + " ")]
            if len(begins) == 1:
                out.candidates.append({"step": "fuzzy", "cut_name_of": begins[0]})
                return choices[begins[0]], float(score)
        return None, score

    def _city(
        self, out: Attribution, name: str, st: gz.State, city: str | None, confidence: float
    ) -> Attribution:
        text = gz.normal(name)
        text = re.sub(r"^(THE )?(CITY|TOWN|VILLAGE|BOROUGH|TOWNSHIP) OF ", "", text)
        m = re.match(rf"^(.*?)\s*(\d+(ST|ND|RD|TH)\s+)?\b({_CITY_WORDS})\b", text)
        named = m.group(1).strip() if m else ""
        for state_word in (gz.normal(st.name), st.abbr):
            # 'TEXARKANA ARKANSAS POLICE DEPARTMENT'
            if named.endswith(" " + state_word):
                named = named[: -len(state_word) - 1].strip()
        township = bool(re.search(r"\b(TOWNSHIP|TWP)\b", text))
        from_city = not named
        named = named or gz.normal(city or "")
        if not named:
            return self._review(out, "parse", 0.4, f"a city word but no city of {st.abbr} found")
        out.jurisdiction_type = "city"
        # The name as written, and with its CITY / TOWN word moved: 'KANSAS CITY JAIL' names
        # Kansas City, 'JERSEY CITY POLICE' Jersey City, 'OAKLAND CITY JAIL' Oakland.
        tries = [named]
        if m and m.group(4) == "CITY JAIL":
            tries.insert(0, f"{named} CITY")
        short = re.sub(r"\s+(CITY|TOWN|VILLAGE|TOWNSHIP|TWP)$", "", named)
        if short != named:
            tries.append(short)
        for candidate in tries:
            independent = None if township else gz.independent_city(st.abbr, candidate)
            if independent is not None:
                # Virginia's independent cities, Baltimore, St. Louis, Carson City: the city is
                # its own county-equivalent (never the county of the same name).
                self._independent(out, independent, st)
                return self._done(out, "parse", confidence)
            place = gz.place(st.abbr, candidate)
            # A police department or city jail belongs to a municipality: a census-designated
            # place of that name (Alexandria, AL) runs none; postal names only when the Census
            # lists no place of that name at all.
            if place or (
                not township
                and not gz.places_named(st.abbr, candidate)
                and gz.is_city(st.abbr, candidate)
            ):
                label = place.name if place else candidate.title()
                if township and place is not None and place.kind == "subdivision":
                    label = f"{label} Township"  # the Census list gives townships bare
                out.jurisdiction_name = _label("city", label, st.abbr)
                if place:
                    out.place_fips = place.place_fips
                    out.county_fips = place.county_fips[0] if len(place.county_fips) == 1 else None
                    if len(place.county_fips) > 1:
                        # Kansas City, MO: the city spans four counties; all are named.
                        out.candidates.append(
                            {
                                "step": "place",
                                "place": place.name,
                                "counties": list(place.county_fips),
                            }
                        )
                else:
                    out.county_fips = self._county_from_city(st, candidate, unique=True)
                return self._done(out, "parse", confidence)
        # (Only without a given city: with one, a name that is no municipality stays doubtful.)
        near = None if township or city else self._fuzzy_municipality(out, tries[0], st)
        if near is not None:
            # 'ALEXANDRIA CITY JAIL', AL: no municipality Alexandria there; Alexander City is.
            out.jurisdiction_name = _label("city", near.name, st.abbr)
            out.place_fips = near.place_fips
            out.county_fips = near.county_fips[0] if len(near.county_fips) == 1 else None
            return self._done(out, "fuzzy", CONFIDENT)
        named = short
        # The name gives a municipality the gazetteer does not know: a township, a town, a
        # county's name, a street. Say what the facility's city suggests, but never confidently
        # unless the name says township and the city fixes the county.
        label = f"{named.title()} Township" if township else named.title()
        out.jurisdiction_name = _label("city", label, st.abbr)
        out.county_fips = self._county_from_city(st, city, unique=True)
        counties = [] if township else gz.counties_named(st.abbr, named)
        if counties and st.abbr in TERRITORIES and gz.state(named) == st:
            # 'GUAM POLICE DEPT': a territory's police named for the territory, its one
            # government (as a department of corrections there is, above).
            out.jurisdiction_type, out.jurisdiction_name = "state", st.name
            out.county_fips = counties[0].fips if len(counties) == 1 else None
            out.candidates.append({"step": "parse", "territory": st.abbr})
            return self._done(out, "parse", CONFIDENT)
        if counties:
            out.candidates.append({"step": "parse", "county": counties[0].fips})
            return self._review(
                out,
                "parse",
                0.6,
                f"{named.title()} is a county of {st.abbr}, "
                "not a city: county jail or city lockup?",
            )
        if township and out.county_fips and not from_city:
            return self._done(out, "parse", confidence)
        if city and not township:
            out.jurisdiction_name = _label("city", gz.normal(city).title(), st.abbr)
        return self._review(
            out,
            "parse",
            0.75,
            f"{named.title()} is no city of {st.abbr} in the "
            f"gazetteer; the facility's city is {city or 'not given'}",
        )

    def _no_rule(
        self,
        out: Attribution,
        st: gz.State,
        city: str | None,
        entry: Entry | None,
        name: str = "",
    ) -> Attribution:
        # A facility named only for an independent city (Virginia, Maryland, Missouri, Nevada
        # county-equivalents 'X city'): that city's jail.
        independent = gz.independent_city(st.abbr, name) if name else None
        if independent is not None:
            self._independent(out, independent, st)
            return self._done(out, "parse", CONFIDENT)
        if entry is not None:
            hint = TYPE_HINTS.get(gz.normal(entry.type_detailed or "")) or TYPE_HINTS.get(
                gz.normal(entry.type or "")
            )
            if hint in ("ice", "federal"):
                out.jurisdiction_type = hint
                out.jurisdiction_name = (
                    "U.S. Immigration and Customs Enforcement"
                    if hint == "ice"
                    else "Federal Bureau of Prisons"
                )
                out.county_fips = entry.county_fips or self._county_from_city(st, city)
                return self._done(out, "code", 0.9)
            if hint == "private":
                out.jurisdiction_type = "private"
                out.jurisdiction_name = (
                    _OPERATORS.get(entry.operator or "", entry.operator)
                    or "private operator (not named in the facility list)"
                )
                out.county_fips = entry.county_fips or self._county_from_city(st, city)
                return self._review(out, "code", 0.8, "contract facility: operator not verified")
        out.county_fips = (entry.county_fips if entry else None) or self._county_from_city(st, city)
        return self._review(out, "none", 0.0, "no rule recognises the name")

    def _fuzzy_dictionary(
        self, out: Attribution, name: str, st: gz.State, city: str | None
    ) -> Attribution:
        choices = self.names_by_state.get(st.abbr, [])
        found = process.extract(gz.normal(name), choices, scorer=fuzz.token_sort_ratio, limit=3)
        if not found:
            return out
        out.candidates.append(
            {"step": "fuzzy_dictionary", "scores": [[c, round(s, 1)] for c, s, _ in found]}
        )
        best, score, _ = found[0]
        runner = found[1][1] if len(found) > 1 else 0.0
        if score >= FUZZY_ACCEPT and score - runner >= FUZZY_MARGIN:
            entry = self.by_name[(st.abbr, best)][0]
            fresh = Attribution(
                state_abbr=out.state_abbr, state_fips=out.state_fips, candidates=out.candidates
            )
            result = self._parse(fresh, entry.name, st, city or entry.city, entry)
            result.method = "fuzzy"
            result.confidence = min(result.confidence, round(score / 100, 3))
            if result.confidence < CONFIDENT:
                result.needs_review = True
                result.review_reason = result.review_reason or f"fuzzy match {score:.0f}"
            return result
        return out

    # -- the national facility dictionary (data/reference) -----------------------------
    _NAMES = {
        "federal": "Federal Bureau of Prisons",
        "ice": "U.S. Immigration and Customs Enforcement",
    }
    _KIND_OF_TYPE = {
        "state": "state",
        "federal": "federal",
        "ice": "federal",
        "county": "county",
        "city": "city",
        "regional": "regional",
    }

    def _reference(
        self, result: Attribution, name: str, st: gz.State, city: str | None
    ) -> Attribution:
        """Where the name's words leave the government or its county open, the bundled facility
        dictionary: the facility of that name in the state, its type and county."""
        confident = result.confidence >= CONFIDENT and not result.needs_review
        if result.method == "override" or (confident and result.county_fips):
            return result
        if result.jurisdiction_name == "U.S. Marshals Service":
            # The Marshals hold people in hundreds of jails: a district office says no county.
            return result
        reason = (result.review_reason or "").replace("the facility's city is not given", "")
        if result.needs_review and any(h in reason for h in HARD_REVIEWS):
            return result
        _, _, kinds = reference.analyse(name, st.abbr)
        if confident and result.jurisdiction_type in ("county", "city", "regional"):
            # (A state or federal kind only when the name says so: RIVERS CORRECTIONAL
            # INSTITUTION reads like a state prison and is a federal contract one.)
            kinds = kinds | {self._KIND_OF_TYPE[result.jurisdiction_type]}
        if result.jurisdiction_type == "private" or "regional" in kinds:
            kinds = kinds - {"county", "city"}
        match = reference.lookup(name, st.abbr, frozenset(kinds))
        if (match is None or match.kind == "unknown") and re.search(r"[,/]", name):
            # 'RIKERS ISLAND, QUEENS', 'EGELER COR FAC,JACKSON': the name before its place;
            # 'CALIF. REHAB. CTR./MEN': before its unit. Also when the whole name is listed with
            # no government type ('CALIF. MEN COLONY, EAST' in ICE's list) and the head is a
            # facility of a known type in that same county.
            whole = match
            head, *tails = [part.strip() for part in re.split(r"[,/]", name)]
            match = reference.lookup(head, st.abbr, frozenset(kinds)) if head else None
            if match is not None and any(
                gz.places_named(st.abbr, part.split(",")[0].strip()) for part in name.split("/")[1:]
            ):
                # 'NO COUNTY JAIL/PALO ALTO': a place after the slash, not a unit; the facility
                # must be found in that place (below), not by its generic head alone.
                match = None
            if whole is not None and (
                match is None
                or match.kind == "unknown"
                or match.conflict
                or match.county_fips != whole.county_fips
            ):
                match = whole
                tails = []
            for tail in tails if match is None else []:
                if gz.places_named(st.abbr, tail):
                    match = reference.lookup_in_city(head, tail, st.abbr, frozenset(kinds))
                    if match is not None:
                        break
        if match is None and city:
            match = reference.lookup_in_city(name, city, st.abbr, frozenset(kinds))
        if match is None and not confident:
            # 'CHARLESTON CORRECTIONAL F': a place and a kind only; the one facility of that
            # kind listed there (link/place_kind.py).
            match = place_kind.lookup(name, st.abbr)
        if match is None and not confident and re.search(r"\bST\b", gz.normal(name)):
            # 'NASHUA ST. JAIL': ST is also STREET (Boston's Nashua Street Jail, Suffolk
            # County's), read so only when neither STATE nor SAINT found a facility, and only
            # a listed facility named for the street answers.
            street = re.sub(r"\bST\b", "STREET", gz.normal(name))
            match = reference.lookup(street, st.abbr)
            if match is not None and not any("STREET" in gz.normal(r.name) for r in match.refs):
                match = None
        if match is None:
            return result
        result.candidates.append(match.evidence())
        if match.how == "cut" and city and match.county_fips:
            # A name of type words only ('CORRECTIONAL RECEPTION') says nothing of where: the
            # one listed facility it was cut from is taken only when the row's city does not
            # lie elsewhere (issue 13 review: CLEVELAND is not Orient's Pickaway County).
            where = gz.city_counties(st.abbr, city)
            if where and match.county_fips not in where:
                return result
        cfg = _SETTINGS["reference"]
        score = {
            "exact": cfg["exact"],
            "core": cfg["core"],
            "city": cfg["core"],
            "place": _SETTINGS["place_kind"]["confidence"],
        }.get(match.how, cfg["fuzzy"])
        if match.county_fips is None:
            if confident:
                return result
            return self._review(
                result,
                "reference",
                0.7,
                (
                    f"the facility dictionary has facilities of that name in "
                    f"{len(match.counties)} counties"
                    if match.counties
                    else "the facility dictionary gives no county for it"
                ),
            )
        if confident:
            # The name said the kind; the dictionary says where, and who operates it.
            result.county_fips = match.county_fips
            if match.narrowed:
                pass  # set apart from look-alikes only to say where: the name said the kind
            elif match.kind == "private" and result.jurisdiction_type in ("state", "federal"):
                self._private(result, match)
            elif (
                match.kind == "federal"
                and result.jurisdiction_type == "state"
                and match.how != "fuzzy"
                and not match.conflict
            ):
                # A federal (contract) prison named like a state one: RIVERS CORRECTIONAL.
                result.jurisdiction_type, result.jurisdiction_name = (
                    "federal",
                    self._NAMES["federal"],
                )
            result.method = f"{result.method}+reference"
            result.confidence = min(result.confidence, score)
            return result
        if match.conflict and st.abbr in unified_corrections() and "state" in match.kinds:
            match.kind = "state"  # one state system: the other types are other names for it
        elif match.conflict and "regional" not in kinds:
            return self._review(
                result,
                "reference",
                0.7,
                "the facilities of that name are of different government types",
            )
        kind = match.kind
        if "regional" in kinds and kind in ("multi", "county", "local", "igsa"):
            kind = "regional"  # a regional jail (several governments), not a hospital
        out = Attribution(
            state_abbr=result.state_abbr,
            state_fips=result.state_fips,
            candidates=result.candidates,
            county_fips=match.county_fips,
        )
        county = gz.county_by_fips(match.county_fips)
        if kind in ("igsa", "unknown"):
            kind = next((k for k in ("county", "city") if k in kinds), kind)
        if kind in ("igsa", "unknown"):
            # The same facility listed by another source with a government type.
            twin = reference.typed_twin(match, st.abbr)
            if twin is not None:
                out.candidates.append(twin.evidence())
                match.refs, match.kind = twin.refs, twin.kind  # (the same county)
                kind = twin.kind
        if kind == "private":
            self._private(out, match)
        elif kind in ("state", "federal", "ice"):
            out.jurisdiction_type = kind
            out.jurisdiction_name = st.name if kind == "state" else self._NAMES[kind]
        elif kind == "county" or (kind == "multi" and st.abbr in unified_corrections()):
            if st.abbr in unified_corrections():
                out.jurisdiction_type, out.jurisdiction_name = "state", st.name
            elif county is not None and gz.is_city_county(county):
                self._independent(out, county, st)
            else:
                out.jurisdiction_type = "county"
                out.jurisdiction_name = _label("county", county.name if county else "", st.abbr)
        elif kind in ("regional", "multi"):
            out.jurisdiction_type = "regional"
            out.jurisdiction_name = " ".join(w.title() for w in match.refs[0].name.split())
        elif kind in ("local", "city"):
            cities = {r.city for r in match.refs if r.city}
            place = gz.place(st.abbr, next(iter(cities))) if len(cities) == 1 else None
            place = place or gz.consolidated_with(match.county_fips)
            if county is not None and gz.is_city_county(county):
                self._independent(out, county, st)
            elif place is None:
                return self._review(
                    result,
                    "reference",
                    0.7,
                    "a local facility whose city the dictionary does not fix",
                )
            else:
                out.jurisdiction_type = "city"
                out.jurisdiction_name = _label("city", place.name, st.abbr)
                out.place_fips = place.place_fips
        else:
            return self._review(
                result,
                "reference",
                0.7,
                "the facility dictionary does not say which government runs it",
            )
        return self._done(out, "reference", score)

    def _private(self, out: Attribution, match: reference.Match) -> None:
        out.jurisdiction_type = "private"
        out.jurisdiction_name = (
            _OPERATORS.get(match.operator or "", match.operator)
            or "private operator (ICE or U.S. Marshals contract)"
        )

    def _county_from_city(self, st: gz.State, city: str | None, unique: bool = False) -> str | None:
        if not city:
            return None
        weights = gz.city_counties(st.abbr, city)
        if not weights:
            return None
        if len(weights) == 1:
            return next(iter(weights))
        if unique:
            return None
        best = sorted(weights.items(), key=lambda kv: -kv[1])
        return best[0][0] if best[0][1] >= 3 * best[1][1] else None

    @staticmethod
    def _done(out: Attribution, method: str, confidence: float) -> Attribution:
        out.method, out.confidence, out.needs_review, out.review_reason = (
            method,
            confidence,
            False,
            None,
        )
        return out

    @staticmethod
    def _review(out: Attribution, method: str, confidence: float, reason: str) -> Attribution:
        out.method, out.confidence = method, min(confidence, CONFIDENT - 0.01)
        out.needs_review, out.review_reason = True, reason
        return out
