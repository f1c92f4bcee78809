"""The Deportation Data Project's Stata (.dta) and SPSS (.sav) files, an optional format: read by
pyreadstat when it is installed, through the same adapters as its Parquet files (recognised by
column name), giving the same canonical table; without pyreadstat, one line and exit 2."""

from __future__ import annotations

import builtins

import duckdb
import pytest

from conftest import run
from detainerwatch.sources.fields import DETAINER_FIELDS
from detainerwatch.synth_release import synthesize_ddp_detainers

pytest.importorskip("pyreadstat", reason="optional reader: pip install 'detainerwatch[stats]'")
pytest.importorskip("pandas", reason="synth writes .dta/.sav through pandas")

ROWS = 400
COLUMNS = ["row_number", "likely_duplicate", *(f.name for f in DETAINER_FIELDS)]


def _table(tmp_path, path, name):
    db = tmp_path / f"{name}.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM detainers ORDER BY row_number"
        ).fetchall()
        layouts = con.execute("SELECT layout FROM sources").fetchall()
        checks = con.execute("SELECT check_name, ok FROM load_checks").fetchall()
    finally:
        con.close()
    return rows, layouts, checks, result.output


@pytest.mark.parametrize("generation", ["renamed", "cleaned"])
@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stata_and_spss_files_give_the_parquet_files_canonical_table(tmp_path, fmt, generation):
    parquet, other = tmp_path / "d.parquet", tmp_path / f"d.{fmt}"
    manifest = synthesize_ddp_detainers(parquet, ROWS, "parquet", seed=3, generation=generation)
    synthesize_ddp_detainers(other, ROWS, fmt, seed=3, generation=generation)
    expected, *_ = _table(tmp_path, parquet, "p")
    got, layouts, checks, output = _table(tmp_path, other, fmt)
    assert f"{ROWS:,} rows stored" in output
    assert layouts == [("ddp_detainers_2026",)]
    assert len(got) == ROWS == manifest["rows_written"]
    assert got == expected  # every canonical value, upstream provenance and duplicate flag
    assert checks and all(ok for _, ok in checks), checks


def test_synth_cli_writes_a_stata_file(tmp_path):
    out = tmp_path / "d.dta"
    result = run(
        tmp_path / "x.duckdb",
        "synth",
        "--layout",
        "ddp-detainers-2026",
        "--format",
        "dta",
        "--rows",
        "50",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"<stata_dta>")


def test_without_pyreadstat_a_stata_file_is_one_line_exit_2(tmp_path, monkeypatch):
    path = tmp_path / "d.dta"
    synthesize_ddp_detainers(path, 20, "dta", seed=1)
    real_import = builtins.__import__

    def no_pyreadstat(name, *args, **kwargs):
        if name == "pyreadstat":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyreadstat)
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "pyreadstat not installed" in line and "d.dta" in line
    assert not db.exists()


def test_a_damaged_stata_file_is_one_line_exit_2(tmp_path):
    path = tmp_path / "d.dta"
    synthesize_ddp_detainers(path, 200, "dta", seed=1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut in the middle of the data
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line and "Stata" in line, line
    assert not db.exists()
