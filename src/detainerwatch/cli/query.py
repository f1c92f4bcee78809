"""`detainerwatch query`: read-only SQL for users who want the tables directly."""
from __future__ import annotations

import csv
import json
import sys

import click
from rich.table import Table

from ..errors import UsageError
from . import cli, out_console


@cli.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_obj
def query(obj, sql, fmt):
    """Run a read-only SQL query against the store (tables: detainers, sources, ...)."""
    import duckdb

    from ..store import connect

    if not sql.strip():
        raise UsageError("give a SQL query (an empty one was given)")
    con = connect(obj["db"], read_only=True)
    try:
        result = con.execute(sql)
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {str(exc).splitlines()[0]}") from None
    if result.description is None:
        return
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(names, r)) for r in rows], default=str, indent=1))
    else:
        table = Table(*names)
        for r in rows:
            table.add_row(*["" if v is None else str(v) for v in r])
        out_console.print(table)
