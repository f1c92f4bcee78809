"""Detainer workbooks: every cell read as text, markers counted, dates typed, extras kept."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, strategies as st

from conftest import detainer_row, run, write_detainer_workbook
from detainerwatch.sources.markers import is_redaction
from detainerwatch.sources.readers import cell_to_text

DOCUMENTED_MARKERS = [
    "b(6), b(7)c",
    "b(6), b(7)C",
    "(b)(6)(b)(7)(c)",
    "(b)(6),(b)(7)c)",
    "(b)(7)e)",
    "b(7)(e)",
    "(B)(3)",
]


def test_documented_markers_are_recognised():
    assert all(is_redaction(m) for m in DOCUMENTED_MARKERS)


@given(
    st.sampled_from(
        [
            "HENNEPIN COUNTY ADC",
            "MINN.C.F.,ST.CLOUD",
            "[2A] Deportable - Under Adjudication by IJ",
            "B",
            "YES",
            "1313",
            "I247N - Immigration Advisal - Request for Notification",
            "Not  Applicable",
            "(555) 123-4567",
            "b6",
            "LEWISBURG U.S. PEN.",
            "ROBBERY (B)",
        ]
    )
)
def test_ordinary_values_are_not_markers(value):
    assert not is_redaction(value)


@given(
    st.lists(st.sampled_from(DOCUMENTED_MARKERS), min_size=1, max_size=3),
    st.sampled_from([", ", ",", " ", ""]),
)
def test_joined_markers_are_markers(parts, sep):
    assert is_redaction(sep.join(parts))


@given(st.one_of(st.integers(-(10**12), 10**12), st.dates(), st.text(min_size=1).filter(str.strip)))
def test_cell_text_is_lossless_for_ints_dates_and_text(value):
    text = cell_to_text(value)
    if isinstance(value, int):
        assert int(text) == value
    elif isinstance(value, dt.date):
        assert dt.date.fromisoformat(text) == value
    else:
        assert text == value


def test_markers_late_in_any_column_are_counted_and_the_rows_kept(tmp_path):
    rows = [detainer_row(**{"Anonymized Identifier": f"P{i}"}) for i in range(6000)]
    late = {
        5500: "Gender",
        5600: "Birth Year",
        5700: "MSC Charge Date",
        5800: "Facility City",
        5900: "Detainer Prepare Date",
    }
    for index, column in late.items():
        rows[index][column] = "(b)(6),(b)(7)c)"
    rows[10]["Gender"] = "b(6), b(7)c"
    path = write_detainer_workbook(tmp_path / "late.xlsx", rows)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 6000
    red = dict(
        con.execute("SELECT field, redactions FROM load_columns WHERE redactions > 0").fetchall()
    )
    assert red == {
        "gender": 2,
        "birth_year": 1,
        "msc_charge_date": 1,
        "facility_city": 1,
        "prepare_date": 1,
    }
    # Excel row = list index + 8 (preamble 1-6, header 7).
    assert con.execute(
        "SELECT gender IS NULL, prepare_date FROM detainers WHERE row_number = 5508"
    ).fetchone() == (True, dt.datetime(2025, 10, 6))
    assert con.execute("SELECT prepare_date FROM detainers WHERE row_number = 5908").fetchone() == (
        None,
    )


def test_impossible_secondary_dates_are_kept_raw_and_reported(tmp_path):
    rows = [
        detainer_row(**{"MSC Conviction Date": "01/15/0199"}),
        detainer_row(**{"MSC Conviction Date": dt.date(2019, 3, 1)}),
    ]
    path = write_detainer_workbook(tmp_path / "odd.xlsx", rows)
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", path).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT msc_conviction_date FROM detainers ORDER BY row_number"
    ).fetchall() == [(None,), (dt.datetime(2019, 3, 1),)]
    assert con.execute("SELECT row_number, field, raw_value FROM load_anomalies").fetchall() == [
        (8, "msc_conviction_date", "01/15/0199")
    ]
    assert con.execute(
        "SELECT anomalies FROM load_columns WHERE field = 'msc_conviction_date'"
    ).fetchone() == (1,)


def test_values_outside_known_sets_are_reported_with_examples(tmp_path):
    rows = [
        detainer_row(),
        detainer_row(**{"Detainer Lift Reason": "Lifted by Moon"}),
        detainer_row(**{"Detainer Lift Reason": "Lifted by Moon"}),
    ]
    path = write_detainer_workbook(tmp_path / "odd.xlsx", rows)
    db = tmp_path / "s.duckdb"
    # An unmapped lift reason is refused unless accepted (tests/test_hostile.py); accepted here.
    result = run(db, "ingest", "--accept-unmapped", path)
    assert result.exit_code == 0
    assert "lift_reason = 'Lifted by Moon': 2 rows" in result.output
    assert "row 9, row 10" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT field, value, count, example_rows FROM load_values").fetchall() == [
        ("lift_reason", "Lifted by Moon", 2, "9,10")
    ]


def test_unknown_columns_are_kept_in_extras_and_reported(tmp_path):
    from detainerwatch.sources.layouts import ice_2026

    header = [h for h, _ in ice_2026.HEADER] + ["Brand New Column"]
    path = write_detainer_workbook(
        tmp_path / "extra.xlsx", [detainer_row(**{"Brand New Column": "x"})], header=header
    )
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0 and "Brand New Column" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT extras['Brand New Column'] FROM detainers").fetchone() == ("x",)


def test_likely_duplicates_are_flagged_not_dropped(tmp_path):
    rows = [
        detainer_row(**{"Anonymized Identifier": "A"}),
        detainer_row(**{"Anonymized Identifier": "A"}),
        detainer_row(
            **{"Anonymized Identifier": "A", "Detainer Prepare Date": dt.date(2025, 11, 1)}
        ),
        detainer_row(**{"Anonymized Identifier": "B"}),
    ]
    path = write_detainer_workbook(tmp_path / "dups.xlsx", rows)
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", path).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT row_number, likely_duplicate FROM detainers ORDER BY row_number"
    ).fetchall() == [(8, False), (9, True), (10, False), (11, False)]


def test_two_releases_of_the_same_period_are_both_kept(tmp_path):
    db = tmp_path / "s.duckdb"
    a = write_detainer_workbook(tmp_path / "a.xlsx", [detainer_row()])
    b = write_detainer_workbook(tmp_path / "b.xlsx", [detainer_row(Gender="Female")])
    assert run(db, "ingest", "--release", "ice-2026-03", a).exit_code == 0
    assert run(db, "ingest", "--release", "ice-2026-09", b).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT release, count(*) FROM detainers GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("ice-2026-03", 1), ("ice-2026-09", 1)]


def test_text_dates_are_read_by_their_own_year_width(tmp_path):
    rows = [
        detainer_row(
            **{
                "Detainer Prepare Date": "10/2/07",
                "Entry Date": "10/02/2007",
                "Final Order Date": "2007-10-02 13:05:00",
                "Apprehension Date": "39357",
            }
        )
    ]
    path = write_detainer_workbook(tmp_path / "text-dates.xlsx", rows)
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", path).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT prepare_date, entry_date, final_order_date, apprehension_date FROM detainers"
    ).fetchone() == (
        dt.datetime(2007, 10, 2),
        dt.datetime(2007, 10, 2),
        dt.datetime(2007, 10, 2, 13, 5),
        dt.datetime(2007, 10, 2),
    )


def test_sheets_not_ingested_are_recorded_with_their_reason(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    notes = con.execute(
        "SELECT sheet, rows_in, note FROM load_sheets WHERE rows_out = 0 AND "
        "sheet = 'Facility List - Pop Breakout'"
    ).fetchall()
    assert notes and notes[0][2].startswith("not ingested")
