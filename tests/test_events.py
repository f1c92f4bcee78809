"""Enforcement events, one table per kind: ICE's raw arrests, book-ins (stints) and removals
workbooks, the Deportation Data Project's processed tables of them, and the LESA-STU area
workbook whose Summary sheet is checked against its rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import xlsxwriter

from conftest import run, snapshot
from detainerwatch.synth_release import synthesize_lesa, write_linked_release

TABLES = {
    "detainers": "detainers",
    "arrests": "arrests",
    "stints": "detention_stints",
    "removals": "removals",
}


def _count(con, table):
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("source", ["ice", "ddp"])
def test_each_event_kind_loads_into_its_own_table_with_every_row(tmp_path, source):
    release = write_linked_release(tmp_path, 150, "csv", seed=4, source=source)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", "--quiet", *release["paths"].values())
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    for kind, table in TABLES.items():
        assert _count(con, table) == len(release[kind]), kind
        # provenance on every row: file, hash, row number, layout
        assert (
            con.execute(
                f"SELECT count(*) FROM {table} WHERE source_file IS NULL OR "
                "source_sha256 IS NULL OR row_number IS NULL OR layout IS NULL"
            ).fetchone()[0]
            == 0
        )
    layouts = {r[0] for r in con.execute("SELECT layout FROM sources").fetchall()}
    expected = (
        {"ice_detainers_2026", "ice_arrests_2026", "ice_detention_stints_2026", "ice_removals_2025"}
        if source == "ice"
        else {"ddp_detainers_2026", "ddp_arrests", "ddp_detention_stints", "ddp_removals"}
    )
    assert layouts == expected
    # the planted arrest methods and dates arrive as written
    planted = sorted(
        (a["person_id"], a["apprehension_method"], a["apprehension_date"])
        for a in release["arrests"]
    )
    stored = sorted(
        con.execute(
            "SELECT person_id, apprehension_method, apprehension_date FROM arrests"
        ).fetchall()
    )
    assert stored == planted
    if source == "ice":  # identifier columns entirely redacted: counted, stored as null
        redacted = con.execute(
            "SELECT sum(redactions) FROM load_columns WHERE field = 'eid_subject_id'"
        ).fetchone()[0]
        assert redacted == len(release["removals"])


@pytest.fixture(scope="module")
def lesa(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lesa")
    path = folder / "lesa.xlsx"
    manifest = synthesize_lesa(path, 400, seed=1)
    db = folder / "l.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output
    return db, manifest, result.output


def test_lesa_loads_every_sheet(lesa):
    db, manifest, output = lesa
    con = duckdb.connect(str(db), read_only=True)
    per_sheet = dict(
        con.execute("SELECT sheet, rows_out FROM load_sheets WHERE layout IS NOT NULL").fetchall()
    )
    assert per_sheet == manifest["sheets"]
    assert _count(con, "arrests") == manifest["sheets"]["Arrests"]
    assert _count(con, "detention_stints") == manifest["sheets"]["Book Ins"]
    assert _count(con, "removals") == (
        manifest["sheets"]["Expedited Removals"] + manifest["sheets"]["Other Removals"]
    )
    # Birth dates and event numbers are redacted whole with "(b)(6),(b)(7)c)": counted, null
    assert (
        con.execute(
            "SELECT count(*) FROM arrests WHERE birth_date IS NOT NULL OR event_number IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    redacted = con.execute(
        "SELECT sum(redactions) FROM load_columns WHERE field IN ('birth_date', 'event_number')"
    ).fetchone()[0]
    assert redacted == 2 * 400 - manifest["sheets"]["Book Ins"]  # Book Ins has no Event Number
    # empty styled columns right of the header are not columns
    assert (
        con.execute("SELECT count(*) FROM load_columns WHERE field = '(extra)'").fetchone()[0] == 0
    )
    # one workbook of several event kinds: the source says so
    assert con.execute("SELECT kind FROM sources").fetchall() == [("enforcement",)]
    skipped = dict(
        con.execute("SELECT sheet, note FROM load_sheets WHERE layout IS NULL").fetchall()
    )
    assert set(skipped) == {"Summary", "Footnotes"}


def test_lesa_summary_totals_are_checked_and_removals_by_close_fy_explained(lesa):
    db, manifest, output = lesa
    con = duckdb.connect(str(db), read_only=True)
    checks = con.execute(
        "SELECT subject, expected, found, ok, note FROM load_checks "
        "WHERE check_name = 'Summary totals'"
    ).fetchall()
    by_subject = {c[0]: c for c in checks}
    comparable = [c for c in checks if c[3] is not None]
    assert comparable and all(c[3] for c in comparable), [c for c in comparable if not c[3]]
    assert by_subject["Arrests FY2015"][1:3] == (manifest["summary"]["arrests"]["FY2015"],) * 2
    assert by_subject["Book Ins total"][1] == manifest["sheets"]["Book Ins"]
    # Removals per FY: the Summary counts by the FY the case closed, the rows by departure
    differs = [c for c in checks if c[0].startswith("Removals FY") and c[1] != c[2]]
    assert differs, "the synthetic workbook plants removals closed in a later FY"
    for subject, _expected, found, ok, note in differs:
        assert ok is None and "fiscal year the case closed" in note
        fy = subject.split()[-1]
        assert found == sum(v[fy] for v in manifest["removals_by_departed_fy"].values())
    assert "not comparable: sheet 'Summary', Summary totals Removals FY" in output


def test_a_broken_summary_total_is_named_in_the_load_report(tmp_path):
    path = tmp_path / "lesa.xlsx"
    manifest = synthesize_lesa(path, 400, seed=1, summary_error=("arrests", "FY2015", 3))
    db = tmp_path / "l.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output  # the rows are what ICE released: kept
    written = manifest["summary"]["arrests"]["FY2015"]
    line = (
        f"check MISMATCH: sheet 'Summary', Summary totals Arrests FY2015: expected "
        f"{written}, found {written - 3} (by event date)"
    )
    assert "  " + line in result.output.splitlines()
    con = duckdb.connect(str(db), read_only=True)
    failed = con.execute("SELECT subject FROM load_checks WHERE ok = false").fetchall()
    # the Summary's own Total now disagrees with its years too: said, not hidden
    assert sorted(failed) == [("Arrests FY2015",), ("Arrests years sum to Total",)]


def test_an_unknown_enforcement_layout_is_refused_naming_each_sheet(tmp_path):
    bad = tmp_path / "unknown.xlsx"
    wb = xlsxwriter.Workbook(str(bad))
    for name in ("FY2025", "FY2026"):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, "ERO-LESA Statistical Tracking Unit")
        ws.write_row(6, 0, ["Apprehension Date", "Widget Type", "State", "County", "Gender"])
        ws.write_row(7, 0, ["2025-01-01", "x", "TX", "Travis", "Male"])
    wb.add_worksheet("Footnotes").write_string(0, 0, "Footnotes")
    wb.close()
    db = tmp_path / "s.duckdb"
    run(db, "ingest", write_linked_release(tmp_path, 20, "parquet", seed=1)["paths"]["arrests"])
    before = snapshot(db)
    result = run(db, "ingest", bad)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    message = lines[0]
    for sheet in ("FY2025", "FY2026"):
        assert (
            f"sheet {sheet!r}: no known layout's header: row 7 holds 5 column names "
            "('Apprehension Date', 'Widget Type', 'State', 'County', ...): closest layout "
            "ice_arrests_2026 knows 4 of them but lacks 'Apprehension Type', "
            "'Arresting Agency'"
        ) in message
    assert "sheet 'Footnotes': notes or footnotes sheet" in message
    assert snapshot(db) == before


def test_event_dates_are_typed_and_a_bad_one_is_refused(tmp_path):
    release = write_linked_release(tmp_path, 30, "csv", seed=2)
    path = tmp_path / "arrests.csv"
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[1] = '"someday"'
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "s.duckdb"
    run(db, "ingest", release["paths"]["detainers"])
    before = snapshot(db)
    result = run(db, "ingest", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {path}, row 4, column 'apprehension_date': expected "
        "a date (Excel date, YYYY-MM-DD or MM/DD/YYYY), found 'someday'"
    )
    assert snapshot(db) == before
    assert dt  # noqa: B018


@pytest.mark.parametrize(
    "args,files",
    [
        (["--layout", "ddp-detainers-2026", "--format", "csv", "--out", "d.csv"], ["d.csv"]),
        (["--layout", "lesa-stu", "--out", "l.xlsx"], ["l.xlsx"]),
        (
            ["--layout", "ddp-enforcement-2026", "--format", "parquet", "--out", "rel"],
            [
                "rel/detainers.parquet",
                "rel/arrests.parquet",
                "rel/stints.parquet",
                "rel/removals.parquet",
            ],
        ),
    ],
)
def test_synth_cli_writes_the_new_layouts_and_they_load(tmp_path, args, files):
    args = [str(tmp_path / a) if a in ("d.csv", "l.xlsx", "rel") else a for a in args]
    result = run(tmp_path / "unused.duckdb", "synth", "--rows", "60", *args)
    assert result.exit_code == 0, result.output
    paths = [tmp_path / f for f in files]
    ingested = run(tmp_path / "s.duckdb", "ingest", "--quiet", *paths)
    assert ingested.exit_code == 0, ingested.output
    assert ingested.output.count("rows stored") == len(paths)
