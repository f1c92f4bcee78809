"""A jurisdiction's profile over time: detainers and outcomes by year and month, its facilities
with their attribution, the policy instruments in force, and the source files and row ranges
behind every count. Aggregates only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..derive import facts
from ..derive.facts import OUTCOMES
from ..derive.policies import PolicyIndex, instrument_fields
from ..errors import UsageError
from ..handfiles import steady
from ..link import gazetteer as gz
from ..link.names import split_name_state, suggest
from . import disclosure, queries
from duckdb import DuckDBPyConnection

if TYPE_CHECKING:
    from .diskcache import DiskCache


def parse_jurisdiction(text: str, *, suggest_names: bool = True) -> dict[str, Any]:
    """'Travis County, TX', 'Philadelphia, PA', 'Pennsylvania', '48453', '4260000', '42',
    'county:48453' -> {type, fips, name, state_abbr, state_fips, ids}. A name not found is a
    UsageError naming the nearest names (suggest_names=False: without them, for a caller that
    tries another kind of id next and shows this error only if that fails too; the search for
    them takes ~0.1 s)."""
    raw = text.strip()
    m = re.fullmatch(r"(county|city|state):(\d+)", raw)
    if m:
        kind, code = m.groups()
        raw = code
    if re.fullmatch(r"\d{5}", raw):
        county = gz.county_by_fips(raw)
        if county is None:
            raise UsageError(f"no county has FIPS code {raw}")
        return _county(county)
    if re.fullmatch(r"\d{7}", raw):
        place = gz.place_by_fips(raw)
        if place is not None:
            return _city(place)
        raise UsageError(
            f"place FIPS {raw} is not in the gazetteer's places (data/gazetteer/places.csv)"
        )
    if re.fullmatch(r"\d{2}", raw):
        st = gz.state(raw)
        if st is None:
            raise UsageError(f"no state has FIPS code {raw}")
        return _state(st)
    name, _, state_text = raw.rpartition(",")
    if not name:
        st = gz.state(raw)
        if st:
            return _state(st)
        name, st = split_name_state(raw)  # 'dauphin county pa'
        if st is None:
            raise UsageError(
                f"{text!r}: give 'Name, ST' (e.g. 'Travis County, TX') or a FIPS "
                f"code{_did_you_mean(raw, suggest_names)}"
            )
        state_text = st.abbr
    st = gz.state(state_text.strip())
    if st is None:
        raise UsageError(f"{text!r}: {state_text.strip()!r} is not a state")
    name = name.strip()
    place = gz.place(st.abbr, name)
    looks_like_county = re.search(r"(?i)\b(county|parish|borough|census area)\s*$", name)
    if place and not looks_like_county:
        return _city(place)
    counties = gz.counties_named(st.abbr, name)
    if len(counties) == 1 and (looks_like_county or not gz.is_city(st.abbr, name)):
        return _county(counties[0])
    if gz.is_city(st.abbr, name):
        return {
            "type": "city",
            "fips": None,
            "name": f"{name.title()}, {st.abbr}",
            "state_abbr": st.abbr,
            "state_fips": st.fips,
            "ids": [],
            "city_name": name,
        }
    raise UsageError(
        f"no county or city {name!r} in {st.abbr}"
        f"{_did_you_mean(f'{name}, {st.abbr}', suggest_names)}"
    )


def _did_you_mean(text: str, suggest_names: bool = True) -> str:
    if not suggest_names:
        return ""
    found = suggest(text)
    if len(found) > 1:
        return f"; did you mean one of: {'; '.join(found)}?"
    return f"; did you mean {found[0]}?" if found else ""


def _county(county: gz.County) -> dict[str, Any]:
    st = gz.state(county.state)
    ids = [f"county:{county.fips}"]
    for place in gz.consolidated_county(county.fips):
        ids.append(f"city:{place.place_fips}")  # one government: city and county
    return {
        "type": "county",
        "fips": county.fips,
        "name": f"{county.name}, {county.state}",
        "state_abbr": county.state,
        "state_fips": st.fips if st else None,
        "ids": ids,
        "city_name": None,
    }


def _city(place: gz.Place) -> dict[str, Any]:
    st = gz.state(place.state)
    ids = [f"city:{place.place_fips}"]
    if place.consolidated:
        ids += [f"county:{c}" for c in place.county_fips]
    return {
        "type": "city",
        "fips": place.place_fips,
        "name": f"{place.name}, {place.state}",
        "state_abbr": place.state,
        "state_fips": st.fips if st else None,
        "ids": ids,
        "city_name": place.name,
    }


def _state(st: gz.State) -> dict[str, Any]:
    return {
        "type": "state",
        "fips": st.fips,
        "name": st.name,
        "state_abbr": st.abbr,
        "state_fips": st.fips,
        "ids": [f"state:{st.fips}"],
        "city_name": None,
    }


@dataclass(frozen=True)
class ProfileBasis:
    """What every profile of one run asks of the whole store, asked once (issue 16): each id's
    profile rows (queries.jurisdiction_rows), the store's coverage, the hand tables' warnings
    and the policy records. A run (a publish, a web app over its read-only store) builds it
    once; each profile is then a lookup, the disclosure step and its rendering."""

    rows: dict[str, queries.JurisdictionRows]
    coverage: dict[str, Any]
    unclassified: list[str]
    policies: PolicyIndex


def profile_basis(con: DuckDBPyConnection, disk: DiskCache | None = None) -> ProfileBasis:
    """The whole-store questions every profile needs, asked once. With the file of finished
    pages beside the store (disk), the profile rows, the costly part, are kept there for the
    next start (valid while the store, the code, the hand tables and the disclosure rules are
    the same: diskcache.fingerprint and queries.rows_key)."""
    from .coverage import coverage

    facts.register(con)
    unclassified = facts.check_unmapped(con)
    rows: dict[str, queries.JurisdictionRows] | None = None
    key = queries.rows_key() if disk is not None else ""
    kept = disk.get(key) if disk is not None else None
    if isinstance(kept, bytes):
        try:
            rows = queries.load_rows(kept)
        except (ValueError, KeyError, TypeError):
            rows = None  # a damaged entry: asked again
    if rows is None:
        rows = queries.jurisdiction_rows(con)
        if disk is not None:
            disk.put(key, queries.dump_rows(rows))
    return ProfileBasis(
        rows=rows,
        coverage=coverage(con),
        unclassified=unclassified,
        policies=PolicyIndex(con),
    )


def load_lookups() -> None:
    """Read the gazetteer indexes a profile's name lookup uses (half a second, once per
    process). A server calls it at start: its request threads would otherwise each read them
    at once on their first profile (the gazetteer's caches are not shared while being made)."""
    for name in ("42", "42101", "4260000", "Philadelphia, PA", "Dauphin County, PA"):
        parse_jurisdiction(name)


def build_profile(
    con: DuckDBPyConnection,
    jurisdiction: str,
    basis: ProfileBasis | None = None,
    *,
    suggest_names: bool = True,
) -> dict[str, Any]:
    """A jurisdiction's profile, protected by the disclosure function. With a basis (one per
    run), its rows are looked up there; without, asked of the store (the same rows).
    suggest_names: as parse_jurisdiction's."""
    with steady():  # the disclosure rules are read thousands of times: stat them once
        return _build_profile(con, jurisdiction, basis, suggest_names)


def _build_profile(
    con: DuckDBPyConnection, jurisdiction: str, basis: ProfileBasis | None, suggest_names: bool
) -> dict[str, Any]:
    target = parse_jurisdiction(jurisdiction, suggest_names=suggest_names)
    if basis is not None and target["ids"]:
        unclassified = basis.unclassified
        found = queries.profile_rows(basis.rows, target["ids"])
        totals: dict[str, Any] = dict(found.totals)
        by_year, by_month = found.by_year, found.by_month
        facilities, evidence = found.facilities, found.evidence
        excluded = found.duplicates
        cov = basis.coverage
        policy_index = basis.policies
    else:
        facts.register(con)
        unclassified = facts.check_unmapped(con)  # warnings: values no hand table maps
        if target["ids"]:
            scope = queries.of_jurisdictions(target["ids"])
        else:  # a city without a place code: match its name within the state
            scope = queries.of_city_named(target["state_fips"], target["name"])
        counted = scope.counted()
        totals = dict(queries.profile_totals(con, counted))
        by_year = queries.by_year(con, counted)
        by_month = queries.by_month(con, counted)
        facilities = queries.profile_facilities(con, counted)
        evidence = queries.sheet_evidence(con, scope)
        excluded = queries.count(con, scope.duplicates())
        from .coverage import coverage

        cov = basis.coverage if basis is not None else coverage(con)
        policy_index = basis.policies if basis is not None else PolicyIndex(con)
    names = [*["issued"], *OUTCOMES]
    first, last = totals.pop("first_issued"), totals.pop("last_issued")
    policies = policy_index.in_force(
        state_fips=target["state_fips"],
        county_fips=target["fips"] if target["type"] == "county" else None,
        place_fips=target["fips"] if target["type"] == "city" else None,
        city_name=target.get("city_name"),
        start=first,
        end=last,
    )
    return disclosure.protect(
        {
            "id": target["ids"][0]
            if target["ids"]
            else f"city:{target['state_fips']}:{target['name']}",
            "name": target["name"],
            "jurisdiction_type": target["type"],
            "fips": target["fips"],
            "coverage": {
                "text": cov["text"],
                "first": cov["first"],
                "last": cov["last"],
                "states": [s["abbr"] for s in cov["states"]],
                "state_covered": any(s["abbr"] == target["state_abbr"] for s in cov["states"]),
            },
            "state": target["state_abbr"],
            "also_counted": target["ids"][1:],
            "first_issued": first and first.isoformat(),
            "last_issued": last and last.isoformat(),
            "totals": {**totals, "excluded_likely_duplicates": excluded},
            "by_year": by_year,
            "by_month": by_month,
            "facilities": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in f.items()}
                for f in facilities
            ],
            "policies": [instrument_fields(p) for p in policies],
            "evidence": evidence,
            "notes": [
                *unclassified,
                "Counts are by issue (prepare) date; the releases hold no decline date.",
                "Likely duplicates are excluded from counts and listed in excluded_likely_duplicates.",
                "Evidence lists every source file, sheet and row range whose rows are counted here.",
            ],
            "columns": names,
        },
        "profile",
    )


def write_profile(profile: dict[str, Any], out: Path) -> None:
    from . import charts
    from .output import write_csv

    from .output import render_profile_html

    disclosure.require(profile, "profile folder")
    out.mkdir(parents=True, exist_ok=True)
    series = [
        {
            "period": f"{m['month']}-01",
            "unit": "month",
            "issued": m["issued"],
            "declined": m["declined"],
            "booked": m["booked"],
        }
        for m in profile["by_month"]
    ]
    spec = charts.trend_spec(series, f"{profile['name']}: detainers by month of issue")
    (out / "index.html").write_text(render_profile_html(profile), encoding="utf-8")
    (out / "profile.json").write_text(json.dumps(profile, indent=1, default=str), encoding="utf-8")
    write_csv(
        out / "facilities.csv",
        profile["facilities"],
        [
            "facility",
            "city",
            "state",
            "code",
            "method",
            "confidence",
            "needs_review",
            "protected_facility",
            "issued",
            *OUTCOMES,
            "first_issued",
            "last_issued",
        ],
        profile.get("coverage", {}).get("text"),
    )
    (out / "trend.png").write_bytes(charts.png(spec))
