"""`detainerwatch outcomes`: what followed detainers of each outcome class, within a release."""

from __future__ import annotations

import json
import sys

import click

from . import cli
from .report import _date  # the one date option parser of the CLI


@cli.command()
@click.option("--release", help="The release (identifiers link rows within one release only).")
@click.option(
    "--window",
    "windows",
    type=int,
    multiple=True,
    help="Days after the detainer (repeat; default 30, 90 and 365).",
)
@click.option(
    "--by",
    type=click.Choice(["jurisdiction", "state", "all"]),
    default="jurisdiction",
    show_default=True,
    help="Group by the government responsible, the facility's state, or not at all.",
)
@click.option(
    "--period",
    type=click.Choice(["year", "fy", "quarter", "month", "all"]),
    default="year",
    show_default=True,
    help="Period of the detainer's issue date.",
)
@click.option("--from", "start", callback=_date, help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", callback=_date, help="Last issue date (YYYY-MM-DD).")
@click.option("--state", help="Only facilities in this state (USPS code).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format (csv: one row per cell and window).",
)
@click.pass_obj
def outcomes(obj, release, windows, by, period, start, end, state, fmt):
    """For people with detainers of each outcome class (declined, booked, released, open, ...),
    by jurisdiction and period: the share ICE later booked into custody, arrested (in a jail or
    at large, and how many days after) and removed, within each window. Aggregates only: cells
    of 1-4 people are withheld. Censoring at the release's last date is said plainly."""
    from ..publish.outcomes import flat_rows, published_outcomes
    from ..publish.queries import connect_read

    con = connect_read(obj["db"]).con  # the read model: facts view registered once
    try:
        result = published_outcomes(
            con,
            release,
            windows=windows or (30, 90, 365),
            by=by,
            period=period,
            start=start,
            end=end,
            state=state,
        )
    finally:
        con.close()
    if fmt == "json":
        click.echo(json.dumps(result, indent=1))
        return
    rows = flat_rows(result)
    columns = [
        "group",
        "period",
        "outcome",
        "window_days",
        "people",
        "observable",
        "censored",
        "booked_in_pct",
        "arrested_in_jail_pct",
        "arrested_at_large_pct",
        "median_days_at_large",
        "removed_pct",
    ]
    if fmt == "csv":
        from ..publish import csvsafe

        writer = csvsafe.DictWriter(sys.stdout, list(rows[0]) if rows else columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    from rich.table import Table

    from . import out_console

    click.echo(
        f"What followed detainers of release {result['release']} (last recorded date "
        f"{result['last_date']}), by {result['by']} and {result['period']}:"
    )
    table = Table(box=None, padding=(0, 1), show_edge=False)
    for col in columns:
        table.add_column(col, justify="left" if col in ("group", "period", "outcome") else "right")
    for row in rows:
        table.add_row(*("-" if row[c] is None else str(row[c]) for c in columns))
    out_console.print(table)
    for note in result["notes"]:
        click.echo("note: " + note)
