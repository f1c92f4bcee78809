"""Ingest of national-size detainer workbooks against the floor and the tools users would pick.

Run: `python -m bench.ingest [--rows 100000 --rows 1000000] [--strings shared|inline]`.
Workbooks of both kinds, shared strings (as Excel writes them) and inline strings, are
generated once with `detainerwatch synth --layout 2026 --strings KIND` into bench/cache/
(ignored by git); the synth run's own wall and CPU time are kept beside each workbook and
reported. For each size and kind it measures, in the same run, each in its own process: wall
time, CPU time (user + system) and peak memory of inflating the workbook's XML alone (the
floor), detainerwatch ingest end to end into a fresh store, fastexcel with every column as
text, pandas with openpyxl (all columns as str; up to --pandas-max rows, it takes many minutes
beyond), and R readxl with col_types = "text" (skipped when R is absent: install with
`apt-get install -y r-base-core r-cran-readxl`, or run with --install-r). A scaling line per
tool compares the cost per row at the largest size with the smallest.
Goals (1M rows, each kind): wall <= 2.5x the floor; CPU <= 1.2x fastexcel's CPU; peak <= 1 GiB;
synth of 1M rows <= 120 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from .harness import CACHE, Measure, have, measure, print_table, python_snippet, save

DETAINERWATCH = str(Path(sys.executable).with_name("detainerwatch"))
KINDS = ["shared", "inline"]
OURS = "detainerwatch ingest (store, provenance, report)"
FASTEXCEL = "fastexcel, all columns as text"
PANDAS = "pandas + openpyxl, dtype=str"
READXL = "R readxl, col_types = text"


def workbook(rows: int, strings: str = "shared") -> tuple[Path, Measure | None]:
    """The cached workbook, and how long synth took to write it (None if not recorded)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"synth-2026-{rows}-{strings}.xlsx"
    timing = path.with_suffix(".synth.json")
    if not path.exists():
        print(f"generating {path.name} (once; cached) ...", flush=True)
        tmp = path.with_suffix(".partial.xlsx")
        made = measure(
            f"synth {rows:,} rows, {strings} strings",
            [
                DETAINERWATCH,
                "synth",
                "--layout",
                "2026",
                "--rows",
                str(rows),
                "--strings",
                strings,
                "--out",
                str(tmp),
            ],
            timeout=3600,
        )
        if made.seconds is None:
            raise SystemExit(f"synth failed: {made.note}")
        tmp.rename(path)
        manifest = tmp.with_name(tmp.name.replace(".xlsx", ".manifest.json"))
        if manifest.exists():
            manifest.rename(path.with_suffix(".manifest.json"))
        timing.write_text(json.dumps(asdict(made)))
    return path, Measure(**json.loads(timing.read_text())) if timing.exists() else None


def floor(path: Path) -> Measure:
    """Inflating the workbook's XML (the sheets and the shared-string table) and nothing else."""
    if have("unzip"):
        return measure(
            "floor: unzip -p of the sheet and string XML",
            f"unzip -p '{path}' 'xl/*.xml' > /dev/null",
            shell=True,
        )
    code = (
        "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\n"
        "for n in z.namelist():\n if n.startswith('xl/') and n.endswith('.xml'):\n"
        "  f=z.open(n)\n  while f.read(1<<24): pass\n"
    )
    return measure(
        "floor: python zlib inflate of the sheet and string XML", python_snippet(code) + [str(path)]
    )


def ours(path: Path) -> Measure:
    with tempfile.TemporaryDirectory() as tmp:
        return measure(
            OURS, [DETAINERWATCH, "--db", f"{tmp}/bench.duckdb", "ingest", "--quiet", str(path)]
        )


def fastexcel_text(path: Path) -> Measure:
    code = (
        "import fastexcel,sys\nr=fastexcel.read_excel(sys.argv[1])\n"
        "for s in r.sheet_names:\n if s!='Footnotes': r.load_sheet(s, header_row=6, "
        "dtypes='string').to_arrow()\n"
    )
    return measure(FASTEXCEL, python_snippet(code) + [str(path)])


def pandas_openpyxl(path: Path, timeout: float) -> Measure:
    code = (
        "import pandas as pd,sys\n"
        "x=pd.ExcelFile(sys.argv[1], engine='openpyxl')\n"
        "pd.read_excel(x, sheet_name=[s for s in x.sheet_names if s != 'Footnotes'], "
        "header=6, dtype=str)\n"
    )
    return measure(PANDAS, python_snippet(code) + [str(path)], timeout=timeout)


def readxl(path: Path, install: bool, timeout: float) -> Measure:
    if not have("Rscript") and install:
        subprocess.run("apt-get install -y -q r-base-core r-cran-readxl > /dev/null", shell=True)
    if not have("Rscript"):
        return Measure(
            READXL, None, None, "skipped: R absent (apt-get install -y r-base-core r-cran-readxl)"
        )
    script = (
        "f <- commandArgs(TRUE)[1]; library(readxl); "
        "for (s in excel_sheets(f)) if (s != 'Footnotes') "
        "invisible(read_excel(f, sheet = s, skip = 6, col_types = 'text'))"
    )
    return measure(READXL, ["Rscript", "-e", script, str(path)], timeout=timeout)


def _importable(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode
        == 0
    )


def _goal(text: str, value: float, limit: float, unit: str = "x") -> str:
    shown = f"{value:.2f}x" if unit == "x" else f"{value:.0f} {unit}"
    return f"  goal: {text} -> {shown} ({'holds' if value <= limit else 'does not hold'})"


def run(
    sizes: list[int],
    kinds: list[str],
    install_r: bool = False,
    timeout: float = 1800,
    pandas_max: int = 100_000,
) -> dict:
    results: dict = {}
    made: dict = {}
    for rows in sizes:
        for kind in kinds:
            path, synth_time = workbook(rows, kind)
            made[(rows, kind)] = synth_time
            table = [floor(path), ours(path)]
            table.append(
                fastexcel_text(path)
                if _importable("fastexcel")
                else Measure(FASTEXCEL, None, None, "skipped: not installed")
            )
            if not _importable("openpyxl"):
                table.append(Measure(PANDAS, None, None, "skipped: not installed"))
            elif rows > pandas_max:
                table.append(
                    Measure(PANDAS, None, None, f"skipped above {pandas_max:,} rows (--pandas-max)")
                )
            else:
                table.append(pandas_openpyxl(path, timeout))
            table.append(readxl(path, install_r, timeout))
            size_mb = path.stat().st_size / 1e6
            print_table(
                f"ingest of a {rows:,}-row 2026-layout workbook, {kind} strings ({size_mb:.0f} MB)",
                table,
                floor=table[0].name,
                ours=OURS,
                cpu_base=FASTEXCEL,
            )
            results[f"{rows}-{kind}"] = {
                "rows": rows,
                "strings": kind,
                "workbook_mb": size_mb,
                "measures": table,
                "synth": synth_time,
            }
            by = {m.name: m for m in table}
            f, o, fx = table[0], by[OURS], by[FASTEXCEL]
            if (
                rows < 1_000_000
            ):  # goals are set for a national release; small runs show fixed costs
                continue
            if f.seconds and o.seconds:
                print(_goal("wall <= 2.5x floor", o.seconds / f.seconds, 2.5))
                print(_goal("peak <= 1024 MB", o.peak_mb, 1024, "MB"))
            if fx.cpu_seconds and o.cpu_seconds:
                print(_goal("CPU <= 1.2x fastexcel's CPU", o.cpu_seconds / fx.cpu_seconds, 1.2))
            for other, want in ((READXL, 2), (PANDAS, 10)):
                m = by[other]
                if m.seconds and o.seconds:
                    print(f"  goal: >= {want}x faster than {other} -> {m.seconds / o.seconds:.1f}x")
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print(
            f"\nscaling {small:,} -> {large:,} rows ({large / small:.0f}x the rows): cost per "
            "row at the large size / at the small size (1.00 = linear)"
        )
        for kind in kinds:
            a = {m.name: m for m in results[f"{small}-{kind}"]["measures"]}
            b = {m.name: m for m in results[f"{large}-{kind}"]["measures"]}
            for name, m in b.items():
                s = a.get(name)
                if m.seconds and s and s.seconds:
                    k = large / small
                    cpu = (
                        f"CPU {m.cpu_seconds / s.cpu_seconds / k:.2f}"
                        if m.cpu_seconds and s.cpu_seconds
                        else ""
                    )
                    print(
                        f"  {kind:<7} {name:<50} wall {s.seconds:7.2f} -> {m.seconds:7.2f} s: "
                        f"{m.seconds / s.seconds / k:.2f}; {cpu}; peak {s.peak_mb:.0f} -> "
                        f"{m.peak_mb:.0f} MB"
                    )
    print("\nsynth (the benchmark's own preparation; measured when the workbook was generated)")
    for (rows, kind), m in made.items():
        if m is None or m.seconds is None:
            print(f"  {rows:>9,} rows, {kind:<6}: not recorded (workbook cached before timing)")
            continue
        line = (
            f"  {rows:>9,} rows, {kind:<6}: wall {m.seconds:.1f} s, CPU "
            f"{m.cpu_seconds or 0:.1f} s, peak {m.peak_mb:.0f} MB, "
            f"{rows / m.seconds:,.0f} rows/s"
        )
        if rows == 1_000_000:
            line += f"; goal <= 120 s: {'holds' if m.seconds <= 120 else 'does not hold'}"
        print(line)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, action="append", help="workbook sizes (default 100000 and 1000000)"
    )
    parser.add_argument(
        "--strings", choices=KINDS, action="append", help="workbook kinds (default both)"
    )
    parser.add_argument("--install-r", action="store_true", help="apt-get install R and readxl")
    parser.add_argument("--timeout", type=float, default=1800, help="per-tool limit in seconds")
    parser.add_argument(
        "--pandas-max",
        type=int,
        default=100_000,
        help="largest workbook pandas + openpyxl reads (it takes minutes)",
    )
    args = parser.parse_args(argv)
    results = run(
        args.rows or [100_000, 1_000_000],
        args.strings or KINDS,
        args.install_r,
        args.timeout,
        args.pandas_max,
    )
    print("saved", save("ingest", results))


if __name__ == "__main__":
    main()
