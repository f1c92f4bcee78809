"""FOIA redaction markers (exemption codes put in place of withheld values).

Seen in ICE releases: ``b(6), b(7)c``, ``b(6), b(7)C``, ``(b)(6)(b)(7)(c)``,
``(b)(6),(b)(7)c)``, ``(b)(7)e)``, ``b(7)(e)``, ``(B)(3)``. A marker is one or more
exemption tokens and nothing else; after the first, a token may leave out the ``b``
(``(b)(6)(7)(c)``, ``(b)(6), (7)(c)``). A bare ``b6`` is not a marker. The pattern is
RE2-compatible so the store can apply it in SQL, column by column, without a Python loop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_TOKEN = r"\(?\s*b\s*\)?\s*\(\s*[0-9]\s*\)\s*(?:\(?\s*[a-f]\s*\)?)?"
_MORE = r"\(\s*[0-9]\s*\)\s*(?:\(?\s*[a-f]\s*\)?)?"  # a later token without its "b"
MARKER_PATTERN = rf"(?i)^\s*{_TOKEN}(?:\s*[,;&/]?\s*(?:and\s+)?(?:{_TOKEN}|{_MORE}))*\s*$"
_MARKER = re.compile(MARKER_PATTERN)


def is_redaction(value: str | None) -> bool:
    return value is not None and bool(_MARKER.match(value))


def null_markers(table: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """The batch with every marker cell set to null, and the markers counted per column.

    Vectorised (RE2, as in SQL): '(' is in every marker, so the pattern only runs on the few
    cells that hold one, and only their validity bits change; the text buffers are shared."""
    counts = dict.fromkeys(table.column_names, 0)
    arrays = list(table.columns)
    candidates: list[tuple[int, pa.Array, np.ndarray]] = []  # (index, column, cells with "(")
    for k, column in enumerate(table.columns):
        if not pa.types.is_string(column.type):
            continue
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        arrays[k] = column
        where = cells_holding(column, ord("("))
        if len(where):
            candidates.append((k, column, where))
    if candidates:
        # One match over the candidates of every column: RE2 compiles the pattern per call.
        texts = pa.concat_arrays([column.take(pa.array(where)) for _, column, where in candidates])
        marker = pc.match_substring_regex(texts, MARKER_PATTERN).to_numpy(zero_copy_only=False)
        start = 0
        for k, column, where in candidates:
            hits = where[marker[start : start + len(where)]]
            start += len(where)
            if len(hits):
                counts[table.column_names[k]] = len(hits)
                arrays[k] = _without(column, hits)
    return pa.Table.from_arrays(arrays, names=table.column_names), counts


def cells_holding(column: pa.Array, byte: int) -> np.ndarray:
    """Positions of the non-null cells of a string array whose UTF-8 holds `byte` (an ASCII
    byte, so never part of another character): one pass over the text buffer, not a search
    per cell."""
    if len(column) == column.null_count:
        return np.zeros(0, dtype=np.int64)
    _, offsets_buffer, data_buffer = column.buffers()
    if data_buffer is None or data_buffer.size == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        column.offset : column.offset + len(column) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    found = np.flatnonzero(data == byte)
    if not len(found):
        return np.zeros(0, dtype=np.int64)
    # The cell a byte lies in: the last whose start is at or before it (empty cells skipped).
    cells = np.searchsorted(offsets, found + offsets[0], side="right") - 1
    cells = cells[np.concatenate(([True], cells[1:] != cells[:-1]))]  # sorted: drop repeats
    if column.null_count:
        valid: np.ndarray = pc.is_valid(column).to_numpy(zero_copy_only=False)
        cells = cells[valid[cells]]
    out: np.ndarray = cells.astype(np.int64)
    return out


def _without(column: pa.Array, positions: Sequence[int] | np.ndarray) -> pa.Array:
    """The same strings with the cells at positions made null (a new validity bitmap only)."""
    if column.offset:
        column = pa.concat_arrays([column])  # realign at offset 0
    _, offsets, data = column.buffers()
    n = len(column)
    valid = (
        np.array(pc.is_valid(column).to_numpy(zero_copy_only=False), dtype=bool)
        if column.null_count
        else np.ones(n, dtype=bool)
    )
    valid[np.asarray(positions, dtype=np.int64)] = False
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()), offsets, data],
        null_count=n - int(np.count_nonzero(valid)),
    )


def null_texts(table: pa.Table, texts: tuple[str, ...]) -> pa.Table:
    """The batch with every cell whose whole text is one of ``texts`` (a layout's spelling of
    "missing", such as R's NA) set to null; the store then counts them as blanks."""
    if not texts:
        return table
    value_set = pa.array(list(texts), pa.string())
    arrays = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            column = pc.if_else(
                pc.is_in(column, value_set=value_set), pa.scalar(None, pa.string()), column
            )
        arrays.append(column)
    return pa.Table.from_arrays(arrays, names=table.column_names)
