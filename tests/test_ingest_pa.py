"""The real FY2008-2015 Pennsylvania extract, tabulated independently with the csv module."""

from __future__ import annotations

import csv
from collections import Counter

import duckdb

from conftest import PA_EXTRACT, run, snapshot


def test_pa_extract_loads_as_32757_detainers(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    n, first, last = con.execute(
        "SELECT count(*), min(prepare_date)::DATE, max(prepare_date)::DATE FROM detainers"
    ).fetchone()
    assert n == 32_757  # SOURCES.md: 32,757 detainers, 2007-10-02..2015-07-18
    assert (str(first), str(last)) == ("2007-10-02", "2015-07-18")


def test_counts_by_facility_city_state_lift_reason_match_the_csv(pa_store):
    with open(PA_EXTRACT, newline="", encoding="utf-8") as fh:
        expected = Counter(
            (
                r["det_facility"] or None,
                r["city"] or None,
                r["state"] or None,
                r["lift_reason"] or None,
            )
            for r in csv.DictReader(fh)
        )
    con = duckdb.connect(str(pa_store), read_only=True)
    got = Counter(
        {
            (f, c, s, lift): n
            for f, c, s, lift, n in con.execute(
                "SELECT facility_name, facility_city, facility_state, lift_reason, count(*) "
                "FROM detainers GROUP BY ALL"
            ).fetchall()
        }
    )
    assert got == expected
    declined = sum(n for k, n in expected.items() if k[3] == "Detainer Declined by LEA")
    assert declined == 225  # SOURCES.md


def test_every_row_carries_its_provenance(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    sha, rows = con.execute(
        "SELECT sha256, rows_out FROM sources WHERE file_name = ?", [PA_EXTRACT.name]
    ).fetchone()
    missing = con.execute(
        "SELECT count(*) FROM detainers WHERE source_file IS NULL OR source_sha256 <> ? "
        "OR row_number IS NULL",
        [sha],
    ).fetchone()[0]
    assert missing == 0 and rows == 32_757
    # Row numbers are as a spreadsheet shows them: header is row 1, data rows 2..32758.
    assert con.execute(
        "SELECT min(row_number), max(row_number), count(DISTINCT row_number) FROM detainers"
    ).fetchone() == (2, 32_758, 32_757)
    # The first data row of the file.
    row = con.execute(
        "SELECT facility_name, lift_reason FROM detainers WHERE row_number = 2"
    ).fetchone()
    assert row == ("MONTGOMERY CNTY JAIL, PA", "Case Closed")


def test_load_report_counts_blanks_and_is_stored(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    with open(PA_EXTRACT, newline="", encoding="utf-8") as fh:
        blank_lift = sum(1 for r in csv.DictReader(fh) if not r["lift_reason"].strip())
    stored = con.execute("SELECT blanks FROM load_columns WHERE field = 'lift_reason'").fetchone()
    assert stored[0] == blank_lift


def test_facility_lists_load_with_their_real_row_counts(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    counts = dict(
        con.execute(
            "SELECT s.file_name, count(*) FROM facility_list f "
            "JOIN sources s USING (source_id) GROUP BY 1"
        ).fetchall()
    )
    assert counts["ICE_Facility_List_11-06-2017-web.xlsx"] == 1_685  # "1685 Facilities" in A3
    albany = con.execute(
        "SELECT city, county, state, sheet, row_number FROM facility_list "
        "WHERE detloc = 'ALBCONY' AND source_file LIKE 'Confidential%'"
    ).fetchone()
    assert albany == ("ALBANY", "KINGS", "NY", "Facility List - Main", 9)


def test_ingesting_the_same_bytes_again_adds_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", PA_EXTRACT).exit_code == 0
    before = snapshot(db)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(PA_EXTRACT.read_bytes())
    result = run(db, "ingest", PA_EXTRACT, copy)
    assert result.exit_code == 0
    assert result.output.count("already ingested") == 2
    assert snapshot(db) == before
