"""Readers that turn a file into sheets of text cells, with the row numbers a spreadsheet shows.

Every cell is read as text: no type is inferred from a sample, so a redaction marker late in
a numeric column survives as text and is counted, never silently nulled.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from ..errors import InputError
from .layout import Layout, normalise_header

NOTE_SHEETS = re.compile(r"(?i)^\s*(foot\s*notes?|notes?)\s*$")
BATCH_ROWS = 50_000


def cell_to_text(value) -> str | None:
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


def sniff_format(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    return "delimited"


def find_header(rows: list[list[str | None]], layouts: list[Layout], file, sheet):
    """Return (layout, header_index) or None; raise for a known layout missing a column."""
    best = (0.0, None, None)
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
    if layout is not None and score >= 0.5:
        headers = [c or "" for c in rows[index]]
        present = {normalise_header(h) for h in headers}
        missing = [s for s in layout.signature if normalise_header(s) not in present]
        raise InputError(file, f"a column {missing[0]!r} in the header of layout {layout.name}",
                         sheet=sheet, row=index + 1, column=missing[0])
    return None


def check_required(layout: Layout, headers: list[str], file, sheet, row: int) -> None:
    seen: set[str] = set()
    for header in headers:
        canonical = layout.canonical(header) if header.strip() else None
        if canonical is None:
            continue
        if canonical in seen:
            raise InputError(file, f"one column for field {canonical!r}", sheet=sheet, row=row,
                             column=header, found="a second column for it")
        seen.add(canonical)
    mapped = {layout.canonical(h) for h in headers if h.strip()}
    for name in layout.required:
        if name not in mapped:
            raise InputError(file, f"a column {layout.header_for(name)!r} (required by layout "
                             f"{layout.name})", sheet=sheet, row=row,
                             column=layout.header_for(name))


def read_xlsx(path: Path, layouts: list[Layout]) -> Workbook:
    from python_calamine import CalamineWorkbook

    wb_out = Workbook(path, "xlsx")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
    except InputError:
        raise
    except Exception as exc:  # zip, xml and calamine errors all mean the same to a user
        raise InputError(path, "a readable .xlsx workbook", found=_short(exc)) from None

    xlsx_layouts = [lay for lay in layouts if lay.format == "xlsx"]
    taken_single: set[str] = set()
    for name in names:
        if NOTE_SHEETS.match(name):
            wb_out.skipped.append(Skipped(name, "notes or footnotes sheet"))  # rows not counted
            continue
        try:
            sheet = workbook.get_sheet_by_name(name)
            head = [[cell_to_text(c) for c in row]
                    for row in sheet.to_python(skip_empty_area=False, nrows=30)]
        except Exception as exc:
            raise InputError(path, "a readable worksheet", sheet=name, found=_short(exc)) from None
        candidates = [lay for lay in xlsx_layouts if lay.name not in taken_single]
        found = find_header(head, candidates, path, name) if candidates else None
        if found is None:
            reason = "no header of a known layout in its first 30 rows"
            if taken_single:
                reason = "not the list sheet (the first list sheet of the workbook was taken)"
            wb_out.skipped.append(Skipped(name, reason, sheet.height))
            continue
        layout, index = found
        if not layout.multi_sheet:
            taken_single.add(layout.name)
        headers = [c or "" for c in head[index]]
        preamble = [" ".join(c for c in row if c) for row in head[:index]]
        wb_out.sheets.append(Sheet(
            file=path, name=name, layout=layout, header_row=index + 1, headers=headers,
            preamble=[p for p in preamble if p],
            batches=_xlsx_batches(path, sheet, name, index + 1, len(headers)),
            total_rows=max(sheet.total_height - (index + 1), 0),
        ))
    if not wb_out.sheets:
        known = ", ".join(lay.name for lay in xlsx_layouts)
        raise InputError(path, f"a sheet whose header is a known layout ({known})",
                         sheet=names[0] if names else None)
    return wb_out


def _xlsx_batches(path, sheet, name, header_row, width):
    # The sheet object is the one the header was read from: calamine parses a sheet whole, so
    # asking the workbook for it again would parse it twice.
    def batches():
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
                    extra = next(i for i, c in enumerate(row[width:]) if cell_to_text(c) is not None)
                    raise InputError(path, "no value right of the last headed column", sheet=name,
                                     row=number, column=_col_letter(width + extra),
                                     found=cell_to_text(row[width + extra]))
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
    arrays = [pa.array([number for number, _ in batch], pa.int64())]
    names = ["row_number"] + [f"c{i}" for i in range(width)]
    arrays.extend(pa.array([cells[i] for _, cells in batch], pa.string()) for i in range(width))
    return pa.Table.from_arrays(arrays, names=names)


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_delimited(path: Path, layouts: list[Layout], encoding: str = "utf-8-sig") -> Workbook:
    text_layouts = [lay for lay in layouts if lay.format == "delimited"]
    first_line = _first_line(path, encoding)
    delimiter = max([",", "|", "\t", ";"], key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    found = find_header([header], text_layouts, path, None)
    if found is None:
        known = ", ".join(lay.name for lay in text_layouts)
        raise InputError(path, f"a header row of a known layout ({known})", row=1,
                         found=first_line[:80])
    layout, _ = found

    def batches():
        state = {"record": 1}  # the record being read; the header is record 1

        def decoded_lines(raw):
            # Decode line by line so an undecodable byte is reported at its own row.
            for index, line in enumerate(raw):
                try:
                    text = line.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise InputError(path, f"text in {_encoding_name(encoding)} (use --encoding "
                                     "for another)", row=state["record"] + 1,
                                     found=f"byte 0x{line[exc.start]:02x}") from None
                yield text.lstrip("\ufeff") if index == 0 else text

        with open(path, "rb") as raw:
            reader = csv.reader(decoded_lines(raw), delimiter=delimiter, strict=True)
            try:
                next(reader)
                batch = []
                for number, row in enumerate(reader, start=2):
                    state["record"] = number
                    if len(row) != len(header):
                        if not any(c.strip() for c in row):
                            continue
                        raise InputError(path, f"{len(header)} fields as in the header",
                                         row=number, found=f"{len(row)} fields")
                    batch.append((number, [c if c.strip() else None for c in row]))
                    if len(batch) >= BATCH_ROWS:
                        yield rows_to_table(batch, len(header))
                        batch = []
                if batch:
                    yield rows_to_table(batch, len(header))
            except csv.Error as exc:
                raise InputError(path, "well-formed delimited text", row=state["record"] + 1,
                                 found=str(exc)) from None

    wb = Workbook(path, "delimited")
    wb.sheets.append(Sheet(file=path, name=None, layout=layout, header_row=1, headers=header,
                           preamble=[], batches=batches))
    return wb


def _first_line(path: Path, encoding: str) -> str:
    with open(path, "rb") as fh:
        raw = fh.readline(1 << 20)
    try:
        return raw.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"text in {_encoding_name(encoding)} (use --encoding for another)", row=1,
                         found=f"byte 0x{raw[exc.start]:02x}") from None


def open_source(path: Path, layouts: list[Layout], encoding: str = "utf-8-sig") -> Workbook:
    if not path.exists():
        raise InputError(path, "an existing file")
    if path.stat().st_size == 0:
        raise InputError(path, "a non-empty file", found="0 bytes")
    if sniff_format(path) == "xlsx":
        return read_xlsx(path, layouts)
    return read_delimited(path, layouts, encoding)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _encoding_name(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") else encoding
