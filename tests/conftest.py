"""Shared fixtures: the bundled real samples, a CLI runner and store snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from click.testing import CliRunner

from detainerwatch.cli import cli

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
PA_EXTRACT = RAW / "eads-geocode-pa-detainers" / "pa_detainers.csv"
FACILITY_LISTS = [
    RAW / "uwchr-ice-facilities" / "ICE_Facility_List_11-06-2017-web.xlsx",
    RAW / "uwchr-ice-facilities" / "Confidential ICE ERO Facility List 07-10-2017.xlsx",
    RAW / "uwchr-ice-facilities" / "2019-ICFO-31121.xlsx",
]


def run(db: Path, *args: str):
    """Run the CLI in-process; returns click's Result (exit_code, output, stderr)."""
    return CliRunner().invoke(cli, ["--db", str(db), *map(str, args)], catch_exceptions=False)


def snapshot(db: Path) -> dict:
    """Everything a user could see in the store: each table's rows, as sorted tuples."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="session")
def pa_store(tmp_path_factory) -> Path:
    """A store holding the real PA extract and the three real facility lists."""
    db = tmp_path_factory.mktemp("pa") / "pa.duckdb"
    result = run(db, "ingest", "--quiet", PA_EXTRACT, *FACILITY_LISTS)
    assert result.exit_code == 0, result.output
    return db


PREAMBLE = [
    "ERO-LESA Statistical Tracking Unit",
    "For Official Use Only (FOUO)/Pre-decisional",
    "Detainers FY2026",
    "Please review the last tab for footnotes",
    "",
    "Detainers: 10/01/2025 - 03/10/2026",
]


def write_detainer_workbook(
    path: Path,
    rows: list[dict | None],
    *,
    header: list[str] | None = None,
    sheet: str = "FY2026",
    preamble: list[str] = PREAMBLE,
    footnotes_first: bool = False,
) -> Path:
    """A small workbook in the 2026 layout (preamble rows 1-6, header row 7, Footnotes).

    A row of None is left blank. `preamble` moves the header (the default puts it on row 7)."""
    from detainerwatch.sources.layouts import ice_2026

    header = header or [h for h, _ in ice_2026.HEADER]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not footnotes_first})
    date_fmt = wb.add_format({"num_format": "mm/dd/yyyy"})
    time_fmt = wb.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    if footnotes_first:
        wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    ws = wb.add_worksheet(sheet)
    for i, text in enumerate(preamble):
        if text:
            ws.write(i, 0, text)
    ws.write_row(len(preamble), 0, header)
    for r, row in enumerate(rows, start=len(preamble) + 1):
        for c, name in enumerate(header):
            value = (row or {}).get(name)
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, time_fmt)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif value is not None:
                ws.write(r, c, value)
    if not footnotes_first:
        wb.add_worksheet("Footnotes").write(0, 0, "Footnotes")
    wb.close()
    return path


def detainer_row(**overrides) -> dict:
    row = {
        "Detainer Prepare Date": dt.date(2025, 10, 6),
        "Facility State": "PA",
        "Detainer Facility": "FRANKLIN COUNTY JAIL",
        "Detainer Facility Code": "FRANKPA",
        "Facility City": "CHAMBERSBURG",
        "Detainer Lift Reason": "Detainer Declined by LEA",
        "Detainer Type": "I247A - Immigration Detainer - Notice of Action (as of May 2025)",
        "Gender": "Male",
        "Anonymized Identifier": "P1",
    }
    row.update(overrides)
    return row


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium. Without it they fail, saying how to install it,
    so a green run always includes them; DETAINERWATCH_SKIP_BROWSER=1 skips them on purpose."""
    import os

    from browser import CHROMIUM

    if CHROMIUM:
        return
    opt_out = os.environ.get("DETAINERWATCH_SKIP_BROWSER") == "1"
    for item in items:
        if item.get_closest_marker("browser") is None:
            continue
        if opt_out:
            item.add_marker(pytest.mark.skip(reason="DETAINERWATCH_SKIP_BROWSER=1"))
        else:
            item.add_marker(pytest.mark.usefixtures("_chromium_missing"))


@pytest.fixture
def _chromium_missing():
    pytest.fail(
        "Debian chromium is not installed: run `apt-get install chromium` (make test "
        "does this as root), or set DETAINERWATCH_SKIP_BROWSER=1 to skip browser tests",
        pytrace=False,
    )


@pytest.fixture(scope="module", autouse=True)
def _collect_after_module():
    """After each test module, collect garbage: a web app made by a test (create_app) holds its
    read-only DuckDB connection until the app's reference cycles are collected, and until then
    a later test's connection to the same store with another configuration is refused ("Can't
    open a connection to same database file with a different configuration"). Seen once
    test_faces's app outlived its module into test_ingest_pa; whether it bites depended on
    when Python's collector happened to run."""
    yield
    import gc

    gc.collect()
