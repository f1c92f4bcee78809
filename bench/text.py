"""Ingest of delimited text at national size against DuckDB's own read_csv (the floor for text).

Run: `python -m bench.text [--rows 2000000]`. A file in the FY2008-FY2015 release's layout
(raw headers as NPR published them: Prepare Date m/d/yy, Detainer Lift Reason, Detainer
Detention Facility, City, State in full upper case, Detainer Type, Area Of Responsibility, OSC
Served, Detainer Lift Reason 2 Code) is generated once into bench/cache/ from the real facility
list (names, cities, states, areas) with the value sets of those years, seeded. Measured in
the same run, each in its own process: DuckDB `CREATE TABLE AS SELECT * FROM read_csv(...)`
into a fresh database file (the floor), the same with all_varchar (every column as text, as
detainerwatch reads it), detainerwatch's text reader alone (file to Arrow batches, no store),
and detainerwatch ingest end to end into a fresh store. Where
detainerwatch's time goes: `python -m bench.stages FILE`; what the store's 84-column row table
costs against a table of the file's own columns: `python -m bench.ingest_cells`.
Goal: 2M rows <= 1.5x the floor (wall).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

from .harness import CACHE, Measure, measure, print_table, python_snippet, save

DETAINERWATCH = str(Path(sys.executable).with_name("detainerwatch"))
HEADER = [
    "Prepare Date",
    "Detainer Lift Reason",
    "Detainer Detention Facility",
    "City",
    "State",
    "Detainer Type",
    "Area Of Responsibility",
    "OSC Served",
    "Detainer Lift Reason 2 Code",
]
# Roughly the mix of the real Pennsylvania extract of this release (32,757 rows).
LIFTS = [
    ("Booked into Detention", 554, "B"),
    ("", 343, ""),
    ("Case Closed", 45, "C"),
    ("Lifted", 37, "L"),
    ("Transferred", 7, "T"),
    ("Detainer Declined by LEA", 7, "A"),
    ("Alien Not Subject to Deportation", 3, "N"),
    ("United States Citizen Interviewed", 2, "U"),
    ("Prosecutorial Discretion", 1, "P"),
    ("Early Release", 1, "E"),
    ("Died", 1, "X"),
]
FIRST, LAST = dt.date(2007, 10, 1), dt.date(2015, 9, 30)
MARCH_2013 = dt.date(2013, 3, 1)


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Rows in date order, as the release is sorted; same seed, same bytes."""
    import us

    from detainerwatch.synth import _facilities

    rng = random.Random(seed)
    rand = rng.random
    states = {}
    facilities = []
    for f in _facilities():
        if f["state"] == "Redacted":  # the facility list has such rows; this release does not
            continue
        if f["state"] not in states:
            found = us.states.lookup(f["state"])
            states[f["state"]] = found.name.upper() if found else f["state"]
        facilities.append((f["name"], f["city"], states[f["state"]], f["aor"]))
    rng.shuffle(facilities)  # the large jails anywhere in the alphabet
    lifts = [(v, c) for v, w, c in LIFTS for _ in range(w)]
    span = (LAST - FIRST).days + 1
    per_day = rows / span
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(HEADER)
        written = 0
        for k in range(span):
            day = FIRST + dt.timedelta(days=k)
            text = f"{day.month}/{day.day}/{day:%y}"
            until = round((k + 1) * per_day)
            block = []
            for _ in range(until - written):
                if rand() < 0.5:  # a few large jails (Pareto), then a long tail
                    f = min(int((1.0 - rand()) ** -0.8333) - 1, len(facilities) - 1)
                else:
                    f = int(rand() * len(facilities))
                name, city, state, aor = facilities[f]
                lift, code = lifts[int(rand() * len(lifts))]
                r = rand()
                if r < 0.9:
                    kind = ""
                elif day < MARCH_2013:
                    kind = "I247 - Immigration Detainer - Notice of Action (prior to March 2013)"
                elif r < 0.985:
                    kind = "I247 - Immigration Detainer - Notice of Action (as of March 2013)"
                elif r < 0.993:
                    kind = "I247D - Immigration Detainer - Request for Action"
                else:
                    kind = "I247N - Immigration Advisal - Request for Notification"
                osc = "YES" if r < 0.3 else "NO" if r < 0.8 else ""
                block.append((text, lift, name, city, state, kind, aor, osc, code))
            out.writerows(block)
            written = until


def text_file(rows: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fy2008-2015-{rows}.csv"
    if not path.exists():
        print(f"generating {path.name} (once; cached) ...", flush=True)
        tmp = path.with_suffix(".partial.csv")
        generate(tmp, rows)
        tmp.rename(path)
    return path


def floor(path: Path) -> Measure:
    code = (
        "import duckdb,sys\ncon=duckdb.connect(sys.argv[2])\n"
        "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]])\n"
        "con.close()\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        return measure(
            "floor: DuckDB read_csv into a table",
            python_snippet(code) + [str(path), f"{tmp}/floor.duckdb"],
        )


def floor_text(path: Path) -> Measure:
    """The same with every column as text (VARCHAR, nothing inferred), as detainerwatch reads."""
    code = (
        "import duckdb,sys\ncon=duckdb.connect(sys.argv[2])\n"
        "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar=true)', "
        "[sys.argv[1]])\ncon.close()\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        return measure(
            "DuckDB read_csv, all columns as text",
            python_snippet(code) + [str(path), f"{tmp}/floor.duckdb"],
        )


def reader(path: Path) -> Measure:
    """detainerwatch's text reader alone: the file to the Arrow batches the store types (no
    store, no derived tables): the part of the ingest that read_csv is the floor for."""
    code = (
        "import sys\nfrom pathlib import Path\nfrom detainerwatch.sources import readers\n"
        "from detainerwatch.sources.layouts import ALL\n"
        "for s in readers.open_source(Path(sys.argv[1]), ALL).sheets:\n"
        " for b in s.batches(): pass\n"
    )
    return measure("detainerwatch text reader alone (no store)", python_snippet(code) + [str(path)])


def ours(path: Path, store: Path) -> Measure:
    return measure(
        "detainerwatch ingest (store, provenance, report)",
        [DETAINERWATCH, "--db", str(store), "ingest", "--quiet", str(path)],
    )


def derived(store: Path) -> Measure:
    """The derived tables alone (attribution, policies, releases, the stored facts, the report's
    summaries), made again on the store the ingest left and rolled back: what the ingest stores
    beyond the rows, on every core as the ingest makes them (pipeline.after_ingest's whole
    path). With the reader at the floor, the goal leaves 0.5x the floor for the rows' insert
    and all of this."""
    code = """
import sys
from pathlib import Path
from detainerwatch import pipeline
from detainerwatch.store import db
con = db.connect(Path(sys.argv[1]))
con.execute("BEGIN")
pipeline.after_ingest(con, whole=True)
con.execute("ROLLBACK")
con.close()
"""
    return measure(
        "detainerwatch derived tables alone (rows stored)", python_snippet(code) + [str(store)]
    )


def run(sizes: list[int]) -> dict:
    results = {}
    for rows in sizes:
        path = text_file(rows)
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "bench.duckdb"
            table = [floor(path), floor_text(path), reader(path), ours(path, store)]
            if table[3].seconds is not None:  # the derived tables of the store it left
                table.append(derived(store))
            else:
                table.append(
                    Measure(
                        "detainerwatch derived tables alone (rows stored)",
                        None,
                        None,
                        "skipped: the ingest failed",
                    )
                )
        size_mb = path.stat().st_size / 1e6
        print_table(
            f"ingest of a {rows:,}-row FY2008-2015 delimited text file ({size_mb:.0f} MB)",
            table,
            floor=table[0].name,
            ours=table[3].name,
            cpu_base=table[0].name,
            cpu_label="floor",
        )
        f, o = table[0], table[3]
        if f.seconds and o.seconds:
            ratio = o.seconds / f.seconds
            print(
                f"  goal: detainerwatch <= 1.5x DuckDB read_csv (wall) -> {ratio:.2f}x "
                f"({'holds' if ratio <= 1.5 else 'does not hold'})"
            )
        d = table[4]
        if f.seconds and d.seconds:
            print(
                f"  of which the derived tables alone: {d.seconds / f.seconds:.2f}x the floor "
                "(the goal leaves 0.5x for them and the rows' insert together)"
            )
        results[str(rows)] = {"file_mb": size_mb, "measures": table}
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="file sizes (default 2000000)")
    args = parser.parse_args(argv)
    results = run(args.rows or [2_000_000])
    print("saved", save("text", results))


if __name__ == "__main__":
    main()
