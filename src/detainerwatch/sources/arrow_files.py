"""Parquet and Feather (Arrow IPC) files, as the Deportation Data Project publishes them, and
its Stata (.dta) and SPSS (.sav) files when the optional reader pyreadstat is installed
(`pip install 'detainerwatch[stats]'`): the same adapters recognise them by column name.

Read column by column and turned into the same text cells a workbook gives (dates as ISO
text, times only when there is one, TRUE/FALSE, whole numbers without ".0"), so the store
types and checks them exactly as it does a workbook's cells. The file has no header row of
its own: its column names are counted as row 1, so record k is row k + 1, the row the same
record has in a CSV export of the file (without a preamble).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .layout import Layout

if TYPE_CHECKING:
    from .readers import Workbook

PARQUET_MAGIC = b"PAR1"
FEATHER_MAGIC = b"ARROW1"
BATCH_ROWS = 50_000


STATA_MAGIC = b"<stata_d"  # formats 117-119 ('<stata_dta>'); older ones start with a version
SPSS_MAGIC = (b"$FL2", b"$FL3")  # .sav and compressed .zsav
KINDS = ("parquet", "feather", "stata", "spss")
_NAMES = {"stata": "Stata .dta", "spss": "SPSS .sav"}


def arrow_format(head: bytes) -> str | None:
    """The column file format of a file's first 8 bytes, or None."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(FEATHER_MAGIC):
        return "feather"
    if head.startswith(STATA_MAGIC) or (
        # Stata 8-13 (formats 113-115): version byte, byte order 1 or 2, file type 1, zero
        len(head) >= 4
        and 0x71 <= head[0] <= 0x73
        and head[1] in (1, 2)
        and head[2:4] == b"\x01\x00"
    ):
        return "stata"
    if head[:4] in SPSS_MAGIC:
        return "spss"
    return None


def _stats_reader(path: Path, kind: str) -> Callable[..., Any]:
    """pyreadstat's reader for the format; a one-line refusal when it is not installed."""
    try:
        import pyreadstat
    except ImportError:
        raise InputError(
            path,
            f"a {_NAMES[kind]} file, read by the optional package pyreadstat",
            found="pyreadstat not installed (pip install 'detainerwatch[stats]')",
        ) from None
    return pyreadstat.read_dta if kind == "stata" else pyreadstat.read_sav


def _stats_batches(path: Path, kind: str) -> Iterator[list[pa.Array]]:
    """The file's columns, BATCH_ROWS rows at a time, value labels applied (a 0/1 column
    labelled FALSE/TRUE reads as its labels); missing numbers and empty strings are null."""
    import pyreadstat

    reader = _stats_reader(path, kind)
    try:
        chunks = pyreadstat.read_file_in_chunks(
            reader, path, chunksize=BATCH_ROWS, output_format="dict"
        )
        for data, meta in chunks:
            labels = meta.variable_value_labels or {}
            columns = []
            for name, values in data.items():
                if name in labels:
                    named = labels[name]
                    values = [named.get(v, v) if v == v else None for v in list(values)]
                    values = [None if v is None else str(v) for v in values]
                columns.append(pa.array(values, from_pandas=True))
            yield columns
    except Exception as exc:  # noqa: BLE001 - a damaged file, whatever the library raises
        text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"a readable {_NAMES[kind]} file", found=text) from None


def column_text(column: pa.Array) -> pa.Array:
    """One Arrow column as the text a workbook cell would give; blank text is null."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.dictionary_decode()
        kind = column.type
    if pa.types.is_null(kind):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "TRUE", "FALSE")
    if pa.types.is_timestamp(kind):
        naive = column.cast(pa.timestamp(kind.unit))  # wall-clock time in the column's zone
        if kind.tz not in (None, "UTC", "Etc/UTC"):
            naive = pc.local_timestamp(column)
        text = naive.cast(pa.timestamp("s"), safe=False).cast(pa.string())
        return pc.replace_substring_regex(text, r" 00:00:00$", "")
    if pa.types.is_floating(kind):
        whole = pc.and_(pc.is_finite(column), pc.equal(column, pc.floor(column)))
        whole = pc.and_(whole, pc.less(pc.abs(column), 1e15))
        as_int = pc.if_else(whole, column, None).cast(pa.int64(), safe=False).cast(pa.string())
        return pc.if_else(whole, as_int, column.cast(pa.string()))
    text = column.cast(pa.string()) if not pa.types.is_string(kind) else column
    if pa.types.is_large_string(text.type):
        text = text.cast(pa.string())
    blank = pc.match_substring_regex(text, r"^\s*$")
    return pc.if_else(blank, pa.scalar(None, pa.string()), text)


def read_arrow_file(path: Path, layouts: list[Layout], kind: str) -> Workbook:
    """The file as a one-sheet Workbook whose layout is found from its column names."""
    from .readers import Sheet, Workbook, find_header

    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(path)
            names = handle.schema_arrow.names
            total = handle.metadata.num_rows
        elif kind in _NAMES:
            _, meta = _stats_reader(path, kind)(path, metadataonly=True)
            names, total = list(meta.column_names), meta.number_rows
        else:
            import pyarrow.feather as feather

            table = feather.read_table(path, memory_map=True)
            names = table.column_names
            total = table.num_rows
    except InputError:
        raise
    except Exception as exc:  # a damaged file means the same to a user whatever the library says
        text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"a readable {_NAMES.get(kind, kind)} file", found=text) from None
    found = find_header([list(names)], layouts, path, None)
    if found is None:
        known = ", ".join(lay.name for lay in layouts)
        raise InputError(
            path,
            f"column names of a known layout ({known})",
            row=1,
            found=", ".join(names[:6]) + (", ..." if len(names) > 6 else ""),
        )
    layout, _ = found
    width = len(names)

    def batches() -> Iterator[pa.Table]:
        source: Iterator[list[pa.Array]]
        if kind == "parquet":
            source = (b.columns for b in handle.iter_batches(batch_size=BATCH_ROWS))
        elif kind in _NAMES:
            source = _stats_batches(path, kind)
        else:
            source = (b.columns for b in table.to_batches(max_chunksize=BATCH_ROWS))
        start = 2  # row 1 is the column names
        for columns in source:
            n = len(columns[0]) if columns else 0
            if not n:
                continue
            arrays = [pa.array(range(start, start + n), pa.int64())]
            arrays.extend(column_text(columns[i]) for i in range(width))
            start += n
            yield pa.Table.from_arrays(
                arrays, names=["row_number"] + [f"c{i}" for i in range(width)]
            )

    wb = Workbook(path, kind)
    wb.sheets.append(
        Sheet(
            file=path,
            name=None,
            layout=layout,
            header_row=1,
            headers=list(names),
            preamble=[],
            batches=batches,
            total_rows=total,
        )
    )
    return wb
