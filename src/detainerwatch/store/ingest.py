"""Ingest: files -> store, in one transaction per invocation.

Each sheet is streamed as text into a staging table; typing, redaction counting, value-set
checks and validation then run as column-wise SQL over the staging table, so no Python loop
touches a cell after it was read. Any bad input raises InputError before commit, and the
rollback leaves the store exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import duckdb
import pyarrow as pa

from .. import __version__
from ..errors import InputError
from ..handfiles import value_sets
from ..sources.fields import FIELDS_BY_KIND, Field
from ..sources.layouts import ALL as ALL_LAYOUTS
from ..sources.markers import MARKER_PATTERN
from ..sources.readers import Sheet, open_source
from .schema import TARGET_TABLE

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%m/%d/%Y",
               "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p")
# Years outside these bounds cannot be real for the field; see the load report's anomalies.
PREPARE_YEARS = (1990, dt.date.today().year + 1)
PLAUSIBLE_YEARS = (1900, 2100)
EXCEL_SERIAL_MAX = 2958465  # 9999-12-31


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, label, total):
        pass

    def advance(self, rows):
        pass

    def stop(self):
        pass


@dataclass
class ColumnReport:
    field: str
    source_header: str
    position: int
    blanks: int
    redactions: int
    anomalies: int = 0


@dataclass
class ValueReport:
    field: str
    value: str
    count: int
    example_rows: list[int]


@dataclass
class SheetReport:
    sheet: str | None
    layout: str
    header_row: int
    rows_in: int
    rows_out: int
    first_row: int | None
    last_row: int | None
    columns: list[ColumnReport] = field(default_factory=list)
    unknown_values: list[ValueReport] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class FileReport:
    path: Path
    sha256: str
    status: str  # "ingested" or "already ingested"
    source_id: int | None = None
    release: str | None = None
    layout: str | None = None
    kind: str | None = None
    sheets: list[SheetReport] = field(default_factory=list)
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(s.rows_in for s in self.sheets)

    @property
    def rows_out(self) -> int:
        return sum(s.rows_out for s in self.sheets)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(con: duckdb.DuckDBPyConnection, paths: list[Path], *, release: str | None = None,
           encoding: str = "utf-8-sig", progress: Progress | None = None,
           finalize: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> list[FileReport]:
    """Ingest files in one transaction: all of them, or (on any error) none.

    ``finalize`` runs inside the same transaction after the rows are in (the pipeline uses it
    to refresh derived tables such as facility attribution), so they commit together.
    """
    progress = progress or _NoProgress()
    reports: list[FileReport] = []
    con.execute("BEGIN TRANSACTION")
    try:
        _macros(con)
        touched: set[str] = set()
        for path in paths:
            report = _ingest_file(con, Path(path), release, encoding, progress)
            reports.append(report)
            if report.status == "ingested" and report.kind == "detainers":
                touched.add(report.release)
        for tag in sorted(touched):
            flag_likely_duplicates(con, tag)
        if finalize is not None and any(r.status == "ingested" for r in reports):
            finalize(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        progress.stop()
    return reports


def _macros(con) -> None:
    pattern = MARKER_PATTERN.replace("'", "''")
    # '(' is in every marker: the cheap test spares the regex on nearly every cell.
    con.execute(f"CREATE OR REPLACE TEMP MACRO dw_marker(c) AS "
                f"(c IS NOT NULL AND contains(c, '(') AND regexp_full_match(c, '{pattern}'))")


def _ingest_file(con, path: Path, release: str | None, encoding: str, progress) -> FileReport:
    if not path.exists():
        raise InputError(path, "an existing file")
    sha = file_sha256(path)
    known = con.execute("SELECT source_id, release FROM sources WHERE sha256 = ?", [sha]).fetchone()
    if known:
        return FileReport(path, sha, "already ingested", source_id=known[0], release=known[1])
    workbook = open_source(path, ALL_LAYOUTS, encoding)
    source_id = con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchone()[0]
    first = workbook.sheets[0].layout
    tag = release or first.release
    report = FileReport(path, sha, "ingested", source_id=source_id, release=tag,
                        layout=first.name, kind=first.kind,
                        skipped_sheets=[(s.name, s.reason) for s in workbook.skipped])
    for sheet in workbook.sheets:
        if sheet.layout.kind != first.kind:
            raise InputError(path, f"sheets of one kind ({first.kind})", sheet=sheet.name,
                             row=sheet.header_row, found=sheet.layout.kind)
        report.sheets.append(_load_sheet(con, source_id, sha, sheet, tag, progress))
    preamble = "\n".join(line for sheet in workbook.sheets[:1] for line in sheet.preamble)
    con.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source_id, path.name, str(path.resolve()), sha, path.stat().st_size, first.kind,
         first.name, tag, len(report.sheets), report.rows_in, report.rows_out, preamble,
         dt.datetime.now().replace(microsecond=0), __version__],
    )
    return report


def _load_sheet(con, source_id: int, sha: str, sheet: Sheet, release: str, progress) -> SheetReport:
    layout = sheet.layout
    width = len(sheet.headers)
    cols = [f"c{i}" for i in range(width)]
    con.execute("CREATE OR REPLACE TEMP TABLE dw_stage (row_number BIGINT, "
                + ", ".join(f"{c} VARCHAR" for c in cols) + ")")
    label = f"{sheet.file.name}" + (f" [{sheet.name}]" if sheet.name else "")
    progress.start(label, sheet.total_rows)
    schema = pa.schema([("row_number", pa.int64())] + [(c, pa.string()) for c in cols])
    for batch in sheet.batches():
        arrays = [pa.array([number for number, _ in batch], pa.int64())]
        for i in range(width):
            arrays.append(pa.array([cells[i] for _, cells in batch], pa.string()))
        dw_batch = pa.Table.from_arrays(arrays, schema=schema)  # noqa: F841 (read by SQL)
        con.execute("INSERT INTO dw_stage SELECT * FROM dw_batch")
        progress.advance(len(batch))

    fields = {f.name: f for f in FIELDS_BY_KIND[layout.kind]}
    mapping: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    for i, header in enumerate(sheet.headers):
        canonical = layout.canonical(header) if header.strip() else None
        if canonical and canonical not in mapping:
            mapping[canonical] = i
        else:
            key = header.strip() or f"column {i + 1}"
            if key in {k for k, _ in extras}:
                key = f"{key} (column {i + 1})"
            extras.append((key, i))

    stats = con.execute(
        "SELECT count(*), min(row_number), max(row_number)"
        + "".join(f", count({c}), count_if(dw_marker({c}))" for c in cols)
        + " FROM dw_stage").fetchone()
    rows_in, first_row, last_row = stats[0], stats[1], stats[2]
    rep = SheetReport(sheet.name, layout.name, sheet.header_row, rows_in, 0, first_row, last_row)
    col_reports: dict[int, ColumnReport] = {}
    for i, header in enumerate(sheet.headers):
        nonblank, markers = stats[3 + 2 * i], stats[4 + 2 * i]
        name = next((f for f, p in mapping.items() if p == i), None)
        col_reports[i] = ColumnReport(name or "(extra)", header, i + 1, rows_in - nonblank, markers)
    rep.extra_columns = [h for h, _ in extras]

    where = f"{sheet.file.name}" + (f", sheet {sheet.name!r}" if sheet.name else "")
    typed = {name: _typed_expr(fields[name], f"c{pos}", layout.date_formats)
             for name, pos in mapping.items()}
    _validate(con, sheet, mapping, fields, typed)
    anomalies = _date_anomalies(con, source_id, sheet, mapping, fields, typed)
    for name, count in anomalies.items():
        col_reports[mapping[name]].anomalies = count
    rep.columns = [col_reports[i] for i in range(width)]
    rep.unknown_values = _unknown_values(con, mapping, typed)

    table = TARGET_TABLE[layout.kind]
    target_cols = ["source_id", "source_file", "source_sha256", "sheet", "row_number", "release",
                   "layout"]
    select = ["?", "?", "?", "?", "row_number", "?", "?"]
    params: list = [source_id, sheet.file.name, sha, sheet.name, release, layout.name]
    for name, expr in typed.items():
        target_cols.append(name)
        if fields[name].type == "date":
            lo, hi = PLAUSIBLE_YEARS
            expr = f"CASE WHEN year({expr}) BETWEEN {lo} AND {hi} THEN {expr} END"
        select.append(expr)
    if extras:
        keys = ", ".join("'" + h.replace("'", "''") + "'" for h, _ in extras)
        vals = ", ".join(f"c{i}" for _, i in extras)
        target_cols.append("extras")
        select.append(f"map([{keys}], [{vals}])")
    con.execute(f"INSERT INTO {table} ({', '.join(target_cols)}) SELECT {', '.join(select)} "
                f"FROM dw_stage", params)
    rep.rows_out = con.execute(
        f"SELECT count(*) FROM {table} WHERE source_id = ? AND sheet IS NOT DISTINCT FROM ?",
        [source_id, sheet.name]).fetchone()[0]
    if rep.rows_out != rep.rows_in:  # cannot happen unless the SQL above is wrong
        raise RuntimeError(f"{where}: {rep.rows_in} rows read but {rep.rows_out} stored")
    _record_sheet(con, source_id, rep)
    con.execute("DROP TABLE dw_stage")
    return rep


def _typed_expr(fld: Field, col: str, formats: tuple[str, ...]) -> str:
    value = f"CASE WHEN dw_marker({col}) THEN NULL ELSE {col} END"
    if fld.type == "text":
        return value
    trimmed = f"trim({col})"
    if fld.type == "int":
        return (f"CASE WHEN dw_marker({col}) THEN NULL "
                f"WHEN regexp_full_match({trimmed}, '-?[0-9]+') THEN TRY_CAST({trimmed} AS BIGINT) END")
    fmts = list(dict.fromkeys(ISO_FORMATS + tuple(formats)))
    fmt_list = "[" + ", ".join(f"'{f}'" for f in fmts) + "]"
    serial = (f"CASE WHEN regexp_full_match({trimmed}, '[0-9]+(\\.[0-9]+)?') "
              f"AND TRY_CAST({trimmed} AS DOUBLE) BETWEEN 1 AND {EXCEL_SERIAL_MAX} "
              f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round("
              f"TRY_CAST({trimmed} AS DOUBLE) * 86400000000) AS BIGINT)) END")
    return (f"CASE WHEN dw_marker({col}) THEN NULL "
            f"ELSE coalesce(try_strptime({trimmed}, {fmt_list}), {serial}) END")


_EXPECTED = {"date": "a date (Excel date, YYYY-MM-DD or MM/DD/YYYY)", "int": "a whole number"}


def _validate(con, sheet: Sheet, mapping, fields, typed) -> None:
    """The first cell that cannot be typed, or an impossible prepare date, is an error."""
    checks = []
    for name, pos in mapping.items():
        if fields[name].type == "text":
            continue
        checks.append((name, pos, f"c{pos} IS NOT NULL AND NOT dw_marker(c{pos}) "
                                  f"AND ({typed[name]}) IS NULL", _EXPECTED[fields[name].type]))
    if "prepare_date" in typed:
        lo, hi = PREPARE_YEARS
        pos = mapping["prepare_date"]
        checks.append(("prepare_date", pos,
                       f"year({typed['prepare_date']}) NOT BETWEEN {lo} AND {hi}",
                       f"a prepare date between {lo} and {hi}"))
    if not checks:
        return
    sql = "SELECT " + ", ".join(
        f"arg_min(struct_pack(r := row_number, v := c{pos}), row_number) FILTER (WHERE {cond})"
        for _, pos, cond, _ in checks) + " FROM dw_stage"
    firsts = con.execute(sql).fetchone()
    failures = [(hit["r"], name, pos, expected, hit["v"])
                for (name, pos, _, expected), hit in zip(checks, firsts) if hit is not None]
    if failures:
        row, name, pos, expected, raw = min(failures)
        raise InputError(sheet.file, expected, sheet=sheet.name, row=row,
                         column=sheet.headers[pos], found=raw)


def _date_anomalies(con, source_id, sheet: Sheet, mapping, fields, typed) -> dict[str, int]:
    """Secondary dates with impossible years (0199, 8017) are kept raw and reported."""
    counts: dict[str, int] = {}
    lo, hi = PLAUSIBLE_YEARS
    for name, pos in mapping.items():
        if fields[name].type != "date" or name == "prepare_date":
            continue
        con.execute(
            f"INSERT INTO load_anomalies SELECT ?, ?, row_number, ?, c{pos}, "
            f"'year outside {lo}-{hi}: stored as null, raw value kept here' FROM dw_stage "
            f"WHERE year({typed[name]}) NOT BETWEEN {lo} AND {hi}",
            [source_id, sheet.name, name])
        n = con.execute("SELECT count(*) FROM load_anomalies WHERE source_id = ? AND "
                        "sheet IS NOT DISTINCT FROM ? AND field = ?",
                        [source_id, sheet.name, name]).fetchone()[0]
        if n:
            counts[name] = n
    return counts


def _unknown_values(con, mapping, typed) -> list[ValueReport]:
    sets = value_sets()
    out: list[ValueReport] = []
    for name in mapping:
        if name not in sets:
            continue
        known = sorted(sets[name])
        rows = con.execute(
            f"SELECT v, count(*) AS n, list(row_number ORDER BY row_number)[1:3] FROM "
            f"(SELECT row_number, {typed[name]} AS v FROM dw_stage) "
            f"WHERE v IS NOT NULL AND NOT list_contains(?, v) GROUP BY v ORDER BY n DESC, v",
            [known]).fetchall()
        out.extend(ValueReport(name, v, n, list(ex)) for v, n, ex in rows)
    return out


def _record_sheet(con, source_id: int, rep: SheetReport) -> None:
    note = ("extra columns kept in extras: " + ", ".join(rep.extra_columns)) if rep.extra_columns else None
    con.execute("INSERT INTO load_sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source_id, rep.sheet, rep.layout, rep.header_row, rep.first_row, rep.last_row,
                 rep.rows_in, rep.rows_out, note])
    con.executemany("INSERT INTO load_columns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [[source_id, rep.sheet, c.field, c.source_header, c.position, c.blanks,
                      c.redactions, c.anomalies] for c in rep.columns])
    if rep.unknown_values:
        con.executemany("INSERT INTO load_values VALUES (?, ?, ?, ?, ?, ?)",
                        [[source_id, rep.sheet, v.field, v.value, v.count,
                          ",".join(map(str, v.example_rows))] for v in rep.unknown_values])


def flag_likely_duplicates(con, release: str) -> int:
    """Same person identifier and prepare day within one release: every row after the first
    is flagged. Nothing is dropped; identifiers never link rows across releases."""
    con.execute("UPDATE detainers SET likely_duplicate = false WHERE release = ?", [release])
    con.execute(
        """UPDATE detainers SET likely_duplicate = true FROM (
             SELECT source_id AS s, sheet AS sh, row_number AS r FROM (
               SELECT source_id, sheet, row_number, row_number() OVER (
                 PARTITION BY person_id, CAST(prepare_date AS DATE)
                 ORDER BY source_id, sheet, row_number) AS k
               FROM detainers WHERE release = ? AND person_id IS NOT NULL) WHERE k > 1) d
           WHERE detainers.release = ? AND detainers.source_id = d.s
             AND detainers.sheet IS NOT DISTINCT FROM d.sh AND detainers.row_number = d.r""",
        [release, release])
    return con.execute("SELECT count(*) FROM detainers WHERE release = ? AND likely_duplicate",
                       [release]).fetchone()[0]
