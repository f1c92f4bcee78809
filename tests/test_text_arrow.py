"""Delimited text read by Arrow's reader (sources.text_arrow) gives exactly the rows, row numbers
and refusals of the line-by-line reader: compared on generated files, and on files where Arrow's
reader stops past its first block and the line-by-line reader takes over."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import PA_EXTRACT
from detainerwatch.errors import InputError
from detainerwatch.sources import readers, text_arrow
from detainerwatch.sources.layouts import ALL

HEADER = PA_EXTRACT.read_bytes().split(b"\n", 1)[0] + b"\n"  # six columns


def _outcome(path, fast: bool, monkeypatch) -> tuple:
    """("rows", [(row_number, cells...)]) or ("refused", the one-line message)."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(text_arrow, "scan", lambda *a, **k: None)
        try:
            wb = readers.open_source(path, ALL)
            rows = [tuple(r.values()) for b in wb.sheets[0].batches() for r in b.to_pylist()]
        except InputError as exc:
            return ("refused", str(exc))
    return ("rows", rows)


def _same(path, monkeypatch) -> tuple:
    fast, careful = _outcome(path, True, monkeypatch), _outcome(path, False, monkeypatch)
    assert fast == careful
    return fast


def test_python_whitespace_is_what_str_isspace_says():
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert sorted(text_arrow.PY_WHITESPACE) == sorted(spaces)


def test_the_real_extract_is_plain_and_read_alike(monkeypatch):
    assert text_arrow.scan(PA_EXTRACT, "utf-8-sig", 1, ",") is not None
    kind, rows = _same(PA_EXTRACT, monkeypatch)
    assert kind == "rows" and len(rows) == 32_757 and rows[0][0] == 2


@pytest.mark.parametrize(
    "body",
    [
        b'2010-01-01,a,"JAIL\nNAME",X,PA,\n',  # a quoted line break: a record of two lines
        b"2010-01-01,a,JAIL\rNAME,X,PA,\n",  # a carriage return inside a line
        b"2010-01-01,a,\xef\xbb\xbfJAIL,X,PA,\n",  # a byte-order mark past the header
        b'2010-01-01,a,"JAIL"X,X,PA,\n',  # text after a closing quote
    ],
)
def test_files_that_are_not_plain_go_the_careful_way(tmp_path, body, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_bytes(HEADER + body)
    assert text_arrow.scan(path, "utf-8-sig", 1, ",") is None
    _same(path, monkeypatch)


def _lines(n: int) -> list[bytes]:
    lines = PA_EXTRACT.read_bytes().splitlines(keepends=True)
    return lines[:1] + (lines[1:] * (n // len(lines) + 1))[:n]


@pytest.mark.parametrize(
    "late, expected",
    [
        (b"\n", None),  # an empty line: skipped, counted
        (b"   \n", None),  # whitespace only: a blank record
        (b",,,,,,,,,\n", None),  # blank cells, more of them than headers: still blank
        (b"2008-01-02 00:00:00,Case Closed,BUCKS CNTY JAIL\n", "row 100000"),
        (b"2008-01-02 00:00:00,Case Closed,BUCKS \xe9,X,PA,\n", "row 100000"),
    ],
)
def test_the_careful_reader_takes_over_past_arrows_first_block(
    tmp_path, late, expected, monkeypatch
):
    lines = _lines(120_000)
    lines[99_999] = late  # record 100,000, some 9 MB in: past the first blocks Arrow read
    path = tmp_path / "late.csv"
    path.write_bytes(b"".join(lines))
    kind, got = _same(path, monkeypatch)
    if expected:
        assert kind == "refused" and expected in got
    else:
        numbers = [r[0] for r in got]
        assert kind == "rows" and len(numbers) == 119_999 and numbers[-1] == 120_001
        assert 100_000 not in numbers and 100_001 in numbers


_CHARS = 'ab ,"\t\xa0\u3000\x1c\x00é\r\n'
_plain = st.text(alphabet="abé \t\xa0\u3000\x1c\x00-", max_size=6)
_quoted = st.text(alphabet='ab ,"\t', max_size=6).map(lambda t: '"' + t.replace('"', '""') + '"')
_field = st.one_of(
    _plain,
    _plain,
    _quoted,
    st.text(alphabet='ab ,"\n\r\t', max_size=6).map(lambda t: '"' + t.replace('"', '""') + '"'),
    st.text(alphabet=_CHARS, max_size=6),  # anything, quotes and breaks where they fall
)
_line = st.one_of(
    st.lists(st.one_of(_plain, _quoted), min_size=6, max_size=6).map(",".join),
    st.lists(_field, min_size=6, max_size=6).map(",".join),
    st.lists(_field, min_size=0, max_size=8).map(",".join),
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(_line, min_size=0, max_size=12),
    ending=st.sampled_from(["\n", "\r\n"]),
    last=st.booleans(),
    garbage=st.sampled_from(
        [b"", b"", b"", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xc2\x85", b"\xe3\x80\x80"]
    ),
    where=st.integers(0, 400),
)
def test_arrow_and_the_careful_reader_agree(
    tmp_path, monkeypatch, lines, ending, last, garbage, where
):
    body = ending.join(lines) + (ending if last else "")
    data = bytearray(body.encode())
    data[min(where, len(data)) : min(where, len(data))] = garbage
    path = tmp_path / "gen.csv"
    path.write_bytes(HEADER + bytes(data))
    _same(path, monkeypatch)


_cell = st.one_of(
    st.none(),
    st.sampled_from(["b(6), b(7)c", "(b)(6)(b)(7)(c)", "(B)(3)", "JAIL (PA)", "(", "", " "]),
    st.text(alphabet="ab(6)é ,", max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_cell, max_size=40), start=st.integers(0, 5))
def test_markers_are_found_per_cell_as_the_pattern_says(cells, start):
    """The marker pre-filter works on the text buffer (one pass, not a search per cell); it
    finds what the pattern finds cell by cell, in sliced arrays and beside nulls."""
    import pyarrow as pa

    from detainerwatch.sources.markers import is_redaction, null_markers

    column = pa.array(["x"] * start + cells, pa.string()).slice(start)
    table = pa.table({"c0": column})
    out, counts = null_markers(table)
    assert out.column("c0").to_pylist() == [None if is_redaction(c) else c for c in cells]
    assert counts["c0"] == sum(is_redaction(c) for c in cells)
