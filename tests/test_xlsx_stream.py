"""The streaming .xlsx scanner gives every cell the same text as calamine + cell_to_text (the
fallback reader), on real workbooks and on generated ones that exercise what writers do
differently: shared vs inline strings, entities, rich text, dates with and without times,
booleans, decimals, blank rows, cells written without their r attribute, the 1904 date system.
"""

from __future__ import annotations

import datetime as dt
import threading
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detainerwatch.sources import readers
from detainerwatch.sources.layouts import ALL

xlsx_stream = pytest.importorskip("detainerwatch.sources.xlsx_stream")

ROOT = Path(__file__).resolve().parents[1]
FACILITY_LISTS = sorted((ROOT / "data/raw/uwchr-ice-facilities").glob("[2CI]*.xlsx"))


def _tables(workbook):
    return {s.name: pa.concat_tables(list(s.batches())) if True else None for s in workbook.sheets}


def _trimmed(headers):
    while headers and not headers[-1]:
        headers = headers[:-1]
    return headers


def assert_same(path: Path):
    """Same sheets, headers, preamble and cells. calamine's sheet width also counts cells that
    hold an empty string, which the scanner treats as blank: such trailing columns must be
    all blank in calamine's reading."""
    streamed = readers._read_xlsx_stream(path, ALL, xlsx_stream)
    oracle = readers.read_xlsx_calamine(path, ALL)
    assert [
        (s.name, s.header_row, s.layout.name, _trimmed(s.headers), s.preamble)
        for s in streamed.sheets
    ] == [
        (s.name, s.header_row, s.layout.name, _trimmed(s.headers), s.preamble)
        for s in oracle.sheets
    ]
    assert [(s.name, s.reason, s.rows) for s in streamed.skipped] == [
        (s.name, s.reason, s.rows) for s in oracle.skipped
    ]
    a, b = _tables(streamed), _tables(oracle)
    for name in b:
        got, want = a[name].to_pydict(), b[name].to_pydict()
        for column in set(want) - set(got):
            assert all(v is None for v in want.pop(column)), (name, column)
        assert got == want, name
    return a


@pytest.mark.parametrize("path", FACILITY_LISTS, ids=lambda p: p.name)
def test_real_facility_lists_read_as_calamine_reads_them(path):
    assert_same(path)


HEADER_2026 = [
    "Detainer Prepare Date",
    "Facility State",
    "Detainer Facility",
    "Detainer Facility Code",
    "Facility City",
    "Detainer Lift Reason",
    "Detainer Type",
    "Birth Year",
    "MSC Charge",
    "Anonymized Identifier",
]


def _preamble(ws):
    ws.write(0, 0, "ERO-LESA Statistical Tracking Unit")
    ws.write(1, 0, "For Official Use Only (FOUO)/Pre-decisional")
    ws.write(5, 0, "Detainers: 10/01/2025 - 03/10/2026")
    for c, h in enumerate(HEADER_2026):
        ws.write(6, c, h)


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared strings", "inline strings"])
def test_generated_values_of_every_kind(tmp_path, constant_memory):
    path = tmp_path / "kinds.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    date = wb.add_format({"num_format": "mm/dd/yyyy"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("FY2026")
    _preamble(ws)
    rows = [
        [
            dt.datetime(2025, 10, 1),
            "PA",
            "A & B <JAIL> \"Q\" 'S'",
            "AB",
            "É CITY",
            "Booked into Detention",
            None,
            1980,
            "b(6), b(7)c",
            None,
        ],
        [
            dt.datetime(2025, 10, 2, 13, 45, 30),
            "TX",
            "  ",
            "X",
            None,
            None,
            None,
            1979.5,
            True,
            "(b)(6),(b)(7)c)",
        ],
        [None] * 10,  # a blank row: skipped, numbers kept as Excel shows them
        [
            dt.datetime(2026, 3, 10),
            "NY",
            "line\nbreak",
            "Y",
            "Z",
            "Case Closed",
            "I247N",
            -3,
            False,
            "x",
        ],
        [45000, "CA", "123", "Z", "Z", "", "", 0.1, "1E-3", None],
    ]
    for r, values in enumerate(rows, start=7):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, stamp if v.hour else date)
            else:
                ws.write(r, c, v)
    ws2 = wb.add_worksheet("Footnotes")
    ws2.write(0, 0, "notes")
    wb.close()
    tables = assert_same(path)
    got = tables["FY2026"].to_pydict()
    assert got["row_number"] == [8, 9, 11, 12]
    assert got["c0"][:3] == ["2025-10-01", "2025-10-02 13:45:30", "2026-03-10"]
    assert got["c2"][0] == "A & B <JAIL> \"Q\" 'S'" and got["c2"][1] is None
    assert got["c7"] == ["1980", "1979.5", "-3", "0.1"]
    assert got["c8"][1:3] == ["TRUE", "FALSE"]


def _hand_made(path: Path, sheet_xml: str, *, date1904: bool = False, sst: str | None = None):
    """A minimal workbook written by hand, as other writers do it."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "_rels/.rels",
            f'<Relationships><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        pr = '<workbookPr date1904="1"/>' if date1904 else ""
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}">{pr}<sheets>'
            '<sheet name="Detainers" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rels = (
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        )
        if sst is not None:
            rels += (
                f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            )
            z.writestr("xl/sharedStrings.xml", f"<sst {ns}>{sst}</sst>")
        z.writestr("xl/_rels/workbook.xml.rels", f"<Relationships>{rels}</Relationships>")
        z.writestr(
            "xl/styles.xml",
            f'<styleSheet {ns}><numFmts count="1"><numFmt numFmtId="164" '
            'formatCode="d\\-mmm\\-yy"/></numFmts><cellXfs count="3">'
            '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
            "</cellXfs></styleSheet>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>",
        )


def _header_row(r: int) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER_2026)
    return f'<row r="{r}">{cells}</row>'


def test_cells_without_r_rich_text_phonetics_and_1904_dates(tmp_path):
    path = tmp_path / "hand.xlsx"
    sst = (
        '<si><t>PA</t></si><si><r><t xml:space="preserve">FRANKLIN </t></r><r><rPr><b/></rPr><t>COUNTY JAIL</t></r>'
        '<rPh sb="0" eb="1"><t>IGNORED</t></rPh></si><si><t xml:space="preserve"> x_x000D_y </t></si>'
    )
    data = (
        '<row r="8"><c s="1"><v>0</v></c><c t="s"><v>0</v></c><c t="s"><v>1</v></c>'
        '<c r="E8" t="s"><v>2</v></c><c r="G8" t="str"><f>A1</f><v>a&amp;b</v></c></row>'
        '<row><c s="2"><v>1.5</v></c><c t="s"><v>0</v></c></row>'
    )
    _hand_made(
        path,
        _header_row(7) + data.replace('<v>0</v></c><c t="s"><v>0', '<v>1</v></c><c t="s"><v>0', 1),
        date1904=True,
        sst=sst,
    )
    got = assert_same(path)["Detainers"].to_pydict()
    assert got["row_number"] == [8, 9]
    assert got["c0"] == ["1904-01-02", "1904-01-02 12:00:00"]
    assert got["c1"] == ["PA", "PA"]
    assert got["c2"][0] == "FRANKLIN COUNTY JAIL"
    assert got["c4"][0] == " x\ry "
    assert got["c6"][0] == "a&b"


def test_error_cells_keep_their_text(tmp_path):
    # calamine turns an error cell (#N/A) into a blank; the scanner keeps the text: nothing lost.
    path = tmp_path / "err.xlsx"
    _hand_made(
        path, _header_row(7) + '<row r="8"><c><v>45000</v></c><c t="e"><v>#N/A</v></c></row>'
    )
    workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
    assert next(iter(workbook.sheets[0].batches()))["c1"].to_pylist() == ["#N/A"]


def test_value_right_of_the_header_fails_with_its_row_and_column(tmp_path):
    path = tmp_path / "wide.xlsx"
    data = (
        '<row r="8"><c r="A8"><v>45000</v></c></row>' * 1
        + '<row r="40"><c r="A40"><v>45000</v></c><c r="Z40" t="inlineStr"><is><t>stray</t></is></c></row>'
    )
    _hand_made(path, _header_row(7) + data)
    workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
    with pytest.raises(readers.InputError) as err:
        for sheet in workbook.sheets:
            list(sheet.batches())
    assert (err.value.sheet, err.value.row, err.value.column, err.value.found) == (
        "Detainers",
        40,
        "Z",
        "stray",
    )


def test_truncated_sheet_xml_is_an_input_error(tmp_path):
    path = tmp_path / "cut.xlsx"
    _hand_made(path, _header_row(7) + '<row r="8"><c r="A8"><v>45000</v></c>')
    with pytest.raises(readers.InputError) as err:
        workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
        for sheet in workbook.sheets:
            list(sheet.batches())
    assert (err.value.sheet, err.value.row) == ("Detainers", 8)
    assert "well-formed sheet XML" in str(err.value)


def test_batches_are_bounded_and_keep_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "BATCH_ROWS", 1000)
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 16)  # many chunks, cut at row ends
    path = tmp_path / "many.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("FY2026")
    _preamble(ws)
    for r in range(7, 7 + 5500):
        ws.write(r, 0, f"10/{1 + r % 28}/2025")
        ws.write(r, 2, f"JAIL {r}")
        if r % 997 == 0:
            ws.write(r, 9, "(b)(7)e)")
    wb.close()
    workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
    batches = list(workbook.sheets[0].batches())
    assert max(b.num_rows for b in batches) <= 2000  # a batch plus at most one chunk's rows
    assert len(batches) >= 3
    table = pa.concat_tables(batches)
    assert table.num_rows == 5500
    assert table["row_number"].to_pylist() == list(range(8, 8 + 5500))
    assert table["c9"].null_count == 5500 - sum(1 for r in range(7, 7 + 5500) if r % 997 == 0)


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.lists(
            st.one_of(
                _TEXT,
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=False, allow_infinity=False, width=32),
                st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 12, 31)),
            ),
            min_size=1,
            max_size=10,
        ),
        min_size=1,
        max_size=8,
    ),
    constant_memory=st.booleans(),
)
def test_any_cell_text_reads_as_calamine_reads_it(tmp_path_factory, values, constant_memory):
    # Whatever a writer puts in a cell (entities, _xHHHH_ escapes, control characters,
    # astral-plane text, whitespace-only strings, floats), the scanner agrees with calamine.
    path = tmp_path_factory.mktemp("any") / "any.xlsx"
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": constant_memory,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
    ws = wb.add_worksheet("FY2026")
    _preamble(ws)
    for r, row in enumerate(values, start=7):
        ws.write(r, 0, "2026-01-02")
        for c, v in enumerate(row, start=1):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, stamp)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
    assert_same(path)


def test_times_at_a_half_millisecond_read_as_calamine_reads_them(tmp_path):
    # The serial's milliseconds are rounded as one number (as calamine rounds them), not the
    # day's fraction apart: the two differ by 1 ms at half-millisecond times (found by the test
    # above: 20:14:15.0005 read as .000 by the scanner and .001 by calamine).
    path = tmp_path / "half.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
    ws = wb.add_worksheet("FY2026")
    _preamble(ws)
    r = 7
    for hour in range(24):
        ws.write(r, 0, "2026-01-02")
        for c, micro in enumerate((500, 1500, 2500, 999500), start=1):
            ws.write_datetime(r, c, dt.datetime(2000, 1, 1, hour, 14, 15, micro), stamp)
        r += 1
    wb.close()
    assert_same(path)


def _old_cut(data: bytes, size: int) -> list[bytes]:
    """The pieces as the scanner's thread cut them before the cutting moved to the inflate
    thread: after the last row end of the bytes held, the rest carried on."""
    out, held = [], b""
    for i in range(0, len(data), size):
        held += data[i : i + size]
        cut = held.rfind(b"</row>")
        if cut >= 0:
            out.append(held[: cut + 6])
            held = held[cut + 6 :]
    return out + ([held] if held else [])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7, 11, 64])
def test_row_pieces_cut_where_they_were_cut(size):
    data = b'<sheetData><row r="1"><c/></row><row r="2"></row>x</row><row>' + b"y" * 40 + b"</row>z"
    blocks = [data[i : i + size] for i in range(0, len(data), size)]
    pieces = [bytes(p) for p in xlsx_stream._row_pieces(blocks)]
    assert pieces == _old_cut(data, size)
    assert b"".join(pieces) == data


def test_a_row_too_long_is_refused_with_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 12)
    monkeypatch.setattr(xlsx_stream, "MAX_ROW_BYTES", 1 << 14)
    path = tmp_path / "long.xlsx"
    rows = "".join(
        f'<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>JAIL</t></is></c></row>'
        for r in range(8, 400)
    )
    wide = f'<c r="C400" t="inlineStr"><is><t>{"x" * 30000}</t></is></c>'
    _hand_made(path, _header_row(7) + rows + f'<row r="400">{wide}</row>')
    with pytest.raises(readers.InputError) as err:
        workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
        for sheet in workbook.sheets:
            list(sheet.batches())
    assert (err.value.sheet, err.value.row) == ("Detainers", 400)
    assert "a row longer than" in str(err.value)
    assert not [t for t in threading.enumerate() if t.name.startswith(("inflate", "scan"))]


def test_a_failing_sheet_leaves_no_reader_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 10)  # the inflate thread far ahead
    path = tmp_path / "right.xlsx"
    rows = [
        f'<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>JAIL {r}</t></is></c></row>'
        for r in range(8, 6000)
    ]
    rows[3000 - 8] = '<row r="3000"><c r="ZZ3000" t="inlineStr"><is><t>x</t></is></c></row>'
    _hand_made(path, _header_row(7) + "".join(rows))
    with pytest.raises(readers.InputError) as err:
        workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
        for sheet in workbook.sheets:
            list(sheet.batches())
    assert (err.value.row, err.value.column) == (3000, "ZZ")
    assert not [t for t in threading.enumerate() if t.name.startswith(("inflate", "scan"))]
