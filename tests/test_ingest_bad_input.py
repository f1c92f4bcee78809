"""Bad input never costs data: one line naming file, sheet, row, column; exit 2; store unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (
    FACILITY_LISTS,
    PA_EXTRACT,
    detainer_row,
    run,
    snapshot,
    write_detainer_workbook,
)


@pytest.fixture()
def store(tmp_path) -> Path:
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", PA_EXTRACT).exit_code == 0
    return db


def assert_rejected(db: Path, path: Path, *expected_parts: str):
    before = snapshot(db)
    result = run(db, "ingest", path)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in result.output + result.stderr
    assert message.startswith("error: ") and path.name in message
    for part in expected_parts:
        assert part in message, message
    assert snapshot(db) == before
    return message


def test_truncated_workbook(store, tmp_path):
    data = FACILITY_LISTS[0].read_bytes()
    bad = tmp_path / "truncated.xlsx"
    bad.write_bytes(data[: len(data) // 2])
    assert_rejected(store, bad, "expected a readable .xlsx workbook")


def test_corrupt_workbook(store, tmp_path):
    good = write_detainer_workbook(tmp_path / "good.xlsx", [detainer_row()])
    data = bytearray(good.read_bytes())
    # Keep the zip structure but scramble the sheet's compressed bytes.
    start = data.find(b"xl/worksheets/sheet1.xml") + 60
    data[start : start + 200] = bytes(200)
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    assert_rejected(store, bad, "expected a readable")


def test_workbook_whose_header_is_not_a_known_layout(store, tmp_path):
    bad = write_detainer_workbook(
        tmp_path / "unknown.xlsx", [{"Foo": "x"}], header=["Foo", "Bar", "Baz"]
    )
    assert_rejected(store, bad, "sheet 'FY2026'", "expected a sheet whose header is a known layout")


def test_header_missing_a_required_column(store, tmp_path):
    from detainerwatch.sources.layouts import ice_2026

    header = [h for h, _ in ice_2026.HEADER if h != "Detainer Lift Reason"]
    bad = write_detainer_workbook(tmp_path / "nolift.xlsx", [detainer_row()], header=header)
    assert_rejected(store, bad, "sheet 'FY2026'", "row 7", "column 'Detainer Lift Reason'")


def test_delimited_header_missing_a_required_column(store, tmp_path):
    bad = tmp_path / "nostate.csv"
    bad.write_text(
        "date,lift_reason,det_facility,city,detainer_type\n"
        "2010-01-01 00:00:00,Case Closed,BUCKS CNTY JAIL,DOYLESTOWN,\n"
    )
    assert_rejected(store, bad, "row 1", "column 'state'")


def test_undecodable_text(store, tmp_path):
    lines = PA_EXTRACT.read_bytes().splitlines(keepends=True)[:40]
    lines[30] = lines[30].replace(b"PENNSYLVANIA", b"PENNSYLV\xe9NIA", 1)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"".join(lines))
    assert_rejected(store, bad, "row 31", "utf-8")


def test_impossible_prepare_date_in_text(store, tmp_path):
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:40]
    lines[20] = "2013-02-30 00:00:00" + lines[20][len("2007-10-02 00:00:00") :]
    bad = tmp_path / "feb30.csv"
    bad.write_text("".join(lines))
    assert_rejected(store, bad, "row 21", "column 'date'", "expected a date", "2013-02-30")


def test_impossible_prepare_year_in_workbook(store, tmp_path):
    rows = [detainer_row(), detainer_row(**{"Detainer Prepare Date": "10/06/8017"})]
    bad = write_detainer_workbook(tmp_path / "y8017.xlsx", rows)
    assert_rejected(store, bad, "sheet 'FY2026'", "row 9", "column 'Detainer Prepare Date'", "8017")


def test_text_in_a_number_column(store, tmp_path):
    rows = [detainer_row(**{"Birth Year": "nineteen"})]
    bad = write_detainer_workbook(tmp_path / "birthyear.xlsx", rows)
    assert_rejected(store, bad, "row 8", "column 'Birth Year'", "expected a whole number")


def test_a_bad_file_among_good_ones_stores_none_of_them(tmp_path):
    db = tmp_path / "s.duckdb"
    good = write_detainer_workbook(tmp_path / "good.xlsx", [detainer_row()])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run(db, "ingest", PA_EXTRACT, good, bad)
    assert result.exit_code == 2
    snap = snapshot(db)
    assert snap.get("detainers", []) == [] and snap.get("sources", []) == []


def test_missing_file(store, tmp_path):
    result = run(store, "ingest", tmp_path / "nope.csv")
    assert result.exit_code == 2  # click's own check: "does not exist"


_KILL_HELPER = r"""
import sys
from pathlib import Path
from detainerwatch.store import connect
from detainerwatch.store import ingest as mod

class Signal:
    rows = 0
    def start(self, label, total): pass
    def stop(self): pass
    def advance(self, n):
        self.rows += n
        if self.rows >= 100_000:
            Path(sys.argv[3]).write_text("mid-ingest")
            import time
            while True:
                time.sleep(1)

con = connect(sys.argv[1])
mod.ingest(con, [Path(sys.argv[2])], progress=Signal())
"""


def test_sigkill_mid_ingest_leaves_the_store_as_before(store, tmp_path):
    big = tmp_path / "big.csv"
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)
    with open(big, "w") as fh:
        fh.write(lines[0])
        for _ in range(5):
            fh.writelines(lines[1:])
    before = snapshot(store)
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_HELPER, str(store), str(big), str(flag)])
    try:
        deadline = time.time() + 120
        while not flag.exists():
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(store) == before
    # And the store still works: the same file now ingests whole.
    result = run(store, "ingest", "--quiet", big)
    assert result.exit_code == 0, result.output
    assert "163,785 rows" in result.output


def test_missing_file_is_one_line(store, tmp_path):
    assert_rejected(store, tmp_path / "nope.csv", "expected an existing file")


def _zip(**members: str):
    def make(path: Path) -> Path:
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            for name, text in members.items():
                zf.writestr(name.replace("__", "/").replace("_dot_", "."), text)
        return path

    return make


_ods = _zip(
    mimetype="application/vnd.oasis.opendocument.spreadsheet",
    content_dot_xml="<office:document-content/>",
)


def _bytes(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize(
    "name,make,expected",
    [
        ("folder", _folder, "expected a file, found 'a folder"),
        ("empty.xlsx", _bytes(b""), "expected a non-empty file"),
        ("empty.csv", _bytes(b""), "expected a non-empty file"),
        ("image.xlsx", _bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)), "a PNG image"),
        (
            "old.xls",
            _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
            "a legacy Excel .xls (OLE2) file: save it as .xlsx",
        ),
        ("sheet.ods", _ods, "an OpenDocument spreadsheet (.ods): save it as .xlsx"),
        ("binary.xlsb", _zip(xl__workbook_dot_bin="\x83\x01"), "an Excel binary workbook (.xlsb)"),
        ("archive.xlsx", _zip(notes_dot_txt="hello"), "a zip archive that is not a workbook"),
        ("list.csv.gz", _bytes(b"\x1f\x8b\x08\x00" + bytes(40)), "gzip-compressed data"),
        ("binary.csv", _bytes(b"date,lift\x00\x01\x02" * 10), "binary data"),
    ],
)
def test_files_that_are_not_a_workbook_or_text(store, tmp_path, name, make, expected):
    assert_rejected(store, make(tmp_path / name), expected)


def test_a_workbook_named_xls_is_read_by_its_bytes(tmp_path):
    good = write_detainer_workbook(tmp_path / "good.xlsx", [detainer_row()])
    misnamed = tmp_path / "misnamed.xls"
    misnamed.write_bytes(good.read_bytes())
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", "--quiet", misnamed)
    assert result.exit_code == 0 and "1 rows stored" in result.output, result.output


def test_unknown_encoding_is_one_line(store, tmp_path):
    before = snapshot(store)
    result = run(store, "ingest", "--encoding", "no-such-codec", PA_EXTRACT)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "no-such-codec" in result.stderr and snapshot(store) == before


def test_a_short_row_in_text_names_its_row(store, tmp_path):
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:12]
    lines[9] = "2008-01-02 00:00:00,Case Closed,BUCKS CNTY JAIL\n"  # a truncated record
    bad = tmp_path / "short.csv"
    bad.write_text("".join(lines))
    assert_rejected(store, bad, "row 10", "expected 6 fields as in the header", "3 fields")
