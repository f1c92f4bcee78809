"""Limits on what a workbook from outside may ask of the reader, for the calamine fallback (used
when the C scanner is not built): the scanner's limits, checked in Python before calamine
parses a sheet whole, with the scanner's one-line messages.

- the archive: a part claiming more compressed bytes than the file holds, a part inflating
  past its limit (workbook, styles and relationships 16 MiB, shared strings 1 GiB) or, past
  256 MiB, more than 200 times its compressed size (a zip bomb);
- each worksheet, streamed row by row: a row's XML over 32 MiB, a row number outside
  1-1048576, a cell beyond column XFD, a cell's text over 1 MiB (also a shared string), an
  attribute of a row or cell over 64 KiB;
- and, calamine's own cost, a sheet whose used range (rows by columns) exceeds
  MAX_DENSE_CELLS: calamine holds every cell of that rectangle, the scanner only those set.

The numbers mirror xlsx_stream.py and _xlsxscan.c's #defines (MAX_ROW, MAX_COL,
MAX_CELL_BYTES).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 8 << 20
MAX_ROW_BYTES = 32 << 20  # one row's XML
MAX_PART_BYTES = 16 << 20  # workbook.xml, styles.xml, relationships
MAX_SST_BYTES = 1 << 30  # sharedStrings.xml
MAX_RATIO = 200  # inflated / compressed, for a part past RATIO_FROM bytes
RATIO_FROM = 256 << 20
MAX_ROW = 1_048_576  # Excel's last row
MAX_COL = 16_384  # columns A..XFD
MAX_CELL_BYTES = 1 << 20  # one cell's text
MAX_ATTR_BYTES = 64 << 10  # one attribute value
MAX_DENSE_CELLS = MAX_ROW * 64  # calamine's rectangle of a sheet: Excel's rows by 64 columns

_SMALL_PARTS = re.compile(r"(^|/)(workbook\.xml|styles\.xml|[^/]*\.rels)$")
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_CELL = re.compile(rb"<(?:\w+:)?c(?=[\s>/])([^>]*)>")
_REF = re.compile(rb'\br\s*=\s*["\']([A-Za-z]*)(\d*)["\']')
_TEXT = re.compile(rb"<(?:\w+:)?(?:v|t)\b[^>]*>([^<]*)")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)>")
_RELATION = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(rb"=\s*(?:\"[^\"]*\"|'[^']*')")


class LimitFault(Exception):
    """A limit reached: (problem, row, column index), as the scanner's ScanFault."""


def part_size(zf: zipfile.ZipFile, member: str, limit: int) -> int:
    """The inflated size of a part, refused past `limit` or at a zip bomb's ratio."""
    info = zf.getinfo(member)
    if info.file_size > limit:
        raise ValueError(
            f"part {member} inflates to {info.file_size:,} bytes (at most {limit:,} read)"
        )
    if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ValueError(
            f"part {member} inflates {info.file_size // max(info.compress_size, 1):,}"
            f" times its size (a zip bomb?)"
        )
    return info.file_size


def check_archive(path: Path, zf: zipfile.ZipFile) -> None:
    """Every part's claimed and inflated size (ValueError with the scanner's message)."""
    size = path.stat().st_size
    for info in zf.infolist():
        if info.header_offset + info.compress_size > size:
            raise ValueError(
                f"part {info.filename} claims {info.compress_size:,} compressed "
                f"bytes; the file has {size:,}"
            )
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.filename.endswith("sharedStrings.xml"):
            part_size(zf, info.filename, MAX_SST_BYTES)
        elif _SMALL_PARTS.search(info.filename):
            part_size(zf, info.filename, MAX_PART_BYTES)
        else:
            part_size(zf, info.filename, 1 << 62)  # the ratio only


def _records(zf: zipfile.ZipFile, member: str, end: bytes, what: str) -> Iterator[bytes]:
    """The part's XML cut after each `end` tag; a record over MAX_ROW_BYTES is refused."""
    held = b""
    with zf.open(member) as fh:
        while block := fh.read(CHUNK):
            held += block
            cut = held.rfind(end)
            if cut < 0:
                if len(held) > MAX_ROW_BYTES:
                    raise LimitFault(f"a {what} longer than {MAX_ROW_BYTES >> 20} MiB of XML")
                continue
            cut += len(end)
            body, held = held[:cut], held[cut:]
            start = 0
            while (k := body.find(end, start)) >= 0:
                k += len(end)
                if k - start > MAX_ROW_BYTES:
                    raise LimitFault(f"a {what} longer than {MAX_ROW_BYTES >> 20} MiB of XML")
                yield body[start:k]
                start = k
    if held:
        yield held


def _column(letters: bytes) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ch - 64
    return index - 1


def _long_attribute(attributes: bytes) -> bool:
    return len(attributes) > MAX_ATTR_BYTES and any(
        len(m.group(0)) > MAX_ATTR_BYTES for m in _VALUE.finditer(attributes)
    )


def _too_long(xml: bytes) -> bool:
    return len(xml) > MAX_CELL_BYTES and any(
        len(m.group(1)) > MAX_CELL_BYTES for m in _TEXT.finditer(xml)
    )


def check_sheet(zf: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Stream a worksheet part and check it row by row; returns (last row, columns)."""
    last_row, width = 0, 0
    records = _records(zf, member, b"</row>", "row")
    while True:
        try:
            xml = next(records)
        except StopIteration:
            break
        except LimitFault as exc:  # a row too long: the row after the last one read
            raise LimitFault(exc.args[0], last_row + 1) from None
        row = _ROW.search(xml)
        if row is None:
            continue
        if _long_attribute(row.group(1)):
            raise LimitFault("an attribute longer than 64 KiB", last_row + 1)
        ref = _REF.search(row.group(1))
        number = int(ref.group(2)[:9]) if ref and ref.group(2) else last_row + 1
        if not 1 <= number <= MAX_ROW:
            raise LimitFault("a row number outside 1-1048576", last_row + 1)
        last_row = max(last_row, number)
        cursor = 0  # the column a cell without a reference is in
        for cell in _CELL.finditer(xml, row.end()):
            if _long_attribute(cell.group(1)):
                raise LimitFault("an attribute longer than 64 KiB", number)
            ref = _REF.search(cell.group(1))
            col = cursor
            if ref and (ref.group(1) or ref.group(2)):
                letters, digits = ref.group(1), ref.group(2)
                col = _column(letters) if 1 <= len(letters) <= 3 else MAX_COL
                if col >= MAX_COL or (digits and not 1 <= int(digits[:9]) <= MAX_ROW):
                    raise LimitFault("a cell reference outside A1:XFD1048576", number, cursor)
            if col >= MAX_COL:
                raise LimitFault("a cell beyond column XFD", number, col)
            cursor = col + 1
            width = max(width, cursor)
        if _too_long(xml):
            at = next(m for m in _TEXT.finditer(xml) if len(m.group(1)) > MAX_CELL_BYTES)
            before = list(_CELL.finditer(xml, 0, at.start()))
            column = None
            if before:
                ref = _REF.search(before[-1].group(1))
                column = _column(ref.group(1)) if ref and ref.group(1) else None
            raise LimitFault("a cell longer than 1 MiB", number, column)
    return last_row, width


def check_shared_strings(zf: zipfile.ZipFile, member: str) -> None:
    for xml in _records(zf, member, b"</si>", "string"):
        if _too_long(xml):
            raise LimitFault("a string longer than 1 MiB")


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part, from workbook.xml and its relationships."""
    names = set(zf.namelist())
    workbook = "xl/workbook.xml"
    if workbook not in names:
        return {}
    rels_path = "xl/_rels/workbook.xml.rels"
    rels: dict[str, str] = {}
    if rels_path in names:
        text = zf.read(rels_path).decode("utf-8", "replace")
        for body in _RELATION.findall(text):
            a = dict(_ATTR.findall(body))
            target = a.get("Target", "")
            target = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            rels[a.get("Id", "")] = target
    out = {}
    for body in _SHEET.findall(zf.read(workbook).decode("utf-8", "replace")):
        a = dict(_ATTR.findall(body))
        rid = next((v for k, v in a.items() if k.split(":")[-1] == "id"), "")
        if rels.get(rid) in names:
            out[a.get("name", "")] = rels[rid]
    return out
