"""`detainerwatch policies`: the policy records (state laws, local policies, 287(g))."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from ..publish import csvsafe
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
    from ..derive.policies import refresh_policies
    from ..store import connect

    con = connect(obj["db"])
    con.execute("BEGIN TRANSACTION")
    try:
        total = refresh_policies(con, list(files))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
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
    from rich.table import Table

    from ..derive.policies import DDL
    from ..link import gazetteer as gz
    from ..store import connect
    from . import out_console

    if state:
        st = gz.state(state)
        if st is None:
            raise click.UsageError(f"--state {state!r} is not a state (use a code such as PA)")
        state = st.abbr
    con = connect(obj["db"], read_only=True)
    try:
        con.execute("SELECT 1 FROM policies LIMIT 0")
    except Exception:
        con.close()
        con = connect(":memory:")
        con.execute(DDL)
    cols = [
        "jurisdiction_type",
        "jurisdiction_name",
        "state",
        "instrument_type",
        "short_title",
        "in_force_from",
        "in_force_to",
        "effect",
        "detainer_holds",
        "policy_id",
    ]
    rows = con.execute(
        f"SELECT {', '.join(cols)} FROM policies WHERE ? IS NULL OR state = ? "
        "ORDER BY state, jurisdiction_type DESC, jurisdiction_name, in_force_from",
        [state, state and state.upper()],
    ).fetchall()
    if fmt == "csv":
        writer = csvsafe.writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)
        return
    table = Table(*cols)
    for r in rows:
        table.add_row(*[Text("" if v is None else str(v)) for v in r])  # never markup
    out_console.print(table)
