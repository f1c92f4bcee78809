"""The Declined Detainer Outcome Report, done right: built from the store, for any period.

``build_report(con, period, state=None)`` returns a plain dict (the same object becomes
report.json, the CSVs and the HTML page, and is what the web app serves). Sections:

I.   detainers issued and their outcomes, by jurisdiction (counts and rates);
II.  declined detainers by jurisdiction, with the criminal-history mix (aggregates, "<5");
III. the policy context of each jurisdiction (instruments in force during the period);
IV.  data fidelity: releases used, doubtful facilities, open share, exclusions, what the
     data cannot tell (counts are by issue date; the releases hold no decline date).

Only local and state governments can decline in the policy sense; federal, ICE, private and
unresolved attributions are shown apart from them, never ranked with them.
"""

from __future__ import annotations

from typing import Any

import datetime as dt
from dataclasses import dataclass

from .. import __version__
from ..derive import facts
from ..derive.facts import LOCAL_TYPES, TIERS
from ..derive.policies import PolicyIndex, instrument_fields
from ..errors import UsageError
from ..link import gazetteer as gz
from . import coverage, disclosure, queries
from .queries import Scope
from duckdb import DuckDBPyConnection

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def week_of(day: dt.date) -> Period:
    """The DDOR's week: Saturday to Friday (its first week was Sat 2017-01-28 to Fri 02-03)."""
    start = day - dt.timedelta(days=(day.weekday() - 5) % 7)
    end = start + dt.timedelta(days=6)
    return Period(start, end, f"week of {start.isoformat()} to {end.isoformat()}")


def store_range(con: DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    span = queries.prepare_date_span(con)
    return None if span is None else (span.first, span.last)


def resolve_period(
    con: DuckDBPyConnection,
    *,
    week: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    whole: bool = False,
) -> Period:
    span = store_range(con)
    if span is None:
        raise UsageError("the store holds no detainers: run `detainerwatch ingest` first")
    if whole:
        return Period(span[0], span[1], f"all detainers in the store, {span[0]} to {span[1]}")
    if week:
        return week_of(week)
    if start or end:
        # One bound alone never makes an inverted period: the other follows it if needed.
        if start is None:
            assert end is not None  # one of the two is given
            start = min(span[0], end)
        end = end or max(span[1], start)
        if end < start:
            raise UsageError(f"--to {end} is before --from {start}")
        return Period(start, end, f"{start.isoformat()} to {end.isoformat()}")
    latest = week_of(span[1])
    if latest.end > span[1]:  # the last week is not complete in the store
        latest = week_of(latest.start - dt.timedelta(days=1))
    return latest


def suppress(n: int | None) -> int:
    """A count for publish.disclosure to judge (None is 0)."""
    return 0 if n is None else n


def _scope(period: Period, state: str | None) -> Scope:
    return queries.issued_between(period.start, period.end, state)


def build_report(
    con: DuckDBPyConnection, period: Period, state: str | None = None
) -> dict[str, Any]:
    facts.register(con)
    unclassified = facts.check_unmapped(con)  # warnings: values no hand table maps
    st = None
    if state:
        st = gz.state(state)
        if st is None:
            raise UsageError(f"--state {state!r} is not a state (use a code such as PA)")
    cov = coverage.coverage(con)
    outside = _outside(cov, period, st)
    if outside:
        return disclosure.protect(_not_covered(cov, period, st, outside), "plain")
    # The period's detainers at the summary's grain, counted once (queries/summary.py): every
    # question below asks them, not the rows, except the weekly trend.
    queries.report_cells(con, period.start, period.end, st.fips if st else None)
    totals: dict[str, Any] = dict(queries.cells_totals(con))
    excluded = queries.cells_duplicates(con)
    jurisdictions: list[dict[str, Any]] = [dict(j) for j in queries.cells_jurisdictions(con)]
    for j in jurisdictions:
        resolved = j["issued"] - j["open"]
        j["declined_share_of_issued"] = (
            round(j["declined"] / j["issued"], 4) if j["issued"] else None
        )
        j["declined_share_of_closed"] = round(j["declined"] / resolved, 4) if resolved else None
        j["booked_share_of_closed"] = round(j["booked"] / resolved, 4) if resolved else None
        j["can_decline"] = j["jurisdiction_type"] in LOCAL_TYPES

    declined = _declined_section(con, jurisdictions)
    fidelity = _fidelity(con, totals, excluded, period)
    span = store_range(con)
    warning = None
    if span and (period.start < span[0] or period.end > span[1]):
        outside = "all of it" if period.end < span[0] or period.start > span[1] else "part of it"
        warning = (
            f"The store holds detainers issued {span[0]} to {span[1]}; {outside} lies "
            "outside, where counts are zero for want of data, not for want of detainers."
        )
        fidelity["notes"].insert(0, warning)
    fidelity["notes"][:0] = unclassified
    recorded = coverage.recorded(con, period.start, period.end)
    _not_recorded(declined, recorded)
    report = {
        "title": "Declined Detainer Outcome Report" + (f": {st.name}" if st else ""),
        "coverage": cov["text"],
        "covered": True,
        "store_coverage": cov,
        "not_recorded": [coverage.RECORDED_FIELDS[k] for k, v in recorded.items() if not v],
        "generated_by": f"detainerwatch {__version__}",
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
            "basis": "detainer prepare (issue) date",
            "store_covers": [d.isoformat() for d in span] if span else None,
            "coverage_warning": warning,
        },
        "state": st.abbr if st else None,
        "totals": {**totals, "excluded_likely_duplicates": excluded},
        "jurisdictions": [j for j in jurisdictions if j["can_decline"]],
        "other_custody": [j for j in jurisdictions if not j["can_decline"]],
        "declined": declined,
        "policy": _policy_section(con, jurisdictions, period),
        "fidelity": fidelity,
        "trend": trend(con, period, st.fips if st else None, cells=True),
        "map": _map_rows(con),
        "facilities": facilities(con),
    }
    return disclosure.protect(
        report, "report", coarse_deaths=disclosure.deaths_coarse(period.days, True)
    )


def _outside(cov: dict[str, Any], period: Period, st: gz.State | None) -> str | None:
    """Why the request lies outside what the store covers, or None."""
    if st is not None and not coverage.state_covered(cov, st.abbr):
        return f"{st.name} is not covered: the store holds {cov['text']}."
    if not coverage.period_covered(cov, period.start, period.end):
        return f"{period.start} to {period.end} is not covered: the store holds {cov['text']}."
    return None


def _not_covered(
    cov: dict[str, Any], period: Period, st: gz.State | None, why: str
) -> dict[str, Any]:
    """A report for a request outside the store's coverage: it says so, with no table of zeros."""
    return {
        "title": "Declined Detainer Outcome Report" + (f": {st.name}" if st else ""),
        "generated_by": f"detainerwatch {__version__}",
        "covered": False,
        "not_covered": why,
        "coverage": cov["text"],
        "store_coverage": cov,
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
            "basis": "detainer prepare (issue) date",
            "coverage_warning": why,
        },
        "state": st.abbr if st else None,
    }


def _not_recorded(declined: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Section II columns from fields that no release in scope records: "not recorded", not 0."""
    nr = coverage.NOT_RECORDED
    blank = []
    if not recorded["criminality"]:
        blank += [t for t in TIERS if t != "not_recorded"] + [
            "convicted",
            "pending_charges",
            "no_conviction",
        ]
    if not recorded["threat_level"]:
        blank += THREAT_KEYS
    if not recorded["aggravated_felony"]:
        blank.append("aggravated_felony")
    rows = [
        declined.get("mix"),
        declined.get("issued_mix"),
        (declined.get("pooled") or {}).get("mix"),
        declined.get("_pooled_mix"),
    ]
    rows += [r["mix"] for r in declined.get("by_jurisdiction", [])]
    for mix in rows:
        if mix:
            for k in blank:
                if k in mix:
                    mix[k] = nr
    declined["not_recorded"] = sorted(set(blank))


THREAT_KEYS = ["threat_level_1", "threat_level_2", "threat_level_3", "threat_level_none"]
# What a row of section II shows per jurisdiction: tiers, threat level, aggravated felony. The
# criminality columns are sums of tiers (convicted) or the same counts (pending, no conviction),
# so they are published for the aggregate rows only, where they cannot pin a small cell down.
ROW_KEYS = [*TIERS, *THREAT_KEYS, "aggravated_felony"]


def _declined_section(
    con: DuckDBPyConnection, jurisdictions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Section II. Cells of 1-4 people are published as "<5", and no such cell may be worked
    out from what is shown. A jurisdiction has its own row only with 5 or more declined
    detainers and a tier mix that does not give a "<5" away; the others are pooled in one row
    (their counts by outcome stay in section I). Where a threat-level, aggravated-felony or
    column total would give a "<5" away, one more cell is withheld ("x"). The pooled row and the
    all-jurisdictions row are published only for 5 or more people at 2 or more jurisdictions."""
    rows: list[dict[str, Any]] = [dict(r) for r in queries.cells_declined_mix_by_jurisdiction(con)]
    total: dict[str, Any] = dict(queries.cells_declined_mix(con))
    issued: dict[str, Any] = dict(queries.cells_issued_mix(con))

    candidates = [{"id": r["id"], "declined": r["declined"], "counts": r} for r in rows]
    listed = [c for c in candidates if c["declined"] >= SUPPRESS_BELOW]
    pooled = [c for c in candidates if c not in listed]
    pool = {
        "declined": sum(c["declined"] for c in pooled),
        "counts": {k: sum(c["counts"][k] for c in pooled) for k in ROW_KEYS},
    }
    pool_shown = not pooled or (len(pooled) >= 2 and pool["declined"] >= SUPPRESS_BELOW)

    # Raw counts here: publish.disclosure.protect() shows cells of 1-4 as "<5" and withholds
    # ("x") whatever would let a reader work one out, across every table of the report.
    names = {j["id"]: j for j in jurisdictions}
    by_jurisdiction = []
    for c in listed:
        j = names.get(c["id"], {})
        by_jurisdiction.append(
            {
                "id": c["id"],
                "name": j.get("name"),
                "jurisdiction_type": j.get("jurisdiction_type"),
                "state": j.get("state"),
                "declined": c["declined"],
                "can_decline": j.get("can_decline", False),
                "mix": {k: c["counts"][k] for k in ROW_KEYS},
            }
        )
    issued_shown = issued["issued"] >= SUPPRESS_BELOW and issued["jurisdictions"] >= 2
    return {
        "total": total["declined"],
        "mix": {k: v for k, v in total.items() if k != "declined"} if pool_shown else None,
        "issued_mix": {k: issued[k] for k in TIERS} if issued_shown else None,
        "by_jurisdiction": by_jurisdiction,
        "pooled": {
            "jurisdictions": len(pooled),
            "declined": pool["declined"],
            "mix": dict(pool["counts"]) if pool_shown else None,
        }
        if pooled
        else None,
        "_pooled_mix": {"declined": pool["declined"], **pool["counts"]} if pooled else None,
        "tiers": TIERS,
        "row_keys": ROW_KEYS,
        "note": "Mix of criminal history among declined detainers. Cells of 1-4 people are shown "
        "as <5, and no such cell can be worked out from the totals: a jurisdiction has "
        "its own row only with 5 or more declined detainers and a mix that gives no <5 "
        "away; the others are pooled in one row (each keeps its counts in section I); "
        "x marks a cell withheld so that a <5 next to it cannot be worked out. A pooled or "
        "total row of fewer than 5 people, or of one jurisdiction, is withheld. Tiers are "
        "defined in hand/tiers.md. The FY2008-2015 release has no criminal-history fields "
        "(tier not_recorded).",
    }


def _policy_section(
    con: DuckDBPyConnection, jurisdictions: list[dict[str, Any]], period: Period
) -> list[dict[str, Any]]:
    index = PolicyIndex(con)
    # a state's records apply to each of its jurisdictions: each made once, copied for each row
    published: dict[int, dict[str, Any]] = {}
    out = []
    for j in jurisdictions:
        if not j["can_decline"] or not j.get("state_fips"):
            continue
        city_name = None
        if j["jurisdiction_type"] == "city" and j.get("name"):
            city_name = j["name"].rsplit(",", 1)[0]
        instruments = index.in_force(
            state_fips=j["state_fips"],
            county_fips=j.get("county_fips"),
            place_fips=j.get("place_fips"),
            city_name=city_name,
            start=period.start,
            end=period.end,
        )
        out.append(
            {
                "id": j["id"],
                "name": j["name"],
                "instruments": [
                    dict(published.get(id(p)) or published.setdefault(id(p), instrument_fields(p)))
                    for p in instruments
                ],
            }
        )
    return out


def _fidelity(
    con: DuckDBPyConnection,
    totals: dict[str, Any],
    excluded: int,
    period: Period,
) -> dict[str, Any]:
    releases = queries.cells_release_evidence(con)
    doubtful = queries.cells_doubtful_facilities(con)
    doubtful_total = queries.cells_doubtful_detainers(con)
    issued = totals["issued"] or 0
    return {
        "releases": releases,
        "doubtful_facilities": doubtful,
        "detainers_at_doubtful_facilities": doubtful_total,
        "open_share": round(totals["open"] / issued, 4) if issued else None,
        "excluded": [
            {
                "reason": "likely duplicate (same person identifier and prepare day "
                "within a release; flagged, not dropped)",
                "rows": excluded,
            }
        ],
        "unknown_ncic_categories": [
            {"category": c, "detainers": suppress(n)} for c, n in facts.unknown_ncic(con)
        ],
        "notes": [
            "Counts are by the date ICE prepared (issued) each detainer. The releases hold no "
            "date on which a decline was recorded, so declines are counted in the period the "
            "detainer was issued, not when the agency declined it; ICE sometimes records many "
            "declines at once, long after issue.",
            "A blank lift reason means the detainer was open or its outcome unknown when the data "
            "were extracted; it is its own class.",
            "Only county, city and state governments can decline in the policy sense; detainers "
            "at federal, ICE, private or unresolved facilities are shown apart.",
            "A transfer is not a decline; a withdrawal by ICE is not a decline.",
            f"Period: {period.label}.",
        ],
    }


def trend(
    con: DuckDBPyConnection,
    period: Period,
    state_fips: str | None = None,
    *,
    cells: bool = False,
) -> list[dict[str, Any]]:
    """Weekly series for periods up to a year (Saturday-Friday weeks, as the DDOR's), monthly
    beyond (cells: the months counted from queries.report_cells, made for this period)."""
    unit = "week" if period.days <= 366 else "month"
    points = (
        queries.cells_trend_by_month(con)
        if cells and unit == "month"
        else queries.trend(con, _scope(period, state_fips), unit)
    )
    return [
        {
            "period": r.period.isoformat(),
            "unit": unit,
            "issued": r.issued,
            "declined": r.declined,
            "booked": r.booked,
        }
        for r in points
    ]


def _map_rows(con: DuckDBPyConnection) -> list[dict[str, Any]]:
    return [
        {"county_fips": r.county_fips, "issued": r.issued, "declined": r.declined}
        for r in queries.cells_county_counts(con)
    ]


def facilities(con: DuckDBPyConnection) -> list[dict[str, Any]]:
    """The facilities of the report's period (queries.report_cells made for it)."""
    return [dict(r) for r in queries.cells_facility_counts(con)]
