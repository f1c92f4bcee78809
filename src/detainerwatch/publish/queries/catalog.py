"""Named questions of the catalog (totals, jurisdiction and facility lists, source files) and of
the audit of published lists, each answering typed rows. publish/catalog.py and audit.py build
their answers from these and run no SQL themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from ...derive.facts import outcome_count_columns
from ...derive.ids import JURISDICTION_GEOGRAPHY_SQL, jurisdiction_id_sql, named_attribution_sql
from .. import disclosure
from .base import ATTRIBUTION_COLUMNS, Reader, Scope, rows, scalar, tuples

__all__ = [
    "JURISDICTION_ID",
    "DetainerTotals",
    "detainer_totals",
    "source_count",
    "jurisdiction_count",
    "JurisdictionListing",
    "jurisdiction_list",
    "FacilityListing",
    "facility_list",
    "jurisdiction_names",
    "SourceFile",
    "source_files",
    "PracticeCounts",
    "Practice",
    "practice",
    "LocalPractice",
    "local_practices",
    "issued_by_state",
    "RequestKindCounts",
    "by_request_kind",
    "by_request_kinds",
    "AuditFacility",
    "audit_facilities",
    "audit_facility_lists",
    "practices",
]


JURISDICTION_ID = jurisdiction_id_sql()  # a name of any length gives a bounded id
# The attribution rows with their id and the id's one name (derive/ids.py: from every row of
# the id, so a list of some of them names an id as every other page does).
NAMED_ATTRIBUTION = f"({named_attribution_sql()})"


@dataclass(frozen=True)
class DetainerTotals:
    detainers: int
    counted: int  # less the likely duplicates
    first_prepare_date: dt.date | None
    last_prepare_date: dt.date | None
    releases: int


def detainer_totals(reader: Reader) -> DetainerTotals:
    """How many detainers the store holds (and less its likely duplicates), over which days, from
    how many releases."""
    return DetainerTotals(
        *tuples(
            reader,
            "SELECT count(*), count(*) FILTER (WHERE NOT likely_duplicate), "
            "min(prepare_date)::DATE, max(prepare_date)::DATE, count(DISTINCT release) "
            "FROM detainers",
        )[0]
    )


def source_count(reader: Reader) -> int:
    """How many source files the store was built from."""
    return int(scalar(reader, "SELECT count(*) FROM sources"))


def jurisdiction_count(reader: Reader) -> int:
    """How many jurisdictions the store's facilities are attributed to (the rows of the whole
    jurisdictions list; each has a page)."""
    return int(
        scalar(reader, f"SELECT count(DISTINCT {JURISDICTION_ID}) FROM facility_attribution")
    )


def _contains(text: str) -> str:
    """An ILIKE pattern matching text literally: a searched % or _ is not a wildcard."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class JurisdictionListing(TypedDict):
    id: str
    jurisdiction_type: str | None
    name: str | None
    state: str | None
    state_fips: str | None
    county_fips: str | None
    place_fips: str | None
    facilities: int
    detainers: int
    has_doubtful_facilities: bool
    protected_facility: bool


def jurisdiction_list(
    reader: Reader,
    *,
    q: str | None = None,
    state: str | None = None,
    jurisdiction_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[JurisdictionListing]:
    """Jurisdictions with their facilities and detainers, largest first: those whose name or a
    facility's contains q, in a state (USPS code or FIPS), of a type. Each named by its one
    name (derive/ids.py), the same whichever of its facilities q matched."""
    where, params = ["true"], []
    if q:
        where.append("(jurisdiction_name ILIKE ? ESCAPE '\\' OR facility_name ILIKE ? ESCAPE '\\')")
        params += [_contains(q), _contains(q)]
    if state:
        where.append("(state_abbr = ? OR state_fips = ?)")
        params += [state.upper(), state]
    if jurisdiction_type:
        where.append("jurisdiction_type = ?")
        params.append(jurisdiction_type)
    sql = f"""
        SELECT jurisdiction_id AS id, any_value(jurisdiction_type) AS jurisdiction_type,
               min(jurisdiction_display_name) AS name,
               any_value(state_abbr) AS state, any_value(state_fips) AS state_fips,
               {JURISDICTION_GEOGRAPHY_SQL},
               count(*) AS facilities, sum(detainers) AS detainers,
               bool_or(needs_review) AS has_doubtful_facilities,
               bool_and({disclosure.protected_facilities_sql()}) AS protected_facility
        FROM {NAMED_ATTRIBUTION} WHERE {" AND ".join(where)}
        GROUP BY 1 ORDER BY detainers DESC, id LIMIT ? OFFSET ?"""
    return cast(list[JurisdictionListing], rows(reader, sql, [*params, limit, offset]))


class FacilityListing(TypedDict):
    facility: str | None
    city: str | None
    state_as_released: str | None
    code: str | None
    state: str | None
    jurisdiction_id: str | None
    jurisdiction_type: str | None
    jurisdiction_name: str | None
    county_fips: str | None
    place_fips: str | None
    confidence: float | None
    method: str | None
    needs_review: bool | None
    review_reason: str | None
    protected_facility: bool
    detainers: int | None


def facility_list(
    reader: Reader,
    *,
    q: str | None = None,
    state: str | None = None,
    jurisdiction: str | None = None,
    needs_review: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FacilityListing]:
    """Facilities as released with their attribution, most detainers first: those whose name
    contains q, in a state, of a jurisdiction id, doubtful or not."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if q:
        where.append("facility_name ILIKE ? ESCAPE '\\'")
        params.append(_contains(q))
    if state:
        where.append("(state_abbr = ? OR state_fips = ?)")
        params += [state.upper(), state]
    if jurisdiction:
        where.append("jurisdiction_id = ?")
        params.append(jurisdiction)
    if needs_review is not None:
        where.append("needs_review = ?")
        params.append(needs_review)
    sql = f"""
        SELECT facility_name AS facility, facility_city AS city, facility_state AS state_as_released,
               facility_code AS code, state_abbr AS state, jurisdiction_id,
               jurisdiction_type, jurisdiction_name, county_fips, place_fips, confidence, method,
               needs_review, review_reason, {disclosure.protected_facilities_sql()} AS protected_facility,
               detainers
        FROM {NAMED_ATTRIBUTION} WHERE {" AND ".join(where)}
        ORDER BY detainers DESC, facility_name, facility_city, facility_state, facility_code
        LIMIT ? OFFSET ?"""
    return cast(list[FacilityListing], rows(reader, sql, [*params, limit, offset]))


def jurisdiction_names(reader: Reader, jurisdiction: str | None = None) -> dict[str, str]:
    """Each jurisdiction id's one name as pages show it (derive/ids.py), or the one id's."""
    where, params = ("jurisdiction_id = ?", [jurisdiction]) if jurisdiction else ("true", [])
    return dict(
        tuples(
            reader,
            f"SELECT DISTINCT jurisdiction_id, jurisdiction_display_name FROM {NAMED_ATTRIBUTION} "
            f"WHERE {where}",
            params,
        )
    )


class SourceFile(TypedDict):
    source_id: int
    file_name: str
    sha256: str
    size_bytes: int | None
    kind: str | None
    layout: str | None
    release: str | None
    sheets: Any
    rows_in: int | None
    rows_out: int | None
    ingested_at: dt.datetime | None


def source_files(reader: Reader) -> list[SourceFile]:
    """The files the store was built from, in the order they were ingested."""
    return cast(
        list[SourceFile],
        rows(
            reader,
            "SELECT source_id, file_name, sha256, size_bytes, kind, layout, release, sheets, rows_in, "
            "rows_out, ingested_at FROM sources ORDER BY source_id",
        ),
    )


# ---- the audit of published lists ---------------------------------------------------------

PracticeCounts = tuple[int, int, int, int, int]  # issued, booked, declined, open, with_outcome


def _recorded(outcome_classes: Sequence[str]) -> str:
    return "outcome IN (" + ", ".join(f"'{c}'" for c in outcome_classes) + ")"


def _practice_columns(outcome_classes: Sequence[str]) -> str:
    recorded = _recorded(outcome_classes)
    return f"""count(*), {outcome_count_columns(("booked", "declined", "open"))},
               count(*) FILTER (WHERE {recorded}),
               count(*) FILTER (WHERE issued >= ?),
               count(*) FILTER (WHERE issued >= ? AND outcome = 'booked'),
               count(*) FILTER (WHERE issued >= ? AND outcome = 'declined'),
               count(*) FILTER (WHERE issued >= ? AND outcome = 'open'),
               count(*) FILTER (WHERE issued >= ? AND {recorded})"""


@dataclass(frozen=True)
class Practice:
    """A jurisdiction's counted detainers in a period and in its recent window, each as
    (issued, booked, declined, open, with an outcome of the given classes)."""

    whole: PracticeCounts
    recent: PracticeCounts
    first_issued: dt.date | None
    last_issued: dt.date | None


def practice(
    reader: Reader,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    recent_start: dt.date,
    outcome_classes: Sequence[str],
) -> Practice:
    """The practice of the rows in scope issued from start to end (both included), and of those
    issued from recent_start on."""
    return practices(reader, [scope], start, end, recent_start, outcome_classes)[0]


def _each_scope(scopes: Sequence[Scope], start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
    """The rows of several scopes at once, for one question asked of each: the audit asks the
    same three of every entry of a list, and one query each cost ~10 ms (~100 queries a list).
    The counted rows issued from start to end are read once; ``scoped`` holds each scope's rows
    with k, the scope's place in scopes (a row of two scopes is there twice, as a UNION ALL of
    the scopes' rows would hold it). Answers the start of a query (WITH ... scoped AS (...))
    and its parameters; the caller's SELECT over scoped follows, grouping by k (a scope without
    rows has no group)."""
    # each row once, with the place of every scope it is in (one CASE a scope; a UNION ALL of
    # one scan a scope cost three times as much); the CASEs take the scopes' parameters in order
    cases = ", ".join(f"CASE WHEN {scope.where} THEN {k} END" for k, scope in enumerate(scopes))
    params = [start, end, *(p for scope in scopes for p in scope.params)]
    if all(scope.attribution_only for scope in scopes):
        # The scopes read only a facility's attribution: the CASEs are tested once for each
        # distinct attribution of the period (hundreds), not for each row (millions at a
        # national store: ~100 CASEs a row were most of the audit), and the rows joined to the
        # scopes their attribution is in.
        cols = ", ".join(ATTRIBUTION_COLUMNS)
        same = " AND ".join(f"p.{c} IS NOT DISTINCT FROM a.{c}" for c in ATTRIBUTION_COLUMNS)
        # (period_rows read twice, never materialized: 4M rows of it held ~400 MB per query)
        period = (
            "WITH period_rows AS NOT MATERIALIZED (SELECT * FROM detainer_facts "
            "WHERE issued BETWEEN ? AND ? AND NOT likely_duplicate), "
        )
        sql = (
            f"{period}attributions AS (SELECT * FROM (SELECT unnest(list_value({cases})) AS k, "
            f"{cols} FROM (SELECT DISTINCT {cols} FROM period_rows)) WHERE k IS NOT NULL), "
            f"scoped AS (SELECT a.k, p.* FROM period_rows p JOIN attributions a ON {same}) "
        )
        return sql, params
    sql = (
        "WITH period_rows AS MATERIALIZED (SELECT * FROM detainer_facts "
        "WHERE issued BETWEEN ? AND ? AND NOT likely_duplicate), "
        f"scoped AS (SELECT * FROM (SELECT unnest(list_value({cases})) AS k, * "
        "FROM period_rows) WHERE k IS NOT NULL) "
    )
    return sql, params


def practices(
    reader: Reader,
    scopes: Sequence[Scope],
    start: dt.date,
    end: dt.date,
    recent_start: dt.date,
    outcome_classes: Sequence[str],
) -> list[Practice]:
    """practice() of each scope, in the scopes' order, asked in one query."""
    if not scopes:
        return []
    sql, params = _each_scope(scopes, start, end)
    got = {
        r[0]: Practice(r[1:6], r[6:11], r[11], r[12])
        for r in tuples(
            reader,
            f"{sql} SELECT k, {_practice_columns(outcome_classes)}, min(issued), max(issued) "
            "FROM scoped GROUP BY k",
            [*params, *[recent_start] * 5],
        )
    }
    # a scope without rows: what the aggregate of no rows answers (counts 0, no dates)
    empty = Practice((0, 0, 0, 0, 0), (0, 0, 0, 0, 0), None, None)
    return [got.get(k, empty) for k in range(len(scopes))]


@dataclass(frozen=True)
class LocalPractice:
    id: str
    name: str | None
    jurisdiction_type: str | None
    state: str | None
    state_fips: str | None
    whole: PracticeCounts
    recent: PracticeCounts


def local_practices(
    reader: Reader,
    start: dt.date,
    end: dt.date,
    recent_start: dt.date,
    outcome_classes: Sequence[str],
) -> list[LocalPractice]:
    """Every county and city with counted detainers issued from start to end, with its practice
    in the period and from recent_start on."""
    return [
        LocalPractice(r[0], r[1], r[2], r[3], r[4], r[5:10], r[10:15])
        for r in tuples(
            reader,
            f"""
        SELECT jurisdiction_id, any_value(jurisdiction_name), any_value(jurisdiction_type),
               any_value(state_abbr), any_value(state_fips),
               {_practice_columns(outcome_classes)}
        FROM detainer_facts WHERE issued BETWEEN ? AND ? AND NOT likely_duplicate
          AND jurisdiction_type IN ('county', 'city')
        GROUP BY 1 ORDER BY 1""",
            [recent_start] * 5 + [start, end],
        )
    ]


def issued_by_state(reader: Reader, start: dt.date, end: dt.date) -> dict[str, int]:
    """Detainer records issued from start to end (any custody, duplicates too) by state FIPS."""
    return dict(
        tuples(
            reader,
            """SELECT state_fips, count(*) FROM detainer_facts
        WHERE issued BETWEEN ? AND ? GROUP BY 1""",
            [start, end],
        )
    )


@dataclass(frozen=True)
class RequestKindCounts:
    request_kind: str
    issued: int
    booked: int
    declined: int


def by_request_kind(
    reader: Reader, scope: Scope, start: dt.date, end: dt.date
) -> list[RequestKindCounts]:
    """Counted detainers in scope issued from start to end, by request kind (hold or notification)."""
    return by_request_kinds(reader, [scope], start, end)[0]


def by_request_kinds(
    reader: Reader, scopes: Sequence[Scope], start: dt.date, end: dt.date
) -> list[list[RequestKindCounts]]:
    """by_request_kind() of each scope, in the scopes' order, asked in one query."""
    out: list[list[RequestKindCounts]] = [[] for _ in scopes]
    if not scopes:
        return out
    sql, params = _each_scope(scopes, start, end)
    sql += (
        "SELECT k, request_kind, count(*), count(*) FILTER (WHERE outcome = 'booked'), "
        "count(*) FILTER (WHERE outcome = 'declined') FROM scoped GROUP BY k, request_kind"
    )
    for r in tuples(reader, f"{sql} ORDER BY k, request_kind", params):
        out[r[0]].append(RequestKindCounts(*r[1:]))
    return out


@dataclass(frozen=True)
class AuditFacility:
    facility: str | None
    city: str | None
    jurisdiction: str | None
    issued: int
    declined: int
    protected_facility: bool


def audit_facilities(
    reader: Reader, scope: Scope, start: dt.date, end: dt.date
) -> list[AuditFacility]:
    """The 50 facilities in scope with most counted detainers issued from start to end."""
    return audit_facility_lists(reader, [scope], start, end)[0]


def audit_facility_lists(
    reader: Reader, scopes: Sequence[Scope], start: dt.date, end: dt.date
) -> list[list[AuditFacility]]:
    """audit_facilities() of each scope, in the scopes' order, asked in one query. Whether a
    facility is for children or a hospital is tested once per name, city and code, not once
    per row."""
    out: list[list[AuditFacility]] = [[] for _ in scopes]
    if not scopes:
        return out
    sql, params = _each_scope(scopes, start, end)
    sql += (
        "SELECT k, facility_name, facility_city, facility_code, any_value(jurisdiction_name) AS j, "
        "count(*) AS n, count(*) FILTER (WHERE outcome = 'declined') AS d FROM scoped "
        "GROUP BY k, facility_name, facility_city, facility_code"
    )
    for r in tuples(
        reader,
        f"""SELECT k, facility_name, facility_city, any_value(j), sum(n)::BIGINT AS issued,
                   sum(d)::BIGINT, bool_or({disclosure.protected_facilities_sql()})
            FROM ({sql}) GROUP BY k, facility_name, facility_city
            QUALIFY row_number() OVER (PARTITION BY k ORDER BY issued DESC, facility_name,
                                       facility_city) <= 50
            ORDER BY k, issued DESC, facility_name, facility_city""",
        params,
    ):
        out[r[0]].append(AuditFacility(*r[1:]))
    return out
