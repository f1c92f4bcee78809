"""`detainerwatch query`: read-only SQL for users who want the tables directly.

The SQL runs in the library (store.query) on a connection that reads the store and nothing
else; this command only prints the result.
"""

from __future__ import annotations

import json
import sys

import click

from . import cli


@cli.command()
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def query(obj, sql, fmt):
    """Run a read-only SQL query against the store (tables: detainers, sources, ...).

    Only statements that read are accepted (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN);
    no file, network or extension is reachable from the query.
    """
    from ..publish import csvsafe
    from ..store.query import run_read_query

    result = run_read_query(obj["db"], sql)
    if not result.columns:
        return
    names, rows = result.columns, result.rows
    if fmt == "csv":
        writer = csvsafe.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(
            json.dumps([dict(zip(names, r, strict=True)) for r in rows], default=str, indent=1)
        )
    else:
        from rich.table import Table
        from rich.text import Text

        from . import out_console

        table = Table()
        for n in names:
            table.add_column(Text(n))
        for r in rows:
            table.add_row(*[Text("" if v is None else str(v)) for v in r])  # never markup
        out_console.print(table)
