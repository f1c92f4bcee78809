"""csvsafe's one-pass row (issue 16) writes what the first version wrote: every cell through
safe_cell, then the row quoted when a text cell holds a carriage return."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from typing import Any

from hypothesis import given, settings, strategies as st

from detainerwatch.publish import csvsafe


class Kind(enum.IntEnum):
    A = 3


class Text(str):
    pass


def reference(rows: list[list[Any]]) -> str:
    buf = io.StringIO(newline="")
    plain = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        cells = [csvsafe.safe_cell(v) for v in row]
        if any(isinstance(v, str) and "\r" in v for v in cells):
            quoted.writerow(["" if v is None else v for v in cells])
        else:
            plain.writerow(cells)
    return buf.getvalue()


texts = st.text(alphabet=st.sampled_from(list("ab =+-@\t\r\n,\"'x")), max_size=6)
cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    texts,
    texts.map(Text),
    st.just(Kind.A),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cells, max_size=6), max_size=5))
def test_writer_writes_what_the_first_version_wrote(rows: list[list[Any]]) -> None:
    buf = io.StringIO(newline="")
    csvsafe.writer(buf).writerows(rows)
    assert buf.getvalue() == reference(rows)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6),
    st.booleans(),
)
def test_dict_writer_table_writes_what_row_by_row_writes(
    rows: list[list[Any]], extra: bool
) -> None:
    """DictWriter.writerows (one itemgetter per row, the table judged at once) writes what
    writerow writes for each row: plain tables, tables with a cell to make safe, missing keys."""
    names = ["a", "b", "c"]
    dicts: list[dict[str, Any]] = [dict(zip(names, row, strict=True)) for row in rows]
    if extra and dicts:
        dicts[0]["ignored"] = "=x"
        del dicts[-1]["b"]  # a missing column: restval, row by row
    fast, slow = io.StringIO(newline=""), io.StringIO(newline="")
    csvsafe.DictWriter(fast, names, extrasaction="ignore").writerows(dicts)
    one = csvsafe.DictWriter(slow, names, extrasaction="ignore")
    for d in dicts:
        one.writerow(d)
    assert fast.getvalue() == slow.getvalue()
