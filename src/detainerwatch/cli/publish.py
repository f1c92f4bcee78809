"""`detainerwatch publish`: the pages as a static site, and a SQLite file of the aggregates."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import cli, err_console


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the static site (index.html, pages, static/, detainerwatch.sqlite).")
@click.pass_obj
def publish(obj, out):
    """Write the web app's pages as a static site for newsrooms that host files, plus a
    Datasette-compatible SQLite file of the aggregates (no person-level rows)."""
    from ..store import connect
    from ..web.static_site import publish_site

    connect(obj["db"], read_only=True).close()  # a clear error when there is no store
    if sys.stderr.isatty():
        with err_console.status("writing pages") as status:
            result = publish_site(obj["db"], out, progress=lambda p: status.update(f"writing {p}"))
    else:
        result = publish_site(obj["db"], out)
    click.echo(f"{result['pages']} pages and files written to {out}/; aggregates in "
               f"{result['sqlite']} ({', '.join(f'{t} {n:,}' for t, n in result['tables'].items())})")
