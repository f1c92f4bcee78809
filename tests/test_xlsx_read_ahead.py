"""A workbook's next sheet is scanned while the store takes the last batches of the sheet
before (xlsx_stream.Ahead.then, readers._read_ahead): the same rows, and no reader thread left
when an ingest fails with the next sheet already started."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import xlsxwriter
from conftest import PREAMBLE, detainer_row, run, snapshot

from detainerwatch.sources import readers
from detainerwatch.sources.layouts import ALL, ice_2026

xlsx_stream = pytest.importorskip("detainerwatch.sources.xlsx_stream")


def _workbook(path: Path, sheets: dict[str, list[dict]]) -> Path:
    header = [h for h, _ in ice_2026.HEADER]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, text in enumerate(PREAMBLE):
            if text:
                ws.write(i, 0, text)
        ws.write_row(len(PREAMBLE), 0, header)
        for r, row in enumerate(rows, start=len(PREAMBLE) + 1):
            for c, name in enumerate(header):
                value = row.get(name)
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif value is not None:
                    ws.write(r, c, value)
    wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    wb.close()
    return path


def _readers_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("inflate ", "scan "))]


def test_the_next_sheet_starts_when_the_sheet_before_is_scanned(tmp_path, monkeypatch):
    rows = [detainer_row(**{"Anonymized Identifier": f"P{i}"}) for i in range(300)]
    path = _workbook(tmp_path / "three.xlsx", {"FY2024": rows, "FY2025": rows, "FY2026": rows})
    events: list[str] = []
    start = xlsx_stream.Ahead.start

    def started(self):
        if not self._started and self._thread.name.startswith("scan "):
            events.append("start " + self._thread.name.split("/")[-1])
        start(self)

    monkeypatch.setattr(xlsx_stream.Ahead, "start", started)
    workbook = readers._read_xlsx_stream(path, ALL, xlsx_stream)
    assert [s.name for s in workbook.sheets] == ["FY2024", "FY2025", "FY2026"]
    seen = []
    for sheet in workbook.sheets:
        events.append("take " + sheet.name)
        batches = list(sheet.batches())
        seen.append(sum(b.num_rows for b in batches))
        assert [r for b in batches for r in b["row_number"].to_pylist()] == list(range(8, 308))
    assert seen == [300, 300, 300]
    # sheet2 and sheet3 were started by the scan before them, not by the store asking
    assert events.index("start sheet2.xml") < events.index("take FY2025")
    assert events.index("start sheet3.xml") < events.index("take FY2026")
    # a sheet read again is read afresh
    assert sum(b.num_rows for b in workbook.sheets[0].batches()) == 300
    assert not _readers_alive()


def test_a_failing_sheet_stops_the_next_one_read_ahead(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "BATCH_ROWS", 100)  # the next sheet's reader waits to emit
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 12)
    db = tmp_path / "s.duckdb"
    good = [detainer_row(**{"Anonymized Identifier": f"P{i}"}) for i in range(200)]
    first = good + [detainer_row(**{"Birth Year": "nineteen"})]
    path = _workbook(tmp_path / "bad.xlsx", {"FY2025": first, "FY2026": good * 20})
    assert (
        run(db, "ingest", "--quiet", _workbook(tmp_path / "ok.xlsx", {"FY2026": good})).exit_code
        == 0
    )
    before = snapshot(db)
    result = run(db, "ingest", path)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in result.output + result.stderr
    assert "sheet 'FY2025'" in message and "row 208" in message and "Birth Year" in message
    assert snapshot(db) == before
    assert not _readers_alive()


def test_the_library_ingest_failing_leaves_no_reader_thread(tmp_path, monkeypatch):
    from detainerwatch.errors import InputError
    from detainerwatch.store import connect
    from detainerwatch.store.ingest import ingest

    monkeypatch.setattr(readers, "BATCH_ROWS", 100)  # the next sheet's reader waits to emit
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1 << 12)
    good = [detainer_row(**{"Anonymized Identifier": f"P{i}"}) for i in range(200)]
    first = good + [detainer_row(**{"Birth Year": "nineteen"})]
    path = _workbook(tmp_path / "bad.xlsx", {"FY2025": first, "FY2026": good * 20})
    con = connect(tmp_path / "s.duckdb")
    try:
        with pytest.raises(InputError, match="row 208"):
            ingest(con, [path])
        assert not _readers_alive()
    finally:
        con.close()
