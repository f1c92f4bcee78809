"""`detainerwatch policies`: the policy records (state laws, local policies, 287(g))."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import cli


@cli.group()
def policies():
    """Policy records that govern cooperation with detainers, with their sources."""


@policies.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def policies_add(obj, files):
    """Validate policy records in FILES (format: hand/policies/README.md) and add them to the
    store. A bad record stops everything with its file, row and column; nothing is added."""
    from ..derive.policies import add_policy_files

    total = add_policy_files(obj["db"], list(files))
    click.echo(f"{len(files)} file(s) added; {total} policy records loaded with the built-in ones")


@policies.command("list")
@click.option("--state", help="Only this state (USPS code).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "table"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def policies_list(obj, state, fmt):
    """List the policy records in the store (built-in and added)."""
    from ..link import gazetteer as gz
    from ..publish.queries import POLICY_LIST_COLUMNS, connect_read, policy_list
    from . import out_console

    if state:
        st = gz.state(state)
        if st is None:
            raise click.UsageError(f"--state {state!r} is not a state (use a code such as PA)")
        state = st.abbr
    with connect_read(obj["db"], facts_view=False) as store:
        records = policy_list(store, state)
    cols = POLICY_LIST_COLUMNS
    rows = [[getattr(p, c) for c in cols] for p in records]
    if fmt == "csv":
        from ..publish import csvsafe

        writer = csvsafe.writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(*cols)
    for r in rows:
        table.add_row(*[Text("" if v is None else str(v)) for v in r])  # never markup
    out_console.print(table)
