"""A new release ingested into a national-size store: the stored facts and summaries extended
with its rows (derive/incremental.py) against rebuilt whole, in the same run.

Run: `python -m bench.incremental [--rows 2000000] [--new-rows 10000]`. The base store is the
FY2008-2015 delimited text file of bench.text (generated once into bench/cache/), ingested once
into a temporary store; the new release is a `synth --layout 2026` workbook (its days are
years after the base's, so the rows stored before derive as they did). Each measure ingests the
new release into a fresh copy of the base store, in its own process: detainerwatch as it is
(extends), and the same with the check made to answer "rebuild whole" (what every ingest did
before). No goal of issue 16 names it; it shows what a second release into a big store costs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .harness import CACHE, Measure, measure, print_table, python_snippet, save
from .text import text_file

DETAINERWATCH = str(Path(sys.executable).with_name("detainerwatch"))

_INGEST = (
    "import sys\nfrom detainerwatch.cli import cli\n"
    "{patch}"
    "cli(['--db', sys.argv[1], 'ingest', '--quiet', sys.argv[2]], standalone_mode=False)\n"
)
_EXTENDED = (  # fails the measure if the ingest rebuilt whole after all
    "from detainerwatch.derive import incremental\n"
    "taken, extend = [], incremental.extend\n"
    "incremental.extend = lambda con, before: (taken.append(1), extend(con, before))\n"
    "import atexit\n"
    "atexit.register(lambda: taken or sys.exit('rebuilt whole, not extended'))\n"
)
_WHOLE = (
    "from detainerwatch.derive import incremental\n"
    "incremental.snapshot = lambda con: None  # the check answers: rebuild whole\n"
)


def new_release(rows: int) -> Path:
    path = CACHE / f"synth-2026-{rows}-incremental.xlsx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        result = measure(
            "synth",
            [DETAINERWATCH, "synth", "--layout", "2026", "--rows", str(rows), "--out", str(path)],
        )
        if result.seconds is None:
            raise SystemExit(f"synth of the new release failed: {result.note}")
    return path


def run(rows: int, new_rows: int) -> dict[str, Any]:
    base_file = text_file(rows)
    new = new_release(new_rows)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        first = measure(
            f"first ingest: {rows:,}-row text file into an empty store",
            [DETAINERWATCH, "--db", str(base), "ingest", "--quiet", str(base_file)],
        )
        table: list[Measure] = [first]
        for name, patch in (
            (f"then {new_rows:,} rows of a new release: extended", _EXTENDED),
            (f"then {new_rows:,} rows of a new release: rebuilt whole", _WHOLE),
        ):
            copy = Path(tmp) / "copy.duckdb"
            shutil.copy(base, copy)
            code = _INGEST.format(patch=patch)
            table.append(measure(name, python_snippet(code) + [str(copy), str(new)]))
            copy.unlink()
    print_table(
        f"a new release ({new_rows:,} rows) into a store of {rows:,} detainers",
        table,
        floor=None,
        ours=table[1].name,
    )
    return {"rows": rows, "new_rows": new_rows, "measures": table}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the base store")
    parser.add_argument("--new-rows", type=int, default=10_000, help="rows of the new release")
    args = parser.parse_args(argv)
    print("saved", save("incremental", run(args.rows, args.new_rows)))


if __name__ == "__main__":
    main()
