"""Ingest: files -> store, in one transaction per invocation.

Each sheet arrives as batches of text (Arrow); redaction markers are counted and nulled per
column in vectorised form (sources.markers), then typing, value-set checks and validation run as
column-wise SQL over the batch, so no Python loop touches a cell after it was read. Any bad
input raises InputError before commit, and the rollback leaves the store exactly as it was.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from collections.abc import Callable, Generator, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..errors import InputError, UsageError
from ..handfiles import read_csv, value_sets
from ..sources.fields import FIELDS_BY_KIND, Field
from ..sources.layouts import ALL as ALL_LAYOUTS
from ..sources.fields import EVENT_KINDS
from ..sources.markers import null_markers, null_texts
from ..sources.preamble import default_release_tag
from ..sources.layout import Layout
from ..sources.ahead import ahead, deferred_sigint
from ..sources.readers import Sheet, open_source
from .interrupt import Interruptible
from .schema import (
    TARGET_TABLE,
    create_temp_table,
    create_temp_table_as,
    detainer_tables,
    ensure_detainer_table,
)
from duckdb import DuckDBPyConnection

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S")
ISO_CASTABLE = (
    "[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?"
)
SLASH_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
)
# Years outside these bounds cannot be real for the field; see the load report's anomalies.
PREPARE_YEARS = (1990, dt.date.today().year + 1)
PLAUSIBLE_YEARS = (1900, 2100)
EXCEL_SERIAL_MAX = 2958465  # 9999-12-31


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class ColumnReport:
    field: str
    source_header: str
    position: int
    blanks: int
    redactions: int
    anomalies: int = 0
    control_chars: int = 0  # cells whose control characters were replaced by U+FFFD


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
    # Values no reviewed table maps, stored because the user accepted them (--accept-unmapped).
    unmapped_values: list[ValueReport] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0  # rows with no value at all between the first and last: skipped
    continues: str | None = None  # no header row of its own: continues this sheet


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
    checks: list[Any] = field(default_factory=list)  # store.checks.Check: totals, upstream rows

    @property
    def rows_in(self) -> int:
        return sum(s.rows_in for s in self.sheets)

    @property
    def rows_out(self) -> int:
        return sum(s.rows_out for s in self.sheets)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(
            path, "a readable file", found=exc.strerror or type(exc).__name__
        ) from None
    return digest.hexdigest()


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    release: str | None = None,
    encoding: str = "utf-8-sig",
    progress: Progress | None = None,
    finalize: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    accept_unmapped: bool = False,
) -> list[FileReport]:
    """Ingest files in one transaction: all of them, or (on any error) none.

    A lift reason, detainer type or charge code that the reviewed tables in hand/ do not map
    stops the ingest (InputError naming the value and where it is) unless ``accept_unmapped``:
    then it is stored, listed in the load report as unmapped, and shown as "unclassified".

    ``finalize`` runs inside the same transaction after the rows are in (the pipeline uses it
    to refresh derived tables such as facility attribution), so they commit together.

    Ctrl-C raises KeyboardInterrupt or DuckDB's interrupt error with the transaction rolled
    back, except when it lands during the COMMIT itself: ``committed()`` then says whether the
    store holds the ingest (the CLI asks it before saying "the store is unchanged").
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding {encoding!r}: not a text encoding Python knows") from None
    progress = progress or _NoProgress()
    reports: list[FileReport] = []
    # Row groups are written out as soon as each is full rather than five at a time: a
    # transaction's appended data then stays near one row group in memory.
    con.execute("SET write_buffer_row_group_count = 1")
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    # A token written in the transaction to a temporary table (never in the store file, and
    # dropped after): after an interrupt, whether it is there says whether COMMIT happened (a
    # Ctrl-C can land just after COMMIT returned, before Python could note it).
    forget_commit()
    token = uuid.uuid4().hex
    watch = Interruptible(con)
    con.execute("BEGIN TRANSACTION")
    try:
        create_temp_table(con, "dw_ingest_commit", "token VARCHAR")
        con.execute("INSERT INTO dw_ingest_commit VALUES (?)", [token])
        touched: set[str] = set()
        # While files are read, inflating and scanning keep a core busy in their own threads;
        # one DuckDB thread then beats two that contend with them (17.9 s vs 20.7 s for a
        # 1M-row workbook on two cores), and holds less memory.
        con.execute("SET threads = 1")
        for path in paths:
            report = _ingest_file(con, Path(path), release, encoding, progress, accept_unmapped)
            reports.append(report)
            if report.status == "ingested" and report.kind == "detainers" and report.release:
                touched.add(report.release)
        _return_freed_memory()
        # What follows the reading on every DuckDB thread again (the readers' threads are
        # done): 1M-row workbook, quiet machine, the stored facts 6.8 -> 2.9 s. Ctrl-C then
        # reaches a statement through Interruptible's watcher (DuckDB alone missed it in about
        # half the runs with two threads); where no watcher can be set, one thread as before.
        with watch as watched:
            if watched:
                con.execute(f"SET threads = {int(threads)}")
            for tag in sorted(touched):
                flag_likely_duplicates(con, tag)
            if finalize is not None and any(r.status == "ingested" for r in reports):
                finalize(con)
        con.execute("COMMIT")
        _commit.committed = True
    except BaseException:
        # Taken down whole: a second Ctrl-C here is raised after the ROLLBACK, not instead of
        # it (a caller going on in-process would otherwise hold the open transaction).
        with deferred_sigint():
            watch.stop()  # before the ROLLBACK, which a late interrupt must not reach
            try:
                con.execute("ROLLBACK")
            except duckdb.TransactionException:  # no transaction: COMMIT had ended it
                pass
            _commit.committed = _committed(con, token)
        raise
    finally:
        with deferred_sigint():
            watch.stop()
            con.execute("DROP TABLE IF EXISTS temp.dw_ingest_commit")
            con.execute(f"SET threads = {int(threads)}")
            progress.stop()
    return reports


class _CommitState:
    committed = False  # the last ingest of this process committed (read after an interrupt)


_commit = _CommitState()


def committed() -> bool:
    """Whether the ingest this process ran last committed: a Ctrl-C after its COMMIT must
    not be told as 'the store is unchanged'."""
    return _commit.committed


def forget_commit() -> None:
    _commit.committed = False


def _committed(con: duckdb.DuckDBPyConnection, token: str) -> bool:
    try:
        found = con.execute("SELECT count(*) FROM dw_ingest_commit WHERE token = ?", [token])
        return bool(found.fetchall()[0][0])
    except duckdb.Error:  # the connection is gone: nothing says the commit happened
        return False


@contextlib.contextmanager
def new_store_guard(db_path: str | Path | None) -> Iterator[None]:
    """Around the first ingest into a path: when it fails, the store file it created (and its
    write-ahead log) is removed, so nothing is left behind. An existing store is left alone
    (the failed ingest rolled back, so it is exactly as it was)."""
    from .db import default_db_path

    path = Path(db_path) if db_path else default_db_path()
    created = str(path) != ":memory:" and not path.exists()
    try:
        yield
    except BaseException:
        if created:
            forget_commit()  # the new store goes, committed or not: it is as it was (absent)
            for leftover in (path, path.with_name(path.name + ".wal")):
                try:
                    leftover.unlink()
                except FileNotFoundError:
                    pass
        raise


def _return_freed_memory() -> None:
    """Hand the heap the readers freed back to the system before the derived tables are built
    (glibc keeps it otherwise, and the peak of a national ingest is the sum of both phases)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
    pa.default_memory_pool().release_unused()  # Arrow's allocator (mimalloc) keeps its own


def _ingest_file(
    con: DuckDBPyConnection,
    path: Path,
    release: str | None,
    encoding: str,
    progress: Progress,
    accept_unmapped: bool = False,
) -> FileReport:
    if not path.exists():
        raise InputError(path, "an existing file")
    if path.is_dir():
        raise InputError(path, "a file", found="a folder (name the files in it)")
    sha = file_sha256(path)
    rows = con.execute("SELECT source_id, release FROM sources WHERE sha256 = ?", [sha]).fetchall()
    known = rows[0] if rows else None
    if known:
        return FileReport(path, sha, "already ingested", source_id=known[0], release=known[1])
    workbook = open_source(path, ALL_LAYOUTS, encoding)
    source_id = con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchall()[0][0]
    first = workbook.sheets[0].layout
    tag = release or default_release_tag(workbook.sheets[0].preamble, first.release)
    report = FileReport(
        path,
        sha,
        "ingested",
        source_id=source_id,
        release=tag,
        layout=first.name,
        kind=first.kind,
        skipped_sheets=[(s.name, s.reason) for s in workbook.skipped],
    )
    for sheet in workbook.sheets:
        if sheet.layout.kind != first.kind and not {sheet.layout.kind, first.kind} <= set(
            EVENT_KINDS
        ):
            raise InputError(
                path,
                f"sheets of one kind ({first.kind})",
                sheet=sheet.name,
                row=sheet.header_row,
                found=sheet.layout.kind,
            )
        report.sheets.append(_load_sheet(con, source_id, sha, sheet, tag, progress))
    if first.kind == "detainers":
        check_mapped(con, path, source_id, report, accept_unmapped)
    for skipped in workbook.skipped:  # visible in the load report and the fidelity section
        con.execute(
            "INSERT INTO load_sheets VALUES (?, ?, NULL, NULL, NULL, NULL, ?, 0, ?)",
            [source_id, skipped.name, skipped.rows, "not ingested: " + skipped.reason],
        ).fetchall()
    preamble = "\n".join(line for sheet in workbook.sheets[:1] for line in sheet.preamble)
    con.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_id,
            path.name,
            str(path.resolve()),
            sha,
            path.stat().st_size,
            first.kind if len({s.layout.kind for s in workbook.sheets}) == 1 else "enforcement",
            first.name,
            tag,
            len(report.sheets),
            report.rows_in,
            report.rows_out,
            preamble,
            dt.datetime.now().replace(microsecond=0),
            __version__,
        ],
    )
    from .checks import run_checks  # checks of the file against itself: load_checks

    report.checks = run_checks(con, report, workbook)
    return report


def _load_sheet(
    con: DuckDBPyConnection,
    source_id: int,
    sha: str,
    sheet: Sheet,
    release: str,
    progress: Progress,
) -> SheetReport:
    """Type, check and store one sheet, batch by batch: memory is bounded by the batch size."""
    layout = sheet.layout
    width = len(sheet.headers)
    # Detainer rows go to their layout's table (made, with the detainers view over it, when a
    # layout is first ingested): the columns a layout does not map are never written.
    table = (
        ensure_detainer_table(con, layout.name, layout.columns.values())
        if layout.kind == "detainers"
        else TARGET_TABLE[layout.kind]
    )
    plan = _SheetPlan(layout, sheet.headers, table)
    label = f"{sheet.file.name}" + (f" [{sheet.name}]" if sheet.name else "")
    progress.start(label, sheet.total_rows)
    rep = SheetReport(sheet.name, layout.name, sheet.header_row, 0, 0, None, None)
    blanks = [0] * width
    markers = [0] * width
    controls = [0] * width
    anomalies: dict[str, int] = {}
    unknown: dict[tuple[str, str], ValueReport] = {}
    params = [source_id, sheet.file.name, sha, sheet.name, release, layout.name]
    by_header = {pos: name for name, pos in plan.mapping.items()}
    # The SQL reads the batch as the Python variable dw_batch (DuckDB's replacement scan):
    # con.register() would keep every batch alive until the transaction ends, and a national
    # release would then sit whole in memory.
    typing = con.cursor()
    batches = _prepared(sheet.batches(), layout, plan.type_sql, typing)
    with contextlib.ExitStack() as stack:
        # An error or Ctrl-C: the reader (its threads, sources/ahead.py) is closed, stopped and
        # joined before the error goes on; the traceback would otherwise keep it waiting. The
        # cursor is closed after (also when the thread never started).
        stack.callback(typing.close)
        stack.callback(batches.close)
        for dw_batch, found_markers, found_controls, typed in batches:
            for name, hits in found_controls.items():
                pos = int(name[1:])
                controls[pos] += len(hits)
                header = sheet.headers[pos]
                con.executemany(
                    "INSERT INTO load_anomalies VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        [source_id, sheet.name, row, by_header.get(pos, header), raw, CONTROL_NOTE]
                        for row, raw in hits
                    ],
                )
            n = dw_batch.num_rows
            if not n:
                continue
            rows = dw_batch.column("row_number")
            first_last = pc.min_max(rows).as_py()
            rep.first_row = first_last["min"] if rep.first_row is None else rep.first_row
            rep.last_row = first_last["max"]
            rep.rows_in += n
            for i in range(width):
                markers[i] += found_markers[f"c{i}"]
                blanks[i] += dw_batch.column(f"c{i}").null_count - found_markers[f"c{i}"]
            # Each typed column is computed once (in _prepared): the checks read it in Arrow and
            # the insert stores it.
            if typed is not None:
                if typed.num_rows != n:  # cannot happen unless the SQL above is wrong
                    raise RuntimeError(f"{sheet.file.name}: {n} rows typed as {typed.num_rows}")
                _raise_first_failure(sheet, plan, dw_batch, typed)
                for name in plan.secondary_dates:
                    bad = _outside_years(typed.column(name), PLAUSIBLE_YEARS)
                    if bad is not None:
                        anomalies[name] = anomalies.get(name, 0) + int(pc.sum(bad).as_py())
                        con.execute(
                            plan.anomaly_sql[name], [source_id, sheet.name, name]
                        ).fetchall()
                        column = typed.column(name)
                        kept = pc.if_else(bad, pa.scalar(None, column.type), column)
                        typed = typed.set_column(typed.column_names.index(name), name, kept)
            for name, pos, known in plan.value_sets:
                column = dw_batch.column(f"c{pos}")
                if column.null_count == n:
                    continue
                listed = pc.is_in(column, value_set=known)  # null where the cell is null
                if pc.sum(listed).as_py() + column.null_count == n:  # every value listed
                    continue
                outside = pc.and_(pc.is_valid(column), pc.invert(listed))
                dw_unknown = pa.table(  # noqa: F841 - read by DuckDB
                    {"row_number": pc.filter(rows, outside), "v": pc.filter(column, outside)}
                )
                for value, count, examples in con.execute(_UNKNOWN_SQL).fetchall():
                    hit = unknown.setdefault((name, value), ValueReport(name, value, 0, []))
                    hit.count += count
                    hit.example_rows = (hit.example_rows + list(examples))[:3]
            dw_rows = dw_batch  # noqa: F841 - read by DuckDB (replacement scan)
            if typed is not None:
                dw_rows = pa.Table.from_arrays(
                    dw_batch.columns + typed.columns,
                    names=dw_batch.column_names + plan.typed_columns,
                )
            con.execute(plan.insert_sql, params).fetchall()
            del dw_batch, dw_rows, typed
            progress.advance(n)

    rep.rows_out = con.execute(
        f"SELECT count(*) FROM {table} WHERE source_id = ? AND sheet IS NOT DISTINCT FROM ?",
        [source_id, sheet.name],
    ).fetchall()[0][0]
    if rep.rows_out != rep.rows_in:  # cannot happen unless the SQL above is wrong
        raise RuntimeError(f"{sheet.file.name}: {rep.rows_in} rows read but {rep.rows_out} stored")
    by_position = {pos: name for name, pos in plan.mapping.items()}
    rep.columns = [
        ColumnReport(
            by_position.get(i, "(extra)"),
            header,
            i + 1,
            blanks[i],
            markers[i],
            anomalies.get(by_position.get(i, ""), 0),
            controls[i],
        )
        for i, header in enumerate(sheet.headers)
    ]
    rep.unknown_values = sorted(unknown.values(), key=lambda v: (v.field, -v.count, v.value))
    rep.extra_columns = [h for h, _ in plan.extras]
    # Readers skip rows with no value at all (keeping the row numbers a spreadsheet shows):
    # the gaps between the first and last stored row are those blank rows.
    rep.blank_rows = (
        rep.last_row - rep.first_row + 1 - rep.rows_in
        if rep.rows_in and rep.last_row is not None and rep.first_row is not None
        else 0
    )
    rep.continues = sheet.continues
    _record_sheet(con, source_id, rep)
    return rep


Prepared = tuple[pa.Table, dict[str, int], dict[str, list[tuple[int, str]]], pa.Table | None]


def _prepared(
    batches: Iterator[pa.Table], layout: Layout, type_sql: str, local: DuckDBPyConnection
) -> Generator[Prepared, None, None]:
    """Each batch with its redaction markers, layout null texts and control characters found
    (Arrow) and its date and number columns typed (SQL over the batch alone, on ``local``: a
    cursor of the store's connection, given to this thread alone; no table is read), done in a
    thread a batch ahead of the insert: the ingest's own thread then only checks and inserts
    (with a workbook's inflate and scan threads beside it, that thread had set the pace). Items
    and errors come in the reader's order. (A DuckDB instance of its own for the typing once
    left Python's import lock held by a thread gone after a Ctrl-C: the next import hung.)"""

    def work(emit: Callable[[Any], None]) -> None:
        try:
            for batch in batches:
                dw_batch, found_markers = null_markers(batch)
                del batch
                dw_batch = null_texts(dw_batch, layout.null_text)
                dw_batch, found_controls = replace_controls(dw_batch)
                typed = (
                    local.sql(type_sql).to_arrow_table() if type_sql and dw_batch.num_rows else None
                )
                emit((dw_batch, found_markers, found_controls, typed))
                del dw_batch, typed  # the queue's reference is the only one
        finally:
            local.close()
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    return ahead(work, "dw-prepare")


class _SheetPlan:
    """The SQL that types, checks and stores one sheet's batches, built once per sheet."""

    def __init__(self, layout: Layout, headers: list[str], table: str | None = None) -> None:
        self.layout = layout
        self.headers = headers
        self.fields = {f.name: f for f in FIELDS_BY_KIND[layout.kind]}
        self.mapping: dict[str, int] = {}
        self.extras: list[tuple[str, int]] = []
        for i, header in enumerate(headers):
            canonical = layout.canonical(header) if header.strip() else None
            if canonical and canonical not in self.mapping:
                self.mapping[canonical] = i
            else:
                key = header.strip() or f"column {i + 1}"
                if key in {k for k, _ in self.extras}:
                    key = f"{key} (column {i + 1})"
                self.extras.append((key, i))
        self.typed = {
            name: _typed_expr(self.fields[name], f"c{pos}", layout.date_formats)
            for name, pos in self.mapping.items()
        }
        self.secondary_dates = [
            n for n in self.mapping if self.fields[n].type == "date" and n != "prepare_date"
        ]
        lo, hi = PLAUSIBLE_YEARS
        implausible = {
            n: f"year({self.typed[n]}) NOT BETWEEN {lo} AND {hi}" for n in self.secondary_dates
        }
        self.anomaly_sql = {
            n: f"INSERT INTO load_anomalies SELECT ?, ?, row_number, ?, c{self.mapping[n]}, "
            f"'year outside {lo}-{hi}: stored as null, raw value kept here' FROM dw_batch "
            f"WHERE {implausible[n]}"
            for n in self.secondary_dates
        }
        # The typed (non-text) columns, computed once per batch; the insert reads them from
        # the batch's Arrow table under their field names (no batch column is named so).
        self.typed_columns = [n for n in self.mapping if self.fields[n].type != "text"]
        # Each cell is trimmed once in an inner SELECT (the expressions repeat trim(cN) up to
        # ten times; DuckDB then spent about a quarter more on each batch).
        trimmed = {n: f"t{self.mapping[n]}" for n in self.typed_columns}
        self.type_sql = (
            "SELECT "
            + ", ".join(
                f'{_typed_expr(self.fields[n], trimmed[n], layout.date_formats, trimmed=True)} AS "{n}"'
                for n in self.typed_columns
            )
            + " FROM (SELECT "
            + ", ".join(f"trim(c{self.mapping[n]}) AS {trimmed[n]}" for n in self.typed_columns)
            + " FROM dw_batch)"
            if self.typed_columns
            else ""
        )
        self.checks = self._checks()
        # The text columns whose values the load report checks against hand/value_sets.csv.
        sets = value_sets()
        self.value_sets = [
            (name, pos, pa.array(sorted(sets[name]), pa.string()))
            for name, pos in self.mapping.items()
            if name in sets
        ]
        target = [
            "source_id",
            "source_file",
            "source_sha256",
            "sheet",
            "row_number",
            "release",
            "layout",
        ]
        select = ["?", "?", "?", "?", "row_number", "?", "?"]
        for name, pos in self.mapping.items():
            target.append(name)
            select.append(f'"{name}"' if name in self.typed_columns else f"c{pos}")
        if self.extras:
            keys = ", ".join("'" + h.replace("'", "''") + "'" for h, _ in self.extras)
            vals = ", ".join(f"c{i}" for _, i in self.extras)
            target.append("extras")
            select.append(f"map([{keys}], [{vals}])")
        self.insert_sql = (
            f"INSERT INTO {table or TARGET_TABLE[layout.kind]} ({', '.join(target)}) "
            f"SELECT {', '.join(select)} FROM dw_rows"
        )

    def _checks(self) -> list[tuple[int, str, str]]:
        """(position, field, what was expected) of each typed column: a cell with text whose
        typed value is null fails, and so does a prepare date outside PREPARE_YEARS."""
        checks = [
            (pos, name, _EXPECTED[self.fields[name].type])
            for name, pos in self.mapping.items()
            if self.fields[name].type != "text"
        ]
        if "prepare_date" in self.typed:
            lo, hi = PREPARE_YEARS
            checks.append(
                (self.mapping["prepare_date"], "", f"a prepare date between {lo} and {hi}")
            )
        return checks


def iso_expr(text: str) -> str:
    """The SQL that reads ISO text as a timestamp: try_strptime with ISO_FORMATS, with the
    common case cast instead (about 3x cheaper) when it has the plain shape whose cast and
    strptime agree (a valid date; hour 00-23; minute and second 00-59). Anything else, or a
    cast that fails, goes to try_strptime as before (tests/test_ingest_dates.py compares them)."""
    strptime = f"try_strptime({text}, [{', '.join(repr(f) for f in ISO_FORMATS)}])"
    return (
        f"CASE WHEN regexp_full_match({text}, '{ISO_CASTABLE}') "
        f"THEN coalesce(TRY_CAST({text} AS TIMESTAMP), {strptime}) ELSE {strptime} END"
    )


def _typed_expr(fld: Field, col: str, formats: tuple[str, ...], trimmed: bool = False) -> str:
    """The SQL that types the text column ``col`` as the field's type (``col`` already trimmed
    when ``trimmed``: trimming first changes nothing, every reading trims the text)."""
    if fld.type == "text":
        return col
    trimmed_col = col if trimmed else f"trim({col})"
    return _typed_trimmed(fld, trimmed_col, formats)


def _typed_trimmed(fld: Field, trimmed: str, formats: tuple[str, ...]) -> str:
    if fld.type == "int":
        return (
            f"CASE WHEN regexp_full_match({trimmed}, '-?[0-9]+') "
            f"THEN TRY_CAST({trimmed} AS BIGINT) END"
        )

    def strptime(fmts: Iterable[str]) -> str:
        return f"try_strptime({trimmed}, [{', '.join(repr(f) for f in fmts)}])"

    # A layout's own formats first; then ISO; then slash dates, choosing the 4- or 2-digit
    # year pattern by the text itself (DuckDB's %Y reads "10/2/07" as the year 7).
    chain = [strptime(formats)] if formats else []
    chain.append(iso_expr(trimmed))
    chain.append(
        f"CASE WHEN regexp_matches({trimmed}, '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') "
        f"THEN {strptime(SLASH_FORMATS)} "
        f"WHEN regexp_matches({trimmed}, '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{2}}([^0-9]|$)') "
        f"THEN {strptime([f.replace('%Y', '%y') for f in SLASH_FORMATS])} END"
    )
    chain.append(
        f"CASE WHEN regexp_full_match({trimmed}, '[0-9]+(\\.[0-9]+)?') "
        f"AND TRY_CAST({trimmed} AS DOUBLE) BETWEEN 1 AND {EXCEL_SERIAL_MAX} "
        f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round("
        f"TRY_CAST({trimmed} AS DOUBLE) * 86400000000) AS BIGINT)) END"
    )
    return f"coalesce({', '.join(chain)})"


_EXPECTED = {"date": "a date (Excel date, YYYY-MM-DD or MM/DD/YYYY)", "int": "a whole number"}


# A batch's values that hand/value_sets.csv does not list, one column at a time.
_UNKNOWN_SQL = (
    "SELECT v, count(*), list(row_number ORDER BY row_number)[1:3] FROM dw_unknown GROUP BY v"
)


def _outside_years(column: pa.ChunkedArray, years: tuple[int, int]) -> pa.Array | None:
    """Where a typed date's year is outside the bounds (a boolean mask without nulls), or None
    when no cell is (the usual case, found from the column's least and greatest value)."""
    least_most = pc.min_max(column)
    least, most = least_most["min"], least_most["max"]
    if not least.is_valid:
        return None
    lo, hi = years
    if pc.year(least).as_py() >= lo and pc.year(most).as_py() <= hi:
        return None
    year = pc.year(column)
    return pc.fill_null(pc.or_(pc.less(year, lo), pc.greater(year, hi)), False).combine_chunks()


def _raise_first_failure(sheet: Sheet, plan: _SheetPlan, batch: pa.Table, typed: pa.Table) -> None:
    """The first cell of the batch that cannot be typed (text whose typed value is null), or an
    impossible prepare date: the lowest row, then the leftmost column."""
    failures = []
    for pos, name, expected in plan.checks:
        raw = batch.column(f"c{pos}")
        if name:
            value = typed.column(name)
            if value.null_count == raw.null_count:  # null exactly where the text is
                continue
            bad = pc.and_(pc.is_valid(raw), pc.is_null(value))
        else:
            found = _outside_years(typed.column("prepare_date"), PREPARE_YEARS)
            if found is None:
                continue
            bad = found
        rows = pc.filter(batch.column("row_number"), bad)
        first = pc.index(rows, pc.min(rows)).as_py()
        failures.append((rows[first].as_py(), pos, expected, pc.filter(raw, bad)[first].as_py()))
    if failures:
        row, pos, expected, raw = min(failures)
        raise InputError(
            sheet.file, expected, sheet=sheet.name, row=row, column=sheet.headers[pos], found=raw
        )


def _record_sheet(con: DuckDBPyConnection, source_id: int, rep: SheetReport) -> None:
    notes = []
    if rep.continues:
        notes.append(f"no header row: continues sheet {rep.continues!r} under its header")
    if rep.extra_columns:
        notes.append("extra columns kept in extras: " + ", ".join(rep.extra_columns))
    if rep.blank_rows:
        notes.append(f"{rep.blank_rows:,} blank rows skipped")
    note = "; ".join(notes) or None
    con.execute(
        "INSERT INTO load_sheets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_id,
            rep.sheet,
            rep.layout,
            rep.header_row,
            rep.first_row,
            rep.last_row,
            rep.rows_in,
            rep.rows_out,
            note,
        ],
    )
    con.executemany(
        "INSERT INTO load_columns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                source_id,
                rep.sheet,
                c.field,
                c.source_header,
                c.position,
                c.blanks,
                c.redactions,
                c.anomalies,
            ]
            for c in rep.columns
        ],
    )
    if rep.unknown_values:
        con.executemany(
            "INSERT INTO load_values VALUES (?, ?, ?, ?, ?, ?)",
            [
                [
                    source_id,
                    rep.sheet,
                    v.field,
                    v.value,
                    v.count,
                    ",".join(map(str, v.example_rows)),
                ]
                for v in rep.unknown_values
            ],
        )


# ---- Control characters: one rule for every reader ------------------------------------------
# Text cells may not carry control characters (C0 other than tab, line feed and carriage
# return; DEL; C1). Workbooks can hold them as _x0000_ or &#0; escapes and delimited text as
# raw bytes; whatever the reader, each one is replaced by U+FFFD where the batch reaches the
# store, and every cell so changed is counted per column in the load report and listed in
# load_anomalies with its row and the raw value (control characters written as \xNN there).
CONTROL_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}]"
CONTROL_NOTE = "control characters replaced by U+FFFD (raw value here, with them as \\xNN)"
_CONTROL_CHARS = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)}


def _may_hold_controls(column: pa.Array) -> bool:
    """A quick look at the column's bytes (vectorised, no per-cell work): False when no byte can
    start a control character (all >= 0x20 other than 0x7F and the C1 lead byte 0xC2)."""
    buffers = column.buffers()
    data = buffers[2] if len(buffers) > 2 else None
    if data is None or data.size == 0:
        return False
    octets = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
    low_high = pc.min_max(octets).as_py()
    if low_high["min"] < 0x20:
        return True
    if low_high["max"] < 0x7F:
        return False
    return bool(pc.any(pc.equal(octets, 0x7F)).as_py() or pc.any(pc.equal(octets, 0xC2)).as_py())


def _shown(text: str) -> str:
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) in _CONTROL_CHARS else ch for ch in text)


def replace_controls(table: pa.Table) -> tuple[pa.Table, dict[str, list[tuple[int, str]]]]:
    """The batch with control characters replaced by U+FFFD, and per column the (row number,
    raw value shown with \\xNN) of each cell changed. Columns without any are not touched."""
    found: dict[str, list[tuple[int, str]]] = {}
    arrays = []
    rows = None
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name == "row_number" or not pa.types.is_string(column.type):
            arrays.append(column)
            continue
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if not _may_hold_controls(column):
            arrays.append(column)
            continue
        hit = pc.fill_null(pc.match_substring_regex(column, CONTROL_PATTERN), False)
        if not pc.any(hit).as_py():
            arrays.append(column)
            continue
        if rows is None:
            rows = table.column("row_number")
        found[name] = [
            (r, _shown(v))
            for r, v in zip(
                pc.filter(rows, hit).to_pylist(), pc.filter(column, hit).to_pylist(), strict=True
            )
        ]
        arrays.append(pc.replace_substring_regex(column, CONTROL_PATTERN, "\ufffd"))
    if not found:
        return table, found
    return pa.Table.from_arrays(arrays, names=table.column_names), found


# ---- Values a reviewed table must map ------------------------------------------------------
# The derived facts classify these columns through reviewed tables in hand/: a value the table
# does not map stops the ingest that brought it (the read side can then trust the store), or,
# with --accept-unmapped, is stored, listed in the load report and shown as "unclassified".
# (field, hand table, its key column, the SQL key of a stored value, what the user should do)
_CODE_CATEGORY = "CASE WHEN regexp_full_match(trim(v), '[0-9]{4}') THEN left(trim(v), 2) END"
MAPPED_FIELDS = (
    (
        "detainer_type",
        "detainer_types.csv",
        "detainer_type",
        "lower(trim(v))",
        "a detainer type listed in hand/detainer_types.csv (add it there as a hold or notification "
        "request, or ingest with --accept-unmapped)",
    ),
    (
        "lift_reason",
        "lift_reasons.csv",
        "lift_reason",
        "lower(trim(v))",
        "a lift reason listed in hand/lift_reasons.csv (add it there with its outcome class, or "
        "ingest with --accept-unmapped)",
    ),
    (
        "msc_charge_code",
        "ncic_categories.csv",
        "category",
        _CODE_CATEGORY,
        "a charge code whose category (first two digits) is in hand/ncic_categories.csv (add the "
        "category there with its tier, or ingest with --accept-unmapped)",
    ),
)


def mapped_keys(table: str, column: str) -> list[str]:
    keys = {r[column].strip().lower() for r in read_csv(table) if (r.get(column) or "").strip()}
    return sorted(keys)


def check_mapped(
    con: DuckDBPyConnection, path: Path, source_id: int, report: FileReport, accept: bool
) -> None:
    """Every value of the mapped fields in this file's rows has a row in its reviewed table;
    else InputError at the first such cell (sheet order, then row), unless accepted."""
    found: dict[str | None, Any] = {}  # sheet -> [(ValueReport, hand table, what was expected)]
    for field_name, table, column, key, expected in MAPPED_FIELDS:
        rows = con.execute(
            f"SELECT sheet, any_value(v ORDER BY row_number), count(*), "
            f"list(row_number ORDER BY row_number)[1:3] FROM ("
            f"  SELECT sheet, row_number, {field_name} AS v FROM detainers WHERE source_id = ?"
            f"  AND {field_name} IS NOT NULL AND trim({field_name}) <> '') "
            f"WHERE {key} IS NOT NULL AND NOT list_contains(?, {key}) "
            f"GROUP BY sheet, {key} ORDER BY min(row_number)",
            [source_id, mapped_keys(table, column)],
        ).fetchall()
        for sheet, value, count, examples in rows:
            found.setdefault(sheet, []).append(
                (ValueReport(field_name, value, count, list(examples)), table, expected)
            )
    for rep in report.sheets:  # in the order the sheets were read
        hits = sorted(found.get(rep.sheet, []), key=lambda h: h[0].example_rows[0])
        if not hits:
            continue
        if not accept:
            first, _, expected = hits[0]
            header = next(
                (c.source_header for c in rep.columns if c.field == first.field), first.field
            )
            raise InputError(
                path,
                expected,
                sheet=rep.sheet,
                row=first.example_rows[0],
                column=header,
                found=first.value,
            )
        rep.unmapped_values += [v for v, _, _ in hits]
        con.executemany(
            "INSERT INTO load_anomalies VALUES (?, ?, ?, ?, ?, ?)",
            [
                [
                    source_id,
                    rep.sheet,
                    v.example_rows[0],
                    v.field,
                    v.value,
                    f"unmapped: not in hand/{table}; stored because --accept-unmapped was given, "
                    f"shown as unclassified; {v.count:,} rows (e.g. rows "
                    f"{', '.join(map(str, v.example_rows))})",
                ]
                for v, table, _ in hits
            ],
        )


def flag_likely_duplicates(con: DuckDBPyConnection, release: str) -> int:
    """Same person identifier and prepare day within one release: every row after the first
    is flagged. Nothing is dropped; identifiers never link rows across releases.

    Only rows whose flag changes are updated (the new rows' duplicates, as a rule): an update
    of every row of the release made the commit rewrite the table's flags for all of them.
    The changes are found once over the detainers view, then each table of detainer rows
    (the release may span layouts) takes its own."""
    create_temp_table_as(
        con,
        "dw_duplicate_flags",
        """SELECT source_id AS s, sheet AS sh, row_number AS r, dup FROM (
             SELECT source_id, sheet, row_number, likely_duplicate, row_number() OVER (
                 PARTITION BY person_id, CAST(prepare_date AS DATE)
                 ORDER BY source_id, sheet, row_number) > 1 AS dup
             FROM detainers WHERE release = ? AND person_id IS NOT NULL)
           WHERE dup <> likely_duplicate
           UNION ALL  -- no identifier: never a duplicate
           SELECT source_id, sheet, row_number, false FROM detainers
           WHERE release = ? AND person_id IS NULL AND likely_duplicate""",
        [release, release],
    )
    if con.execute("SELECT count(*) FROM dw_duplicate_flags").fetchall()[0][0]:
        for table in detainer_tables(con):
            con.execute(
                f"""UPDATE {table} SET likely_duplicate = d.dup FROM dw_duplicate_flags d
                    WHERE {table}.release = ? AND {table}.source_id = d.s
                      AND {table}.sheet IS NOT DISTINCT FROM d.sh
                      AND {table}.row_number = d.r""",
                [release],
            )
    # Dropped on success only: after a failed statement the transaction is aborted and a DROP
    # would raise in place of the real error (or of an interrupt); the rollback drops it.
    con.execute("DROP TABLE IF EXISTS temp.dw_duplicate_flags")
    return int(
        con.execute(
            "SELECT count(*) FROM detainers WHERE release = ? AND likely_duplicate", [release]
        ).fetchall()[0][0]
    )
