"""The streaming workbook writer behind `synth`: what it writes reads back, in both string
modes, exactly as written (calamine and the project's scanner agree), and same calls give the
same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from detainerwatch.synth_xlsx import STYLE_DATE, STYLE_DATETIME, Workbook, column_letters

TEXTS = [
    "a & b <c> \"d\" 'e'",
    " leading",
    "trailing ",
    "Not  Applicable",
    "São Paulo, 東京",
    "b(6), b(7)c",
    "0999",
    "=1+1",
    "line\nbreak",
    "\u00a0",
]


def _write(path, strings):
    with Workbook(
        path, strings=strings, title="T & t", author="me", created=dt.datetime(2026, 3, 11, 12)
    ) as book:
        ws = book.sheet(
            "Data", last_row=4 + len(TEXTS), width=5, styles=[0, STYLE_DATE, STYLE_DATETIME, 0, 0]
        )
        ws.row(1, ["title"])
        ws.row(3, ["h1", "h2", "h3", "h4", "h5"])
        ws.row(4, [1975, 45566, 45566.50347222222, 2.5, -3])
        for i, text in enumerate(TEXTS):
            ws.row(5 + i, [None, text, None, text if i % 2 else None])
        notes = book.sheet("Footnotes")
        notes.row(1, ["Footnotes"])
    return path


@pytest.mark.parametrize("strings", ["shared", "inline"])
def test_values_read_back_as_written(tmp_path, strings):
    path = _write(tmp_path / "w.xlsx", strings)
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["Data", "Footnotes"]
    rows = wb.get_sheet_by_name("Data").to_python(skip_empty_area=False)
    assert rows[0][0] == "title" and not any(rows[1])
    assert rows[2] == ["h1", "h2", "h3", "h4", "h5"]
    assert rows[3][0] == 1975 and rows[3][1] == dt.date(2024, 10, 1)
    assert rows[3][2] == dt.datetime(2024, 10, 1, 12, 5) and rows[3][3:] == [2.5, -3]
    for i, text in enumerate(TEXTS):
        assert rows[4 + i][1] == text
        assert rows[4 + i][3] == (text if i % 2 else "")


def test_shared_strings_are_stored_once_and_both_modes_read_alike(tmp_path):
    from detainerwatch.sources.xlsx_stream import XlsxStream

    shared = _write(tmp_path / "s.xlsx", "shared")
    inline = _write(tmp_path / "i.xlsx", "inline")
    sst = zipfile.ZipFile(shared).read("xl/sharedStrings.xml").decode()
    assert sst.count("<si>") == 1 + 5 + len(TEXTS) + 1  # title, headers, texts, Footnotes
    assert f'count="{1 + 5 + len(TEXTS) + len(TEXTS) // 2 + 1}"' in sst
    assert '<t xml:space="preserve"> leading</t>' in sst
    for path in (shared, inline):
        stream = XlsxStream(path)
        head = stream.head(stream.sheets[0].member)
        assert head.last_row == 4 + len(TEXTS)
        assert head.rows[3] == ["1975", "2024-10-01", "2024-10-01 12:05:00", "2.5", "-3"]
        # the last row holds only a no-break space: blank, so the sheet's rows end before it
        assert [r[1] for r in head.rows[4:]] == [t for t in TEXTS if t.strip()]
        stream.close()

    def cells(path):
        wb = CalamineWorkbook.from_path(str(path))
        return [wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names]

    assert cells(shared) == cells(inline)


@pytest.mark.parametrize("strings", ["shared", "inline"])
def test_same_calls_same_bytes(tmp_path, strings):
    a = _write(tmp_path / "a.xlsx", strings).read_bytes()
    b = _write(tmp_path / "b.xlsx", strings).read_bytes()
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def test_misuse_is_refused(tmp_path):
    book = Workbook(tmp_path / "x.xlsx")
    ws = book.sheet("A")
    ws.row(2, ["x"])
    with pytest.raises(ValueError, match="increasing"):
        ws.row(2, ["y"])
    with pytest.raises(TypeError):
        ws.row(3, [dt.date(2020, 1, 1)])
    with pytest.raises(ValueError, match="cannot hold"):
        ws.row(4, ["bad \x01 char"])
    with pytest.raises(ValueError, match="cannot be stored"):
        ws.row(5, [float("nan")])
    with pytest.raises(ValueError, match="sheet name"):
        book.sheet("a")  # names are unique regardless of case
    with pytest.raises(ValueError, match="sheet name"):
        book.sheet("x" * 32)
    with pytest.raises(ValueError):
        Workbook(tmp_path / "y.xlsx", strings="both")
    book.close()


def test_column_letters():
    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]


def test_an_error_while_writing_leaves_no_file(tmp_path):
    path = tmp_path / "x.xlsx"
    with pytest.raises(TypeError):
        with Workbook(path) as book:
            ws = book.sheet("A")
            for i in range(1, 5000):
                ws.row(i, ["text", i, i / 7])
            ws.row(5000, [object()])
    assert not path.exists()
