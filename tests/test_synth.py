"""`synth`: deterministic workbooks in the documented layouts that ingest with nothing lost."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from conftest import run
from detainerwatch.synth import synthesize


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes(tmp_path):
    a = synthesize("2026", 500, tmp_path / "a.xlsx", seed=7)
    b = synthesize("2026", 500, tmp_path / "b.xlsx", seed=7)
    assert sha(tmp_path / "a.xlsx") == sha(tmp_path / "b.xlsx") and a == b
    synthesize("2026", 500, tmp_path / "c.xlsx", seed=8)
    assert sha(tmp_path / "c.xlsx") != sha(tmp_path / "a.xlsx")


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    path = folder / "s.xlsx"
    manifest = synthesize("2026", 24_000, path, seed=1)
    db = folder / "s.duckdb"
    result = run(db, "ingest", "--quiet", path)
    assert result.exit_code == 0, result.output
    return db, manifest


def test_markers_after_row_5000_are_all_counted_and_no_row_is_lost(synthetic_store):
    db, manifest = synthetic_store
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 24_000
    per_sheet = dict(
        con.execute("SELECT sheet, rows_out FROM load_sheets WHERE rows_out > 0").fetchall()
    )
    assert per_sheet == manifest["sheets"]
    counted = dict(
        con.execute(
            "SELECT field, sum(redactions) FROM load_columns GROUP BY 1 HAVING sum(redactions) > 0"
        ).fetchall()
    )
    assert counted == manifest["markers"]
    # every column that can carry one has a marker after row 5,000
    assert len(manifest["markers_after_row_5000"]) >= 60
    assert con.execute("SELECT count(*) FROM detainers WHERE row_number > 5000").fetchone()[0] > 0


def test_the_2026_layout_lacks_birth_date_in_fy2023_and_fy2024(synthetic_store):
    db, _ = synthetic_store
    con = duckdb.connect(str(db), read_only=True)
    fields = con.execute(
        "SELECT sheet, count(*) FILTER (WHERE field = 'birth_date') FROM load_columns "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert fields == [("FY2023", 0), ("FY2024", 0), ("FY2025", 1), ("FY2026", 1)]


def test_likely_duplicates_are_flagged(synthetic_store):
    db, manifest = synthetic_store
    con = duckdb.connect(str(db), read_only=True)
    flagged = con.execute("SELECT count(*) FROM detainers WHERE likely_duplicate").fetchone()[0]
    assert flagged >= manifest["likely_duplicates"] > 0


def test_continuation_sheets_at_the_row_cap(tmp_path):
    path = tmp_path / "cont.xlsx"
    manifest = synthesize("2023", 5000, path, sheet_rows=2000)
    assert list(manifest["sheets"]) == ["FY2023", "FY2023 (2)", "FY2023 (3)"]
    assert manifest["sheets"]["FY2023"] == 2000 - 7
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", path).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM detainers").fetchone()[0] == 5000
    assert (
        con.execute("SELECT max(row_number) FROM detainers WHERE sheet = 'FY2023'").fetchone()[0]
        == 2000
    )


@pytest.mark.parametrize("layout", ["2025", "2023"])
def test_older_layouts_ingest(tmp_path, layout):
    path = tmp_path / f"{layout}.xlsx"
    synthesize(layout, 1500, path)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", "--quiet", path)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), any_value(layout) FROM detainers").fetchone() == (
        1500,
        f"ice_detainers_{layout}",
    )
    if layout == "2025":  # identifier columns entirely redacted, as released
        red = dict(
            con.execute("SELECT field, sum(redactions) FROM load_columns GROUP BY 1").fetchall()
        )
        assert red["alien_file_number"] == red["eid_case_id"] == 1500


def test_cli(tmp_path):
    out = tmp_path / "x.xlsx"
    result = run(tmp_path / "unused.duckdb", "synth", "--rows", "300", "--out", out)
    assert result.exit_code == 0 and out.exists()
    assert json.loads(out.with_name("x.manifest.json").read_text())["rows"] == 300
    bad = run(tmp_path / "unused.duckdb", "synth", "--rows", "0", "--out", out)
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("layout", ["2026", "2025", "2023"])
def test_exactly_the_layout_and_identifier_columns_entirely_redacted(tmp_path, layout):
    from python_calamine import CalamineWorkbook

    from detainerwatch.sources.layouts import ice_2023, ice_2025, ice_2026
    from detainerwatch.sources.markers import is_redaction

    module = {"2026": ice_2026, "2025": ice_2025, "2023": ice_2023}[layout]
    path = tmp_path / f"{layout}.xlsx"
    manifest = synthesize(layout, 400, path, seed=3)
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names[-1] == "Footnotes" and wb.sheet_names[:-1] == list(manifest["sheets"])
    for name in manifest["sheets"]:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert rows[0][0] == "ERO-LESA Statistical Tracking Unit" and not any(rows[4])
        expected = [
            h
            for h, c in module.HEADER
            if not (layout == "2026" and name in ("FY2023", "FY2024") and c == "birth_date")
        ]
        assert rows[6][: len(expected)] == expected and not any(rows[6][len(expected) :])
        assert len(rows) - 7 == manifest["sheets"][name]
        for column, canonical in enumerate(c for h, c in module.HEADER if h in expected):
            if canonical in ("alien_file_number", "eid_case_id", "eid_subject_id", "eid_dta_id"):
                assert all(is_redaction(r[column]) for r in rows[7:]), (name, canonical)
    if layout == "2023":  # alphabetical, as a spreadsheet sorts (case does not count)
        headers = [h for h, _ in module.HEADER]
        assert headers == sorted(headers, key=str.lower)


def _stored(db, source_columns=("source_id", "source_file", "source_sha256")):
    """Every stored detainer row and load-report row, without what names the file itself."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'detainers' "
                "ORDER BY ordinal_position"
            ).fetchall()
            if r[0] not in source_columns
        ]
        out = {
            "detainers": con.execute(
                f"SELECT {', '.join(cols)} FROM detainers ORDER BY sheet, row_number"
            ).fetchall()
        }
        for table in ("load_sheets", "load_columns", "load_values", "load_anomalies"):
            out[table] = sorted(
                map(repr, con.execute(f"SELECT * EXCLUDE (source_id) FROM {table}").fetchall())
            )
        out["sources"] = con.execute(
            "SELECT layout, release, sheets, rows_in, rows_out, preamble "
            "FROM sources WHERE kind = 'detainers'"
        ).fetchall()
        return out
    finally:
        con.close()


@pytest.mark.parametrize("layout,rows,sheet_rows", [("2023", 6_200, 5_800), ("2026", 2_400, 500)])
def test_shared_and_inline_strings_ingest_to_the_same_rows_as_the_manifest_says(
    tmp_path, layout, rows, sheet_rows
):
    stores, manifests = {}, {}
    for strings in ("shared", "inline"):
        path = tmp_path / f"{strings}.xlsx"
        manifests[strings] = synthesize(
            layout, rows, path, seed=5, sheet_rows=sheet_rows, strings=strings
        )
        db = tmp_path / f"{strings}.duckdb"
        result = run(db, "ingest", "--quiet", path)
        assert result.exit_code == 0, result.output
        stores[strings] = _stored(db)
    shared, inline = manifests["shared"], manifests["inline"]
    assert shared.pop("strings") == "shared" and inline.pop("strings") == "inline"
    assert shared == inline
    assert stores["shared"] == stores["inline"]
    stored = stores["shared"]["detainers"]
    assert len(stored) == rows
    sheets = {}
    for row in stored:
        sheets[row[0]] = sheets.get(row[0], 0) + 1
    assert sheets == shared["sheets"] and any("(2)" in s for s in sheets)  # a continuation
    con = duckdb.connect(str(tmp_path / "shared.duckdb"), read_only=True)
    counted = dict(
        con.execute(
            "SELECT field, sum(redactions) FROM load_columns GROUP BY 1 HAVING sum(redactions) > 0"
        ).fetchall()
    )
    assert counted == shared["markers"]
    flagged = con.execute("SELECT count(*) FROM detainers WHERE likely_duplicate").fetchone()[0]
    assert flagged == shared["likely_duplicates"] > 0
    # dates are dates, the apprehension date keeps its time of day, numbers are numbers
    undated, timed, years = con.execute(
        "SELECT count(*) FILTER (WHERE prepare_date IS NULL), "
        "count(*) FILTER (WHERE apprehension_date <> date_trunc('day', apprehension_date)), "
        "count(*) FILTER (WHERE birth_year BETWEEN 1950 AND 2005) FROM detainers"
    ).fetchone()
    assert undated == 0 and timed > rows // 3 and years > rows * 0.9


@pytest.mark.parametrize("strings", ["shared", "inline"])
@pytest.mark.parametrize("layout", ["2026", "2023"])
def test_the_scanner_reads_every_cell_as_calamine_does(tmp_path, layout, strings):
    from test_xlsx_stream import assert_same

    path = tmp_path / f"{layout}-{strings}.xlsx"
    manifest = synthesize(layout, 1_200, path, seed=11, sheet_rows=900, strings=strings)
    tables = assert_same(path)
    assert {name: t.num_rows for name, t in tables.items()} == manifest["sheets"]


def test_strings_modes_differ_only_in_how_text_is_held(tmp_path):
    import zipfile

    a = synthesize("2026", 300, tmp_path / "a.xlsx", seed=2, strings="inline")
    b = synthesize("2026", 300, tmp_path / "b.xlsx", seed=2, strings="inline")
    assert sha(tmp_path / "a.xlsx") == sha(tmp_path / "b.xlsx") and a == b
    synthesize("2026", 300, tmp_path / "s.xlsx", seed=2)
    shared = zipfile.ZipFile(tmp_path / "s.xlsx")
    inline = zipfile.ZipFile(tmp_path / "a.xlsx")
    assert "xl/sharedStrings.xml" in shared.namelist()
    assert "xl/sharedStrings.xml" not in inline.namelist()
    sheet = shared.read("xl/worksheets/sheet1.xml")
    assert b't="s"' in sheet and b"inlineStr" not in sheet
    assert b'<dimension ref="A1:BL82"/>' in sheet  # 75 rows / 4 years + 7; 64 columns in FY2023


def test_cli_strings_option(tmp_path):
    out = tmp_path / "x.xlsx"
    result = run(
        tmp_path / "unused.duckdb", "synth", "--rows", "50", "--strings", "inline", "--out", out
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_name("x.manifest.json").read_text())["strings"] == "inline"
    bad = run(tmp_path / "unused.duckdb", "synth", "--rows", "5", "--strings", "both", "--out", out)
    assert bad.exit_code == 2
