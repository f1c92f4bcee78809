"""`detainerwatch synth`: a seeded workbook in a documented ICE layout, for tests and benchmarks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import cli

_OTHER_LAYOUTS = ["ddp-detainers-2026", "lesa-stu", "ice-enforcement-2026", "ddp-enforcement-2026"]


@cli.command()
@click.option(
    "--layout",
    type=click.Choice(["2026", "2025", "2023", *_OTHER_LAYOUTS]),
    default="2026",
    show_default=True,
    help="Layout to follow: an ICE detainer release (2026, 2025, 2023), the Deportation "
    "Data Project's detainers (ddp-detainers-2026), the LESA-STU area workbook "
    "(lesa-stu), or a release whose detainers, arrests, book-ins and removals "
    "share person identifiers, as ICE workbooks (ice-enforcement-2026) or DDP "
    "files (ddp-enforcement-2026; --out is then a folder).",
)
@click.option(
    "--rows",
    type=int,
    required=True,
    help="Number of detainer rows to write (rows in all for lesa-stu, people for the "
    "*-enforcement layouts).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="The file to write (a folder for the *-enforcement layouts); "
    "NAME.manifest.json is written beside it.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same bytes)."
)
@click.option(
    "--sheet-rows",
    type=int,
    default=1_048_576,
    show_default=True,
    help="Rows per sheet before a continuation sheet (Excel's cap; lower it for tests).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv", "xlsx", "dta", "sav"]),
    default=None,
    help="File format of DDP layouts (default parquet; dta and sav need pyreadstat and pandas).",
)
@click.option(
    "--generation",
    type=click.Choice(["renamed", "cleaned"]),
    default="renamed",
    show_default=True,
    help="DDP column names after (renamed) or before (cleaned) DDP's October 2025 renames.",
)
@click.option(
    "--no-row-names",
    is_flag=True,
    help="CSV without R's unnamed row-number column (as readr writes it).",
)
@click.option("--state", help="Keep only this facility state's rows (a DDP filtered download).")
@click.option(
    "--strings",
    type=click.Choice(["shared", "inline"]),
    default="shared",
    show_default=True,
    help="Text cells in a shared-string table (as Excel writes them) or inline.",
)
def synth(layout, rows, out, seed, sheet_rows, fmt, generation, no_row_names, state, strings):
    """Write a synthetic file exactly in a documented layout: ICE detainer workbooks with real
    facility names and codes, blank optional fields and redaction markers in any column (also
    after row 5,000); DDP's processed files; the LESA-STU workbook; a linked release. For tests
    and benchmarks; never a substitute for the real samples."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ..synth import synthesize
    from . import err_console

    if layout in _OTHER_LAYOUTS:
        _synth_other(layout, rows, out, seed, fmt, generation, no_row_names, state)
        return

    if sys.stderr.isatty() and rows >= 50_000:
        with Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"writing {out.name}", total=rows)
            manifest = synthesize(
                layout,
                rows,
                out,
                seed=seed,
                sheet_rows=sheet_rows,
                strings=strings,
                progress=lambda n: bar.advance(task, n),
            )
    else:
        manifest = synthesize(layout, rows, out, seed=seed, sheet_rows=sheet_rows, strings=strings)
    manifest_path = out.with_name(out.stem + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=1))
    click.echo(
        f"{out}: {rows:,} rows in {len(manifest['sheets'])} sheets, "
        f"{sum(manifest['markers'].values()):,} redaction markers ({manifest_path.name})"
    )


def _synth_other(layout, rows, out, seed, fmt, generation, no_row_names, state):
    """The layouts of issue 14: DDP files, the LESA-STU workbook, a linked release."""
    from ..errors import UsageError
    from ..synth_release import synthesize_ddp_detainers, synthesize_lesa, write_linked_release

    if rows < 1:
        raise UsageError(f"--rows {rows}: expected at least 1")
    if layout == "ddp-detainers-2026":
        manifest = synthesize_ddp_detainers(
            out,
            rows,
            fmt or "parquet",
            seed=seed,
            generation=generation,
            row_names=not no_row_names,
            state=state,
        )
        what = (
            f"{manifest['rows_written']:,} DDP detainer rows ({manifest['format']}, "
            f"{generation} names{', ' + state + ' only' if state else ''})"
        )
    elif layout == "lesa-stu":
        if fmt not in (None, "xlsx"):
            raise UsageError(f"--format {fmt}: the LESA-STU workbook exists only as .xlsx")
        manifest = synthesize_lesa(out, rows, seed=seed)
        what = ", ".join(f"{n:,} {s}" for s, n in manifest["sheets"].items()) + " + Summary"
    else:
        out.mkdir(parents=True, exist_ok=True)
        source = "ice" if layout.startswith("ice") else "ddp"
        if source == "ice" and fmt not in (None, "xlsx"):
            raise UsageError(f"--format {fmt}: ICE's workbooks exist only as .xlsx")
        release = write_linked_release(
            out, rows, fmt or ("xlsx" if source == "ice" else "parquet"), seed=seed, source=source
        )
        manifest = {
            "layout": layout,
            "seed": seed,
            "people": rows,
            "paths": release["paths"],
            "end": release["end"].isoformat(),
            "rows": {k: len(release[k]) for k in ("detainers", "arrests", "stints", "removals")},
        }
        what = (
            ", ".join(f"{n:,} {k}" for k, n in manifest["rows"].items())
            + " sharing person identifiers"
        )
    manifest_path = (
        out / "release.manifest.json"
        if out.is_dir()
        else out.with_name(out.stem + ".manifest.json")
    )
    manifest_path.write_text(json.dumps(manifest, indent=1, default=str))
    click.echo(f"{out}: {what} ({manifest_path.name})")
