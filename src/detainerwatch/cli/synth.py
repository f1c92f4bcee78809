"""`detainerwatch synth`: a seeded workbook in a documented ICE layout, for tests and benchmarks."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import cli, err_console


@cli.command()
@click.option("--layout", type=click.Choice(["2026", "2025", "2023"]), default="2026",
              show_default=True, help="ICE detainer release layout to follow.")
@click.option("--rows", type=int, required=True, help="Number of detainer rows to write.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx to write; FILE.manifest.json is written beside it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same bytes).")
@click.option("--sheet-rows", type=int, default=1_048_576, show_default=True,
              help="Rows per sheet before a continuation sheet (Excel's cap; lower it for tests).")
@click.option("--strings", type=click.Choice(["shared", "inline"]), default="shared",
              show_default=True,
              help="Text cells in a shared-string table (as Excel writes them) or inline.")
def synth(layout, rows, out, seed, sheet_rows, strings):
    """Write a synthetic detainer workbook exactly in an ICE release layout, with real facility
    names and codes, blank optional fields and redaction markers in any column (also after row
    5,000). For tests and benchmarks; never a substitute for the real samples."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ..synth import synthesize

    if sys.stderr.isatty() and rows >= 50_000:
        with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task(f"writing {out.name}", total=rows)
            manifest = synthesize(layout, rows, out, seed=seed, sheet_rows=sheet_rows,
                                  strings=strings, progress=lambda n: bar.advance(task, n))
    else:
        manifest = synthesize(layout, rows, out, seed=seed, sheet_rows=sheet_rows, strings=strings)
    manifest_path = out.with_name(out.stem + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=1))
    click.echo(f"{out}: {rows:,} rows in {len(manifest['sheets'])} sheets, "
               f"{sum(manifest['markers'].values()):,} redaction markers ({manifest_path.name})")
