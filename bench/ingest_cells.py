"""What the store's wide row table costs an ingest: the same rows inserted into a table of every
field of every layout, most of them null for any one file (`detainers_base`, which was the one
`detainers` table before schema version 3), and into the layout's own table, which holds only
the columns its layout maps (where an ingest now stores them).

Run: `python -m bench.ingest_cells [FILE] [--rows N]` (default: the cached 2M-row FY2008-2015
text file of bench/text.py, made if absent). The file is read once with pyarrow (every column
as text, nothing checked); then, in one process with one DuckDB thread as the ingest runs, each
target gets the same batches of 50,000 rows through the same kind of INSERT ... SELECT the
ingest uses (provenance values as parameters), inside a transaction on a fresh store file,
then COMMIT. A last line measures the cost of one null cell alone (a table of one BIGINT and
20 null columns of each type, against the BIGINT alone) on a file and in memory, which says
how much of the wide insert is DuckDB's own work for cells the file does not have: appending
them and, on a file, choosing a compression for and writing each all-null column segment.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from detainerwatch.sources.layouts.npr_fy2008_2015 import LAYOUT
from detainerwatch.store.schema import DETAINERS_BASE, ensure_detainer_table

from .text import text_file

BATCH = 50_000
# The FY2008-2015 text layout's columns as the ingest stores them (store field names).
TEXT_FIELDS = [
    "prepare_date",
    "lift_reason",
    "facility_name",
    "facility_city",
    "facility_state",
    "detainer_type",
    "facility_aor",
    "osc_served",
    "lift_reason_code",
]
PROVENANCE = "source_id, source_file, source_sha256, sheet, row_number, release, layout"
PARAMS = [1, "bench.csv", "0" * 64, None, "ice-fy2008-2015", "ice_detainers_fy2008_2015"]


def _batches(path: Path, rows: int | None) -> list[pa.Table]:
    names = [f"c{i}" for i in range(len(TEXT_FIELDS))]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    if rows is not None:
        table = table.slice(0, rows)
    # prepare_date typed as the ingest stores it (a timestamp), so both targets get one.
    dates = pc.strptime(table.column("c0"), format="%m/%d/%y", unit="us")
    table = table.set_column(0, "c0", dates)
    table = table.append_column("row_number", pa.array(np.arange(table.num_rows) + 2))
    return [table.slice(i, BATCH) for i in range(0, table.num_rows, BATCH)]


def _insert(batches: list[pa.Table], narrow: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds of inserting the batches and committing; columns of the target."""
    from detainerwatch.store import connect

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "cells.duckdb")
        con.execute("SET write_buffer_row_group_count = 1")
        con.execute("SET threads = 1")
        target = DETAINERS_BASE
        if narrow:  # the table an ingest of this layout makes
            target = ensure_detainer_table(con, LAYOUT.name, LAYOUT.columns.values())
        width = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = ?", [target]
        ).fetchall()[0][0]
        values = ", ".join(f"c{i}" for i in range(len(TEXT_FIELDS)))
        sql = (
            f"INSERT INTO {target} ({PROVENANCE}, {', '.join(TEXT_FIELDS)}) "
            f"SELECT ?, ?, ?, ?, row_number, ?, ?, {values} FROM dw_rows"
        )
        wall, cpu = time.perf_counter(), time.process_time()
        con.execute("BEGIN TRANSACTION")
        for dw_rows in batches:  # noqa: B007 - read by DuckDB (replacement scan)
            con.execute(sql, PARAMS).fetchall()
        con.execute("COMMIT")
        spent = time.perf_counter() - wall, time.process_time() - cpu
        con.close()
    return spent[0], spent[1], int(width)


def null_cell_ns(in_memory: bool, rows: int = 1_000_000) -> dict[str, float]:
    """CPU nanoseconds one null cell adds to an insert, per column type."""
    found = {}
    for kind in ("VARCHAR", "TIMESTAMP", "BIGINT"):
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(":memory:" if in_memory else os.path.join(tmp, "n.duckdb"))
            con.execute("SET threads = 1")
            con.execute("SET write_buffer_row_group_count = 1")
            cols = ", ".join(f"n{i} {kind}" for i in range(20))
            con.execute(f"CREATE TABLE wide (a BIGINT, {cols})")
            con.execute("CREATE TABLE one (a BIGINT)")
            con.execute("BEGIN TRANSACTION")
            cpu = time.process_time()
            con.execute(f"INSERT INTO one SELECT range FROM range({rows})")
            base = time.process_time() - cpu
            cpu = time.process_time()
            con.execute(f"INSERT INTO wide (a) SELECT range FROM range({rows})")
            wide = time.process_time() - cpu
            cpu = time.process_time()
            con.execute("COMMIT")
            wide += time.process_time() - cpu
            con.close()
        found[kind] = max(wide - base, 0.0) / 20 / rows * 1e9
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, help="FY2008-2015-style text file")
    parser.add_argument("--rows", type=int, help="only the first N rows")
    args = parser.parse_args(argv)
    path = args.path or text_file(2_000_000)
    batches = _batches(path, args.rows)
    rows = sum(b.num_rows for b in batches)
    print(f"insert of {rows:,} rows of {path.name} (one DuckDB thread, a fresh store file)")
    print(f"  {'target':<44} {'columns':>7} {'wall s':>8} {'CPU s':>8} {'CPU us/row':>10}")
    spent = {}
    labels = ((False, "detainers_base (every layout's fields)"), (True, "the layout's own"))
    for narrow, label in labels:
        wall, cpu, width = _insert(batches, narrow)
        spent[narrow] = cpu
        print(f"  {label:<44} {width:>7} {wall:>8.2f} {cpu:>8.2f} {cpu / rows * 1e6:>10.2f}")
    print(
        f"  the columns the file does not fill: {spent[False] - spent[True]:.2f} s CPU "
        f"({(spent[False] - spent[True]) / spent[False]:.0%} of the wide insert)"
    )
    for in_memory in (False, True):
        ns = null_cell_ns(in_memory)
        where = "in memory" if in_memory else "on a file"
        print(
            f"  one null cell, {where}: "
            + ", ".join(f"{kind} {v:.0f} ns" for kind, v in ns.items())
        )


if __name__ == "__main__":
    main()
