"""The one CSV writer of the project: every CSV it writes (report, profile and audit folders,
web and static-site downloads, `query --format csv`, `resolve`, `policies list`) goes through it.

Text comes from the released files, and a spreadsheet evaluates a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(...)`` in a facility name would
run when the download is opened). Such a text cell is written with a leading ``'``, as OWASP
recommends ("CSV injection"); a spreadsheet then shows the text as it is. Numbers stay numbers
(a negative count is written ``-3``, not ``'-3``); None is an empty cell. JSON, Parquet and
SQLite keep the raw text: only CSV is read by programs that evaluate it.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from functools import partial
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from collections.abc import Iterable, Mapping, Sequence

# OWASP's list: cells a spreadsheet may read as a formula or a command.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as it may go into a CSV cell: text that a spreadsheet would evaluate gets a
    leading ``'``; numbers, booleans and None pass unchanged (the csv module writes None as an
    empty cell)."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


_PASS = frozenset({int, float, bool, type(None), Decimal})


def _safe_row_cr(row: Iterable[Any]) -> tuple[list[Any], bool]:
    """safe_row(row) and whether a text cell holds a carriage return, in one pass: a row of a
    national report is tens of cells and a report thousands of rows (issue 16). Plain numbers,
    None and plain text are judged inline; any other value goes through safe_cell."""
    cells: list[Any] = []
    cr = False
    for v in row:
        t = type(v)
        if t in _PASS:
            cells.append(v)
            continue
        if t is not str:
            v = safe_cell(v)
            if not isinstance(v, str):
                cells.append(v)
                continue
        elif v.startswith(FORMULA_START):
            v = "'" + v
        if "\r" in v:
            cr = True
        cells.append(v)
    return cells, cr


_PASS_OR_TEXT = _PASS | {str}
_ROWS = frozenset({list, tuple})
_is_text = partial(type.__instancecheck__, str)


def _plain(rows: list[Sequence[Any]]) -> bool:
    """Whether every cell of the rows is written as it is: plain numbers, None, and plain text
    that neither begins like a formula nor holds a carriage return. Judged for the whole table
    at once, in C (maps over its cells, not a Python loop per cell): a national report's two
    CSVs are thousands of rows (issue 16). False sends the rows through writerow, cell by cell,
    which writes the same for such rows."""
    cells = list(chain.from_iterable(rows))
    types = set(map(type, cells))
    if not types <= _PASS_OR_TEXT:
        return False
    if str not in types:
        return True
    texts = list(filter(_is_text, cells))
    if any(map(str.startswith, texts, repeat(FORMULA_START))):
        return False
    return "\r" not in "".join(texts)


def _has_cr(row: Iterable[Any]) -> bool:
    return any(isinstance(v, str) and "\r" in v for v in row)


class Writer:
    """csv.writer with every cell made safe (same writerow/writerows). Lines end in LF; a row
    with a carriage return inside a cell is written with its text cells quoted (the csv module
    quotes only what contains the line terminator, and a bare CR would split the row)."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\n")
        self._writer = csv.writer(fh, **kwargs)
        self._quoted = csv.writer(fh, **{**kwargs, "quoting": csv.QUOTE_NONNUMERIC})

    def writerow(self, row: Iterable[Any]) -> Any:
        cells, cr = _safe_row_cr(row)
        if cr:
            return self._quoted.writerow(["" if v is None else v for v in cells])
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        if type(rows) is list and _ROWS.issuperset(map(type, rows)) and _plain(rows):
            self._writer.writerows(rows)  # nothing to make safe: csv's C writer, one call
            return
        for row in rows:
            self.writerow(row)


class DictWriter:
    """csv.DictWriter with every cell made safe (the header too: column names can come from a
    user's file, as in `resolve`)."""

    def __init__(
        self,
        fh: IO[str],
        fieldnames: Sequence[str],
        restval: Any = "",
        extrasaction: str = "raise",
        **kwargs: Any,
    ) -> None:
        self.fieldnames = list(fieldnames)
        self.restval, self.extrasaction = restval, extrasaction
        self._writer = Writer(fh, **kwargs)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> Any:
        if self.extrasaction == "raise":
            extra = set(row) - set(self.fieldnames)
            if extra:
                raise ValueError(f"dict contains fields not in fieldnames: {sorted(extra)!r}")
        return self._writer.writerow([row.get(k, self.restval) for k in self.fieldnames])

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        # Rows that each hold every column (extra keys ignored): their cells taken by one
        # itemgetter per row (C) and written as a table (Writer.writerows).
        names = self.fieldnames
        if (
            type(rows) is list
            and self.extrasaction != "raise"
            and len(names) > 1
            and all(map(frozenset(names).issubset, rows))
        ):
            self._writer.writerows(list(map(itemgetter(*names), rows)))
            return
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str], **kwargs: Any) -> Writer:
    return Writer(fh, **kwargs)


def write_dicts(path: Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A CSV file of the given columns (keys of a row not among them are left out)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = DictWriter(fh, columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def dicts_to_bytes(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None
) -> bytes:
    """UTF-8 CSV of rows (columns: the given ones, else every key in first-seen order)."""
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    buf = io.StringIO(newline="")
    w = DictWriter(buf, columns, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")
