"""Real files vary where the layouts doc allows: where the header sits, how its cells are
written, how dates are stored, which sheets surround the data, how text is encoded and
delimited. Each fixture follows the documented layouts; only the variation under test differs."""

from __future__ import annotations

import codecs
import datetime as dt

import duckdb
import pytest
import xlsxwriter

from conftest import PREAMBLE, detainer_row, run, write_detainer_workbook
from detainerwatch.sources.layouts import ice_2023, ice_2025, ice_2026


def ingest_ok(db, *args):
    result = run(db, "ingest", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result, duckdb.connect(str(db), read_only=True)


def renamed(row: dict, layout) -> dict:
    """A detainer_row() (2026 names) under another layout's header names."""
    by_field = {c: h for h, c in layout.HEADER}
    return {by_field[c]: row[h] for h, c in ice_2026.HEADER if h in row and c in by_field}


# --- workbooks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layout,preamble,header_row",
    [
        (ice_2025, PREAMBLE[:4], 5),  # a shorter preamble
        (ice_2023, PREAMBLE + ["", ""], 9),  # a longer one
        (ice_2026, [], 1),  # none at all
    ],
)
def test_the_header_is_found_wherever_the_preamble_ends(tmp_path, layout, preamble, header_row):
    rows = [renamed(detainer_row(**{"Anonymized Identifier": f"P{i}"}), layout) for i in range(3)]
    path = write_detainer_workbook(
        tmp_path / "w.xlsx", rows, header=[h for h, _ in layout.HEADER], preamble=preamble
    )
    result, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert f"header on row {header_row}" in result.output
    assert con.execute(
        "SELECT list(row_number ORDER BY row_number), any_value(layout), "
        "count(DISTINCT person_id), any_value(facility_name) FROM detainers"
    ).fetchone() == (
        [header_row + 1, header_row + 2, header_row + 3],
        layout.LAYOUT.name,
        3,
        "FRANKLIN COUNTY JAIL",
    )


def test_header_cells_differing_in_case_spacing_line_breaks_and_underscores(tmp_path):
    styles = [
        lambda h: h.upper() + "  ",
        lambda h: h.replace(" ", "\n", 1),
        lambda h: " " + h.lower(),
        lambda h: h.replace(" ", "_"),
    ]
    header = [styles[i % 4](h) for i, (h, _) in enumerate(ice_2026.HEADER)]
    source = detainer_row()
    row = {header[i]: source[h] for i, (h, _) in enumerate(ice_2026.HEADER) if h in source}
    path = write_detainer_workbook(tmp_path / "w.xlsx", [row], header=header)
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    fields = [
        r[0] for r in con.execute("SELECT field FROM load_columns ORDER BY position").fetchall()
    ]
    assert fields == [c for _, c in ice_2026.HEADER]  # every column mapped, none left as extra
    assert con.execute(
        "SELECT prepare_date, facility_name, facility_code, lift_reason, person_id FROM detainers"
    ).fetchone() == (
        dt.datetime(2025, 10, 6),
        "FRANKLIN COUNTY JAIL",
        "FRANKPA",
        "Detainer Declined by LEA",
        "P1",
    )


def test_dates_as_serials_text_and_datetimes_with_times(tmp_path):
    values = [
        45936,
        "45936",
        "10/06/2025",
        "10/6/2025 2:30:00 PM",
        "2025-10-06",
        dt.datetime(2025, 10, 6, 14, 30),
        dt.date(2025, 10, 6),
        45936.5,
        " 10/06/2025 ",
    ]
    rows = [
        detainer_row(**{"Detainer Prepare Date": v, "Anonymized Identifier": f"P{i}"})
        for i, v in enumerate(values)
    ]
    path = write_detainer_workbook(tmp_path / "w.xlsx", rows)
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    day, afternoon, noon = (
        dt.datetime(2025, 10, 6),
        dt.datetime(2025, 10, 6, 14, 30),
        dt.datetime(2025, 10, 6, 12),
    )
    assert [
        r[0]
        for r in con.execute("SELECT prepare_date FROM detainers ORDER BY row_number").fetchall()
    ] == [day, day, day, afternoon, day, afternoon, day, noon, day]


def test_footnotes_first_an_empty_sheet_and_a_sheet_named_detainers(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Footnotes").write(0, 0, "1. Data are from EID.")
    wb.add_worksheet("Sheet2")  # nothing on it
    ws = wb.add_worksheet("Detainers")
    for i, text in enumerate(PREAMBLE):
        if text:
            ws.write(i, 0, text)
    ws.write_row(6, 0, [h for h, _ in ice_2026.HEADER])
    ws.write_row(7, 0, ["10/06/2025", "PA"] + [None] * 6 + ["FRANKLIN COUNTY JAIL"])
    wb.close()
    result, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute("SELECT sheet, row_number, facility_state FROM detainers").fetchall() == [
        ("Detainers", 8, "PA")
    ]
    notes = dict(con.execute("SELECT sheet, note FROM load_sheets").fetchall())
    assert notes["Footnotes"].startswith("not ingested") and notes["Sheet2"].startswith(
        "not ingested"
    )


def test_blank_rows_in_the_middle_are_skipped_counted_and_numbered_as_excel_shows(tmp_path):
    rows = [
        detainer_row(**{"Anonymized Identifier": "A"}),
        None,
        None,
        detainer_row(**{"Anonymized Identifier": "B"}),
        None,
        detainer_row(**{"Anonymized Identifier": "C"}),
    ]
    path = write_detainer_workbook(tmp_path / "w.xlsx", rows)
    result, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute("SELECT list(row_number ORDER BY row_number) FROM detainers").fetchone()[
        0
    ] == [8, 11, 13]
    assert "3 blank rows skipped" in result.output
    assert (
        con.execute("SELECT note FROM load_sheets WHERE sheet = 'FY2026'").fetchone()[0]
        == "3 blank rows skipped"
    )


@pytest.mark.parametrize(
    "marker",
    [
        "(B)(6), (B)(7)(C)",
        " b(6),b(7)c ",
        "(b) (6)",
        "(b)(7)(E)",
        "B(6); B(7)C",
        "(b)(6)(7)(c)",
        "(b)(6), (7)(c)",
        "(b)(7)(C), (b)(6)",
        "(b)(6) & (b)(7)(c)",
    ],
)
def test_markers_with_odd_spacing_and_case_are_counted(tmp_path, marker):
    rows = [
        detainer_row(),
        detainer_row(**{"Gender": marker, "Birth Year": marker, "MSC Charge Date": marker}),
    ]
    path = write_detainer_workbook(tmp_path / "w.xlsx", rows)
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert dict(
        con.execute("SELECT field, redactions FROM load_columns WHERE redactions > 0").fetchall()
    ) == {"gender": 1, "birth_year": 1, "msc_charge_date": 1}
    assert con.execute("SELECT count(*) FROM load_values").fetchone()[0] == 0


def test_a_continuation_sheet_without_a_header_is_read_under_the_previous_header(tmp_path):
    path = tmp_path / "w.xlsx"
    header = [h for h, _ in ice_2026.HEADER]
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    for name, first in (("FY2026", 7), ("FY2026 (2)", 0)):
        ws = wb.add_worksheet(name)
        if first:
            for i, text in enumerate(PREAMBLE):
                if text:
                    ws.write(i, 0, text)
            ws.write_row(6, 0, header)
        for r in range(first, first + 3):
            ws.write_datetime(r, 0, dt.datetime(2026, 3, 1), date_fmt)
            ws.write(r, 1, "PA")
            ws.write(r, 8, "FRANKLIN COUNTY JAIL")
            ws.write(r, header.index("Detainer Lift Reason"), "Booked into Detention")
            ws.write(r, header.index("Anonymized Identifier"), f"{name}-{r}")
    wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    wb.close()
    result, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute(
        "SELECT sheet, row_number, person_id, lift_reason FROM detainers "
        "WHERE sheet = 'FY2026 (2)' ORDER BY row_number"
    ).fetchall() == [
        ("FY2026 (2)", r, f"FY2026 (2)-{r - 1}", "Booked into Detention") for r in (1, 2, 3)
    ]
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 6
    assert "continues sheet 'FY2026'" in result.output


def test_a_sheet_of_something_else_after_the_data_is_not_taken_for_a_continuation(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("FY2026")
    ws.write_row(0, 0, [h for h, _ in ice_2026.HEADER])
    ws.write_row(1, 0, ["10/06/2025", "PA"] + [None] * 6 + ["FRANKLIN COUNTY JAIL"])
    summary = wb.add_worksheet("Summary")
    summary.write_row(0, 0, ["Facility", "Detainers"])
    summary.write_row(1, 0, ["FRANKLIN COUNTY JAIL", 1])
    wb.close()
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 1
    assert (
        con.execute("SELECT note FROM load_sheets WHERE sheet = 'Summary'")
        .fetchone()[0]
        .startswith("not ingested")
    )


def test_the_fy2008_2015_release_headers_are_recognised_in_a_workbook_too(tmp_path):
    path = tmp_path / "fy08.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("FY08")
    ws.write_row(0, 0, [h for h, _ in RAW_HEADER])
    ws.write_datetime(1, 0, dt.datetime(2007, 10, 2), wb.add_format({"num_format": "m/d/yy"}))
    ws.write_row(1, 1, ["Case Closed", "MONTGOMERY CNTY JAIL, PA", "NORRISTOWN", "PENNSYLVANIA"])
    ws.write_row(2, 0, ["1/15/14", None, "CHESTER CNTY JAIL, PA", "WEST CHESTER", "PENNSYLVANIA"])
    wb.close()
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute(
        "SELECT prepare_date, facility_state, lift_reason, layout FROM detainers "
        "ORDER BY row_number"
    ).fetchall() == [
        (dt.datetime(2007, 10, 2), "PENNSYLVANIA", "Case Closed", "ice_detainers_fy2008_2015"),
        (dt.datetime(2014, 1, 15), "PENNSYLVANIA", None, "ice_detainers_fy2008_2015"),
    ]


# --- delimited text of the FY2008-FY2015 release --------------------------------------------

from detainerwatch.sources.layouts.npr_fy2008_2015 import HEADER as RAW_HEADER  # noqa: E402

RAW_ROWS = [
    [
        "10/2/07",
        "Case Closed",
        "MONTGOMERY CNTY JAIL, PA",
        "NORRISTOWN",
        "PENNSYLVANIA",
        "I247 - Immigration Detainer - Notice of Action (prior to March 2013)",
        "PHI",
        "",
        "",
    ],
    ["1/15/14", "", "CHESTER CNTY JAIL, PA", "WEST CHESTER", "PENNSYLVANIA", "", "PHI", "", ""],
    [
        "12/31/09",
        "Detainer Declined by LEA",
        "SANTA CLARA COUNTY JAIL",
        "SAN JOSÉ",
        "CALIFORNIA",
        "",
        "SFR",
        "",
        "",
    ],
]
EXPECTED = [
    (
        dt.datetime(2007, 10, 2),
        "MONTGOMERY CNTY JAIL, PA",
        "NORRISTOWN",
        "PENNSYLVANIA",
        "Case Closed",
    ),
    (dt.datetime(2014, 1, 15), "CHESTER CNTY JAIL, PA", "WEST CHESTER", "PENNSYLVANIA", None),
    (
        dt.datetime(2009, 12, 31),
        "SANTA CLARA COUNTY JAIL",
        "SAN JOSÉ",
        "CALIFORNIA",
        "Detainer Declined by LEA",
    ),
]


def raw_text(delimiter=",", newline="\n", preamble=(), blank_records=False) -> str:
    def line(cells):
        return delimiter.join(f'"{c}"' if delimiter in c else c for c in cells)

    records = [line(h for h, _ in RAW_HEADER)] + [line(r) for r in RAW_ROWS]
    if blank_records:
        records.insert(2, delimiter * (len(RAW_HEADER) - 1))
        records.insert(4, "")
    return newline.join(list(preamble) + records) + newline


@pytest.mark.parametrize(
    "name,data,options",
    [
        ("comma-crlf-bom.csv", codecs.BOM_UTF8 + raw_text(newline="\r\n").encode(), []),
        ("semicolon.csv", raw_text(";").encode(), []),
        ("tab.txt", raw_text("\t").encode(), []),
        ("pipe.txt", raw_text("|").encode(), []),
        ("mac-cr.csv", raw_text(newline="\r").encode(), []),
        ("excel-unicode.txt", raw_text("\t", "\r\n").encode("utf-16"), []),
        ("latin1.csv", raw_text().encode("latin-1"), ["--encoding", "latin-1"]),
        ("preamble.csv", raw_text(preamble=["ICE ERO detainers FY2008-FY2015", ""]).encode(), []),
    ],
)
def test_fy2008_2015_text_in_any_common_encoding_delimiter_and_line_end(
    tmp_path, name, data, options
):
    path = tmp_path / name
    path.write_bytes(data)
    _, con = ingest_ok(tmp_path / "s.duckdb", *options, path)
    assert (
        con.execute(
            "SELECT prepare_date, facility_name, facility_city, facility_state, "
            "lift_reason FROM detainers ORDER BY row_number"
        ).fetchall()
        == EXPECTED
    )
    first = 4 if name == "preamble.csv" else 2
    assert [
        r[0] for r in con.execute("SELECT row_number FROM detainers ORDER BY 1").fetchall()
    ] == [first, first + 1, first + 2]


def test_blank_records_in_text_are_skipped_and_counted(tmp_path):
    path = tmp_path / "blanks.csv"
    path.write_text(raw_text(blank_records=True))
    result, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute("SELECT list(row_number ORDER BY row_number) FROM detainers").fetchone()[
        0
    ] == [2, 4, 6]
    assert "2 blank rows skipped" in result.output
    assert (
        con.execute("SELECT count(*) FROM detainers WHERE prepare_date IS NULL").fetchone()[0] == 0
    )


def test_a_headerless_notes_sheet_that_opens_with_a_date_is_not_a_continuation(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("FY2026")
    ws.write_row(0, 0, [h for h, _ in ice_2026.HEADER])
    ws.write_row(1, 0, ["10/06/2025", "PA"] + [None] * 6 + ["FRANKLIN COUNTY JAIL"])
    notes = wb.add_worksheet("Read me")
    notes.write(0, 0, "10/01/2025 - 03/10/2026: data as of the date of the search")
    notes.write(1, 0, "10/01/2025")
    wb.close()
    _, con = ingest_ok(tmp_path / "s.duckdb", path)
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 1
    assert (
        con.execute("SELECT note FROM load_sheets WHERE sheet = 'Read me'")
        .fetchone()[0]
        .startswith("not ingested")
    )
