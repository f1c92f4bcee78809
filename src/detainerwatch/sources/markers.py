"""FOIA redaction markers (exemption codes put in place of withheld values).

Seen in ICE releases: ``b(6), b(7)c``, ``b(6), b(7)C``, ``(b)(6)(b)(7)(c)``,
``(b)(6),(b)(7)c)``, ``(b)(7)e)``, ``b(7)(e)``, ``(B)(3)``. A marker is one or more
exemption tokens and nothing else; after the first, a token may leave out the ``b``
(``(b)(6)(7)(c)``, ``(b)(6), (7)(c)``). A bare ``b6`` is not a marker. The pattern is
RE2-compatible so the store can apply it in SQL, column by column, without a Python loop.
"""

from __future__ import annotations

import re

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
    counts: dict[str, int] = {}
    arrays = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        counts[name] = 0
        if not pa.types.is_string(column.type):
            arrays.append(column)
            continue
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        paren = pc.match_substring(column, "(")
        if not pc.any(paren).as_py():
            arrays.append(column)
            continue
        where = pc.indices_nonzero(paren)
        marker = pc.match_substring_regex(pc.take(column, where), MARKER_PATTERN)
        hits = pc.filter(where, marker).to_pylist()
        counts[name] = len(hits)
        arrays.append(_without(column, hits) if hits else column)
    return pa.Table.from_arrays(arrays, names=table.column_names), counts


def _without(column: pa.Array, positions: list[int]) -> pa.Array:
    """The same strings with the cells at positions made null (a new validity bitmap only)."""
    if column.offset:
        column = pa.concat_arrays([column])  # realign at offset 0
    validity, offsets, data = column.buffers()
    n = len(column)
    bits = (
        bytearray(validity.to_pybytes()[: (n + 7) // 8])
        if validity is not None
        else bytearray(b"\xff" * ((n + 7) // 8))
    )
    for i in positions:
        bits[i >> 3] &= ~(1 << (i & 7)) & 0xFF
    return pa.Array.from_buffers(
        pa.string(),
        n,
        [pa.py_buffer(bytes(bits)), offsets, data],
        null_count=column.null_count + len(positions),
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
