"""Checks of a file against itself, run inside the ingest's transaction and kept in the load
report (table ``load_checks``; ``FileReport.checks``):

- republished rows (the Deportation Data Project's files): their upstream row numbers, which
  say whether the file is a whole table or a filtered download (``source_extent``), and
  their ``duplicate_likely`` flag against the store's own rule;
- an ICE LESA-STU area workbook: the totals of its Summary sheet against the rows loaded.

A failed check is reported, never silently passed and never a reason to refuse the file: the
rows are what ICE released; the check says where they and the file's own totals disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..sources.fields import EVENT_DATE
from .schema import TARGET_TABLE
from duckdb import DuckDBPyConnection

if TYPE_CHECKING:
    from ..sources.readers import Workbook
    from .ingest import FileReport

# DDP numbers rows per upstream sheet as Excel shows them, with the header on row 7.
UPSTREAM_FIRST_ROW = 8


@dataclass
class Check:
    sheet: str | None
    name: str
    subject: str
    expected: int | None
    found: int | None
    ok: bool | None  # None: not comparable (said in the note)
    note: str = ""
    verdict: str | None = None  # a word for a failed check that is not an error ("SUBSET")

    def line(self) -> str:
        verdict = self.verdict or {True: "ok", False: "MISMATCH", None: "not comparable"}[self.ok]
        counts = ""
        if self.expected is not None or self.found is not None:
            counts = f": expected {_n(self.expected)}, found {_n(self.found)}"
        where = f"sheet {self.sheet!r}, " if self.sheet else ""
        return f"{verdict}: {where}{self.name} {self.subject}{counts}" + (
            f" ({self.note})" if self.note else ""
        )


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def run_checks(con: DuckDBPyConnection, report: FileReport, workbook: Workbook) -> list[Check]:
    checks: list[Check] = []
    layouts = list({sheet.layout.name: sheet.layout for sheet in workbook.sheets}.values())
    if any("upstream_row" in layout.columns.values() for layout in layouts):
        checks += _upstream_checks(con, report)
    if any(layout.name.startswith("lesa_stu_") for layout in layouts):
        checks += _summary_checks(con, report, workbook)
    if checks:
        con.executemany(
            "INSERT INTO load_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [report.source_id, c.sheet, c.name, c.subject, c.expected, c.found, c.ok, c.note]
                for c in checks
            ],
        )
    return checks


def _upstream_checks(con: DuckDBPyConnection, report: FileReport) -> list[Check]:
    assert report.kind is not None  # an ingested file's kind is known
    table = TARGET_TABLE[report.kind]
    sid = report.source_id
    checks = []
    groups = con.execute(
        f"SELECT upstream_sheet, count(*), min(upstream_row), max(upstream_row), "
        f"count(DISTINCT upstream_row), count(DISTINCT upstream_file) FROM {table} "
        f"WHERE source_id = ? AND upstream_row IS NOT NULL GROUP BY 1 ORDER BY 1",
        [sid],
    ).fetchall()
    missing = con.execute(
        f"SELECT count(*) FILTER (WHERE upstream_row IS NULL), count(*) "
        f"FROM {table} WHERE source_id = ?",
        [sid],
    ).fetchall()[0]
    gaps = []
    for sheet, n, lo, hi, distinct, files in groups:
        span = hi - UPSTREAM_FIRST_ROW + 1
        whole = lo == UPSTREAM_FIRST_ROW and distinct == n == span
        note = f"upstream rows {lo:,}-{hi:,} of {files} file(s)" + (
            ""
            if whole
            else f"; {span - distinct:,} rows of rows {UPSTREAM_FIRST_ROW}-{hi:,} "
            "are not in this file: a filtered download, a subset of the table"
        )
        if distinct != n:
            note += f"; {n - distinct:,} rows repeat an upstream row number"
        checks.append(
            Check(
                None,
                "upstream rows",
                f"of upstream sheet {sheet!r}",
                span,
                distinct,
                whole,
                note,
                verdict=None if whole else "SUBSET",
            )
        )
        if not whole:
            gaps.append(f"{sheet}: {distinct:,} of upstream rows {UPSTREAM_FIRST_ROW}-{hi:,}")
    if missing[0]:
        checks.append(
            Check(
                None,
                "upstream rows",
                "present",
                missing[1],
                missing[1] - missing[0],
                False,
                f"{missing[0]:,} rows carry no row_original",
            )
        )
        gaps.append(f"{missing[0]:,} rows without an upstream row")
    if gaps:
        coverage, evidence = "subset", "filtered download: " + "; ".join(gaps)
    else:
        coverage = "whole"
        evidence = (
            "every upstream sheet's rows run from row 8 without a gap (rows after the "
            "last one in the file cannot be checked)"
        )
    con.execute("INSERT OR REPLACE INTO source_extent VALUES (?, ?, ?)", [sid, coverage, evidence])
    if report.kind == "detainers":
        checks.append(_duplicate_check(con, report))
    else:
        flagged = con.execute(
            f"SELECT count(*) FROM {table} WHERE source_id = ? AND "
            f"upper(upstream_duplicate_likely) = 'TRUE'",
            [sid],
        ).fetchall()[0][0]
        checks.append(
            Check(
                None,
                "upstream duplicate_likely",
                "rows flagged by the publisher",
                None,
                flagged,
                None,
                "kept as released; the store flags no "
                f"duplicates in {table} (the publisher's rule for them is its own)",
            )
        )
    return checks


def _duplicate_check(con: DuckDBPyConnection, report: FileReport) -> Check:
    """DDP marks every row of a group sharing prepare date and identifier; the store marks every
    row after the first sharing identifier and prepare day in the release. Compared by group:
    a row is in a group of two or more by both rules, or the rules disagree on it."""
    sid = report.source_id
    both, ddp_only, ours_only, examples = con.execute(
        """WITH groups AS (
             SELECT person_id, CAST(prepare_date AS DATE) AS day, count(*) AS n
             FROM detainers WHERE release = ? AND person_id IS NOT NULL GROUP BY 1, 2),
           mine AS (
             SELECT d.row_number, upper(d.upstream_duplicate_likely) = 'TRUE' AS theirs,
                    coalesce(g.n, 1) > 1 AS ours
             FROM detainers d LEFT JOIN groups g
               ON g.person_id = d.person_id AND g.day = CAST(d.prepare_date AS DATE)
             WHERE d.source_id = ?)
           SELECT count(*) FILTER (WHERE theirs AND ours),
                  count(*) FILTER (WHERE theirs AND NOT ours),
                  count(*) FILTER (WHERE ours AND NOT coalesce(theirs, false)),
                  list(row_number ORDER BY row_number) FILTER (WHERE coalesce(theirs, false) <> ours)
           FROM mine""",
        [report.release, sid],
    ).fetchall()[0]
    disagree = ddp_only + ours_only
    note = (
        f"{ddp_only:,} rows flagged upstream in no group here (e.g. the other row is not "
        f"in this file), {ours_only:,} rows in a group here not flagged upstream"
    )
    if disagree:
        note += "; e.g. rows " + ", ".join(map(str, (examples or [])[:5]))
    return Check(
        None,
        "upstream duplicate_likely",
        "against the store's rule (by group)",
        both + ddp_only,
        both + ours_only,
        disagree == 0,
        note,
    )


_FY = "year({d}) + CASE WHEN month({d}) >= 10 THEN 1 ELSE 0 END"
_SERIES = {"arrests": ("arrests", "Arrests"), "book_ins": ("stints", "Book Ins")}


def _summary_checks(con: DuckDBPyConnection, report: FileReport, workbook: Workbook) -> list[Check]:
    from ..sources.lesa_summary import read_summary

    found = read_summary(workbook.file)
    if found is None:
        return [
            Check(
                None,
                "Summary totals",
                "of the workbook",
                None,
                None,
                False,
                "no Summary sheet: the rows could not be checked against ICE's totals",
            )
        ]
    name, totals = found
    sid = report.source_id
    checks: list[Check] = []
    if not totals:
        return [
            Check(
                name,
                "Summary totals",
                "tables",
                None,
                None,
                False,
                "no table of totals by fiscal year recognised on the sheet",
            )
        ]
    for series, (kind, label) in _SERIES.items():
        if series not in totals:
            checks.append(
                Check(
                    name,
                    "Summary totals",
                    label,
                    None,
                    None,
                    False,
                    "no such table on the Summary sheet",
                )
            )
            continue
        date = EVENT_DATE[kind]
        rows = dict(
            con.execute(
                f"SELECT 'FY' || ({_FY.format(d=date)}), count(*) FROM {TARGET_TABLE[kind]} "
                f"WHERE source_id = ? AND {date} IS NOT NULL GROUP BY 1",
                [sid],
            ).fetchall()
        )
        undated, all_rows = con.execute(
            f"SELECT count(*) FILTER (WHERE {date} IS NULL), count(*) FROM {TARGET_TABLE[kind]} "
            f"WHERE source_id = ?",
            [sid],
        ).fetchall()[0]
        years = {k: v for k, v in totals[series].items() if k != "total"}
        if "total" in totals[series] and years and sum(years.values()) != totals[series]["total"]:
            checks.append(
                Check(
                    name,
                    "Summary totals",
                    f"{label} years sum to Total",
                    totals[series]["total"],
                    sum(years.values()),
                    False,
                    "the Summary's own rows disagree with its Total",
                )
            )
        for key, expected in sorted(totals[series].items()):
            got = all_rows if key == "total" else rows.get(key, 0)
            note = "by event date" if key != "total" else "all rows"
            if key != "total" and undated:
                note += f"; {undated:,} rows carry no date"
            checks.append(
                Check(
                    name, "Summary totals", f"{label} {key}", expected, got, expected == got, note
                )
            )
    checks += _removal_checks(con, sid, name, totals)
    return checks


def _removal_checks(
    con: DuckDBPyConnection, sid: int | None, name: str, totals: dict[str, dict[str, int]]
) -> list[Check]:
    checks = []
    by_sheet = dict(
        con.execute(
            "SELECT sheet, count(*) FROM removals WHERE source_id = ? GROUP BY 1", [sid]
        ).fetchall()
    )
    parts = {
        "removals_expedited": ("Expedited Removals", "expedited"),
        "removals_other": ("Other Removals", "other"),
    }
    total_rows = sum(by_sheet.values())
    for series, (label, word) in parts.items():
        if series not in totals:
            continue
        sheet_rows = sum(n for s, n in by_sheet.items() if s and word in s.lower())
        if "total" in totals[series]:
            checks.append(
                Check(
                    name,
                    "Summary totals",
                    f"{label} total",
                    totals[series]["total"],
                    sheet_rows,
                    totals[series]["total"] == sheet_rows,
                    "all rows of the sheet",
                )
            )
    why = (
        "the Summary counts removals by the fiscal year the case closed; the rows carry the "
        "departed date, so per-year counts can differ without an error"
    )
    if "removals_total" in totals and "total" in totals["removals_total"]:
        expected = totals["removals_total"]["total"]
        checks.append(
            Check(
                name,
                "Summary totals",
                "Removals total",
                expected,
                total_rows,
                expected == total_rows,
                "all rows of both removal sheets",
            )
        )
    by_fy = dict(
        con.execute(
            f"SELECT 'FY' || ({_FY.format(d='departed_date')}), count(*) "
            "FROM removals WHERE source_id = ? AND departed_date IS NOT NULL "
            "GROUP BY 1",
            [sid],
        ).fetchall()
    )
    for key, expected in sorted(totals.get("removals_total", {}).items()):
        if key == "total":
            continue
        checks.append(
            Check(
                name,
                "Summary totals",
                f"Removals {key}",
                expected,
                by_fy.get(key, 0),
                None,
                "by departed date; " + why,
            )
        )
        parts_sum = sum(totals.get(s, {}).get(key, 0) for s in parts)
        if any(key in totals.get(s, {}) for s in parts) and parts_sum != expected:
            checks.append(
                Check(
                    name,
                    "Summary totals",
                    f"Removals {key} = Expedited + Other",
                    expected,
                    parts_sum,
                    False,
                    "the Summary's own columns disagree",
                )
            )
    return checks
