"""The `detainerwatch` command: a thin layer of click commands over the library."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from .. import __version__
from ..errors import InputError, UsageError

err_console = Console(stderr=True)
# Wide when not a terminal, so piped tables are not folded.
out_console = Console(width=None if sys.stdout.isatty() else 200)


class _CLIGroup(click.Group):
    """Turns user errors into one line on stderr and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (InputError, UsageError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_CLIGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="DETAINERWATCH_DB",
              default="detainerwatch.duckdb", show_default=True,
              help="The store (a DuckDB file). Also set by DETAINERWATCH_DB.")
@click.version_option(__version__, prog_name="detainerwatch")
@click.pass_context
def cli(ctx, db):
    """detainerwatch: ICE detainer records, traced to their source rows."""
    ctx.obj = {"db": db}


def main():  # console-script entry point
    cli(prog_name="detainerwatch")



# Each command group lives in its own module and registers itself on `cli`.
from . import ingest as _ingest  # noqa: E402,F401
from . import query as _query  # noqa: E402,F401
from . import serve as _serve  # noqa: E402,F401
from . import policies as _policies  # noqa: E402,F401
from . import resolve as _resolve  # noqa: E402,F401
from . import report as _report  # noqa: E402,F401
from . import synth as _synth  # noqa: E402,F401
from . import audit as _audit  # noqa: E402,F401
from . import publish as _publish  # noqa: E402,F401
from . import releases as _releases  # noqa: E402,F401
from . import outcomes as _outcomes  # noqa: E402,F401
from . import check_disclosure as _check_disclosure  # noqa: E402,F401
