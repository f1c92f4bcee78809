"""Readers that turn a file into sheets of text cells, with the row numbers a spreadsheet shows.

Every cell is read as text: no type is inferred from a sample, so a redaction marker late in
a numeric column survives as text and is counted, never silently nulled.
"""

from __future__ import annotations

from typing import Any

import codecs
import csv
import datetime as dt
import io
import itertools
import math
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import BinaryIO

import pyarrow as pa

from ..errors import InputError, UsageError
from .arrow_files import KINDS as COLUMN_FILE_KINDS
from .arrow_files import arrow_format, read_arrow_file
from . import text_arrow
from .ahead import read_ahead
from .diagnose import header_diagnosis
from .layout import Layout, normalise_header

NOTE_SHEETS = re.compile(r"(?i)^\s*(foot\s*notes?|notes?)\s*$")
BATCH_ROWS = 50_000


def cell_to_text(value: object) -> str | None:
    """One cell as text, exactly as far as the workbook lets us: blank -> None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


@dataclass
class Sheet:
    """A recognised sheet: its header and an iterator of (row_number, cells) batches."""

    file: Path
    name: str | None  # None for delimited text
    layout: Layout
    header_row: int
    headers: list[str]
    preamble: list[str]
    batches: Callable[[], Iterator[pa.Table]]  # columns row_number, c0..c{width-1}
    total_rows: int | None = None  # rows below the header, when known up front
    continues: str | None = None  # a sheet without a header row: the sheet whose header it uses


@dataclass
class Skipped:
    name: str
    reason: str
    rows: int | None = None  # non-blank extent of the sheet, for the load report


@dataclass
class Workbook:
    file: Path
    format: str
    sheets: list[Sheet] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


_MAGIC = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Excel .xls (OLE2) file: save it as .xlsx"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "gzip-compressed data: decompress it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
]
_EXPECTED_FILE = "an .xlsx workbook or delimited text"


def sniff_format(path: Path) -> str:
    """ "xlsx", "parquet", "feather", "stata", "spss" or "delimited", by the bytes; other files we know are
    refused by name."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if fmt := arrow_format(head):  # Parquet or Feather, as the Deportation Data Project publishes
        return fmt
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(path, _EXPECTED_FILE, found=what)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                small = "mimetype" in names and zf.getinfo("mimetype").compress_size < 4096
                mimetype = zf.read("mimetype")[:100] if small else b""
        except Exception:  # noqa: BLE001 - zipfile raises many kinds on a damaged archive
            return "xlsx"  # a damaged workbook: the reader names what is wrong
        if b"opendocument" in mimetype:
            raise InputError(
                path, _EXPECTED_FILE, found="an OpenDocument spreadsheet (.ods): save it as .xlsx"
            )
        if "xl/workbook.bin" in names:
            raise InputError(
                path, _EXPECTED_FILE, found="an Excel binary workbook (.xlsb): save it as .xlsx"
            )
        if not any(n.startswith("xl/") for n in names):
            raise InputError(path, _EXPECTED_FILE, found="a zip archive that is not a workbook")
        return "xlsx"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    return "delimited"


def find_header(
    rows: Sequence[Sequence[str | None]], layouts: list[Layout], file: object, sheet: str | None
) -> tuple[Layout, int] | None:
    """Return (layout, header_index) or None; raise for a known layout missing a column."""
    best: tuple[float, Layout | None, int | None] = (0.0, None, None)
    layout: Layout | None
    index: int | None
    for index, row in enumerate(rows):
        headers = [c or "" for c in row]
        for layout in layouts:
            if layout.matches(headers):
                check_required(layout, headers, file, sheet, index + 1)
                return layout, index
            score = layout.overlap(headers)
            if score > best[0]:
                best = (score, layout, index)
    score, layout, index = best
    if layout is not None and index is not None and score >= 0.5:
        headers = [c or "" for c in rows[index]]
        present = {normalise_header(h) for h in headers}
        missing = [s for s in layout.signature if normalise_header(s) not in present]
        raise InputError(
            file,
            f"a column {missing[0]!r} in the header of layout {layout.name}",
            sheet=sheet,
            row=index + 1,
            column=missing[0],
        )
    return None


def check_required(
    layout: Layout, headers: list[str], file: object, sheet: str | None, row: int
) -> None:
    seen: set[str] = set()
    for header in headers:
        canonical = layout.canonical(header) if header.strip() else None
        if canonical is None:
            continue
        if canonical in seen:
            raise InputError(
                file,
                f"one column for field {canonical!r}",
                sheet=sheet,
                row=row,
                column=header,
                found="a second column for it",
            )
        seen.add(canonical)
    mapped = {layout.canonical(h) for h in headers if h.strip()}
    for name in layout.required:
        if name not in mapped:
            raise InputError(
                file,
                f"a column {layout.header_for(name)!r} (required by layout {layout.name})",
                sheet=sheet,
                row=row,
                column=layout.header_for(name),
            )


def read_xlsx(path: Path, layouts: list[Layout]) -> Workbook:
    """A workbook's recognised sheets, streamed by the C scanner when it is built (the normal
    case), else read through calamine, which holds each sheet whole in memory."""
    try:
        from . import xlsx_stream
    except ImportError:  # the optional extension was not compiled on this machine
        return read_xlsx_calamine(path, layouts)
    return _read_xlsx_stream(path, layouts, xlsx_stream)


@dataclass
class _SheetSource:
    """One sheet of a workbook, as either reader gives it to the recognition loop."""

    name: str
    head: Callable[[], tuple[list[list[str | None]], int | None]]  # first rows; last row
    extent: Callable[[], int | None]  # rows holding values, for a sheet not ingested
    batches: Callable[[int, int], Callable[[], Iterator[pa.Table]]]  # (header_row, width)
    not_data: str | None = None  # why the sheet is never a data sheet (a chart sheet)


def _recognise(path: Path, layouts: list[Layout], sources: list[_SheetSource]) -> Workbook:
    """Find each sheet's layout by its header; notes skipped, continuations read under the
    header of the sheet before, anything else skipped with the reason and its extent."""
    wb_out = Workbook(path, "xlsx")
    taken_single: set[str] = set()
    previous: str | None = None  # the sheet just before, when it was ingested
    for source in sources:
        name = source.name
        after, previous = previous, None
        if NOTE_SHEETS.match(name):
            wb_out.skipped.append(Skipped(name, "notes or footnotes sheet"))  # rows not counted
            continue
        if source.not_data:
            wb_out.skipped.append(Skipped(name, source.not_data))
            continue
        try:
            head, last_row = source.head()
        except InputError:
            raise
        except Exception as exc:
            raise InputError(path, "a readable worksheet", sheet=name, found=_short(exc)) from None
        # Recognised by header, whatever the file format the layout was documented in.
        candidates = [lay for lay in layouts if lay.name not in taken_single]
        found = find_header(head, candidates, path, name) if candidates else None
        prior = _continued(wb_out, after, head) if found is None else None
        if prior is not None:
            wb_out.sheets.append(
                Sheet(
                    file=path,
                    name=name,
                    layout=prior.layout,
                    header_row=0,
                    headers=prior.headers,
                    preamble=[],
                    total_rows=last_row,
                    continues=prior.continues or prior.name,
                    batches=source.batches(0, len(prior.headers)),
                )
            )
            previous = name
            continue
        if found is None:
            reason = "no known layout's header: " + header_diagnosis(head, candidates or layouts)
            if taken_single:
                reason = "not the list sheet (the first list sheet of the workbook was taken)"
            wb_out.skipped.append(Skipped(name, reason, source.extent()))
            continue
        layout, index = found
        if not layout.multi_sheet:
            taken_single.add(layout.name)
        # The header spans every column holding a value in the sheet's first rows: a value
        # under a blank header is an extra column, kept and reported.
        headers = [c or "" for c in head[index]]
        preamble = [" ".join(c for c in row if c) for row in head[:index]]
        wb_out.sheets.append(
            Sheet(
                file=path,
                name=name,
                layout=layout,
                header_row=index + 1,
                headers=headers,
                preamble=[p for p in preamble if p],
                batches=source.batches(index + 1, len(headers)),
                total_rows=max(last_row - (index + 1), 0) if last_row is not None else None,
            )
        )
        previous = name
    if not wb_out.sheets:
        tried = "; ".join(f"sheet {s.name!r}: {s.reason}" for s in wb_out.skipped)
        raise InputError(
            path,
            f"a sheet whose header is a known layout (one of {len(layouts)}); "
            f"tried {tried or 'no sheet'}",
            sheet=sources[0].name if sources else None,
        )
    return wb_out


def _read_xlsx_stream(path: Path, layouts: list[Layout], xlsx_stream: ModuleType) -> Workbook:
    try:
        book = xlsx_stream.XlsxStream(path)
    except InputError:
        raise
    except Exception as exc:  # zip and xml errors all mean the same to a user
        raise InputError(path, "a readable .xlsx workbook", found=_short(exc)) from None

    def source(part: Any) -> _SheetSource:
        def head() -> tuple[list[list[str | None]], int | None]:
            try:
                got = book.head(part.member)
            except xlsx_stream.ScanFault as exc:
                raise _fault(exc, path, part.name) from None
            return got.rows, got.last_row

        return _SheetSource(
            part.name,
            head,
            lambda: _extent(book, part.member, path, part.name),
            lambda header_row, width: _stream_batches(
                book, part.member, path, part.name, header_row, width, xlsx_stream
            ),
            not_data=None if part.member else "not a worksheet (chart or dialog sheet)",
        )

    # A value right of the columns headed in the first rows, later in the sheet, fails loudly
    # with its row and column (calamine, reading the sheet whole, would make it an extra).
    return _recognise(path, layouts, [source(part) for part in book.sheets])


# The refusals of size, not of form (the scanner's and sources/xlsx_limits.py's limits).
_SIZE_REFUSALS = ("longer than", "too deep", "too long", "over 256 MiB")
WITHIN_LIMITS = "a sheet within the reader's size limits"  # what was found names the limit


def _fault(exc: BaseException, path: Path, name: str) -> InputError:
    """The scanner's refusal (problem, row, column index) as the one-line error; what was
    expected is well-formed XML, or for a refusal of size the limits the reader keeps to."""
    problem, row, col = (list(exc.args) + [None, None, None])[:3]
    text = str(problem)
    return InputError(
        path,
        WITHIN_LIMITS
        if any(k in text for k in _SIZE_REFUSALS)
        else "memory to read the sheet"
        if text == "out of memory"
        else "well-formed sheet XML",
        sheet=name,
        row=row or None,
        column=_col_letter(col) if isinstance(col, int) and 0 <= col < 16384 else None,
        found=problem,
    )


def _extent(book: Any, member: str, path: Path, name: str) -> int:
    try:
        return int(book.extent(member))
    except _scan_fault() as exc:
        raise _fault(exc, path, name) from None
    except Exception as exc:
        raise InputError(path, "a readable worksheet", sheet=name, found=_short(exc)) from None


def _stream_batches(
    book: Any,
    member: str,
    path: Path,
    name: str,
    header_row: int,
    width: int,
    xlsx_stream: ModuleType,
) -> Callable[[], Iterator[pa.Table]]:
    def batches() -> Iterator[pa.Table]:
        try:
            yield from book.batches(member, width, header_row, BATCH_ROWS)
        except xlsx_stream.ScanError as exc:
            expected = (
                "no value right of the last headed column"
                if exc.col >= width
                else "cells in column order"
            )
            raise InputError(
                path, expected, sheet=name, row=exc.row, column=_col_letter(exc.col), found=exc.text
            ) from None
        except xlsx_stream.ScanFault as exc:
            raise _fault(exc, path, name) from None
        except InputError:
            raise
        except Exception as exc:
            raise InputError(path, "a readable worksheet", sheet=name, found=_short(exc)) from None

    return batches


def _calamine_limits(path: Path) -> None:
    """The scanner's limits, checked before calamine parses any sheet whole (xlsx_limits)."""
    from . import xlsx_limits as limits

    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # noqa: BLE001 - not a zip: calamine names what is wrong
        return
    with zf:
        name = None
        try:
            limits.check_archive(path, zf)
            sst = next((n for n in zf.namelist() if n.endswith("sharedStrings.xml")), None)
            if sst is not None:
                limits.check_shared_strings(zf, sst)
            for name, member in limits.sheet_parts(zf).items():
                rows, columns = limits.check_sheet(zf, member)
                if rows * columns > limits.MAX_DENSE_CELLS:
                    raise InputError(
                        path,
                        f"at most {limits.MAX_DENSE_CELLS:,} cells (rows by columns) in a sheet "
                        "read without the C scanner",
                        sheet=name,
                        found=f"{rows:,} rows by {columns:,} columns",
                    )
        except limits.LimitFault as exc:
            if name is None:
                raise InputError(path, "a readable .xlsx workbook", found=exc.args[0]) from None
            raise _fault(exc, path, name) from None
        except InputError:
            raise
        except Exception as exc:  # zip errors (CRC, inflating) mean a damaged file
            raise InputError(path, "a readable .xlsx workbook", found=_short(exc)) from None


def read_xlsx_calamine(path: Path, layouts: list[Layout]) -> Workbook:
    from python_calamine import CalamineWorkbook

    _calamine_limits(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ""):
            workbook = CalamineWorkbook.from_path(str(path))
        else:  # calamine picks its reader by extension: a workbook named .xls would fail
            with open(path, "rb") as fh:
                workbook = CalamineWorkbook.from_filelike(fh)
        names = workbook.sheet_names
    except InputError:
        raise
    except Exception as exc:  # zip, xml and calamine errors all mean the same to a user
        raise InputError(path, "a readable .xlsx workbook", found=_short(exc)) from None

    def source(name: str) -> _SheetSource:
        sheets: dict[str, Any] = {}

        def sheet() -> Any:  # parsed once, whole, on first use
            if name not in sheets:
                sheets[name] = workbook.get_sheet_by_name(name)
            return sheets[name]

        def head() -> tuple[list[list[str | None]], int | None]:
            rows = [
                [cell_to_text(c) for c in row]
                for row in sheet().to_python(skip_empty_area=False, nrows=30)
            ]
            return rows, sheet().total_height

        return _SheetSource(
            name,
            head,
            lambda: sheet().height,
            lambda header_row, width: _xlsx_batches(path, sheet(), name, header_row, width),
        )

    return _recognise(path, layouts, [source(name) for name in names])


# A whole cell that is a date: ISO text (as cells styled as dates are read), m/d/y text, or an
# Excel serial number; with or without a time of day.
_DATE_LIKE = re.compile(
    r"(?i)^\s*(\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
    r"|\d{1,2}/\d{1,2}/\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?"
    r"|\d{5}(\.\d+)?)\s*$"
)


def _continued(wb_out: Workbook, after: str | None, head: list[list[str | None]]) -> Sheet | None:
    """The sheet a headerless sheet continues (the data sheet before it hit the row cap), or
    None. Only right after an ingested detainer sheet, when the first row holding a value is no
    wider than that sheet's header and holds a date where the prepare date goes; its rows are
    then data from row 1 on, under that header."""
    prior = (
        wb_out.sheets[-1] if after and wb_out.sheets and wb_out.sheets[-1].name == after else None
    )
    if prior is None or prior.layout.kind != "detainers" or not prior.layout.multi_sheet:
        return None
    first = next((row for row in head if any(c is not None for c in row)), None)
    if first is None:
        return None
    if sum(c is not None for c in first) < 2:  # a note or a title, not a detainer
        return None
    width = max(i for i, c in enumerate(first) if c is not None) + 1
    position = next(
        (
            i
            for i, h in enumerate(prior.headers)
            if h.strip() and prior.layout.canonical(h) == "prepare_date"
        ),
        None,
    )
    if width > len(prior.headers) or position is None or position >= len(first):
        return None
    return prior if first[position] and _DATE_LIKE.match(first[position] or "") else None


def _xlsx_batches(
    path: Path, sheet: Any, name: str, header_row: int, width: int
) -> Callable[[], Iterator[pa.Table]]:
    # The sheet object is the one the header was read from: calamine parses a sheet whole, so
    # asking the workbook for it again would parse it twice.
    def batches() -> Iterator[pa.Table]:
        try:
            rows = sheet.iter_rows()
            batch: list[tuple[int, list[str | None]]] = []
            for number, row in enumerate(rows, start=1):
                if number <= header_row:
                    continue
                cells = [cell_to_text(c) for c in row[:width]]
                if len(cells) < width:
                    cells.extend([None] * (width - len(cells)))
                elif any(cell_to_text(c) is not None for c in row[width:]):
                    extra = next(
                        i for i, c in enumerate(row[width:]) if cell_to_text(c) is not None
                    )
                    raise InputError(
                        path,
                        "no value right of the last headed column",
                        sheet=name,
                        row=number,
                        column=_col_letter(width + extra),
                        found=cell_to_text(row[width + extra]),
                    )
                if all(c is None for c in cells):
                    continue  # a blank row carries nothing; row numbers stay as Excel shows
                batch.append((number, cells))
                if len(batch) >= BATCH_ROWS:
                    yield rows_to_table(batch, width)
                    batch = []
            if batch:
                yield rows_to_table(batch, width)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(path, "a readable worksheet", sheet=name, found=_short(exc)) from None

    return batches


def rows_to_table(batch: list[tuple[int, list[str | None]]], width: int) -> pa.Table:
    """(row_number, cells) pairs -> the Arrow table the store types in SQL."""
    numbers, rows = zip(*batch, strict=True) if batch else ((), ())
    columns = (
        list(zip(*rows, strict=True)) if rows else [()] * width
    )  # transposed in C, not per cell
    arrays = [pa.array(numbers, pa.int64())]
    names = ["row_number"] + [f"c{i}" for i in range(width)]
    arrays.extend(pa.array(columns[i], pa.string()) for i in range(width))
    return pa.Table.from_arrays(arrays, names=names)


def _scan_fault() -> type[Exception]:
    from .xlsx_stream import ScanFault

    fault: type[Exception] = ScanFault  # the C extension's exception class
    return fault


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


DELIMITERS = [",", "|", "\t", ";"]
HEADER_SEARCH_LINES = 30
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def read_delimited(path: Path, layouts: list[Layout], encoding: str = "utf-8-sig") -> Workbook:
    """Delimited text: the header is the first of the first 30 lines that is a known layout's
    (so a preamble above it is allowed); comma, pipe, tab or semicolon, chosen per that line."""
    check_encoding(encoding)
    encoding = _text_encoding(path, encoding)
    with open(path, "rb") as fh:
        head_bytes = fh.read(1 << 16)
    # Binary data, not text: NUL bytes throughout. A stray NUL in text is a control character
    # like any other (replaced and counted at ingest, wherever it is in the file).
    if codecs.lookup(encoding).name not in _WIDE and head_bytes.count(b"\x00") > max(
        8, len(head_bytes) // 100
    ):
        raise InputError(path, _EXPECTED_FILE, found="binary data (NUL bytes)")
    cr_only = b"\r" in head_bytes and b"\n" not in head_bytes  # old Mac exports end lines in CR
    lines: list[str] = []
    state = {"record": 0}
    with open(path, "rb") as raw:
        for line in _decoded_lines(raw, path, encoding, state, cr_only):
            lines.append(line.rstrip("\r\n"))
            state["record"] += 1
            if len(lines) >= HEADER_SEARCH_LINES:
                break
    rows, delimiters = [], []
    for line in lines:
        delimiter = max(DELIMITERS, key=line.count)
        try:
            rows.append(next(csv.reader([line], delimiter=delimiter), []))
        except csv.Error:
            rows.append([])
        delimiters.append(delimiter)
    found = find_header(rows, layouts, path, None)
    if found is None:
        known = ", ".join(lay.name for lay in layouts)
        raise InputError(
            path,
            f"a header row of a known layout ({known})",
            row=1,
            found=lines[0][:80] if lines else None,
        )
    layout, index = found
    header, delimiter, header_row = rows[index], delimiters[index], index + 1
    width = len(header)

    def batches() -> Iterator[pa.Table]:
        # Arrow's reader when the file is plain (most are); from where it stops, if it does,
        # this module's own reader, which names the row of a fault or reads what remains.
        after = header_row
        plain = None if cr_only else text_arrow.scan(path, encoding, header_row, delimiter)
        if plain is not None:
            try:
                for table in text_arrow.batches(
                    path,
                    plain,
                    delimiter=delimiter,
                    width=width,
                    header_row=header_row,
                    batch_rows=BATCH_ROWS,
                ):
                    after = table.column("row_number")[-1].as_py()
                    yield table
                return
            except text_arrow.Refused:
                pass
        # In a plain file a record is a line: the lines Arrow's reader took are skipped.
        yield from careful(after if after > header_row else 0)

    def careful(skip: int) -> Iterator[pa.Table]:
        """Record by record, from record skip + 1."""
        state = {"record": skip}  # the last record read; the header is record `header_row`
        with open(path, "rb") as raw:
            for _ in range(skip):
                raw.readline()
            reader = csv.reader(
                _decoded_lines(raw, path, encoding, state, cr_only),
                delimiter=delimiter,
                strict=True,
            )
            try:
                batch = []
                for number, row in enumerate(reader, start=skip + 1):
                    state["record"] = number
                    if number <= header_row:
                        continue
                    cells = [c if c.strip() else None for c in row]
                    if not any(cells):
                        continue  # a blank record, as in a workbook: nothing to store
                    if len(row) != width:
                        raise InputError(
                            path,
                            f"{width} fields as in the header",
                            row=number,
                            found=f"{len(row)} fields",
                        )
                    batch.append((number, cells))
                    if len(batch) >= BATCH_ROWS:
                        yield rows_to_table(batch, width)
                        batch = []
                if batch:
                    yield rows_to_table(batch, width)
            except csv.Error as exc:
                raise InputError(
                    path, "well-formed delimited text", row=state["record"] + 1, found=str(exc)
                ) from None

    # Read in a thread of its own, a batch ahead: the ingest types and inserts one batch while
    # the next is read (sources/ahead.py); closing the generator stops and joins the thread.
    def ahead() -> Iterator[pa.Table]:
        return read_ahead(batches, "dw-read-text")

    wb = Workbook(path, "delimited")
    wb.sheets.append(
        Sheet(
            file=path,
            name=None,
            layout=layout,
            header_row=header_row,
            headers=header,
            preamble=[x for x in lines[:index] if x.strip()],
            batches=ahead,
        )
    )
    return wb


def check_encoding(encoding: str) -> None:
    """--encoding must name a text encoding (not rot13, base64 or zlib, which codecs also
    knows but which do not turn bytes into text)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise UsageError(f"--encoding {encoding!r}: not a text encoding Python knows") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"--encoding {encoding!r}: a codec that is not a text encoding") from None


def check_input_file(path: Path) -> None:
    """A regular, readable file: a named pipe or a device (/dev/zero) would block or never
    end, and is refused before a byte is read."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "an existing file") from None
    except OSError as exc:
        raise InputError(
            path, "a readable file", found=exc.strerror or type(exc).__name__
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "a file", found="a folder (name the files in it)")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise InputError(path, "a regular file", found=kind)
    if not os.access(path, os.R_OK):
        raise InputError(path, "a readable file", found="no permission to read it")


def _text_encoding(path: Path, encoding: str) -> str:
    """A UTF-16 or UTF-32 byte-order mark decides the encoding unless another was asked for."""
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        return encoding
    with open(path, "rb") as fh:
        head = fh.read(4)
    return next((name for bom, name in _BOMS if head.startswith(bom)), encoding)


MAX_LINE_BYTES = 64 << 20  # one record of delimited text
_SURROGATE = re.compile("[\ud800-\udfff]")


def _decoded_lines(
    raw: BinaryIO, path: Path, encoding: str, state: dict[str, Any], cr_only: bool
) -> Iterator[str]:
    """Text lines, each decoded on its own so an undecodable byte is reported at its own row.
    No line reaches the store with a lone surrogate (utf-7 or unicode_escape can decode to
    one) or longer than MAX_LINE_BYTES."""
    return itertools.chain.from_iterable(_decoded_blocks(raw, path, encoding, state, cr_only))


def _decoded_blocks(
    raw: BinaryIO, path: Path, encoding: str, state: dict[str, Any], cr_only: bool
) -> Iterator[list[str]]:
    """Lists of decoded lines (the csv reader takes them without a Python call per line); a
    line that cannot be taken (undecodable, a lone surrogate, too long) ends its block, and the
    error is raised when the reader asks for it, so it names that line's row."""
    message = f"text in {_encoding_name(encoding)} (use --encoding for another)"
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")

    def checked(text: str) -> str:
        if not utf8 and _SURROGATE.search(text):
            raise InputError(
                path, message, row=state["record"] + 1, found="a lone surrogate (not a character)"
            )
        return text

    if codecs.lookup(encoding).name in _WIDE:  # no byte-wise line split for UTF-16/32
        try:
            for text in io.TextIOWrapper(raw, encoding=encoding, newline=""):
                yield [checked(text)]
        except UnicodeError as exc:  # also "UTF-16 stream does not start with BOM"
            raise InputError(
                path,
                message,
                row=state["record"] + 1,
                found=getattr(exc, "reason", None) or str(exc)[:80],
            ) from None
        return
    # Lines decode as plain UTF-8 (a C decoder, not utf_8_sig's Python one); a line that
    # starts with a BOM drops it, as utf-8-sig decoding each line did.
    name = codecs.lookup(encoding).name
    sig = name == "utf-8-sig"
    codec = "utf-8" if utf8 else encoding
    lines = _cr_lines(raw) if cr_only else iter(lambda: raw.readline(MAX_LINE_BYTES + 1), b"")
    first = True
    while block := list(itertools.islice(lines, 2048)):
        if sig and codecs.BOM_UTF8 in b"".join(block):
            block = [line.removeprefix(codecs.BOM_UTF8) for line in block]
        bad = next((k for k, line in enumerate(block) if len(line) > MAX_LINE_BYTES), None)
        good = block if bad is None else block[:bad]
        try:
            texts = [line.decode(codec) for line in good]
            if not utf8 and any(_SURROGATE.search(t) for t in texts):
                raise UnicodeError("a lone surrogate")
        except (UnicodeError, ValueError, TypeError):
            bad = next(k for k, line in enumerate(good) if not _decodes(line, codec, utf8))
            texts = [line.decode(codec) for line in good[:bad]]
        if first and texts:
            texts[0] = texts[0].lstrip("\ufeff")
        first = False
        yield texts
        if bad is not None:
            line = block[bad]
            if len(line) > MAX_LINE_BYTES:
                raise InputError(
                    path,
                    f"lines of at most {MAX_LINE_BYTES >> 20} MiB",
                    row=state["record"] + 1,
                    found="a longer line",
                )
            try:
                checked(line.decode(codec))
            except UnicodeDecodeError as exc:
                raise InputError(
                    path, message, row=state["record"] + 1, found=f"byte 0x{line[exc.start]:02x}"
                ) from None
            except (UnicodeError, ValueError, TypeError) as exc:
                raise InputError(
                    path, message, row=state["record"] + 1, found=str(exc)[:80]
                ) from None


def _decodes(line: bytes, codec: str, utf8: bool) -> bool:
    try:
        text = line.decode(codec)
    except (UnicodeError, ValueError, TypeError):
        return False
    return utf8 or not _SURROGATE.search(text)


def _cr_lines(raw: BinaryIO) -> Iterator[bytes]:
    rest = b""
    for chunk in iter(lambda: raw.read(1 << 20), b""):
        parts = (rest + chunk).split(b"\r")
        rest = parts.pop()
        for part in parts:
            yield part + b"\r"
        if len(rest) > MAX_LINE_BYTES:
            yield rest  # refused by the caller as too long
            rest = b""
    if rest:
        yield rest


def open_source(path: Path, layouts: list[Layout], encoding: str = "utf-8-sig") -> Workbook:
    check_input_file(path)
    if path.stat().st_size == 0:
        raise InputError(path, "a non-empty file", found="0 bytes")
    kind = sniff_format(path)
    if kind == "xlsx":
        return read_xlsx(path, layouts)
    if kind in COLUMN_FILE_KINDS:  # Parquet, Feather, Stata, SPSS
        return read_arrow_file(path, layouts, kind)
    return read_delimited(path, layouts, encoding)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _encoding_name(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") else encoding
