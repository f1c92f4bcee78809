"""The Deportation Data Project's processed detainers (Parquet, CSV as R writes it, xlsx) load
with every row, keep DDP's upstream provenance beside the store's own, and both of DDP's name
generations give the same canonical table as ICE's raw 2026 workbook."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run, snapshot
from detainerwatch.sources.fields import DETAINER_FIELDS, UPSTREAM_FIELDS
from detainerwatch.sources.layouts import ice_2026
from detainerwatch.synth_release import (
    ddp_detainer_records,
    synthesize_ddp_detainers,
    write_ice_workbook,
)

ROWS = 1_200
CANONICAL = [f.name for f in DETAINER_FIELDS]


def _ingest(tmp_path, path, name="s"):
    db = tmp_path / f"{name}.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output
    return db, result.output


def _rows(db, columns):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            f"SELECT {', '.join(columns)} FROM detainers "
            "ORDER BY upstream_sheet, upstream_row, row_number"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    "fmt,row_names", [("parquet", True), ("csv", True), ("csv", False), ("xlsx", True)]
)
def test_every_row_loads_with_its_upstream_provenance(tmp_path, fmt, row_names):
    path = tmp_path / f"ddp.{fmt}"
    manifest = synthesize_ddp_detainers(path, ROWS, fmt, seed=5, row_names=row_names)
    if fmt == "csv" and row_names:
        assert path.read_text().startswith('"","detainer_prepare_date"')
    db, output = _ingest(tmp_path, path)
    assert f"{ROWS:,} rows stored" in output
    stored = _rows(db, ["row_number", "upstream_file", "upstream_sheet", "upstream_row"])
    assert len(stored) == ROWS == manifest["rows_written"]
    # The file's own row k + 1 (row 1 is the header or, in Parquet, the column names) is the
    # manifest's record k: its upstream file, sheet and row are exactly what was written.
    first_data_row = 2
    for row_number, *upstream in stored:
        assert upstream == manifest["upstream"][row_number - first_data_row]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT coverage FROM source_extent").fetchall() == [("whole",)]
    checks = con.execute("SELECT check_name, ok FROM load_checks").fetchall()
    assert checks and all(ok for _, ok in checks), checks
    extras = con.execute("SELECT DISTINCT map_keys(extras) FROM detainers").fetchall()
    assert extras == ([(["column 1"],)] if fmt == "csv" and row_names else [(None,)])


def test_both_name_generations_and_the_raw_workbook_give_one_canonical_table(tmp_path):
    renamed, cleaned = tmp_path / "renamed.parquet", tmp_path / "cleaned.parquet"
    synthesize_ddp_detainers(renamed, ROWS, "parquet", seed=9, generation="renamed")
    synthesize_ddp_detainers(cleaned, ROWS, "parquet", seed=9, generation="cleaned")
    names = pq.read_schema(renamed).names, pq.read_schema(cleaned).names
    assert "detainer_prepared_criminality" in names[0] and "detainer_criminality" in names[1]
    assert "unique_identifier" in names[0] and "anonymized_identifier" in names[1]
    db_new, _ = _ingest(tmp_path, renamed, "new")
    db_old, _ = _ingest(tmp_path, cleaned, "old")
    columns = ["row_number", "likely_duplicate", *CANONICAL]
    new, old = _rows(db_new, columns), _rows(db_old, columns)
    assert len(new) == ROWS and new == old

    # The same records as ICE's raw workbook of the 2026 release (markers DDP nulls written
    # back as ICE wrote them): the same canonical values, field by field.
    records, _ = ddp_detainer_records(ROWS, seed=9)
    by_sheet: dict[str, list[dict]] = {}
    for r in records:
        by_sheet.setdefault(r["upstream_sheet"], []).append(r)
    raw = tmp_path / "raw.xlsx"
    write_ice_workbook(
        raw,
        ice_2026.HEADER,
        by_sheet,
        "2026-ICLI-00005 Detainers",
        "Detainers: 10/01/2022 - 03/10/2026",
        marker_fields=("eid_dta_id",),
    )
    db_raw, _ = _ingest(tmp_path, raw, "raw")
    fields = [c for c in CANONICAL if c not in {f.name for f in UPSTREAM_FIELDS}]
    con = duckdb.connect(str(db_raw), read_only=True)
    from_raw = con.execute(
        f"SELECT sheet, row_number, {', '.join(fields)} FROM detainers ORDER BY sheet, row_number"
    ).fetchall()
    con.close()
    con = duckdb.connect(str(db_new), read_only=True)
    from_ddp = con.execute(
        f"SELECT upstream_sheet, upstream_row, {', '.join(fields)} "
        "FROM detainers ORDER BY upstream_sheet, upstream_row"
    ).fetchall()
    con.close()
    assert from_raw == from_ddp


def test_a_filtered_download_is_recorded_as_a_subset(tmp_path):
    path = tmp_path / "tx.xlsx"
    manifest = synthesize_ddp_detainers(path, 2_000, "xlsx", seed=3, state="TX")
    db, output = _ingest(tmp_path, path)
    assert f"{manifest['rows_written']:,} rows stored" in output
    assert "SUBSET: upstream rows of upstream sheet 'FY2023'" in output
    con = duckdb.connect(str(db), read_only=True)
    coverage, evidence = con.execute("SELECT coverage, evidence FROM source_extent").fetchone()
    assert coverage == "subset" and evidence.startswith("filtered download")
    # DDP flagged rows whose partner (same date and identifier) is not in this download: the
    # disagreement with the store's own flag is in the load report, with example rows.
    dup = con.execute(
        "SELECT expected, found, ok, note FROM load_checks "
        "WHERE check_name = 'upstream duplicate_likely'"
    ).fetchone()
    flagged = con.execute(
        "SELECT count(*) FROM detainers WHERE upstream_duplicate_likely = 'TRUE'"
    ).fetchone()[0]
    assert dup[0] == flagged and dup[2] is False and "e.g. rows" in dup[3]


def test_r_na_is_a_blank_and_a_bad_date_is_refused_with_its_row(tmp_path):
    path = tmp_path / "ddp.parquet"
    synthesize_ddp_detainers(path, 50, "parquet", seed=1)
    table = pq.read_table(path)
    dates = table.column("detainer_prepare_date").cast(pa.string()).to_pylist()
    dates[4] = "not a date"
    bad = tmp_path / "bad.parquet"
    pq.write_table(table.set_column(0, "detainer_prepare_date", pa.array(dates)), bad)
    db, _ = _ingest(tmp_path, path)
    before = snapshot(db)
    result = run(db, "ingest", bad)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}, row 6, column 'detainer_prepare_date': expected a date (Excel date, "
        "YYYY-MM-DD or MM/DD/YYYY), found 'not a date'"
    ]
    assert snapshot(db) == before
