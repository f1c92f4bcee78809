"""`detainerwatch ingest`."""

from __future__ import annotations

import sys
from pathlib import Path

from typing import TYPE_CHECKING, Any

import click

from . import cli

if TYPE_CHECKING:
    from rich.console import Console


class _RichProgress:
    """Shows a bar for sheets that take more than a moment (rich hides quick ones)."""

    def __init__(self, console: Console):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = None
        self.started = False

    def start(self, label, total):
        if not self.started:
            self.bar.start()
            self.started = True
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(label, total=total)

    def advance(self, rows):
        if self.task is not None:
            self.bar.advance(self.task, rows)

    def stop(self):
        if self.started:
            self.bar.stop()
            self.started = False


@cli.command()
# Paths are checked by the ingest itself, so a folder or a missing file is one line, exit 2.
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--release", help="Tag rows with this release instead of the layout's default.")
@click.option(
    "--encoding", default="utf-8-sig", show_default=True, help="Text encoding of delimited files."
)
@click.option("--quiet", is_flag=True, help="Print only the one-line summary per file.")
@click.option(
    "--accept-unmapped",
    is_flag=True,
    help="Store lift reasons, detainer types and charge codes that hand/ does not map "
    "(listed in the load report as unmapped, shown as unclassified) instead of "
    "refusing the file.",
)
@click.pass_obj
def ingest(obj, paths, release, encoding, quiet, accept_unmapped):
    """Ingest ICE FOIA files (detainer workbooks or text, facility lists) into the store.

    Layouts are recognised by their header. All files go in one transaction: on any bad
    input nothing is stored, and the message names the file, sheet, row and column.
    """
    from ..sources.readers import check_encoding, check_input_file
    from ..store import connect
    from ..pipeline import after_ingest
    from ..store.ingest import ingest as run_ingest, new_store_guard
    from . import err_console

    check_encoding(encoding)
    for path in paths:  # a FIFO or /dev/zero would block the checksum before any message
        check_input_file(path)
    progress = _RichProgress(err_console) if sys.stderr.isatty() else None
    with new_store_guard(obj["db"]):  # a failed first ingest leaves no store file behind
        con = connect(obj["db"])
        try:
            reports = run_ingest(
                con,
                list(paths),
                release=release,
                encoding=encoding,
                progress=progress,
                finalize=after_ingest,
                accept_unmapped=accept_unmapped,
            )
        finally:
            con.close()
    for rep in reports:
        if rep.status != "ingested":
            click.echo(
                f"{rep.path.name}: already ingested (source {rep.source_id}, release "
                f"{rep.release}); nothing added"
            )
            continue
        click.echo(
            f"{rep.path.name}: {rep.rows_out:,} rows stored as source {rep.source_id} "
            f"({rep.layout}, release {rep.release}, sha256 {rep.sha256[:12]}...)"
        )
        if not quiet:
            _print_load_report(rep)
    _keep_dictionary(Path(obj["db"]), reports)  # after the reports: a cache, never their cost


def _keep_dictionary(db: Path, reports: list[Any]) -> None:
    """The store's facility dictionary, as the store now is, kept beside it for `resolve` (whose
    first run would otherwise build it: ~0.8 s CPU with the three real lists): when this ingest
    added a facility list, or a dictionary kept before is now out of date. A store without one
    (a detainer workbook alone) is left as it was: its dictionary costs little to build."""
    from ..link import dictcache

    added = [rep for rep in reports if rep.status == "ingested"]
    if any(rep.kind == "facilities" for rep in added) or (
        added and dictcache.cache_path(db).exists()
    ):
        try:
            dictcache.for_store(db)
        except Exception as exc:  # noqa: BLE001  (only a cache: resolve builds it when absent)
            click.echo(
                f"note: the facility dictionary beside the store was not kept ({exc}); "
                "resolve builds it on its first run",
                err=True,
            )


def _print_load_report(rep) -> None:
    from rich.table import Table
    from rich.text import Text

    from . import out_console

    for name, reason in rep.skipped_sheets:
        out_console.print(f"  sheet {name!r} not ingested: {reason}", soft_wrap=True, markup=False)
    for sheet in rep.sheets:
        title = f"sheet {sheet.sheet!r}" if sheet.sheet else "rows"
        header = (
            f"no header row, continues sheet {sheet.continues!r} under its header"
            if sheet.continues
            else f"header on row {sheet.header_row}"
        )
        extent = f"rows {sheet.first_row}-{sheet.last_row}" if sheet.rows_in else "no data rows"
        blank = f", {sheet.blank_rows:,} blank rows skipped" if sheet.blank_rows else ""
        out_console.print(
            f"  {title}: {header}, {extent}, {sheet.rows_in:,} in, {sheet.rows_out:,} out{blank}",
            soft_wrap=True,
            markup=False,
        )
        table = Table(box=None, padding=(0, 1), show_edge=False)
        for col in (
            "column",
            "field",
            "blank",
            "redacted",
            "impossible dates",
            "control chars replaced",
        ):
            table.add_column(col, justify="left" if col in ("column", "field") else "right")
        for c in sheet.columns:
            if c.blanks or c.redactions or c.anomalies or c.control_chars:
                table.add_row(
                    Text(c.source_header),
                    c.field,
                    f"{c.blanks:,}",
                    f"{c.redactions:,}",
                    f"{c.anomalies:,}",
                    f"{c.control_chars:,}",
                )
        if table.row_count:
            out_console.print(table)
        for v in sheet.unknown_values:
            where = ", ".join(f"row {r}" for r in v.example_rows)
            out_console.print(
                f"  value outside the known set: {v.field} = {v.value!r}: "
                f"{v.count:,} rows (e.g. {rep.path.name}, "
                f"{'sheet ' + repr(sheet.sheet) + ', ' if sheet.sheet else ''}{where})",
                markup=False,
            )
        for v in sheet.unmapped_values:
            where = ", ".join(f"row {r}" for r in v.example_rows)
            out_console.print(
                f"  unmapped (accepted, shown as unclassified): {v.field} = "
                f"{v.value!r}: {v.count:,} rows (e.g. {where})",
                soft_wrap=True,
                markup=False,
            )
        if sheet.extra_columns:
            out_console.print(
                "  columns not in the layout, kept in extras: " + ", ".join(sheet.extra_columns),
                markup=False,
            )
    for check in rep.checks:  # a file against its own totals and upstream rows
        click.echo("  check " + check.line())
