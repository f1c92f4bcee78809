"""Releases reconciled: every detainer counted once.

ICE's deliveries overlap, and person identifiers are re-anonymized in every release, so two
releases' rows for the same weeks cannot be matched and must not be summed. The store keeps
every release's rows; this module decides, for each day, the one release whose rows count
that day, under the reviewed rule in ``hand/release_precedence.yaml`` (default: the newest
whole release whose stated period covers the day).

- ``source_coverage`` (table): for every detainer source, the period it covers (from its
  preamble's date range, its sheet names, else its rows) and whether it is whole or a
  filtered subset.
- ``release_segments`` (table): release, first day, last day: who supplies each day.
- ``register_days(con)``: the TEMP table ``dw_release_days`` (release, day) the facts view
  joins, so ``detainer_facts`` holds for each day only the rows of the release supplying it.
- ``use_release(con, name)``: this connection counts one release alone (``--release NAME``).
- ``coverage_releases(con, start, end)`` and ``coverage_line(...)``: the releases and periods
  a count over a period used, for every page's coverage line.

Both tables are written by ``refresh(con)`` after every ingest (pipeline.after_ingest) and
stamped; on a store whose stamp does not match the hand file and sources, the segments are
computed live on the connection (read-only stores included).
"""

from __future__ import annotations

from typing import Any

import datetime as dt
import hashlib
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import duckdb

from ..errors import UsageError
from ..handfiles import hand_path, read_yaml
from ..sources import preamble as pre
from duckdb import DuckDBPyConnection
from ..store.schema import create_temp_table

PRECEDENCE_FILE = "release_precedence.yaml"
RULES = ("newest_whole",)
ORDER_KEYS = ("released", "covers_to", "ingested")
BASIS = {
    "covered": "newest whole release covering the day",
    "subset": "no whole release covers the day: newest filtered subset covering it",
    "rows": "rows outside every release's stated period: newest release with rows that day",
}
DAY = dt.timedelta(days=1)


# --- the hand file -----------------------------------------------------------------------------


def precedence_hash() -> str:
    return hashlib.sha256(hand_path(PRECEDENCE_FILE).read_bytes()).hexdigest()


def load_rules() -> dict[str, Any]:
    """The reviewed precedence rule, checked: a bad entry names the file and the key."""
    path = hand_path(PRECEDENCE_FILE)
    try:  # parsed once per process while the file is unchanged (handfiles); read, never changed
        rules = read_yaml(PRECEDENCE_FILE) or {}
    except Exception as exc:
        import yaml  # only here: a file read from its JSON form (handfiles) needs no parser

        if not isinstance(exc, yaml.YAMLError):
            raise
        raise UsageError(f"{path}: expected YAML ({str(exc).splitlines()[0]})") from None
    if rules.get("rule", "newest_whole") not in RULES:
        raise UsageError(
            f"{path}: rule: expected one of {', '.join(RULES)}, found {rules['rule']!r}"
        )
    order = rules.get("newest_by") or list(ORDER_KEYS)
    bad = [k for k in order if k not in ORDER_KEYS]
    if bad:
        raise UsageError(
            f"{path}: newest_by: expected keys from {', '.join(ORDER_KEYS)}, found {bad[0]!r}"
        )
    released = {}
    for tag, value in (rules.get("released") or {}).items():
        try:
            released[str(tag)] = (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            )
        except ValueError:
            raise UsageError(
                f"{path}: released: {tag}: expected a date YYYY-MM-DD, found {value!r}"
            ) from None
    return {
        "rule": rules.get("rule", "newest_whole"),
        "newest_by": list(order),
        "released": released,
        "subset_releases": {str(x) for x in rules.get("subset_releases") or []},
        "subset_layouts": {str(x) for x in rules.get("subset_layouts") or []},
    }


# --- what each source covers ------------------------------------------------------------------


def _merge(intervals: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    out: list[list[dt.date]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1] + DAY:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def source_coverage(
    con: DuckDBPyConnection, rules: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per stated period of every detainer source: the period, where it was read
    from, whether the source holds a whole release, and its rows."""
    rules = rules or load_rules()
    # Ingest records a filtered download (gaps in the upstream row numbers) in source_extent.
    sources = con.execute(
        "SELECT s.source_id, s.file_name, s.layout, s.release, s.preamble, "
        "CASE WHEN e.coverage = 'subset' THEN coalesce(e.evidence, 'subset') END "
        "FROM sources s LEFT JOIN source_extent e USING (source_id) "
        "WHERE s.kind = 'detainers' ORDER BY s.source_id"
    ).fetchall()
    sheets: dict[int, list[tuple[Any, ...]]] = {}
    for sid, sheet, lo, hi, n in con.execute(
        "SELECT source_id, sheet, min(prepare_date)::DATE, max(prepare_date)::DATE, count(*) "
        "FROM detainers GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        sheets.setdefault(sid, []).append((sheet, lo, hi, n))
    out = []
    for sid, file_name, layout, release, text, subset_flag in sources:
        mine = sheets.get(sid, [])
        rows = sum(s[3] for s in mine)
        days = [d for s in mine for d in s[1:3] if d is not None]
        rows_from, rows_to = (min(days), max(days)) if days else (None, None)
        periods: list[tuple[tuple[dt.date | None, dt.date | None], str]] = list(
            _periods(text, mine, rows_to)
        )
        reason = None
        if release in rules["subset_releases"]:
            reason = f"release {release} listed as a subset in hand/{PRECEDENCE_FILE}"
        elif layout in rules["subset_layouts"]:
            reason = f"layout {layout} listed as a subset in hand/{PRECEDENCE_FILE}"
        elif subset_flag:
            reason = f"recorded as a filtered subset at ingest ({subset_flag})"
        for (start, end), basis in periods or [((None, None), "no dated rows")]:
            out.append(
                {
                    "source_id": sid,
                    "release": release,
                    "file_name": file_name,
                    "layout": layout,
                    "request": pre.request_number(text),
                    "covers_from": start,
                    "covers_to": end,
                    "basis": basis,
                    "whole": reason is None,
                    "subset_reason": reason,
                    "rows": rows,
                    "rows_from": rows_from,
                    "rows_to": rows_to,
                }
            )
    return out


def _periods(
    text: str | None, sheets: list[tuple[Any, ...]], rows_to: dt.date | None
) -> list[tuple[tuple[dt.date, dt.date], str]]:
    """The periods a source states: its preamble's date range; the fiscal years its sheets are
    named for (clipped to the preamble's range where it starts or ends inside them; the latest
    fiscal year ends at the last row when the preamble does not say); else its rows."""
    stated = pre.date_range(text)
    years = sorted({fy for fy in (pre.fiscal_year(s[0]) for s in sheets if s[3]) if fy})
    found: list[tuple[tuple[dt.date, dt.date], str]] = []
    if stated:
        found.append((stated, "preamble date range"))
    for k, (start, end) in enumerate(years):
        label = f"sheet name FY{end.year}"
        if stated and start <= stated[0] <= end:
            start = stated[0]
        if stated and start <= stated[1] <= end:
            end = stated[1]
        elif k == len(years) - 1 and rows_to is not None and not (stated and stated[1] >= end):
            end = min(end, max(rows_to, start))
        if stated and stated[0] <= start and end <= stated[1]:
            continue  # inside the preamble's range already
        found.append(((start, end), label))
    if not found:
        for _sheet, lo, hi, _n in sheets:
            if lo is not None:
                found.append(((lo, hi), "first to last prepare date of its rows"))
    merged = []
    for start, end in _merge([p for p, _ in found]):
        bases = sorted({b for (s, e), b in found if s <= end and e >= start})
        merged.append(((start, end), "; ".join(bases)))
    return merged


# --- which release supplies each day ----------------------------------------------------------


@dataclass
class Release:
    tag: str
    layouts: set[Any] = field(default_factory=set)
    files: list[Any] = field(default_factory=list)
    periods: list[Any] = field(default_factory=list)  # merged (from, to), inclusive
    whole: bool = True
    subset_reasons: list[Any] = field(default_factory=list)
    rows: int = 0
    released: dt.date | None = None
    last_source: int = 0
    source_periods: dict[int, list[tuple[dt.date, dt.date]]] = field(
        default_factory=dict
    )  # source_id -> [(from, to)]
    source_whole: dict[int, bool] = field(default_factory=dict)  # source_id -> whole?

    @property
    def covers_to(self) -> dt.date | None:
        return max((e for _, e in self.periods), default=None)

    def covering(self, day: dt.date, whole: bool) -> tuple[int, ...]:
        """Its sources (whole ones, or subsets) whose stated period holds the day."""
        return tuple(
            sid
            for sid, periods in sorted(self.source_periods.items())
            if self.source_whole[sid] == whole and any(s <= day <= e for s, e in periods)
        )


def _releases(coverage: list[dict[str, Any]], rules: dict[str, Any]) -> list[Release]:
    found: dict[str, Release] = {}
    counted: set[int] = set()
    for c in coverage:
        r = found.setdefault(c["release"], Release(c["release"]))
        r.layouts.add(c["layout"])
        if c["source_id"] not in counted:
            counted.add(c["source_id"])
            r.files.append(c["file_name"])
            r.rows += c["rows"]
            stamp = pre.file_stamp(c["file_name"])
            if stamp and (r.released is None or stamp > r.released):
                r.released = stamp
        r.source_whole[c["source_id"]] = c["whole"]
        r.source_periods.setdefault(c["source_id"], [])
        if c["covers_from"] is not None:
            r.periods.append((c["covers_from"], c["covers_to"]))
            r.source_periods[c["source_id"]].append((c["covers_from"], c["covers_to"]))
        if not c["whole"]:
            r.whole = False
            if c["subset_reason"] not in r.subset_reasons:
                r.subset_reasons.append(c["subset_reason"])
        r.last_source = max(r.last_source, c["source_id"])
    for r in found.values():
        r.periods = _merge(r.periods)
        r.whole = any(r.source_whole.values())  # holds a whole file (subsets listed apart)
        if r.tag in rules["released"]:
            r.released = rules["released"][r.tag]
    return _newest_first(list(found.values()), rules)


def _newest_first(releases: list[Release], rules: dict[str, Any]) -> list[Release]:
    """Newest first by the hand file's keys; a key some release lacks is not used at all (so
    the order stays one order)."""
    keys: list[Callable[[Release], Any]] = []
    for key in rules["newest_by"]:
        if key == "released" and releases and all(r.released for r in releases):
            keys.append(lambda r: r.released)
        elif key == "covers_to":
            keys.append(lambda r: r.covers_to or dt.date.min)
        elif key == "ingested":
            keys.append(lambda r: r.last_source)
    return sorted(releases, key=lambda r: tuple(k(r) for k in keys) + (r.tag,), reverse=True)


def _pick(
    day: dt.date, newest: list[Release], row_days: dict[int, dict[dt.date, int]]
) -> tuple[Release | None, tuple[Any, ...], str]:
    """The release supplying a day, the sources of it whose rows count, and why. Within the
    release, whole sources win over subsets (a filtered download of the same release)."""
    for whole, basis in ((True, "covered"), (False, "subset")):
        for r in newest:
            ids = r.covering(day, whole)
            if ids:
                return r, ids, basis
    for r in newest:
        with_rows = [sid for sid in sorted(r.source_periods) if day in row_days.get(sid, {})]
        if with_rows:
            whole_ids = [sid for sid in with_rows if r.source_whole[sid]]
            return r, tuple(whole_ids or with_rows), "rows"
    return None, (), ""


def compute(
    con: DuckDBPyConnection, rules: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The coverage rows and the segments (release, day_from, day_to, days, rows, basis,
    sources: the ids of the release's sources whose rows count on those days)."""
    rules = rules or load_rules()
    coverage = source_coverage(con, rules)
    newest = _releases(coverage, rules)
    row_days: dict[int, dict[dt.date, int]] = {}
    for sid, day, n in con.execute(
        "SELECT source_id, prepare_date::DATE, count(*) FROM detainers "
        "WHERE prepare_date IS NOT NULL GROUP BY ALL"
    ).fetchall():
        row_days.setdefault(sid, {})[day] = n
    bounds = [d for r in newest for p in r.periods for d in p]
    bounds += [d for days in row_days.values() for d in (min(days), max(days))]
    segments: list[dict[str, Any]] = []
    if not bounds:
        return coverage, segments
    day, last = min(bounds), max(bounds)
    while day <= last:
        pick, ids, basis = _pick(day, newest, row_days)
        if pick is not None:
            n = sum(row_days.get(sid, {}).get(day, 0) for sid in ids)
            sources = ",".join(map(str, ids))
            seg = segments[-1] if segments else None
            if (
                seg
                and seg["release"] == pick.tag
                and seg["basis"] == BASIS[basis]
                and seg["sources"] == sources
                and seg["day_to"] == day - DAY
            ):
                seg["day_to"], seg["days"], seg["rows"] = day, seg["days"] + 1, seg["rows"] + n
            else:
                segments.append(
                    {
                        "release": pick.tag,
                        "day_from": day,
                        "day_to": day,
                        "days": 1,
                        "rows": n,
                        "basis": BASIS[basis],
                        "sources": sources,
                    }
                )
        day += DAY
    return coverage, segments


# What the answers below cannot change while a connection is open, kept per connection object
# (a collected connection's entries go with it): the sources of a store opened read-only (no
# ingest can write it while it is open, in this process or another), and the release a
# connection counts alone (only use_release writes dw_release_override, and it keeps its answer).
# A report asked both 6-8 times, each a catalog or table scan of 2-3 ms at 4M rows (issue 16).
_SOURCES: weakref.WeakKeyDictionary[DuckDBPyConnection, tuple[int, Any]] = (
    weakref.WeakKeyDictionary()
)
_ALONE: weakref.WeakKeyDictionary[DuckDBPyConnection, str | None] = weakref.WeakKeyDictionary()


def sources_count(con: DuckDBPyConnection) -> tuple[int, Any]:
    """How many sources the store holds and the newest source id (an ingest only adds one)."""
    kept = _SOURCES.get(con)
    if kept is not None:
        return kept
    n, last, mode = con.execute(
        "SELECT count(*), max(source_id), current_setting('access_mode') FROM sources"
    ).fetchall()[0]
    if str(mode).lower() == "read_only":
        _SOURCES[con] = (n, last)
    return n, last


def _store_state(con: DuckDBPyConnection) -> str:
    n, last = sources_count(con)
    return f"{precedence_hash()}:{n}:{last}"


def refresh(con: DuckDBPyConnection) -> None:
    """Recompute source_coverage and release_segments (inside the caller's transaction)."""
    coverage, segments = compute(con)
    con.execute("DELETE FROM source_coverage")
    con.execute("DELETE FROM release_segments")
    cols = [
        "source_id",
        "release",
        "file_name",
        "layout",
        "request",
        "covers_from",
        "covers_to",
        "basis",
        "whole",
        "subset_reason",
        "rows",
        "rows_from",
        "rows_to",
    ]
    if coverage:
        con.executemany(
            f"INSERT INTO source_coverage ({', '.join(cols)}) VALUES "
            f"({', '.join('?' * len(cols))})",
            [[c[k] for k in cols] for c in coverage],
        )
    seg_cols = ["release", "day_from", "day_to", "days", "rows", "basis", "sources"]
    if segments:
        con.executemany(
            f"INSERT INTO release_segments ({', '.join(seg_cols)}) VALUES "
            f"({', '.join('?' * len(seg_cols))})",
            [[s[k] for k in seg_cols] for s in segments],
        )
    con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('release_segments_state', ?)", [_store_state(con)]
    )


def _stored_valid(con: DuckDBPyConnection) -> bool:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'release_segments_state'").fetchall()
    except duckdb.Error:
        return False
    return bool(row) and row[0][0] == _store_state(con)


def stored_or_computed(
    con: DuckDBPyConnection,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Coverage and segments: the stored tables while they match the hand file and the
    sources, else computed now (a store ingested before the rule changed)."""
    if _stored_valid(con):

        def rows(sql: str) -> list[dict[str, Any]]:
            result = con.execute(sql)
            names = [d[0] for d in result.description]
            return [dict(zip(names, r, strict=True)) for r in result.fetchall()]

        return (
            rows("SELECT * FROM source_coverage ORDER BY source_id, covers_from"),
            rows("SELECT * FROM release_segments ORDER BY day_from"),
        )
    return compute(con)


def register_days(con: DuckDBPyConnection) -> None:
    """TEMP table dw_release_days (source_id, day): the sources whose rows count each day (of
    the one release supplying it)."""
    _, segments = stored_or_computed(con)
    create_temp_table(con, "dw_release_days", "source_id INTEGER, day DATE")
    spans = [
        [int(sid), s["day_from"], s["day_to"]]
        for s in segments
        for sid in (s["sources"] or "").split(",")
        if sid
    ]
    if spans:
        con.executemany(
            "INSERT INTO dw_release_days SELECT ?, unnest(generate_series(?::DATE, ?::DATE, "
            "INTERVAL 1 DAY))::DATE",
            spans,
        )


SUPPLIED_FILTER = """(EXISTS (SELECT 1 FROM dw_release_days r WHERE r.source_id = f.source_id AND r.day = f.issued)
    OR (f.issued IS NULL AND f.source_id IN (SELECT source_id FROM dw_release_days)))"""
"""The facts of the sources supplying their day. A row without a prepare date belongs to no
day: it is kept when its source supplies any day."""


# --- one release alone (--release NAME) --------------------------------------------------------


def release_names(con: DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT release FROM sources WHERE kind = 'detainers' ORDER BY 1"
        ).fetchall()
    ]


def use_release(con: DuckDBPyConnection, name: str | None) -> None:
    """Count one release alone on this connection (every report, profile and audit built on it),
    instead of the precedence rule; None goes back to the rule."""
    _ALONE.pop(con, None)
    create_temp_table(con, "dw_release_override", "release VARCHAR")
    if name is None:
        _ALONE[con] = None
        return
    names = release_names(con)
    if name not in names:
        listed = ", ".join(names) if names else "none"
        raise UsageError(f"--release {name!r}: no such release in the store (releases: {listed})")
    con.execute("INSERT INTO dw_release_override VALUES (?)", [name])
    _ALONE[con] = name


def override(con: DuckDBPyConnection) -> str | None:
    """The release this connection counts alone, or None (the precedence rule)."""
    if con in _ALONE:
        return _ALONE[con]
    if not con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = 'dw_release_override'"
    ).fetchall():
        alone = None  # (a failed query would abort the caller's transaction)
    else:
        row = con.execute("SELECT release FROM dw_release_override").fetchall()
        alone = row[0][0] if row else None
    _ALONE[con] = alone  # use_release, which alone writes the table, keeps its own answer
    return alone


# --- what a count used ------------------------------------------------------------------------


def releases_table(con: DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every release in the store: layouts, files, periods covered (and where they were read
    from), whole or subset, rows, and the days it currently supplies."""
    rules = load_rules()
    coverage, segments = stored_or_computed(con)
    out = []
    for r in _releases(coverage, rules):
        mine = [c for c in coverage if c["release"] == r.tag]
        supplies = [s for s in segments if s["release"] == r.tag]
        out.append(
            {
                "release": r.tag,
                "layouts": sorted(r.layouts),
                "files": r.files,
                "requests": sorted({c["request"] for c in mine if c["request"]}),
                "covers": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in r.periods],
                "covers_basis": sorted({c["basis"] for c in mine}),
                "whole": r.whole,
                "subset_reasons": r.subset_reasons,
                "rows": r.rows,
                "rows_from": min((c["rows_from"] for c in mine if c["rows_from"]), default=None),
                "rows_to": max((c["rows_to"] for c in mine if c["rows_to"]), default=None),
                "released": r.released.isoformat() if r.released else None,
                "supplies": [
                    {
                        "from": s["day_from"].isoformat(),
                        "to": s["day_to"].isoformat(),
                        "days": s["days"],
                        "rows": s["rows"],
                        "basis": s["basis"],
                    }
                    for s in supplies
                ],
                "days_supplied": sum(s["days"] for s in supplies),
                "rows_supplied": sum(s["rows"] for s in supplies),
                "warnings": _overlapping_files(mine),
            }
        )
    for row in out:
        for k in ("rows_from", "rows_to"):
            row[k] = row[k].isoformat() if row[k] else None
    return out


def _overlapping_files(coverage: list[dict[str, Any]], days: int = 7) -> list[str]:
    """Whole files of one release whose rows share more than a week: likely two deliveries
    under one tag, which would both count (only releases are chosen between)."""
    files = {}
    for c in coverage:
        if c["whole"] and c["rows_from"]:
            files[c["source_id"]] = (c["file_name"], c["rows_from"], c["rows_to"])
    out = []
    ids = sorted(files)
    for i, x in enumerate(ids):
        for y in ids[i + 1 :]:
            (fx, ax, bx), (fy, ay, by) = files[x], files[y]
            start, end = max(ax, ay), min(bx, by)
            if (end - start).days + 1 > days:
                out.append(
                    f"{fx} and {fy} both hold rows for {start} to {end}: if they are two "
                    "deliveries, ingest them with distinct --release tags (within a "
                    "release every whole file counts)"
                )
    return out


def _clip(
    periods: Iterable[tuple[dt.date, dt.date]], start: dt.date | None, end: dt.date | None
) -> list[tuple[dt.date, dt.date]]:
    out = []
    for a, b in periods:
        a2, b2 = max(a, start) if start else a, min(b, end) if end else b
        if a2 <= b2:
            out.append((a2, b2))
    return out


def coverage_releases(
    con: DuckDBPyConnection, start: dt.date | None = None, end: dt.date | None = None
) -> list[dict[str, Any]]:
    """The releases behind a count over [start, end] on this connection (the precedence rule,
    or the one release of use_release), newest first: each with ``used`` (its rows are
    counted), ``periods`` (the days it supplies within the window, from/to ISO dates),
    ``days``, ``covers`` (what it states it covers within the window) and ``why``. Releases
    that cover part of the window but are not counted there are listed with used False.
    For coverage lines on every page: see coverage_line()."""
    alone = override(con)
    coverage, segments = stored_or_computed(con)
    rules = load_rules()
    out = []
    for r in _releases(coverage, rules):
        covers = _clip(r.periods, start, end)
        if alone:
            rows = [
                (c["rows_from"], c["rows_to"])
                for c in coverage
                if c["release"] == r.tag and c["rows_from"]
            ]  # its rows count, all of them
            used = _clip(_merge(r.periods + rows), start, end) if r.tag == alone else []
            why = (
                "counted alone (--release)" if r.tag == alone else f"not counted: --release {alone}"
            )
        else:
            used = _clip(
                [(s["day_from"], s["day_to"]) for s in segments if s["release"] == r.tag],
                start,
                end,
            )
            used = _merge(used)
            if used:
                why = "; ".join(
                    sorted(
                        {
                            s["basis"]
                            for s in segments
                            if s["release"] == r.tag
                            and _clip([(s["day_from"], s["day_to"])], start, end)
                        }
                    )
                )
            else:
                why = (
                    "not counted here: another release supplies these days "
                    f"(hand/{PRECEDENCE_FILE})"
                )
        if not used and not covers:
            continue
        out.append(
            {
                "release": r.tag,
                "used": bool(used),
                "whole": r.whole,
                "layouts": sorted(r.layouts),
                "periods": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in used],
                "days": sum((b - a).days + 1 for a, b in used),
                "covers": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in covers],
                "why": why,
            }
        )
    return out


def coverage_line(
    con: DuckDBPyConnection, start: dt.date | None = None, end: dt.date | None = None
) -> str:
    """One sentence naming the releases and periods a count over [start, end] used."""
    found = coverage_releases(con, start, end)
    used = [r for r in found if r["used"]]
    if not used:
        return "No release in the store covers this period: not covered."

    def spans(periods: list[dict[str, Any]]) -> str:
        return ", ".join(
            p["from"] if p["from"] == p["to"] else f"{p['from']} to {p['to']}" for p in periods
        )

    text = "Counted from " + "; ".join(
        f"{r['release']} ({spans(r['periods'])}{'' if r['whole'] else '; a filtered subset'})"
        for r in used
    )
    others = [r for r in found if not r["used"]]
    if others:
        text += (
            ". Also covering part of it, not counted (each day from one release only): "
            + "; ".join(f"{r['release']} ({spans(r['covers'])})" for r in others)
        )
    return text + "."


def release_span(con: DuckDBPyConnection, name: str) -> tuple[dt.date, dt.date]:
    """First and last day of one release: its stated periods and its rows."""
    coverage, _ = stored_or_computed(con)
    days = [
        d
        for c in coverage
        if c["release"] == name
        for d in (c["covers_from"], c["covers_to"], c["rows_from"], c["rows_to"])
        if d
    ]
    if not days:
        raise UsageError(f"--release {name!r}: the release holds no dated detainers")
    return min(days), max(days)
