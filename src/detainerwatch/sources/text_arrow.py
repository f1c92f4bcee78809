"""Delimited text through Arrow's C++ CSV reader, when that gives exactly the rows the careful
line-by-line reader (sources.readers) would give.

The careful reader decodes each line in Python and hands it to the csv module, so a fault is
named at its own row; at national size that is most of an ingest's time. This reader parses the
same bytes with pyarrow's multi-threaded reader (every column as text, nothing inferred), after
a byte scan has shown that records and lines coincide, so a row's number is its line number:

- UTF-8 (with or without a byte-order mark at the start), lines ending in LF or CR LF;
- no carriage return but before a line feed, no byte-order mark past the header;
- every line holding a quote character is one complete record to Python's csv module in strict
  mode (no quoted line break, no text after a closing quote), which the two readers then read
  alike (tests/test_text_arrow.py compares them on generated lines).

Anything else (invalid UTF-8, a short or long row, an empty or whitespace-only line, a field
longer than the csv module allows, a line longer than a block) raises Refused, at the scan or
mid-stream; the caller then goes on with the careful reader from the first line not yet given,
and it names the fault or reads what remains. Whitespace-only cells become null and all-blank
rows are skipped, as the careful reader does.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .markers import _without

# Python's str.isspace(), the test the careful reader applies to a cell (c.strip()).
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# Bytes that can start one of them in UTF-8: only cells starting so are looked at.
_WHITESPACE_LEAD = np.zeros(256, dtype=bool)
for _ch in PY_WHITESPACE:
    _WHITESPACE_LEAD[_ch.encode()[0]] = True
BLOCK_BYTES = 4 << 20  # Arrow's unit of parallel parsing; a longer line goes the careful way
SCAN_BYTES = 16 << 20


class Refused(Exception):
    """This file (or what remains of it) is for the careful reader."""


@dataclass
class Plain:
    """What the byte scan found: where the data start."""

    data_start: int  # byte offset just past the header line


def scan(path: Path, encoding: str, header_row: int, delimiter: str) -> Plain | None:
    """The scan described above; None when the file is not plain. Only bytes that can make a
    file not plain are searched for (memchr), so a plain file costs little more than a read."""
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        return None
    with open(path, "rb") as fh:
        start = 0
        for _ in range(header_row):
            line = fh.readline(SCAN_BYTES)
            if not line.endswith(b"\n"):
                return None
            start += len(line)
        fh.seek(0)
        buffer = bytearray(SCAN_BYTES)
        view = memoryview(buffer)
        offset = kept = 0  # the file offset of buffer[0]; bytes carried to the next read
        try:
            while True:
                got = fh.readinto(view[kept:])
                size = kept + got
                if not size:
                    return Plain(start)
                cut = buffer.rfind(b"\n", 0, size) + 1 if got else size
                if not cut:
                    return None  # a line longer than the buffer: the careful reader's
                if not _plain(buffer, cut, max(start - offset, 0), delimiter):
                    return None
                kept = size - cut
                buffer[:kept] = buffer[cut:size]
                offset += cut
        finally:
            view.release()


def _plain(piece: bytearray, size: int, data_start: int, delimiter: str) -> bool:
    """The first `size` bytes of piece (whole lines; the data from data_start) are plain."""
    if piece.find(b"\r", 0, size) >= 0 and piece.count(b"\r", 0, size) != piece.count(
        b"\r\n", 0, size
    ):
        return False
    if (
        data_start < size
        and piece.find(b"\xef", data_start, size) >= 0
        and piece.find(codecs.BOM_UTF8, data_start, size) >= 0
    ):
        return False
    if piece.find(b'"', 0, size) < 0:
        return True
    octets = np.frombuffer(piece, dtype=np.uint8, count=size)
    newlines = np.flatnonzero(octets == 10)
    lines = np.searchsorted(newlines, np.flatnonzero(octets == 34))
    lines = lines[np.concatenate(([True], lines[1:] != lines[:-1]))]  # sorted: drop repeats
    bounds = np.concatenate(([-1], newlines, [size - 1]))  # line k: bounds[k]+1 .. bounds[k+1]
    starts, ends = (bounds[lines] + 1).tolist(), (bounds[lines + 1] + 1).tolist()
    try:
        texts = [piece[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)]
        # One record per line: a quoted field running on into the next line would merge two.
        records = sum(1 for _ in csv.reader(texts, delimiter=delimiter, strict=True))
    except (UnicodeDecodeError, csv.Error):
        return False
    return records == len(texts)


def batches(
    path: Path,
    plain: Plain,
    *,
    delimiter: str,
    width: int,
    header_row: int,
    batch_rows: int,
) -> Iterator[pa.Table]:
    """Tables of row_number, c0..c{width-1}, as the careful reader yields them. Raises Refused
    (possibly after some tables) at the first thing it will not read."""
    names = [f"c{i}" for i in range(width)]
    limit = csv.field_size_limit()
    source = pa.OSFile(str(path))  # read, not mapped: the file never counts in resident memory
    try:
        source.seek(plain.data_start)
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=False,  # a record per line: its number
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    check_utf8=True,
                ),
            )
        except pa.ArrowException as exc:
            if "Empty CSV file" in str(exc):  # nothing below the header
                return
            raise Refused(str(exc)) from None
        parsed = 0
        pending: list[pa.Table] = []
        waiting = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowException as exc:
                raise Refused(str(exc)) from None
            numbers = np.arange(parsed, parsed + batch.num_rows, dtype=np.int64) + header_row + 1
            parsed += batch.num_rows
            table = _as_the_careful_reader(batch, numbers, limit)
            if table.num_rows:
                pending.append(table)
                waiting += table.num_rows
            if waiting >= batch_rows:
                yield pa.concat_tables(pending)
                pending, waiting = [], 0
        if pending:
            yield pa.concat_tables(pending)
    finally:
        source.close()


def _as_the_careful_reader(batch: pa.RecordBatch, numbers: np.ndarray, limit: int) -> pa.Table:
    """Whitespace-only cells null, all-blank rows dropped, row numbers in front."""
    columns = []
    for column in batch.columns:
        longest = pc.max(pc.binary_length(column)).as_py() if len(column) else None
        if longest is not None and longest > limit:
            raise Refused("a field longer than the csv module allows")
        columns.append(_blank_to_null(column))
    keep = None
    for column in columns:
        valid = pc.is_valid(column)
        keep = valid if keep is None else pc.or_(keep, valid)
    table = pa.Table.from_arrays(
        [pa.array(numbers, pa.int64()), *columns],
        names=["row_number", *batch.schema.names],
    )
    if keep is not None and not pc.all(keep).as_py():
        table = table.filter(keep)
    return table


def _blank_to_null(column: pa.Array) -> pa.Array:
    """Cells made only of whitespace (Python's sense) become null; looked at only when their
    first byte can start whitespace, so a column without any costs a few vector operations."""
    if column.null_count == len(column):
        return column
    _, offsets_buffer, data_buffer = column.buffers()
    if data_buffer is None or data_buffer.size == 0:
        return column
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        column.offset : column.offset + len(column) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    lead = _WHITESPACE_LEAD[data[np.minimum(starts, len(data) - 1)]] & (lengths > 0)
    if column.null_count:
        lead &= pc.is_valid(column).to_numpy(zero_copy_only=False)
    if not lead.any():
        return column
    where = np.flatnonzero(lead)
    trimmed = pc.utf8_trim(column.take(pa.array(where)), characters=PY_WHITESPACE)
    blank = where[pc.equal(pc.binary_length(trimmed), 0).to_numpy(zero_copy_only=False)]
    return _without(column, blank.tolist()) if len(blank) else column
