"""Streaming .xlsx reading in bounded memory, every cell as text.

The workbook's parts are read with zipfile; each worksheet's XML is inflated in a second thread
(zlib releases the GIL) while the C scanner (`_xlsxscan`) turns complete rows into Arrow string
columns with the GIL released, so inflating and parsing overlap on two cores. Nothing holds more
than one batch of rows: a sheet of a million rows costs the memory of one batch.

Cells come out as `cell_to_text` in readers.py makes them from calamine's values (the fallback
reader, and the oracle of the tests): strings unescaped, whitespace-only as blank, numbers as
written, numbers styled as dates as ISO text.
"""

from __future__ import annotations

from typing import Any

import contextlib
import html
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Generator, Iterable, Iterator

import pyarrow as pa

from ..errors import InputError
from .ahead import ahead as run_ahead
from ._xlsxscan import ScanFault as ScanFault
from ._xlsxscan import Scanner, check_xml, shared_strings
from .xlsx_limits import MAX_PART_BYTES, MAX_ROW_BYTES, MAX_SST_BYTES, part_size

CHUNK = 8 << 20  # inflated bytes per read
HEAD_ROWS = 30
# Limits on what a workbook from outside may ask of the reader (the scanner has its own: cell
# size, attribute and tag length, nesting, rows and columns). Generous for real releases: a
# national release's sheet inflates to 2.6 GB at about 10:1.
# MAX_ROW_BYTES (one row's XML), MAX_PART_BYTES (workbook, styles, relationships),
# MAX_SST_BYTES (shared strings) and MAX_RATIO past RATIO_FROM (zip bombs) are kept in
# xlsx_limits, which the calamine fallback checks without the C scanner.

BATCH_BYTES = 64 << 20  # a batch is handed on at this much cell text, whatever its rows

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_TAG = re.compile(r"<(?:\w+:)?(sheet|Relationship|numFmt|xf|workbookPr)\b([^>]*)>")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
# Excel's built-in number formats that show dates or times.
BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | {45, 47} | set(range(50, 59))
WORKSHEET_REL = "/worksheet"


def _attrs(text: str) -> dict[str, str]:
    out = {}
    for name, dq, sq in _ATTR.findall(text):
        value = html.unescape(dq if dq or not sq else sq)
        out[name] = value
        out.setdefault(name.split(":")[-1], value)
    return out


def is_date_format(code: str) -> bool:
    """A number format that shows a calendar date or a time of day (not a duration)."""
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    if re.search(r"\[(h+|m+|s+)\]", code, re.I):
        return False  # elapsed time: a duration, not a date
    code = re.sub(r"\[[^\]]*\]", "", code)
    return bool(re.search(r"[dmyhs]", code, re.I)) and code.lower() != "general"


@dataclass
class SheetPart:
    name: str
    member: str | None  # None: not a worksheet (chart sheet, dialog sheet)


@dataclass
class Head:
    rows: list[list[str | None]]  # rows 1..n as a spreadsheet numbers them
    last_row: int | None  # from the sheet's <dimension>, when it has one (progress)


class ScanError(Exception):
    """A value the columns cannot hold: (problem, row, column index, text)."""

    def __init__(self, problem: str, row: int, col: int, text: str | None) -> None:
        self.problem, self.row, self.col, self.text = problem, row, col, text
        super().__init__(problem)


class XlsxStream:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.zip = zipfile.ZipFile(self.path)
        try:
            self._open()
        except BaseException:
            self.zip.close()
            raise

    def _part_size(self, member: str, limit: int) -> int:
        """The inflated size of a part, refused past `limit` or at a zip bomb's ratio."""
        return part_size(self.zip, member, limit)

    def _read_text(self, member: str) -> str:
        """A small part (workbook, relationships, styles), checked as XML before any regex."""
        self._part_size(member, MAX_PART_BYTES)
        data = self.zip.read(member)
        try:
            check_xml(data)
        except ValueError as exc:
            raise ValueError(f"part {member}: {exc}") from None
        return data.decode("utf-8")

    def _open(self) -> None:
        # A directory entry may claim more compressed bytes than the file holds; zipfile would
        # then ask for them all in one read (gigabytes allocated for a small file).
        size = self.path.stat().st_size
        for info in self.zip.infolist():
            if info.header_offset + info.compress_size > size:
                raise ValueError(
                    f"part {info.filename} claims {info.compress_size:,} compressed "
                    f"bytes; the file has {size:,}"
                )
        names = set(self.zip.namelist())
        workbook = self._workbook_part(names)
        base = posixpath.dirname(workbook)
        text = self._read_text(workbook)
        rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
        rels: dict[str | None, tuple[str, str]] = {}
        if rels_path in names:
            for tag, body in _TAG.findall(self._read_text(rels_path)):
                if tag == "Relationship":
                    a = _attrs(body)
                    target = a.get("Target", "")
                    target = (
                        target.lstrip("/")
                        if target.startswith("/")
                        else posixpath.normpath(posixpath.join(base, target))
                    )
                    rels[a.get("Id")] = (a.get("Type", ""), target)
        self.date1904 = False
        self.sheets: list[SheetPart] = []
        for tag, body in _TAG.findall(text):
            a = _attrs(body)
            if tag == "workbookPr":
                self.date1904 = a.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet":
                kind, target = rels.get(a.get("id"), ("", ""))  # "": no such part
                member = target if kind.endswith(WORKSHEET_REL) and target in names else None
                self.sheets.append(SheetPart(a.get("name", ""), member))
        seen_names: set[str] = set()
        seen_members: dict[str, str] = {}
        for part in self.sheets:
            folded = part.name.casefold()  # Excel's sheet names are unique, ignoring case
            if folded in seen_names:
                raise InputError(
                    self.path,
                    "each sheet name once",
                    sheet=part.name,
                    found="a second sheet of that name",
                )
            seen_names.add(folded)
            if part.member is not None:
                if part.member in seen_members:
                    raise InputError(
                        self.path,
                        "each sheet in its own part",
                        sheet=part.name,
                        found=f"the part of sheet {seen_members[part.member]!r}",
                    )
                seen_members[part.member] = part.name
                self._part_size(part.member, 1 << 62)
        self.date_styles = self._date_styles(base, names)
        sst = posixpath.join(base, "sharedStrings.xml")
        for kind, target in rels.values():
            if kind.endswith("/sharedStrings"):
                sst = target
        self._sst_member = sst if sst in names else None
        self._sst: tuple[bytes, bytes] | None = None
        # The other small parts (content types, theme, properties) are not used, but a damaged
        # one means a damaged file: their CRC is checked by reading them.
        used = {part.member for part in self.sheets} | {self._sst_member}
        for info in self.zip.infolist():
            if info.filename not in used and not info.is_dir() and info.file_size <= MAX_PART_BYTES:
                self._part_size(info.filename, MAX_PART_BYTES)
                self.zip.read(info.filename)

    def _workbook_part(self, names: set[str]) -> str:
        if "_rels/.rels" in names:
            for tag, body in _TAG.findall(self._read_text("_rels/.rels")):
                a = _attrs(body)
                if tag == "Relationship" and a.get("Type", "").endswith("/officeDocument"):
                    target = a.get("Target", "").lstrip("/")
                    if target in names:
                        return target
        if "xl/workbook.xml" in names:
            return "xl/workbook.xml"
        raise zipfile.BadZipFile("no workbook part (xl/workbook.xml)")

    def _date_styles(self, base: str, names: set[str]) -> bytes:
        path = posixpath.join(base, "styles.xml")
        if path not in names:
            return b""
        text = self._read_text(path)
        custom = {}
        for tag, body in _TAG.findall(text):
            if tag == "numFmt":
                a = _attrs(body)
                if a.get("numFmtId", "").isdigit():
                    custom[int(a["numFmtId"])] = a.get("formatCode", "")
        start = text.find("<cellXfs")
        end = text.find("</cellXfs>", start)
        flags = []
        if start >= 0:
            for tag, body in _TAG.findall(text[start : end if end > 0 else None]):
                if tag != "xf":
                    continue
                fmt = _attrs(body).get("numFmtId", "0")
                fid = int(fmt) if fmt.isdigit() else 0
                date = is_date_format(custom[fid]) if fid in custom else fid in BUILTIN_DATE_FORMATS
                flags.append(1 if date else 0)
        return bytes(flags)

    def shared_strings(self) -> tuple[bytes, bytes]:
        if self._sst is None:
            if self._sst_member is None:
                self._sst = (b"", bytes(8))
            else:
                self._part_size(self._sst_member, MAX_SST_BYTES)
                self._sst = shared_strings(self.zip.read(self._sst_member))
        return self._sst

    def _scanner(self) -> Scanner:
        data, offsets = self.shared_strings()
        return Scanner(data, offsets, self.date_styles, self.date1904)

    def _chunks(
        self, member: str, scanner: Scanner, size: int | None = None, ahead: bool = True
    ) -> Generator[bytes | memoryview, None, None]:
        """The inflated XML, cut after a row end; inflated and cut ahead in another thread (the
        cutting's copies and searches then leave the scanner's thread, the longer of the two).
        A row longer than MAX_ROW_BYTES is refused (its XML would be held whole)."""
        size = size or CHUNK

        def inflate(emit: Callable[[bytes | memoryview | None], None]) -> None:
            with contextlib.closing(_blocks(self.zip, member, size)) as blocks:
                for piece in _row_pieces(blocks):
                    emit(piece)

        pieces = (
            run_ahead(inflate, f"inflate {member}", depth=3)
            if ahead
            else _row_pieces(_blocks(self.zip, member, size))
        )
        try:
            for piece in pieces:
                if piece is None:  # the row numbered after the last one fed is too long
                    raise ScanFault(
                        f"a row longer than {MAX_ROW_BYTES >> 20} MiB of XML",
                        scanner.last_row() + 1,
                        None,
                    )
                yield piece
        finally:  # the inflate thread stopped and joined now, not when the error is freed
            pieces.close()

    def head(self, member: str, nrows: int = HEAD_ROWS) -> Head:
        """The first rows of a sheet as lists of text (for finding the header)."""
        scanner = self._scanner()
        cells: list[tuple[int, int, str]] = []
        last_row = None
        first = True
        for chunk in self._chunks(member, scanner, 1 << 18, ahead=False):
            if first:
                m = _DIMENSION.search(bytes(chunk[:4096]))
                if m and (m.group(4) or m.group(2)):
                    last_row = int(m.group(4) or m.group(2))
                first = False
            cells.extend(scanner.feed(chunk, True))
            if cells and cells[-1][0] > nrows:
                break
        else:
            scanner.finish()
        cells = [c for c in cells if c[0] <= nrows]
        height = max((r for r, _, _ in cells), default=0)
        width = max((c for _, c, _ in cells), default=-1) + 1
        rows: list[list[str | None]] = [[None] * width for _ in range(height)]
        for r, c, text in cells:
            rows[r - 1][c] = text
        return Head(rows, last_row)

    def batches(
        self, member: str, width: int, header_row: int, batch_rows: int
    ) -> Iterator[pa.Table]:
        """Arrow tables (row_number, c0..c{width-1}) of the rows below the header.

        Scanning runs in its own thread, a batch ahead of the consumer, so the store types and
        writes one batch while the next is inflated and scanned."""

        def scan(emit: Callable[[pa.Table], None]) -> None:
            scanner = self._scanner()
            scanner.configure(width, header_row)
            with contextlib.closing(self._chunks(member, scanner)) as chunks:
                for chunk in chunks:
                    pending = scanner.feed(chunk)
                    if isinstance(pending, tuple):
                        raise ScanError(*pending)
                    if pending >= batch_rows or scanner.pending_bytes() >= BATCH_BYTES:
                        emit(_table(scanner.take(), width))
            scanner.finish()
            if scanner.pending():
                emit(_table(scanner.take(), width))

        return run_ahead(scan, f"scan {member}", depth=2)

    def extent(self, member: str) -> int:
        """Rows from the first to the last holding a value (calamine's sheet height)."""
        scanner = self._scanner()
        scanner.configure(0, 0, True)
        for chunk in self._chunks(member, scanner):
            scanner.feed(chunk)
        scanner.finish()
        span = scanner.extent()
        return span[1] - span[0] + 1 if span else 0

    def close(self) -> None:
        self.zip.close()


def _row_pieces(blocks: Iterable[bytes]) -> Generator[bytes | memoryview | None, None, None]:
    """The blocks' bytes in pieces that end after a row end (the last piece: whatever is left);
    None, and nothing after it, when more than MAX_ROW_BYTES come without a row end. Blocks
    since the last row end are held as they came and joined once a block brings a row end: a
    long row costs one copy, not one per block."""
    pending: list[bytes] = []
    held = 0
    for block in blocks:
        cut = block.rfind(b"</row>")
        if cut >= 0:
            cut += held + 6
        elif pending:  # a row end split between two blocks
            tail = pending[-1][-5:] if len(pending[-1]) >= 5 else b"".join(pending)[-5:]
            k = (tail + block[:5]).find(b"</row>")
            if k >= 0:
                cut = held - len(tail) + k + 6
        pending.append(block)
        held += len(block)
        if cut < 0:
            if held > MAX_ROW_BYTES:
                yield None
                return
            continue
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        yield memoryview(data)[:cut]
        rest = data[cut:]
        pending, held = ([rest], len(rest)) if rest else ([], 0)
    if pending:
        yield b"".join(pending)


def _blocks(zf: zipfile.ZipFile, member: str, size: int) -> Generator[bytes, None, None]:
    with zf.open(member) as fh:
        while block := fh.read(size):
            yield block


def _table(taken: Any, width: int) -> pa.Table:
    n, row_numbers, columns = taken
    arrays = [pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(row_numbers)])]
    for offsets, data, bitmap, nulls in columns:
        arrays.append(
            pa.Array.from_buffers(
                pa.string(),
                n,
                [
                    pa.py_buffer(bitmap) if nulls else None,
                    pa.py_buffer(offsets),
                    pa.py_buffer(data),
                ],
                null_count=nulls,
            )
        )
    return pa.Table.from_arrays(arrays, names=["row_number"] + [f"c{i}" for i in range(width)])
