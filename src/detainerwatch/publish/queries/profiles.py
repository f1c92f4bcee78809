"""Every jurisdiction's profile rows from a few questions over the whole store (issue 16).

A profile asks six questions of the rows of its jurisdiction ids (counts.profile_totals,
by_year, by_month, profile_facilities, sheet_evidence and the likely duplicates). Asked once per
page, each scans the whole store: on a national store, a static site of thousands of profiles
paid that scan thousands of times. Here each question is asked once, grouped by
``jurisdiction_id`` as well, and ordered as the per-profile question orders its rows, so the
rows of one id are exactly what that question answers for a profile of that id alone.

A profile of several ids (a county with its consolidated city) whose ids both hold rows is
added up here as the per-profile question would have grouped them: counts summed, first and
last days the earliest and latest, flags or-ed, and the rows sorted as its ORDER BY sorts them
(DuckDB sorts NULL last in ascending order; tests/test_profile_rows.py compares every profile of
the PA store, and merged pairs, with the per-profile questions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from ...derive.facts import OUTCOMES, hand_hash, outcome_count_columns
from .. import disclosure
from .base import Reader, rows, tuples
from .counts import MonthCounts, ProfileFacility, ProfileTotals, SheetEvidence, YearCounts

__all__ = [
    "JurisdictionRows",
    "jurisdiction_rows",
    "profile_rows",
    "dump_rows",
    "load_rows",
    "rows_key",
]

Row = TypeVar("Row", bound=Mapping[str, object])


@dataclass
class JurisdictionRows:
    """The rows of one profile's questions (counted rows, but evidence and duplicates)."""

    totals: ProfileTotals
    duplicates: int = 0
    by_year: list[YearCounts] = field(default_factory=list)
    by_month: list[MonthCounts] = field(default_factory=list)
    facilities: list[ProfileFacility] = field(default_factory=list)
    evidence: list[SheetEvidence] = field(default_factory=list)


def _empty_totals() -> ProfileTotals:
    """What counts.profile_totals answers for ids with no rows: zero counts, no days."""
    zero: dict[str, Any] = {"issued": 0, **{o: 0 for o in OUTCOMES}}
    return cast(ProfileTotals, {**zero, "first_issued": None, "last_issued": None})


def _by_id(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows keyed by their jurisdiction_id (the column taken out), in the order they came."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        out.setdefault(row.pop("jurisdiction_id"), []).append(row)
    return out


def jurisdiction_rows(reader: Reader) -> dict[str, JurisdictionRows]:
    """Every jurisdiction id's profile rows, from six whole-store questions."""
    outcomes = outcome_count_columns()
    counted = "WHERE NOT likely_duplicate"
    totals = _by_id(
        rows(
            reader,
            f"SELECT jurisdiction_id, count(*) AS issued, {outcomes}, "
            f"min(issued) AS first_issued, max(issued) AS last_issued "
            f"FROM detainer_facts {counted} GROUP BY 1",
        )
    )
    years = _by_id(
        rows(
            reader,
            f"SELECT jurisdiction_id, year(issued) AS year, count(*) AS issued, {outcomes} "
            f"FROM detainer_facts {counted} GROUP BY 1, 2 ORDER BY 1, 2",
        )
    )
    months = _by_id(
        rows(
            reader,
            f"SELECT jurisdiction_id, strftime(date_trunc('month', issued), '%Y-%m') AS month, "
            f"count(*) AS issued, {outcomes} FROM detainer_facts {counted} "
            "GROUP BY 1, 2 ORDER BY 1, 2",
        )
    )
    # whether a facility is for children or a hospital depends on its name and code alone,
    # both keys of the group: tested once per group, not once per detainer (seven regular
    # expressions over each of 4M rows took ~6 s of CPU; bool_or of one value is that value)
    facilities = _by_id(
        rows(
            reader,
            f"""
        SELECT * EXCLUDE (facility_name, facility_code)
                 REPLACE ({disclosure.protected_facilities_sql()} AS protected_facility)
        FROM (
            SELECT jurisdiction_id, facility_name AS facility, facility_city AS city,
                   facility_state AS state, facility_code AS code, any_value(method) AS method,
                   any_value(confidence) AS confidence, bool_or(needs_review) AS needs_review,
                   NULL::BOOLEAN AS protected_facility,
                   count(*) AS issued, {outcomes},
                   min(issued) AS first_issued, max(issued) AS last_issued,
                   facility_name, facility_code
            FROM detainer_facts {counted}
            GROUP BY jurisdiction_id, facility_name, facility_city, facility_state, facility_code)
        ORDER BY jurisdiction_id, issued DESC, facility, city, state, code""",
        )
    )
    evidence = _by_id(
        rows(
            reader,
            """
        SELECT f.jurisdiction_id, f.release, f.source_file, any_value(s.sha256) AS sha256,
               f.sheet, count(*) AS rows, min(f.row_number) AS first_row,
               max(f.row_number) AS last_row
        FROM detainer_facts f JOIN sources s ON s.source_id = f.source_id
        GROUP BY f.jurisdiction_id, f.release, f.source_file, f.sheet
        ORDER BY 1, 2, 3, 5""",
        )
    )
    duplicates = dict(
        tuples(
            reader,
            "SELECT jurisdiction_id, count(*) FROM detainer_facts WHERE likely_duplicate "
            "GROUP BY 1",
        )
    )
    out: dict[str, JurisdictionRows] = {}
    for jid in sorted({*totals, *evidence, *duplicates}):
        out[jid] = JurisdictionRows(
            totals=cast(ProfileTotals, totals[jid][0]) if jid in totals else _empty_totals(),
            duplicates=int(duplicates.get(jid, 0)),
            by_year=cast(list[YearCounts], years.get(jid, [])),
            by_month=cast(list[MonthCounts], months.get(jid, [])),
            facilities=cast(list[ProfileFacility], facilities.get(jid, [])),
            evidence=cast(list[SheetEvidence], evidence.get(jid, [])),
        )
    return out


def profile_rows(index: dict[str, JurisdictionRows], ids: Sequence[str]) -> JurisdictionRows:
    """The rows of a profile of these ids, as the per-profile questions answer them (fresh
    dicts: a caller may change them)."""
    held = [index[i] for i in dict.fromkeys(ids) if i in index]
    if not held:
        return JurisdictionRows(totals=_empty_totals())
    if len(held) == 1:
        one = held[0]
        return JurisdictionRows(
            totals=cast(ProfileTotals, dict(one.totals)),
            duplicates=one.duplicates,
            by_year=_copies(one.by_year),
            by_month=_copies(one.by_month),
            facilities=_copies(one.facilities),
            evidence=_copies(one.evidence),
        )
    totals = _merge(
        [h.totals for h in held],
        lambda r: (),
        lambda r: (),
    )[0]
    return JurisdictionRows(
        totals=cast(ProfileTotals, totals),
        duplicates=sum(h.duplicates for h in held),
        by_year=_merge([r for h in held for r in h.by_year], _key("year"), _key("year")),
        by_month=_merge([r for h in held for r in h.by_month], _key("month"), _key("month")),
        facilities=_merge(
            [r for h in held for r in h.facilities],
            _key("facility", "city", "state", "code"),
            lambda r: (-r["issued"], *_key("facility", "city", "state", "code")(r)),
        ),
        evidence=_merge(
            [r for h in held for r in h.evidence],
            _key("release", "source_file", "sheet"),
            _key("release", "source_file", "sheet"),
        ),
    )


def _copies(found: Iterable[Row]) -> list[Row]:
    return [cast(Row, dict(r)) for r in found]


def _key(*names: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A sort key as DuckDB's ascending ORDER BY: NULL after every value."""

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            p for n in names for p in (row[n] is None, row[n] if row[n] is not None else 0)
        )

    return key


# How a column of rows merged into one is made: counts summed, days min/max, flags or-ed; any
# other column (names, the attribution method and confidence: any_value) the first row's.
_FIRST_DAY = {"first_issued", "first_row"}
_LAST_DAY = {"last_issued", "last_row"}
_SUMMED = {"issued", "rows", *OUTCOMES}
_ORED = {"needs_review", "protected_facility"}


def _merge(
    found: list[Any],
    group: Callable[[dict[str, Any]], tuple[Any, ...]],
    order: Callable[[dict[str, Any]], tuple[Any, ...]],
) -> list[Any]:
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in found:
        k = group(row)
        into = groups.get(k)
        if into is None:
            groups[k] = dict(row)
            continue
        for name, value in row.items():
            have = into[name]
            if name in _SUMMED:
                into[name] = have + value
            elif name in _FIRST_DAY or name in _LAST_DAY:
                days = [d for d in (have, value) if d is not None]
                pick: Callable[[list[dt.date]], dt.date] = min if name in _FIRST_DAY else max
                into[name] = pick(days) if days else None
            elif name in _ORED:  # bool_or: NULL only when every value is
                into[name] = None if have is None and value is None else bool(have or value)
    return sorted(groups.values(), key=order)


# ---- kept beside the store (publish/diskcache.py), so a restarted app does not ask again ----

_DAYS = ("first_issued", "last_issued")  # the only date columns of these rows
ROWS_FORMAT = 1  # bumped when the rows' columns or their questions change


def dump_rows(index: dict[str, JurisdictionRows]) -> bytes:
    """The rows as compressed JSON (days as ISO text)."""
    plain = {
        jid: {
            "totals": r.totals,
            "duplicates": r.duplicates,
            "by_year": r.by_year,
            "by_month": r.by_month,
            "facilities": r.facilities,
            "evidence": r.evidence,
        }
        for jid, r in index.items()
    }
    text = json.dumps(plain, default=lambda d: d.isoformat(), separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 1)


def _days(row: dict[str, Any]) -> dict[str, Any]:
    for name in _DAYS:
        if row.get(name) is not None:
            row[name] = dt.date.fromisoformat(row[name])
    return row


def load_rows(data: bytes) -> dict[str, JurisdictionRows]:
    """What dump_rows wrote. Raises ValueError on anything else (zlib.error, bad JSON)."""
    try:
        plain = json.loads(zlib.decompress(data).decode("utf-8"))
    except zlib.error as exc:
        raise ValueError(str(exc)) from exc
    return {
        jid: JurisdictionRows(
            totals=cast(ProfileTotals, _days(r["totals"])),
            duplicates=int(r["duplicates"]),
            by_year=r["by_year"],
            by_month=r["by_month"],
            facilities=[cast(ProfileFacility, _days(f)) for f in r["facilities"]],
            evidence=r["evidence"],
        )
        for jid, r in plain.items()
    }


def rows_key() -> str:
    """What the kept rows depend on besides the store and the code: the hand tables the facts
    are derived with, and the disclosure rules' protected-facility patterns."""
    digest = hashlib.sha256()
    for part in (str(ROWS_FORMAT), hand_hash(), disclosure.protected_facilities_sql()):
        digest.update(part.encode("utf-8"))
    return repr(("profile_rows", digest.hexdigest()))
